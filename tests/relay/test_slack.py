"""Slack target against the Slack contract server over real HTTP."""

from __future__ import annotations

import support.alertsamples as samples
from support.chatfakes import SlackFake
from support.deliver import deliver, now, send
from relay.targets import KINDS
from relay.targets.slack import sections

WHERE = "relay.yaml: targets.ops-slack"


def target(fake: SlackFake, **settings):
    return KINDS["slack"].from_config("ops-slack", {"url": fake.url, **settings}, WHERE)


def text_of(message: dict) -> str:
    return "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")


def test_firing_and_resolved_arrive_with_header_and_mrkdwn():
    with SlackFake() as fake:
        ops = target(fake)
        assert deliver(ops, [samples.firing()]).kind == "ok"
        assert deliver(ops, [samples.resolved()]).kind == "ok"
    fired, resolved = fake.accepted
    assert fired["text"] == "[FIRING:1] KubePodCrashLooping"
    assert fired["blocks"][0] == {"type": "header", "text": {
        "type": "plain_text", "text": "[FIRING:1] KubePodCrashLooping", "emoji": True}}
    text = text_of(fired)
    for expected in (":fire: *FIRING* *KubePodCrashLooping* · critical", "> Pod is crash looping.",
                     "`namespace=shop` `pod=web-1`", "Started: 2023-11-15 06:13:20 CST",
                     "<https://runbooks.example/KubePodCrashLooping.md|Runbook>",
                     "<http://alertmanager.example:9093/#/silences/new?filter=%7Balertname"):
        assert expected in text, expected
    assert "Resolved: 2023-11-15 07:18:25 CST (lasted 1h 5m 5s)" in text_of(resolved)


def test_values_are_escaped_for_mrkdwn():
    body = samples.payload(samples.alert(summary="5xx > 10% & <rising>"))
    with SlackFake() as fake:
        assert deliver(target(fake), [samples.notification(body)]).kind == "ok"
    assert "> 5xx &gt; 10% &amp; &lt;rising&gt;" in text_of(fake.accepted[0])


def test_429_is_retried_after_retry_after_and_bad_hook_is_permanent():
    with SlackFake(burst=1, clock=lambda: 50.0) as fake:
        ops = target(fake)
        assert deliver(ops, [samples.firing()]).kind == "ok"
        limited = deliver(ops, [samples.firing()])
        gone = KINDS["slack"].from_config("x", {"url": fake.base_url + "/services/T/B/old"}, WHERE)
        outcome = deliver(gone, [samples.firing()])
    assert (limited.kind, limited.retry_after) == ("retry", 1.0)
    assert outcome.kind == "permanent" and "no_service" in outcome.detail
    assert ops.interpret(400, {}, b"invalid_payload").kind == "permanent"
    assert ops.interpret(503, {}, b"").kind == "retry"


def test_long_group_is_cut_and_every_block_within_limits():
    group = samples.notification(samples.payload(*(
        samples.alert(name="TargetDown", pod=f"web-{i}", description="y" * 700) for i in range(300))))
    with SlackFake() as fake:
        request = target(fake).build([group], now())
        assert send(request).text == "ok"  # the fake checks 3,000 chars/section, 50 blocks
    assert len(request.body) <= 16_000
    text = text_of(fake.accepted[0])
    shown = text.count(":fire: *TargetDown*")  # compact: one line each
    assert 30 < shown < 300 and f"*... and {300 - shown} more in the next message*" in text, shown


def test_sections_split_at_lines_and_hard_split_long_lines():
    text = "\n".join(["a" * 1000] * 5 + ["b" * 7000])
    chunks = sections(text)
    assert all(0 < len(c) <= 3000 for c in chunks)
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")
    assert chunks[:2] == ["a" * 1000 + "\n" + "a" * 1000, "a" * 1000 + "\n" + "a" * 1000]


def test_digest_in_one_message():
    with SlackFake() as fake:
        assert deliver(target(fake), [samples.firing(), samples.many(2)]).kind == "ok"
    message = fake.accepted[0]
    assert message["text"] == "[FIRING:3 RESOLVED:0] 2 alert groups"
    assert "*[FIRING:2] KubePodNotReady*" in text_of(message)
