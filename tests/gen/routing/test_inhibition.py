"""The generated inhibition rules, applied by a real Alertmanager (tools/bin/alertmanager, Debian's
0.25, on loopback, no cluster, storage in tmp): alerts go in through API v2, and what comes
back as inhibited (status.inhibitedBy) is what the rules promise, and nothing more.

Alertmanager computes an alert's inhibition when it is listed, from the source alerts its
inhibitor has seen; all alerts are posted in one request, so once the expected targets show
as inhibited every source has been seen, and the alerts still shown as active are proven not
inhibited.
"""

from __future__ import annotations

from support.paths import REPO
import datetime as dt
import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from gen.render import outdir
from gen.build import build

# live: runs a real Alertmanager; `pytest -m "not live"` skips it
pytestmark = pytest.mark.live

ROOT = REPO
ALERTMANAGER = os.environ.get("ALERTMANAGER", str(ROOT / "tools" / "bin" / "alertmanager"))
DEADLINE = 30.0  # seconds to wait for Alertmanager to start and to apply the rules; not a measurement


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http(port: int, path: str, body: object | None = None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method="GET" if body is None else "POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        text = resp.read()
        is_json = resp.headers.get_content_type() == "application/json"
        return resp.status, json.loads(text) if is_json and text.strip() else text


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory):
    """Alertmanager loaded with the generated alertmanager.yaml (default settings, the relay URL
    pointing at a closed port: notifications fail, inhibition does not depend on them)."""
    assert os.path.exists(ALERTMANAGER), f"{ALERTMANAGER} missing: run `make setup` (or set ALERTMANAGER)"
    tmp = tmp_path_factory.mktemp("am")
    config = tmp / "monitoring.yaml"
    config.write_text(yaml.safe_dump({"alertmanager": {"relay_url": f"http://127.0.0.1:{free_port()}",
                                                       "credentials_file": str(tmp / "token")}}))
    (tmp / "token").write_text("test-token")
    _, files = build(str(config))
    outdir.write_tree(str(tmp / "out"), files)
    # the Makefile's alertmanager copy reads its default template from ./am-share
    (tmp / "am-share").symlink_to(ROOT / "tools" / "root" / "usr" / "share" / "prometheus" / "alertmanager")
    port = free_port()
    log = open(tmp / "am.log", "wb")
    proc = subprocess.Popen([ALERTMANAGER, f"--config.file={tmp / 'out' / 'alertmanager' / 'alertmanager.yaml'}",
                             f"--storage.path={tmp / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
                             "--cluster.listen-address=", "--log.level=warn"],
                            cwd=tmp, stdout=subprocess.DEVNULL, stderr=log)
    try:
        end = time.monotonic() + DEADLINE
        while True:
            try:
                if _http(port, "/-/ready")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < end, (tmp / "am.log").read_text()
            time.sleep(0.05)
        yield port
    finally:
        proc.kill()
        proc.wait(10)
        log.close()


