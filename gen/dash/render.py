"""Dashboard -> Grafana dashboard JSON (current model), with everything grafanalib leaves out
or writes in legacy form fixed: grid positions, datasource references as objects, panel ids,
alert thresholds, links, template variables, no explicit nulls.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote


from gen.config import Config
from gen.dash.layout import Placed, place
from gen.dash.model import AlertLine, Dashboard, Link, Variable
from gen.dash.schema import SCHEMA_VERSION
from gen.core.errors import DefinitionError
from gen.core.model import Source
from gen.core.resolved import format_value
from gen.core.placeholders import substitute_expr

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
RECORDED = "recorded"  # the placeholder of recorded series: `verb:apiserver_request:burnrate1h{${recorded}}`

# Panel keys grafanalib writes that the current model no longer has.
_LEGACY_PANEL_KEYS = {"span", "minSpan", "height", "error", "cacheTimeout", "editable", "hideTimeOverride",
                      "repeatDirection", "maxPerRow", "transparent", "timeFrom", "timeShift", "maxDataPoints",
                      # grafanalib's Table: the old table panel's keys (now fieldConfig and options)
                      "color", "columns", "fontSize"}
_LEGACY_TARGET_KEYS = {"query", "target", "metric", "step", "intervalFactor"}
# grafanalib's Stat writes noValue "none", which reads like a value ("API servers up: none");
# Grafana's own empty text is this.
NO_DATA = "No data"


@dataclass
class Context:
    """What rendering needs from the rest of the build."""

    config: Config
    selectors: dict[str, str]  # catalog defaults + monitoring.yaml, without the cluster matcher
    alert_params: dict[str, dict[str, Any]]  # enabled alert -> resolved parameter values
    known_alerts: set[str]  # every alert of the catalog, disabled ones included
    uids: set[str] = field(default_factory=set)
    # every alert -> its parameters as resolved (catalog defaults for disabled alerts), for
    # `${Alert.param}` in panel expressions
    expr_params: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def cluster_label(self) -> str | None:
        mc = self.config.multi_cluster
        return mc.label if mc.enabled else None

    def expr_selectors(self) -> dict[str, str]:
        """Selectors as dashboards use them: with multi-cluster on, narrowed to `$cluster`.

        `${recorded}` is for series the catalog's recording rules write (they carry no job
        label): empty, or only the cluster matcher when multi-cluster is on."""
        selectors = {**self.selectors, RECORDED: ""}
        label = self.cluster_label
        if not label:
            return selectors
        matcher = f'{label}="$cluster"'
        return {k: f"{v}, {matcher}" if v.strip() else matcher for k, v in selectors.items()}


_SCALARS = (str, int, float, bool)


def _plain(obj) -> Any:
    """grafanalib objects -> the data its DashboardEncoder would write (to_json_data all the way
    down, tuples as lists, keys as strings), without the None values of mappings. One pass:
    encoding to JSON text and decoding it again was a third of rendering a dashboard."""
    if obj is None or isinstance(obj, _SCALARS):
        return obj
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            value = _plain(value)
            if value is not None:
                out[key if isinstance(key, str) else json.loads(json.dumps({key: 0})).popitem()[0]] = value
        return out
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    to_json_data = getattr(obj, "to_json_data", None)  # what DashboardEncoder.default calls
    if to_json_data is None:
        raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")
    return _plain(to_json_data())


def _where(dashboard: Dashboard, placed: Placed) -> str:
    title = getattr(placed.cell.panel, "title", "") or ""
    return f"{placed.cell.source}: dashboard {dashboard.uid}: panel {title!r}"


def _link_url(link: Link, ctx: Context, where: str) -> str:
    if link.dashboard not in ctx.uids:
        raise DefinitionError(f"{where}: link {link.title!r} points at dashboard {link.dashboard!r}, which does not exist")
    params = ["${__url_time_range}", "var-datasource=${datasource}"]
    if ctx.cluster_label:
        params.append("var-cluster=${cluster}")
    params += [f"var-{k}={v}" for k, v in link.vars.items()]
    return f"/d/{link.dashboard}?{'&'.join(params)}"


# `${Alert.param}`: a panel computing an alert's quantity uses the alert's own parameter
# (e.g. how many node failures the overcommit alerts tolerate), so the two cannot drift.
_ALERT_PARAM = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\}")


def _fill_alert_params(expr: str, ctx: Context, where: str) -> str:
    def repl(m: re.Match) -> str:
        alert, param = m.groups()
        if alert not in ctx.expr_params:
            raise DefinitionError(f"{where}: ${{{alert}.{param}}}: the catalog has no alert {alert!r}")
        params = ctx.expr_params[alert]
        if param not in params:
            known = ", ".join(sorted(params)) or "none"
            raise DefinitionError(f"{where}: ${{{alert}.{param}}}: alert {alert} has no parameter {param!r} (known: {known})")
        return format_value(params[param])

    return _ALERT_PARAM.sub(repl, expr)


def _threshold_steps(lines: list[AlertLine], ctx: Context, where: str) -> list[dict]:
    steps = []
    for line in lines:
        if line.alert not in ctx.known_alerts:
            raise DefinitionError(f"{where}: alert line names alert {line.alert!r}, which the catalog does not have")
        params = ctx.alert_params.get(line.alert)
        if params is None:  # disabled in monitoring.yaml: it cannot fire, draw no line
            continue
        if line.compute is not None:
            try:
                value = line.compute(dict(params))
            except KeyError as exc:
                known = ", ".join(sorted(params)) or "none"
                raise DefinitionError(f"{where}: alert line of {line.alert} reads parameter {exc.args[0]!r}, "
                                      f"which the alert does not have (known: {known})") from None
            what, scale = f"the line computed from {line.alert}'s parameters", 1.0
        else:
            if line.param not in params:
                known = ", ".join(sorted(params)) or "none"
                raise DefinitionError(f"{where}: alert {line.alert} has no parameter {line.param!r} (known: {known})")
            value, what, scale = params[line.param], f"parameter {line.alert}.{line.param}", line.scale
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise DefinitionError(f"{where}: {what} is {value!r}, not a number")
        steps.append({"color": line.color, "value": round(value * scale, 10)})
    return sorted(steps, key=lambda s: s["value"])


def _base_steps(steps: list[dict]) -> list[dict]:
    """Threshold steps as Grafana writes them: the base step's value is null."""
    return [{"color": st.get("color", "green"), "value": None if st.get("value") in ("null", None) else st["value"]}
            for st in steps]


