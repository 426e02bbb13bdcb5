"""What the Alertmanager routing adds: resolving + rendering it inside a build, and checking it
with amtool (check-config + every route case, as `python -m gen test` does). Medians, printed.

    .venv/bin/python bench/routing.py [--runs 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from gen.render import outdir  # noqa: E402
from gen.build import build  # noqa: E402
from gen.routing import check  # noqa: E402
from gen.routing.loader import load_routing  # noqa: E402
from gen.routing.render import PLAIN, render_routing  # noqa: E402
from gen.routing.resolve import resolve_routing  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=20)
    args = p.parse_args(argv)
    compiled, files = build(None)
    c = compiled
    routing_s, amtool_s = [], []
    for _ in range(args.runs):
        t = time.perf_counter()
        resolved = resolve_routing(load_routing(c.sources.routing), c.rule_files, c.config, c.catalog.modules)
        render_routing(resolved)
        routing_s.append(time.perf_counter() - t)
    with tempfile.TemporaryDirectory(prefix="bench-routing-") as tmp:
        outdir.write_tree(tmp, files)
        path = os.path.join(tmp, PLAIN)
        for _ in range(max(3, args.runs // 4)):
            t = time.perf_counter()
            assert check.check_config(path).ok
            assert all(r.ok for r in check.run_cases(path, c.routing.cases))
            amtool_s.append(time.perf_counter() - t)
    print(f"routing resolve + render ({len(c.routing.alerts)} alerts, {len(c.routing.inhibits)} inhibit rules): "
          f"median {statistics.median(routing_s) * 1000:.1f} ms over {len(routing_s)} runs")
    print(f"amtool check-config + {len(c.routing.cases)} route cases (one process each, {os.cpu_count()} at once): "
          f"median {statistics.median(amtool_s):.2f} s over {len(amtool_s)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
