"""Short strings a regular expression matches, for a case variant that needs a name inside a
team's pattern (a namespace inside `namespace_scope: team-[a-z]+`). Reads the pattern with
Python's own regex parser (re._parser, Python 3.11), tries each alternative, and repeats
with their minimum count and one more; the caller keeps the candidates that fullmatch."""

import itertools
import re
from re import _constants as C, _parser as P

_LIMIT = 64  # candidates kept per step: enough for any alternative a scope lists


def examples(pattern: str) -> list[str]:
    """Candidates `pattern` may match, shortest forms first; [] when it cannot be read."""
    try:
        tree = P.parse(pattern)
    except re.error:
        return []
    return _seq(list(tree))


def _seq(items) -> list[str]:
    out = [""]
    for op, av in items:
        options = _node(op, av)
        if not options:
            return []
        out = [a + b for a, b in itertools.islice(itertools.product(out, options), _LIMIT)]
    return out


def _char_class(items) -> list[str]:
    negate = any(op is C.NEGATE for op, _ in items)
    picks = []
    for op, av in items:
        if op is C.LITERAL:
            picks.append(chr(av))
        elif op is C.RANGE:
            picks.append(chr(av[0]))
        elif op is C.CATEGORY:
            picks.append({C.CATEGORY_DIGIT: "0", C.CATEGORY_WORD: "a"}.get(av, ""))
    if negate:
        return [c for c in "a0x" if c not in picks][:1]
    return [p for p in picks if p]


def _node(op, av) -> list[str]:
    if op is C.LITERAL:
        return [chr(av)]
    if op is C.NOT_LITERAL:
        return ["a" if av != ord("a") else "b"]
    if op is C.ANY:
        return ["a"]
    if op is C.IN:
        return _char_class(av)
    if op is C.AT:
        return [""]
    if op is C.CATEGORY:
        return _char_class([(op, av)])
    if op is C.SUBPATTERN:
        return _seq(list(av[-1]))
    if op is C.BRANCH:
        return [s for branch in av[1] for s in _seq(list(branch))][:_LIMIT]
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
        low, high, sub = av
        body = _seq(list(sub))
        counts = sorted({n for n in (low, low + 1) if high is C.MAXREPEAT or n <= high})
        return [b * n for n in counts for b in body][:_LIMIT]
    return []
