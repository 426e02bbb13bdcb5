"""Settings in monitoring.yaml change when alerts fire: proven with promtool, not by string checks."""

from __future__ import annotations

import os

import pytest
import yaml

from gen.render import outdir
from gen.tools import promtool
from gen.build import compile_rules, render
from gen.config import parse_config

# live: every test runs promtool test rules; `pytest -m "not live"` skips it
pytestmark = pytest.mark.live

CPU = 'container_cpu_usage_seconds_total{{job="kubelet", metrics_path="/metrics/cadvisor", {extra}namespace="{ns}", pod="web-1", container="app"}}'
LIMIT = 'kube_pod_container_resource_limits{{job="kube-state-metrics", {extra}namespace="{ns}", pod="web-1", container="app", resource="cpu", unit="core"}}'


def _build(tmp_path, settings: dict) -> str:
    """Build the real catalog with `settings`; return the folder holding the plain rule files."""
    compiled = compile_rules(parse_config(settings, "test-settings"))
    files = render(compiled)
    outdir.write_tree(str(tmp_path / "out"), files)
    return str(tmp_path / "out" / "rules")


def _cpu_series(ns: str, per_minute: float, extra: str = "") -> list[dict]:
    return [
        {"series": CPU.format(ns=ns, extra=extra), "values": f"0+{per_minute}x20"},
        {"series": LIMIT.format(ns=ns, extra=extra), "values": "1x20"},
    ]


def _firing(rules_dir: str, series: list[dict], alertname: str = "PodCpu75", at: str = "10m") -> list[dict]:
    """The alerts promtool sees firing, read from a promtool run that expects none."""
    test = {
        "rule_files": ["pods.yaml"],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": series,
                   "alert_rule_test": [{"eval_time": at, "alertname": alertname, "exp_alerts": []}]}],
    }
    path = os.path.join(rules_dir, "probe.test.yaml")
    with open(path, "w") as fh:
        yaml.safe_dump(test, fh)
    run = promtool.test_rules(["probe.test.yaml"], cwd=rules_dir)
    if run.ok:
        return []
    # promtool printed "got:[ 0: Labels:{...} ...]": collect the label sets it reports.
    got = run.output.split("got:", 1)[1]
    return [line.strip() for line in got.splitlines() if line.strip().startswith("Labels:")]


def test_threshold_setting_moves_the_firing_point(tmp_path):
    usage_76 = _cpu_series("shop", 46)  # 76.67% of the limit
    usage_83 = _cpu_series("shop", 50)  # 83.33%
    default = _build(tmp_path / "default", {})
    raised = _build(tmp_path / "raised", {"alerts": {"PodCpu75": {"threshold": 80}}})
    assert len(_firing(default, usage_76)) == 1
    assert _firing(raised, usage_76) == []
    assert len(_firing(raised, usage_83)) == 1


def test_for_setting_delays_firing(tmp_path):
    slow = _build(tmp_path, {"alerts": {"PodCpu75": {"for": "15m"}}})
    assert _firing(slow, _cpu_series("shop", 46), at="10m") == []
    assert len(_firing(slow, _cpu_series("shop", 46), at="19m")) == 1


def test_disabled_alert_is_absent_from_the_rule_file(tmp_path):
    rules = _build(tmp_path, {"alerts": {"PodCpu75": {"disabled": True}}})
    text = open(os.path.join(rules, "pods.yaml")).read()
    assert "alert: PodCpu75" not in text
    assert "alert: PodMemory75" in text


def test_namespace_scope_limits_namespaced_alerts(tmp_path):
    scoped = _build(tmp_path, {"namespace_scope": "prod-.*"})
    assert len(_firing(scoped, _cpu_series("prod-shop", 46))) == 1
    assert _firing(scoped, _cpu_series("dev-shop", 46)) == []
    # Alerts not about namespaced objects are left alone.
    text = open(os.path.join(scoped, "nodes.yaml")).read()
    assert "namespace=~" not in text


def test_multi_cluster_keeps_clusters_apart(tmp_path):
    # Same pod name in two clusters: one at 80% of its limit, the other at 10%.
    series = _cpu_series("shop", 48, extra='cluster="a", ') + _cpu_series("shop", 6, extra='cluster="b", ')
    single = _build(tmp_path / "single", {})
    multi = _build(tmp_path / "multi", {"multi_cluster": {"enabled": True}})
    # Summed across clusters the two pods look like one at 45%: nothing fires.
    assert _firing(single, series) == []
    fired = _firing(multi, series)
    assert len(fired) == 1 and 'cluster="a"' in fired[0]


def test_multi_cluster_label_name_is_configurable(tmp_path):
    rules = _build(tmp_path, {"multi_cluster": {"enabled": True, "label": "k8s_cluster"}})
    text = open(os.path.join(rules, "pods.yaml")).read()
    assert "sum by (k8s_cluster, namespace, pod)" in text
    series = _cpu_series("shop", 48, extra='k8s_cluster="a", ') + _cpu_series("shop", 6, extra='k8s_cluster="b", ')
    fired = _firing(rules, series)
    assert len(fired) == 1 and 'k8s_cluster="a"' in fired[0]
