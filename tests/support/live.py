"""A real Prometheus (tools/bin/prometheus, Debian's 2.42) and Alertmanager (tools/bin/alertmanager,
0.25) for tests: generated config, temporary storage, a free loopback port, and a kill that
always happens.

    with FixtureExporter() as exporter, running_prometheus(tmp_path, exporter.scrape_configs()) as prom:
        prom.wait_for_scrapes()        # every target scraped once
        requests.get(prom.url + "/api/v1/labels")

`rule_files` are copied next to the config and loaded; `web_config` (a dict, e.g.
{"basic_auth_users": {"user": "<bcrypt hash>"}}) becomes --web.config.file, and the helper
itself then authenticates with `auth`. The process is stopped (SIGTERM, then SIGKILL) when the
block ends, however it ends; its log is attached to any start-up failure.

    with running_alertmanager(tmp_path, "out/alertmanager/alertmanager.yaml") as am:
        am.post_alerts([...]); am.alerts(filter='team=~"db"')
"""

from __future__ import annotations

from support.paths import REPO
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field

import requests
import yaml

ROOT = str(REPO)
LOCAL = os.path.join(ROOT, "tools", "bin", "prometheus")
ALERTMANAGER = os.environ.get("ALERTMANAGER", os.path.join(ROOT, "tools", "bin", "alertmanager"))

START_TIMEOUT_S = 30.0
# Prometheus 2.42 hands new targets to the scrape manager on a 5 s tick, so the first scrape
# comes 5-6 s after start whatever the scrape interval.
SCRAPE_TIMEOUT_S = 30.0
_POLL_S = 0.1


class PrometheusStartError(RuntimeError):
    """Prometheus did not start or did not scrape in time; the message carries its log."""


def find_prometheus() -> str:
    """$PROMETHEUS, a prometheus on PATH, or the copy `make setup` unpacks into tools/."""
    env = os.environ.get("PROMETHEUS")
    if env:
        return env
    return shutil.which("prometheus") or LOCAL


def free_port() -> int:
    """A port the kernel just handed out; Prometheus binds it a moment later (start() retries
    on the rare collision)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_targets_up(server, check_alive, error: type[Exception], timeout: float) -> None:
    """Until every active target of `server` (anything with Prometheus' /api/v1/targets as
    `api("targets")`, and a `log()`) has been scraped and is up; else `error` with the
    targets' last state and the server's log."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        check_alive()
        targets = server.api("targets", state="active")["activeTargets"]
        last = [(t["labels"].get("job"), t["scrapeUrl"], t["health"], t.get("lastError")) for t in targets]
        if targets and all(t["health"] == "up" for t in targets):
            return
        time.sleep(_POLL_S)
    raise error(f"targets not all up after {timeout:g} s: {last}\n{server.log()}")


@dataclass
class Prometheus:
    url: str
    workdir: str
    process: subprocess.Popen
    auth: tuple[str, str] | None = None
    log_path: str = ""
    session: requests.Session = field(default_factory=requests.Session)

    def api(self, path: str, **params):
        """GET /api/v1/<path>; the `data` of a successful answer."""
        resp = self.session.get(f"{self.url}/api/v1/{path}", params=params, auth=self.auth, timeout=10)
        resp.raise_for_status()
        body = resp.json()
        assert body["status"] == "success", body
        return body["data"]

    def log(self) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                return fh.read()[-4000:]
        except OSError:
            return ""

    def wait_for_scrapes(self, timeout: float = SCRAPE_TIMEOUT_S) -> None:
        """Until every configured target has been scraped once and is up."""
        wait_for_targets_up(self, self._check_alive, PrometheusStartError, timeout)

    def add_scrape_configs(self, configs: list[dict]) -> None:
        """Add scrape jobs (e.g. Prometheus' own address, known only once it runs) and reload
        (SIGHUP), waiting until their targets are active."""
        path = os.path.join(self.workdir, "prometheus.yml")
        with open(path, encoding="utf-8") as fh:
            config = yaml.safe_load(fh)
        config["scrape_configs"].extend(configs)
        with open(path, "w", encoding="utf-8") as fh:
            yaml.safe_dump(config, fh, sort_keys=False)
        self.process.send_signal(signal.SIGHUP)
        jobs = {c["job_name"] for c in configs}
        deadline = time.monotonic() + SCRAPE_TIMEOUT_S
        while time.monotonic() < deadline:
            self._check_alive()
            active = {t["scrapePool"] for t in self.api("targets", state="active")["activeTargets"]}
            if jobs <= active:
                return
            time.sleep(_POLL_S)
        raise PrometheusStartError(f"jobs {sorted(jobs)} not active {SCRAPE_TIMEOUT_S:g} s after a reload\n{self.log()}")

    def _check_alive(self) -> None:
        if self.process.poll() is not None:
            raise PrometheusStartError(f"prometheus exited with {self.process.returncode}\n{self.log()}")


