"""`${name}` placeholders in expression, annotation and series templates, and the tidying
every filled expression gets."""

from __future__ import annotations

import re
import textwrap

from gen.core.errors import DefinitionError

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# An empty selector must take its separating comma (or its empty braces) with it. Empty
# expansions are first marked with a sentinel, so only text around placeholders is touched.
_GAP = "\x00"
_GAP_RULES = (
    (re.compile(r"\{\s*\x00\s*\}"), ""),  # metric{${empty}} -> metric
    (re.compile(r"\x00\s*,\s*"), ""),  # {${empty}, a="b"} -> {a="b"}
    (re.compile(r",\s*\x00"), ""),  # {a="b", ${empty}} -> {a="b"}
)


def substitute(text: str, values: dict[str, str], where: str) -> str:
    """Fill `${name}` placeholders; DefinitionError naming `where` for an unknown one."""

    def repl(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            known = ", ".join(sorted(values)) or "none"
            raise DefinitionError(f"{where}: unknown placeholder ${{{name}}} (known: {known})")
        return values[name]

    return PLACEHOLDER.sub(repl, text)


def substitute_expr(text: str, values: dict[str, str], where: str) -> str:
    """`substitute` for PromQL: a placeholder that expands to nothing leaves no stray comma."""
    marked = {k: (v if v.strip() else _GAP) for k, v in values.items()}
    expr = substitute(text, marked, where)
    while _GAP in expr:
        before = expr
        for pattern, repl in _GAP_RULES:
            expr = pattern.sub(repl, expr)
        if expr == before:
            expr = expr.replace(_GAP, "")
    return expr


def promql_string(text: str) -> str:
    """`text` escaped for a double-quoted PromQL string."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def normalize_expr(expr: str) -> str:
    """Dedent, strip, drop trailing spaces: the expression as written, tidy."""
    lines = textwrap.dedent(expr).strip().splitlines()
    return "\n".join(line.rstrip() for line in lines)
