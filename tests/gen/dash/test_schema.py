"""The dashboard schema check: Grafana's model accepts a current dashboard, rejects grafanalib's
raw output and targeted faults, and each message names the JSON path and the panel.

Offline: everything runs against the committed gen/dash/schema/dashboard.schema.json.
"""

from __future__ import annotations

from support.paths import REPO, TESTS
import copy
import json
import re
from importlib.metadata import version as installed_version
from pathlib import Path

import jsonschema
import pytest

from gen.dash import schema as dash_schema
from gen.dash.schema import GRAFANA_VERSION, SCHEMA_VERSION, validate

ROOT = REPO
MINIMAL = TESTS / "data" / "dash_schema" / "minimal_valid.json"
TOOLCHAIN = ROOT / "gen" / "dash" / "schema" / "toolchain"

CPU_PANEL = "(panel id 2, title 'CPU usage by pod')"


def minimal() -> dict:
    return json.loads(MINIMAL.read_text(encoding="utf-8"))


def cpu_panel(dash: dict) -> dict:
    return dash["panels"][1]


# --- a current dashboard passes ---------------------------------------------------------------

def test_minimal_current_dashboard_is_valid():
    dash = minimal()
    # the fixture is what this test claims it is
    assert dash["schemaVersion"] == SCHEMA_VERSION
    panel = cpu_panel(dash)
    assert panel["type"] == "timeseries"
    assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["namespace"]["type"] == "query"
    assert variables["namespace"]["datasource"] == {"type": "prometheus", "uid": "${datasource}"}

    assert validate(dash) == []


# --- grafanalib 0.7.1 raw output is rejected ----------------------------------------------------

def grafanalib_dashboard() -> dict:
    """A simple TimeSeries dashboard as grafanalib 0.7.1 writes it, untouched."""
    from grafanalib._gen import DashboardEncoder
    from grafanalib.core import (Dashboard, GridPos, Target, Template, Templating, Threshold,
                                 TimeSeries)

    dash = Dashboard(
        title="Pods",
        uid="pods",
        templating=Templating(list=[
            Template(name="namespace", label="Namespace", dataSource="prom",
                     query="label_values(kube_pod_info, namespace)"),
        ]),
        panels=[
            TimeSeries(
                title="CPU",
                dataSource="prom",
                targets=[Target(expr="sum by (pod) (rate(container_cpu_usage_seconds_total[5m]))",
                                legendFormat="{{pod}}", refId="A")],
                unit="percent",
                gridPos=GridPos(h=8, w=12, x=0, y=0),
                thresholds=[Threshold("green", 0, 0.0), Threshold("red", 1, 75.0)],
            ),
        ],
    ).auto_panel_ids()
    return json.loads(json.dumps(dash.to_json_data(), cls=DashboardEncoder))


