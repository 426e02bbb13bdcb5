"""Test helpers for the relay: a scriptable receiving HTTP server (the "chat service" of the
testhook kind) and the relay itself as a real subprocess on 127.0.0.1.

Waits poll with a generous deadline and fail with what was seen; nothing asserts on timing.
"""

from __future__ import annotations

from support.paths import REPO, TESTS
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = REPO
DEADLINE = 20.0  # seconds a wait may take before the test fails (never reached when things work)


class Receiver:
    """Records every POST; answers from a script (a list of (status, body, headers)) and then
    with the default answer 200 {"ok": true}."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: dict[str | None, list[tuple[int, dict, dict]]] = {}  # path (None: any) -> answers
        self.always: dict[str, tuple[int, dict, dict]] = {}  # path -> the answer once the script is used up
        self.holds: dict[str, threading.Event] = {}  # path -> answer only once set
        self.cond = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                hold = outer.holds.get(self.path)
                if hold is not None:
                    with outer.cond:
                        outer.waiting.append(self.path)
                        outer.cond.notify_all()
                    hold.wait(DEADLINE)
                with outer.cond:
                    queue = outer.script.get(self.path) or outer.script.get(None)
                    if queue:
                        status, answer, headers = queue.pop(0)
                    else:
                        status, answer, headers = outer.always.get(self.path, (200, {"ok": True}, {}))
                    outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body),
                                           "status": status, "answer": answer, "at": time.time()})
                    outer.cond.notify_all()
                data = json.dumps(answer).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.waiting: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, *entries: tuple[int, dict, dict], path: str | None = None) -> None:
        with self.cond:
            self.script.setdefault(path, []).extend(entries)

    def delivered(self, path: str | None = None) -> list[dict]:
        """Bodies of requests answered ok (status 200 and {"ok": true})."""
        with self.cond:
            return [r["body"] for r in self.requests
                    if r["status"] == 200 and r["answer"].get("ok") and (path is None or r["path"] == path)]

    def delivered_ids(self, path: str | None = None) -> list[int]:
        return [i for body in self.delivered(path) for i in body["ids"]]

    def wait(self, predicate, what: str):
        end = time.monotonic() + DEADLINE
        with self.cond:
            while not predicate():
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; received: {self.requests}")
                self.cond.wait(left)

    def wait_requests(self, count: int, path: str | None = None) -> list[dict]:
        self.wait(lambda: len([r for r in self.requests if path is None or r["path"] == path]) >= count,
                  f"{count} requests to {path or 'any path'}")
        with self.cond:
            return [r for r in self.requests if path is None or r["path"] == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def relay_config(tmp: Path, receiver: Receiver, **overrides) -> dict:
    """A fast relay.yaml: testhook targets a, b, c on the receiver (paths /a, /b, /c)."""
    cfg = {
        "listen": "127.0.0.1:0",
        "store": str(tmp / "relay.db"),
        "dedup_window": "10m",
        "retry": {"initial": "50ms", "max": "200ms"},
        "delivery_timeout": "5s",
        "targets": {name: {"kind": "testhook", "url": f"{receiver.url}/{name}"} for name in ("a", "b", "c")},
        "routes": [],
        "default_targets": ["a"],
    }
    cfg.update(overrides)
    return cfg


class RelayProcess:
    """`python -m relay --config <tmp>/relay.yaml` (its CLI, with the testhook kind registered unless `extra_modules` says otherwise)."""

    def __init__(self, tmp: Path, config: dict, extra_modules: tuple[str, ...] = ("support.relay_testkind",),
                 env: dict[str, str] | None = None, python: str | None = None):
        self.env = env or {}  # added to this process's environment (the relay's *_env secrets)
        self.python = python  # another interpreter (a virtualenv with the relay installed): its own imports only
        self.tmp = tmp
        self.config_path = tmp / "relay.yaml"
        self.log_path = tmp / "relay.log"
        self.extra_modules = extra_modules
        self.write_config(config)
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None

    def write_config(self, config: dict) -> None:
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False))

    def start(self) -> "RelayProcess":
        imports = "".join(f"import {m}; " for m in self.extra_modules)
        code = f"import sys; {imports}from relay.cli import main; sys.exit(main(sys.argv[1:]))"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), str(ROOT)]), **self.env)
        if self.python:
            env.pop("PYTHONPATH")
        self.log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.python or sys.executable, "-c", code, "--config", str(self.config_path)],
                                     cwd=self.tmp, env=env, stdout=self.log_file, stderr=self.log_file,
                                     start_new_session=True)  # its own process group, stopped whole
        listening = self.wait_log(lambda e: e.get("msg") == "listening", "the relay to listen")
        self.port = listening["port"]
        return self

    def logs(self) -> list[dict]:
        text = self.log_path.read_bytes()[self.log_offset:].decode("utf-8", "replace")
        out = []
        for line in text.splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                out.append({"msg": "<not json>", "line": line})
        return out

    def all_logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_log(self, predicate, what: str, after: int = 0) -> dict:
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            found = [e for e in self.logs()[after:] if predicate(e)]
            if found:
                return found[0]
            if self.proc.poll() is not None:
                raise AssertionError(f"relay exited ({self.proc.returncode}) while waiting for {what}:\n{self.all_logs()}")
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}:\n{self.all_logs()}")

    def wait_delivered(self, nid: int, target: str) -> dict:
        """Until the relay itself has logged the delivery (metrics are updated by then)."""
        return self.wait_log(lambda e: e.get("msg") == "delivered" and e.get("target") == target
                             and nid in e.get("notification_ids", ()), f"notification {nid} delivered to {target}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, dict | str]:
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                status, data, ctype = resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            status, data, ctype = exc.code, exc.read(), exc.headers.get("Content-Type", "")
        return status, (json.loads(data) if "json" in ctype else data.decode())

    def post(self, payload: dict | bytes, path: str = "/alerts", headers: dict | None = None) -> tuple[int, dict]:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.request("POST", path, body, {"Content-Type": "application/json", **(headers or {})})

    def metrics(self) -> dict[str, float]:
        """Samples as {'name{label="v"}': value}."""
        status, text = self.request("GET", "/metrics")
        assert status == 200
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                out[key] = float(value)
        return out

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.log_file.close()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
            except ProcessLookupError:
                pass
        if self.proc:
            self.log_file.close()


def payload(seq: int = 0, alerts: int = 1, status: str = "firing", **labels) -> dict:
    """A v4 payload whose group key carries `seq`, with extra common labels for routing."""
    starts = f"2024-05-01T10:{seq // 60 % 60:02d}:{seq % 60:02d}Z"
    common = {"alertname": labels.pop("alertname", f"Alert{seq}"), "severity": "warning", **labels}
    return {
        "version": "4", "groupKey": f"{{}}:{{seq=\"{seq}\"}}", "truncatedAlerts": 0, "status": status,
        "receiver": "relay", "groupLabels": {"seq": str(seq)}, "commonLabels": common,
        "commonAnnotations": {"summary": f"summary {seq}"}, "externalURL": "http://am.example:9093",
        "alerts": [{"status": status, "labels": {**common, "instance": f"i{i}"}, "annotations": {"summary": f"summary {seq}"},
                    "startsAt": starts, "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2024-05-01T11:00:00Z",
                    "generatorURL": "http://prom.example/graph", "fingerprint": f"{seq:08x}{i:08x}"} for i in range(alerts)],
    }
