"""WeCom target against the WeCom contract server over real HTTP."""

from __future__ import annotations

import pytest

import support.alertsamples as samples
from support.chatfakes import WeComFake
from support.deliver import deliver, now, send
from relay.targets import KINDS

WHERE = "relay.yaml: targets.ops-wecom"


def target(fake: WeComFake, **settings):
    return KINDS["wecom"].from_config("ops-wecom", {"kind": "wecom", "url": fake.url, **settings}, WHERE)


def test_firing_and_resolved_arrive_with_local_times_and_links():
    with WeComFake() as fake:
        ops = target(fake)
        assert deliver(ops, [samples.firing()]).kind == "ok"
        assert deliver(ops, [samples.resolved()]).kind == "ok"
    fired, resolved = (m["markdown"]["content"] for m in fake.accepted)
    assert fake.accepted[0]["msgtype"] == "markdown"
    assert fired.startswith("### [FIRING:1] KubePodCrashLooping\n")
    for expected in ('<font color="warning">FIRING</font> **KubePodCrashLooping** · critical',
                     "> Pod is crash looping.", "namespace=shop, pod=web-1",
                     "Started: 2023-11-15 06:13:20 CST",
                     "[Runbook](https://runbooks.example/KubePodCrashLooping.md)",
                     "[Silence](http://alertmanager.example:9093/#/silences/new?filter=%7Balertname"):
        assert expected in fired, expected
    assert '<font color="info">RESOLVED</font>' in resolved
    assert "Resolved: 2023-11-15 07:18:25 CST (lasted 1h 5m 5s)" in resolved


def test_wrong_key_is_permanent_and_rate_limit_is_retried():
    with WeComFake(key="right", per_minute=1) as fake:
        wrong = KINDS["wecom"].from_config("w", {"url": fake.url.replace("right", "wrong")}, WHERE)
        outcome = deliver(wrong, [samples.firing()])
        assert outcome.kind == "permanent" and "93000" in outcome.detail
        ops = target(fake)
        assert deliver(ops, [samples.firing()]).kind == "ok"
        limited = deliver(ops, [samples.firing()])
        assert (limited.kind, limited.retry_after) == ("retry", 60.0) and "45009" in limited.detail
        fake.fail_next(1, status=502)
        assert deliver(ops, [samples.firing()]).kind == "retry"


def test_content_too_long_code_is_permanent():
    with WeComFake() as fake:
        ops = target(fake)
    outcome = ops.interpret(200, {}, b'{"errcode":40058,"errmsg":"content exceed max length"}')
    assert outcome.kind == "permanent" and "40058" in outcome.detail


@pytest.mark.parametrize("filler", ["x", "磁"])
def test_long_group_is_cut_to_4096_content_bytes_and_accepted(filler):
    group = samples.notification(samples.payload(*(
        samples.alert(name="NodeFilesystemAlmostOutOfSpace", pod=f"web-{i}", description=filler * 120)
        for i in range(80))))
    with WeComFake() as fake:
        request = target(fake).build([group], now())
        assert send(request).json()["errcode"] == 0
    content = fake.accepted[0]["markdown"]["content"]
    shown = content.count("🔥 **NodeFilesystemAlmostOutOfSpace**")  # compact: one line each
    assert 15 < shown < 80, shown
    assert content.rstrip().endswith(f"**... and {80 - shown} more in the next message**")
    assert len(content.encode()) <= 4096


def test_digest_and_template_override(tmp_path):
    (tmp_path / "wecom.j2").write_text(
        "{% for g in groups %}## {{ g.title }}\n{% for a in g.alerts %}"
        "- {{ a.name }} {{ a.labels.pod }} {{ a.duration or 'ongoing' }}\n{% endfor %}{% endfor %}")
    with WeComFake() as fake:
        ops = target(fake, template="wecom.j2", config_dir=str(tmp_path))
        assert deliver(ops, [samples.firing(), samples.resolved()]).kind == "ok"
    assert fake.accepted[0]["markdown"]["content"] == (
        "## [FIRING:1] KubePodCrashLooping\n- KubePodCrashLooping web-1 ongoing\n"
        "## [RESOLVED:1] KubePodCrashLooping\n- KubePodCrashLooping web-1 1h 5m 5s")
