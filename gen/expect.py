"""Predicts rendered annotations for promtool's exp_annotations.

promtool compares annotations too, so a test case must state them. Writing every rendered
description by hand is tedious and brittle, so a case gives the expression's expected value
and the engine renders the templates the way Prometheus does, for the small subset of Go
template syntax alert annotations use: `{{ $labels.x }}`, `{{ $value | humanize }}` (and
humanize1024, humanizePercentage, humanizeDuration), `{{ printf "%.2f" $value }}` (f, g and
e verbs with an explicit precision), and `{{ if match "re" $labels.x }}a{{ else if ... }}b{{ else }}c{{ end }}`
chains (conditions `match` or `and` of matches) as per-label thresholds write them.
promtool then checks the prediction against Prometheus' own rendering, so a case proves
the expression's value and labels, not just that the alert fires.
"""

from __future__ import annotations

import math
import re

_ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.S)
_LABEL = re.compile(r"^\$labels\.([A-Za-z_][A-Za-z0-9_]*)$")
_VALUE_PIPE = re.compile(r"^\$value\s*\|\s*([A-Za-z0-9]+)$")
# Only formats whose output Go and Python agree on: an explicit precision, float verbs.
_PRINTF = re.compile(r'^printf\s+"(%[-+ 0]*\d*\.\d+[fgeFGE])"\s+\$value$')


_IF_BLOCK = re.compile(r"\{\{\s*if\s+(.*?)\s*\}\}(.*?)\{\{\s*end\s*\}\}", re.S)
_ELSE = re.compile(r"\{\{\s*else(?:\s+if\s+(.*?))?\s*\}\}", re.S)
_MATCH = re.compile(r'match\s+"((?:[^"\\]|\\.)*)"\s+\$labels\.([A-Za-z_][A-Za-z0-9_]*)')


class Unpredictable(Exception):
    """The template uses syntax this renderer does not model."""


def _g4(v: float) -> str:
    """Go's fmt %.4g (same rules as Python's for finite floats)."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return "%.4g" % v


def humanize(v: float) -> str:
    if v == 0 or math.isnan(v) or math.isinf(v):
        return _g4(v)
    prefix = ""
    if abs(v) >= 1:
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(v) < 1000:
                break
            prefix, v = p, v / 1000
    else:
        for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
            if abs(v) >= 1:
                break
            prefix, v = p, v * 1000
    return _g4(v) + prefix


def humanize1024(v: float) -> str:
    if abs(v) <= 1 or math.isnan(v) or math.isinf(v):
        return _g4(v)
    prefix = ""
    for p in ("ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"):
        if abs(v) < 1024:
            break
        prefix, v = p, v / 1024
    return _g4(v) + prefix


def humanize_duration(v: float) -> str:
    if math.isnan(v) or math.isinf(v):
        return _g4(v)
    if v == 0:
        return _g4(v) + "s"
    if abs(v) >= 1:
        sign = "-" if v < 0 else ""
        v = abs(v)
        total = int(v)
        seconds, minutes, hours, days = total % 60, (total // 60) % 60, (total // 3600) % 24, total // 86400
        if days:
            return f"{sign}{days}d {hours}h {minutes}m {seconds}s"
        if hours:
            return f"{sign}{hours}h {minutes}m {seconds}s"
        if minutes:
            return f"{sign}{minutes}m {seconds}s"
        return f"{sign}{_g4(v)}s"
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix, v = p, v * 1000
    return f"{_g4(v)}{prefix}s"


_FUNCS = {
    "humanize": humanize,
    "humanize1024": humanize1024,
    "humanizeDuration": humanize_duration,
    "humanizePercentage": lambda v: _g4(v * 100) + "%",
}


def _condition(text: str, labels: dict[str, str]) -> bool:
    """`match "re" $labels.x`, or `and (match ...) (match ...)`: Go's regexp.MatchString."""
    import json

    text = text.strip()
    matches = list(_MATCH.finditer(text))
    rest = _MATCH.sub("", text)
    plain = rest.strip() == "" and len(matches) == 1
    conjunction = text.startswith("and ") and re.fullmatch(r"and(\s*\(\s*\))+\s*", rest) is not None
    if not matches or not (plain or conjunction):
        raise Unpredictable(f"template condition {text!r} is not predictable; give the case's annotations explicitly")
    return all(re.search(json.loads(f'"{m.group(1)}"'), labels.get(m.group(2), "")) for m in matches)


def _choose(block: re.Match, labels: dict[str, str]) -> str:
    """The branch of an if / else if / else chain the labels select."""
    conditions, texts, pos = [block.group(1)], [], 0
    body = block.group(2)
    for found in _ELSE.finditer(body):
        texts.append(body[pos:found.start()])
        conditions.append(found.group(1) if found.group(1) is not None else "")
        pos = found.end()
    texts.append(body[pos:])
    for condition, text in zip(conditions, texts):
        if condition == "" or _condition(condition, labels):
            return text
    return ""


def render(template: str, labels: dict[str, str], value: float | None) -> str:
    """The annotation as Prometheus would render it; Unpredictable for unmodelled syntax."""
    template = _IF_BLOCK.sub(lambda block: _choose(block, labels), template)
    out = []
    pos = 0
    for match in _ACTION.finditer(template):
        text = template[pos : match.start()]
        if match.group(1):
            text = text.rstrip()
        out.append(text)
        out.append(_action(match.group(2), labels, value))
        pos = match.end()
        if match.group(3):
            rest = template[pos:]
            pos += len(rest) - len(rest.lstrip())
    out.append(template[pos:])
    return "".join(out)


def _action(action: str, labels: dict[str, str], value: float | None) -> str:
    m = _LABEL.match(action)
    if m:
        return labels.get(m.group(1), "")
    m = _VALUE_PIPE.match(action)
    if m and m.group(1) in _FUNCS:
        return _FUNCS[m.group(1)](_need(value, action))
    m = _PRINTF.match(action)
    if m:
        return m.group(1) % _need(value, action)
    raise Unpredictable(f"template action {{{{ {action} }}}} is not predictable; give the case's annotations explicitly")


def _need(value: float | None, action: str) -> float:
    if value is None:
        raise Unpredictable(f"template action {{{{ {action} }}}} needs the case's expected value (Fire(value=...))")
    return float(value)
