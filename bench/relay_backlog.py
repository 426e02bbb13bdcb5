"""Relay under a backlog and in a storm: memory and restart time with N notifications waiting,
and the time until every alert of a 300-alert storm has appeared in each chat.

    .venv/bin/python bench/relay_backlog.py                 # what `make bench` runs
    .venv/bin/python bench/relay_backlog.py --sizes 0,10000,100000 --runs 3

Backlog: a store is filled with N pending deliveries (realistic 1-20-alert payloads from
bench/relay_payloads.py, written with the relay's own store functions) for a webhook target
whose receiver is down (every attempt 503, retry.initial 1h, so nothing is delivered or
re-read during the measurement). Then `python -m relay` is started on it: "restart" is the time
from the process start to its "listening" line; RSS is VmRSS 3 s after that.

Storm: 300 distinct alerts posted as Alertmanager sends them when it groups by alert and pod
(300 notifications of one alert, all at once) to a relay whose route reaches a DingTalk and a
WeCom contract server (tests/support/chatfakes.py: 20 messages a minute each, sizes checked); the
time until the last alert's pod appears in each chat's text, and how many messages it took.
Targets (issue 12) are reported, never asserted; results go to bench/relay_backlog_results.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests"), os.path.dirname(os.path.abspath(__file__))]

import yaml  # noqa: E402

from relay import store  # noqa: E402
from relay.order import priority  # noqa: E402
from relay import payload as pl  # noqa: E402
from relay_payloads import sample_payload  # noqa: E402

PY = os.path.join(ROOT, ".venv", "bin", "python")
RESULTS = os.path.join(ROOT, "bench", "relay_backlog_results.json")


class Down(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def fill(path: str, count: int) -> int:
    """`count` pending deliveries for target `sink`; returns the store's size in bytes."""
    conn = store.connect(path)
    bodies = [json.dumps(sample_payload(1 + (i * 7) % 20, seq=i)).encode() for i in range(97)]
    prios = [priority(pl.parse_body(b)) for b in bodies]
    now = time.time()
    conn.execute("BEGIN")
    for i in range(count):
        store.insert_notification(conn, now - 60 + i * 1e-4, None, None, bodies[i % 97], ("sink",), prios[i % 97])
    conn.execute("COMMIT")
    conn.close()
    return sum(os.path.getsize(path + s) for s in ("", "-wal") if os.path.exists(path + s))


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        return int(next(line for line in fh if line.startswith("VmRSS:")).split()[1])


def backlog_run(count: int, down_port: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="relay-backlog-") as tmp:
        db = os.path.join(tmp, "relay.db")
        size = fill(db, count)
        cfg = {"listen": "127.0.0.1:0", "store": db, "retry": {"initial": "1h", "max": "1h"},
               "targets": {"sink": {"kind": "webhook", "url": f"http://127.0.0.1:{down_port}/hook"}},
               "default_targets": ["sink"]}
        with open(os.path.join(tmp, "relay.yaml"), "w") as fh:
            yaml.safe_dump(cfg, fh)
        log = open(os.path.join(tmp, "relay.log"), "wb")
        started = time.perf_counter()
        proc = subprocess.Popen([PY, "-m", "relay", "--config", os.path.join(tmp, "relay.yaml")], cwd=tmp,
                                stdout=log, stderr=log)
        try:
            listening = None
            while listening is None and time.perf_counter() - started < 120:
                with open(os.path.join(tmp, "relay.log"), "rb") as fh:
                    if b'"msg": "listening"' in fh.read():
                        listening = time.perf_counter() - started
                time.sleep(0.01)
            time.sleep(3.0)
            rss = rss_kb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(20)
        return {"pending": count, "restart_s": listening, "rss_mb": rss / 1024, "store_mb": size / 1e6}


