"""End to end through the real relay process to the chat contract servers (tests/support/chatfakes.py):
routing to DingTalk (signed, @mobiles) and WeCom, times in the configured zone, the size cut,
rate-limit merging under DingTalk's real 20-per-minute limit, retries after 5xx, and a
permanent error (bad signature) into the dead letters."""

from __future__ import annotations

import re

import pytest

from support.chatfakes import DingTalkFake, WeComFake
from support.relay_support import RelayProcess, payload

# live: runs the relay process against the chat stand-ins; `pytest -m "not live"` skips it
pytestmark = pytest.mark.live

SECRET = "SEC-relay-test"


@pytest.fixture
def fakes():
    with DingTalkFake(token="dt-token", secret=SECRET) as dingtalk, WeComFake(key="wc-key") as wecom:
        yield dingtalk, wecom


@pytest.fixture
def relay_for(tmp_path):
    started = []

    def make(dingtalk, wecom, secret=SECRET, **extra) -> RelayProcess:
        (tmp_path / "dt-secret").write_text(secret + "\n")
        (tmp_path / "dt-url").write_text(dingtalk.url + "\n")
        cfg = {
            "listen": "127.0.0.1:0", "store": str(tmp_path / "relay.db"), "timezone": "Asia/Shanghai",
            "retry": {"initial": "50ms", "max": "200ms"},
            "targets": {
                "ops-dingtalk": {"kind": "dingtalk", "url_file": str(tmp_path / "dt-url"),
                                 "secret_file": str(tmp_path / "dt-secret"), "mobiles": ["13800000000"]},
                "ops-wecom": {"kind": "wecom", "url": wecom.url},
            },
            "routes": [{"name": "critical", "matchers": ['severity="critical"'], "targets": ["ops-dingtalk"]}],
            "default_targets": ["ops-wecom"],
            **extra,
        }
        relay = RelayProcess(tmp_path, cfg, extra_modules=())
        started.append(relay)
        return relay.start()

    try:
        yield make
    finally:
        for relay in started:
            relay.stop()


def wait_accepted(fake, count: int, what: str) -> None:
    import time

    from support.relay_support import DEADLINE
    end = time.monotonic() + DEADLINE
    while len(fake.accepted) < count:
        assert time.monotonic() < end, f"timed out waiting for {what}; answers: {fake.answers}"
        time.sleep(0.02)


def test_routes_to_signed_dingtalk_and_wecom_with_local_times(fakes, relay_for):
    dingtalk, wecom = fakes
    relay = relay_for(dingtalk, wecom)
    critical = payload(1, severity="critical", alertname="EtcdNoLeader")
    critical["alerts"][0]["startsAt"] = "2024-05-01T10:00:00Z"
    status, body = relay.post(critical)
    assert status == 200 and body["targets"] == ["ops-dingtalk"]
    status, body = relay.post(payload(2, alertname="PodMemory75"))
    assert body["targets"] == ["ops-wecom"]
    wait_accepted(dingtalk, 1, "the DingTalk message")
    wait_accepted(wecom, 1, "the WeCom message")
    [dt_msg] = dingtalk.accepted
    text = dt_msg["markdown"]["text"]
    assert "EtcdNoLeader" in text and "@13800000000" in text and dt_msg["at"]["atMobiles"] == ["13800000000"]
    assert "18:00" in text  # 10:00 UTC shown in Asia/Shanghai
    assert all(status == 200 and b'"errcode": 0' in answer for status, answer in dingtalk.answers)  # signature accepted
    assert "PodMemory75" in wecom.accepted[0]["markdown"]["content"]
    assert not any("token" in line or SECRET in line for line in relay.all_logs().splitlines())


def test_burst_is_merged_under_dingtalks_real_rate_limit(fakes, relay_for):
    dingtalk, wecom = fakes
    relay = relay_for(dingtalk, wecom)
    ids = []
    for seq in range(40):
        status, body = relay.post(payload(seq, severity="critical", alertname=f"Burst{seq}x"))
        assert status == 200
        ids.append(body["id"])
    relay.wait_delivered(ids[-1], "ops-dingtalk")
    relay.wait_log(lambda e: relay.metrics()['relay_deliveries_delivered_total{target="ops-dingtalk"}'] == 40,
                   "all 40 delivered")
    texts = "\n".join(m["markdown"]["text"] for m in dingtalk.accepted)
    assert len(dingtalk.accepted) <= 20  # within one minute: never over the robot's limit
    assert not [a for _, a in dingtalk.answers if b"130101" in a]  # the fake never had to refuse
    for seq in range(40):
        assert re.search(rf"Burst{seq}x", texts), f"Burst{seq}x missing from the messages"
    assert relay.metrics()['relay_notifications_digested_total{target="ops-dingtalk"}'] >= 20


def test_size_cut_to_wecoms_4096_bytes(fakes, relay_for):
    dingtalk, wecom = fakes
    relay = relay_for(dingtalk, wecom)
    status, body = relay.post(payload(5, alerts=150, alertname="KubePodNotReady"))
    assert status == 200
    wait_accepted(wecom, 1, "the cut WeCom message")
    content = wecom.accepted[0]["markdown"]["content"]
    assert len(content.encode()) <= 4096 and "more" in content


def test_retry_after_server_errors_then_delivered_once(fakes, relay_for):
    dingtalk, wecom = fakes
    relay = relay_for(dingtalk, wecom)
    wecom.fail_next(2, status=502)
    status, body = relay.post(payload(6))
    relay.wait_delivered(body["id"], "ops-wecom")
    assert [s for s, _ in wecom.answers] == [502, 502, 200] and len(wecom.accepted) == 1
    assert relay.metrics()['relay_delivery_retries_total{target="ops-wecom"}'] == 2


def test_bad_signature_is_permanent_and_dead_lettered(fakes, relay_for):
    dingtalk, wecom = fakes
    relay = relay_for(dingtalk, wecom, secret="SEC-wrong")
    status, body = relay.post(payload(7, severity="critical"))
    entry = relay.wait_log(lambda e: e.get("msg") == "moved to dead letters", "the dead letter")
    assert entry["reason"] == "permanent" and "310000" in entry["detail"]
    assert len(dingtalk.received) == 1 and not dingtalk.accepted  # no retry of a bad signature
    assert relay.metrics()['relay_deliveries_failed_total{reason="permanent",target="ops-dingtalk"}'] == 1


def test_send_test_cli_delivers_a_sample_and_reports_refusals(tmp_path, capsys):
    import yaml

    from relay.cli import main

    with WeComFake(key="wc-key") as wecom:
        cfg = {"targets": {"good": {"kind": "wecom", "url": wecom.url},
                           "bad": {"kind": "wecom", "url": wecom.url.replace("wc-key", "wrong")}},
               "default_targets": []}
        (tmp_path / "relay.yaml").write_text(yaml.safe_dump(cfg))
        assert main(["--config", str(tmp_path / "relay.yaml"), "send-test", "--target", "good"]) == 0
        assert "good: ok (HTTP 200)" in capsys.readouterr().out
        assert "RelaySendTest" in wecom.accepted[0]["markdown"]["content"]
        assert main(["send-test", "--config", str(tmp_path / "relay.yaml"), "--target", "bad"]) == 1
        assert "bad: permanent" in capsys.readouterr().out and "93000" in str(wecom.answers[-1])
        assert main(["send-test", "--config", str(tmp_path / "relay.yaml"), "--target", "nope"]) == 1
        assert "no target named 'nope'" in capsys.readouterr().err
