"""The dashboard engine on small hand-made catalogs: layout, thresholds from alert parameters,
alert -> dashboard links, packaging, and every kind of bad dashboard named precisely."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
import yaml

from gen.render import outdir
from gen.build import build
from gen.cli import main
from gen.dash.check import check_queries, check_structure, check_up_counts, check_window_stats
from gen.dash.layout import place
from gen.dash.model import Cell, Row
from gen.core.errors import ConfigError, DashboardError, DefinitionError


pytestmark = pytest.mark.usefixtures("no_bytecode")  # conftest.py


RULES = '''
from gen.model import Alert, Case, Fire, Group
groups = [Group("demo", [
    Alert("PodHot", expr="100 * rate(cpu_seconds_total{${app}}[5m]) > ${threshold}", params={"threshold": 75},
          severity="warning", summary="hot", description="{{ $labels.namespace }}/{{ $labels.pod }} hot",
          dashboard="demo-pod"),
    Alert("NsBusy", expr="sum by (namespace) (rate(cpu_seconds_total{${app}}[5m])) > ${threshold}", params={"threshold": 4},
          severity="info", summary="busy", description="{{ $labels.namespace }} busy", dashboard="demo-pod"),
])]
'''

DASH = '''
from grafanalib.core import Target, TimeSeries
from gen.dash.model import AlertLine, Dashboard, Fixture, Link, Row, Variable, cell

def ts(title, expr, unit="percent"):
    return TimeSeries(title=title, unit=unit, description=title + " of the pod.",
                      targets=[Target(expr=expr, legendFormat="{{pod}}", refId="A")])

dashboard = Dashboard(
    uid="demo-pod", title="Demo pod",
    variables=[Variable("namespace", "label_values(cpu_seconds_total{${app}}, namespace)"),
               Variable("pod", 'label_values(cpu_seconds_total{${app}, namespace="$namespace"}, pod)')],
    rows=[Row("CPU", [
        cell(ts("CPU %", 'BODY'), alert=AlertLine("PodHot")),
        cell(ts("CPU % x2", '100 * rate(cpu_seconds_total{${app}, pod="$pod"}[$__rate_interval])'), width=6,
             links=[Link("same", "demo-pod", {"pod": "${__field.labels.pod}"})]),
    ])],
    fixture=Fixture(series={'cpu_seconds_total{${app}, namespace="shop", pod="web-1"}': "0+30x20"},
                    vars={"namespace": "shop", "pod": "web-1"}),
)
'''
GOOD_BODY = '100 * rate(cpu_seconds_total{${app}, namespace="$namespace", pod="$pod"}[$__rate_interval])'


def project(tmp_path: Path, dash: str = DASH, body: str = GOOD_BODY, rules: str = RULES) -> Path:
    (tmp_path / "rules_src").mkdir(exist_ok=True)
    (tmp_path / "rules_src" / "_selectors.py").write_text('SELECTORS = {"app": \'job="app"\'}\n')
    (tmp_path / "rules_src" / "demo.py").write_text(textwrap.dedent(rules))
    (tmp_path / "dashboards_src").mkdir(exist_ok=True)
    (tmp_path / "dashboards_src" / "demo.py").write_text(textwrap.dedent(dash).replace("BODY", body))
    return tmp_path / "rules_src"


def config(tmp_path: Path, data: dict) -> str:
    path = tmp_path / "monitoring.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def rendered(files) -> dict:
    return json.loads(files["grafana/demo-pod.json"])


def panel(data: dict, title: str) -> dict:
    return next(p for p in data["panels"] if p.get("title") == title)


# --- layout -------------------------------------------------------------------------------


def test_cells_without_width_share_what_is_left():
    rows = place([Row("r", [Cell("a", 6), Cell("b"), Cell("c")], height=5)])
    assert [(p.x, p.y, p.w, p.h) for p in rows[0].panels] == [(0, 1, 6, 5), (6, 1, 9, 5), (15, 1, 9, 5)]


def test_uneven_share_gives_the_last_cells_the_extra_column():
    rows = place([Row("r", [Cell("a"), Cell("b"), Cell("c"), Cell("d"), Cell("e")])])
    assert [p.w for p in rows[0].panels] == [4, 5, 5, 5, 5]


def test_explicit_widths_wrap_and_rows_stack():
    rows = place([Row("one", [Cell("a", 16), Cell("b", 16, height=4)], height=6), Row("two", [Cell("c")])])
    a, b = rows[0].panels
    assert (a.x, a.y, b.x, b.y, b.h) == (0, 1, 0, 7, 4)
    assert rows[1].y == 11 and rows[1].panels[0].y == 12 and rows[1].panels[0].w == 24


def test_too_many_free_cells_for_the_columns_left_is_an_error():
    with pytest.raises(DefinitionError, match="share 2 columns"):
        place([Row("r", [Cell("a", 22), Cell("b"), Cell("c")])])


# --- structure and query checks ------------------------------------------------------------


def _dash(*panels):
    return {"uid": "d", "templating": {"list": [{"name": "namespace", "type": "custom"}]}, "panels": list(panels)}


def _p(pid, x, y, w=12, h=8, unit="short", description="What it shows.", **extra):
    return {"id": pid, "title": f"p{pid}", "type": "timeseries", "gridPos": {"x": x, "y": y, "w": w, "h": h},
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "fieldConfig": {"defaults": {"unit": unit} if unit else {}},
            **({"description": description} if description is not None else {}), **extra}


def test_structure_faults_are_named():
    errors = check_structure(_dash(_p(1, 0, 0), _p(1, 6, 4), _p(3, 20, 20, w=8), _p(4, 0, 30, unit=None),
                                   {**_p(5, 12, 30), "datasource": "prom"}, _p(6, 0, 40, description=None),
                                   _p(7, 12, 40, description="  "), {**_p(8, 0, 48, description=None), "type": "row"}))
    text = "\n".join(errors)
    assert "panel 'p1' (id 1): id 1 already used by panel 'p1'" in text
    assert "panel 'p1' (id 1): overlaps panel 'p1' (id 1)" in text
    assert "panel 'p3' (id 3): gridPos x=20 w=8 does not fit the 24 columns" in text
    assert "panel 'p4' (id 4): no unit" in text
    assert "panel 'p5' (id 5): no datasource reference" in text
    assert ("dashboard d: panel 'p6' (id 6): no description (set description=... on the panel: what it shows and "
            "how to read it)") in errors
    assert "panel 'p7' (id 7): no description" in text
    assert "panel 'p8'" not in text  # a row needs none
    assert check_structure(_dash(_p(1, 0, 0), _p(2, 12, 0), _p(3, 0, 8, w=24))) == []


def test_query_faults_are_named():
    errors = check_queries(_dash(
        _p(1, 0, 0, targets=[{"refId": "A", "expr": 'sum(rate(x{namespace="$namespace"}[$__rate_interval]))'}]),
        _p(2, 0, 8, targets=[{"refId": "B", "expr": 'sum(rate(x{pod="$pod"}[5m]))'}]),
        _p(3, 0, 16, targets=[{"refId": "C", "expr": "sum(rate(x[5m])"}]),
    ))
    assert len(errors) == 2
    assert errors[0] == (2, "dashboard d: panel 'p2' (id 2) target B: uses $pod, which the dashboard does not declare")
    assert errors[1][0] == 3 and errors[1][1].startswith("dashboard d: panel 'p3' (id 3) target C: PromQL does not parse:")


def _stat(pid, expr, **defaults):
    return _p(pid, 0, 8 * pid, type="stat", fieldConfig={"defaults": {"unit": "short", **defaults}},
              targets=[{"refId": "A", "expr": expr}])


def test_a_stat_counting_up_targets_must_read_0_when_none_is_scraped():
    """KubeAPIDown fires exactly when no API server is scraped: "API servers up" must then
    read 0, not an empty text."""
    errors = check_up_counts(_dash(
        _stat(1, 'sum(up{job="apiserver"} == bool 1)', noValue="No data"),
        _stat(2, 'count by (job) (up{job=~".*etcd.*"})'),
        _stat(3, 'sum(up{job="apiserver"} == bool 1) or on () vector(0)'),
        _stat(4, 'count(up{job=~".*redis.*", instance=~"$namespace"})', noValue="no exporter target"),
        _stat(5, 'sum(rate(x[5m]))'),
        {**_stat(6, 'sum(up)'), "type": "timeseries"},
    ))
    assert [pid for pid, _ in errors] == [1, 2]
    assert errors[0][1] == ("dashboard d: panel 'p1' (id 1) target A: counts up targets but shows 'No data' when "
                            "none is scraped, exactly when the down alert fires: end the query with "
                            "`or on () vector(0)` (or give the panel a no-data text saying why it is empty)")


def test_a_stat_over_the_window_must_be_an_instant_query():
    errors = check_window_stats(_dash(
        _stat(1, "round(sum(increase(x_total[$__range])))"),
        {**_stat(2, "round(sum(increase(x_total[$__range])))"), "targets": [
            {"refId": "A", "expr": "round(sum(increase(x_total[$__range])))", "instant": True}]},
        _stat(3, "sum(rate(x_total[$__rate_interval]))"),
    ))
    assert errors == [(1, "dashboard d: panel 'p1' (id 1) target A: a stat over [$__range] must be an instant query "
                          "(Target(..., instant=True))")]


def test_stats_say_no_data_dashboards_are_read_only_links_carry_titles(tmp_path):
    """grafanalib's Stat writes the empty text "none", which reads like a value; generated
    dashboards are not editable in Grafana's UI (the next sync would undo an edit); the top
    bar names a linked dashboard by its title, not its uid."""
    dash = DASH.replace("from grafanalib.core import Target, TimeSeries", "from grafanalib.core import Stat, Target, TimeSeries")
    dash = dash.replace("    ])],\n    fixture=", """        cell(Stat(title="Pods", format="short", description="Pods.", targets=[Target(expr='count(cpu_seconds_total{${app}})', refId="A")])),
    ])],
    links=["demo-pod"],
    fixture=""")
    src = project(tmp_path, dash=dash)
    _, files = build(None, str(src))
    data = rendered(files)
    assert panel(data, "Pods")["fieldConfig"]["defaults"]["noValue"] == "No data"
    assert data["editable"] is False
    assert [(link["title"], link["url"]) for link in data["links"]] == [("Demo pod", "/d/demo-pod")]


def test_label_replace_capture_groups_are_not_variables():
    """`$1` in label_replace is left as is (Grafana does the same); `$pod` still has to exist."""
    expr = 'label_replace(x{namespace="$namespace"}, "replicaset", "$1", "owner_name", "(.+)")'
    assert check_queries(_dash(_p(1, 0, 0, targets=[{"refId": "A", "expr": expr}]))) == []
    errors = check_queries(_dash(_p(1, 0, 0, targets=[{"refId": "A", "expr": expr.replace('"$1"', '"$1$pod"')}])))
    assert errors == [(1, "dashboard d: panel 'p1' (id 1) target A: uses $pod, which the dashboard does not declare")]


# --- the build ------------------------------------------------------------------------------


def test_threshold_line_follows_the_alert_parameter(tmp_path):
    src = project(tmp_path)
    _, files = build(None, str(src))
    steps = panel(rendered(files), "CPU %")["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert steps == [{"color": "green", "value": None}, {"color": "red", "value": 75}]
    _, files = build(config(tmp_path, {"alerts": {"PodHot": {"threshold": 90}}}), str(src))
    assert panel(rendered(files), "CPU %")["fieldConfig"]["defaults"]["thresholds"]["steps"][1]["value"] == 90
    _, files = build(config(tmp_path, {"alerts": {"PodHot": {"disabled": True}}}), str(src))
    assert "thresholds" not in panel(rendered(files), "CPU %")["fieldConfig"]["defaults"] or \
        len(panel(rendered(files), "CPU %")["fieldConfig"]["defaults"]["thresholds"]["steps"]) == 1


def test_alerts_link_to_their_dashboard_with_the_variables_their_labels_fill(tmp_path):
    src = project(tmp_path)
    compiled, files = build(config(tmp_path, {"grafana_url": "https://g.example.org/"}), str(src))
    alerts = {r["alert"]: r for g in yaml.safe_load(files["rules/demo.yaml"])["groups"] for r in g["rules"]}
    assert alerts["PodHot"]["annotations"]["dashboard_url"] == \
        "https://g.example.org/d/demo-pod?var-namespace={{ $labels.namespace }}&var-pod={{ $labels.pod }}"
    # sum by (namespace): no pod label to fill var-pod with
    assert alerts["NsBusy"]["annotations"]["dashboard_url"] == \
        "https://g.example.org/d/demo-pod?var-namespace={{ $labels.namespace }}"


def test_dashboard_vars_replace_the_variables_filled_from_labels(tmp_path):
    """Explicit variables: a label named otherwise (`deployment` for `pod`) and a constant; the
    variables the expression's labels could fill but dashboard_vars does not name stay out."""
    rules = RULES.replace('dashboard="demo-pod"),\n    Alert("NsBusy"',
                          'dashboard="demo-pod", dashboard_vars={"pod": "{{ $labels.container }}"}),\n    Alert("NsBusy"')
    rules = rules.replace('description="{{ $labels.namespace }} busy", dashboard="demo-pod"',
                          'description="{{ $labels.namespace }} busy", dashboard="demo-pod", '
                          'dashboard_vars={"namespace": "{{ $labels.namespace }}", "pod": "web-1"}')
    src = project(tmp_path, rules=rules)
    _, files = build(config(tmp_path, {"grafana_url": "https://g.example.org/"}), str(src))
    alerts = {r["alert"]: r for g in yaml.safe_load(files["rules/demo.yaml"])["groups"] for r in g["rules"]}
    assert alerts["PodHot"]["annotations"]["dashboard_url"] == "https://g.example.org/d/demo-pod?var-pod={{ $labels.container }}"
    assert alerts["NsBusy"]["annotations"]["dashboard_url"] == \
        "https://g.example.org/d/demo-pod?var-namespace={{ $labels.namespace }}&var-pod=web-1"


