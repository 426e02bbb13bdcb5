"""tests/support/middleware.py's drills do what the middleware alerts watch for, on the real
servers and exporters: connections refused at the limit, Redis evicting at maxmemory, and a
stopped server while its exporter keeps answering (mysql_up, pg_up, redis_up 0)."""

from __future__ import annotations

import re
import time

import pytest

from support.middleware import running_mariadb, running_postgres_exporter, running_redis

pytestmark = pytest.mark.live

WAIT_S = 20.0


def value(text: str, series: str) -> float | None:
    """The value of `series` (name with its labels exactly as exposed) in exposition text."""
    m = re.search(rf"^{re.escape(series)} (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def eventually(what: str, read, check) -> None:
    deadline = time.monotonic() + WAIT_S
    while True:
        got = read()
        if check(got):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still {got!r} after {WAIT_S:g} s")
        time.sleep(0.2)


def test_mariadb_refuses_past_max_connections_and_reports_down_when_stopped():
    with running_mariadb(max_connections=10) as db:  # MariaDB's smallest max_connections
        assert db.sql("SELECT @@max_connections").strip() == "10"
        with db.hold_connections(14):
            eventually("Connection_errors_max_connections",
                       lambda: db.sql("SHOW GLOBAL STATUS LIKE 'Connection_errors_max_connections'").split(),
                       lambda row: len(row) == 2 and int(row[1]) > 0)
        eventually("mysql_global_status_connection_errors_total{error=max_connections}",
                   lambda: value(db.metrics(), 'mysql_global_status_connection_errors_total{error="max_connections"}'),
                   lambda v: v is not None and v > 0)
        db.stop_server()
        assert value(db.metrics(), "mysql_up") == 0


def test_redis_evicts_at_maxmemory_refuses_past_maxclients_and_reports_down_when_stopped():
    with running_redis(maxmemory="2mb", policy="allkeys-lru", maxclients=4) as r:
        r.fill(4_000_000)
        text = r.metrics()
        assert value(text, "redis_evicted_keys_total") > 0
        assert 90 < 100 * value(text, "redis_memory_used_bytes") / value(text, "redis_memory_max_bytes") <= 100
        with r.hold_connections(6):  # past maxclients at once; the exporter is refused too meanwhile
            pass
        eventually("redis_rejected_connections_total", lambda: value(r.metrics(), "redis_rejected_connections_total"),
                   lambda v: v is not None and v > 0)
        r.stop_server()
        assert value(r.metrics(), "redis_up") == 0


def test_postgres_reports_down_when_stopped():
    with running_postgres_exporter() as pg:
        assert value(pg.metrics(), "pg_up") == 1
        pg.stop_server()
        assert value(pg.metrics(), "pg_up") == 0
