"""The Kubernetes dashboards (cluster, node, workload, pod): the links between them, the alerts
that open them, and the PromQL that maps pods to workloads, checked with promtool against
hand-written series and expected results."""

from __future__ import annotations

import importlib.util
import json
import os
import re

import pytest
import yaml

from gen.tools import promtool
from gen import upstream
from gen.build import build
from gen.dash import check
from gen.rules.loader import load_catalog
from gen.core.placeholders import substitute, substitute_expr


@pytest.fixture(scope="module")
def built():
    return build(None)


def _dash(files, uid: str) -> dict:
    return json.loads(files[f"grafana/{uid}.json"])


def _link_targets(data: dict) -> set[str]:
    """uids of the dashboards a dashboard's panels link to (data links)."""
    out = set()
    for p in check.panels(data):
        for link in p.get("fieldConfig", {}).get("defaults", {}).get("links", []):
            out.add(re.match(r"/d/([\w-]+)\?", link["url"]).group(1))
    return out


def test_cluster_links_to_node_and_workload_which_link_to_pod(built):
    """The required chains: cluster -> node -> pod, cluster -> workload -> pod, pod back to both."""
    _, files = built
    assert {"k8s-node", "k8s-workload"} <= _link_targets(_dash(files, "k8s-cluster"))
    assert "k8s-pod" in _link_targets(_dash(files, "k8s-node"))
    assert "k8s-pod" in _link_targets(_dash(files, "k8s-workload"))
    assert {"k8s-node", "k8s-workload"} <= _link_targets(_dash(files, "k8s-pod"))


def test_links_set_only_variables_the_target_declares(built):
    _, files = built
    uids = ("k8s-cluster", "k8s-node", "k8s-workload", "k8s-pod")
    declared = {uid: {v["name"] for v in _dash(files, uid)["templating"]["list"]} for uid in uids}
    for uid in uids:
        for p in check.panels(_dash(files, uid)):
            for link in p.get("fieldConfig", {}).get("defaults", {}).get("links", []):
                target = re.match(r"/d/([\w-]+)\?", link["url"]).group(1)
                names = set(re.findall(r"var-(\w+)=", link["url"]))
                assert names <= declared[target], f"{uid}: panel {p['title']!r} sets {names - declared[target]}"


def _alert_urls(files) -> dict[str, str]:
    urls = {}
    for path, text in files.items():
        if path.startswith("rules/"):
            for group in yaml.safe_load(text)["groups"]:
                for rule in group["rules"]:
                    if "alert" in rule and "dashboard_url" in rule.get("annotations", {}):
                        urls[rule["alert"]] = rule["annotations"]["dashboard_url"]
    return urls


def test_alerts_open_the_object_they_are_about(built):
    _, files = built
    urls = _alert_urls(files)
    g = "https://grafana.example.com/d/"
    assert urls["PodCpu75"] == g + "k8s-pod?var-namespace={{ $labels.namespace }}&var-pod={{ $labels.pod }}"
    assert urls["KubeDeploymentReplicasMismatch"] == (
        g + "k8s-workload?var-namespace={{ $labels.namespace }}&var-workload_type=deployment&var-workload={{ $labels.deployment }}")
    assert urls["KubeDaemonSetRolloutStuck"].endswith("var-workload_type=daemonset&var-workload={{ $labels.daemonset }}")
    assert urls["KubeReplicasOnSameNode"].endswith(
        "var-workload_type={{ $labels.workload_type }}&var-workload={{ $labels.workload }}")
    # node-exporter alerts know the node only by its scrape target; kubelet/ksm ones by name
    assert urls["NodeFilesystemAlmostOutOfSpace"] == g + "k8s-node?var-instance={{ $labels.instance }}"
    assert urls["KubeNodeNotReady"] == g + "k8s-node?var-node={{ $labels.node }}"
    assert urls["KubeCPUOvercommit"] == g + "k8s-water-level"  # shows its quantity with the threshold line


# --- pods to workloads, proven with promtool --------------------------------------------------


