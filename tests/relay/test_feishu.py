"""Feishu / Lark target against the Feishu contract server over real HTTP."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import support.alertsamples as samples
from support.chatfakes import FeishuFake
from support.deliver import deliver, now, send
from relay.targets import KINDS
from relay.targets.feishu import sign

WHERE = "relay.yaml: targets.ops-feishu"


def target(fake: FeishuFake, tmp_path, secret: str | None = None, **settings):
    if secret is not None:
        (tmp_path / "secret").write_text(secret)
        settings["secret_file"] = str(tmp_path / "secret")
    return KINDS["feishu"].from_config("ops-feishu", {"url": fake.url, **settings}, WHERE)


def markdown_of(message: dict) -> str:
    (element,) = message["card"]["elements"]
    assert element["tag"] == "markdown"
    return element["content"]


def test_signature_matches_reference_vector():
    assert sign(1700000000, "secret") == "fiWS2+gh28DOydAv7hzONH/mDn9+b1Y4Y5ivXWXy8vA="


def test_signed_body_carries_timestamp_in_seconds(tmp_path):
    with FeishuFake() as fake:
        ops = target(fake, tmp_path, secret="secret")
    body = json.loads(ops.build([samples.firing()], dt.datetime.fromtimestamp(1700000000, dt.timezone.utc)).body)
    assert (body["timestamp"], body["sign"]) == ("1700000000", "fiWS2+gh28DOydAv7hzONH/mDn9+b1Y4Y5ivXWXy8vA=")


def test_firing_and_resolved_cards_arrive_signed(tmp_path):
    with FeishuFake(secret="FS-SEC") as fake:
        ops = target(fake, tmp_path, secret="FS-SEC")
        assert deliver(ops, [samples.firing()]).kind == "ok"
        assert deliver(ops, [samples.resolved()]).kind == "ok"
    fired, resolved = fake.accepted
    assert fired["msg_type"] == "interactive"
    assert fired["card"]["header"] == {
        "title": {"tag": "plain_text", "content": "[FIRING:1] KubePodCrashLooping"}, "template": "red"}
    text = markdown_of(fired)
    for expected in ("**KubePodCrashLooping** · critical", "Pod is crash looping.", "- namespace: shop",
                     "- Started: 2023-11-15 06:13:20 CST", "[Runbook](https://runbooks.example/",
                     "[Silence](http://alertmanager.example:9093/#/silences/new?filter=%7Balertname"):
        assert expected in text, expected
    assert resolved["card"]["header"]["template"] == "green"
    assert "- Resolved: 2023-11-15 07:18:25 CST (lasted 1h 5m 5s)" in markdown_of(resolved)


def test_wrong_secret_is_permanent_19021(tmp_path):
    with FeishuFake(secret="FS-SEC") as fake:
        outcome = deliver(target(fake, tmp_path, secret="WRONG"), [samples.firing()])
        unsigned = deliver(target(fake, tmp_path), [samples.firing()])
    assert outcome.kind == "permanent" and "19021" in outcome.detail
    assert unsigned.kind == "permanent" and fake.accepted == []


def test_rate_limit_is_retried_with_a_wait(tmp_path):
    with FeishuFake(clock=lambda: 1000.0) as fake:  # every request in the same second
        ops = target(fake, tmp_path)
        assert [deliver(ops, [samples.firing()]).kind for _ in range(5)] == ["ok"] * 5
        limited = deliver(ops, [samples.firing()])
        fake.fail_next(1, status=500)
        failed = deliver(ops, [samples.firing()])
    assert (limited.kind, limited.retry_after) == ("retry", 1.0) and "9499" in limited.detail
    assert failed.kind == "retry"
    assert ops.interpret(400, {}, b'{"code":9499,"msg":"too many request"}').kind == "retry"
    assert ops.interpret(200, {}, b'{"StatusCode":0,"StatusMessage":"success"}').kind == "ok"


def test_long_group_is_cut_and_accepted(tmp_path):
    group = samples.notification(samples.payload(*(
        samples.alert(name="KubeJobFailed", pod=f"job-{i}", description="失败" * 150) for i in range(300))))
    with FeishuFake(secret="S") as fake:
        request = target(fake, tmp_path, secret="S").build([group], now())
        assert len(request.body) <= 20_000
        assert send(request).json()["code"] == 0
    text = markdown_of(fake.accepted[0])
    shown = text.count("🔥 **KubeJobFailed**")  # compact: one line each
    assert 50 < shown < 300 and text.endswith(f"**... and {300 - shown} more in the next message**"), shown


def test_digest_and_lark_url(tmp_path):
    with FeishuFake() as fake:
        ops = target(fake, tmp_path)
        assert deliver(ops, [samples.firing(), samples.resolved()]).kind == "ok"
    message = fake.accepted[0]
    assert message["card"]["header"]["title"]["content"] == "[FIRING:1 RESOLVED:1] 2 alert groups"
    assert message["card"]["header"]["template"] == "red"
    text = markdown_of(message)
    assert "**[FIRING:1] KubePodCrashLooping**" in text and "**[RESOLVED:1] KubePodCrashLooping**" in text
    lark = KINDS["feishu"].from_config("lark", {"url": "https://open.larksuite.com/open-apis/bot/v2/hook/x"}, WHERE)
    assert lark.build([samples.firing()], now()).url == "https://open.larksuite.com/open-apis/bot/v2/hook/x"


def test_template_override(tmp_path):
    (tmp_path / "card.j2").write_text('{% set title = "值班: " ~ title %}{{ alerts | length }} alert(s), '
                                      "first {{ alerts[0].labels.namespace }}/{{ alerts[0].labels.pod }}")
    with FeishuFake() as fake:
        assert deliver(target(fake, tmp_path, template=str(tmp_path / "card.j2")), [samples.firing()]).kind == "ok"
    message = fake.accepted[0]
    assert message["card"]["header"]["title"]["content"] == "值班: [FIRING:1] KubePodCrashLooping"
    assert markdown_of(message) == "1 alert(s), first shop/web-1"
