"""The middleware dashboard's Redis row against the real thing: redis-server 7 (a master with
maxmemory and a replica), redis_exporter 1.45 and a Prometheus scraping it as job "redis";
every query of the row, as Grafana would send it, returns data, and the water levels read
what Redis itself reports."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import requests

from gen.build import build
from gen.dash import check
from support.live import _stop, free_port, running_prometheus
from support.paths import REPO

pytestmark = pytest.mark.live

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_EXPORTER = os.path.join(str(REPO), "tools", "bin", "prometheus-redis-exporter")
HOST = "127.0.0.1"
MAXMEMORY = 64 * 2**20
MAXCLIENTS = 200


def _wait(what: str, ready, process: subprocess.Popen, log_path: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if ready():
                return
        except (OSError, requests.RequestException):
            pass
        time.sleep(0.1)
    with open(log_path, encoding="utf-8", errors="replace") as fh:
        raise RuntimeError(f"{what} not ready (exit {process.poll()}):\n{fh.read()[-2000:]}")


def _ping(port: int) -> bool:
    with socket.create_connection((HOST, port), timeout=1) as s:
        s.sendall(b"PING\r\n")
        return s.recv(16).startswith(b"+PONG")


@contextlib.contextmanager
def _redis_with_replica_and_exporter():
    """A Redis master (maxmemory, maxclients), a replica of it, and redis_exporter scraping the
    master; the exporter's port. Everything stopped and removed when the block ends."""
    if not os.access(REDIS_SERVER, os.X_OK) or not os.access(REDIS_EXPORTER, os.X_OK):
        pytest.skip("redis-server or tools/bin/prometheus-redis-exporter missing: run `make setup`")
    folder = tempfile.mkdtemp(prefix="mw-dash-redis-")
    processes = []

    def start(name: str, argv: list[str]) -> tuple[subprocess.Popen, str]:
        log_path = os.path.join(folder, f"{name}.log")
        with open(log_path, "wb") as log_file:
            p = subprocess.Popen(argv, stdout=log_file, stderr=subprocess.STDOUT, cwd=folder, start_new_session=True)
        processes.append(p)
        return p, log_path

    try:
        master, replica, exporter = free_port(), free_port(), free_port()
        common = ["--bind", HOST, "--save", "", "--appendonly", "no", "--dir", folder]
        p, log = start("master", [REDIS_SERVER, "--port", str(master), *common, "--maxmemory", str(MAXMEMORY),
                                  "--maxclients", str(MAXCLIENTS)])
        _wait("redis master", lambda: _ping(master), p, log)
        p, log = start("replica", [REDIS_SERVER, "--port", str(replica), *common, "--replicaof", HOST, str(master)])
        _wait("redis replica", lambda: _ping(replica), p, log)
        p, log = start("exporter", [REDIS_EXPORTER, f"--web.listen-address={HOST}:{exporter}",
                                    f"--redis.addr=redis://{HOST}:{master}"])
        _wait("redis_exporter",
              lambda: "redis_connected_slave_lag_seconds{" in requests.get(f"http://{HOST}:{exporter}/metrics",
                                                                          timeout=5).text, p, log)
        yield exporter
    finally:
        for p in reversed(processes):
            _stop(p)
        shutil.rmtree(folder, ignore_errors=True)


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


def test_every_redis_panel_returns_data_from_a_real_redis_exporter(dashboard, tmp_path):
    queries = _row_queries(dashboard, "Redis")
    assert len(queries) >= 15, [q.where for q in queries]
    with _redis_with_replica_and_exporter() as port, \
            running_prometheus(tmp_path, [{"job_name": "redis", "static_configs": [{"targets": [f"{HOST}:{port}"]}]}]) as prom:
        prom.wait_for_scrapes()
        time.sleep(4)  # a few more scrapes, so that rate() over $__rate_interval has two samples
        macros = check.macros("10s", "1s", "1m")
        empty, values = [], {}
        for q in queries:
            expr = check.fill(q.expr, {"redis": ".*"}, macros)
            result = prom.api("query", query=expr)["result"]
            if not result:
                empty.append(f"{q.where}\n    {expr}")
            values[(q.title, q.ref)] = [float(r["value"][1]) for r in result]
        assert not empty, "queries without data from the real exporter:\n  " + "\n  ".join(empty)
        # the variable lists the exporter's target
        (var,) = [q for q in check.queries(dashboard) if q.title == "variable redis"]
        series = prom.api("series", **{"match[]": check.fill(var.expr, {}, macros)})
        assert {s[var.label] for s in series} == {f"{HOST}:{port}"}

    assert values[("Servers up", "A")] == [1.0] and values[("Servers up", "B")] == [1.0]
    (memory,) = values[("Memory, % of maxmemory (highest)", "A")]
    assert 0 < memory < 50  # an empty Redis uses about 1 MiB of its 64 MiB
    (clients,) = values[("Clients, % of maxclients (highest)", "A")]
    connected = clients * MAXCLIENTS / 100  # the exporter's connection, at least
    assert connected >= 1 and connected == pytest.approx(round(connected))
    assert values[("Memory used and maxmemory", "B")] == [float(MAXMEMORY)]
    assert values[("Replicas and replication lag", "A")] == [1.0]  # the replica is connected
