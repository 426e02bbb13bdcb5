"""Online lint benchmark: how long `python -m gen lint --prometheus URL` takes and how many
API requests it makes, against a real Prometheus 2.42 (tools/bin/prometheus) scraping the
fixture exporter (tests/support/fixture_exporter.py) with the catalog's rule files loaded.

    .venv/bin/python bench/online_lint.py --runs 15

Measured: the check alone (gen.live.online_lint.check, in-process, after one warm-up), the whole
CLI as a process, and Prometheus' start to first scrape of every target (the fixed cost a
test pays). Asserts nothing; figures go to bench/README.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from support.fixture_exporter import FixtureExporter  # noqa: E402
from gen.live import online_lint
from gen.render import outdir  # noqa: E402
from gen.build import build  # noqa: E402
from gen.live.prometheus_api import PrometheusClient  # noqa: E402
from support.live import running_prometheus  # noqa: E402


def _stats(xs: list[float]) -> str:
    return f"median {statistics.median(xs) * 1000:.1f} ms (min {min(xs) * 1000:.1f}, max {max(xs) * 1000:.1f}, n={len(xs)})"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=15)
    args = p.parse_args()
    compiled, files = build(None)
    rendered = {d.uid: json.loads(files[f"grafana/{d.uid}.json"]) for d in compiled.dashboards}
    refs = online_lint.rule_references(compiled.rule_files) + \
        online_lint.dashboard_references(compiled.dashboards, rendered)
    known = online_lint.exporters(compiled.catalog.selectors)
    records = online_lint.recording_rule_sources(compiled.rule_files)
    with tempfile.TemporaryDirectory(prefix="bench-online-lint-") as tmp:
        built = os.path.join(tmp, "built")
        outdir.write_tree(built, files)
        rules = sorted(os.path.join(built, f) for f in files if f.startswith("rules/"))
        config = os.path.join(tmp, "monitoring.yaml")
        with open(config, "w") as fh:
            fh.write("{}\n")
        with FixtureExporter() as exporter:
            started = time.perf_counter()
            with running_prometheus(os.path.join(tmp, "prom"), exporter.scrape_configs(), rules) as prom:
                prom.wait_for_scrapes()
                first_scrape = time.perf_counter() - started
                names = len(prom.api("label/__name__/values"))

                calls = []
                with PrometheusClient(prom.url) as client:
                    original = client._get

                    def counted(path, params=None):
                        calls.append(path)
                        return original(path, params)

                    client._get = counted
                    report = online_lint.check(client, refs, known, records)  # warm-up, and the request count
                    requests_made = len(calls)
                    checks = []
                    for _ in range(args.runs):
                        t = time.perf_counter()
                        online_lint.check(client, refs, known, records)
                        checks.append(time.perf_counter() - t)

                cli = []
                for _ in range(max(3, args.runs // 3)):
                    t = time.perf_counter()
                    subprocess.run([sys.executable, "-m", "gen", "lint", "--prometheus", prom.url, "--config", config],
                                   cwd=ROOT, capture_output=True, check=False)
                    cli.append(time.perf_counter() - t)
    print(f"server: {names} metric names; catalog: {len(refs)} references "
          f"({sum(len(r.selectors) for r in refs)} selectors); {len(report.missing)} findings")
    print(f"API requests per check: {requests_made}")
    print(f"gen.live.online_lint.check: {_stats(checks)}")
    print(f"python -m gen lint --prometheus (whole process, build included): {_stats(cli)}")
    print(f"Prometheus start to every target scraped once: {first_scrape:.2f} s (one run)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
