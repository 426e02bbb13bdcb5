"""Build-time checks of rendered dashboards: grid, ids, datasource, unit and description on
every panel, every query parses once Grafana's variables and macros are filled in, a count of
up targets reads 0 when there are none, a stat over the whole window is an instant query.

Each message names the dashboard, the panel (title and id) and where it was defined.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import promql_parser

from gen.dash.model import GRID_COLUMNS

# `$1` is label_replace's capture group, not a variable: Grafana leaves it alone too.
_VARIABLE = re.compile(r"\$\{(\w+)(?::[\w]+)?\}|\$(?![0-9]+\b)(\w+)|\[\[(\w+)\]\]")


@dataclass(frozen=True)
class Query:
    """One PromQL query of a dashboard: a panel target or a variable's label_values()."""

    dashboard: str
    panel_id: int | None  # None for a variable
    title: str  # panel title, or "variable <name>"
    ref: str  # target refId, or the variable name
    expr: str
    label: str | None = None  # the label a variable's label_values(expr, label) lists

    @property
    def where(self) -> str:
        if self.panel_id is None:
            return f"dashboard {self.dashboard}: {self.title}"
        return f"dashboard {self.dashboard}: panel {self.title!r} (id {self.panel_id}) target {self.ref}"


def panels(data: dict):
    """Every panel, the ones inside collapsed rows included."""
    for p in data.get("panels", []):
        yield p
        yield from p.get("panels", [])


_LABEL_VALUES = re.compile(r"^\s*label_values\((.*),\s*(\w+)\s*\)\s*$", re.S)
# Grafana's query_result(expr): the variable's values are cut from the result by its regex.
_QUERY_RESULT = re.compile(r"^\s*query_result\((.*)\)\s*$", re.S)


def queries(data: dict) -> list[Query]:
    uid = data["uid"]
    out = []
    for var in data.get("templating", {}).get("list", []):
        if var.get("type") != "query":
            continue
        q = var["query"]["query"] if isinstance(var.get("query"), dict) else var.get("query", "")
        m = _LABEL_VALUES.match(q)
        result = _QUERY_RESULT.match(q)
        expr = m.group(1) if m else result.group(1) if result else q
        out.append(Query(uid, None, f"variable {var['name']}", var["name"], expr, m.group(2) if m else None))
    for p in panels(data):
        for t in p.get("targets", []):
            if t.get("expr"):
                out.append(Query(uid, p.get("id"), p.get("title", ""), t.get("refId", "?"), t["expr"]))
    return out


def fill(expr: str, values: dict[str, str], macros: dict[str, str]) -> str:
    """The query as Grafana would send it, with `values` for variables and `macros` for
    $__rate_interval & co. KeyError(name) for a variable with no value."""

    def repl(m: re.Match) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        if name in macros:
            return macros[name]
        if name in values:
            return values[name]
        raise KeyError(name)

    return _VARIABLE.sub(repl, expr)


def macros(rate_interval: str, interval: str, range_: str) -> dict[str, str]:
    """What Grafana puts in place of its macros for a query over `range_` at step `interval`."""
    from common.durations import parse_duration

    return {"__rate_interval": rate_interval, "__interval": interval, "__range": range_,
            "__range_s": str(int(parse_duration(range_))), "__interval_ms": str(int(parse_duration(interval) * 1000))}


PARSE_MACROS = macros("5m", "1m", "1h")  # any valid values do for a parse


def check_structure(data: dict) -> list[str]:
    """Unique ids, panels inside the 24 columns, no overlaps, a datasource, unit and description on each."""
    errors = []
    uid = data["uid"]
    seen: dict[int, str] = {}
    boxes: list[tuple[str, int, int, int, int]] = []
    for p in panels(data):
        title = p.get("title", "")
        what = f"panel {title!r} (id {p.get('id')})"
        pid = p.get("id")
        if not isinstance(pid, int):
            errors.append(f"dashboard {uid}: {what}: no numeric id")
        elif pid in seen:
            errors.append(f"dashboard {uid}: {what}: id {pid} already used by panel {seen[pid]!r}")
        else:
            seen[pid] = title
        pos = p.get("gridPos") or {}
        x, y, w, h = (pos.get(k) for k in ("x", "y", "w", "h"))
        if not all(isinstance(v, int) for v in (x, y, w, h)):
            errors.append(f"dashboard {uid}: {what}: gridPos must have integer x, y, w, h")
            continue
        if x < 0 or y < 0 or w < 1 or h < 1 or x + w > GRID_COLUMNS:
            errors.append(f"dashboard {uid}: {what}: gridPos x={x} w={w} does not fit the {GRID_COLUMNS} columns")
        for other, ox, oy, ow, oh in boxes:
            if x < ox + ow and ox < x + w and y < oy + oh and oy < y + h:
                errors.append(f"dashboard {uid}: {what}: overlaps {other}")
        boxes.append((what, x, y, w, h))
        if p.get("type") == "row":
            continue
        ds = p.get("datasource")
        if not isinstance(ds, dict) or not ds.get("uid"):
            errors.append(f"dashboard {uid}: {what}: no datasource reference")
        if not p.get("fieldConfig", {}).get("defaults", {}).get("unit"):
            errors.append(f"dashboard {uid}: {what}: no unit (set unit=... on the panel: 'percent', 'bytes', 'short', ...)")
        if not str(p.get("description") or "").strip():
            errors.append(f"dashboard {uid}: {what}: no description (set description=... on the panel: what it shows "
                          "and how to read it)")
    return errors


