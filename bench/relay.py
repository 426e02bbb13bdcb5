"""Relay benchmark: inbound throughput and acknowledgement latency with durable storage, the
same load against minimal servers (the ceiling), and delivery latency to a target.

    .venv/bin/python bench/relay.py                 # what `make bench` runs after bench/run.py
    .venv/bin/python bench/relay.py --duration 30

Load generator: wrk (Debian's 4.1.0, unpacked into tools/ by `make tools/.wrk`), one thread,
with a Lua script that POSTs realistic Alertmanager payloads of 1 to 20 alerts (built by
bench/relay_payloads.py), each with a unique groupKey so nothing is dropped as a duplicate
and every request is a real SQLite commit (WAL, synchronous=FULL). wrk is C and uses a few
percent of a core here; it shares the 2 cores with the server, as a co-located sidecar would.

Runs, each `--duration` seconds after a 3-second warm-up:
  1. relay, closed loop (16 connections): the most it takes, and its p99;
  2. relay, paced near 1,000 notifications/s (32 connections, each waiting 20 ms between
     requests): p99 at the target load;
  Both with every notification routed to a healthy webhook target (a local sink process)
  limited to 50 messages/s, so the relay delivers digests while it takes the load, and
  again with no target (stored, routed nowhere): the cost of ingest alone; and both again with
  the PostgreSQL store (Debian's server, started here like the tests start it: a fresh
  cluster on loopback, fsync on), the store several replicas share;
  3. the same two loads against a minimal aiohttp app and a minimal http.server
     (ThreadingHTTPServer) that read the body and answer 200: the ceilings, and the reason
     for choosing aiohttp;
  4. delivery: 20 notifications/s for --duration seconds through the relay to a webhook
     target (a local sink process) that is under its rate limit; latency from the client's
     receipt of the 200 to the sink's receipt of the notification.
Figures go to stdout and bench/relay_results.json; targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import itertools
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [ROOT, HERE, os.path.join(ROOT, "tests")]
from relay_payloads import sample_payload  # noqa: E402

WRK = os.path.join(ROOT, "tools", "bin", "wrk")
RESULTS = os.path.join(HERE, "relay_results.json")
PY = sys.executable

LUA = r"""
local bodies = {%(bodies)s}
local counter = 0
local tid = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  n = 0
  pause = tonumber(args[1] or "0")
