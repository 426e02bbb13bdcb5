"""A real single-node VictoriaMetrics and vmalert for tests (tools/bin/victoria-metrics and
tools/bin/vmalert, Debian's 1.79.5; $VICTORIA_METRICS / $VMALERT override them): a generated
scrape configuration, temporary storage, a free loopback port, and a kill that always happens.

    with FixtureExporter() as exporter, \\
            running_victoria_metrics(tmp_path / "vm", exporter.scrape_configs()) as vm, \\
            running_vmalert(tmp_path / "vmalert", rule_files, vm.url, notifier=am.url) as vmalert:
        vm.wait_for_scrapes()          # every target scraped once and up
        vmalert.alerts()               # its /api/v1/alerts: pending and firing alerts

VictoriaMetrics scrapes by itself (-promscrape.config, Prometheus' scrape_configs format) and
shows fresh samples at once: its default -search.latencyOffset hides the last 30 s of data from
queries, which would delay every alert by that much. vmalert evaluates every -evaluationInterval
(1s here) against -datasource.url, writes ALERTS and recording rules back through
-remoteWrite.url, restores alert state from -remoteRead.url and sends to -notifier.url.

Each process is stopped (SIGTERM to its process group, then SIGKILL) when its block ends,
however it ends; its log is attached to any start-up failure. Same style as support.live
(Prometheus, Alertmanager), whose free_port and stop these share.
"""

from __future__ import annotations

from support.paths import REPO
import contextlib
import os
import subprocess
import time
from dataclasses import dataclass, field

import requests
import yaml

from support.live import _stop, free_port, wait_for_targets_up

BIN = REPO / "tools" / "bin"
VICTORIA_METRICS = os.environ.get("VICTORIA_METRICS", str(BIN / "victoria-metrics"))
VMALERT = os.environ.get("VMALERT", str(BIN / "vmalert"))

START_TIMEOUT_S = 30.0
SCRAPE_TIMEOUT_S = 30.0
_POLL_S = 0.1


class VictoriaStartError(RuntimeError):
    """VictoriaMetrics or vmalert did not start, or did not scrape, in time; the message carries its log."""


@dataclass
class _Process:
    url: str
    workdir: str
    process: subprocess.Popen
    log_path: str
    name: str
    session: requests.Session = field(default_factory=requests.Session)

    def log(self) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                return fh.read()[-4000:]
        except OSError:
            return ""

    def get(self, path: str, **params):
        """GET <url><path>; the JSON answer."""
        resp = self.session.get(f"{self.url}{path}", params=params, timeout=10)
        resp.raise_for_status()
        return resp.json()

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise VictoriaStartError(f"{self.name} exited with {self.process.returncode}\n{self.log()}")


@dataclass
class VictoriaMetrics(_Process):
    def api(self, path: str, **params):
        """GET /api/v1/<path>; the `data` of a successful answer."""
        body = self.get(f"/api/v1/{path}", **params)
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict]:
        """An instant query now: its result vector."""
        return self.api("query", query=expr)["result"]

    def wait_for_scrapes(self, timeout: float = SCRAPE_TIMEOUT_S) -> None:
        """Until every configured target has been scraped and is up."""
        wait_for_targets_up(self, self.check_alive, VictoriaStartError, timeout)


@dataclass
class VMAlert(_Process):
    def alerts(self) -> list[dict]:
        """vmalert's active alerts (state pending or firing), each with its labels."""
        return self.get("/api/v1/alerts")["data"]["alerts"]

    def firing(self) -> dict[str, list[dict]]:
        """alertname -> the labels of each of its firing alerts."""
        out: dict[str, list[dict]] = {}
        for alert in self.alerts():
            if alert["state"] == "firing":
                out.setdefault(alert["name"], []).append(alert["labels"])
        return out

    def groups(self) -> list[dict]:
        """/api/v1/rules: the loaded groups with their rules, each rule's lastError and health."""
        return self.get("/api/v1/rules")["data"]["groups"]