def test_dashboard_vars_naming_an_unknown_variable_name_the_alert(tmp_path):
    rules = RULES.replace('dashboard="demo-pod"),\n    Alert("NsBusy"',
                          'dashboard="demo-pod", dashboard_vars={"node": "x"}),\n    Alert("NsBusy"')
    with pytest.raises(DefinitionError, match=r"demo.py:\d+: alert PodHot: dashboard_vars: dashboard demo-pod has no "
                                              r"variable 'node' \(known: namespace, pod\)"):
        build(None, str(project(tmp_path, rules=rules)))


def test_dashboard_vars_without_a_dashboard_is_an_error():
    from gen.model import Alert
    with pytest.raises(DefinitionError, match="alert A: dashboard_vars without a dashboard"):
        Alert("A", expr="up == 0", dashboard_vars={"node": "x"})


def test_dashboards_import_private_helper_modules_of_their_folder(tmp_path):
    src = project(tmp_path, body="BODY_FROM_HELPER")
    (tmp_path / "dashboards_src" / "_helpers.py").write_text(
        "def cpu(sel):\n    return '100 * rate(cpu_seconds_total{' + sel + '}[$__rate_interval])'\n")
    dash = (tmp_path / "dashboards_src" / "demo.py").read_text()
    dash = "from ._helpers import cpu\n" + dash.replace("'BODY_FROM_HELPER'", "cpu('${app}, pod=\"$pod\"')")
    (tmp_path / "dashboards_src" / "demo.py").write_text(dash)
    _, files = build(None, str(src))
    assert panel(rendered(files), "CPU %")["targets"][0]["expr"] == \
        '100 * rate(cpu_seconds_total{job="app", pod="$pod"}[$__rate_interval])'


