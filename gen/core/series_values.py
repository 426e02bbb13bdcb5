"""promtool's notation for a test series' values (`0+10x20`, `1x30`, `_x3`, `stale`), read
into samples and written back: for the engine's case variants and the catalog's fixtures that
derive one series from others."""

from __future__ import annotations

import re

from gen.core.errors import DefinitionError

STALE = "stale"
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?Inf|NaN"
_STEP = re.compile(rf"(?P<start>{_NUMBER}|_|stale)(?:(?P<op>[-+])(?P<delta>{_NUMBER}))?(?:x(?P<times>\d+))?")

Sample = float | str | None  # a value, STALE, or None for a missing scrape (`_`)


def expand(values: str) -> list[Sample]:
    """The samples `values` stands for: `a+bxn` and `axn` are n+1 samples, `_xn` n."""
    samples: list[Sample] = []
    for step in values.split():
        m = _STEP.fullmatch(step)
        if m is None:
            raise DefinitionError(f"series values {values!r}: {step!r} is not promtool's notation")
        start, op, delta, times = m["start"], m["op"], m["delta"], m["times"]
        if start in ("_", STALE):
            if op:
                raise DefinitionError(f"series values {values!r}: {step!r}: {start} takes no increment")
            samples.extend([None if start == "_" else STALE] * (int(times) if times else 1))
            continue
        d = float(delta or 0) * (-1 if op == "-" else 1)
        samples.extend(float(start) + d * i for i in range(int(times) + 1 if times else 1))
    return samples


def join(samples: list[Sample]) -> str:
    """Samples written back, one step each."""
    return " ".join("_" if s is None else s if s == STALE else f"{s:.15g}" for s in samples)
