"""Delivery through a real relay process to a local receiver: digests under the rate limit,
retries (5xx, 429 with Retry-After, a retry errcode, network errors), permanent errors and
max_age into the dead letters, and a stuck target not delaying another."""

from __future__ import annotations

import json
import threading

import pytest

import support.relay_testkind as relay_testkind  # noqa: F401  (the CLI below reads a config using the testhook kind)
from relay.cli import main
# live: runs the relay process until retries give up (max_age); `pytest -m "not live"` skips it
pytestmark = pytest.mark.live

from support.relay_support import RelayProcess, payload, relay_config


@pytest.fixture
def start(tmp_path):
    started: list[RelayProcess] = []

    def _start(cfg: dict) -> RelayProcess:
        relay = RelayProcess(tmp_path, cfg)
        started.append(relay)
        return relay.start()

    try:
        yield _start
    finally:
        for relay in started:
            relay.stop()


def post_all(relay, seqs, **labels) -> list[int]:
    ids = []
    for seq in seqs:
        status, body = relay.post(payload(seq, **labels))
        assert status == 200 and body["status"] == "stored", body
        ids.append(body["id"])
    return ids


def test_over_budget_notifications_are_merged_into_a_digest(tmp_path, receiver, start):
    cfg = relay_config(tmp_path, receiver)
    cfg["targets"]["a"]["rate_limits"] = [{"count": 2, "per": "1s"}]
    relay = start(cfg)
    first = post_all(relay, [1, 2])
    receiver.wait(lambda: receiver.delivered_ids("/a") == first, "the first two, one message each")
    burst = post_all(relay, range(3, 11))  # 8 more while the 1-second budget of 2 is used up
    receiver.wait(lambda: len(receiver.delivered_ids("/a")) == 10, "all ten notifications")
    relay.wait_delivered(burst[-1], "a")
    messages = receiver.delivered("/a")
    later = messages[2:]
    assert [i for m in messages for i in m["ids"]] == first + burst  # each once, in order
    assert len(later) <= 2  # 8 notifications in at most two messages, not eight
    assert max(len(m["ids"]) for m in later) >= 4
    m = relay.metrics()
    assert m['relay_notifications_digested_total{target="a"}'] == sum(len(x["ids"]) for x in later if len(x["ids"]) > 1)
    assert m['relay_deliveries_delivered_total{target="a"}'] == 10


def test_retries_on_5xx_429_and_retry_errcode_then_delivers_once(tmp_path, receiver, start):
    receiver.answer((503, {"error": "unavailable"}, {}),
                    (429, {"error": "slow down"}, {"Retry-After": "0.3"}),
                    (200, {"errcode": 1, "retry_after": 0.2}, {}), path="/a")
    relay = start(relay_config(tmp_path, receiver))
    [nid] = post_all(relay, [20])
    receiver.wait(lambda: receiver.delivered_ids("/a") == [nid], "the delivery after three refusals")
    relay.wait_delivered(nid, "a")
    attempts = [r for r in receiver.requests if r["path"] == "/a"]
    assert [r["status"] for r in attempts] == [503, 429, 200, 200]
    assert all(r["body"]["ids"] == [nid] for r in attempts)
    # Retry-After was honoured: the attempt after the 429 came no sooner than asked
    assert attempts[2]["at"] - attempts[1]["at"] >= 0.3
    m = relay.metrics()
    assert m['relay_delivery_retries_total{target="a"}'] == 3
    assert m['relay_deliveries_delivered_total{target="a"}'] == 1
    assert m.get('relay_deliveries_failed_total{reason="permanent",target="a"}', 0) == 0


def test_permanent_error_goes_to_dead_letters_without_retry(tmp_path, receiver, start, capsys):
    receiver.answer((200, {"errcode": 2, "errmsg": "token is invalid"}, {}), path="/a")
    relay = start(relay_config(tmp_path, receiver))
    [nid] = post_all(relay, [30])
    relay.wait_log(lambda e: e.get("msg") == "moved to dead letters", "the dead letter")
    [nid2] = post_all(relay, [31])  # the target still works for the next one
    receiver.wait(lambda: receiver.delivered_ids("/a") == [nid2], "the next notification")
    relay.wait_delivered(nid2, "a")
    assert len([r for r in receiver.requests if nid in r["body"]["ids"]]) == 1  # never retried
    m = relay.metrics()
    assert m['relay_deliveries_failed_total{reason="permanent",target="a"}'] == 1
    assert m.get('relay_delivery_retries_total{target="a"}', 0) == 0
    assert main(["--config", str(relay.config_path), "dead-letters", "--json"]) == 0
    [letter] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert letter["notification_id"] == nid and letter["target"] == "a" and letter["reason"] == "permanent"
    assert "token is invalid" in letter["detail"] and letter["payload"]["groupKey"] == '{}:{seq="30"}'


def test_network_errors_retried_until_max_age_then_dead_letter(tmp_path, receiver, start, capsys):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    cfg = relay_config(tmp_path, receiver, max_age="1500ms")
    cfg["targets"]["b"]["url"] = f"http://127.0.0.1:{dead_port}/b"
    cfg["routes"] = [{"matchers": ["team=x"], "targets": ["b"]}]
    relay = start(cfg)
    [nid] = post_all(relay, [40], team="x")
    relay.wait_log(lambda e: e.get("msg") == "moved to dead letters" and e.get("reason") == "expired", "expiry")
    m = relay.metrics()
    assert m['relay_delivery_retries_total{target="b"}'] >= 2
    assert m['relay_deliveries_failed_total{reason="expired",target="b"}'] == 1
    assert m['relay_queue_depth{target="b"}'] == 0
    assert main(["--config", str(relay.config_path), "dead-letters"]) == 0
    out = capsys.readouterr()
    assert f"notification {nid}  target b  expired" in out.out and "network error" in out.out
    assert "1 dead letters" in out.err


def test_a_stuck_target_does_not_delay_another(tmp_path, receiver, start):
    receiver.holds["/b"] = threading.Event()
    cfg = relay_config(tmp_path, receiver, routes=[{"matchers": ["team=both"], "targets": ["b", "a"]}])
    relay = start(cfg)
    first, second = post_all(relay, [50, 51], team="both")
    receiver.wait(lambda: receiver.delivered_ids("/a") == [first, second], "both at the free target")
    assert receiver.waiting == ["/b"] and receiver.delivered_ids("/b") == []  # b still holds the first
    m = relay.metrics()
    assert m['relay_queue_depth{target="b"}'] == 2 and m['relay_queue_oldest_age_seconds{target="b"}'] > 0
    receiver.holds["/b"].set()
    receiver.wait(lambda: receiver.delivered_ids("/b") == [first, second], "b catching up")
