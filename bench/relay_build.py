"""How long a target takes to build one request: template rendering, the size cut, signing.

    .venv/bin/python bench/relay_build.py [--runs 200]

The relay's delivery latency target (p99 from acknowledgement to the chat service's receipt
at most 100 ms) includes one `Target.build()`, so this measures it alone, in-process, for
each chat kind and the webhook: a realistic group (1 and 20 alerts), an over-size group of
500 alerts (cut by binary search over the number of alerts shown), and a digest of 20
notifications of 5 alerts (the webhook kind forwards everything: it has no cut). Median and p99 of --runs builds after 5 warm-up builds; nothing
is asserted. Figures go into bench/README.md ("Relay targets: build time").
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import support.alertsamples as samples  # noqa: E402
from relay.targets import KINDS  # noqa: E402

URLS = {
    "dingtalk": "https://oapi.dingtalk.com/robot/send?access_token=t",
    "wecom": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
    "feishu": "https://open.feishu.cn/open-apis/bot/v2/hook/h",
    "slack": "https://hooks.slack.com/services/T/B/x",
    "webhook": "https://cmdb.example/alerts",
}


def group(count: int, name: str = "KubePodNotReady") -> samples.Notification:
    return samples.notification(samples.payload(*(
        samples.alert(name=name, pod=f"web-{i}", description=f"Pod shop/web-{i} has been not ready for 15 minutes.")
        for i in range(count))))


def measure(target, notifications, runs: int) -> tuple[float, float, int]:
    now = dt.datetime.now(dt.timezone.utc)
    for _ in range(5):
        target.build(notifications, now)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        request = target.build(notifications, now)
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.99) - 1] * 1000, len(request.body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    secret_dir = Path(os.environ.get("TMPDIR", "/tmp"))
    (secret_dir / "relay-bench-secret").write_text("secret")
    cases = {
        "1 alert": [group(1)],
        "20 alerts": [group(20)],
        "500 alerts": [group(500)],
        "digest 20x5": [group(5, name=f"Alert{i}") for i in range(20)],
    }
    print(f"# {dt.date.today()}  Python {platform.python_version()}  nproc={os.cpu_count()}  "
          f"runs={args.runs}  load average at start {os.getloadavg()[0]:.2f}")
    print(f"{'kind':10} {'case':18} {'median ms':>10} {'p99 ms':>8} {'body bytes':>11}")
    for kind, url in URLS.items():
        settings = {"url": url}
        if kind in ("dingtalk", "feishu"):
            settings["secret_file"] = str(secret_dir / "relay-bench-secret")
        target = KINDS[kind].from_config(kind, settings, f"bench.{kind}")
        for case, notifications in cases.items():
            median, p99, size = measure(target, notifications, args.runs)
            print(f"{kind:10} {case:18} {median:10.2f} {p99:8.2f} {size:11}")
    (secret_dir / "relay-bench-secret").unlink()


if __name__ == "__main__":
    main()
