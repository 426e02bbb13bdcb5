"""Dashboards in the build: link alerts to them, render and validate them, package them.

Runs after the rules are compiled: thresholds drawn on panels come from the alerts'
resolved parameters, so one knob in monitoring.yaml moves the alert and the line together.
"""

from __future__ import annotations

import json
import sys

from gen.config import Config
from gen.dash import check
from gen.dash.model import Dashboard
from gen.dash import schema
from gen.dash.render import Context, dashboard_url, panel_sources, render_dashboard
from gen.core.errors import ConfigError, DashboardError, DefinitionError
from gen.core.model import Alert
from gen.core.yamlfmt import dump
from gen.core.resolved import AlertRule, alert_params, rules_of

GRAFANA_DIR = "grafana"  # dashboard JSON, importable through Grafana's UI and API
CONFIGMAP_DIR = "dashboards"  # ConfigMaps for Grafana's dashboard sidecar
OPERATOR_DIR = "grafana-operator"  # GrafanaDashboard resources


def enabled(dashboards: list[Dashboard], config: Config) -> list[Dashboard]:
    uids = {d.uid for d in dashboards}
    for uid in config.dashboards.disabled:
        if uid not in uids:
            raise ConfigError(f"{config.path}: dashboards.disabled: no dashboard with uid {uid!r} "
                              f"(known: {', '.join(sorted(uids)) or 'none'})")
    return [d for d in dashboards if d.uid not in config.dashboards.disabled]


def link_alerts(rule_files, dashboards: list[Dashboard], all_uids: set[str], config: Config) -> None:
    """Give each alert that names a dashboard a `dashboard_url` annotation: the dashboard's uid
    with every variable the alert's labels can fill ({{ $labels.x }})."""
    by_uid = {d.uid: d for d in dashboards}
    for rule in rules_of(rule_files):
        if not isinstance(rule, AlertRule) or not rule.definition.dashboard:
            continue
        uid = rule.definition.dashboard
        if uid not in all_uids:
            raise DefinitionError(f"{rule.source}: alert {rule.name}: dashboard {uid!r} does not exist "
                                  f"(known: {', '.join(sorted(all_uids)) or 'none'})")
        if uid not in by_uid or "dashboard_url" in rule.annotations:  # disabled, or set by hand
            continue
        labels = rule.analysis.labels
        carried = (lambda name: labels is not None and labels.can_have(name))
        values = {}
        if config.multi_cluster.enabled and carried(config.multi_cluster.label):
            values["cluster"] = f"{{{{ $labels.{config.multi_cluster.label} }}}}"
        explicit = rule.definition.dashboard_vars
        names = [v.name for v in by_uid[uid].variables]
        unknown = sorted(set(explicit) - set(names))
        if unknown:
            raise DefinitionError(f"{rule.source}: alert {rule.name}: dashboard_vars: dashboard {uid} has no "
                                  f"variable {unknown[0]!r} (known: {', '.join(names) or 'none'})")
        for var in by_uid[uid].variables:
            if explicit:
                if var.name in explicit:
                    values[var.name] = explicit[var.name]
            elif carried(var.series_label):
                values[var.name] = f"{{{{ $labels.{var.series_label} }}}}"
        rule.annotations["dashboard_url"] = dashboard_url(config.grafana_url, uid, values)


