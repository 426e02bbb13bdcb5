"""The relay's HTTP side, through a real relay process on 127.0.0.1: auth, every bad input,
routing, duplicates, health endpoints, metrics, 503 when the store cannot be written."""

from __future__ import annotations

import base64
import sqlite3

import pytest

from support.relay_support import Receiver, RelayProcess, payload, relay_config

TOKEN = "t0ken-for-tests"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("relay-http")
    (tmp / "token").write_text(TOKEN + "\n")
    receiver = Receiver()
    cfg = relay_config(tmp, receiver, max_body_bytes=4096, routes=[
        {"name": "db", "matchers": ['severity="critical"', 'team=~"db|infra"'], "targets": ["a"], "continue": True},
        {"name": "dbteam", "matchers": ["team=db"], "targets": ["b"]},
        {"matchers": ['team=~"web.*"'], "targets": ["c"]},
    ], default_targets=["b"], auth={"bearer_token_file": str(tmp / "token"),
                                    "basic": {"username": "am", "password_env": "RELAY_TEST_PW"}})
    import os
    os.environ["RELAY_TEST_PW"] = "basic-pw"
    relay = RelayProcess(tmp, cfg)
    receiver.relay = relay
    try:
        relay.start()
        yield relay, receiver
    finally:
        relay.stop()
        receiver.close()
        os.environ.pop("RELAY_TEST_PW", None)


def stored_count(relay: RelayProcess) -> int:
    conn = sqlite3.connect(f"file:{relay.tmp / 'relay.db'}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM notifications").fetchone()[0]
    finally:
        conn.close()


def wait_delivered(receiver: Receiver, nid: int, path: str) -> None:
    receiver.wait(lambda: nid in receiver.delivered_ids(path), f"notification {nid} at {path}")
    receiver.relay.wait_delivered(nid, path.strip("/"))


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer wrong"},
    {"Authorization": "Basic " + base64.b64encode(b"am:wrong").decode()},
    {"Authorization": "Basic " + base64.b64encode(b"admin:basic-pw").decode()},
    {"Authorization": "Token " + TOKEN},
])
def test_401_without_valid_credentials_and_nothing_stored(env, headers):
    relay, _ = env
    before = stored_count(relay)
    status, body = relay.post(payload(900), headers=headers)
    assert status == 401
    assert "credentials" in body["error"]
    assert stored_count(relay) == before
    assert TOKEN not in relay.all_logs() and "basic-pw" not in relay.all_logs()


def test_bearer_and_basic_both_admit(env):
    relay, receiver = env
    status, body = relay.post(payload(901), headers=BEARER)
    assert status == 200 and body["status"] == "stored"
    basic = {"Authorization": "Basic " + base64.b64encode(b"am:basic-pw").decode()}
    status, body2 = relay.post(payload(902), headers=basic)
    assert status == 200 and body2["status"] == "stored"
    wait_delivered(receiver, body2["id"], "/b")


@pytest.mark.parametrize("body, headers, status, message", [
    (b'{"version": "4", "alerts": [', {}, 400, "malformed JSON"),
    (b"\xff\xfe{}", {}, 400, "not UTF-8"),
    (b'{"version": "3"}', {}, 422, 'version: Invalid enum value \'3\' (expected "4"'),
    (b'{"version": "4", "groupKey": "g", "status": "firing", "alerts": [{"status": "firing", "labels": {}}]}', {}, 422,
     "alerts[0].startsAt: required"),
    (b'{"version": "4"}', {"Content-Type": "text/plain"}, 415, "Content-Type must be application/json"),
    (b'{"version": "4", "pad": "' + b"x" * 5000 + b'"}', {}, 413, "max_body_bytes (4096)"),
])
def test_bad_input_gets_4xx_json_naming_the_problem(env, body, headers, status, message):
    relay, _ = env
    before = stored_count(relay)
    got, answer = relay.post(body, headers={**BEARER, **headers})
    assert got == status
    assert answer["status"] == status and message in answer["error"], answer
    assert stored_count(relay) == before


def test_413_for_a_chunked_body_over_the_limit(env):
    """No Content-Length to trust: the limit holds while reading."""
    import http.client

    relay, _ = env
    conn = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=10)
    try:
        chunks = (b'{"version": "4", "pad": "' + b"y" * 1000 for _ in range(10))
        conn.request("POST", "/alerts", body=chunks, headers={**BEARER, "Content-Type": "application/json"},
                     encode_chunked=True)
        resp = conn.getresponse()
        assert resp.status == 413 and b"max_body_bytes" in resp.read()
    finally:
        conn.close()


