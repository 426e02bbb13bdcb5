"""Cost of the dashboard schema check (gen.dash.schema.validate), part of `make build`'s budget.

    .venv/bin/python bench/dash_schema.py [--runs 25]

Measured, each in a fresh child process for the one-off costs:
  * `import gen.dash.schema` (jsonschema + reading VERSION);
  * the first validate() call, which loads, checks and compiles the 58 KB schema;
then in-process, median of --runs calls: validate() of the hand-written valid dashboard of the
tests (2 panels), of a 40-panel dashboard made of copies of its timeseries panel, and of
grafanalib 0.7.1's raw output (29 faults reported). Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MINIMAL = os.path.join(ROOT, "tests", "data", "dash_schema", "minimal_valid.json")

ONE_OFF = """
import time
t0 = time.perf_counter()
import gen.dash.schema as s
t1 = time.perf_counter()
s.validate({"schemaVersion": s.SCHEMA_VERSION})
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def _one_off(runs: int) -> tuple[list[float], list[float]]:
    imports, first = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", ONE_OFF], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.split()
        imports.append(float(out[0]))
        first.append(float(out[1]))
    return imports, first


def _big(minimal: dict, panels: int) -> dict:
    dash = copy.deepcopy(minimal)
    template = dash["panels"][1]
    dash["panels"] = []
    for i in range(panels):
        panel = copy.deepcopy(template)
        panel["id"] = i + 1
        panel["gridPos"] = {"h": 8, "w": 12, "x": 12 * (i % 2), "y": 8 * (i // 2)}
        dash["panels"].append(panel)
    return dash


def _grafanalib() -> dict:
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from test_dash_schema import grafanalib_dashboard
    return grafanalib_dashboard()


def _timed(fn, runs: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()

    sys.path.insert(0, ROOT)
    from gen.dash.schema import validate

    with open(MINIMAL, encoding="utf-8") as fh:
        minimal = json.load(fh)
    validate(minimal)  # load the schema outside the timed calls
    cases = {"valid, 2 panels": minimal, "valid, 40 panels": _big(minimal, 40),
             "grafanalib 0.7.1 raw, 1 panel": _grafanalib()}

    rows = []
    imports, first = _one_off(min(args.runs, 10))
    rows.append(("import gen.dash.schema (fresh process)", imports, "-"))
    rows.append(("first validate(): load + compile schema", first, "-"))
    for name, dash in cases.items():
        times, messages = _timed(lambda d=dash: validate(d), args.runs)
        rows.append((f"validate() {name}", times, str(len(messages))))

    print(f"{'measurement':<45} {'median':>9} {'min':>9} {'max':>9} {'messages':>9}")
    for name, times, messages in rows:
        med, lo, hi = (f"{x * 1000:.2f} ms" for x in (statistics.median(times), min(times), max(times)))
        print(f"{name:<45} {med:>9} {lo:>9} {hi:>9} {messages:>9}")


if __name__ == "__main__":
    main()
