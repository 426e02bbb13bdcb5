"""A real etcd cluster on loopback (tools/bin/etcd, Debian's 3.4): three members by default,
each with its own data folder, client and peer port; members can be stopped and started
again with their data, as a drill needs.

    with etcd_cluster(tmp_path) as cluster:
        cluster.wait_healthy()
        cluster.stop(2)                 # SIGTERM, waited for
        cluster.start(2)                # same name, data and ports: it rejoins
        cluster.scrape_config("etcd")   # for Prometheus: every member's /metrics

Every member is stopped when the block ends, however it ends; a start-up failure carries
the member's log.
"""

from __future__ import annotations

import base64
import contextlib
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from support.live import ROOT, _stop, free_port

ETCD = os.environ.get("ETCD", os.path.join(ROOT, "tools", "bin", "etcd"))
START_TIMEOUT_S = 30.0


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class EtcdError(RuntimeError):
    """A member did not start or the cluster did not become healthy in time (the log is in the message)."""


@dataclass
class Member:
    name: str
    client_port: int
    peer_port: int
    data_dir: Path
    log_path: Path
    process: subprocess.Popen | None = None

    @property
    def client_url(self) -> str:
        return f"http://127.0.0.1:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"http://127.0.0.1:{self.peer_port}"

    @property
    def instance(self) -> str:
        """The `instance` label Prometheus gives it (host:port of its /metrics)."""
        return f"127.0.0.1:{self.client_port}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""


@dataclass
class EtcdCluster:
    members: list[Member]
    extra_args: tuple[str, ...] = ()
    _started_once: set[str] = field(default_factory=set)

    def _args(self, m: Member) -> list[str]:
        peers = ",".join(f"{o.name}={o.peer_url}" for o in self.members)
        state = "existing" if m.name in self._started_once else "new"
        return [ETCD, f"--name={m.name}", f"--data-dir={m.data_dir}",
                f"--listen-client-urls={m.client_url}", f"--advertise-client-urls={m.client_url}",
                f"--listen-peer-urls={m.peer_url}", f"--initial-advertise-peer-urls={m.peer_url}",
                f"--initial-cluster={peers}", f"--initial-cluster-state={state}",
                "--initial-cluster-token=drill", "--log-level=warn", "--logger=zap", *self.extra_args]

    def start(self, i: int) -> None:
        """Start member i (again): with its data folder it rejoins the cluster it was part of."""
        m = self.members[i]
        if m.process is not None and m.process.poll() is None:
            return
        with open(m.log_path, "ab") as log:
            m.process = subprocess.Popen(self._args(m), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._started_once.add(m.name)

    def stop(self, i: int) -> None:
        """SIGTERM member i and wait for it to exit (SIGKILL after 10 s)."""
        m = self.members[i]
        if m.process is not None:
            _stop(m.process)

    def healthy(self, i: int) -> bool:
        try:
            resp = requests.get(self.members[i].client_url + "/health", timeout=2)
            return resp.status_code == 200 and resp.json().get("health") == "true"
        except (requests.RequestException, ValueError):
            return False

    def wait_healthy(self, which: list[int] | None = None, timeout: float = START_TIMEOUT_S) -> None:
        """Until each member in `which` (default: all) reports health true (it has a leader)."""
        which = list(range(len(self.members))) if which is None else which
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i in which:
                p = self.members[i].process
                if p is None or p.poll() is not None:
                    raise EtcdError(f"etcd member {self.members[i].name} is not running\n{self.members[i].log()}")
            if all(self.healthy(i) for i in which):
                return
            time.sleep(0.1)
        raise EtcdError(f"etcd members {which} not healthy after {timeout:g} s\n"
                        + "\n".join(f"--- {self.members[i].name}\n{self.members[i].log()}" for i in which))

    def put(self, key: str, value: str) -> None:
        """A write through member 0's gRPC gateway (etcd 3.4: /v3/kv/put, base64 keys)."""
        self._gateway("/v3/kv/put", {"key": _b64(key), "value": _b64(value)})

    def get(self, key: str) -> str | None:
        kvs = self._gateway("/v3/kv/range", {"key": _b64(key)}).get("kvs", [])
        return base64.b64decode(kvs[0]["value"]).decode() if kvs else None

    def _gateway(self, path: str, body: dict) -> dict:
        resp = requests.post(self.members[0].client_url + path, json=body, timeout=5)
        resp.raise_for_status()
        return resp.json()

    def scrape_config(self, job: str, interval: str = "1s") -> dict:
        """Prometheus scrape_config for every member's /metrics (on its client URL)."""
        return {"job_name": job, "scrape_interval": interval,
                "static_configs": [{"targets": [m.instance for m in self.members]}]}


@contextlib.contextmanager
def etcd_cluster(workdir: Path, size: int = 3, extra_args: tuple[str, ...] = ()):
    """`size` members started and healthy; all stopped on exit from the block."""
    if not os.access(ETCD, os.X_OK):
        raise EtcdError(f"{ETCD}: no etcd binary; run `make setup` (or set ETCD=/path)")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    ports = set()
    while len(ports) < 2 * size:
        ports.add(free_port())
    ports = sorted(ports)
    members = [Member(f"m{i + 1}", ports[2 * i], ports[2 * i + 1], workdir / f"m{i + 1}.etcd", workdir / f"m{i + 1}.log")
               for i in range(size)]
    cluster = EtcdCluster(members, tuple(extra_args))
    try:
        for i in range(size):
            cluster.start(i)
        cluster.wait_healthy()
        yield cluster
    finally:
        for i in range(size):
            cluster.stop(i)
