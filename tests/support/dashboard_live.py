"""A built dashboard's queries against a live Prometheus, as Grafana would send them: each
query variable takes all the values its label_values() finds (its `All`), other variables
their current value, Grafana's macros short windows that fit a few minutes of data.

    empty = panels_without_data(prom, "k8s-etcd")   # [Empty(title, description, query, metrics), ...]
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from gen.core.promql import analyze
from gen.dash.check import fill, macros, panels, queries
from support.shipped import OUT

# A test's Prometheus holds a minute or two of 1 s scrapes. $__rate_interval is 1m, as Grafana
# makes it for a 15 s scrape interval: some series move only every 30 s (etcd observes its peer
# round trip that often), so a shorter window is flat half the time, and VictoriaMetrics then
# drops histogram_quantile's NaN where Prometheus returns it.
LIVE_MACROS = macros(rate_interval="1m", interval="5s", range_="2m")


def dashboard(uid: str) -> dict:
    return json.loads((OUT / "grafana" / f"{uid}.json").read_text())


def variable_values(prom, data: dict, chosen: dict[str, str] | None = None) -> dict[str, str]:
    """Each variable's value, in the dashboard's order: `chosen` if given; else a query
    variable with `All` takes a regex of every value found, one without takes the first (as
    Grafana does); other variables their current value."""
    chosen = dict(chosen or {})
    include_all = {v["name"]: bool(v.get("includeAll")) for v in data.get("templating", {}).get("list", [])}
    values: dict[str, str] = {}
    for q in queries(data):
        if q.panel_id is not None:
            continue
        if q.ref in chosen:
            values[q.ref] = chosen[q.ref]
            continue
        expr = fill(q.expr, values, LIVE_MACROS)
        found = sorted({s[q.label] for s in prom.api("series", **{"match[]": expr}) if q.label in s}) if q.label \
            else [s["metric"].get("__name__", "") for s in prom.api("query", query=expr)["result"]]
        if not include_all[q.ref]:
            values[q.ref] = found[0] if found else "__none__"
        else:  # as Grafana writes a multi-value regex into a PromQL string: escaped, backslashes doubled
            values[q.ref] = "|".join(re.escape(v).replace("\\", "\\\\") for v in found) if found else "__none__"
    for var in data.get("templating", {}).get("list", []):
        current = (var.get("current") or {}).get("value")
        if var["name"] not in values and current is not None:
            values[var["name"]] = current if isinstance(current, str) else "|".join(current)
    return values


@dataclass(frozen=True)
class Empty:
    """A panel target that returned nothing."""

    title: str
    description: str
    query: str  # as sent
    metrics: frozenset[str]  # the series names it reads

    def __repr__(self) -> str:
        return f"panel {self.title!r}: {self.query}"


def panels_without_data(prom, uid: str, chosen: dict[str, str] | None = None) -> list[Empty]:
    """Every panel target of out/grafana/<uid>.json that returns nothing now (variables as
    variable_values() sets them, `chosen` first)."""
    data = dashboard(uid)
    values = variable_values(prom, data, chosen)
    descriptions = {p.get("id"): p.get("description") or "" for p in panels(data)}
    empty = []
    for q in queries(data):
        if q.panel_id is None:
            continue
        expr = fill(q.expr, values, LIVE_MACROS)
        if not prom.api("query", query=expr)["result"]:
            empty.append(Empty(q.title, descriptions[q.panel_id], expr, frozenset(analyze(expr).metrics)))
    return empty