end
function request()
  n = n + 1
  local body = bodies[(n %% #bodies) + 1]:gsub("__SEQ__", tid .. "-" .. n)
  return wrk.format("POST", "/alerts", {["Content-Type"] = "application/json"}, body)
end
function delay()
  return pause
end
function done(summary, latency, requests)
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, "max_us": %%d, ' ..
    '"errors_status": %%d, "errors_connect": %%d, "errors_timeout": %%d, "errors_read": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    summary.errors.status, summary.errors.connect, summary.errors.timeout, summary.errors.read))
end
"""

MINIMAL_AIOHTTP = r"""
import sys
from aiohttp import web
async def ok(request):
    await request.read()
    return web.json_response({"status": "ok"})
app = web.Application()
app.router.add_post("/alerts", ok)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""

MINIMAL_HTTPSERVER = r"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        body = b'{"status": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""

SINK = r"""
import json, sys, time
from aiohttp import web
receipts = {}
async def hook(request):
    body = json.loads(await request.read())
    now = time.time()
    for doc in body if isinstance(body, list) else [body]:
        receipts.setdefault(doc["groupKey"], now)
    return web.Response(text="ok")
async def dump(request):
    return web.json_response(receipts)
app = web.Application(client_max_size=1 << 30)
app.router.add_post("/hook", hook)
app.router.add_get("/receipts", dump)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 20) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"server exited ({proc.returncode}) before answering {url}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except urllib.error.HTTPError:
            return  # it answers (405 for GET on a POST route is fine)
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"no answer from {url}")


def lua_script(tmp: str) -> str:
    rng = random.Random(7)
    bodies = []
    for i in range(64):
        data = sample_payload(alerts=rng.randint(1, 20), seq=i)
        data["groupKey"] = data["groupKey"] + "#__SEQ__"
        bodies.append(json.dumps(json.dumps(data)))  # a Lua string literal is a JSON string here
    path = os.path.join(tmp, "alerts.lua")
    with open(path, "w") as fh:
        fh.write(LUA % {"bodies": ", ".join(bodies)})
    sizes = [len(json.loads(b)) for b in bodies]
    print(f"payloads: 64 groups of 1-20 alerts, {min(sizes)}-{max(sizes)} bytes (median {int(statistics.median(sizes))})")
    return path


def wrk(url: str, script: str, duration: int, pause_ms: int, connections: int = 16) -> dict:
    def run(seconds: int) -> dict:
        cmd = [WRK, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", script, url, "--", str(pause_ms)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        line = next(l for l in out.splitlines() if l.startswith("RESULT "))
        return json.loads(line[len("RESULT "):])

    run(3)  # warm-up
    res = run(duration)
    res["rate"] = res["requests"] / (res["duration_us"] / 1e6)
    res["p50_ms"], res["p99_ms"], res["max_ms"] = res["p50_us"] / 1000, res["p99_us"] / 1000, res["max_us"] / 1000
    res["command"] = f"wrk -t1 -c{connections} -d{duration}s -s alerts.lua {url} -- {pause_ms}"
    return res


DSN_ENV = "RELAY_BENCH_DSN"


def relay_config(tmp: str, sink_port: int, rate_limited: bool | None, postgresql: bool = False) -> str:
    import yaml
    target = {"kind": "webhook", "url": f"http://127.0.0.1:{sink_port}/hook"}
    if rate_limited:
        target["rate_limits"] = [{"count": 50, "per": "1s"}]
    store = ({"kind": "postgresql", "dsn_env": DSN_ENV} if postgresql
             else os.path.join(tmp, f"relay-{int(time.time() * 1000)}.db"))
    cfg = {"listen": "127.0.0.1:0", "store": store,
           "targets": {"sink": target}, "routes": [{"matchers": ['severity=~"critical|warning"'], "targets": ["sink"]}],
           "default_targets": ["sink"]}
    if rate_limited is None:  # ingest only: stored, routed nowhere
        cfg["routes"], cfg["default_targets"] = [], []
    path = os.path.join(tmp, "relay.yaml")
    with open(path, "w") as fh:
        yaml.safe_dump(cfg, fh)
    return path


def start_relay(tmp: str, config: str, env: dict | None = None) -> tuple[subprocess.Popen, int, str]:
    log = os.path.join(tmp, "relay.log")
    fh = open(log, "wb")
    proc = subprocess.Popen([PY, "-m", "relay", "--config", config, "--log-level", "WARNING"],
                            cwd=ROOT, stdout=fh, stderr=fh, env={**os.environ, **(env or {})})
    # the listening line is at INFO; find the port from the open socket instead
    end = time.monotonic() + 20
    port = None
    while port is None and time.monotonic() < end:
        out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True).stdout
        m = re.search(rf"127\.0\.0\.1:(\d+)\s.*pid={proc.pid},", out)
        port = int(m.group(1)) if m else None
        time.sleep(0.05)
    if port is None:
        raise SystemExit(f"relay did not start:\n{open(log).read()}")
    return proc, port, log


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def metrics(port: int) -> dict[str, float]:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    return {k: float(v) for k, _, v in (l.rpartition(" ") for l in text.splitlines() if l and not l.startswith("#"))}


def delivery_latency(tmp: str, duration: int, rate: float = 20.0) -> dict:
    sink_port = free_port()
    sink = subprocess.Popen([PY, "-c", SINK, str(sink_port)])
    relay = None
    try:
        wait_http(f"http://127.0.0.1:{sink_port}/receipts", sink)
        relay, port, _ = start_relay(tmp, relay_config(tmp, sink_port, rate_limited=False))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        acks: dict[str, float] = {}
        rng = random.Random(11)
        start = time.monotonic()
        for i in range(int(duration * rate)):
            time.sleep(max(0.0, start + i / rate - time.monotonic()))
            data = sample_payload(alerts=rng.randint(1, 20), seq=10_000 + i)
            conn.request("POST", "/alerts", json.dumps(data), {"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            acks[data["groupKey"]] = time.time()
            assert resp.status == 200, resp.status
        time.sleep(1.0)
        receipts = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{sink_port}/receipts").read())
        lat = sorted((receipts[k] - t) * 1000 for k, t in acks.items() if k in receipts)
        return {"notifications": len(acks), "delivered": len(lat), "rate": rate,
                "p50_ms": statistics.median(lat), "p99_ms": lat[int(len(lat) * 0.99) - 1], "max_ms": lat[-1]}
    finally:
        if relay:
            stop(relay)
        stop(sink)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=20, help="seconds per measured run (default 20)")
    ap.add_argument("--results", default=RESULTS)
    args = ap.parse_args()
    if not os.path.exists(WRK):
        raise SystemExit(f"{WRK} missing: run `make tools/.wrk`")
    results: dict = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                     "nproc": os.cpu_count(), "python": platform.python_version(), "cpu": platform.processor(),
                     "duration_s": args.duration, "runs": {}}
    loads = {"closed loop": (16, 0), "paced ~1000/s": (32, 20)}  # (connections, ms between requests)
    from support.postgres_server import running_postgres

    with tempfile.TemporaryDirectory(prefix="relay-bench-") as tmp, running_postgres() as pg:
        script = lua_script(tmp)
        # 1-2: the relay, durable, one rate-limited webhook target (digests)
        sink_port = free_port()
        sink = subprocess.Popen([PY, "-c", SINK, str(sink_port)])
        try:
            wait_http(f"http://127.0.0.1:{sink_port}/receipts", sink)
            setups = (("relay", True, False), ("relay without targets", None, False),
                      ("relay on PostgreSQL", True, True), ("relay on PostgreSQL without targets", None, True))
            for (setup, limited, shared), (load, (conns, pause)) in itertools.product(setups, loads.items()):
                env = {DSN_ENV: pg.create_database("bench")} if shared else None
                relay, port, _ = start_relay(tmp, relay_config(tmp, sink_port, rate_limited=limited, postgresql=shared), env)
                try:
                    res = wrk(f"http://127.0.0.1:{port}/alerts", script, args.duration, pause, conns)
                    m = metrics(port)
                    res["stored"] = m.get("relay_notifications_stored_total", 0)
                    res["answers_503"] = m.get('relay_http_requests_total{code="503"}', 0)
                    # group commits (BEGIN..COMMIT with fsync) slower than 50 ms: disk stalls that
                    # every acknowledgement of the group waited for
                    res["commits"] = m.get("relay_store_commit_seconds_count", 0)
                    res["commits_over_50ms"] = res["commits"] - m.get('relay_store_commit_seconds_bucket{le="0.05"}', 0)
                finally:
                    stop(relay)
                results["runs"][f"{setup}, {load}"] = res
                print(f"{setup}, {load}: {res['rate']:.0f} notifications/s, p50 {res['p50_ms']:.1f} ms, "
                      f"p99 {res['p99_ms']:.1f} ms, max {res['max_ms']:.0f} ms, errors {res['errors_status']}, "
                      f"stored {res['stored']:.0f}, commits {res['commits']:.0f} ({res['commits_over_50ms']:.0f} over 50 ms)")
        finally:
            stop(sink)
        # 3: ceilings
        for name, code in (("minimal aiohttp", MINIMAL_AIOHTTP), ("minimal http.server", MINIMAL_HTTPSERVER)):
            for load, (conns, pause) in loads.items():
                port = free_port()
                proc = subprocess.Popen([PY, "-c", code, str(port)])
                try:
                    wait_http(f"http://127.0.0.1:{port}/alerts", proc)
                    res = wrk(f"http://127.0.0.1:{port}/alerts", script, args.duration, pause, conns)
                finally:
                    stop(proc)
                results["runs"][f"{name}, {load}"] = res
                print(f"{name}, {load}: {res['rate']:.0f} requests/s, p50 {res['p50_ms']:.1f} ms, p99 {res['p99_ms']:.1f} ms")
        # 4: delivery latency
        d = delivery_latency(tmp, args.duration)
        results["delivery"] = d
        print(f"delivery at {d['rate']:.0f}/s: {d['delivered']}/{d['notifications']} delivered, "
              f"ack -> target p50 {d['p50_ms']:.1f} ms, p99 {d['p99_ms']:.1f} ms, max {d['max_ms']:.1f} ms")
    paced = results["runs"]["relay, paced ~1000/s"]
    closed = results["runs"]["relay, closed loop"]
    # The closed loop sustains its rate with the p99 it reports: both halves of the target in
    # one run. The paced load's rate follows its latency (32 connections, 20 ms apart: 970/s
    # at a 13 ms mean), so only its p99 is held to the target.
    results["targets"] = {
        "inbound >= 1000/s with p99 ack <= 50 ms (closed loop)": closed["rate"] >= 1000 and closed["p99_ms"] <= 50,
        "p99 ack <= 50 ms at the paced ~1000/s load": paced["p99_ms"] <= 50,
        "delivery p99 <= 100 ms": results["delivery"]["p99_ms"] <= 100,
    }
    for name, ok in results["targets"].items():
        print(f"target {name}: {'met' if ok else 'NOT met'}")
    with open(args.results, "w") as fh:
        json.dump(results, fh, indent=2, sort_keys=True)
        fh.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
