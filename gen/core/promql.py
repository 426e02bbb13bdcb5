"""PromQL analysis done once per expression and shared by the lint checks.

From promql-parser's AST it gathers the metric names an expression reads, the ranges of its
range functions, whether it compares anything, and which labels its result can carry
(following `by`/`without`, `on`/`ignoring`, `group_left/right` and `label_replace`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import promql_parser as pp

from gen.core.errors import PromQLError

COMPARISONS = {"==", "!=", ">", "<", ">=", "<="}
SET_OPS = {"and", "or", "unless"}
# Functions whose result carries no labels (or is a scalar).
_SCALAR_FUNCS = {"scalar", "time", "pi"}
_SELECTING_AGGREGATIONS = {"topk", "bottomk", "limitk", "limit_ratio"}
_NO_LABEL_FUNCS = {"vector", "days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute", "month", "year"}


@dataclass(frozen=True)
class LabelSet:
    """The labels an expression's result may carry.

    `exact` is the full set when it is known (after `sum by (...)`, `absent`, `on(...)`);
    None means "whatever the input series carry", minus the names in `dropped`.
    """

    exact: frozenset[str] | None = None
    dropped: frozenset[str] = frozenset()

    def can_have(self, label: str) -> bool:
        if self.exact is not None:
            return label in self.exact
        return label not in self.dropped

    def without(self, labels) -> "LabelSet":
        labels = frozenset(labels)
        if self.exact is not None:
            return LabelSet(self.exact - labels)
        return LabelSet(None, self.dropped | labels)

    def keep(self, labels) -> "LabelSet":
        labels = frozenset(labels)
        if self.exact is not None:
            return LabelSet(self.exact & labels)
        return LabelSet(labels - self.dropped)

    def plus(self, labels) -> "LabelSet":
        labels = frozenset(labels)
        if self.exact is not None:
            return LabelSet(self.exact | labels)
        return LabelSet(None, self.dropped - labels)

    def union(self, other: "LabelSet") -> "LabelSet":
        """Labels of `a or b`: a series may come from either side."""
        if self.exact is not None and other.exact is not None:
            return LabelSet(self.exact | other.exact)
        if self.exact is None and other.exact is None:
            return LabelSet(None, self.dropped & other.dropped)
        open_side, exact_side = (self, other) if self.exact is None else (other, self)
        return LabelSet(None, open_side.dropped - exact_side.exact)


@dataclass(frozen=True)
class Selector:
    """A vector selector: metric name (may be None) and its matchers as (label, op, value)."""

    metric: str | None
    matchers: tuple[tuple[str, str, str], ...]


@dataclass
class Analysis:
    text: str
    selectors: list[Selector] = field(default_factory=list)
    # (function name, range in seconds) for every range-vector argument of a function call
    ranges: list[tuple[str, float]] = field(default_factory=list)
    has_comparison: bool = False
    has_absent: bool = False
    labels: LabelSet | None = None  # None: the result is a scalar

    @property
    def metrics(self) -> set[str]:
        return {s.metric for s in self.selectors if s.metric}


_MATCH_OPS = {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}


def _selector(vs) -> Selector:
    matchers = []
    for m in vs.matchers.matchers:
        op = str(m.op).rsplit(".", 1)[-1]
        matchers.append((m.name, _MATCH_OPS.get(op, op), m.value))
    name = vs.name
    if not name:
        for label, op, value in matchers:
            if label == "__name__" and op == "=":
                name = value
    return Selector(name, tuple(matchers))


class _Walker:
    def __init__(self, analysis: Analysis, recorded: Mapping[str, LabelSet]):
        self.a = analysis
        self.recorded = recorded

    def visit(self, node) -> LabelSet | None:
        """Record facts about `node` and return the labels of its result."""
        if isinstance(node, pp.VectorSelector):
            sel = _selector(node)
            self.a.selectors.append(sel)
            return self.recorded.get(sel.metric, LabelSet())
        if isinstance(node, pp.MatrixSelector):
            return self.visit(node.vector_selector)
        if isinstance(node, (pp.NumberLiteral, pp.StringLiteral)):
            return None
        if isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
            return self.visit(node.expr)
        if isinstance(node, pp.Call):
            return self.call(node)
        if isinstance(node, pp.AggregateExpr):
            return self.aggregate(node)
        if isinstance(node, pp.BinaryExpr):
            return self.binary(node)
        return LabelSet()

    def call(self, node) -> LabelSet | None:
        name = node.func.name
        args = list(node.args)
        results = []
        for arg in args:
            if isinstance(arg, pp.MatrixSelector):
                self.a.ranges.append((name, arg.range.total_seconds()))
            results.append(self.visit(arg))
        if name in ("absent", "absent_over_time"):
            self.a.has_absent = True
            inner = args[0].vector_selector if isinstance(args[0], pp.MatrixSelector) else args[0]
            if isinstance(inner, pp.VectorSelector):
                # Like Prometheus: labels matched once with = and a non-empty value.
                sel = _selector(inner)
                names = [l for l, _, _ in sel.matchers]
                return LabelSet(frozenset(
                    l for l, op, v in sel.matchers if op == "=" and v and l != "__name__" and names.count(l) == 1
                ))
            return LabelSet(frozenset())
        if name in _SCALAR_FUNCS:
            return None
        if name in _NO_LABEL_FUNCS and not args:
            return LabelSet(frozenset())
        if name == "vector":
            return LabelSet(frozenset())
        vector = next((r for r in results if r is not None), LabelSet())
        if name in ("label_replace", "label_join") and len(args) > 1 and isinstance(args[1], pp.StringLiteral):
            return vector.plus({args[1].val})
        if name == "histogram_quantile":
            return vector.without({"le"})
        return vector

    def aggregate(self, node) -> LabelSet:
        inner = self.visit(node.expr) or LabelSet()
        if node.param is not None:
            self.visit(node.param)
        op = str(node.op)
        if op in _SELECTING_AGGREGATIONS:  # they return input series as they are
            return inner
        modifier = node.modifier
        if modifier is None:
            result = LabelSet(frozenset())
        elif str(modifier.type).endswith("By"):
            result = inner.keep(modifier.labels)
        else:
            result = inner.without(modifier.labels)
        if op == "count_values" and isinstance(node.param, pp.StringLiteral):
            return result.plus({node.param.val})
        return result

    def binary(self, node) -> LabelSet | None:
        op = str(node.op)
        lhs = self.visit(node.lhs)
        rhs = self.visit(node.rhs)
        mod = node.modifier
        if op in COMPARISONS and not (mod is not None and mod.return_bool):
            self.a.has_comparison = True
        if lhs is None or rhs is None:
            return rhs if lhs is None else lhs
        if op in SET_OPS:
            return lhs.union(rhs) if op == "or" else lhs
        card = str(mod.card).rsplit(".", 1)[-1] if mod is not None else "OneToOne"
        matching = mod.matching if mod is not None else None
        if card == "ManyToOne":
            return lhs.plus(_group_labels(mod))
        if card == "OneToMany":
            return rhs.plus(_group_labels(mod))
        if matching is None:
            return lhs
        if str(matching.type).endswith("Include"):  # on(...)
            return lhs.keep(matching.labels)
        return lhs.without(matching.labels)  # ignoring(...)


def _group_labels(mod) -> list[str]:
    labels = getattr(mod, "group_labels", None)
    return list(labels or [])


def parse(text: str):
    """promql-parser's AST, or PromQLError with the parser's message."""
    try:
        return pp.parse(text)
    except ValueError as exc:
        raise PromQLError(str(exc)) from None


def analyze(text: str, recorded: Mapping[str, LabelSet] | None = None) -> Analysis:
    """Parse and analyze one expression; PromQLError if it does not parse. `recorded` gives
    the labels of series that recording rules write, where they are known."""
    ast = parse(text)
    analysis = Analysis(text=text)
    analysis.labels = _Walker(analysis, recorded or {}).visit(ast)
    return analysis
