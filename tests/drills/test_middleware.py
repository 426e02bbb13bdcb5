"""Drills: real MariaDB 10.11, PostgreSQL 15 and Redis 7 with their real exporters
(mysqld_exporter 0.14, postgres_exporter 0.11 with the catalog's queries file, redis_exporter
1.45; tests/support/middleware.py) under the shipped pipeline, next to the fixture exporter's
healthy cluster.

Redis (the rules on Prometheus, then on vmalert over VictoriaMetrics): stopped for less than
RedisDown's `for` (nothing pages); stopped (RedisDown, critical) and started; filled to its
2 MiB maxmemory (RedisOutOfConfiguredMaxmemory, middleware) and flushed.
MariaDB and PostgreSQL: MariaDB stopped under `for` (nothing pages); each stopped (MysqlDown,
PostgresqlDown, critical) and started; MariaDB's 10 connections taken and more refused
(MysqlTooManyConnections, MysqlConnectionsRejected, middleware); 17 of PostgreSQL's 20
(PostgresqlTooManyConnections). A server just (re)started fires its *Restarted info alert for
its first minute, by design: the drills allow it. Only timings differ from out/: the `for`s
below and MysqlConnectionsRejected's 5m windows as 10s.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from support.drill import Drill, Page
from support.fixture_exporter import FixtureExporter
from support.middleware import running_mariadb, running_postgres_exporter, running_redis
from support.pipeline import Timings, shipped_pipeline, wait_until

pytestmark = [pytest.mark.live, pytest.mark.drill]

FOR_S = 3
FOR = {name: f"{FOR_S}s" for name in ("RedisDown", "RedisOutOfConfiguredMaxmemory", "MysqlDown", "MysqlTooManyConnections",
                                      "MysqlConnectionsRejected", "PostgresqlDown", "PostgresqlTooManyConnections")}
WINDOW_S = 10
TIMINGS = Timings(for_=FOR, windows={"MysqlConnectionsRejected": ("[5m]", f"[{WINDOW_S}s]")})
SCRAPE_S = 2  # postgres_exporter 0.11 takes about 1 s to answer while its server is down
RESTARTED = {"MysqlRestarted", "PostgresqlRestarted"}


def _scrape(job: str, server) -> dict:
    url = urlsplit(server.exporter_url)
    return {"job_name": job, "scrape_interval": f"{SCRAPE_S}s", "scrape_timeout": f"{SCRAPE_S}s",
            "metrics_path": url.path, "static_configs": [{"targets": [url.netloc]}]}


def _labels(job: str, server) -> dict:
    return {"job": job, "instance": urlsplit(server.exporter_url).netloc}


def _threads_connected(drill: Drill, db) -> float | None:
    """The server's connection count as the exporter scraped it in the last scrape interval or
    so (None without a fresh sample). Read from Prometheus, not by connecting: while the killed
    clients' threads are not freed the server is still full, and a connection of the drill's
    own would be turned away, a real rejection that pages MysqlConnectionsRejected again (seen
    on CI under load, the next drill then failing on it)."""
    instance = _labels("mysql", db)["instance"]
    result = drill.prom.api("query", query=f'max_over_time(mysql_global_status_threads_connected'
                                           f'{{instance="{instance}"}}[{SCRAPE_S + 1}s])')["result"]
    return float(result[0]["value"][1]) if result else None


def _freed(drill: Drill, db) -> bool:
    """Only the exporter's connection is left (and at most one other)."""
    count = _threads_connected(drill, db)
    return count is not None and count <= 2


def _bound(window_s: int = 0) -> float:
    """The rule's window, two evaluations and a scrape."""
    return window_s + 2 * 1 + SCRAPE_S


def _outage_shorter_than_for(drill: Drill, server, alert: str) -> None:
    drill.begin()
    start = drill.fault(server.stop_server)
    time.sleep(FOR_S - SCRAPE_S)  # at most one failed scrape: never down for `for`
    drill.fault(server.start_server)
    time.sleep(2 * SCRAPE_S + 2)
    drill.never_pages(alert, start)


def _down_then_back(drill: Drill, server, page: Page) -> None:
    drill.begin()
    drill.fault(server.stop_server)
    drill.pages(page)
    back = drill.fault(server.start_server)
    drill.resolves(page, since=back, bound_s=_bound())


