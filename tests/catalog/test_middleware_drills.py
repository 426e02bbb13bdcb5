"""Drills: the committed middleware rules (out/rules/{mysql,postgres,redis}.yaml, `for` cut to a
second) in a real Prometheus scraping the real exporters of real servers
(tests/support/middleware.py), and the fault each alert is about caused for real: Redis filled
past its maxmemory, MariaDB's connections exhausted, servers stopped, servers just started.
Each drill waits (bounded) for ALERTS to show the alert firing for that server.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

import support.shipped as shipped
from support.live import running_prometheus
from support.middleware import running_mariadb, running_postgres_exporter, running_redis

pytestmark = pytest.mark.live

WAIT_S = 60.0
MODULES = ("mysql", "postgres", "redis")
FOR = {name: "1s" for name in (
    "RedisDown", "RedisOutOfConfiguredMaxmemory", "RedisEvictingKeys", "RedisRejectedConnections",
    "MysqlDown", "MysqlTooManyConnections", "MysqlConnectionsRejected", "PostgresqlDown")}


def _rules(tmp_path) -> list[str]:
    paths = shipped.write_rules(tmp_path / "rules", FOR)
    return [p for p in paths if p.rsplit("/", 1)[-1].removesuffix(".yaml") in MODULES]


def _scrape(job: str, exporter_url: str) -> dict:
    url = urlsplit(exporter_url)
    # 2 s: postgres_exporter 0.11 takes 1 s to answer while its server is down
    return {"job_name": job, "scrape_interval": "2s", "scrape_timeout": "2s", "metrics_path": url.path,
            "static_configs": [{"targets": [url.netloc]}]}


def _firing(prom, alert: str, job: str) -> list[dict]:
    return prom.api("query", query=f'ALERTS{{alertname="{alert}", alertstate="firing", job="{job}"}}')["result"]


def _wait_firing(prom, alert: str, job: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not _firing(prom, alert, job):
        if time.monotonic() > deadline:
            firing = prom.api("query", query='ALERTS{alertstate="firing"}')["result"]
            raise AssertionError(f"{alert} ({job}) not firing after {WAIT_S:g} s; firing: "
                                 f"{sorted(a['metric']['alertname'] for a in firing)}")
        time.sleep(0.5)


def test_redis_full_evicting_refusing_and_down(tmp_path):
    with running_redis(maxmemory="2mb", policy="allkeys-lru", maxclients=6) as r, \
            running_prometheus(tmp_path / "prom", [_scrape("redis", r.exporter_url)], _rules(tmp_path)) as prom:
        prom.wait_for_scrapes()
        assert not _firing(prom, "RedisOutOfConfiguredMaxmemory", "redis")
        r.fill(4_000_000)
        _wait_firing(prom, "RedisOutOfConfiguredMaxmemory", "redis")
        _wait_firing(prom, "RedisEvictingKeys", "redis")
        with r.hold_connections(8):
            pass
        _wait_firing(prom, "RedisRejectedConnections", "redis")
        r.stop_server()
        _wait_firing(prom, "RedisDown", "redis")


def test_mysql_connections_exhausted_then_down(tmp_path):
    with running_mariadb(max_connections=10) as db, \
            running_prometheus(tmp_path / "prom", [_scrape("mysql", db.exporter_url)], _rules(tmp_path)) as prom:
        prom.wait_for_scrapes()
        _wait_firing(prom, "MysqlRestarted", "mysql")  # just started: up for less than 60 s
        assert not _firing(prom, "MysqlTooManyConnections", "mysql")
        with db.hold_connections(14):
            _wait_firing(prom, "MysqlTooManyConnections", "mysql")
            _wait_firing(prom, "MysqlConnectionsRejected", "mysql")
        db.stop_server()
        _wait_firing(prom, "MysqlDown", "mysql")


def test_postgres_started_then_down(tmp_path):
    with running_postgres_exporter() as pg, \
            running_prometheus(tmp_path / "prom", [_scrape("postgres", pg.exporter_url)], _rules(tmp_path)) as prom:
        prom.wait_for_scrapes()
        _wait_firing(prom, "PostgresqlRestarted", "postgres")
        assert not _firing(prom, "PostgresqlExporterError", "postgres")
        pg.stop_server()
        _wait_firing(prom, "PostgresqlDown", "postgres")
