"""Case series in the shapes the exporters really emit: every kube-state-metrics series of
every case (the catalog's and its variants') carries only labels kube-state-metrics documents
for that metric (tests/exporter_labels.py, from its v2.20.0 docs), plus what scraping adds
(job, instance), so no case proves an alert against a label set that does not exist."""

from __future__ import annotations

import re

import pytest

from exporter_labels import KUBE_STATE_METRICS
from gen.build import DEFAULT_RULES_SRC, compile_rules
from gen.config import Config
from gen.testing import alert_cases

SCRAPE_LABELS = {"job", "instance"}
_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*=')


def ksm_series():
    compiled = compile_rules(Config(), DEFAULT_RULES_SRC)
    for _, alert in alert_cases(compiled.rule_files):
        for case in alert.definition.cases:
            for series in case.series:
                if "${kube_state_metrics}" in series:
                    yield f"{alert.name}: {case.name}", series


def _allowed(metric: str, label: str) -> bool:
    documented = KUBE_STATE_METRICS[metric]
    return label in documented or label in SCRAPE_LABELS or ("label_*" in documented and label.startswith("label_"))


@pytest.mark.parametrize("where, series", list(ksm_series()), ids=lambda v: v if isinstance(v, str) and ": " in v else None)
def test_kube_state_metrics_series_carry_documented_labels_only(where, series):
    metric = series.split("{", 1)[0]
    assert metric in KUBE_STATE_METRICS, f"{where}: {metric} is not a kube-state-metrics metric the table knows"
    labels = set(_LABEL.findall(series.split("{", 1)[1]))
    wrong = sorted(label for label in labels if not _allowed(metric, label))
    assert not wrong, f"{where}: {metric} has no label {', '.join(wrong)} (documented: {', '.join(KUBE_STATE_METRICS[metric])})"


def test_the_table_says_where_its_facts_come_from():
    import exporter_labels

    assert "v2.20.0" in exporter_labels.__doc__
    assert KUBE_STATE_METRICS["kube_pod_info"] == ("created_by_kind", "created_by_name", "host_ip", "host_network",
                                                   "namespace", "node", "pod", "pod_ip", "priority_class", "uid")
