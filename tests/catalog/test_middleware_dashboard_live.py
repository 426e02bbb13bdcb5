"""The middleware dashboard's rows against the real servers and exporters (support.middleware),
scraped by a Prometheus under the job names the selectors expect: every query of the row, as
Grafana would send it, returns data, and the water levels read what the servers hold; so do
the weekly inspection's middleware peaks (over the last minute instead of the week).

- Redis: redis-server 7, a master with maxmemory and maxclients and its replica, redis_exporter
  1.45 for each (job "redis");
- MySQL: MariaDB 10.11, a primary and a replica replicating from it, mysqld_exporter 0.14 for
  each (job "mysql");
- PostgreSQL: PostgreSQL 15 and postgres_exporter 0.11 with the catalog's
  docs/exporters/postgres_exporter-queries.yaml, where pg_replication_lag and
  pg_postmaster_start_time_seconds come from (job "postgres").
"""

from __future__ import annotations

import json
import time

import pytest

from gen.build import build
from gen.dash import check
from support.live import running_prometheus
from support.middleware import HOST, running_mariadb, running_postgres_exporter, running_redis

pytestmark = pytest.mark.live

MAXCLIENTS = 200
HELD = 40  # idle client connections held open: 20% of maxclients
FILLED = 8 * 2**20  # of 64 MiB


def _row_queries(data: dict, row_title: str) -> list[check.Query]:
    """The queries of the panels under the row titled `row_title`."""
    ids, current = set(), None
    for p in check.panels(data):
        if p["type"] == "row":
            current = p["title"]
        elif current == row_title:
            ids.add(p["id"])
    return [q for q in check.queries(data) if q.panel_id in ids]


@pytest.fixture(scope="module")
def built() -> dict:
    _, files = build(None)
    return files


@pytest.fixture(scope="module")
def dashboard(built) -> dict:
    return json.loads(built["grafana/middleware.json"])


@pytest.fixture(scope="module")
def inspection(built) -> dict:
    return json.loads(built["grafana/k8s-weekly-inspection.json"])


INSPECTION_ROW = "Middleware water levels (top 10 servers by weekly peak)"


def _peaks(prom, inspection: dict, service: str) -> dict:
    """The weekly inspection's middleware panels of `service` (their titles start with it), over
    the last minute: panel title -> {legend label values: peak}."""
    out = {}
    for q in _row_queries(inspection, INSPECTION_ROW):
        if q.title.startswith(service):
            result = prom.api("query", query=check.fill(q.expr, {}, check.macros("10s", "1s", "1m")))["result"]
            assert result, f"{q.where}: no data"
            out[q.title] = {tuple(sorted(r["metric"].items())): float(r["value"][1]) for r in result}
    assert out, f"no panel of {service} in the inspection's row"
    return out


def _until(what: str, ready, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} after {timeout:g} s")
        time.sleep(0.2)


MACROS = check.macros("10s", "1s", "1m")


def _row_values(prom, dashboard: dict, row: str, variable: str, targets: list[str]) -> dict:
    """Every query of `row`, the variable on All: (panel title, refId) -> sorted values. Fails
    naming the queries that return nothing, or when the variable does not list `targets`."""
    prom.wait_for_scrapes()
    time.sleep(4)  # a few more scrapes, so that rate() over $__rate_interval has two samples
    queries = _row_queries(dashboard, row)
    assert len(queries) >= 10, [q.where for q in queries]
    empty, values = [], {}
    for q in queries:
        expr = check.fill(q.expr, {variable: ".*"}, MACROS)
        result = prom.api("query", query=expr)["result"]
        if not result:
            empty.append(f"{q.where}\n    {expr}")
        values[(q.title, q.ref)] = sorted(float(r["value"][1]) for r in result)
    assert not empty, "queries without data from the real exporters:\n  " + "\n  ".join(empty)
    (var,) = [q for q in check.queries(dashboard) if q.title == f"variable {variable}"]
    series = prom.api("series", **{"match[]": check.fill(var.expr, {}, MACROS)})
    assert {s[var.label] for s in series} == set(targets)
    return values


def _scrape(job: str, targets: list[str]) -> list[dict]:
    return [{"job_name": job, "static_configs": [{"targets": targets}]}]


