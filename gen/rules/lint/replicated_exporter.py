"""Series of an exporter teams run as several replicas, used as if there were one.

Why: two kube-state-metrics replicas (HA, or any rolling update) report every object twice,
differing in `instance`. An expression that keeps `instance` alerts once per replica (and
restarts its `for` when a replica changes address); one that sums or counts them before
dropping `instance` doubles the result; a join that ignores `instance` between two such
sides has two series on each side of every match (a many-to-many error, nothing fires).
The exporters concerned are `REPLICATED` in rules_src/_selectors.py. `gen test` proves it per
case (the replicated exporters variant); this check finds it without a case, and names where.

Example: with two replicas, every pod counts twice and the alert fires at half the restarts:

    Alert("ManyPodsRestarting",
          expr="count(increase(kube_pod_container_status_restarts_total{${kube_state_metrics}}[1h]) > 3) > 10", ...)

Fix: reduce the exporter's series to one per object first, `max without (instance) (...)`
around them (or around the whole expression of an alert on one exporter):

    Alert("ManyPodsRestarting",
          expr='''count(max without (instance) (
                   increase(kube_pod_container_status_restarts_total{${kube_state_metrics}}[1h])) > 3) > 10''', ...)

Skip when: the series are about the replicas themselves, as kube-state-metrics' own request
errors summed over its replicas are (rules_src/control_plane.py).
"""

from __future__ import annotations

import promql_parser as pp

from gen.rules.lint import WARNING, check
from gen.core.promql import parse

_COUNTING = {"sum", "count", "count_values", "group"}  # aggregations whose result changes with duplicates
_PASSING = {"topk", "bottomk", "limitk", "limit_ratio"}  # return input series as they are


def _matchers(selector_text: str) -> set[tuple[str, str]]:
    """(label, value) of the equality matchers of an exporter's selector (`job="kube-state-metrics"`)."""
    node = parse("{" + selector_text + "}")
    return {(m.name, m.value) for m in node.matchers.matchers if str(m.op).endswith("Equal") and "Not" not in str(m.op)}


class _Walk:
    """Whether each subexpression may still hold one series per replica (`instance` kept)."""

    def __init__(self, exporters: dict[str, set[tuple[str, str]]]):
        self.exporters = exporters
        self.problems: list[str] = []

    def _exporter(self, vs) -> str | None:
        have = {(m.name, m.value) for m in vs.matchers.matchers}
        for name, needed in self.exporters.items():
            if needed and needed <= have:
                return name
        return None

    def visit(self, node) -> str | None:
        """The replicated exporter whose duplicates reach this node's result, or None."""
        if isinstance(node, pp.VectorSelector):
            if any(m.name == "instance" for m in node.matchers.matchers):
                return None  # one replica picked by address
            return self._exporter(node)
        if isinstance(node, pp.MatrixSelector):
            return self.visit(node.vector_selector)
        if isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
            return self.visit(node.expr)
        if isinstance(node, pp.Call):
            found = [self.visit(arg) for arg in node.args]
            if node.func.name in ("absent", "absent_over_time"):
                return None
            return next((f for f in found if f), None)
        if isinstance(node, pp.AggregateExpr):
            return self.aggregate(node)
        if isinstance(node, pp.BinaryExpr):
            return self.binary(node)
        return None

    def aggregate(self, node) -> str | None:
        inner = self.visit(node.expr)
        if node.param is not None:
            self.visit(node.param)
        op = str(node.op)
        if inner is None or op in _PASSING:
            return inner
        modifier = node.modifier
        keeps_instance = modifier is not None and (
            "instance" in modifier.labels if str(modifier.type).endswith("By") else "instance" not in modifier.labels)
        if keeps_instance:
            return inner
        if op in _COUNTING:
            self.problems.append(f"`{op}` counts every {inner} replica's series: reduce them first, "
                                 f"e.g. {op}(... max without (instance) (...))")
        return None

    def binary(self, node) -> str | None:
        lhs, rhs = self.visit(node.lhs), self.visit(node.rhs)
        op = str(node.op)
        if op in ("and", "or", "unless"):
            return lhs or rhs if op == "or" else lhs
        matching = node.modifier.matching if node.modifier is not None else None
        if lhs and rhs and matching is not None:
            include = str(matching.type).endswith("Include")
            ignores_instance = ("instance" not in matching.labels) if include else ("instance" in matching.labels)
            if ignores_instance:
                self.problems.append(f"a join {'on' if include else 'ignoring'} ({', '.join(matching.labels)}) between two "
                                     f"sides with {lhs} replicas' duplicates: each match has two series per side "
                                     "(many-to-many); reduce both sides with max without (instance)")
                return None
        return lhs or rhs


@check("replicated-exporter", WARNING)
def replicated_exporter(ctx):
    """Series of a replicated exporter (REPLICATED in _selectors.py) summed, joined or alerted on per replica."""
    exporters = {name: _matchers(text) for name, text in ctx.replicated.items()}
    if not exporters:
        return
    for rule in ctx.alerts():
        walk = _Walk(exporters)
        left = walk.visit(parse(rule.expr))
        for problem in dict.fromkeys(walk.problems):
            yield rule, problem
        if left:
            yield rule, (f"its result keeps {left}'s `instance`: one alert per replica, restarted whenever a replica "
                         "changes address; wrap it in max without (instance) (...)")
