"""A real exporter binary (tools/bin: node_exporter, and the middleware exporters) on a free
loopback port, for drills: started, waited for until /metrics answers, stopped (SIGTERM, then
SIGKILL) when the block ends, however it ends.

    with running_exporter(tmp_path, "prometheus-node-exporter", ["--collector.disable-defaults", ...]) as ex:
        ex.scrape_config("node-exporter")
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from support.live import ROOT, START_TIMEOUT_S, _stop, free_port


class ExporterError(RuntimeError):
    """The exporter did not start or answer in time (its log is in the message)."""


@dataclass
class Exporter:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def instance(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.instance}/metrics"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def scrape_config(self, job: str, interval: str = "1s") -> dict:
        return {"job_name": job, "scrape_interval": interval, "static_configs": [{"targets": [self.instance]}]}


def binary(name: str) -> str:
    path = os.path.join(ROOT, "tools", "bin", name)
    if not os.access(path, os.X_OK):
        raise ExporterError(f"{path}: missing; run `make setup`")
    return path


@contextlib.contextmanager
def running_exporter(workdir: Path, name: str, args: list[str] = (), env: dict[str, str] | None = None,
                     listen_flag: str = "--web.listen-address"):
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = workdir / f"{name}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([binary(name), f"{listen_flag}=127.0.0.1:{port}", *args], stdout=log,
                                   stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, cwd=workdir,
                                   start_new_session=True)
    exporter = Exporter(name, port, process, log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise ExporterError(f"{name} exited with {process.returncode}\n{exporter.log()}")
            try:
                if requests.get(exporter.url, timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise ExporterError(f"{name} did not answer on {exporter.url} in {START_TIMEOUT_S:g} s\n{exporter.log()}")
            time.sleep(0.1)
        yield exporter
    finally:
        _stop(process)