def _panel(dashboard: Dashboard, placed: Placed, panel_id: int, ctx: Context) -> dict:
    where = _where(dashboard, placed)
    data = _plain(placed.cell.panel)
    for key in _LEGACY_PANEL_KEYS:
        data.pop(key, None)
    mappings = data.pop("mappings", None)  # grafanalib's Table keeps them at the top, Grafana in fieldConfig
    if mappings:
        data.setdefault("fieldConfig", {}).setdefault("defaults", {}).setdefault("mappings", mappings)
    data["id"] = panel_id
    data["gridPos"] = {"h": placed.h, "w": placed.w, "x": placed.x, "y": placed.y}
    data["datasource"] = dict(DATASOURCE)
    selectors = ctx.expr_selectors()
    targets = []
    for n, target in enumerate(data.get("targets", [])):
        for key in _LEGACY_TARGET_KEYS:
            target.pop(key, None)
        target["datasource"] = dict(DATASOURCE)
        target["refId"] = target.get("refId") or chr(ord("A") + n)
        if "expr" in target:
            at = f"{where}: target {target['refId']}"
            target["expr"] = substitute_expr(_fill_alert_params(target["expr"], ctx, at), selectors, at)
        targets.append(target)
    if targets:
        data["targets"] = targets
    defaults = data.setdefault("fieldConfig", {}).setdefault("defaults", {})
    if defaults.get("noValue") == "none":
        defaults["noValue"] = NO_DATA
    # grafanalib writes the base threshold step's value as the string "null", plus legacy keys;
    # _plain dropped the None of a base step written in an override.
    if "thresholds" in defaults:
        defaults["thresholds"]["steps"] = _base_steps(defaults["thresholds"].get("steps", []))
    for override in data["fieldConfig"].get("overrides", []):
        for prop in override.get("properties", []):
            if prop.get("id") == "thresholds" and isinstance(prop.get("value"), dict):
                prop["value"]["steps"] = _base_steps(prop["value"].get("steps", []))
    alert_steps = _threshold_steps(placed.cell.alerts, ctx, where)
    if alert_steps:
        base = {"color": "green", "value": None}
        defaults["thresholds"] = {"mode": "absolute", "steps": [base, *alert_steps]}
        if data.get("type") == "timeseries":
            defaults.setdefault("custom", {})["thresholdsStyle"] = {"mode": "line+area" if len(alert_steps) == 1 else "line"}
    elif "thresholds" in defaults and not defaults["thresholds"].get("steps"):
        defaults["thresholds"] = {"mode": "absolute", "steps": [{"color": "green", "value": None}]}
    if placed.cell.links:
        defaults["links"] = [{"title": l.title, "url": _link_url(l, ctx, where)} for l in placed.cell.links]
    return data


