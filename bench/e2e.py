"""How long the end-to-end test (tests/shipped/test_e2e.py) takes: the whole pytest process, run N
times one after another, timed from outside; the median is the figure in bench/README.md.

    .venv/bin/python bench/e2e.py --runs 3

Each run starts and stops its own fixture exporter, Prometheus, Alertmanager, relay and chat
servers, so the runs are independent. A failed run stops the benchmark (a duration of a broken
pipeline means nothing). Writes bench/e2e_results.json; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COMMAND = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/shipped/test_e2e.py"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--results", default=os.path.join(HERE, "e2e_results.json"))
    args = p.parse_args()
    load = os.getloadavg()[0]
    runs = []
    for i in range(args.runs):
        started = time.perf_counter()
        done = subprocess.run(COMMAND, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            print(done.stdout[-4000:], done.stderr[-2000:], sep="\n")
            print(f"run {i + 1}: the e2e test failed (exit {done.returncode}); no figure", file=sys.stderr)
            return 1
        reported = re.search(r"passed in ([\d.]+)s", done.stdout)
        runs.append({"wall_s": round(wall, 2), "pytest_s": float(reported.group(1)) if reported else None})
        print(f"run {i + 1}: {wall:.1f} s (pytest reports {runs[-1]['pytest_s']} s)")
    median = statistics.median(r["wall_s"] for r in runs)
    print(f"median of {len(runs)}: {median:.1f} s")
    with open(args.results, "w", encoding="utf-8") as fh:
        json.dump({"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "nproc": os.cpu_count(),
                   "python": platform.python_version(), "loadavg_at_start": round(load, 2),
                   "command": " ".join(["python", *COMMAND[1:]]), "runs": runs, "median_wall_s": median},
                  fh, indent=2, sort_keys=True)
        fh.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
