"""Changing upstream alerts from monitoring.yaml without copying them: an added condition
(`and`), an exception (`unless`), a replaced expression (`expr`, proven by the team's own
cases) and per-label thresholds (one rule joining generated threshold series). Each is
validated with its key named, compiled as documented, and run through the real promtool."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from gen.tools import promtool
from gen import testing
from gen.build import build
from gen.cli import main
from gen.config import Config, parse_config
from gen.core.errors import ConfigError, DefinitionError, PromQLError
from gen.expect import render
from gen.core.resolved import AlertRule, RecordingRule
from gen.sources import Sources

BATCH = {"PodCpu75": {"thresholds": [{"match": {"namespace": "batch-.*"}, "threshold": 90}]}}


def _compile(alerts: dict, rules_src: str | None = None, **settings) -> tuple[dict, dict[str, bytes]]:
    config = parse_config({"alerts": alerts, **settings}, "monitoring.yaml")
    located = Sources.upstream()
    if rules_src is not None:
        located = Sources((*located.rules, rules_src), located.dashboards, None)
    compiled, files = build(config, located)
    rules = {r.name: r for rf in compiled.rule_files for g in rf.groups for r in g.rules if isinstance(r, AlertRule)}
    return rules, files


def _group_of(files: dict[str, bytes], path: str, name: str) -> list[dict]:
    doc = yaml.safe_load(files[path])
    [group] = [g for g in doc["groups"] if any(r.get("alert") == name for r in g["rules"])]
    return group["rules"]


# --- per-label thresholds: the compiled shape ---------------------------------------------

def test_per_label_threshold_is_one_rule_joining_threshold_series_written_before_it():
    rules, files = _compile(BATCH)
    group = _group_of(files, "rules/pods.yaml", "PodCpu75")
    names = [r.get("record") or r.get("alert") for r in group]
    keys, threshold = "namespace:alert_threshold_keys:PodCpu75", "namespace:alert_threshold:PodCpu75"
    assert names.index(keys) < names.index(threshold) < names.index("PodCpu75")
    assert names.count("PodCpu75") == 1
    by_name = {r.get("record") or r.get("alert"): r for r in group}
    assert by_name[keys]["expr"].startswith("group by (namespace) (")
    assert by_name[threshold]["expr"].splitlines() == [
        f'90 * {keys}{{namespace=~"batch-.*"}}', "or", f"75 * {keys}"]
    alert = by_name["PodCpu75"]["expr"]
    assert alert.endswith(f"> on (namespace) group_left ()\n{threshold}")
    assert "> 75" not in alert and "> 90" not in alert
    # the left-hand side compared is the catalog's, unchanged
    default, _ = _compile({})
    assert alert.startswith(default["PodCpu75"].expr.rsplit(">", 1)[0].rstrip())


def test_the_alerts_default_value_stays_a_knob_beside_the_entries():
    _, files = _compile({"PodCpu75": {"threshold": 80, **BATCH["PodCpu75"]}})
    by_name = {r.get("record") or r.get("alert"): r for r in _group_of(files, "rules/pods.yaml", "PodCpu75")}
    assert by_name["namespace:alert_threshold:PodCpu75"]["expr"].endswith("80 * namespace:alert_threshold_keys:PodCpu75")


def test_entries_apply_in_order_and_several_labels_join_on_all_of_them():
    rules, files = _compile({"PodCpu75": {"thresholds": [
        {"match": {"namespace": "batch-.*", "pod": "spark-.*"}, "threshold": 95},
        {"match": {"namespace": "batch-.*"}, "threshold": 90}]}})
    by_name = {r.get("record") or r.get("alert"): r for r in _group_of(files, "rules/pods.yaml", "PodCpu75")}
    expr = by_name["namespace_pod:alert_threshold:PodCpu75"]["expr"]
    assert expr.index("95 *") < expr.index("90 *") < expr.index("75 *")
    assert 'namespace=~"batch-.*", pod=~"spark-.*"' in expr
    assert "on (namespace, pod) group_left ()" in rules["PodCpu75"].expr
    summary = rules["PodCpu75"].annotations["summary"]
    assert render(summary, {"namespace": "batch-1", "pod": "spark-7"}, 1) == "Pod CPU usage above 95% of its limit."
    assert render(summary, {"namespace": "batch-1", "pod": "web-1"}, 1) == "Pod CPU usage above 90% of its limit."
    assert render(summary, {"namespace": "shop", "pod": "spark-7"}, 1) == "Pod CPU usage above 75% of its limit."


def test_multi_cluster_keeps_the_cluster_label_in_the_threshold_join():
    rules, files = _compile(BATCH, multi_cluster={"enabled": True})
    by_name = {r.get("record") or r.get("alert"): r for r in _group_of(files, "rules/pods.yaml", "PodCpu75")}
    assert re.search(r"group by \((cluster, namespace|namespace, cluster)\)", by_name["namespace:alert_threshold_keys:PodCpu75"]["expr"])
    assert re.search(r"on \((cluster, namespace|namespace, cluster)\) group_left", rules["PodCpu75"].expr)


def test_without_overrides_nothing_changes():
    _, before = _compile({})
    _, again = _compile({"PodCpu75": {}})
    assert before == again
    assert not any(b"alert_threshold" in data for data in before.values())


# --- per-label thresholds: what Prometheus' own evaluator does with them --------------------

def _pod_cpu_series(namespace: str, pod: str, millicores_per_minute: int) -> list[dict]:
    """A container using `millicores_per_minute`/60 of one CPU against a limit of one CPU."""
    base = {"namespace": namespace, "pod": pod, "container": "app"}
    cadvisor = ",".join(f'{k}="{v}"' for k, v in {**base, "job": "kubelet", "metrics_path": "/metrics/cadvisor"}.items())
    ksm = ",".join(f'{k}="{v}"' for k, v in {**base, "job": "kube-state-metrics", "resource": "cpu"}.items())
    return [{"series": f"container_cpu_usage_seconds_total{{{cadvisor}}}", "values": f"0+{millicores_per_minute}x20"},
            {"series": f"kube_pod_container_resource_limits{{{ksm}}}", "values": "1x20"}]


@pytest.mark.live  # runs promtool test rules
def test_promtool_fires_each_namespace_at_its_own_threshold(tmp_path):
    _, files = _compile(BATCH)
    (tmp_path / "pods.yaml").write_bytes(files["rules/pods.yaml"])
    # 48 CPU-seconds a minute = 80% of the limit; 57 = 95%
    series = (_pod_cpu_series("shop", "web-1", 48) + _pod_cpu_series("batch-nightly", "etl-1", 48)
              + _pod_cpu_series("batch-nightly", "etl-2", 57))

    def fired(namespace, pod, value, threshold):
        return {"exp_labels": {"alertname": "PodCpu75", "namespace": namespace, "pod": pod, "severity": "warning"},
                "exp_annotations": {
                    "summary": f"Pod CPU usage above {threshold}% of its limit.",
                    "description": f"Pod {namespace}/{pod} uses {value}% of its CPU limit (threshold {threshold}%); it will be throttled.",
                    "runbook_url": "https://github.com/your-org/monitoring/blob/main/docs/runbooks/PodCpu75.md",
                    "dashboard_url": f"https://grafana.example.com/d/k8s-pod?var-namespace={namespace}&var-pod={pod}"}}

    test = {"rule_files": ["pods.yaml"], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": series,
        "alert_rule_test": [{"eval_time": "10m", "alertname": "PodCpu75",
                             "exp_alerts": [fired("batch-nightly", "etl-2", 95, 90), fired("shop", "web-1", 80, 75)]}],
        "promql_expr_test": [{"expr": "namespace:alert_threshold:PodCpu75", "eval_time": "10m", "exp_samples": [
            {"labels": 'namespace:alert_threshold:PodCpu75{namespace="batch-nightly"}', "value": 90},
            {"labels": 'namespace:alert_threshold:PodCpu75{namespace="shop"}', "value": 75}]}],
    }]}
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(test, sort_keys=False))
    run = promtool.test_rules(["t.yaml"], cwd=str(tmp_path))
    assert run.ok, run.output


def _suite(tmp_path: Path, settings: dict, rules_src: str | None = None):
    config = parse_config(settings, str(tmp_path / "monitoring.yaml"))
    located = Sources.upstream() if rules_src is None else Sources((*Sources.upstream().rules, rules_src),
                                                                   Sources.upstream().dashboards, None)
    dest = tmp_path / "suite"
    tests = testing.write_suite(str(dest), located, handwritten=False, settings=testing.Settings.of(config), team=config)
    return dest, tests


def _cases(tests, module: str) -> list[str]:
    return [c for t in tests if t.title == module for c in t.cases]


@pytest.mark.live  # runs promtool test rules over a whole suite (seconds)
def test_the_suite_runs_the_catalogs_cases_in_each_threshold_region(tmp_path):
    dest, tests = _suite(tmp_path, {"alerts": BATCH})
    names = _cases(tests, "pods")
    variants = [n for n in names if n.startswith("PodCpu75:") and n.endswith("[thresholds[0]]")]
    catalog_cases = [n for n in names if n.startswith("PodCpu75:") and "[" not in n]
    assert len(variants) == len(catalog_cases) > 0
    # only the changed alert runs again: the rest is as the default suite proves it
    assert not any(n.startswith("PodMemory75:") and "settings" in n for n in names)
    [pods] = [t for t in tests if t.title == "pods"]
    for test, run in testing.run_suite([pods], str(dest)):
        assert run.ok, run.output
    text = "".join(Path(p).read_text() for p in pods.paths if p.endswith(".settings.test.yaml"))
    assert 'namespace="batch-' in text  # the variant's series moved into the entry's namespaces


@pytest.mark.live  # runs promtool test rules over a whole suite (seconds)
def test_a_threshold_variant_fails_when_the_join_ignores_the_entry(tmp_path):
    """The variants test the compiled rule: with the threshold series at 75 for every
    namespace, the 76.67% case moved into batch-* fires and its variant fails."""
    dest, tests = _suite(tmp_path, {"alerts": BATCH})
    [test_file] = [p for t in tests for p in t.paths if p.endswith("PodCpu75.settings.test.yaml")]
    path = test_file.replace(".test.", ".rules.")
    text = Path(path).read_text()
    broken = text.replace('90 * namespace:alert_threshold_keys:PodCpu75', '75 * namespace:alert_threshold_keys:PodCpu75')
    assert broken != text
    Path(path).write_text(broken)
    run = promtool.test_rules([os.path.basename(test_file)], cwd=str(dest))
    assert not run.ok and "[thresholds[0]]" in run.output


def test_looser_entries_are_said_not_derived(tmp_path):
    _, tests = _suite(tmp_path, {"alerts": {"PodCpu75": {"thresholds": [{"match": {"namespace": "dev-.*"}, "threshold": 50}]}}})
    [pods] = [t for t in tests if t.title == "pods"]
    assert pods.not_derived and all("looser" in reason for reason in pods.not_derived)
    assert not any(n.endswith("[thresholds[0]]") for n in pods.cases)


# --- per-label thresholds: every mistake named -------------------------------------------

@pytest.mark.parametrize("entry, key, message", [
    ("batch", "alerts.PodCpu75.thresholds", "expected a list"),
    ([{"threshold": 90}], "alerts.PodCpu75.thresholds[0].match", "at least one label"),
    ([{"match": {"namespace": "batch-("}, "threshold": 90}], "alerts.PodCpu75.thresholds[0].match.namespace", "not a valid regular expression"),
    ([{"match": {"name-space": "x"}, "threshold": 90}], "alerts.PodCpu75.thresholds[0].match.name-space", "not a label name"),
    ([{"match": {"namespace": "x"}}], "alerts.PodCpu75.thresholds[0]", "exactly one parameter"),
    ([{"match": {"namespace": "x"}, "threshold": "high"}], "alerts.PodCpu75.thresholds[0].threshold", "must be a number"),
    ([{"match": {"namespace": "x"}, "threshold": 90}, {"match": {"namespace": "y"}, "for": 3}],
     "alerts.PodCpu75.thresholds", "the same parameter"),
])
def test_bad_threshold_entries_are_refused_at_their_key(entry, key, message):
    with pytest.raises(ConfigError) as err:
        parse_config({"alerts": {"PodCpu75": {"thresholds": entry}}}, "monitoring.yaml")
    assert f"monitoring.yaml: {key}:" in str(err.value) and message in str(err.value)


@pytest.mark.parametrize("alerts, key, message", [
    ({"PodCpu75": {"thresholds": [{"match": {"namespace": "x"}, "treshold": 90}]}},
     "alerts.PodCpu75.thresholds[0].treshold", "not a numeric parameter of alert PodCpu75 (its numeric parameters: threshold)"),
    ({"PodCpu75": {"thresholds": [{"match": {"namespace": "x"}, "rate_window": 3}]}},
     "alerts.PodCpu75.thresholds[0].rate_window", "not a numeric parameter"),
    ({"PodCpu75": {"thresholds": [{"match": {"node": "n1"}, "threshold": 90}]}},
     "alerts.PodCpu75.thresholds[0].match.node", "result has no label 'node' (it has namespace, pod)"),
])
def test_thresholds_that_cannot_apply_to_the_alert_are_refused(alerts, key, message):
    with pytest.raises(ConfigError) as err:
        _compile(alerts)
    assert f"monitoring.yaml: {key}:" in str(err.value) and message in str(err.value)


def test_thresholds_need_an_expression_ending_in_the_comparison():
    rules, _ = _compile({})
    # an alert whose threshold parameter is not the final comparison
    name, param = next((r.name, k) for r in rules.values() for k, v in r.params.items()
                       if isinstance(v, (int, float)) and not re.search(
                           r"(>|<|>=|<=|==|!=)\s*\$\{" + k + r"\}\s*$", r.definition.expr.strip()))
    with pytest.raises(ConfigError) as err:
        _compile({name: {"thresholds": [{"match": {"namespace": "x"}, param: 1}]}})
    assert f"alerts.{name}.thresholds:" in str(err.value) and "ending in a comparison" in str(err.value)


# --- and / unless / expr ---------------------------------------------------------------------

PROD_ONLY = 'on (namespace) kube_namespace_labels{${kube_state_metrics}, label_tier="prod"}'


def test_and_and_unless_wrap_the_catalogs_expression(tmp_path):
    default, _ = _compile({})
    rules, _ = _compile({"KubePodCrashLooping": {"and": PROD_ONLY,
                                                 "unless": 'on (namespace) kube_namespace_labels{label_quiet="true"}'}},
                        _team_rules(tmp_path))
    expr = rules["KubePodCrashLooping"].expr
    inner = "\n".join("  " + line for line in default["KubePodCrashLooping"].expr.splitlines())
    assert expr == (f"(\n{inner}\n)\nand on (namespace) kube_namespace_labels{{job=\"kube-state-metrics\", label_tier=\"prod\"}}"
                    "\nunless on (namespace) kube_namespace_labels{label_quiet=\"true\"}")
    # name, labels, annotations and links are the catalog's
    for field in ("labels", "annotations", "for_"):
        assert getattr(rules["KubePodCrashLooping"], field) == getattr(default["KubePodCrashLooping"], field)


def test_a_condition_that_does_not_parse_names_its_key():
    with pytest.raises(PromQLError) as err:
        _compile({"KubePodCrashLooping": {"unless": "on (namespace) kube_namespace_labels{"}})
    assert "monitoring.yaml: alerts.KubePodCrashLooping" in str(err.value) and "does not parse" in str(err.value)


def test_expr_and_and_require_the_teams_cases(tmp_path):
    for key, value in (("expr", "kube_pod_container_status_restarts_total{${kube_state_metrics}} > 3"),
                       ("and", PROD_ONLY)):
        with pytest.raises(ConfigError) as err:
            _compile({"KubePodCrashLooping": {key: value}})
        assert f"monitoring.yaml: alerts.KubePodCrashLooping.{key}:" in str(err.value)
        assert "cases = {'KubePodCrashLooping': [Case(" in str(err.value)


def test_empty_expressions_are_refused():
    with pytest.raises(ConfigError, match=r"alerts\.KubePodCrashLooping\.unless: is empty"):
        parse_config({"alerts": {"KubePodCrashLooping": {"unless": " "}}}, "monitoring.yaml")


TEAM_CASES = '''
from gen.model import Case, Fire

def _waiting(namespace):
    labels = '${kube_state_metrics}, namespace="%s", pod="web-1", container="app", reason="CrashLoopBackOff"' % namespace
    return {"kube_pod_container_status_waiting_reason{" + labels + "}": "1x30"}

PROD = {'kube_namespace_labels{${kube_state_metrics}, namespace="shop", label_tier="prod"}': "1x30"}

cases = {"KubePodCrashLooping": [
    Case("fires in a prod namespace", series={**_waiting("shop"), **PROD}, at="20m",
         fires=[Fire({"namespace": "shop", "pod": "web-1", "container": "app", "job": "kube-state-metrics",
                      "reason": "CrashLoopBackOff"}, value=1)]),
    Case("silent outside prod", series=_waiting("lab"), at="20m"),
]}
'''


def _team_rules(tmp_path: Path, text: str = TEAM_CASES) -> str:
    folder = tmp_path / "rules_src"
    folder.mkdir()
    (folder / "overrides.py").write_text(text)
    return str(folder)


@pytest.mark.live  # runs promtool test rules over a whole suite (seconds)
def test_the_teams_cases_prove_an_added_condition_and_the_catalogs_are_dropped(tmp_path):
    rules_src = _team_rules(tmp_path)
    dest, tests = _suite(tmp_path, {"alerts": {"KubePodCrashLooping": {"and": PROD_ONLY}}}, rules_src)
    names = [n for n in _cases(tests, "pods") if n.startswith("KubePodCrashLooping:")]
    assert "KubePodCrashLooping: fires in a prod namespace [team]" in names
    assert not any("settings" in n for n in names)  # the catalog's cases do not describe this rule
    [pods] = [t for t in tests if t.title == "pods"]
    for test, run in testing.run_suite([pods], str(dest)):
        assert run.ok, run.output


@pytest.mark.live  # runs promtool test rules over a suite
def test_the_teams_case_fails_when_its_condition_is_not_compiled(tmp_path):
    """The team's cases run against the team's rule: compiled without its condition, the
    'silent outside prod' case fires and fails."""
    rules_src = _team_rules(tmp_path)
    dest, tests = _suite(tmp_path, {"alerts": {"KubePodCrashLooping": {"and": PROD_ONLY}}}, rules_src)
    [test_file] = [p for t in tests for p in t.paths if p.endswith("KubePodCrashLooping.team.test.yaml")]
    path = test_file.replace(".test.", ".rules.")
    doc = yaml.safe_load(Path(path).read_text())
    for group in doc["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == "KubePodCrashLooping":
                rule["expr"] = rule["expr"].split("\nand on (namespace)")[0]
    Path(path).write_text(yaml.safe_dump(doc))
    run = promtool.test_rules([os.path.basename(test_file)], cwd=str(dest))
    assert not run.ok and "silent outside prod [team]" in run.output


@pytest.mark.live  # runs promtool test rules over a whole suite (seconds)
def test_unless_keeps_the_catalogs_cases(tmp_path):
    dest, tests = _suite(tmp_path, {"alerts": {"KubePodCrashLooping": {
        "unless": 'on (namespace) kube_namespace_labels{${kube_state_metrics}, label_quiet="true"}'}}})
    names = [n for n in _cases(tests, "pods") if n.startswith("KubePodCrashLooping:")]
    assert any(n.endswith("[monitoring.yaml settings]") for n in names)
    [pods] = [t for t in tests if t.title == "pods"]
    for test, run in testing.run_suite([pods], str(dest)):
        assert run.ok, run.output


@pytest.mark.live  # runs promtool test rules over a whole suite (seconds)
def test_an_unless_that_silences_the_catalogs_cases_fails_them(tmp_path):
    dest, tests = _suite(tmp_path, {"alerts": {"KubePodCrashLooping": {"unless": "on () vector(1)"}}})
    [pods] = [t for t in tests if t.title == "pods"]
    results = [run for _, run in testing.run_suite([pods], str(dest))]
    assert not all(r.ok for r in results)


def test_a_replaced_expression_keeps_name_labels_and_links(tmp_path):
    rules_src = _team_rules(tmp_path, TEAM_CASES.replace(", **PROD", ""))
    (tmp_path / "monitoring.yaml").write_text(yaml.safe_dump({"alerts": {"KubePodCrashLooping": {
        "expr": 'max without (instance) (kube_pod_container_status_waiting_reason{${kube_state_metrics}, '
                'reason="CrashLoopBackOff", namespace!="lab"}) >= 1'}}}))
    compiled, files = build(str(tmp_path / "monitoring.yaml"))
    default, _ = _compile({})
    [rule] = [r for rf in compiled.rule_files for g in rf.groups for r in g.rules if r.name == "KubePodCrashLooping"]
    assert 'namespace!="lab"' in rule.expr and rule.annotations == default["KubePodCrashLooping"].annotations
    assert rule.labels == default["KubePodCrashLooping"].labels and not rule.catalog_cases_hold
    assert [c.name for c in rule.cases] == ["fires in a prod namespace", "silent outside prod"]
    assert rules_src in compiled.catalog.folders


def test_cases_for_an_unknown_alert_name_their_file(tmp_path):
    rules_src = _team_rules(tmp_path, TEAM_CASES.replace('"KubePodCrashLooping": [', '"KubePodCrashLoop": ['))
    with pytest.raises(DefinitionError) as err:
        _suite(tmp_path, {}, rules_src)
    assert "overrides.py" in str(err.value) and "'KubePodCrashLoop': no alert of that name" in str(err.value)


def test_coverage_counts_the_teams_cases_for_a_changed_alert(tmp_path):
    rules_src = _team_rules(tmp_path, TEAM_CASES.replace('    Case("silent outside prod", series=_waiting("lab"), at="20m"),\n', ""))
    (tmp_path / "monitoring.yaml").write_text(yaml.safe_dump({"alerts": {"KubePodCrashLooping": {"and": PROD_ONLY}}}))
    compiled, _ = build(str(tmp_path / "monitoring.yaml"))
    gaps = testing.coverage_gaps(compiled.rule_files)
    [gap] = [g for g in gaps if "KubePodCrashLooping" in g]
    assert gap == (f"{tmp_path / 'monitoring.yaml'}: alerts.KubePodCrashLooping (its own cases): "
                   "alert KubePodCrashLooping lacks a non-firing case")
    assert rules_src in compiled.catalog.folders


# --- shown by gen params --------------------------------------------------------------------

def test_params_shows_every_expression_change(tmp_path, capsys, monkeypatch):
    _team_rules(tmp_path)
    (tmp_path / "monitoring.yaml").write_text(yaml.safe_dump({"alerts": {
        **BATCH, "KubePodCrashLooping": {"and": PROD_ONLY, "unless": "on (namespace) quiet_namespaces"}}}))
    monkeypatch.chdir(tmp_path)
    assert main(["params"]) == 0
    out, err = capsys.readouterr()
    lines = {line.split()[0]: line for line in out.splitlines() if line and not line.startswith("selectors")}
    assert "threshold=75 " in lines["PodCpu75"] and "threshold*=90 where namespace=~'batch-.*'" in lines["PodCpu75"]
    assert "and*='on (namespace) kube_namespace_labels{${kube_state_metrics}, label_tier=\"prod\"}'" in lines["KubePodCrashLooping"]
    assert "unless*='on (namespace) quiet_namespaces'" in lines["KubePodCrashLooping"]
    assert "3 values set by" in err
