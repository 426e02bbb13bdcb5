"""The middleware dashboard's Redis row against the real thing: redis-server 7 (a master with
maxmemory and maxclients, and its replica), redis_exporter 1.45 for each (support.middleware)
and a Prometheus scraping both as job "redis"; every query of the row, as Grafana would send
it, returns data, and the water levels read what Redis holds."""

from __future__ import annotations

import json
import time

import pytest

from gen.build import build
from gen.dash import check
from support.live import running_prometheus
from support.middleware import HOST, running_redis

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
def dashboard() -> dict:
    _, files = build(None)
    return json.loads(files["grafana/middleware.json"])


def _until(what: str, ready, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} after {timeout:g} s")
        time.sleep(0.2)


def test_every_redis_panel_returns_data_from_a_real_redis_exporter(dashboard, tmp_path):
    queries = _row_queries(dashboard, "Redis")
    assert len(queries) >= 15, [q.where for q in queries]
    macros = check.macros("10s", "1s", "1m")
    with running_redis(maxmemory="64mb", maxclients=MAXCLIENTS) as master, \
            running_redis(extra_args=("--replicaof", HOST, str(master.port))) as replica:
        _until("the replica is not linked", lambda: "\nredis_master_link_up{" in replica.metrics()
               and 'redis_master_link_up{master_host="127.0.0.1"' in replica.metrics()
               and "redis_connected_slave_lag_seconds{" in master.metrics())
        assert master.command("SET", "filler", b"x" * FILLED) == b"+OK"  # one value: one reply
        targets = [f"{HOST}:{master.exporter_port}", f"{HOST}:{replica.exporter_port}"]
        with master.hold_connections(HELD), \
                running_prometheus(tmp_path, [{"job_name": "redis", "static_configs": [{"targets": targets}]}]) as prom:
            prom.wait_for_scrapes()
            time.sleep(4)  # a few more scrapes, so that rate() over $__rate_interval has two samples
            empty, values = [], {}
            for q in queries:
                expr = check.fill(q.expr, {"redis": ".*"}, macros)
                result = prom.api("query", query=expr)["result"]
                if not result:
                    empty.append(f"{q.where}\n    {expr}")
                values[(q.title, q.ref)] = sorted(float(r["value"][1]) for r in result)
            assert not empty, "queries without data from the real exporters:\n  " + "\n  ".join(empty)
            # the variable lists both exporters' targets
            (var,) = [q for q in check.queries(dashboard) if q.title == "variable redis"]
            series = prom.api("series", **{"match[]": check.fill(var.expr, {}, macros)})
            assert {s[var.label] for s in series} == set(targets)

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
