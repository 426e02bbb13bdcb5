"""The relay's pure parts: matchers and routes, relay.yaml validation, payload validation,
the sliding-window rate limit, dedupe keys, Retry-After, inbound auth."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json

import pytest

import support.relay_testkind as relay_testkind  # noqa: F401  (registers the "testhook" kind)
from relay.cli import main
from common.errors import ConfigError
from relay.errors import PayloadError
from relay.secrets import SecretReader
from relay import payload as pl
from relay.config import Auth, load_relay_config, parse_relay_config
from relay.ratelimit import SlidingWindowLimiter
from relay.server import authorized
from relay.targets.base import RateLimit
from relay.targets.answers import retry_after as parse_retry_after
from support.relay_support import payload

BASE = {
    "targets": {"a": {"kind": "testhook", "url": "http://127.0.0.1:1/a"},
                "b": {"kind": "testhook", "url": "http://127.0.0.1:1/b"},
                "c": {"kind": "testhook", "url": "http://127.0.0.1:1/c"}},
    "routes": [
        {"name": "db", "matchers": ['severity="critical"', 'team=~"db|infra"'], "targets": ["a"], "continue": True},
        {"matchers": ["team=db"], "targets": ["b"]},
        {"matchers": ['env!~"dev|test"', 'team!=""'], "targets": ["c"]},
    ],
    "default_targets": ["c"],
}


def cfg(**changes):
    data = copy.deepcopy(BASE)
    data.update(changes)
    return parse_relay_config(data, "relay.yaml", "/tmp")


# --- routing -----------------------------------------------------------------------------

def test_routes_in_order_with_continue_and_default():
    router = cfg().router
    # route 0 matches and continues, route 1 matches and stops: c (route 2) is never reached
    assert router.targets_for({"severity": "critical", "team": "db"}) == ("a", "b")
    # route 0 does not match (warning); route 1 matches and stops
    assert router.targets_for({"severity": "warning", "team": "db"}) == ("b",)
    # only route 2 matches
    assert router.targets_for({"team": "web", "env": "prod"}) == ("c",)
    # nothing matches: default
    assert router.targets_for({"team": "web", "env": "dev"}) == ("c",)
    assert router.targets_for({}) == ("c",)
    # a named route is selected without evaluating its matchers
    assert router.targets_for({}, route="db") == ("a",)
    # a name relay.yaml does not know: the default targets (Alertmanager would drop a 4xx)
    assert router.targets_for({"severity": "critical", "team": "db"}, route="nope") == ("c",)
    assert not router.knows("nope") and router.knows("db")


def test_a_route_without_matchers_is_reached_by_name_only():
    router = cfg(routes=[{"name": "pager", "targets": ["a"]}, {"matchers": ["team=db"], "targets": ["b"]}],
                 default_targets=["c"]).router
    assert router.targets_for({"team": "web"}) == ("c",)  # not taken by the matcher-less route
    assert router.targets_for({"team": "db"}) == ("b",)
    assert router.targets_for({"team": "web"}, route="pager") == ("a",)
    with pytest.raises(ConfigError, match=r"^relay\.yaml: routes\[0\]: give the route matchers .* or a name"):
        cfg(routes=[{"targets": ["a"]}])


def test_continue_route_matching_alone_does_not_fall_back_to_default():
    router = cfg(routes=[{"matchers": ["team=db"], "targets": ["a"], "continue": True}], default_targets=["b"]).router
    assert router.targets_for({"team": "db"}) == ("a",)
    assert router.targets_for({"team": "web"}) == ("b",)


# --- relay.yaml validation ------------------------------------------------------------

@pytest.mark.parametrize("changes, key, message", [
    ({"listen": "9095"}, "listen", "not host:port"),
    ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
    ({"dedup_window": "ten minutes"}, "dedup_window", "not a duration"),
    ({"max_age": "0s"}, "max_age", "longer than"),
    ({"colour": "red"}, "colour", "unknown key"),
    ({"default_targets": ["nope"]}, "default_targets[0]", "unknown target 'nope'"),
    ({"routes": [{"matchers": ["team=db"], "targets": ["a", "zz"]}]}, "routes[0].targets[1]", "unknown target 'zz'"),
    ({"routes": [{"matchers": ["team"], "targets": ["a"]}]}, "routes[0].matchers[0]", "is not a matcher"),
    ({"routes": [{"matchers": ["team=db"]}]}, "routes[0].targets", "required"),
    ({"routes": [{"name": "x", "targets": ["a"]}, {"name": "x", "targets": ["b"]}]}, "routes[1].name", "defined twice"),
    ({"routes": [{"matchers": ["team=db"], "targets": ["a"], "continue": "yes"}]}, "routes[0].continue", "true or false"),
    ({"targets": {"a": {"url": "http://x"}}}, "targets.a.kind", "required"),
    ({"targets": {"a": {"kind": "pager", "url": "http://x"}}}, "targets.a.kind", "unknown kind 'pager'"),
    ({"targets": {"a": {"kind": "testhook", "url": "http://x", "rate_limits": [{"count": 0, "per": "1m"}]}}},
     "targets.a.rate_limits[0].count", "integer >= 1"),
    ({"targets": {"a": {"kind": "testhook", "url": "http://x", "rate_limits": [{"count": 5}]}}},
     "targets.a.rate_limits[0].per", "required"),
    ({"heartbeat": {"missing_after": "5m"}}, "heartbeat.targets", "required"),
    ({"heartbeat": {"missing_after": "soon", "targets": ["a"]}}, "heartbeat.missing_after", "not a duration"),
    ({"auth": {"bearer_token_env": "RELAY_TEST_UNSET_VARIABLE"}}, "auth.bearer_token_env", "is not set"),
    ({"auth": {"bearer_token_file": "/nonexistent/token"}}, "auth.bearer_token_file", "cannot read"),
    ({"auth": {"basic": {"username": "am"}}}, "auth.basic", "password_file or password_env"),
    ({"retry": {"initial": "10s", "max": "1s"}}, "retry.max", "not be shorter"),
    ({"store": {"kind": "mysql"}}, "store.kind", "unknown store 'mysql' (known: sqlite, postgresql)"),
    ({"store": {"kind": "postgresql"}}, "store", "set one of dsn_file and dsn_env"),
    ({"store": {"kind": "postgresql", "dsn_file": "a", "dsn_env": "B"}}, "store", "set one of dsn_file and dsn_env"),
    ({"store": {"kind": "sqlite", "dsn_file": "a"}}, "store.dsn_file", "not a setting of a sqlite store"),
    ({"store": {"kind": "postgresql", "path": "relay.db", "dsn_env": "X"}}, "store.path",
     "not a setting of a postgresql store"),
    ({"store": {"kind": "postgresql", "dsn_file": "/nonexistent/dsn"}}, "store.dsn_file", "cannot read"),
    ({"store": {"kind": "postgresql", "dsn_env": "RELAY_TEST_UNSET_VARIABLE"}}, "store.dsn_env", "is not set"),
    ({"store": {"kind": "postgresql", "dsn_env": "HOME", "lease": "15s"}, "delivery_timeout": "10s"}, "store.lease",
     "at least twice delivery_timeout (10s)"),
    ({"store": {"kind": "postgresql", "dsn_env": "HOME", "lease": "soon"}}, "store.lease", "not a duration"),
])
def test_config_errors_name_the_key(changes, key, message):
    data = copy.deepcopy(BASE)
    data.update(changes)
    if "default_targets" not in changes and "targets" in changes:
        data["routes"], data["default_targets"] = [], []
    with pytest.raises(ConfigError) as err:
        parse_relay_config(data, "relay.yaml", "/tmp")
    assert str(err.value).startswith(f"relay.yaml: {key}: "), str(err.value)
    assert message in str(err.value)


def test_target_keys_are_checked_by_the_kind_with_the_full_key_path():
    data = copy.deepcopy(BASE)
    data["targets"]["b"]["colour"] = "red"
    with pytest.raises(ConfigError, match=r"^relay.yaml: targets.b.colour: unknown key"):
        parse_relay_config(data, "relay.yaml", "/tmp")


def test_target_gets_top_level_timezone_and_rate_limit_override():
    data = copy.deepcopy(BASE)
    data["timezone"] = "Europe/Berlin"
    data["targets"]["b"]["timezone"] = "UTC"
    data["targets"]["c"]["rate_limits"] = [{"count": 20, "per": "1m"}, {"count": 5, "per": "1s"}]
    c = parse_relay_config(data, "relay.yaml", "/tmp")
    assert c.targets["a"].target.timezone == "Europe/Berlin"
    assert c.targets["b"].target.timezone == "UTC"
    assert c.targets["c"].rate_limits == (RateLimit(20, 60.0), RateLimit(5, 1.0))
    assert c.targets["a"].rate_limits == relay_testkind.TestHook.default_rate_limits


def test_secrets_from_file_and_env_never_shown(tmp_path, monkeypatch):
    token = tmp_path / "token"
    token.write_text("s3cret-token\n")
    monkeypatch.setenv("RELAY_TEST_PASSWORD", "pa55word")
    c = cfg(auth={"bearer_token_file": str(token), "basic": {"username": "am", "password_env": "RELAY_TEST_PASSWORD"}})
    assert c.auth.bearer_token == b"s3cret-token"
    assert c.auth.basic_password == b"pa55word"
    assert "s3cret" not in repr(c.auth) and "pa55" not in repr(c.auth)
    assert "s3cret" not in repr(c) and "pa55" not in repr(c)


def test_relative_secret_files_are_read_from_the_config_folder_for_auth_too(tmp_path, monkeypatch):
    (tmp_path / "token").write_text("t0ken\n")
    monkeypatch.chdir("/")  # not where relay.yaml is
    c = parse_relay_config({**copy.deepcopy(BASE), "auth": {"bearer_token_file": "token"}}, "relay.yaml", str(tmp_path))
    assert c.auth.bearer_token == b"t0ken"


def test_every_unreadable_secret_is_listed_at_once(tmp_path):
    data = copy.deepcopy(BASE)
    data["auth"] = {"bearer_token_env": "RELAY_TEST_UNSET_A", "basic": {"username": "am", "password_file": "missing"}}
    with pytest.raises(ConfigError) as err:
        parse_relay_config(data, "relay.yaml", str(tmp_path))
    message = str(err.value)
    assert message.startswith("relay.yaml: 2 secrets cannot be read:"), message
    assert "auth.bearer_token_env: environment variable RELAY_TEST_UNSET_A is not set" in message
    assert f"auth.basic.password_file: cannot read {tmp_path / 'missing'}" in message


def test_check_config_cli(tmp_path, capsys):
    import yaml

    good = tmp_path / "relay.yaml"
    good.write_text(yaml.safe_dump(BASE))
    assert main(["--config", str(good), "--check-config"]) == 0
    assert "3 targets, 3 routes" in capsys.readouterr().out
    bad = copy.deepcopy(BASE)
    bad["routes"][1]["targets"] = ["missing"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    assert main(["--config", str(path), "--check-config"]) == 1
    assert f"{path}: routes[1].targets[0]: unknown target 'missing'" in capsys.readouterr().err


def test_relative_store_path_is_relative_to_the_config(tmp_path):
    import yaml

    (tmp_path / "relay.yaml").write_text(yaml.safe_dump({**BASE, "store": "data/relay.db"}))
    assert load_relay_config(str(tmp_path / "relay.yaml")).store.path == str(tmp_path / "data/relay.db")
    (tmp_path / "relay.yaml").write_text(yaml.safe_dump({**BASE, "store": {"kind": "sqlite", "path": "x.db"}}))
    assert load_relay_config(str(tmp_path / "relay.yaml")).store.path == str(tmp_path / "x.db")


def test_a_postgresql_store_reads_its_connection_string_as_a_secret(tmp_path):
    import yaml

    (tmp_path / "pg.dsn").write_text("postgresql://relay:hunter2@db.example:5433/alerts\n")
    (tmp_path / "relay.yaml").write_text(yaml.safe_dump({**BASE, "store": {"kind": "postgresql", "dsn_file": "pg.dsn"}}))
    cfg = load_relay_config(str(tmp_path / "relay.yaml"))
    assert (cfg.store.kind, cfg.store.lease) == ("postgresql", 20.0)
    assert cfg.store.describe() == "postgresql://relay@db.example:5433/alerts"
    assert "hunter2" not in repr(cfg.store) + cfg.store.describe()
    unread = load_relay_config(str(tmp_path / "relay.yaml"), SecretReader(read=False)).store
    assert unread.describe() == f"postgresql (connection string from file {tmp_path / 'pg.dsn'})"


# --- payload validation -----------------------------------------------------------------

def _bad(data) -> PayloadError:
    with pytest.raises(PayloadError) as err:
        pl.to_notification(data)
    return err.value


def test_valid_payload_becomes_a_notification_with_utc_times():
    data = payload(3, alerts=2)
    data["alerts"][0]["startsAt"] = "2024-05-01T18:00:00.123456789+08:00"
    data["someFutureField"] = {"x": 1}
    n = pl.to_notification(data)
    assert n.group_key == '{}:{seq="3"}' and n.status == "firing" and len(n.alerts) == 2
    assert n.alerts[0].starts_at == dt.datetime(2024, 5, 1, 10, 0, 0, 123457, tzinfo=dt.timezone.utc)  # ns rounded to µs
    assert n.alerts[0].ends_at is None  # 0001-01-01T00:00:00Z means "still firing"
    assert json.loads(n.body) == data


@pytest.mark.parametrize("mutate, field, message", [
    (lambda d: d.update(version="3"), "version", 'expected "4"'),
    (lambda d: d.pop("version"), "version", "required"),
    (lambda d: d.pop("groupKey"), "groupKey", "required"),
    (lambda d: d.update(status="pending"), "status", "expected firing or resolved"),
    (lambda d: d.update(alerts=[]), "alerts", "length >= 1"),
    (lambda d: d.update(alerts={"a": 1}), "alerts", "Expected `array`, got `object`"),
    (lambda d: d.update(commonLabels={"x": 1}), "commonLabels[...]", "Expected `str`, got `int`"),
    (lambda d: d.update(truncatedAlerts=-1), "truncatedAlerts", "Expected `int` >= 0"),
    (lambda d: d["alerts"][0].update(startsAt="yesterday"), "alerts[0].startsAt", "Invalid RFC3339 encoded datetime"),
    (lambda d: d["alerts"][0].update(startsAt="2024-05-01T10:00:00"), "alerts[0].startsAt", "with a timezone component"),
    (lambda d: d["alerts"][0].pop("labels"), "alerts[0].labels", "required"),
    (lambda d: d["alerts"].append("x"), "alerts[1]", "Expected `object`, got `str`"),
])
def test_schema_errors_are_422_and_name_the_field(mutate, field, message):
    data = payload(1)
    mutate(data)
    err = _bad(data)
    assert err.status == 422
    assert str(err).startswith(f"{field}: ") and message in str(err), str(err)


def test_json_and_content_type_errors():
    with pytest.raises(PayloadError) as err:
        pl.parse_body(b'{"version": "4",')
    assert err.value.status == 400 and "malformed JSON: Input data was truncated" in str(err.value)
    with pytest.raises(PayloadError) as err:
        pl.parse_body(b"[1, 2]")
    assert err.value.status == 422 and "JSON object" in str(err.value)
    with pytest.raises(PayloadError) as err:
        pl.check_content_type("application/x-www-form-urlencoded")
    assert err.value.status == 415
    pl.check_content_type("application/json; charset=utf-8")


def test_dedup_key_same_group_same_times_only():
    a = pl.to_notification(payload(1, alerts=3))
    reordered = payload(1, alerts=3)
    reordered["alerts"].reverse()
    assert pl.dedup_key(a, None) == pl.dedup_key(pl.to_notification(reordered), None)
    resolved = pl.to_notification(payload(1, alerts=3, status="resolved"))
    assert pl.dedup_key(a, None) != pl.dedup_key(resolved, None)
    later = payload(1, alerts=3)
    later["alerts"][0]["startsAt"] = "2024-05-02T10:00:00Z"
    assert pl.dedup_key(a, None) != pl.dedup_key(pl.to_notification(later), None)
    assert pl.dedup_key(a, None) != pl.dedup_key(a, "db")


# --- rate limit, Retry-After, auth ------------------------------------------------------

def test_sliding_window_never_exceeds_any_limit():
    lim = SlidingWindowLimiter((RateLimit(5, 1.0), RateLimit(20, 60.0)))
    sent, t = [], 0.0
    while True:
        at = lim.next_free(t)
        if at >= 180:
            break
        assert lim.capacity(at, at) >= 1
        lim.record(at)
        sent.append(at)
        t = at
    for i, start in enumerate(sent):  # every window of each size holds at most its count
        assert sum(1 for s in sent[i:] if s < start + 1.0) <= 5
        assert sum(1 for s in sent[i:] if s < start + 60.0) <= 20
    assert len(sent) == 60  # 20 per minute for three minutes: never more, and never idle when allowed


def test_budget_counts_down_and_frees_after_the_window():
    lim = SlidingWindowLimiter((RateLimit(3, 10.0),))
    assert lim.capacity(0.0, 0.0) == 3
    lim.record(0.0)
    lim.record(1.0)
    assert lim.capacity(1.0, 1.0) == 1
    lim.record(2.0)
    assert lim.capacity(2.0, 2.0) == 0 and lim.next_free(2.0) == 10.0
    assert lim.capacity(10.0, 10.0) == 1


def test_retry_after_seconds_and_http_date():
    assert parse_retry_after({"Retry-After": "7"}) == 7.0
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=30)
    seconds = parse_retry_after({"Retry-After": soon.strftime("%a, %d %b %Y %H:%M:%S GMT")})
    assert 25 <= seconds <= 31
    assert parse_retry_after({}) is None and parse_retry_after({"Retry-After": "soon"}) is None


def test_auth_bearer_or_basic():
    auth = Auth(b"tok", b"am", b"pw")
    basic = "Basic " + base64.b64encode(b"am:pw").decode()
    assert authorized(auth, "Bearer tok") and authorized(auth, basic)
    assert not authorized(auth, "Bearer tok2")
    assert not authorized(auth, "Basic " + base64.b64encode(b"am:pw2").decode())
    assert not authorized(auth, "Basic " + base64.b64encode(b"root:pw").decode())
    assert not authorized(auth, "Basic !!!") and not authorized(auth, "")
    assert authorized(None, "")
    assert not authorized(Auth(None, b"am", b"pw"), "Bearer tok")


def test_a_workers_page_keeps_the_first_deliveries_in_sending_order_and_spills_the_rest(monkeypatch):
    import support.alertsamples as alertsamples
    from relay import worker as w

    monkeypatch.setattr(w, "PAGE", 4)
    worker = w.TargetWorker.__new__(w.TargetWorker)  # the page only: no store, no task
    worker.page, worker.page_ids, worker.spilled = [], set(), False
    n = alertsamples.firing()
    for delivery_id, prio in [(1, 1), (2, 1), (3, 11), (4, 1), (5, 11)]:  # 11: resolved, goes last
        worker._admit(w.Item(delivery_id, n, prio))
    assert [i.delivery_id for i in worker.page] == [1, 2, 4, 3] and worker.spilled  # 5 waits in the store
    worker._admit(w.Item(6, n, 0))  # a critical one: in, the last one out
    assert [i.delivery_id for i in worker.page] == [6, 1, 2, 4] and worker.page_ids == {6, 1, 2, 4}
    worker._admit(w.Item(1, n, 1))  # already there
    worker._forget({2, 6})
    assert [i.delivery_id for i in worker.page] == [1, 4] and worker.page_ids == {1, 4}
