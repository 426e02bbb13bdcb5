"""Case series in the shapes the exporters really emit (tests/support/exporter_labels.py says where
each fact comes from), so no case proves an alert against a label set that does not exist:
kube-state-metrics and kubelet series carry only their documented labels plus
what scraping adds; cAdvisor series carry every label the kubelet gives a cgroup, and a pod's
containers come with the pod's own cgroup, which holds their sum (the series that makes a
forgotten `container!=""` count a pod twice)."""

from __future__ import annotations

import re

import pytest

from support.exporter_labels import (CADVISOR, CADVISOR_LABELS, KAFKA_EXPORTER, KUBE_STATE_METRICS, KUBELET,
                                     KUBELET_SCRAPE_LABELS)
from gen.build import compile_rules
from gen.config import Config
from gen.series_values import expand
from gen.testing import alert_cases

SCRAPE_LABELS = {"job", "instance"}
_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"([^"]*)"')


def _cases():
    compiled = compile_rules(Config())
    for _, alert in alert_cases(compiled.rule_files):
        for case in alert.definition.cases:
            yield f"{alert.name}: {case.name}", case


def _series_of(selector: str):
    return [(where, series) for where, case in _cases() for series in case.series if "${%s}" % selector in series]


def _labels(series: str) -> dict[str, str]:
    return dict(_LABEL.findall(series.split("{", 1)[1]))


_IDS = dict(ids=lambda v: v if isinstance(v, str) and ": " in v else None)


def ksm_series():
    return _series_of("kube_state_metrics")


def _allowed(metric: str, label: str) -> bool:
    documented = KUBE_STATE_METRICS[metric]
    return label in documented or label in SCRAPE_LABELS or ("label_*" in documented and label.startswith("label_"))


@pytest.mark.parametrize("where, series", ksm_series(), **_IDS)
def test_kube_state_metrics_series_carry_documented_labels_only(where, series):
    metric = series.split("{", 1)[0]
    assert metric in KUBE_STATE_METRICS, f"{where}: {metric} is not a kube-state-metrics metric the table knows"
    labels = set(_labels(series))
    wrong = sorted(label for label in labels if not _allowed(metric, label))
    assert not wrong, f"{where}: {metric} has no label {', '.join(wrong)} (documented: {', '.join(KUBE_STATE_METRICS[metric])})"


@pytest.mark.parametrize("where, series", _series_of("cadvisor"), **_IDS)
def test_cadvisor_series_carry_every_label_the_kubelet_gives_a_cgroup(where, series):
    metric = series.split("{", 1)[0]
    assert metric in CADVISOR, f"{where}: {metric} is not a cAdvisor metric the table knows"
    labels = set(_labels(series))
    expected = set(CADVISOR_LABELS) | set(CADVISOR[metric])
    assert expected <= labels, f"{where}: {metric} lacks {', '.join(sorted(expected - labels))}"
    extra = labels - expected - set(KUBELET_SCRAPE_LABELS)
    assert not extra, f"{where}: {metric} has no label {', '.join(sorted(extra))}"


@pytest.mark.parametrize("where, series", _series_of("kubelet"), **_IDS)
def test_kubelet_series_carry_documented_labels_only(where, series):
    metric = series.split("{", 1)[0]
    assert metric in KUBELET, f"{where}: {metric} is not a kubelet metric the table knows"
    wrong = set(_labels(series)) - set(KUBELET[metric]) - set(KUBELET_SCRAPE_LABELS)
    assert not wrong, f"{where}: {metric} has no label {', '.join(sorted(wrong))}"


def _kafka_series():
    return [(where, series) for where, case in _cases() for series in case.series if series.startswith("kafka_")]


@pytest.mark.parametrize("where, series", _kafka_series(), **_IDS)
def test_kafka_exporter_series_carry_its_labels_exactly(where, series):
    metric = series.split("{", 1)[0]
    assert metric in KAFKA_EXPORTER, f"{where}: {metric} is not a kafka_exporter metric the table knows"
    labels = set(_labels(series)) - SCRAPE_LABELS
    assert labels == set(KAFKA_EXPORTER[metric]), \
        f"{where}: {metric} has {sorted(labels)}, kafka_exporter gives {sorted(KAFKA_EXPORTER[metric])}"


def _pods_with_containers():
    for where, case in _cases():
        pods: dict[tuple, list[tuple[dict, list[float]]]] = {}
        for series, values in case.series.items():
            if "${cadvisor}" in series:
                labels = _labels(series)
                key = (series.split("{", 1)[0], labels["namespace"], labels["pod"])
                pods.setdefault(key, []).append((labels, expand(values)))
        for key, cgroups in pods.items():
            yield where, key, cgroups


@pytest.mark.parametrize("where, key, cgroups", list(_pods_with_containers()), **_IDS)
def test_a_pods_cadvisor_series_include_its_own_cgroup_holding_their_sum(where, key, cgroups):
    metric, namespace, pod = key
    own = [(labels, v) for labels, v in cgroups if labels["container"] == "" and labels["image"] == ""]
    assert len(own) == 1, f"{where}: {metric} of {namespace}/{pod}: {len(own)} series of the pod's own cgroup, not 1"
    pod_id, total = own[0][0]["id"], own[0][1]
    below = [v for labels, v in cgroups if labels["id"].startswith(pod_id + "/")]
    assert below, f"{where}: {metric} of {namespace}/{pod}: no container cgroup under {pod_id}"
    n = min(len(total), *(len(v) for v in below))
    assert [round(total[i], 6) for i in range(n)] == [round(sum(v[i] for v in below), 6) for i in range(n)], \
        f"{where}: {metric}: the cgroup of pod {namespace}/{pod} does not hold the sum of its containers"


def test_the_table_says_where_its_facts_come_from():
    import support.exporter_labels as exporter_labels

    assert "v2.20.0" in exporter_labels.__doc__
    assert KUBE_STATE_METRICS["kube_pod_info"] == ("created_by_kind", "created_by_name", "host_ip", "host_network",
                                                   "namespace", "node", "pod", "pod_ip", "priority_class", "uid")
