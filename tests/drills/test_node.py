"""Drill: a real node_exporter (Debian's 1.5, default collectors) on this machine under the
shipped pipeline, next to the fixture exporter's healthy cluster (its fake nodes stay).

The faults that are safe here: a small tmpfs mounted in the test's folder (8 MiB, 256
inodes), filled with data (NodeFilesystemAlmostOutOfSpace), then with files
(NodeFilesystemAlmostOutOfFiles), each emptied again; one filled for less than the alert's
`for` (nothing pages). Where the machine does not let root mount a tmpfs the filesystem
drills are skipped, saying so. The clock alert is checked against what the kernel reports
(this machine's kernel has no NTP discipline: NodeClockNotSynchronising is right to fire).

What cannot be provoked safely here, and why: conntrack table full (needs tens of thousands
of tracked connections through the host's firewall), network receive/transmit errors and
interface flapping (the machine's interfaces are the sandbox's own), PID exhaustion (would
starve the machine; node_exporter's processes collector is not on by default either, see
the alert's `requires`), clock skew (needs adjtimex on the machine's clock).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import requests

from support.dashboard_live import panels_without_data
from support.drill import Drill, Page
from support.exporter_metrics import exposed_names, unexported
from support.exporters import running_exporter
from support.fixture_exporter import FixtureExporter
from support.pipeline import Timings, shipped_pipeline

pytestmark = [pytest.mark.live, pytest.mark.drill]

FOR = {"NodeFilesystemAlmostOutOfSpace": "3s", "NodeFilesystemAlmostOutOfFiles": "3s", "NodeClockNotSynchronising": "3s"}
# the clock alert's min_over_time looks back 5m: the drill's Prometheus is younger than that
TIMINGS = Timings(for_=FOR, windows={"NodeClockNotSynchronising": ("[5m]", "[5s]")})
RESOLVE_BOUND_S = 2 * 1 + 1  # no window: two evaluations and a scrape
SIZE = 8 * 1024 * 1024
INODES = 256


def _mount_tmpfs(path: Path) -> str | None:
    """Mount the drill's small filesystem; why not, when the machine refuses."""
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE},nr_inodes={INODES}", "drill-tmpfs", str(path)],
                            capture_output=True, text=True)
    return None if result.returncode == 0 else (result.stderr.strip() or f"mount exited {result.returncode}")