def check_queries(data: dict, sources: dict | None = None) -> list[tuple[int | None, str]]:
    """Every query parses with promql-parser once variables and macros are filled in, and uses
    no variable the dashboard does not declare. (panel id or None, message) pairs, so that the
    caller can name the line where the panel's cell() was written."""
    declared = {v["name"]: "placeholder" for v in data.get("templating", {}).get("list", [])}
    errors = []
    for q in queries(data):
        try:
            text = fill(q.expr, declared, PARSE_MACROS)
        except KeyError as exc:
            errors.append((q.panel_id, f"{q.where}: uses ${exc.args[0]}, which the dashboard does not declare"))
            continue
        try:
            promql_parser.parse(text)
        except ValueError as exc:
            errors.append((q.panel_id, f"{q.where}: PromQL does not parse: {exc}\n    {text}"))
    return errors


def _counts_up_targets(expr: str) -> bool:
    """`sum(up ... == bool 1)`, `count(up{...})`, `sum by (job) (up)`: an aggregation of `up`
    alone, which gives no series (not 0) when no target is scraped."""
    from gen.core.promql import analyze

    try:
        tree = promql_parser.parse(expr)
    except ValueError:
        return False  # reported by check_queries
    if type(tree).__name__ != "AggregateExpr" or str(tree.op) not in ("sum", "count"):
        return False
    return analyze(expr).metrics == {"up"}


def check_up_counts(data: dict) -> list[tuple[int | None, str]]:
    """A stat that counts up targets must read 0 when none is scraped (that is when the
    component's down alert fires), not an empty text: `... or on () vector(0)`. A panel
    whose own no-data text says why it is empty (e.g. "no exporter target") is left alone."""
    from gen.dash.render import NO_DATA

    declared = {v["name"]: "placeholder" for v in data.get("templating", {}).get("list", [])}
    errors = []
    for p in panels(data):
        if p.get("type") != "stat" or p.get("fieldConfig", {}).get("defaults", {}).get("noValue") not in (None, NO_DATA):
            continue
        for t in p.get("targets", []):
            try:
                expr = fill(t.get("expr", ""), declared, PARSE_MACROS)
            except KeyError:
                continue  # reported by check_queries
            if _counts_up_targets(expr):
                errors.append((p.get("id"), f"dashboard {data['uid']}: panel {p.get('title', '')!r} (id {p.get('id')}) "
                                            f"target {t.get('refId', '?')}: counts up targets but shows {NO_DATA!r} "
                                            "when none is scraped, exactly when the down alert fires: end the query "
                                            "with `or on () vector(0)` (or give the panel a no-data text saying why "
                                            "it is empty)"))
    return errors


def check_window_stats(data: dict) -> list[tuple[int | None, str]]:
    """A stat over the whole window (`[$__range]`) shows one value: as a range query Grafana
    would have Prometheus compute that whole window again at every step of the graph."""
    errors = []
    for p in panels(data):
        if p.get("type") != "stat":
            continue
        for t in p.get("targets", []):
            if "$__range" in t.get("expr", "") and not t.get("instant"):
                errors.append((p.get("id"), f"dashboard {data['uid']}: panel {p.get('title', '')!r} (id {p.get('id')}) "
                                            f"target {t.get('refId', '?')}: a stat over [$__range] must be an instant "
                                            "query (Target(..., instant=True))"))
    return errors


def promtool_rejects(rendered: list[dict]) -> list[str]:
    """Queries promtool's parser (the targeted Prometheus 2.42) rejects, named by dashboard and
    panel: promql-parser knows newer functions (limitk, ...) that this Prometheus does not.
    One promtool run for all dashboards (its start-up dominates)."""
    import hashlib
    import os
    import tempfile

    from gen.tools import promtool
    from gen.dash.schema import CACHE_DIR
    from gen.core.yamlfmt import dump

    groups, names = [], {}
    for data in rendered:
        declared = {v["name"]: "x" for v in data.get("templating", {}).get("list", [])}
        rules = []
        for q in queries(data):
            try:
                expr = fill(q.expr, declared, PARSE_MACROS)
            except KeyError:
                continue  # reported by check_queries
            record = f"dashboard:query_{len(names)}:check"
            names[record] = q.where
            rules.append({"record": record, "expr": expr})
        groups.append({"name": data["uid"], "rules": rules})
    # promtool's verdict on the same queries with the same promtool is kept (a marker file in
    # the git-ignored cache): most builds change no query, and promtool costs ~90 ms. The key
    # is taken from compact JSON; the YAML file is only written when promtool must run.
    binary = promtool.find_promtool()
    stat = os.stat(binary)
    identity = json.dumps(groups, separators=(",", ":"), ensure_ascii=False).encode()
    key = hashlib.sha256(identity + f"{os.path.realpath(binary)}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:24]
    marker = CACHE_DIR / f"promtool-accepts-{key}"
    if marker.exists():
        return []
    text = dump({"groups": groups})
    with tempfile.TemporaryDirectory(prefix="gen-dash-") as tmp:
        path = os.path.join(tmp, "dashboard-queries.yaml")
        with open(path, "wb") as fh:
            fh.write(text)
        run = promtool.run("check", "rules", path)
    if run.ok:
        try:
            CACHE_DIR.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass  # read-only checkout: promtool runs again next time
        return []
    # promtool names a failing rule by group and position ("group "uid", rule 3, ...")
    bad = []
    for g in groups:
        for n, rule in enumerate(g["rules"], 1):
            if f'group "{g["name"]}", rule {n},' in run.output:
                bad.append(names[rule["record"]])
    return [f"{w}: promtool rejects the query" for w in bad] or [f"promtool rejects a dashboard query:\n{run.output}"]
