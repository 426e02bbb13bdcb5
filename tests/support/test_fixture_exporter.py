"""The fixture exporter: valid exposition text (promtool's own linter), and each problem
switched on and off over HTTP changes what a scrape returns the way the README says."""

from __future__ import annotations

import re
import subprocess

import pytest
import requests

from support.fixture_exporter import CRASHLOOP_POD, DISK_NODE, MEMORY_POD, NO_LEADER_NODE, FixtureExporter, Problems, targets
from gen.tools import promtool

SAMPLE = re.compile(r"^(\w+)(?:\{(.*)\})? (\S+)$")


@pytest.fixture
def exporter():
    with FixtureExporter() as ex:
        yield ex


def scrape(exporter, path: str, **params) -> str:
    resp = requests.get(exporter.url + path, params=params, timeout=5)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return resp.text


def samples(text: str, name: str) -> list[tuple[dict, float]]:
    out = []
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m and m.group(1) == name:
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
            out.append((labels, float(m.group(3))))
    return out


def target_text(exporter, t) -> str:
    return scrape(exporter, t.metrics_path, **t.params)


def control(exporter, **changes):
    resp = requests.post(exporter.url + "/control", json=changes, timeout=5)
    return resp.status_code, resp.json()


@pytest.mark.live  # promtool checks every target's scrape
@pytest.mark.parametrize("problems", [{}, {"crashloop": True, "memory_pressure": True, "disk_full": True, "etcd_no_leader": True}])
def test_every_target_passes_promtool_check_metrics(exporter, problems):
    exporter.set_problems(**problems)
    for t in targets():
        run = subprocess.run([promtool.find_promtool(), "check", "metrics"], input=target_text(exporter, t),
                             capture_output=True, text=True, timeout=30)
        assert run.returncode == 0, f"{t.job} {t.metrics_path} {t.params}: {run.stdout}{run.stderr}"


def test_crashloop_adds_waiting_reason_and_restarts(exporter):
    ksm = next(t for t in targets() if t.job == "kube-state-metrics")
    pod = {"namespace": CRASHLOOP_POD.namespace, "pod": CRASHLOOP_POD.name}

    def of_pod(name):
        return [(l, v) for l, v in samples(target_text(exporter, ksm), name) if all(l.get(k) == v for k, v in pod.items())]

    assert of_pod("kube_pod_container_status_waiting_reason") == []
    assert [v for _, v in of_pod("kube_pod_container_status_restarts_total")] == [0]

    assert control(exporter, crashloop=True) == (200, {**vars(Problems()), "crashloop": True})
    waiting = of_pod("kube_pod_container_status_waiting_reason")
    assert [(l["container"], l["reason"], v) for l, v in waiting] == [("app", "CrashLoopBackOff", 1)]
    assert [v for _, v in of_pod("kube_pod_container_status_restarts_total")][0] >= 1
    assert [l["condition"] for l, v in of_pod("kube_pod_status_ready") if v == 1] == ["false"]

    assert control(exporter, crashloop=False)[0] == 200
    assert of_pod("kube_pod_container_status_waiting_reason") == []
    assert [l["condition"] for l, v in of_pod("kube_pod_status_ready") if v == 1] == ["true"]


def test_memory_pressure_puts_the_pod_at_90_percent_of_its_limit(exporter):
    node = next(t for t in targets() if t.metrics_path == "/metrics/cadvisor" and t.params["node"] == MEMORY_POD.node)
    ksm = next(t for t in targets() if t.job == "kube-state-metrics")
    limit = [v for l, v in samples(target_text(exporter, ksm), "kube_pod_container_resource_limits")
             if l["pod"] == MEMORY_POD.name and l["resource"] == "memory"]

    def working_set():
        return [v for l, v in samples(target_text(exporter, node), "container_memory_working_set_bytes")
                if l["pod"] == MEMORY_POD.name and l["container"] == "redis"]

    assert len(limit) == 1 and working_set()[0] / limit[0] < 0.75
    control(exporter, memory_pressure=True)
    assert working_set()[0] / limit[0] == pytest.approx(0.9, abs=1e-6)


def test_disk_full_leaves_3_percent_on_one_node_only(exporter):
    def free_share(node):
        t = next(t for t in targets() if t.job == "node-exporter" and t.params["node"] == node)
        text = target_text(exporter, t)
        avail = {l["mountpoint"]: v for l, v in samples(text, "node_filesystem_avail_bytes")}
        size = {l["mountpoint"]: v for l, v in samples(text, "node_filesystem_size_bytes")}
        return avail["/"] / size["/"]

    control(exporter, disk_full=True)
    assert free_share(DISK_NODE.name) == pytest.approx(0.03, abs=1e-6)
    assert all(free_share(n) > 0.5 for n in ("node-1", "node-2", "node-3") if n != DISK_NODE.name)
    control(exporter, disk_full=False)
    assert free_share(DISK_NODE.name) > 0.5


def test_etcd_no_leader_on_one_member(exporter):
    def has_leader():
        return {t.params["node"]: samples(target_text(exporter, t), "etcd_server_has_leader")[0][1]
                for t in targets() if t.job == "etcd"}

    assert set(has_leader().values()) == {1}
    control(exporter, etcd_no_leader=True)
    assert {n for n, v in has_leader().items() if v == 0} == {NO_LEADER_NODE.name}


def test_control_rejects_unknown_problems_and_non_booleans(exporter):
    code, body = control(exporter, crashlop=True)
    assert code == 400 and "crashlop" in body["error"] and "crashloop" in body["error"]
    code, body = control(exporter, disk_full="yes")
    assert code == 400 and "disk_full" in body["error"]
    assert exporter.problems() == Problems()


def test_served_matches_what_a_scrape_returns(exporter):
    """served() is what tests derive expectations from: it must list exactly the sample names
    each target returns (problems on, so the problem-only series are there too)."""
    exporter.set_problems(crashloop=True)
    served = exporter.served()
    scraped: dict[tuple[str, str], set[str]] = {}
    for t in targets():
        text = target_text(exporter, t)
        scraped.setdefault((t.job, t.metrics_path), set()).update(
            SAMPLE.match(line).group(1) for line in text.splitlines() if line and not line.startswith("#"))
    assert {k: set(v) for k, v in served.items()} == scraped
    assert "kube_pod_container_status_waiting_reason" in served[("kube-state-metrics", "/metrics")]
    assert "kube_pod_container_status_waiting_reason" not in exporter.served(Problems())[("kube-state-metrics", "/metrics")]
