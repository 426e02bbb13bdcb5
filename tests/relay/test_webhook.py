"""Generic webhook target against a recording server over real HTTP."""

from __future__ import annotations

import json

import msgspec
import pytest

import support.alertsamples as samples
from support.chatfakes import WebhookFake
from support.deliver import deliver
from common.errors import ConfigError
from relay import payload as pl
from relay.targets import KINDS
from relay.targets.webhook import payload_of

WHERE = "relay.yaml: targets.cmdb"


def target(fake: WebhookFake, **settings):
    return KINDS["webhook"].from_config("cmdb", {"url": fake.url, **settings}, WHERE)


def test_payload_is_forwarded_as_received_unknown_fields_included():
    body = samples.payload(samples.alert())
    body["notification_reason"] = "new"  # newer Alertmanagers add fields
    with WebhookFake() as fake:
        assert deliver(target(fake, timezone="Asia/Shanghai"), [samples.notification(body)]).kind == "ok"
    assert fake.accepted == [body]
    assert fake.received[0].headers["Content-Type"] == "application/json"


def test_digest_is_an_array_of_payloads_in_order():
    first, second = samples.firing(), samples.resolved()
    with WebhookFake() as fake:
        assert deliver(target(fake), [first, second]).kind == "ok"
    assert fake.accepted == [[json.loads(first.body), json.loads(second.body)]]


def test_payload_is_rebuilt_when_the_store_kept_none():
    original = samples.payload(samples.alert(status="resolved", ends="2023-11-14T23:18:25Z"),
                               samples.alert(pod="web-2"))
    stripped = msgspec.structs.replace(samples.notification(original), body=b"")
    assert payload_of(stripped) == original
    with WebhookFake() as fake:
        assert deliver(target(fake), [stripped]).kind == "ok"
    assert fake.accepted == [original]


def test_heartbeat_alerts_are_cut_from_the_forwarded_bytes_too():
    body = samples.payload(samples.alert(pod="web-1"), samples.alert("Watchdog", pod="w"))
    body["notification_reason"] = "new"
    n = pl.without_alerts(pl.parse_body(json.dumps(body).encode()), "Watchdog")
    assert [a.labels["alertname"] for a in n.alerts] == [body["alerts"][0]["labels"]["alertname"]]
    with WebhookFake() as fake:
        assert deliver(target(fake), [n]).kind == "ok"
    assert fake.accepted == [{**body, "alerts": body["alerts"][:1]}]


def test_bearer_token_and_headers(tmp_path):
    (tmp_path / "token").write_text("tkn-123\n")
    with WebhookFake(bearer="tkn-123") as fake:
        ops = target(fake, bearer_token_file=str(tmp_path / "token"), headers={"X-Source": "relay"})
        assert deliver(ops, [samples.firing()]).kind == "ok"
        anonymous = deliver(target(fake), [samples.firing()])
    assert fake.received[0].headers["X-Source"] == "relay"
    assert anonymous.kind == "permanent" and "401" in anonymous.detail
    assert "tkn-123" not in repr(ops)


def test_server_errors_and_429_retry_other_4xx_permanent():
    with WebhookFake() as fake:
        ops = target(fake)
        fake.fail_next(2, status=500)
        fake.fail_next(1, status=429, headers={"Retry-After": "7"})
        outcomes = [deliver(ops, [samples.firing()]) for _ in range(4)]
        fake.fail_next(1, status=404)
        gone = deliver(ops, [samples.firing()])
    assert [o.kind for o in outcomes] == ["retry", "retry", "retry", "ok"]
    assert outcomes[2].retry_after == 7.0
    assert gone.kind == "permanent"
    assert len(fake.accepted) == 1


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.template: unknown key"):
        KINDS["webhook"].from_config("cmdb", {"url": "http://x/", "template": "a.j2"}, WHERE)
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.headers\.Authorization: set by the relay"):
        KINDS["webhook"].from_config("cmdb", {"url": "http://x/", "bearer_token_env": "HOME",
                                              "headers": {"Authorization": "x"}}, WHERE)
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.headers\.X: must be a string"):
        KINDS["webhook"].from_config("cmdb", {"url": "http://x/", "headers": {"X": 1}}, WHERE)
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.bearer_token: put the secret in a file"):
        KINDS["webhook"].from_config("cmdb", {"url": "http://x/", "bearer_token": "t"}, WHERE)