def test_unknown_route_is_stored_and_delivered_to_the_default_targets(env):
    """Alertmanager drops a notification answered 4xx and never retries it, so a receiver
    whose route relay.yaml lacks must not cost its alerts: default targets, a warning naming
    the route, and a count by route."""
    relay, receiver = env
    before = relay.metrics().get('relay_unknown_route_notifications_total{route="nope"}', 0)
    stored = stored_count(relay)
    status, body = relay.post(payload(903), path="/alerts/nope", headers=BEARER)
    assert status == 200 and body["status"] == "stored" and body["targets"] == ["b"], body
    assert stored_count(relay) == stored + 1
    wait_delivered(receiver, body["id"], "/b")
    warning = relay.wait_log(lambda e: e.get("route") == "nope" and e.get("level") == "warning",
                             "a warning about route nope")
    assert warning["notification_id"] == body["id"] and warning["known_routes"] == ["db", "dbteam"], warning
    assert relay.metrics()['relay_unknown_route_notifications_total{route="nope"}'] == before + 1
    # a known route does not count as unknown
    status, body = relay.post(payload(904), path="/alerts/db", headers=BEARER)
    assert status == 200 and body["targets"] == ["a"]
    assert relay.metrics()['relay_unknown_route_notifications_total{route="nope"}'] == before + 1
    assert not [k for k in relay.metrics() if k.startswith("relay_unknown_route") and 'route="db"' in k]


@pytest.mark.parametrize("path", ["/alert", "/alerts/a/b", "/"])
def test_paths_that_are_not_the_webhook_get_404_and_store_nothing(env, path):
    relay, _ = env
    before = stored_count(relay)
    status, _ = relay.post(payload(905), path=path, headers=BEARER)
    assert status == 404
    assert stored_count(relay) == before


@pytest.mark.parametrize("labels, route, expected", [
    ({"severity": "critical", "team": "db"}, None, ["a", "b"]),   # route db continues into dbteam
    ({"severity": "critical", "team": "infra"}, None, ["a"]),     # db continues, nothing else matches
    ({"severity": "warning", "team": "web-shop"}, None, ["c"]),
    ({"severity": "warning", "team": "payments"}, None, ["b"]),   # default
    ({"severity": "warning", "team": "payments"}, "db", ["a"]),   # POST /alerts/db: that route
])
def test_routing_end_to_end(env, labels, route, expected):
    relay, receiver = env
    seq = 910 + len(receiver.requests)
    status, body = relay.post(payload(seq, **labels), path=f"/alerts/{route}" if route else "/alerts", headers=BEARER)
    assert status == 200 and body["targets"] == expected
    for target in expected:
        wait_delivered(receiver, body["id"], f"/{target}")
    for other in {"a", "b", "c"} - set(expected):
        assert body["id"] not in receiver.delivered_ids(f"/{other}")


def test_duplicates_within_the_window_delivered_once(env):
    relay, receiver = env
    first = payload(950, alerts=3)
    status, body = relay.post(first, headers=BEARER)
    assert status == 200 and body["status"] == "stored"
    before = relay.metrics()["relay_notifications_duplicate_total"]
    replica = payload(950, alerts=3)
    replica["alerts"].reverse()  # the second Alertmanager replica may order alerts differently
    status, again = relay.post(replica, headers=BEARER)
    assert status == 200 and again["status"] == "duplicate" and again["id"] is None
    resolved = payload(950, alerts=3, status="resolved")
    status, res = relay.post(resolved, headers=BEARER)
    assert res["status"] == "stored"
    wait_delivered(receiver, res["id"], "/b")
    delivered = [b for b in receiver.delivered("/b") if '{}:{seq="950"}' in b["group_keys"]]
    assert sorted(s for b in delivered for s in b["statuses"]) == ["firing", "resolved"]
    assert relay.metrics()["relay_notifications_duplicate_total"] == before + 1


def test_health_ready_and_metrics(env):
    relay, _ = env
    for seq in (990, 991):  # stored here, so the test holds run alone or in any order
        assert relay.post(payload(seq), headers=BEARER)[1]["status"] == "stored"
    assert relay.post(payload(992))[0] == 401
    assert relay.request("GET", "/healthz") == (200, {"status": "ok"})
    assert relay.request("GET", "/readyz") == (200, {"status": "ready"})
    m = relay.metrics()
    for name in ("relay_notifications_received_total", "relay_notifications_stored_total",
                 "relay_notifications_duplicate_total", 'relay_queue_depth{target="a"}',
                 'relay_queue_oldest_age_seconds{target="c"}', 'relay_http_requests_total{code="401"}'):
        assert name in m, name
    assert m["relay_notifications_stored_total"] >= 2
    # every group commit is timed: at least one per stored notification's group, and /readyz's
    assert m["relay_store_commit_seconds_count"] >= 1 and m["relay_store_commit_seconds_sum"] > 0
    assert m['relay_store_commit_seconds_bucket{le="+Inf"}'] == m["relay_store_commit_seconds_count"]
    assert any(k.startswith("relay_delivery_latency_seconds_bucket") for k in m)
    assert any(k.startswith('relay_deliveries_delivered_total{target="b"}') for k in m)


@pytest.mark.live  # waits for the store to recover (seconds)
def test_503_while_the_store_cannot_be_written_then_recovers(env):
    relay, receiver = env
    blocker = sqlite3.connect(relay.tmp / "relay.db", timeout=5, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")  # another writer holds the database: writes fail after the busy timeout
        status, body = relay.post(payload(960), headers=BEARER)
        assert status == 503 and "cannot be written" in body["error"]
        assert relay.request("GET", "/readyz")[0] == 503
        assert relay.request("GET", "/healthz")[0] == 200
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    status, body = relay.post(payload(960), headers=BEARER)  # Alertmanager's retry
    assert status == 200 and body["status"] == "stored"
    wait_delivered(receiver, body["id"], "/b")
    assert relay.request("GET", "/readyz")[0] == 200
