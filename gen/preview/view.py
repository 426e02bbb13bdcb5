"""What a page draws, worked out in Python from the built dashboard JSON and the query answers:
positions on the grid, series named by their legend, stats reduced and coloured from the
thresholds, tables merged as Grafana's merge/organize transformations do. The page's script
only draws this, so the decisions are tested here without a browser.
"""

from __future__ import annotations

import math
import re

from gen.dash.model import GRID_COLUMNS

ROW_HEIGHT_PX = 30  # one grid unit, as Grafana draws it
GAP_PX = 8

# Grafana's named colours (its classic palette), so that "red" looks like Grafana's red.
COLORS = {
    "green": "#73BF69", "dark-green": "#37872D", "semi-dark-green": "#56A64B", "light-green": "#96D98D",
    "red": "#F2495C", "dark-red": "#C4162A", "semi-dark-red": "#E02F44", "light-red": "#FF7383",
    "orange": "#FF9830", "dark-orange": "#FA6400", "semi-dark-orange": "#FF780A", "light-orange": "#FFB357",
    "yellow": "#FADE2A", "dark-yellow": "#E0B400", "semi-dark-yellow": "#F2CC0C", "light-yellow": "#FFEE52",
    "blue": "#5794F2", "dark-blue": "#1F60C4", "semi-dark-blue": "#3274D9", "light-blue": "#8AB8FF",
    "purple": "#B877D9", "dark-purple": "#8F3BB8", "semi-dark-purple": "#A352CC", "light-purple": "#CA95E5",
    "text": "#CCCCDC", "transparent": "transparent",
}
PALETTE = ["#7EB26D", "#EAB839", "#6ED0E0", "#EF843C", "#E24D42", "#1F78C1", "#BA43A6", "#705DA0",
           "#508642", "#CCA300", "#447EBC", "#C15C17", "#890F02", "#0A437C", "#6D1F62", "#584477"]


def color(name: str | None) -> str:
    return COLORS.get(name or "", name or COLORS["green"])


def grid_css(pos: dict) -> dict:
    """A panel's gridPos as CSS: columns in percent of the page width, rows in pixels."""
    x, y, w, h = (int(pos.get(k, 0)) for k in ("x", "y", "w", "h"))
    return {"left": f"{100 * x / GRID_COLUMNS:.4f}%", "width": f"{100 * w / GRID_COLUMNS:.4f}%",
            "top": f"{y * ROW_HEIGHT_PX}px", "height": f"{h * ROW_HEIGHT_PX - GAP_PX}px"}


def page_height(panels: list[dict]) -> int:
    """Pixels the grid takes: the lowest panel's bottom edge."""
    bottom = max((int(p["gridPos"]["y"]) + int(p["gridPos"]["h"]) for p in panels if "gridPos" in p), default=1)
    return bottom * ROW_HEIGHT_PX


def threshold_color(value: float | None, thresholds: dict | None) -> str:
    """The colour of the highest step whose value the number reaches (the base step, value
    null, otherwise), as Grafana's absolute thresholds; percentage mode against 0..100."""
    steps = (thresholds or {}).get("steps") or [{"color": "green", "value": None}]
    chosen = steps[0].get("color")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return color(chosen)
    for step in steps:
        limit = step.get("value")
        if not isinstance(limit, (int, float)) or value >= limit:  # null (or grafanalib's "null"): the base
            chosen = step.get("color")
    return color(chosen)


def mapped(value: float | None, mappings: list[dict]) -> tuple[str, str] | None:
    """(text, colour) of the value mapping that matches `value`, if any (value and range kinds)."""
    if value is None:
        return None
    for m in mappings or []:
        opts = m.get("options") or {}
        if m.get("type") == "value":
            for key, to in opts.items():
                try:
                    if float(key) == value:
                        return to.get("text", key), color(to.get("color")) if to.get("color") else ""
                except ValueError:
                    continue
        elif m.get("type") == "range":
            lo, hi = opts.get("from"), opts.get("to")
            if (lo is None or value >= lo) and (hi is None or value <= hi):
                to = opts.get("result") or {}
                return to.get("text", ""), color(to.get("color")) if to.get("color") else ""
    return None


_LEGEND = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


def legend(fmt: str | None, labels: dict[str, str]) -> str:
    """The series name as Grafana writes it: the legend format filled, else the labels."""
    if fmt and fmt != "__auto":
        return _LEGEND.sub(lambda m: labels.get(m.group(1), ""), fmt)
    name = labels.get("__name__", "")
    rest = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{name}{{{rest}}}" if rest or not name else name


def _num(text) -> float | None:
    try:
        v = float(text)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v


def reduce(values: list[float | None], calc: str) -> float | None:
    """Grafana's reducers a stat or gauge uses (lastNotNull when none is named)."""
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    if calc in ("last", "lastNotNull"):
        return vals[-1]
    if calc == "first" or calc == "firstNotNull":
        return vals[0]
    if calc == "max":
        return max(vals)
    if calc == "min":
        return min(vals)
    if calc == "mean":
        return sum(vals) / len(vals)
    if calc == "sum":
        return sum(vals)
    if calc == "count":
        return float(len(vals))
    return vals[-1]


