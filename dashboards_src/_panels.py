"""Small constructors for the grafanalib panels the Kubernetes dashboards use, so a panel
definition reads as title, unit and queries. Tables are built from one instant query per
column, merged on their labels (Grafana's `merge` transformation), each column named and
given its own unit."""

from __future__ import annotations

from dataclasses import dataclass

from grafanalib.core import Stat, Table, TableSortByField, Target, Threshold, TimeSeries


def _targets(queries, window_instant: bool = False) -> list[Target]:
    """(expr, legend) pairs -> Targets with refIds A, B, ...; with `window_instant`, a query over
    the whole window ($__range) is one instant query (as a range query it would compute the
    same window again at every step)."""
    return [Target(expr=expr, legendFormat=legend, refId=chr(ord("A") + n),
                   instant=window_instant and "$__range" in expr) for n, (expr, legend) in enumerate(queries)]


def ts(title: str, unit: str, *queries: tuple[str, str], description: str = "", stack: bool = False,
       fill: int = 10, min_zero: bool = True, **kw) -> TimeSeries:
    """A time series panel; `queries` are (expr, legendFormat)."""
    extra = {}
    if stack:
        extra["stacking"] = {"mode": "normal", "group": "A"}
    return TimeSeries(title=title, unit=unit, description=description, targets=_targets(queries),
                      fillOpacity=fill, legendDisplayMode="table", legendCalcs=["lastNotNull", "max"],
                      tooltipMode="multi", valueMin=0 if min_zero else None, **extra, **kw)


def top_by_peak(expr: str, by: str, n: int = 10) -> str:
    """`expr`'s series of the `n` label sets (`by`) whose peak over the dashboard's range is
    highest, drawn over the whole range: n lines. A plain topk(n, ...) in a range query picks
    its n at every step and draws every series that was ever among them."""
    return f"{expr} and on ({by}) topk({n}, max_over_time(({expr})[$__range:] @ end()))"


def steps(*pairs: tuple[str, float]) -> list[Threshold]:
    """Stat thresholds: green from the bottom, then (color, from-value) pairs."""
    out = [Threshold("green", 0, 0.0)]
    out += [Threshold(color, n, float(value)) for n, (color, value) in enumerate(pairs, 1)]
    return out


def stat(title: str, unit: str, *queries: tuple[str, str], thresholds: list[Threshold] | None = None,
         description: str = "", color_mode: str = "value", graph: bool = False, mappings=None,
         text_mode: str | None = None, **kw) -> Stat:
    """A stat panel showing each query's last value; thresholds only where a value means trouble.
    text_mode "name" shows the legend alone (e.g. the node a pod runs on)."""
    if text_mode is None:
        text_mode = "value_and_name" if len(queries) > 1 or "{{" in queries[0][1] else "auto"
    return Stat(title=title, format=unit, description=description, targets=_targets(queries, window_instant=True),
                thresholds=thresholds or steps(), colorMode=color_mode, graphMode="area" if graph else "none",
                reduceCalc="lastNotNull", textMode=text_mode, mappings=mappings or [], **kw)


@dataclass
class Column:
    """One column of a table: its header, the instant query giving its values, its unit."""

    name: str
    expr: str
    unit: str = "short"
    mappings: list | None = None  # Grafana value mappings, e.g. 1 -> Ready
    gauge: bool = False  # draw the value as a bar inside the cell
    max: float | None = None


def table(title: str, keys: list[str], columns: list[Column], description: str = "", sort: str | None = None) -> Table:
    """A table with a row per distinct `keys` label set and a column per query. Columns are
    the queries' values (Grafana names them "Value #<refId>" before the organize step)."""
    targets = [Target(expr=c.expr, refId=chr(ord("A") + n), instant=True, format="table") for n, c in enumerate(columns)]
    renames, order, overrides = {}, {k: i for i, k in enumerate(keys)}, []
    for n, c in enumerate(columns):
        renames[f"Value #{chr(ord('A') + n)}"] = c.name
        order[f"Value #{chr(ord('A') + n)}"] = len(keys) + n
        props = [{"id": "unit", "value": c.unit}]
        if c.mappings:
            props += [{"id": "mappings", "value": c.mappings},
                      {"id": "custom.cellOptions", "value": {"type": "color-text"}}]
        if c.gauge:
            props.append({"id": "custom.cellOptions", "value": {"type": "gauge", "mode": "basic"}})
        if c.max is not None:
            props.append({"id": "max", "value": c.max})
        overrides.append({"matcher": {"id": "byName", "options": c.name}, "properties": props})
    transformations = [
        {"id": "merge", "options": {}},
        {"id": "organize", "options": {"excludeByName": {"Time": True}, "indexByName": order, "renameByName": renames}},
    ]
    return Table(title=title, unit="short", description=description, targets=targets, transformations=transformations,
                 overrides=overrides, filterable=True,
                 sortBy=[TableSortByField(displayName=sort or columns[0].name, desc=True)])


READY = [{"type": "value", "options": {"0": {"text": "NotReady", "color": "red", "index": 0},
                                       "1": {"text": "Ready", "color": "green", "index": 1}}}]