def _start(kind, name: str, args: list[str], workdir: str, ready_path: str, url_args=lambda url: []):
    """Start `args` on a free port (flag -httpListenAddr, and url_args(its URL)), retried on a
    port collision; yield the ready process object; stopped on exit from the block."""
    if not os.access(args[0], os.X_OK):
        raise VictoriaStartError(f"{args[0]}: no {name} binary; run `make setup` (or set "
                                 f"{'VMALERT' if name == 'vmalert' else 'VICTORIA_METRICS'}=/path)")
    for attempt in range(3):  # another process may take the free port before this one binds it
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log_path = os.path.join(workdir, f"{name}-{attempt}.log")
        with open(log_path, "wb") as log_file:
            process = subprocess.Popen([*args, f"-httpListenAddr=127.0.0.1:{port}", *url_args(url), "-loggerLevel=INFO"],
                                       stdout=log_file, stderr=subprocess.STDOUT, cwd=workdir,
                                       start_new_session=True)  # its own process group, stopped whole
        proc = kind(url, workdir, process, log_path, name)
        try:
            try:
                _wait_ready(proc, ready_path)
            except VictoriaStartError:
                if attempt < 2 and "address already in use" in proc.log():
                    continue
                raise
            yield proc
            return
        finally:
            _stop(process)
            proc.session.close()


def _wait_ready(proc: _Process, path: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        proc.check_alive()
        try:
            if proc.session.get(f"{proc.url}{path}", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(_POLL_S)
    raise VictoriaStartError(f"{proc.name} not ready after {START_TIMEOUT_S:g} s\n{proc.log()}")


@contextlib.contextmanager
def running_victoria_metrics(workdir, scrape_configs: list[dict], *, scrape_interval: str = "1s",
                             extra_args: list[str] = ()):
    """A started, ready single-node VictoriaMetrics in `workdir` (a fresh folder) scraping
    `scrape_configs` (Prometheus' format, e.g. FixtureExporter.scrape_configs()); its data in
    workdir/data; killed on exit from the block, whatever happens in it."""
    workdir = str(workdir)
    os.makedirs(workdir, exist_ok=True)
    config = os.path.join(workdir, "scrape.yml")
    with open(config, "w", encoding="utf-8") as fh:
        yaml.safe_dump({"global": {"scrape_interval": scrape_interval}, "scrape_configs": scrape_configs}, fh,
                       sort_keys=False)
    args = [VICTORIA_METRICS, f"-storageDataPath={os.path.join(workdir, 'data')}", f"-promscrape.config={config}",
            "-retentionPeriod=1d",
            "-search.latencyOffset=0s",  # default 30s: samples younger than that are not queried
            "-search.disableCache",  # every query reads the samples just written
            "-selfScrapeInterval=0", *extra_args]
    yield from _start(VictoriaMetrics, "victoria-metrics", args, workdir, "/health")


@contextlib.contextmanager
def running_vmalert(workdir, rule_files: list[str], datasource: str, *, notifier: str | None = None,
                    evaluation_interval: str = "1s", extra_args: list[str] = ()):
    """A started, ready vmalert in `workdir` evaluating `rule_files` every `evaluation_interval`
    against `datasource` (a VictoriaMetrics URL, also its remote write and remote read), sending
    to the Alertmanager at `notifier`; killed on exit from the block, whatever happens in it.
    vmalert refuses to start on a rule file it does not accept: the error is in the message."""
    workdir = str(workdir)
    os.makedirs(workdir, exist_ok=True)
    args = [VMALERT, *(f"-rule={path}" for path in rule_files),
            f"-datasource.url={datasource}", f"-remoteWrite.url={datasource}", f"-remoteRead.url={datasource}",
            f"-evaluationInterval={evaluation_interval}",
            "-remoteWrite.flushInterval=1s",  # default 5s: ALERTS reach the storage sooner
            *([f"-notifier.url={notifier}"] if notifier else []), *extra_args]
    # the alerts' generatorURL (Alertmanager's and the relay's "Source" link) is
    # -external.url/vmalert/...; its default is http://<hostname>:<port>
    yield from _start(VMAlert, "vmalert", args, workdir, "/health", lambda url: [f"-external.url={url}"])
