"""DingTalk target against the DingTalk contract server over real HTTP."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import support.alertsamples as samples
from support.chatfakes import DingTalkFake
from support.deliver import deliver, now, send
from common.errors import ConfigError
from relay.targets import KINDS
from relay.targets.dingtalk import sign

WHERE = "relay.yaml: targets.ops"
SILENCE = ("http://alertmanager.example:9093/#/silences/new?filter="
           "%7Balertname%3D%22KubePodCrashLooping%22%2Cnamespace%3D%22shop%22"
           "%2Cpod%3D%22web-1%22%2Cseverity%3D%22critical%22%7D")


def target(fake: DingTalkFake, tmp_path, secret: str | None = None, **settings):
    if secret is not None:
        (tmp_path / "secret").write_text(secret + "\n")
        settings["secret_file"] = str(tmp_path / "secret")
    return KINDS["dingtalk"].from_config("ops", {"kind": "dingtalk", "url": fake.url, **settings}, WHERE)


def test_signature_matches_reference_vector():
    assert sign(1700000000000, "secret") == "OuzzJR5+xZ4/EYwqtNt6sMYZQMTa/HEGvc9miJe7XzY="


def test_firing_and_resolved_arrive_signed_with_local_times_links_and_mentions(tmp_path):
    with DingTalkFake(secret="SEC123") as fake:
        ops = target(fake, tmp_path, secret="SEC123", mobiles=["13800000000"])
        assert deliver(ops, [samples.firing()]).kind == "ok"
        assert deliver(ops, [samples.resolved()]).kind == "ok"
    fired, resolved = fake.accepted
    assert fired["msgtype"] == "markdown"
    assert fired["markdown"]["title"] == "[FIRING:1] KubePodCrashLooping"
    text = fired["markdown"]["text"]
    for expected in ("KubePodCrashLooping", "critical", "Pod is crash looping.",
                     "Pod shop/web-1 restarted 5 times in 10 minutes.", "namespace: shop",
                     "pod: web-1", "Started: 2023-11-15 06:13:20 CST",
                     "[Runbook](https://runbooks.example/KubePodCrashLooping.md)",
                     "[Dashboard](https://grafana.example/d/pods)",
                     "[Source](http://prometheus.example:9090/graph?g0.expr=up%3D%3D0)",
                     f"[Silence]({SILENCE})", "@13800000000"):
        assert expected in text, expected
    assert "Resolved:" not in text
    assert fired["at"] == {"atMobiles": ["13800000000"], "isAtAll": False}
    assert resolved["markdown"]["title"] == "[RESOLVED:1] KubePodCrashLooping"
    text = resolved["markdown"]["text"]
    assert "Resolved: 2023-11-15 07:18:25 CST (lasted 1h 5m 5s)" in text
    assert "@13800000000" not in text and resolved["at"]["atMobiles"] == []


def test_signed_url_uses_timestamp_in_ms_and_urlencoded_sign(tmp_path):
    with DingTalkFake() as fake:
        ops = target(fake, tmp_path, secret="secret")
        request = ops.build([samples.firing()], dt.datetime.fromtimestamp(1700000000, dt.timezone.utc))
    assert request.url.endswith(
        "&timestamp=1700000000000&sign=OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D")


def test_wrong_secret_or_token_or_stale_timestamp_is_permanent(tmp_path):
    with DingTalkFake(token="right", secret="SEC") as fake:
        wrong_secret = target(fake, tmp_path, secret="OTHER")
        outcome = deliver(wrong_secret, [samples.firing()])
        assert outcome.kind == "permanent" and "310000" in outcome.detail
        stale = target(fake, tmp_path, secret="SEC")
        outcome = deliver(stale, [samples.firing()], now() - dt.timedelta(hours=2))
        assert outcome.kind == "permanent" and "310000" in outcome.detail
        wrong_token = KINDS["dingtalk"].from_config(
            "ops", {"url": fake.url.replace("right", "wrong"), "secret_file": str(tmp_path / "secret")}, WHERE)
        outcome = deliver(wrong_token, [samples.firing()])
        assert outcome.kind == "permanent" and "300001" in outcome.detail
        assert fake.accepted == []


def test_rate_limit_and_server_errors_are_retried(tmp_path):
    with DingTalkFake(per_minute=2) as fake:
        ops = target(fake, tmp_path)
        assert [deliver(ops, [samples.firing()]).kind for _ in range(2)] == ["ok", "ok"]
        limited = deliver(ops, [samples.firing()])
        assert (limited.kind, limited.retry_after) == ("retry", 60.0)
        assert "130101" in limited.detail
    with DingTalkFake() as fake:
        ops = target(fake, tmp_path)
        fake.fail_next(1, status=503)
        fake.fail_next(1, code=-1)
        assert deliver(ops, [samples.firing()]).kind == "retry"
        assert deliver(ops, [samples.firing()]).kind == "retry"
        assert deliver(ops, [samples.firing()]).kind == "ok"


def test_unreadable_200_answer_is_retried(tmp_path):
    with DingTalkFake() as fake:
        ops = target(fake, tmp_path)
    assert ops.interpret(200, {}, b"<html>proxy</html>").kind == "retry"
    assert ops.interpret(404, {}, b"nope").kind == "permanent"


def alert_count(text: str) -> int:
    return text.count("**🔥 FIRING · ")


def compact_count(text: str, name: str) -> int:
    return text.count(f"- 🔥 **{name}**")


@pytest.mark.parametrize("filler", ["x", "告"])  # ASCII and 3-byte UTF-8
def test_long_group_is_shown_compact_cut_at_an_alert_and_accepted(tmp_path, filler):
    """Too long for the full form: one line per alert, as many as fit; the rest follow in the
    next message (the engine sends them)."""
    group = samples.notification(samples.payload(*(
        samples.alert(name="KubePodNotReady", pod=f"web-{i}", description=filler * 400)
        for i in range(300))))
    with DingTalkFake() as fake:
        ops = target(fake, tmp_path, mobiles=["13800000000"])
        built = ops.build_batch([group], now())
        request = built.request
        assert len(request.body) <= 20_000
        assert send(request).json()["errcode"] == 0
    text = fake.accepted[0]["markdown"]["text"]
    shown = compact_count(text, "KubePodNotReady")
    assert alert_count(text) == 0 and 80 < shown < 300, shown  # the full form fits a few dozen at most
    assert built.shown == (shown,)
    assert f"... and {300 - shown} more in the next message" in text
    assert f"pod=web-{shown - 1} ·" in text and f"pod=web-{shown} ·" not in text
    assert "@13800000000" in text  # mentions survive the cut
    assert len(request.body) > 20_000 - 1_500  # stopped at the last alert that fits


def test_a_group_that_fits_whole_keeps_the_full_form(tmp_path):
    with DingTalkFake() as fake:
        built = target(fake, tmp_path).build_batch([samples.many(5)], now())
    text = json.loads(built.request.body)["markdown"]["text"]
    assert alert_count(text) == 5 and built.shown == (5,) and "more" not in text


def test_max_bytes_lowers_the_cut(tmp_path):
    with DingTalkFake() as fake:
        ops = target(fake, tmp_path, max_bytes=5000)
        request = ops.build([samples.many(80)], now())
    assert len(request.body) <= 5000
    assert "more" in json.loads(request.body)["markdown"]["text"]


def test_digest_of_several_notifications_in_one_message(tmp_path):
    with DingTalkFake() as fake:
        ops = target(fake, tmp_path)
        assert deliver(ops, [samples.firing(), samples.resolved(), samples.many(3)]).kind == "ok"
    (message,) = fake.accepted
    text = message["markdown"]["text"]
    assert message["markdown"]["title"] == "[FIRING:4 RESOLVED:1] 3 alert groups"
    for title in ("#### [FIRING:1] KubePodCrashLooping", "#### [RESOLVED:1] KubePodCrashLooping",
                  "#### [FIRING:3] KubePodNotReady"):
        assert title in text
    assert "lasted 1h 5m 5s" in text and "pod: web-2" in text


def test_digest_is_cut_across_groups(tmp_path):
    groups = [samples.many(80, name=f"Alert{g}", description_bytes=600) for g in range(4)]
    with DingTalkFake() as fake:
        ops = target(fake, tmp_path)
        built = ops.build_batch(groups, now())
        assert send(built.request).json()["errcode"] == 0
    text = fake.accepted[0]["markdown"]["text"]
    shown = sum(compact_count(text, f"Alert{g}") for g in range(4))
    assert f"... and {320 - shown} more in the next message" in text
    assert sum(built.shown) == shown and built.shown[0] == 80 and built.shown[3] == 0
    assert compact_count(text, "Alert0") == 80 and compact_count(text, "Alert3") == 0


def test_template_override_with_title_and_mentions_added(tmp_path):
    (tmp_path / "ops.md.j2").write_text(
        '{% set title = "OPS " ~ alerts[0].name %}'
        "{% for a in alerts %}{{ a.status }} {{ a.labels.pod }} since {{ a.starts }}\n{% endfor %}")
    with DingTalkFake() as fake:
        ops = target(fake, tmp_path, template="ops.md.j2", config_dir=str(tmp_path),
                     mobiles=["13900000000"], timezone="UTC")
        assert deliver(ops, [samples.firing()]).kind == "ok"
    message = fake.accepted[0]
    assert message["markdown"]["title"] == "OPS KubePodCrashLooping"
    assert message["markdown"]["text"] == "firing web-1 since 2023-11-14 22:13:20 UTC\n\n@13900000000"


def test_template_syntax_and_render_errors_name_the_file_and_line(tmp_path):
    (tmp_path / "bad.j2").write_text("line one\n{% for a in alerts %}\n")
    with DingTalkFake() as fake:
        with pytest.raises(ConfigError) as error:
            target(fake, tmp_path, template=str(tmp_path / "bad.j2"))
        assert f"{WHERE}.template: {tmp_path / 'bad.j2'}:2" in str(error.value)
        (tmp_path / "boom.j2").write_text("ok\n{{ alerts[0].labels.pod.nothing() }}\n")
        with pytest.raises(ConfigError) as error:
            target(fake, tmp_path, template=str(tmp_path / "boom.j2"))
        assert f"{tmp_path / 'boom.j2'}:2" in str(error.value)
        with pytest.raises(ConfigError, match=r"targets\.ops\.template: no such file"):
            target(fake, tmp_path, template="missing.j2", config_dir=str(tmp_path))


def test_template_failing_only_at_delivery_falls_back_to_default(tmp_path):
    (tmp_path / "picky.j2").write_text("{{ alerts[0].annotations.summary }} "
                                       "{{ 1 // (alerts[0].labels.pod != 'web-9') }}")
    with DingTalkFake() as fake:
        ops = target(fake, tmp_path, template=str(tmp_path / "picky.j2"))
        odd = samples.notification(samples.payload(samples.alert(pod="web-9")))
        assert deliver(ops, [odd]).kind == "ok"
    assert "pod: web-9" in fake.accepted[0]["markdown"]["text"]  # the default's rendering


def test_time_zone_is_configurable():
    with DingTalkFake() as fake:
        ny = KINDS["dingtalk"].from_config("ops", {"url": fake.url, "timezone": "America/New_York"}, WHERE)
        assert deliver(ny, [samples.resolved()]).kind == "ok"
    text = fake.accepted[0]["markdown"]["text"]
    assert "Started: 2023-11-14 17:13:20 EST" in text
    assert "Resolved: 2023-11-14 18:18:25 EST" in text



def test_large_group_that_fits_is_sent_whole(tmp_path):
    with DingTalkFake() as fake:
        ops = target(fake, tmp_path)
        assert deliver(ops, [samples.many(30, description_bytes=20)]).kind == "ok"
    text = fake.accepted[0]["markdown"]["text"]
    assert alert_count(text) == 30 and "more" not in text


def test_template_too_large_even_without_alerts_is_cut_as_text(tmp_path):
    (tmp_path / "huge.j2").write_text('{{ "=" * 30000 }}\n{% for a in alerts %}{{ a.name }}\n{% endfor %}')
    with DingTalkFake() as fake:
        ops = target(fake, tmp_path, template=str(tmp_path / "huge.j2"))
        request = ops.build([samples.many(3)], now())
        assert len(request.body) <= 20_000
        assert send(request).json()["errcode"] == 0
    assert fake.accepted[0]["markdown"]["text"].endswith("=\n\n... (cut) ... and 3 more in the next message")