def _variable(var: Variable, selectors: dict[str, str], dashboard: Dashboard) -> dict:
    query = substitute_expr(var.query, selectors, f"{dashboard.source}: dashboard {dashboard.uid}: variable {var.name}")
    out: dict = {
        "type": "query",
        "name": var.name,
        "label": var.title or var.name.capitalize(),
        "datasource": dict(DATASOURCE),
        "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "refresh": 2,  # on time range change: pods come and go
        "sort": 1,
        "multi": var.multi,
        "includeAll": var.include_all,
        "hide": 2 if var.hide else 0,
        "options": [],
    }
    if var.all_value is not None:
        out["allValue"] = var.all_value
    if var.regex:
        out["regex"] = var.regex
    return out


def _variables(dashboard: Dashboard, ctx: Context) -> list[dict]:
    out = [{
        "type": "datasource", "name": "datasource", "label": "Data source", "query": "prometheus",
        "hide": 0, "refresh": 1, "regex": "", "options": [],
    }]
    if ctx.cluster_label:  # its own query is not narrowed to $cluster
        cluster = Variable("cluster", f"label_values(up, {ctx.cluster_label})")  # every scraped target has up
        out.append(_variable(cluster, ctx.selectors, dashboard))
    out += [_variable(v, ctx.expr_selectors(), dashboard) for v in dashboard.variables]
    return out


def _numbered(dashboard: Dashboard):
    """(placed row, row id, [(placed panel, panel id)]): panel ids run through rows and panels in order."""
    next_id = 1
    for prow in place(dashboard.rows, dashboard.uid):
        row_id = next_id
        numbered = list(zip(prow.panels, range(row_id + 1, row_id + 1 + len(prow.panels))))
        next_id = row_id + 1 + len(prow.panels)
        yield prow, row_id, numbered


def panel_sources(dashboard: Dashboard) -> dict[int, Source]:
    """Panel id in the rendered dashboard -> where its cell() was written, for messages
    about a rendered panel."""
    return {pid: placed.cell.source for _, _, numbered in _numbered(dashboard) for placed, pid in numbered}


def render_dashboard(dashboard: Dashboard, ctx: Context, titles: dict[str, str] | None = None) -> dict:
    """The dashboard's JSON; `titles` (uid -> title) names the top bar's links (else the uid)."""
    panels: list[dict] = []
    for prow, row_id, numbered in _numbered(dashboard):
        row = {"type": "row", "title": prow.row.title, "id": row_id, "collapsed": prow.row.collapsed,
               "gridPos": {"h": 1, "w": 24, "x": 0, "y": prow.y}, "panels": []}
        children = [_panel(dashboard, placed, pid, ctx) for placed, pid in numbered]
        if prow.row.collapsed:
            row["panels"] = children
            panels.append(row)
        else:
            panels.append(row)
            panels.extend(children)
    links = []
    for uid in dashboard.links:
        if uid not in ctx.uids:
            raise DefinitionError(f"{dashboard.source}: dashboard {dashboard.uid}: links to {uid!r}, which does not exist")
        links.append({"type": "link", "title": (titles or {}).get(uid, uid), "url": f"/d/{uid}", "includeVars": True, "keepTime": True,
                      "asDropdown": False, "icon": "dashboard", "tags": [], "targetBlank": False, "tooltip": ""})
    return {
        "uid": dashboard.uid,
        "title": dashboard.title,
        "description": dashboard.description,
        "tags": sorted(set(dashboard.tags) | {"kubernetes", "generated"}),
        "editable": False,  # generated: a change made in Grafana's UI is lost at the next sync
        "graphTooltip": 1,
        "timezone": "browser",
        "schemaVersion": SCHEMA_VERSION,  # the pinned Grafana's (gen/dash/schema/VERSION)
        "version": 1,
        "time": {"from": dashboard.time_from, "to": "now"},
        "refresh": dashboard.refresh,
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "",
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
            "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard",
        }]},
        "links": links,
        "templating": {"list": _variables(dashboard, ctx)},
        "panels": panels,
    }


def dashboard_url(grafana_url: str, uid: str, variables: dict[str, str]) -> str:
    """A link into a dashboard with variables set; values may hold Go templates ({{ $labels.x }})."""
    query = "&".join(f"var-{quote(k)}={v}" for k, v in variables.items())
    return f"{grafana_url}/d/{uid}" + (f"?{query}" if query else "")
