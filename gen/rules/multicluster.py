"""Keeping a cluster label through every aggregation, for Prometheus servers that see many clusters.

Catalog expressions are written for one cluster (`sum by (namespace) (...)`, `on (node)`).
With multi-cluster on, each aggregation and each `on (...)` match must also keep the cluster
label, or series of different clusters are summed or joined together. This rewrites the
expression text token by token (strings, label matchers and comments are left alone):

    sum by (namespace) (x)      -> sum by (cluster, namespace) (x)
    sum(x) / on (node) y        -> sum by (cluster) (x) / on (cluster, node) y
    count(x) without (pod)      -> unchanged: `without` keeps cluster already
    topk(3, x)                  -> topk by (cluster) (3, x): the top 3 of each cluster
    absent(x == 1)              -> group by (cluster) (up) unless on (cluster) (x == 1)

absent() has no grouping: it fires only when no cluster has the series, and without saying
which. It is anchored on an inventory series instead: every cluster that has scrape targets
(`up`) and lacks the series gets its own alert, labelled with its cluster.

promql-parser's AST is read-only, so the text is rewritten and the result re-parsed and
checked by the `cluster-label` lint.
"""

from __future__ import annotations

import re

AGGREGATORS = {
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "quantile",
}
# These keep every label of their input, but without a grouping they pick across clusters.
_LABEL_PRESERVING = {"topk", "bottomk", "limitk", "limit_ratio"}

_TOKEN = re.compile(
    r"""
    (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)
  | (?P<comment>\#[^\n]*)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<space>\s+)
  | (?P<other>.)
    """,
    re.X | re.S,
)


def _tokens(expr: str) -> list[tuple[str, str]]:
    return [(m.lastgroup, m.group()) for m in _TOKEN.finditer(expr)]


def _next(tokens, i: int) -> int:
    """Index of the next token after i that is not whitespace or a comment."""
    i += 1
    while i < len(tokens) and tokens[i][0] in ("space", "comment"):
        i += 1
    return i


def _closing(tokens, i: int) -> int:
    """Index of the ')' matching the '(' at i."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j][1] == "(":
            depth += 1
        elif tokens[j][1] == ")":
            depth -= 1
            if depth == 0:
                return j
    return len(tokens) - 1


def _add_to_list(tokens, open_paren: int, label: str, inserts: dict[int, str]) -> None:
    """Insert `label` into the label list opening at `open_paren`, unless it is there."""
    close = _closing(tokens, open_paren)
    names = [t for kind, t in tokens[open_paren + 1 : close] if kind == "ident"]
    if label in names:
        return
    inserts[open_paren] = f"{label}, " if names else label


def keep_label(expr: str, label: str) -> str:
    """The expression with `label` kept by every aggregation and `on (...)` match."""
    tokens = _tokens(expr)
    inserts: dict[int, str] = {}  # token index -> text inserted after that token
    replaced: dict[int, str] = {}  # token index -> text in its place
    brace_depth = 0
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        if text == "{":
            brace_depth += 1
        elif text == "}":
            brace_depth -= 1
        elif kind == "ident" and brace_depth == 0:
            j = _next(tokens, i)
            nxt = tokens[j][1] if j < len(tokens) else ""
            if text == "absent" and nxt == "(":
                replaced[i] = f"group by ({label}) (up) unless on ({label}) "
            elif text in AGGREGATORS or text in _LABEL_PRESERVING:
                if nxt in ("by", "without"):
                    k = _next(tokens, j)
                    if nxt == "by":
                        _add_to_list(tokens, k, label, inserts)
                    i = _closing(tokens, k)  # skip the label list
                    continue
                if nxt == "(":
                    close = _closing(tokens, j)
                    after = _next(tokens, close)
                    trailer = tokens[after][1] if after < len(tokens) else ""
                    if trailer == "by":
                        _add_to_list(tokens, _next(tokens, after), label, inserts)
                    elif trailer != "without":
                        inserts[i] = f" by ({label}) "
            elif text == "on" and nxt == "(":
                _add_to_list(tokens, j, label, inserts)
                i = _closing(tokens, j)
                continue
            elif text in ("ignoring", "group_left", "group_right", "without") and nxt == "(":
                i = _closing(tokens, j)
                continue
        i += 1
    out = []
    for idx, (_, text) in enumerate(tokens):
        out.append(replaced.get(idx, text))
        if idx in inserts:
            out.append(inserts[idx])
    return "".join(out)