def render_all(dashboards: list[Dashboard], compiled, all_uids: set[str]) -> tuple[list[dict], dict[str, bytes]]:
    """Rendered and validated dashboards and their files; one DashboardError listing every
    fault of every dashboard, in dashboard order."""
    config = compiled.config
    params = alert_params(compiled.rule_files)
    defaults = {r.name: dict(r.params) for m in compiled.catalog.modules for g in m.groups for r in g.rules
                if isinstance(r, Alert)}
    expr_params = {name: {**values, **params.get(name, {})} for name, values in defaults.items()}
    ctx = Context(config, compiled.catalog.selectors_with(config.selectors), params, set(defaults), set(all_uids),
                  expr_params=expr_params)
    out, files, errors = [], {}, []
    titles = {d.uid: d.title for d in dashboards}
    for d in dashboards:
        try:
            data = render_dashboard(d, ctx, titles)
        except DefinitionError as exc:
            errors.append(str(exc))
            continue
        found = check.check_structure(data) + [f"dashboard {d.uid}: {m}" for m in schema.validate(data)]
        errors += [f"{d.source}: {e}" for e in found]
        cells = panel_sources(d)  # a query's error names its panel's cell() line, not Dashboard(
        per_panel = check.check_queries(data) + check.check_up_counts(data) + check.check_window_stats(data)
        errors += [f"{cells.get(pid, d.source)}: {e}" for pid, e in per_panel]
        out.append(data)
        files.update(dashboard_files(data, config))
    if errors:
        raise DashboardError("\n".join(errors))
    return out, files


def promtool_check(rendered: list[dict]) -> None:
    """promtool has the last word on what Prometheus parses: DashboardError listing what it
    rejects; skipped (with a note) where promtool is missing."""
    from gen.tools import promtool
    from gen.core.errors import ToolError

    if not rendered:
        return
    try:
        promtool.find_promtool()
    except ToolError:
        print("note: promtool not found, dashboard queries checked with promql-parser only (make setup fetches it)",
              file=sys.stderr)
        return
    errors = check.promtool_rejects(rendered)
    if errors:
        raise DashboardError("\n".join(errors))


def promtool_check_files(files: dict[str, bytes]) -> None:
    """promtool_check of the dashboards among built files (out/ paths -> bytes)."""
    promtool_check([json.loads(v) for k, v in sorted(files.items()) if k.startswith(GRAFANA_DIR + "/") and k.endswith(".json")])


def _name(uid: str) -> str:
    return "grafana-dashboard-" + uid.lower().replace("_", "-")


def _json(data: dict) -> bytes:
    """Indented JSON, UTF-8. msgspec's C formatter, not json.dumps: with `indent`, json falls
    back to its pure-Python encoder, which took ~30 ms of every build for eleven dashboards.
    The text is the same but for floats in exponent form (1e-07 is written 1e-7). Imported
    here: a build that takes its dashboards from the cache does not need it (14 ms)."""
    import msgspec

    return msgspec.json.format(msgspec.json.encode(data), indent=2) + b"\n"


_HEADER = b"# Generated by `python -m gen build` from dashboards_src/. Do not edit.\n"


def dashboard_files(data: dict, config: Config) -> dict[str, bytes]:
    """out/grafana/<uid>.json, a sidecar ConfigMap, and (when switched on) a GrafanaDashboard
    for grafana-operator, of one rendered dashboard."""
    opts = config.dashboards
    files = {}
    uid = data["uid"]
    text = _json(data)
    files[f"{GRAFANA_DIR}/{uid}.json"] = text
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": _name(uid),
            "namespace": opts.namespace,
            "labels": dict(sorted(opts.configmap_labels.items())),
            "annotations": {opts.folder_annotation: opts.folder},
        },
        "data": {f"{uid}.json": text.decode("utf-8")},
    }
    files[f"{CONFIGMAP_DIR}/{uid}.yaml"] = _HEADER + dump(cm)
    if opts.grafana_operator:
        gd = {
            "apiVersion": "grafana.integreatly.org/v1beta1",
            "kind": "GrafanaDashboard",
            "metadata": {"name": _name(uid), "namespace": opts.namespace},
            "spec": {
                "instanceSelector": {"matchLabels": dict(sorted(opts.operator_instance_labels.items()))},
                "folder": opts.folder,
                "json": text.decode("utf-8"),
            },
        }
        files[f"{OPERATOR_DIR}/{uid}.yaml"] = _HEADER + dump(gd)
    return files