def write_config(workdir: str, scrape_configs: list[dict], rule_files: list[str] = (),
                 evaluation_interval: str = "1s", extra: dict | None = None) -> str:
    """prometheus.yml in `workdir`, rule files copied beside it; returns its path."""
    rules_dir = os.path.join(workdir, "rules")
    os.makedirs(rules_dir, exist_ok=True)
    names = []
    for path in rule_files:
        dest = os.path.join(rules_dir, os.path.basename(path))
        shutil.copyfile(path, dest)
        names.append(os.path.join("rules", os.path.basename(path)))
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": evaluation_interval},
        "rule_files": names,
        "scrape_configs": scrape_configs,
        **(extra or {}),
    }
    path = os.path.join(workdir, "prometheus.yml")
    with open(path, "w", encoding="utf-8") as fh:
        yaml.safe_dump(config, fh, sort_keys=False)
    return path


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """`sig` to the process group, SIGKILL if it is still there after 10 s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


@contextlib.contextmanager
def running_prometheus(workdir, scrape_configs: list[dict], rule_files: list[str] = (), *,
                       web_config: dict | None = None, auth: tuple[str, str] | None = None,
                       evaluation_interval: str = "1s", extra_config: dict | None = None,
                       extra_args: list[str] = ()):
    """A started, ready Prometheus in `workdir` (a fresh folder, e.g. pytest's tmp_path);
    killed on exit from the block, whatever happens in it."""
    workdir = str(workdir)
    os.makedirs(workdir, exist_ok=True)
    config = write_config(workdir, scrape_configs, rule_files, evaluation_interval, extra_config)
    args = [find_prometheus(), f"--config.file={config}", f"--storage.tsdb.path={os.path.join(workdir, 'data')}",
            "--log.level=info", *extra_args]
    if web_config is not None:
        web = os.path.join(workdir, "web.yml")
        with open(web, "w", encoding="utf-8") as fh:
            yaml.safe_dump(web_config, fh)
        args.append(f"--web.config.file={web}")
    if not os.access(args[0], os.X_OK):
        raise PrometheusStartError(f"{args[0]}: no prometheus binary; run `make setup` (or set PROMETHEUS=/path)")
    for attempt in range(3):  # another process may take the free port before Prometheus binds it
        port = free_port()
        log_path = os.path.join(workdir, f"prometheus-{attempt}.log")
        with open(log_path, "wb") as log_file:
            process = subprocess.Popen([*args, f"--web.listen-address=127.0.0.1:{port}"],
                                       stdout=log_file, stderr=subprocess.STDOUT, cwd=workdir,
                                       start_new_session=True)  # its own process group, stopped whole
        prom = Prometheus(f"http://127.0.0.1:{port}", workdir, process, auth, log_path)
        try:
            try:
                _wait_ready(prom)
            except PrometheusStartError:
                if attempt < 2 and "address already in use" in prom.log():
                    continue
                raise
            yield prom
            return
        finally:
            _stop(process)
            prom.session.close()


def _wait_ready(prom: Prometheus) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        prom._check_alive()
        try:
            resp = prom.session.get(f"{prom.url}/-/ready", auth=prom.auth, timeout=2)
            if resp.status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(_POLL_S)
    raise PrometheusStartError(f"prometheus not ready after {START_TIMEOUT_S:g} s\n{prom.log()}")


@dataclass
class Alertmanager:
    url: str
    process: subprocess.Popen
    log_path: str
    args: list[str] = field(default_factory=list)  # how it was started: start() again after stop()
    workdir: str = ""

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as fh:
            return fh.read()[-3000:]

    def alerts(self, **params) -> list[dict]:
        """GET /api/v2/alerts (e.g. filter='team="db"'); HTTPError on a refused filter."""
        resp = requests.get(f"{self.url}/api/v2/alerts", params=params, timeout=10)
        resp.raise_for_status()
        return resp.json()

    def post_alerts(self, alerts: list[dict]) -> None:
        requests.post(f"{self.url}/api/v2/alerts", json=alerts, timeout=10).raise_for_status()

    def stop(self) -> None:
        _stop(self.process)

    def start(self) -> None:
        """Start it again after stop(): same port, configuration and storage."""
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(self.args, cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=log_file,
                                            start_new_session=True)
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                raise PrometheusStartError(f"alertmanager exited with {self.process.returncode}\n{self.log()}")
            try:
                if requests.get(f"{self.url}/-/ready", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise PrometheusStartError(f"alertmanager not ready after {START_TIMEOUT_S:g} s\n{self.log()}")
            time.sleep(_POLL_S)


@contextlib.contextmanager
def running_alertmanager(workdir, config: str):
    """A started, ready Alertmanager with `config` (no cluster, storage in `workdir`), its
    external URL its own; stopped on exit from the block, whatever happens in it."""
    workdir = str(workdir)
    os.makedirs(workdir, exist_ok=True)
    if not os.access(ALERTMANAGER, os.X_OK):
        raise PrometheusStartError(f"{ALERTMANAGER}: no alertmanager; run `make setup` (or set ALERTMANAGER)")
    # the Makefile's alertmanager copy reads its default template from ./am-share
    share = os.path.join(workdir, "am-share")
    if not os.path.exists(share):
        os.symlink(os.path.join(ROOT, "tools", "root", "usr", "share", "prometheus", "alertmanager"), share)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = os.path.join(workdir, "alertmanager.log")
    args = [ALERTMANAGER, f"--config.file={config}", f"--storage.path={os.path.join(workdir, 'am-data')}",
            f"--web.listen-address=127.0.0.1:{port}", f"--web.external-url={url}",
            "--cluster.listen-address=", "--log.level=info"]
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(args, cwd=workdir, stdout=subprocess.DEVNULL, stderr=log_file, start_new_session=True)
    am = Alertmanager(url, process, log_path, args, workdir)
    try:
        am.wait_ready()
        yield am
    finally:
        _stop(am.process)