# Every fault the schema finds in that output, by JSON path. Written from reading grafanalib's
# output against Grafana's model: legacy keys, explicit nulls where the model wants a string or
# a number, string datasources, and grafanalib's Threshold fields with the "null" string.
P = " (panel id 1, title 'CPU')"
GRAFANALIB_FAULTS = [
    "(dashboard): Additional properties are not allowed "
    "('__inputs', 'hideControls', 'rows', 'sharedCrosshair', 'style' were unexpected)",
    "gnetId: None is not of type 'string'",
    "panels[0]: Additional properties are not allowed "
    "('editable', 'error', 'height', 'minSpan', 'span' were unexpected)" + P,
    "panels[0].cacheTimeout: None is not of type 'string'" + P,
    "panels[0].datasource: 'prom' is not of type 'object'" + P,
    "panels[0].description: None is not of type 'string'" + P,
    "panels[0].fieldConfig.defaults.decimals: None is not of type 'number'" + P,
    "panels[0].fieldConfig.defaults.max: None is not of type 'number'" + P,
    "panels[0].fieldConfig.defaults.min: None is not of type 'number'" + P,
    "panels[0].fieldConfig.defaults.thresholds.steps[0]: Additional properties are not allowed "
    "('index', 'line', 'op', 'yaxis' were unexpected)" + P,
    "panels[0].fieldConfig.defaults.thresholds.steps[0].value: 'null' is not of type 'number', 'null'" + P,
    "panels[0].fieldConfig.defaults.thresholds.steps[1]: Additional properties are not allowed "
    "('index', 'line', 'op', 'yaxis' were unexpected)" + P,
    "panels[0].interval: None is not of type 'string'" + P,
    "panels[0].maxPerRow: None is not of type 'number'" + P,
    "panels[0].repeat: None is not of type 'string'" + P,
    "panels[0].repeatDirection: None is not of type 'string'" + P,
    "panels[0].repeatDirection: None is not one of ['h', 'v']" + P,
    "panels[0].timeFrom: None is not of type 'string'" + P,
    "panels[0].timeShift: None is not of type 'string'" + P,
    f"schemaVersion: 12 is not {SCHEMA_VERSION}, the schemaVersion of Grafana {GRAFANA_VERSION} "
    "that this schema describes",
    "templating.list[0]: Additional properties are not allowed "
    "('auto', 'auto_count', 'auto_min', 'tagValuesQuery', 'tagsQuery', 'useTags' were unexpected)",
    "templating.list[0].allValue: None is not of type 'string'",
    "templating.list[0].current: Additional properties are not allowed ('tags' was unexpected)",
    "templating.list[0].current.text: None is not of type 'string' or 'array'",
    "templating.list[0].current.value: None is not of type 'string' or 'array'",
    "templating.list[0].datasource: 'prom' is not of type 'object'",
    "templating.list[0].regex: None is not of type 'string'",
    "timepicker: Additional properties are not allowed ('time_options' was unexpected)",
    "timepicker.nowDelay: None is not of type 'string'",
]


def test_grafanalib_raw_output_is_rejected_with_each_fault_named():
    assert installed_version("grafanalib") == "0.7.1"
    dash = grafanalib_dashboard()
    # the faults the reference lists are really in the input
    assert dash["schemaVersion"] == 12
    assert dash["panels"][0]["datasource"] == "prom"
    assert dash["panels"][0]["fieldConfig"]["defaults"]["thresholds"]["steps"][0]["value"] == "null"

    assert validate(dash) == GRAFANALIB_FAULTS


def test_grafanalib_output_put_in_current_form_is_valid():
    """The faults above are all there is: fixing exactly those makes the dashboard valid."""
    dash = grafanalib_dashboard()
    ds = {"type": "prometheus", "uid": "${datasource}"}

    def drop_nulls(node):
        if isinstance(node, dict):
            return {k: drop_nulls(v) for k, v in node.items() if v is not None}
        if isinstance(node, list):
            return [drop_nulls(v) for v in node]
        return node

    dash = drop_nulls(dash)
    for key in ("__inputs", "hideControls", "rows", "sharedCrosshair", "style"):
        del dash[key]
    del dash["timepicker"]["time_options"]
    dash["schemaVersion"] = SCHEMA_VERSION
    panel = dash["panels"][0]
    for key in ("editable", "error"):
        del panel[key]
    panel["datasource"] = ds
    panel["fieldConfig"]["defaults"]["thresholds"]["steps"] = [
        {"color": "green", "value": None}, {"color": "red", "value": 75.0}]
    variable = dash["templating"]["list"][0]
    for key in ("auto", "auto_count", "auto_min", "useTags"):
        del variable[key]
    variable["datasource"] = ds
    variable["current"] = {"text": "default", "value": "default"}

    assert validate(dash) == []


# --- targeted faults in a valid dashboard --------------------------------------------------------

def _set(path, value):
    def mutate(dash):
        *parents, last = path
        node = dash
        for step in parents:
            node = node[step]
        node[last] = value
    return mutate


def _delete(path):
    def mutate(dash):
        *parents, last = path
        node = dash
        for step in parents:
            node = node[step]
        del node[last]
    return mutate


def _panel_into_row(dash):
    """Collapse the row around the CPU panel, then break the nested panel's height."""
    row = dash["panels"][0]
    row["collapsed"] = True
    row["panels"] = [dash["panels"].pop(1)]
    row["panels"][0]["gridPos"]["h"] = None


