"""Prometheus duration strings ("90s", "1h30m", "2d"), parsed once and compared as seconds."""

from __future__ import annotations

import functools
import re

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_ORDER = ["y", "w", "d", "h", "m", "s", "ms"]
_DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")


def parse_duration(text: str) -> float:
    """Seconds in a Prometheus duration; ValueError with the text for anything else."""
    if not isinstance(text, str) or not text:
        raise ValueError(f"{text!r} is not a duration (expected e.g. 30s, 5m, 1h30m)")
    return _parse(text)


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> float:
    """Cached: a catalog spells the same few durations tens of thousands of times (test cases)."""
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration (expected e.g. 30s, 5m, 1h30m)")
    return sum(int(n) * _UNITS[u] for n, u in zip(match.groups(), _ORDER) if n)


def format_duration(seconds: float) -> str:
    """The shortest Prometheus spelling of a number of seconds ("0s" for zero)."""
    millis = round(seconds * 1000)
    if millis == 0:
        return "0s"
    out = []
    for unit in _ORDER:
        size = round(_UNITS[unit] * 1000)
        if millis >= size:
            out.append(f"{millis // size}{unit}")
            millis %= size
    return "".join(out)
