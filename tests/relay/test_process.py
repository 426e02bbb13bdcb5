"""What is about the relay as a process: kill -9 and restart (nothing acknowledged is lost,
nothing is delivered twice), SIGHUP reload (queued messages kept, new routes used, a broken
config refused), and the heartbeat dead man's switch."""

from __future__ import annotations

import signal
import sqlite3
import threading
import urllib.error

import pytest

# live: runs the relay process (kill -9, SIGHUP); `pytest -m "not live"` skips it
pytestmark = pytest.mark.live

from support.relay_support import RelayProcess, payload, relay_config


@pytest.fixture
def relays():
    started: list[RelayProcess] = []
    try:
        yield started
    finally:
        for relay in started:
            relay.stop()


def done_deliveries(relay: RelayProcess) -> int:
    conn = sqlite3.connect(f"file:{relay.tmp / 'relay.db'}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM deliveries WHERE state = 'done'").fetchone()[0]
    finally:
        conn.close()


def test_kill_9_loses_nothing_acknowledged_and_doubles_nothing(tmp_path, receiver, relays):
    cfg = relay_config(tmp_path, receiver)
    relay = RelayProcess(tmp_path, cfg)
    relays.append(relay)
    relay.start()
    # 1. ten notifications delivered and recorded as done
    delivered_before = [relay.post(payload(seq))[1]["id"] for seq in range(10)]
    receiver.wait(lambda: len(receiver.delivered_ids("/a")) == 10, "the first ten")
    relay.wait_log(lambda e: done_deliveries(relay) == 10, "the first ten recorded as done")
    # 2. the target fails; notifications keep coming from two senders while the relay is killed
    receiver.always["/a"] = (503, {"error": "down"}, {})
    acked: list[int] = []
    lock = threading.Lock()

    def sender(offset: int) -> None:
        for seq in range(1000 + offset, 1400 + offset, 2):
            try:
                status, body = relay.post(payload(seq))
            except (urllib.error.URLError, ConnectionError, OSError):
                return  # the relay is gone: this one was not acknowledged
            if status != 200:
                return
            with lock:
                acked.append(body["id"])

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    receiver.wait(lambda: len(acked) >= 30, "some acknowledged notifications under load")
    relay.kill9()
    for t in threads:
        t.join()
    assert len(acked) >= 30
    # 3. the target is healthy again; a new relay process on the same store
    del receiver.always["/a"]
    relay2 = RelayProcess(tmp_path, cfg)
    relays.append(relay2)
    relay2.start()
    receiver.wait(lambda: set(acked) <= set(receiver.delivered_ids("/a")), "every acknowledged notification")
    relay2.wait_log(lambda e: e.get("msg") == "restored unfinished deliveries", "the restore log line", after=0)
    ids = receiver.delivered_ids("/a")
    assert len(ids) == len(set(ids)), "a notification was delivered twice"
    assert ids[:10] == delivered_before  # the first ten were not sent again


def test_sighup_reload_keeps_queued_messages_and_applies_new_routes(tmp_path, receiver, relays):
    cfg = relay_config(tmp_path, receiver, routes=[{"matchers": ["team=db"], "targets": ["b"]}])
    relay = RelayProcess(tmp_path, cfg)
    relays.append(relay)
    relay.start()
    receiver.always["/b"] = (503, {"error": "down"}, {})
    queued = [relay.post(payload(seq, team="db"))[1]["id"] for seq in range(5)]
    relay.wait_log(lambda e: e.get("msg") == "delivery will be retried", "a failed attempt at b")

    # a broken config is refused and the relay keeps running as before
    broken = dict(cfg, routes=[{"matchers": ["team=db"], "targets": ["nope"]}])
    relay.write_config(broken)
    relay.signal(signal.SIGHUP)
    failed = relay.wait_log(lambda e: e.get("msg") == "reload failed; keeping the running config", "refused reload")
    assert "routes[0].targets[0]: unknown target 'nope'" in failed["error"]

    # a good config: team=db now also goes to c; b keeps its queue
    cfg["routes"] = [{"matchers": ["team=db"], "targets": ["b", "c"]}]
    relay.write_config(cfg)
    relay.signal(signal.SIGHUP)
    relay.wait_log(lambda e: e.get("msg") == "reloaded", "the reload")
    assert relay.metrics()['relay_queue_depth{target="b"}'] == 5
    status, body = relay.post(payload(99, team="db"))
    assert body["targets"] == ["b", "c"]
    del receiver.always["/b"]
    receiver.wait(lambda: sorted(receiver.delivered_ids("/b")) == queued + [body["id"]], "b's queue after the reload")
    assert receiver.delivered_ids("/c") == [body["id"]]
    m = relay.metrics()
    assert m['relay_config_reloads_total{result="ok"}'] == 1 and m['relay_config_reloads_total{result="failed"}'] == 1


def test_heartbeat_missing_pages_and_recovers_and_never_reaches_normal_routes(tmp_path, receiver, relays):
    cfg = relay_config(tmp_path, receiver, heartbeat={"alertname": "Watchdog", "missing_after": "1s", "targets": ["c"]},
                       default_targets=["a"])
    relay = RelayProcess(tmp_path, cfg)
    relays.append(relay)
    relay.start()
    status, body = relay.post(payload(1, alertname="Watchdog"))
    assert status == 200 and body["status"] == "heartbeat" and body["targets"] == []
    # no Watchdog for 1s: "broken" to c
    receiver.wait(lambda: len(receiver.delivered("/c")) == 1, "the pipeline-broken page")
    [broken] = receiver.delivered("/c")
    assert broken["alertnames"] == [["AlertingPipelineBroken"]] and broken["statuses"] == ["firing"]
    assert "no Watchdog alert for 1s" in broken["summaries"][0]
    relay.wait_log(lambda e: e.get("msg") == "delivered" and e.get("target") == "c", "the page delivered")
    assert relay.metrics()["relay_heartbeat_missing"] == 1
    # Watchdog returns: a recovery message, once
    relay.post(payload(2, alertname="Watchdog"))
    receiver.wait(lambda: len(receiver.delivered("/c")) == 2, "the recovery message")
    recovered = receiver.delivered("/c")[1]
    assert recovered["statuses"] == ["resolved"] and "works again" in recovered["summaries"][0]
    assert relay.metrics()["relay_heartbeat_missing"] == 0
    # a mixed group: the Watchdog alert is dropped, the other alert is routed
    mixed = payload(3, alertname="Other")
    mixed["alerts"].append({**mixed["alerts"][0], "labels": {"alertname": "Watchdog"}, "fingerprint": "w"})
    status, body = relay.post(mixed)
    assert body["status"] == "stored" and body["targets"] == ["a"]
    receiver.wait(lambda: receiver.delivered_ids("/a") == [body["id"]], "the mixed group at a")
    assert receiver.delivered("/a")[0]["alertnames"] == [["Other"]]
    assert all("Watchdog" not in str(b) for b in receiver.delivered("/a"))