def test_unknown_dashboard_on_an_alert_names_the_alert(tmp_path):
    src = project(tmp_path, rules=RULES.replace('dashboard="demo-pod"),\n    Alert("NsBusy"', 'dashboard="nope"),\n    Alert("NsBusy"'))
    with pytest.raises(DefinitionError, match=r"demo.py:\d+: alert PodHot: dashboard 'nope' does not exist"):
        build(None, str(src))


def test_sidecar_configmaps_and_operator_resources(tmp_path):
    src = project(tmp_path)
    cfg = config(tmp_path, {"dashboards": {"namespace": "grafana", "folder": "K8s", "grafana_operator": True,
                                           "configmap_labels": {"grafana_dashboard": "1", "team": "sre"}}})
    _, files = build(cfg, str(src))
    cm = yaml.safe_load(files["dashboards/demo-pod.yaml"])
    assert cm["kind"] == "ConfigMap" and cm["metadata"]["namespace"] == "grafana"
    assert cm["metadata"]["labels"] == {"grafana_dashboard": "1", "team": "sre"}
    assert cm["metadata"]["annotations"] == {"grafana_folder": "K8s"}
    assert json.loads(cm["data"]["demo-pod.json"]) == rendered(files)
    gd = yaml.safe_load(files["grafana-operator/demo-pod.yaml"])
    assert gd["kind"] == "GrafanaDashboard" and json.loads(gd["spec"]["json"])["uid"] == "demo-pod"
    resources = yaml.safe_load(files["kustomization.yaml"])["resources"]
    assert {"dashboards/demo-pod.yaml", "grafana-operator/demo-pod.yaml"} <= set(resources)


