"""gen.rules.multicluster.keep_label: every aggregation and join keeps the cluster label, nothing else moves."""

from __future__ import annotations

import promql_parser
import pytest

from gen.rules.multicluster import keep_label


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("sum by (namespace) (x)", "sum by (cluster, namespace) (x)"),
        ("sum(x) by (namespace)", "sum(x) by (cluster, namespace)"),
        ("sum(x)", "sum by (cluster) (x)"),
        ("count(x) without (pod)", "count(x) without (pod)"),
        ("count without (pod) (x)", "count without (pod) (x)"),
        ("sum by (cluster, node) (x)", "sum by (cluster, node) (x)"),
        ("a / on (node) b", "a / on (cluster, node) b"),
        ("a / on () b", "a / on (cluster) b"),
        ("a / ignoring (pod) b", "a / ignoring (pod) b"),
        ("a * on (node) group_left (role) b", "a * on (cluster, node) group_left (role) b"),
        # topk without grouping selects across all clusters: scope it to each
        ("topk(3, x)", "topk by (cluster) (3, x)"),
        ("bottomk by () (1, x)", "bottomk by (cluster) (1, x)"),
        ("topk by (pod) (1, x)", "topk by (cluster, pod) (1, x)"),
        ("quantile(0.9, x)", "quantile by (cluster) (0.9, x)"),
        # label matchers, strings and comments stay as written
        ('x{by="sum(y)"}', 'x{by="sum(y)"}'),
        ('label_replace(x, "d", "sum(x)", "s", "(.*)")', 'label_replace(x, "d", "sum(x)", "s", "(.*)")'),
        ("x # sum(y)\n> 1", "x # sum(y)\n> 1"),
        ("rate(x[5m]) > 1", "rate(x[5m]) > 1"),
        # absent() fires only when no cluster has the series: anchored on each cluster's targets
        ('absent(up{job="a"} == 1)', 'group by (cluster) (up) unless on (cluster) (up{job="a"} == 1)'),
        ("absent(sum(x))", "group by (cluster) (up) unless on (cluster) (sum by (cluster) (x))"),
    ],
)
def test_keep_label(expr, expected):
    assert keep_label(expr, "cluster") == expected
    promql_parser.parse(keep_label(expr, "cluster"))  # still valid PromQL


def test_nested_aggregations_each_keep_the_label():
    got = keep_label("max by (node) (sum(rate(x[5m])) / on (node) count(y))", "k8s_cluster")
    assert got == (
        "max by (k8s_cluster, node) (sum by (k8s_cluster) (rate(x[5m])) "
        "/ on (k8s_cluster, node) count by (k8s_cluster) (y))"
    )


def test_rewriting_twice_changes_nothing_more():
    once = keep_label("sum(x) / on (node) topk(1, y)", "cluster")
    assert keep_label(once, "cluster") == once