DEFAULTS = ("panels", 1, "fieldConfig", "defaults")
MUTATIONS = {
    "gridPos.w as a string": (
        _set(("panels", 1, "gridPos", "w"), "12"),
        [f"panels[1].gridPos.w: '12' is not of type 'number' {CPU_PANEL}"]),
    "gridPos.w as a boolean": (
        _set(("panels", 1, "gridPos", "w"), True),
        [f"panels[1].gridPos.w: True is not of type 'number' {CPU_PANEL}"]),
    "panel without type": (
        _delete(("panels", 1, "type")),
        [f"panels[1]: 'type' is a required property {CPU_PANEL}"]),
    "bad threshold mode": (
        _set(DEFAULTS + ("thresholds", "mode"), "abs"),
        [f"panels[1].fieldConfig.defaults.thresholds.mode: 'abs' is not one of "
         f"['absolute', 'percentage'] {CPU_PANEL}"]),
    "threshold base step as the string null": (
        _set(DEFAULTS + ("thresholds", "steps", 0, "value"), "null"),
        [f"panels[1].fieldConfig.defaults.thresholds.steps[0].value: 'null' is not of type "
         f"'number', 'null' {CPU_PANEL}"]),
    "threshold step without color": (
        _delete(DEFAULTS + ("thresholds", "steps", 1, "color")),
        [f"panels[1].fieldConfig.defaults.thresholds.steps[1]: 'color' is a required property "
         f"{CPU_PANEL}"]),
    "datasource as a string": (
        _set(("panels", 1, "datasource"), "prom"),
        [f"panels[1].datasource: 'prom' is not of type 'object' {CPU_PANEL}"]),
    "misspelt panel key": (
        _set(("panels", 1, "gridpos"), {"h": 8}),
        [f"panels[1]: Additional properties are not allowed ('gridpos' was unexpected) {CPU_PANEL}"]),
    "unit as a number": (
        _set(DEFAULTS + ("unit",), 100),
        [f"panels[1].fieldConfig.defaults.unit: 100 is not of type 'string' {CPU_PANEL}"]),
    "value mapping of an unknown kind": (
        _set(DEFAULTS + ("mappings",), [{"type": "valu", "options": {}}]),
        [f"panels[1].fieldConfig.defaults.mappings[0].type: 'valu' is not one of "
         f"['value', 'range', 'regex', 'special'] {CPU_PANEL}"]),
    "value mapping result text as a number": (
        _set(DEFAULTS + ("mappings",), [{"type": "value", "options": {"1": {"text": 5}}}]),
        [f"panels[1].fieldConfig.defaults.mappings[0].options['1'].text: 5 is not of type "
         f"'string' {CPU_PANEL}"]),
    "row without collapsed": (
        _delete(("panels", 0, "collapsed")),
        ["panels[0]: 'collapsed' is a required property (panel id 1, title 'CPU')"]),
    "panel inside a collapsed row": (
        _panel_into_row,
        [f"panels[0].panels[0].gridPos.h: None is not of type 'number' {CPU_PANEL}"]),
    "unknown variable type": (
        _set(("templating", "list", 1, "type"), "dropdown"),
        ["templating.list[1].type: 'dropdown' is not one of ['query', 'adhoc', 'groupby', "
         "'constant', 'datasource', 'interval', 'textbox', 'custom', 'system', 'snapshot', 'switch']"]),
    "variable refresh out of range": (
        _set(("templating", "list", 1, "refresh"), 3),
        ["templating.list[1].refresh: 3 is not one of [0, 1, 2]"]),
    "variable datasource as a string": (
        _set(("templating", "list", 1, "datasource"), "prom"),
        ["templating.list[1].datasource: 'prom' is not of type 'object'"]),
    "old schemaVersion": (
        _set(("schemaVersion",), 36),
        [f"schemaVersion: 36 is not {SCHEMA_VERSION}, the schemaVersion of Grafana "
         f"{GRAFANA_VERSION} that this schema describes"]),
    "schemaVersion as a string": (
        _set(("schemaVersion",), "42"),
        ["schemaVersion: '42' is not of type 'number'"]),
    "schemaVersion missing": (
        _delete(("schemaVersion",)),
        ["(dashboard): 'schemaVersion' is a required property"]),
    "panels as an object, shortened in the message": (
        _set(("panels",), {"cpu": {"title": "a long enough title to be shortened", "type": "stat"}}),
        ["panels: {...} is not of type 'array'"]),
    "two faults, reported in path order": (
        lambda d: (_set(("panels", 1, "gridPos", "x"), "0")(d), _set(("refresh",), 30)(d)),
        [f"panels[1].gridPos.x: '0' is not of type 'number' {CPU_PANEL}",
         "refresh: 30 is not of type 'string'"]),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_targeted_fault_is_rejected_naming_path_and_panel(name):
    mutate, expected = MUTATIONS[name]
    dash = minimal()
    mutate(dash)
    assert validate(dash) == expected


# --- what the schema does not check (README, "Dashboard schema") ----------------------------------

KNOWN_GAPS = {
    "panel options are free-form": _set(("panels", 1, "options"), {"legend": "nonsense"}),
    "fieldConfig.custom is free-form": _set(DEFAULTS + ("custom", "drawStyle"), 7),
    "unknown unit": _set(DEFAULTS + ("unit",), "furlongs"),
    "unknown panel type": _set(("panels", 1, "type"), "timeseriez"),
    "targets are free-form": _set(("panels", 1, "targets", 0, "expr"), 5),
    "panel without datasource": _delete(("panels", 1, "datasource")),
    "panel outside the 24 columns": _set(("panels", 1, "gridPos"), {"h": 8, "w": 12, "x": 20, "y": 1}),
    "fractional grid width": _set(("panels", 1, "gridPos", "w"), 12.5),
    "duplicate panel ids": _set(("panels", 1, "id"), 1),
}


@pytest.mark.parametrize("name", list(KNOWN_GAPS))
def test_known_gap_is_accepted_by_the_schema(name):
    """These need the engine's own checks; if the schema starts catching one, update README."""
    dash = minimal()
    KNOWN_GAPS[name](dash)
    assert validate(dash) == []


# --- the committed files agree -------------------------------------------------------------------

def test_version_file_and_schema_agree():
    schema = dash_schema.load_schema()
    assert schema["$ref"] == "#/definitions/Dashboard"
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft7Validator
    jsonschema.Draft7Validator.check_schema(schema)

    board = schema["definitions"]["Dashboard"]
    assert "schemaVersion" in board["required"]
    assert board["properties"]["schemaVersion"]["type"] == "number"
    assert isinstance(SCHEMA_VERSION, int) and SCHEMA_VERSION >= 39  # Grafana 11 wrote 39+

    # VERSION names the versions the pinned toolchain installs
    pins = json.loads((TOOLCHAIN / "package.json").read_text())["dependencies"]
    lock = json.loads((TOOLCHAIN / "package-lock.json").read_text())["packages"]
    assert GRAFANA_VERSION == pins["@grafana/schema"] == lock["node_modules/@grafana/schema"]["version"]
    assert dash_schema.GENERATOR_VERSION == pins["ts-json-schema-generator"]
    assert lock["node_modules/ts-json-schema-generator"]["version"] == dash_schema.GENERATOR_VERSION
    assert re.fullmatch(r"1[12]\.\d+\.\d+", GRAFANA_VERSION)


def test_schema_file_is_formatted_deterministically():
    text = (ROOT / "gen" / "dash" / "schema" / "dashboard.schema.json").read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


def test_compiled_check_is_cached_and_a_broken_cache_is_rebuilt(tmp_path, monkeypatch):
    """The fastjsonschema code is cached by key; a truncated cache file is replaced, not trusted."""
    from gen.dash import schema

    monkeypatch.setattr(schema, "CACHE_DIR", tmp_path)
    schema._fast_check.cache_clear()
    try:
        bad = {"schemaVersion": "42", "title": 1}
        assert schema._fast_check() and schema.validate(bad)
        (cached,) = tmp_path.glob("dashboard_schema_*.marshal")
        cached.write_bytes(cached.read_bytes()[:100])
        schema._fast_check.cache_clear()
        assert schema.validate(bad)  # still rejects
        assert len(cached.read_bytes()) > 100  # rebuilt
    finally:
        schema._fast_check.cache_clear()