@pytest.fixture(scope="module")
def drill(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("drill-node")
    fs = tmp / "fs"
    refused = _mount_tmpfs(fs)
    try:
        with FixtureExporter() as fixture, running_exporter(tmp, "prometheus-node-exporter") as node:
            real = {"job_name": "node-exporter-real", "scrape_interval": "1s",
                    "static_configs": [{"targets": [node.instance]}],
                    "relabel_configs": [{"target_label": "job", "replacement": "node-exporter"}]}
            with shipped_pipeline(tmp, [*fixture.scrape_configs(), real], TIMINGS) as pipeline:
                d = Drill(pipeline, background=_clock_alert(node.url))
                d.node, d.fs, d.refused = node, fs, refused
                d.quiet()
                yield d
    finally:
        if refused is None:
            subprocess.run(["umount", "-l", str(fs)], check=False)


def _clock_alert(url: str) -> set[str]:
    """NodeClockNotSynchronising when the kernel says the clock is not synchronised."""
    text = requests.get(url, timeout=5).text
    synced = [line for line in text.splitlines() if line.startswith("node_timex_sync_status ")]
    return {"NodeClockNotSynchronising"} if synced and float(synced[0].split()[1]) == 0 else set()


def _needs_mount(drill) -> None:
    if drill.refused:
        pytest.skip(f"this machine does not let the test mount a tmpfs ({drill.refused}): filesystem drills not run")


def _fs_labels(drill) -> dict:
    return {"instance": drill.node.instance, "mountpoint": str(drill.fs), "fstype": "tmpfs"}


def _fill(path: Path, fraction: float) -> None:
    with open(path, "wb") as fh:
        fh.write(b"\0" * int(SIZE * fraction))


def test_the_clock_alert_agrees_with_the_kernel(drill):
    """quiet() waited for exactly the background: the clock alert fires iff the kernel's
    timex status says unsynchronised (for this exporter's instance, nowhere else)."""
    if "NodeClockNotSynchronising" in drill.background:
        fired = drill.firing(Page("NodeClockNotSynchronising", {"instance": drill.node.instance}, "host"))
        assert fired, drill.p.everything()


def test_a_full_disk_shorter_than_for_never_pages(drill):
    _needs_mount(drill)
    drill.begin()
    start = drill.fault(lambda: _fill(drill.fs / "blob", 0.97))
    time.sleep(1)  # under the alert's `for` (3s), by more than an evaluation
    drill.fault(lambda: os.remove(drill.fs / "blob"))
    time.sleep(4)
    drill.never_pages("NodeFilesystemAlmostOutOfSpace", start)


def test_a_full_disk_pages_once_and_resolves(drill):
    _needs_mount(drill)
    drill.begin()
    page = Page("NodeFilesystemAlmostOutOfSpace", _fs_labels(drill), "critical")
    drill.fault(lambda: _fill(drill.fs / "blob", 0.97))
    drill.pages(page)
    emptied = drill.fault(lambda: os.remove(drill.fs / "blob"))
    drill.resolves(page, since=emptied, bound_s=RESOLVE_BOUND_S)


def test_a_filesystem_out_of_inodes_pages_once_and_resolves(drill):
    _needs_mount(drill)
    drill.begin()
    page = Page("NodeFilesystemAlmostOutOfFiles", _fs_labels(drill), "critical")
    files = drill.fs / "files"

    def fill():
        files.mkdir()
        for i in range(INODES - 4):
            (files / str(i)).touch()
    drill.fault(fill)
    drill.pages(page)
    emptied = drill.fault(lambda: subprocess.run(["rm", "-rf", str(files)], check=True))
    drill.resolves(page, since=emptied, bound_s=RESOLVE_BOUND_S)


def test_every_series_the_node_alerts_read_is_exported_or_the_alert_says_what_it_needs(drill):
    missing = unexported("nodes", exposed_names(drill.node.url))
    node_exporter_alerts = {a: (names, req) for a, (names, req) in missing.items()
                            if any(n.startswith("node_") for n in names)}
    undocumented = {a: names for a, (names, req) in node_exporter_alerts.items() if not req}
    assert not undocumented, f"node_exporter 1.5 with its default collectors lacks what these alerts read: {undocumented}"
    assert set(node_exporter_alerts) == {"NodePidsExhaustion"}, node_exporter_alerts  # --collector.processes


# Node dashboard panels that read the Kubernetes side of the node (kubelet, kube-state-metrics,
# cAdvisor): this machine is no Kubernetes node, so they have no data for it (the fixture
# cluster's nodes prove them: tests/catalog/test_dashboards.py).
KUBERNETES_SIDE = ("kubelet_", "kube_", "container_", "machine_", "node_quantile:kubelet_")


def test_the_node_dashboard_shows_the_real_machine(drill):
    # This machine is no Kubernetes node: no kube_node_info names it, so its exporter is chosen
    # as the dashboard would find it by the node's InternalIP (the fixture proves that mapping).
    hostname = os.uname().nodename
    empty = panels_without_data(drill.prom, "k8s-node", chosen={"node": hostname, "exporter": drill.node.instance})
    kubernetes = [q for q in empty if any(m.startswith(KUBERNETES_SIDE) for m in q.metrics)]
    flagged = {n for names, req in unexported("nodes", set()).values() if req for n in names}
    # a panel reading only series behind a collector an alert `requires` must say so
    behind_flag = [q for q in empty if q not in kubernetes and q.metrics - {"up"} <= flagged
                   and "--collector.processes" in q.description]
    own = [q for q in empty if q not in kubernetes and q not in behind_flag]
    assert not own, f"node dashboard panels reading node_exporter with no data from the real exporter: {own}"
    assert {q.title for q in behind_flag} == {"PIDs used"}, behind_flag