# --- Redis, on both rule engines -------------------------------------------------------------


@pytest.fixture(scope="module", params=["prometheus", "vmalert"])
def redis_drill(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"drill-redis-{request.param}")
    with FixtureExporter() as fixture, running_redis(maxmemory="2mb") as redis:
        scrapes = [c for c in fixture.scrape_configs() if c["job_name"] != "redis"] + [_scrape("redis", redis)]
        with shipped_pipeline(tmp, scrapes, TIMINGS, engine=request.param) as pipeline:
            d = Drill(pipeline)
            d.redis = redis
            d.quiet()
            yield d


def test_redis_stopped_shorter_than_for_never_pages(redis_drill):
    _outage_shorter_than_for(redis_drill, redis_drill.redis, "RedisDown")


def test_redis_stopped_pages_once_and_resolves(redis_drill):
    _down_then_back(redis_drill, redis_drill.redis, Page("RedisDown", _labels("redis", redis_drill.redis), "critical", 0))


def test_redis_at_its_maxmemory_pages_the_middleware_receiver_and_resolves(redis_drill):
    drill, redis = redis_drill, redis_drill.redis
    drill.begin()
    page = Page("RedisOutOfConfiguredMaxmemory", _labels("redis", redis), "middleware")
    drill.fault(lambda: redis.fill(4 * 1024 * 1024))  # noeviction: writes past 2 MiB are refused
    drill.pages(page)
    flushed = drill.fault(lambda: redis.command("FLUSHALL"))
    drill.resolves(page, since=flushed, bound_s=_bound())


# --- MariaDB and PostgreSQL ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sql_drill(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("drill-sql")
    with FixtureExporter() as fixture, running_mariadb(max_connections=10) as mariadb, \
            running_postgres_exporter(max_connections=20) as postgres:
        scrapes = [*fixture.scrape_configs(), _scrape("mysql", mariadb), _scrape("postgres", postgres)]
        with shipped_pipeline(tmp, scrapes, TIMINGS) as pipeline:
            d = Drill(pipeline, background=RESTARTED)
            d.mariadb, d.postgres = mariadb, postgres
            d.quiet()
            yield d


def test_mariadb_stopped_shorter_than_for_never_pages(sql_drill):
    _outage_shorter_than_for(sql_drill, sql_drill.mariadb, "MysqlDown")


def test_mariadb_stopped_pages_once_and_resolves(sql_drill):
    _down_then_back(sql_drill, sql_drill.mariadb, Page("MysqlDown", _labels("mysql", sql_drill.mariadb), "critical", 0))


def test_postgresql_stopped_pages_once_and_resolves(sql_drill):
    _down_then_back(sql_drill, sql_drill.postgres,
                    Page("PostgresqlDown", _labels("postgres", sql_drill.postgres), "critical", 0))


def test_mariadb_connections_exhausted_page_and_resolve(sql_drill):
    drill, db = sql_drill, sql_drill.mariadb
    drill.begin()
    full = Page("MysqlTooManyConnections", _labels("mysql", db), "middleware")
    refused = Page("MysqlConnectionsRejected", _labels("mysql", db), "middleware")
    with db.hold_connections(12):  # 10 allowed: the rest are refused
        drill.pages(full, refused)
    # The clients are killed; the server frees their threads when its SLEEP() notices, seconds
    # later: the fault is gone when the server says so.
    wait_until("MariaDB still counts the killed clients' connections",
               lambda: _freed(drill, db), lambda: _threads_connected(drill, db))
    released = time.time()
    drill.resolves(full, since=released, bound_s=_bound())
    drill.resolves(refused, since=released, bound_s=_bound(WINDOW_S))


def test_postgresql_connections_near_the_limit_page_and_resolve(sql_drill):
    drill, pg = sql_drill, sql_drill.postgres
    drill.begin()
    page = Page("PostgresqlTooManyConnections", _labels("postgres", pg), "middleware")
    with pg.hold_connections(17):  # of 20, with the exporter's own
        drill.pages(page)
    drill.resolves(page, since=time.time(), bound_s=_bound())
