"""The relay under faults of its surroundings: a store that cannot take writes (readiness), a
taken port, a SIGTERM while a delivery is in flight, input that once caused 500s, a huge
label; and every line it logs is JSON."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import signal
import socket
import sqlite3
import threading

import pytest
import yaml

import support.relay_testkind as relay_testkind  # noqa: F401  (registers the "testhook" kind)
from relay import samples
from relay.config import parse_relay_config
from relay.server import Relay
from relay.targets.base import AlertItem, KINDS
# live: runs the relay process (SIGTERM, taken ports); `pytest -m "not live"` skips it
pytestmark = pytest.mark.live

from support.relay_support import RelayProcess, payload, relay_config


@pytest.mark.parametrize("body, status, message", [
    (b'{"version": "4", "groupKey": "g", "status": "firing", "x": ' + b"[" * 3000 + b"]" * 3000 + b', "alerts": []}',
     400, "nested too deeply"),
    (json.dumps({**payload(1), "alerts": [{**payload(1)["alerts"][0], "startsAt": "0001-01-01T00:30:00+01:00"}]}).encode(),
     422, "alerts[0].startsAt: 0001-01-01T00:30:00+01:00 is out of range in UTC"),
    (json.dumps({**payload(1), "alerts": [{**payload(1)["alerts"][0], "endsAt": "9999-12-31T23:30:00-01:00",
                                           "status": "resolved"}]}).encode(),
     422, "alerts[0].endsAt: 9999-12-31T23:30:00-01:00 is out of range in UTC"),
])
def test_input_that_caused_500_gets_a_4xx_naming_it(tmp_path, receiver, body, status, message):
    relay = RelayProcess(tmp_path, relay_config(tmp_path, receiver))
    relay.start()
    try:
        got, answer = relay.post(body)
        assert got == status and message in answer["error"], answer
        # the zero end time written with an offset is Alertmanager's "still firing", not an error
        firing = payload(2)
        firing["alerts"][0]["endsAt"] = "0001-01-01T00:00:00+01:00"
        assert relay.post(firing)[0] == 200
        assert not [e for e in relay.logs() if e.get("msg") == "<not json>"], relay.all_logs()
    finally:
        relay.stop()


def test_a_taken_port_is_one_clear_json_line(tmp_path, receiver):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        relay = RelayProcess(tmp_path, relay_config(tmp_path, receiver, listen=f"127.0.0.1:{port}"))
        with pytest.raises(AssertionError, match="relay exited"):
            relay.start()
        assert relay.proc.wait(10) == 1
        lines = relay.logs()
        assert all(e.get("msg") != "<not json>" for e in lines), relay.all_logs()
        [failure] = [e for e in lines if e.get("msg") == "cannot start"]
        assert f"cannot listen on 127.0.0.1:{port}" in failure["error"] and "listen" in failure["error"]
        relay.stop()


def test_sigterm_lets_the_delivery_in_flight_finish_and_nothing_is_sent_twice(tmp_path, receiver):
    receiver.holds["/a"] = hold = threading.Event()
    relay = RelayProcess(tmp_path, relay_config(tmp_path, receiver, delivery_timeout="10s"))
    relay.start()
    status, body = relay.post(payload(1))
    assert status == 200
    with receiver.cond:
        receiver.cond.wait_for(lambda: "/a" in receiver.waiting, 10)
    relay.signal(signal.SIGTERM)  # the target is answering slowly: the relay waits for it
    threading.Timer(1.0, hold.set).start()
    assert relay.proc.wait(15) == 0
    relay.log_file.close()
    assert [e for e in relay.logs() if e.get("msg") == "delivered" and body["id"] in e.get("notification_ids", ())]
    # a restart finds nothing pending: the delivery was recorded before the process left
    del receiver.holds["/a"]
    relay.start()
    try:
        relay.wait_log(lambda e: e.get("msg") == "listening", "the restart")
        assert not [e for e in relay.logs() if e.get("msg") == "restored unfinished deliveries"]
        assert receiver.delivered_ids("/a") == [body["id"]]
    finally:
        relay.stop()


def test_readyz_is_false_while_the_store_cannot_take_writes(tmp_path, receiver):
    """A full disk: SQLite's max_page_count at the file's size refuses every new page (the
    error a full disk gives, SQLITE_FULL); a small write may still find room."""
    import aiohttp

    cfg = parse_relay_config(relay_config(tmp_path, receiver), "relay.yaml", str(tmp_path))

    async def scenario():
        relay = Relay(cfg)
        await relay.start()
        try:
            url = f"http://127.0.0.1:{relay.port}"
            async with aiohttp.ClientSession() as http:
                async def post(seq):
                    async with http.post(f"{url}/alerts", json=payload(seq, alerts=20)) as resp:
                        return resp.status
                async def ready():
                    async with http.get(f"{url}/readyz") as resp:
                        return resp.status
                assert await post(1) == 200 and await ready() == 200
                pages = relay.store.call(lambda c: c.execute("PRAGMA page_count").fetchone()[0])
                relay.store.call(lambda c: c.execute(f"PRAGMA max_page_count = {pages}"))
                codes = [await post(i) for i in range(2, 12)]
                assert 503 in codes, codes
                assert await ready() == 503
                relay.store.call(lambda c: c.execute("PRAGMA max_page_count = 1073741823"))
                assert await post(20) == 200 and await ready() == 200
        finally:
            await relay.stop()

    asyncio.run(scenario())


def test_a_huge_label_leaves_the_alert_details_in_the_message():
    dingtalk = KINDS["dingtalk"].from_config("ops", {"url": "https://oapi.dingtalk.com/robot/send?access_token=t",
                                                     "timezone": "UTC"}, "relay.yaml: targets.ops")
    n = samples.sample_notification(dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    first = n.alerts[0]
    huge = AlertItem(first.status, {**first.labels, "query": "x" * 10_000}, first.annotations, first.starts_at,
                     first.ends_at, first.generator_url, first.fingerprint)
    n = type(n)(**{**{f: getattr(n, f) for f in n.__struct_fields__}, "alerts": (huge,) + n.alerts[1:]})
    body = json.loads(dingtalk.build([n], dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)).body)
    text = body["markdown"]["text"]
    assert first.annotations["summary"] in text and first.labels["alertname"] in text
    assert "x" * 300 not in text and "- query: " + "x" * 200 in text
    assert "... and" not in text  # every alert of the group still fits