def storm_run(tmp: str) -> dict:
    from support.chatfakes import DingTalkFake, WeComFake

    with DingTalkFake() as dingtalk, WeComFake() as wecom:
        cfg = {"listen": "127.0.0.1:0", "store": os.path.join(tmp, f"storm-{time.time_ns()}.db"),
               "targets": {"dt": {"kind": "dingtalk", "url": dingtalk.url}, "wc": {"kind": "wecom", "url": wecom.url}},
               "routes": [{"name": "storm", "targets": ["dt", "wc"]}], "default_targets": ["dt"]}
        path = os.path.join(tmp, "storm.yaml")
        with open(path, "w") as fh:
            yaml.safe_dump(cfg, fh)
        log = os.path.join(tmp, "storm.log")
        proc = subprocess.Popen([PY, "-m", "relay", "--config", path], cwd=tmp, stdout=open(log, "wb"),
                                stderr=subprocess.STDOUT)
        try:
            port = None
            while port is None:
                with open(log) as fh:
                    m = re.search(r'"msg": "listening".*?"port": (\d+)', fh.read())
                port = int(m.group(1)) if m else None
                time.sleep(0.02)
            bodies = []
            now = datetime.datetime.now(datetime.timezone.utc).isoformat()
            for i in range(300):
                labels = {"alertname": f"StormAlert{i % 10}", "namespace": "shop", "pod": f"storm-{i:03d}",
                          "severity": "critical" if i % 7 == 0 else "warning"}
                bodies.append(json.dumps({
                    "version": "4", "groupKey": f'{{}}:{{alertname="{labels["alertname"]}", pod="{labels["pod"]}"}}',
                    "status": "firing", "receiver": "storm", "groupLabels": {"alertname": labels["alertname"], "pod": labels["pod"]},
                    "commonLabels": labels, "commonAnnotations": {"summary": f"Storm alert {i}."},
                    "externalURL": "http://alertmanager:9093", "truncatedAlerts": 0,
                    "alerts": [{"status": "firing", "labels": labels, "annotations": {"summary": f"Storm alert {i}."},
                                "startsAt": now, "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "",
                                "fingerprint": f"{i:016x}"}]}).encode())
            started = time.perf_counter()
            threads = [threading.Thread(target=lambda part: [urllib.request.urlopen(urllib.request.Request(
                f"http://127.0.0.1:{port}/alerts/storm", data=b, headers={"Content-Type": "application/json"}), timeout=30)
                for b in part], args=(bodies[k::8],)) for k in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            want = {f"storm-{i:03d}" for i in range(300)}
            done: dict[str, float] = {}
            while len(done) < 2 and time.perf_counter() - started < 300:
                for name, fake, key in (("dingtalk", dingtalk, "text"), ("wecom", wecom, "content")):
                    text = "\n".join(m["markdown"][key] for m in list(fake.accepted))
                    if name not in done and set(re.findall(r"storm-\d{3}", text)) >= want:
                        done[name] = time.perf_counter() - started
                time.sleep(0.05)
            return {name: {"all_shown_s": done.get(name), "messages": len(fake.accepted),
                           "refused": sum(1 for _, b in fake.answers if json.loads(b).get("errcode"))}
                    for name, fake in (("dingtalk", dingtalk), ("wecom", wecom))}
        finally:
            proc.terminate()
            proc.wait(20)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="0,10000,100000", help="backlog sizes (default 0,10000,100000)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each measurement (default 3; medians reported)")
    ap.add_argument("--results", default=RESULTS)
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Down)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"relay backlog benchmark, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC: "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")
    backlog = []
    for size in [int(s) for s in args.sizes.split(",") if s]:
        runs = [backlog_run(size, server.server_address[1]) for _ in range(args.runs)]
        row = {"pending": size, "restart_s": statistics.median(r["restart_s"] for r in runs),
               "rss_mb": statistics.median(r["rss_mb"] for r in runs), "store_mb": runs[0]["store_mb"],
               "runs": runs}
        backlog.append(row)
        print(f"  {size:>7} pending (store {row['store_mb']:.0f} MB): start to listening {row['restart_s']:.2f} s, "
              f"RSS {row['rss_mb']:.1f} MB (median of {args.runs})")
    with tempfile.TemporaryDirectory(prefix="relay-storm-") as tmp:
        storms = [storm_run(tmp) for _ in range(args.runs)]
    storm = {}
    for kind in ("dingtalk", "wecom"):
        times = [s[kind]["all_shown_s"] for s in storms if s[kind]["all_shown_s"] is not None]
        storm[kind] = {"all_shown_s": statistics.median(times) if times else None,
                       "messages": statistics.median(s[kind]["messages"] for s in storms),
                       "refused": sum(s[kind]["refused"] for s in storms), "runs": [s[kind] for s in storms]}
        print(f"  storm of 300 alerts, {kind}: all shown after {storm[kind]['all_shown_s']:.1f} s in "
              f"{storm[kind]['messages']:.0f} messages (median of {len(times)}), {storm[kind]['refused']} refused")
    base = next((r for r in backlog if r["pending"] == 0), None)
    big = next((r for r in backlog if r["pending"] == 100000), None)
    targets = {}
    if base and big:
        targets["RSS growth at 100,000 pending < 50 MB"] = big["rss_mb"] - base["rss_mb"] < 50
        targets["restart with 100,000 pending < 5 s"] = big["restart_s"] < 5
    for name, met in targets.items():
        print(f"target {name}: {'met' if met else 'MISSED'}")
    with open(args.results, "w") as fh:
        json.dump({"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                   "nproc": os.cpu_count(), "python": platform.python_version(), "backlog": backlog, "storm": storm,
                   "targets": targets}, fh, indent=2, sort_keys=True)
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
