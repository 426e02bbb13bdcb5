"""Which series an area's alerts read (from the engine's own analysis of each compiled
expression) against what a real exporter exports, for the drills' "every series the alerts
read is there, or the alert says what it needs" checks."""

from __future__ import annotations

import functools

import requests

from gen.build import build
from gen.core.resolved import AlertRule, rules_of


@functools.lru_cache(maxsize=1)
def _compiled():
    compiled, _ = build(None)
    return compiled


def alerts_reading(module: str) -> dict[str, tuple[set[str], str | None]]:
    """Alert name -> (metric names its expression reads, its `requires`) for a catalog module."""
    return {rule.name: (set(rule.analysis.metrics), rule.definition.requires)
            for rule in rules_of(_compiled().rule_files) if isinstance(rule, AlertRule) and rule.module == module}


def exposed_names(url: str) -> set[str]:
    """The series names of one scrape of `url` (text exposition format)."""
    text = requests.get(url, timeout=10).text
    return {line.split("{", 1)[0].split(" ", 1)[0] for line in text.splitlines() if line and not line.startswith("#")}


def unexported(module: str, exposed: set[str]) -> dict[str, tuple[list[str], str | None]]:
    """Alerts of `module` reading series not in `exposed`: alert -> (those names, its `requires`)."""
    out = {}
    for alert, (names, requires) in alerts_reading(module).items():
        missing = sorted(names - exposed - {"up", "ALERTS", "ALERTS_FOR_STATE"})
        if missing:
            out[alert] = (missing, requires)
    return out