def _kube():
    """dashboards_src/_kube.py, the helper the dashboards import."""
    path = os.path.join(upstream.DASHBOARDS, "_kube.py")
    spec = importlib.util.spec_from_file_location("_kube_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ksm(metric: str, **labels: str) -> str:
    return metric + "{${kube_state_metrics}, " + ", ".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


# Namespace shop: Deployment web (two ReplicaSets, old one empty), a StatefulSet also named
# web, DaemonSet agent, a Job's pod and a pod of a ReplicaSet no Deployment owns.
_SERIES = {
    _ksm("kube_replicaset_owner", namespace="shop", replicaset="web-5f6d7", owner_kind="Deployment", owner_name="web", owner_is_controller="true"): "1x10",
    _ksm("kube_replicaset_owner", namespace="shop", replicaset="web-79c4b", owner_kind="Deployment", owner_name="web", owner_is_controller="true"): "1x10",
    _ksm("kube_replicaset_owner", namespace="shop", replicaset="legacy-1", owner_kind="<none>", owner_name="<none>", owner_is_controller="<none>"): "1x10",
    _ksm("kube_pod_owner", namespace="shop", pod="web-79c4b-aaaaa", uid="1", owner_kind="ReplicaSet", owner_name="web-79c4b", owner_is_controller="true"): "1x10",
    _ksm("kube_pod_owner", namespace="shop", pod="web-79c4b-bbbbb", uid="2", owner_kind="ReplicaSet", owner_name="web-79c4b", owner_is_controller="true"): "1x10",
    _ksm("kube_pod_owner", namespace="shop", pod="web-0", uid="3", owner_kind="StatefulSet", owner_name="web", owner_is_controller="true"): "1x10",
    _ksm("kube_pod_owner", namespace="shop", pod="agent-x1", uid="4", owner_kind="DaemonSet", owner_name="agent", owner_is_controller="true"): "1x10",
    _ksm("kube_pod_owner", namespace="shop", pod="report-2899-q", uid="5", owner_kind="Job", owner_name="report-2899", owner_is_controller="true"): "1x10",
    _ksm("kube_pod_owner", namespace="shop", pod="legacy-1-zz", uid="6", owner_kind="ReplicaSet", owner_name="legacy-1", owner_is_controller="true"): "1x10",
}


def _case(expr: str, expected: list[tuple[str, float]]) -> dict:
    return {"expr": expr, "eval_time": "5m", "exp_samples": [{"labels": labels, "value": value} for labels, value in expected]}


def test_pods_map_to_their_workload(tmp_path):
    kube = _kube()
    selectors = load_catalog(upstream.RULES).selectors
    fill = lambda expr: substitute_expr(expr, selectors, "test")  # noqa: E731
    cases = [
        _case(fill(kube.workload_pods("shop", "deployment", "web")),
              [('{namespace="shop", pod="web-79c4b-aaaaa"}', 1), ('{namespace="shop", pod="web-79c4b-bbbbb"}', 1)]),
        _case(fill(kube.workload_pods("shop", "statefulset", "web")), [('{namespace="shop", pod="web-0"}', 1)]),
        _case(fill(kube.workload_pods("shop", "daemonset", "agent")), [('{namespace="shop", pod="agent-x1"}', 1)]),
        _case(fill(kube.pod_workload('namespace="shop"')), [
            ('{namespace="shop", pod="web-79c4b-aaaaa", workload_type="deployment", workload="web"}', 1),
            ('{namespace="shop", pod="web-79c4b-bbbbb", workload_type="deployment", workload="web"}', 1),
            ('{namespace="shop", pod="web-0", workload_type="statefulset", workload="web"}', 1),
            ('{namespace="shop", pod="agent-x1", workload_type="daemonset", workload="agent"}', 1),
        ]),
        _case(fill(kube.pod_workload('namespace="shop"', pod="web-79c4b-bbbbb")),
              [('{namespace="shop", pod="web-79c4b-bbbbb", workload_type="deployment", workload="web"}', 1)]),
    ]
    series = [{"series": substitute(s, selectors, "test"), "values": v} for s, v in _SERIES.items()]
    doc = {"rule_files": [], "evaluation_interval": "1m",
           "tests": [{"interval": "1m", "input_series": series, "promql_expr_test": cases}]}
    (tmp_path / "mapping.test.yaml").write_text(yaml.safe_dump(doc))
    run = promtool.test_rules(["mapping.test.yaml"], cwd=str(tmp_path))
    assert run.ok, run.output