def test_disabled_dashboard_is_not_built_and_unknown_uid_is_an_error(tmp_path):
    src = project(tmp_path)
    _, files = build(config(tmp_path, {"dashboards": {"disabled": ["demo-pod"]}}), str(src))
    assert not any(p.startswith(("grafana/", "dashboards/")) for p in files)
    with pytest.raises(ConfigError, match="dashboards.disabled: no dashboard with uid 'nope'"):
        build(config(tmp_path, {"dashboards": {"disabled": ["nope"]}}), str(src))


def test_grafanalib_thresholds_are_written_in_current_form(tmp_path):
    dash = DASH.replace("unit=unit,", 'unit=unit, thresholds=[Threshold("green", 0, 0.0), Threshold("red", 1, 80.0)],')
    dash = dash.replace("from grafanalib.core import Target, TimeSeries", "from grafanalib.core import Target, Threshold, TimeSeries")
    src = project(tmp_path, dash=dash)
    _, files = build(None, str(src))
    steps = panel(rendered(files), "CPU % x2")["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert steps == [{"color": "green", "value": None}, {"color": "red", "value": 80.0}]


def test_grafanalib_tables_lose_the_old_table_panel_keys(tmp_path):
    """grafanalib's Table writes color, columns, fontSize and mappings at the panel's top level,
    which the current model (and its schema) no longer has; the build passes the schema."""
    dash = DASH.replace('cell(ts("CPU % x2"', 'cell(Table(title="Pods", unit="short", description="Pods.", targets=[Target(expr=\'x{${app}}\', '
                        'refId="A", instant=True, format="table")]), width=6), cell(ts("CPU % x2"')
    dash = dash.replace("from grafanalib.core import Target, TimeSeries", "from grafanalib.core import Table, Target, TimeSeries")
    src = project(tmp_path, dash=dash)
    _, files = build(None, str(src))
    table = panel(rendered(files), "Pods")
    assert table["type"] == "table" and not {"color", "columns", "fontSize", "mappings"} & set(table)


def test_grafanalib_table_mappings_move_to_field_config(tmp_path):
    mappings = [{"type": "value", "options": {"1": {"text": "up"}}}]
    dash = DASH.replace('cell(ts("CPU % x2"', 'cell(Table(title="Pods", unit="short", description="Pods.", mappings=' + repr(mappings) +
                        ', targets=[Target(expr=\'x{${app}}\', refId="A", instant=True, format="table")]), width=6), cell(ts("CPU % x2"')
    dash = dash.replace("from grafanalib.core import Target, TimeSeries", "from grafanalib.core import Table, Target, TimeSeries")
    _, files = build(None, str(project(tmp_path, dash=dash)))
    table = panel(rendered(files), "Pods")
    assert "mappings" not in table and table["fieldConfig"]["defaults"]["mappings"] == mappings


def test_multi_cluster_adds_the_cluster_variable_and_narrows_every_query(tmp_path):
    src = project(tmp_path)
    _, files = build(config(tmp_path, {"multi_cluster": {"enabled": True}}), str(src))
    data = rendered(files)
    assert [v["name"] for v in data["templating"]["list"]][:2] == ["datasource", "cluster"]
    assert 'cluster="$cluster"' in panel(data, "CPU %")["targets"][0]["expr"]
    assert "var-cluster=${cluster}" in panel(data, "CPU % x2")["fieldConfig"]["defaults"]["links"][0]["url"]


@pytest.mark.parametrize("dash, body, fragment", [
    (DASH, 'sum(rate(cpu_seconds_total{${app}}[5m])', "panel 'CPU %' (id 2) target A: PromQL does not parse"),
    (DASH, 'rate(cpu_seconds_total{${app}, node="$node"}[5m])', "panel 'CPU %' (id 2) target A: uses $node, which the dashboard does not declare"),
    (DASH, 'rate(x{${nope}}[5m])', "unknown placeholder"),
    # promql-parser knows Prometheus 3's limitk; the targeted Prometheus (promtool 2.42) does not
    (DASH, 'limitk(1, rate(cpu_seconds_total{${app}}[5m]))', "panel 'CPU %' (id 2) target A: promtool rejects the query"),
    (DASH.replace('AlertLine("PodHot")', 'AlertLine("Nope")'), GOOD_BODY, "alert line names alert 'Nope', which the catalog does not have"),
    (DASH.replace('AlertLine("PodHot")', 'AlertLine("PodHot", param="limit")'), GOOD_BODY, "alert PodHot has no parameter 'limit'"),
    (DASH.replace('unit="percent"', 'unit=""'), GOOD_BODY, "no unit"),
    (DASH.replace('Link("same", "demo-pod"', 'Link("same", "gone"'), GOOD_BODY, "points at dashboard 'gone', which does not exist"),
    (DASH.replace("width=6", "width=30"), GOOD_BODY, "width 30 is outside 1..24"),
    # only Grafana's dashboard schema catches this one: a panel link in a shape Grafana does not know
    (DASH.replace("unit=unit,", 'unit=unit, links=[{"title": "x"}],'), GOOD_BODY, "panels[1].links[0]: 'icon' is a required property (panel id 2, title 'CPU %')"),
])
@pytest.mark.live  # two whole builds (promtool included) per case
def test_bad_dashboard_fails_the_build_names_it_and_leaves_out_untouched(tmp_path, capsys, dash, body, fragment):
    src = project(tmp_path)
    out = tmp_path / "out"
    assert main(["build", "--rules-src", str(src), "--out", str(out), "--config", config(tmp_path, {})]) == 0
    before = outdir.read_tree(str(out))
    project(tmp_path, dash=dash, body=body)
    capsys.readouterr()
    assert main(["build", "--rules-src", str(src), "--out", str(out), "--config", config(tmp_path, {})]) != 0
    err = capsys.readouterr().err
    assert fragment in err
    assert "demo" in err  # names the dashboard (uid) or its file
    assert outdir.read_tree(str(out)) == before


# --- thresholds combining parameters, recorded series ---------------------------------------

BURN_RULES = RULES.replace("Alert, Case", "Alert, Case, Record").replace("])]\n", '''
    Record("ratio:rate5m", expr="sum(rate(errors_total{${app}}[5m])) / sum(rate(requests_total{${app}}[5m]))"),
    Alert("BudgetBurn", expr="ratio:rate5m > ${burn_rate} * (100 - ${slo_percent}) / 100",
          params={"burn_rate": 14.4, "slo_percent": 99}, severity="critical", summary="burn", description="burn",
          dashboard="demo-pod"),
    Record("namespace:cpu:rate5m", expr="sum by (namespace) (rate(cpu_seconds_total{${app}}[5m]))", labels={"team": "a"}),
    Alert("NsHot", expr="namespace:cpu:rate5m > 8", severity="info", summary="hot", description="hot",
          dashboard="demo-pod"),
])]
''')
BURN_DASH = DASH.replace("    ])],\n    fixture=", '''    ]), Row("Budget", [
        cell(ts("Bad share", 'ratio:rate5m{${recorded}}', unit="percentunit"),
             alert=AlertLine("BudgetBurn", compute=lambda p: p["burn_rate"] * (100 - p["slo_percent"]) / 100)),
        cell(ts("Bad reads", 'ratio:rate5m{${recorded}, verb="read"}', unit="percentunit")),
    ])],
    fixture=''')


def _line(files, title="Bad share"):
    return panel(rendered(files), title)["fieldConfig"]["defaults"]["thresholds"]["steps"][1]["value"]


def test_computed_alert_line_follows_every_parameter_it_reads(tmp_path):
    src = project(tmp_path, dash=BURN_DASH, rules=BURN_RULES)
    _, files = build(None, str(src))
    assert _line(files) == pytest.approx(0.144)  # 14.4 x 1% budget
    _, files = build(config(tmp_path, {"alerts": {"BudgetBurn": {"slo_percent": 99.9}}}), str(src))
    assert _line(files) == pytest.approx(0.0144)  # 14.4 x 0.1% budget
    _, files = build(config(tmp_path, {"alerts": {"BudgetBurn": {"burn_rate": 6}}}), str(src))
    assert _line(files) == pytest.approx(0.06)


def test_computed_alert_line_reading_an_unknown_parameter_names_the_panel(tmp_path):
    src = project(tmp_path, dash=BURN_DASH.replace('p["slo_percent"]', 'p["slo"]'), rules=BURN_RULES)
    with pytest.raises(DashboardError, match=r"panel 'Bad share': alert line of BudgetBurn reads parameter 'slo', "
                                             r"which the alert does not have \(known: burn_rate, slo_percent\)"):
        build(None, str(src))


def test_recorded_placeholder_is_empty_or_the_cluster_matcher(tmp_path):
    src = project(tmp_path, dash=BURN_DASH, rules=BURN_RULES)
    _, files = build(None, str(src))
    data = rendered(files)
    assert panel(data, "Bad share")["targets"][0]["expr"] == "ratio:rate5m"
    assert panel(data, "Bad reads")["targets"][0]["expr"] == 'ratio:rate5m{verb="read"}'
    _, files = build(config(tmp_path, {"multi_cluster": {"enabled": True}}), str(src))
    data = rendered(files)
    assert panel(data, "Bad share")["targets"][0]["expr"] == 'ratio:rate5m{cluster="$cluster"}'
    assert panel(data, "Bad reads")["targets"][0]["expr"] == 'ratio:rate5m{cluster="$cluster", verb="read"}'


def test_alerts_on_recorded_series_link_with_only_the_labels_the_record_carries(tmp_path):
    """Raw series may carry any label, recorded ones only what their rule keeps: an empty
    `{{ $labels.pod }}` would set the dashboard's pod variable to nothing."""
    src = project(tmp_path, dash=BURN_DASH, rules=BURN_RULES)
    _, files = build(None, str(src))
    alerts = {r["alert"]: r for g in yaml.safe_load(files["rules/demo.yaml"])["groups"] for r in g["rules"] if "alert" in r}
    assert alerts["BudgetBurn"]["annotations"]["dashboard_url"].endswith("/d/demo-pod")
    assert alerts["NsHot"]["annotations"]["dashboard_url"].endswith("/d/demo-pod?var-namespace={{ $labels.namespace }}")
    assert alerts["PodHot"]["annotations"]["dashboard_url"].endswith("var-namespace={{ $labels.namespace }}&var-pod={{ $labels.pod }}")


def test_plain_gives_what_grafanalibs_encoder_gives_without_the_nulls():
    import json as _json

    from grafanalib._gen import DashboardEncoder
    from grafanalib.core import Target, TimeSeries

    from gen.dash.render import _plain

    class Wrapper:
        def to_json_data(self):
            return {"inner": (1, None, "x"), 2: {"drop": None, "keep": 0.5}, "gone": None}

    panel = TimeSeries(title="T", unit="percent", targets=[Target(expr="up", refId="A")])
    for obj in (panel, Wrapper(), [Wrapper(), (True, None)]):
        through_json = _json.loads(_json.dumps(obj, cls=DashboardEncoder))

        def drop(v):
            if isinstance(v, dict):
                return {k: drop(x) for k, x in v.items() if x is not None}
            return [drop(x) for x in v] if isinstance(v, list) else v

        assert _plain(obj) == drop(through_json)
    assert _plain(Wrapper()) == {"inner": [1, None, "x"], "2": {"keep": 0.5}}
    with pytest.raises(TypeError, match="object is not JSON serializable|Object of type object"):
        _plain({"x": object()})


def test_a_bad_query_names_the_line_of_its_panel_not_the_dashboard(tmp_path, capsys):
    src = project(tmp_path, body='sum(rate(cpu_seconds_total{${app}}[5m])')
    capsys.readouterr()
    assert main(["build", "--rules-src", str(src), "--out", str(tmp_path / "out"), "--config", config(tmp_path, {})]) != 0
    err = capsys.readouterr().err
    module = tmp_path / "dashboards_src" / "demo.py"
    line = next(n for n, text in enumerate(module.read_text().splitlines(), 1) if 'cell(ts("CPU %"' in text)
    assert f"{os.path.relpath(module)}:{line}: dashboard demo-pod: panel 'CPU %' (id 2) target A: PromQL does not parse" in err, err
