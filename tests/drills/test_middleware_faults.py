"""Faults, at the rules: the committed middleware rules (out/rules/{mysql,postgres,redis}.yaml, `for` cut to a
second) in a real Prometheus scraping the real exporters of real servers
(tests/support/middleware.py), and the fault each alert is about caused for real: Redis filled
past its maxmemory and its clients, a Redis replica leaving and its master stopping, MariaDB's
connections exhausted, slow queries, a MariaDB replica's threads stopped, PostgreSQL's
connections near max_connections, servers stopped, servers just started. Not drilled:
replication lag, deadlocks, PostgresqlExporterError (its cases cover them), and Kafka (no broker).
Each drill waits (bounded) for ALERTS to show the alert firing for that server.
(The pipeline drills of tests/drills/test_middleware.py follow a subset of these through
Alertmanager and the relay to chat; these cover the rest of the alerts a real server can show.)
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

import support.shipped as shipped
from support.live import running_prometheus
from support.middleware import running_mariadb, running_postgres_exporter, running_redis

pytestmark = [pytest.mark.live, pytest.mark.drill]

WAIT_S = 60.0
MODULES = ("mysql", "postgres", "redis")
FOR = {name: "1s" for name in (
    "RedisDown", "RedisOutOfConfiguredMaxmemory", "RedisEvictingKeys", "RedisRejectedConnections",
    "RedisReplicationBroken", "RedisMasterLinkDown",
    "MysqlDown", "MysqlTooManyConnections", "MysqlConnectionsRejected", "MysqlSlowQueries",
    "MysqlSlaveIoThreadNotRunning", "MysqlSlaveSqlThreadNotRunning",
    "PostgresqlDown", "PostgresqlTooManyConnections")}


def _rules(tmp_path) -> list[str]:
    paths = shipped.write_rules(tmp_path / "rules", FOR)
    return [p for p in paths if p.rsplit("/", 1)[-1].removesuffix(".yaml") in MODULES]


def _scrape(job: str, *exporter_urls: str) -> dict:
    urls = [urlsplit(u) for u in exporter_urls]
    # 2 s: postgres_exporter 0.11 takes 1 s to answer while its server is down
    return {"job_name": job, "scrape_interval": "2s", "scrape_timeout": "2s", "metrics_path": urls[0].path,
            "static_configs": [{"targets": [u.netloc for u in urls]}]}


def _firing(prom, alert: str, job: str, instance: str | None = None) -> list[dict]:
    where = f', instance="{instance}"' if instance else ""
    return prom.api("query", query=f'ALERTS{{alertname="{alert}", alertstate="firing", job="{job}"{where}}}')["result"]


def _wait_firing(prom, alert: str, job: str, instance: str | None = None) -> None:
    deadline = time.monotonic() + WAIT_S
    while not _firing(prom, alert, job, instance):
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


def _instance(server) -> str:
    return urlsplit(server.exporter_url).netloc


def test_redis_replica_gone_and_master_link_down(tmp_path):
    with running_redis() as primary, running_redis(replica_of=primary) as replica, \
            running_prometheus(tmp_path / "prom", [_scrape("redis", primary.exporter_url, replica.exporter_url)],
                               _rules(tmp_path)) as prom:
        prom.wait_for_scrapes()
        assert not _firing(prom, "RedisReplicationBroken", "redis")
        assert replica.command("REPLICAOF", "NO", "ONE") == b"+OK"  # the replica leaves
        _wait_firing(prom, "RedisReplicationBroken", "redis", _instance(primary))
        assert replica.command("REPLICAOF", primary.host, str(primary.port)) == b"+OK"
        primary.stop_server()  # the replica's master is gone
        _wait_firing(prom, "RedisMasterLinkDown", "redis", _instance(replica))


def test_mysql_slow_queries_and_replication_threads_stopped(tmp_path):
    with running_mariadb(log_bin=True) as primary, running_mariadb(server_id=2, replica_of=primary) as replica, \
            running_prometheus(tmp_path / "prom", [_scrape("mysql", primary.exporter_url, replica.exporter_url)],
                               _rules(tmp_path)) as prom:
        prom.wait_for_scrapes()
        assert not _firing(prom, "MysqlSlaveSqlThreadNotRunning", "mysql")
        primary.sql("SET GLOBAL long_query_time = 0.1")
        for _ in range(3):
            primary.sql("SELECT SLEEP(0.3)")  # a new session takes the global long_query_time
        _wait_firing(prom, "MysqlSlowQueries", "mysql", _instance(primary))
        replica.sql("STOP SLAVE SQL_THREAD")
        _wait_firing(prom, "MysqlSlaveSqlThreadNotRunning", "mysql", _instance(replica))
        replica.sql("STOP SLAVE IO_THREAD")
        _wait_firing(prom, "MysqlSlaveIoThreadNotRunning", "mysql", _instance(replica))


def test_postgres_connections_near_max(tmp_path):
    with running_postgres_exporter(max_connections=10) as pg, \
            running_prometheus(tmp_path / "prom", [_scrape("postgres", pg.exporter_url)], _rules(tmp_path)) as prom:
        prom.wait_for_scrapes()
        assert not _firing(prom, "PostgresqlTooManyConnections", "postgres")
        with pg.hold_connections(8):  # with the exporter's own: 9 of 10
            _wait_firing(prom, "PostgresqlTooManyConnections", "postgres")
