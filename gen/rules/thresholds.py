"""Per-label thresholds: one alert, several values of its threshold, one rule.

`alerts.PodCpu75.thresholds: [{match: {namespace: "batch-.*"}, threshold: 90}]` keeps the
alert one rule instead of a copy per value. Its expression must end in a comparison with the
parameter (`<lhs> > ${threshold}`, as the catalog's threshold alerts do); it becomes

    <lhs> > on (namespace) group_left () namespace:alert_threshold:PodCpu75

where two recording rules, written before the alert in its group (a group evaluates its
rules in order, each seeing the ones before), give every label set of the result its value:

    namespace:alert_threshold_keys:PodCpu75 = group by (namespace) (<lhs>)
    namespace:alert_threshold:PodCpu75      = 90 * keys{namespace=~"batch-.*"} or 75 * keys

The keys come from the alert's own left-hand side, so every series it compares has a
threshold (the entries' regular expressions select among them, first match wins, the
alert's own value for the rest) and the threshold series are graphable beside the alert.
Annotations that print the parameter print the value that applies, through Prometheus'
`match` template function.

Everything here works on the expression templates (`${name}` placeholders unresolved);
gen.rules.resolve resolves the results like any catalog expression.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass

from gen.config import Threshold
from gen.core.placeholders import promql_string
from gen.core.errors import ConfigError

_COMPARED = re.compile(r"(?s)^(?P<lhs>.*?)\s*(?P<op>>=|<=|==|!=|>|<)\s*\$\{(?P<param>[A-Za-z_][A-Za-z0-9_]*)\}\s*$")


@dataclass(frozen=True)
class Split:
    """An alert's expression template cut at its final comparison with the parameter."""

    lhs: str
    op: str
    param: str


def split(template: str, param: str, key: str) -> Split:
    """The template's left-hand side and comparison; ConfigError naming `key` when the
    expression does not end in `<op> ${param}`."""
    text = textwrap.dedent(template).strip()
    found = _COMPARED.match(text)
    if found is None or found.group("param") != param:
        raise ConfigError(f"{key}: per-label values of {param!r} need an expression ending in a comparison "
                          f"with it (`... > ${{{param}}}`); this alert's does not: set {param} for all, or "
                          "replace the expression (expr:)")
    return Split(found.group("lhs").rstrip(), found.group("op"), param)


def labels_of(thresholds: list[Threshold]) -> list[str]:
    """The labels the entries match on, sorted: the threshold series carry just these."""
    return sorted({label for t in thresholds for label in t.match})


def record_names(alert: str, labels: list[str]) -> tuple[str, str]:
    """(keys, threshold) recording rule names, level:metric:operations."""
    level = "_".join(labels)
    return f"{level}:alert_threshold_keys:{alert}", f"{level}:alert_threshold:{alert}"


def keys_expr(cut: Split, labels: list[str]) -> str:
    return f"group by ({', '.join(labels)}) (\n{textwrap.indent(cut.lhs, '  ')}\n)"


def threshold_expr(keys: str, thresholds: list[Threshold], default: str, fmt) -> str:
    """`fmt` formats a number as PromQL (gen.rules.resolve.format_value)."""
    parts = []
    for t in thresholds:
        matchers = ", ".join(f'{label}=~"{promql_string(regex)}"' for label, regex in sorted(t.match.items()))
        parts.append(f"{fmt(t.value)} * {keys}{{{matchers}}}")
    parts.append(f"{default} * {keys}")
    return "\nor\n".join(parts)


def alert_expr(cut: Split, labels: list[str], threshold: str) -> str:
    return f"{cut.lhs}\n{cut.op} on ({', '.join(labels)}) group_left ()\n{threshold}"


def annotation_value(thresholds: list[Threshold], default: str, fmt) -> str:
    """The parameter as an annotation template prints it: the value for the alert's labels.
    Prometheus' `match` is an unanchored search, so each regex is anchored as PromQL's are."""
    text = ""
    for i, t in enumerate(thresholds):
        conds = [f"match {json.dumps('^(?:' + regex + ')$')} $labels.{label}" for label, regex in sorted(t.match.items())]
        cond = conds[0] if len(conds) == 1 else "and " + " ".join(f"({c})" for c in conds)
        text += f"{{{{ {'if' if i == 0 else 'else if'} {cond} }}}}{fmt(t.value)}"
    return text + f"{{{{ else }}}}{default}{{{{ end }}}}"


def applies(threshold: Threshold, labels: dict[str, str]) -> bool:
    """Whether the entry's matchers select a series with these labels (PromQL: anchored)."""
    return all(re.fullmatch(regex, labels.get(label, "")) for label, regex in threshold.match.items())


def compare(op: str, value: float, threshold: float) -> bool:
    return {">": value > threshold, ">=": value >= threshold, "<": value < threshold,
            "<=": value <= threshold, "==": value == threshold, "!=": value != threshold}[op]