def _alert(name: str, severity: str, **labels: str) -> dict:
    now = dt.datetime.now(dt.timezone.utc)
    return {"labels": {"alertname": name, "severity": severity, **labels},
            "annotations": {"summary": name},
            "startsAt": (now - dt.timedelta(minutes=1)).isoformat().replace("+00:00", "Z"),
            "endsAt": (now + dt.timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
            "generatorURL": "http://prometheus.example/graph"}


_KSM = {"job": "kube-state-metrics", "instance": "10.0.0.9:8080"}
_ETCD = {"job": "etcd"}
_FS = {"job": "node-exporter", "device": "/dev/sda1", "fstype": "ext4"}

# key -> alert; inhibited: key -> the key of the alert that silences it
ALERTS = {
    # a *Critical alert silences its warning twin for the same member only
    "fsync-crit-0": _alert("etcdHighFsyncDurationsCritical", "critical", instance="etcd-0:2379", **_ETCD),
    "fsync-warn-0": _alert("etcdHighFsyncDurations", "warning", instance="etcd-0:2379", **_ETCD),
    "fsync-warn-1": _alert("etcdHighFsyncDurations", "warning", instance="etcd-1:2379", **_ETCD),
    # the same for twins named otherwise (routing.py's pairs), per filesystem
    "fs-crit-root": _alert("NodeFilesystemAlmostOutOfSpace", "critical", instance="node-1:9100", mountpoint="/", **_FS),
    "fs-warn-root": _alert("NodeFilesystemSpaceFillingUp", "warning", instance="node-1:9100", mountpoint="/", **_FS),
    "fs-warn-var": _alert("NodeFilesystemSpaceFillingUp", "warning", instance="node-1:9100", mountpoint="/var", **_FS),
    # and for twins whose expressions keep only their own labels (namespace, ingress)
    "ing-crit": _alert("IngressHigh5xxRatioCritical", "critical", namespace="shop", ingress="web"),
    "ing-warn": _alert("IngressHigh5xxRatio", "warning", namespace="shop", ingress="web"),
    "ing-warn-other": _alert("IngressHigh5xxRatio", "warning", namespace="shop", ingress="api"),
    # node-1 is NotReady, node-2 unreachable: pod alerts naming them are silenced, node-3's not
    "node-1-notready": _alert("KubeNodeNotReady", "warning", node="node-1", condition="Ready", status="true", **_KSM),
    "node-2-unreachable": _alert("KubeNodeUnreachable", "warning", node="node-2", key="node.kubernetes.io/unreachable",
                                 effect="NoSchedule", **_KSM),
    "pod-on-1": _alert("KubePodNotReady", "warning", namespace="shop", pod="web-1", node="node-1"),
    "pod-on-1-phase": _alert("pod_status_no_running", "warning", namespace="shop", pod="web-1", phase="Unknown", node="node-1"),
    "pod-on-2": _alert("KubePodNotReady", "warning", namespace="shop", pod="web-2", node="node-2"),
    "pod-on-3": _alert("KubePodNotReady", "warning", namespace="shop", pod="web-3", node="node-3"),
    "pod-no-node": _alert("KubePodNotReady", "warning", namespace="shop", pod="web-4"),
    # a warning about pod web-5 silences its info alerts; web-6's stay
    "cpu-web-5": _alert("PodCpu75", "warning", namespace="shop", pod="web-5"),
    "throttle-web-5": _alert("CPUThrottlingHigh", "info", namespace="shop", pod="web-5", container="app"),
    "throttle-web-6": _alert("CPUThrottlingHigh", "info", namespace="shop", pod="web-6", container="app"),
    # no rule may silence the dead man's switch, whatever else fires
    "watchdog": _alert("Watchdog", "info"),
    # a cluster-wide warning (no pod) silences no info alert
    "overcommit": _alert("KubeCPUOvercommit", "warning"),
    "no-limit-web-7": _alert("KubeContainerWithoutMemoryLimit", "info", namespace="shop", pod="web-7", container="app"),
}

INHIBITED = {
    "fsync-warn-0": "fsync-crit-0",
    "fs-warn-root": "fs-crit-root",
    "ing-warn": "ing-crit",
    "pod-on-1": "node-1-notready",
    "pod-on-1-phase": "node-1-notready",
    "pod-on-2": "node-2-unreachable",
    "throttle-web-5": "cpu-web-5",
}


def _key(labels: dict) -> str:
    for key, alert in ALERTS.items():
        if alert["labels"] == labels:
            return key
    raise AssertionError(f"Alertmanager lists an alert that was not posted: {labels}")


def test_inhibition_rules_in_a_real_alertmanager(alertmanager):
    port = alertmanager
    status, _ = _http(port, "/api/v2/alerts", list(ALERTS.values()))
    assert status == 200
    end = time.monotonic() + DEADLINE
    while True:
        _, listed = _http(port, "/api/v2/alerts")
        by_key = {_key(a["labels"]): a for a in listed}
        inhibited = {k for k, a in by_key.items() if a["status"]["inhibitedBy"]}
        if len(by_key) == len(ALERTS) and inhibited >= set(INHIBITED):
            break
        assert time.monotonic() < end, f"Alertmanager did not apply the inhibitions: inhibited {sorted(inhibited)}"
        time.sleep(0.1)
    assert inhibited == set(INHIBITED), f"unexpected: {sorted(inhibited - set(INHIBITED))}"
    for target, source in INHIBITED.items():
        assert by_key[target]["status"]["state"] == "suppressed"
        assert by_key[target]["status"]["inhibitedBy"] == [by_key[source]["fingerprint"]], target
    for key in set(ALERTS) - set(INHIBITED):
        assert by_key[key]["status"]["state"] == "active", key
    # the filter the API offers agrees
    _, shown = _http(port, "/api/v2/alerts?inhibited=false")
    assert {_key(a["labels"]) for a in shown} == set(ALERTS) - set(INHIBITED)