def test_every_redis_panel_returns_data_from_a_real_redis_exporter(dashboard, inspection, tmp_path):
    with running_redis(maxmemory="64mb", maxclients=MAXCLIENTS) as master, running_redis(replica_of=master) as replica:
        _until("the replica is not linked", lambda: 'redis_master_link_up{master_host="127.0.0.1"' in replica.metrics()
               and "redis_connected_slave_lag_seconds{" in master.metrics())
        assert master.command("SET", "filler", b"x" * FILLED) == b"+OK"  # one value: one reply
        targets = [f"{HOST}:{master.exporter_port}", f"{HOST}:{replica.exporter_port}"]
        with master.hold_connections(HELD), running_prometheus(tmp_path, _scrape("redis", targets)) as prom:
            values = _row_values(prom, dashboard, "Redis", "redis", targets)
            peaks = _peaks(prom, inspection, "Redis")

    assert values[("Servers up", "A")] == [2.0] and values[("Servers up", "B")] == [2.0]
    # the master's 8 MiB of 64 MiB; the replica has no maxmemory and is left out
    (memory,) = values[("Memory, % of maxmemory (highest)", "A")]
    assert 100 * FILLED / (64 * 2**20) < memory < 30
    assert values[("Memory, % of maxmemory", "A")] == [memory]
    # the held connections, the exporter's and the replica's
    (clients,) = values[("Clients, % of maxclients (highest)", "A")]
    assert 100 * HELD / MAXCLIENTS < clients < 100 * (HELD + 5) / MAXCLIENTS
    assert values[("Memory used and maxmemory", "B")] == [64.0 * 2**20]
    assert values[("Replicas and replication lag", "A")] == [0.0, 1.0]  # the replica's none, the master's one
    assert values[("Replicas and replication lag", "B")] == [1.0]  # the replica's link to its master
    # the inspection's peaks: the master's memory (the replica has no maxmemory), both servers' clients
    (memory_peak,) = peaks["Redis memory, % of maxmemory"].values()
    assert memory_peak >= memory
    assert len(peaks["Redis clients, % of maxclients"]) == 2


def test_every_mysql_panel_returns_data_from_a_real_mysqld_exporter(dashboard, inspection, tmp_path):
    with running_mariadb(max_connections=50, log_bin=True) as primary, \
            running_mariadb(max_connections=50, server_id=2, replica_of=primary) as replica:
        _until("the replica's exporter reports no replication",
               lambda: "mysql_slave_status_seconds_behind_master{" in replica.metrics())
        primary.sql("CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY); "
                    "INSERT INTO shop.t VALUES (1), (2); UPDATE shop.t SET id = 3 WHERE id = 2")
        targets = [f"{HOST}:{primary.exporter_port}", f"{HOST}:{replica.exporter_port}"]
        with primary.hold_connections(10), running_prometheus(tmp_path, _scrape("mysql", targets)) as prom:
            _until("the held connections are not all in", lambda: int(primary.sql(
                "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'THREADS_CONNECTED'"
            ).strip()) >= 11)
            values = _row_values(prom, dashboard, "MySQL / MariaDB", "mysql", targets)
            peaks = _peaks(prom, inspection, "MySQL")

    assert values[("Servers up", "A")] == [2.0] and values[("Servers up", "B")] == [2.0]
    # the primary's 10 held connections and the exporter's, of max_connections 50
    (highest,) = values[("Connections, % of max_connections (highest)", "A")]
    assert 100 * 11 / 50 <= highest < 100 * 16 / 50
    assert values[("Connections and the limit", "C")] == [50.0, 50.0]
    assert values[("Replication lag", "A")] == [0.0]  # one replica, caught up
    assert values[("Replication threads running", "A")] == [1.0] == values[("Replication threads running", "B")]
    # the inspection's peaks: both servers' connections, the replica's lag
    assert max(peaks["MySQL connections, % of max_connections"].values()) >= highest
    assert len(peaks["MySQL connections, % of max_connections"]) == 2
    assert list(peaks["MySQL replication lag"].values()) == [0.0]


def test_every_postgres_panel_returns_data_from_a_real_postgres_exporter(dashboard, inspection, tmp_path):
    # the exporter runs with the catalog's docs/exporters/postgres_exporter-queries.yaml
    # (pg_replication_lag, pg_postmaster_start_time_seconds), as the dashboard's descriptions ask
    with running_postgres_exporter(max_connections=40) as pg:
        target = f"{HOST}:{pg.exporter_port}"
        _until("postgres_exporter exports no pg_replication_lag", lambda: "\npg_replication_lag{" in pg.metrics())
        with pg.hold_connections(8), running_prometheus(tmp_path, _scrape("postgres", [target])) as prom:
            values = _row_values(prom, dashboard, "PostgreSQL", "postgres", [target])
            peaks = _peaks(prom, inspection, "PostgreSQL")

    assert values[("Servers up", "A")] == [1.0] and values[("Servers up", "B")] == [1.0]
    (highest,) = values[("Connections, % of max_connections (highest)", "A")]
    assert 100 * 8 / 40 <= highest <= 100 * 12 / 40  # the held connections and the exporter's
    assert values[("Replication lag (highest)", "A")] == [0.0]  # a primary
    assert values[("Uptime and exporter errors", "B")] == [0.0]  # the catalog's queries all succeed
    assert max(peaks["PostgreSQL connections, % of max_connections"].values()) >= highest
    assert list(peaks["PostgreSQL replication lag"].values()) == [0.0]