def series_of(results: list[tuple[dict, list[dict]]]) -> list[dict]:
    """(target, Prometheus result) pairs as named series: {name, labels, points [[t, v], ...]}."""
    out = []
    for target, result in results:
        for r in result:
            points = r.get("values") or ([r["value"]] if "value" in r else [])
            out.append({"name": legend(target.get("legendFormat"), r.get("metric", {})), "labels": r.get("metric", {}),
                        "ref": target.get("refId", "A"), "points": [[float(t), _num(v)] for t, v in points]})
    return out


def table_of(panel: dict, results: list[tuple[dict, list[dict]]]) -> dict:
    """Rows of a table panel: each target's samples joined on their labels (Grafana's merge),
    value columns `Value #<refId>`, then the organize transformation's exclude, rename, order."""
    rows: dict[tuple, dict] = {}
    columns: list[str] = []
    for target, result in results:
        value_col = f"Value #{target.get('refId', 'A')}" if len(results) > 1 else "Value"
        for r in result:
            labels = {k: v for k, v in r.get("metric", {}).items()}
            for k in labels:
                if k not in columns:
                    columns.append(k)
            key = tuple(sorted((k, v) for k, v in labels.items() if k != "__name__"))
            row = rows.setdefault(key, dict(labels))
            points = r.get("values") or ([r["value"]] if "value" in r else [])
            row[value_col] = _num(points[-1][1]) if points else None
        if value_col not in columns:
            columns.append(value_col)
    organize = next((t.get("options", {}) for t in panel.get("transformations", []) if t.get("id") == "organize"), {})
    excluded = {k for k, v in (organize.get("excludeByName") or {}).items() if v}
    rename = organize.get("renameByName") or {}
    index = organize.get("indexByName") or {}
    kept = [c for c in columns if c not in excluded and c != "Time"]
    named = [rename.get(c, c) for c in kept]
    order = sorted(range(len(kept)), key=lambda i: (index.get(named[i], index.get(kept[i], 1000 + i))))
    units = {}
    default_unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "short")
    for o in panel.get("fieldConfig", {}).get("overrides", []):
        if o.get("matcher", {}).get("id") == "byName":
            for prop in o.get("properties", []):
                if prop.get("id") == "unit":
                    units[o["matcher"]["options"]] = prop["value"]
    header = [named[i] for i in order]
    body = [[row.get(kept[i]) for i in order] for row in rows.values()]
    numeric = [kept[i].startswith("Value") for i in order]
    return {"columns": header, "rows": body,
            "units": [units.get(h, default_unit) if numeric[n] else None for n, h in enumerate(header)]}


def panel_view(panel: dict, results: list[tuple[dict, list[dict]]] | None, error: str | None = None) -> dict:
    """Everything the page needs to draw one panel."""
    defaults = panel.get("fieldConfig", {}).get("defaults", {})
    kind = panel.get("type")
    view = {"id": panel.get("id"), "type": kind, "title": panel.get("title", ""), "css": grid_css(panel["gridPos"]),
            "unit": defaults.get("unit", "short"), "decimals": defaults.get("decimals"), "error": error}
    if kind == "row" or error is not None:
        return view
    thresholds = defaults.get("thresholds")
    results = results or []
    if kind == "table":
        view["table"] = table_of(panel, results)
        return view
    series = series_of(results)
    if kind in ("timeseries", "state-timeline"):
        style = (defaults.get("custom", {}).get("thresholdsStyle") or {}).get("mode", "off")
        view["series"] = [{"name": s["name"], "points": s["points"], "color": PALETTE[i % len(PALETTE)]}
                          for i, s in enumerate(series)]
        if kind == "state-timeline":
            view["mappings"] = defaults.get("mappings") or []
        view["thresholds"] = [] if style == "off" else [
            {"value": st["value"], "color": color(st.get("color")), "style": style}
            for st in (thresholds or {}).get("steps", []) if isinstance(st.get("value"), (int, float))]
        return view
    # stat, gauge, bargauge: one reduced value per series
    calcs = panel.get("options", {}).get("reduceOptions", {}).get("calcs") or ["lastNotNull"]
    values = []
    for s in series:
        v = reduce([p[1] for p in s["points"]], calcs[0])
        hit = mapped(v, defaults.get("mappings"))
        values.append({"name": s["name"], "value": v, "text": hit[0] if hit else None,
                       "color": (hit[1] if hit and hit[1] else threshold_color(v, thresholds))})
    view["values"] = values
    view["noValue"] = defaults.get("noValue") or "No data"
    view["min"], view["max"] = defaults.get("min"), defaults.get("max")
    view["textMode"] = panel.get("options", {}).get("textMode", "auto")
    view["colorMode"] = panel.get("options", {}).get("colorMode", "value")
    return view
