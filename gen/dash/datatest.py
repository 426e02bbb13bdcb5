"""Proof that every panel returns data: each dashboard's fixture series become a promtool
test in which every query (panel targets and variable queries), with the fixture's variable
values and Grafana's macros filled in, must return at least one sample.

promtool's promql_expr_test compares exact samples, so each query is wrapped as
`count(<query>) > bool 0 or vector(0)`: 1 when it returns something, 0 when empty. One test
group per query, named after the dashboard, panel and target, which promtool prints on failure.
"""

from __future__ import annotations

import os

from gen.dash.check import fill, macros, queries
from gen.dash.model import Dashboard
from gen.core.errors import DefinitionError
from gen.core.yamlfmt import dump
from gen.core.placeholders import substitute


def test_groups(dashboard: Dashboard, data: dict, selectors: dict[str, str]) -> list[dict]:
    """promtool test groups for one rendered dashboard (`data`) and its fixture."""
    fx = dashboard.fixture
    if fx is None:
        raise DefinitionError(f"{dashboard.source}: dashboard {dashboard.uid}: no fixture (Fixture(series=..., vars=...)) "
                              "proving its panels return data")
    where = f"{fx.source}: dashboard {dashboard.uid}: fixture"
    series = [{"series": substitute(s, selectors, where), "values": v} for s, v in fx.series.items()]
    declared = {v["name"] for v in data["templating"]["list"]} - {"datasource"}
    missing = sorted(declared - set(fx.vars))
    if missing:
        raise DefinitionError(f"{where}: no value for variable(s) {', '.join(missing)}")
    filled = macros(fx.rate_interval, fx.interval, fx.range)
    groups = []
    for q in queries(data):
        try:
            expr = fill(q.expr, fx.vars, filled)
        except KeyError as exc:
            raise DefinitionError(f"{where}: {q.where}: no value for ${exc.args[0]}") from None
        groups.append({
            "name": f"{q.where} returns data",
            "interval": fx.interval,
            "input_series": series,
            "promql_expr_test": [{
                "expr": f"count({expr}) > bool 0 or vector(0)",
                "eval_time": fx.at,
                "exp_samples": [{"labels": "{}", "value": 1}],
            }],
        })
    return groups


def failing(output: str, groups: list[dict]) -> list[str]:
    """The names (dashboard, panel, target) of the groups whose query promtool reports as
    failing: promtool 2.42 prints only the expression of a failed promql_expr_test."""
    import json

    return [g["name"] for g in groups if f"expr: {json.dumps(g['promql_expr_test'][0]['expr'])}" in output]


def write_tests(dest: str, pairs: list[tuple[Dashboard, dict]], selectors: dict[str, str]) -> list[tuple[str, list[dict]]]:
    """One promtool test file per dashboard in `dest`; (path, test groups) of each."""
    os.makedirs(dest, exist_ok=True)
    out = []
    for dashboard, data in pairs:
        groups = test_groups(dashboard, data, selectors)
        doc = {"rule_files": [], "evaluation_interval": "1m", "tests": groups}
        path = os.path.join(dest, f"dashboard-{dashboard.uid}.test.yaml")
        with open(path, "wb") as fh:
            fh.write(dump(doc))
        out.append((path, groups))
    return out

