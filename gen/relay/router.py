"""Which targets a notification goes to: Alertmanager-style matchers over ordered routes.

A matcher is `name OP value` with OP one of `=`, `!=`, `=~`, `!~`; the value may be
double-quoted (`team=~"db|infra"`) or bare (`severity=critical`). Regexes are anchored on
both ends, as in Alertmanager, and a missing label reads as the empty string, so
`team=""` matches alerts without a team and `team!=""` those with one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Mapping

_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$', re.S)


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str
    regex: re.Pattern | None = None

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        hit = self.regex.fullmatch(actual) is not None
        return hit if self.op == "=~" else not hit

    def __str__(self) -> str:
        return f"{self.name}{self.op}{json.dumps(self.value, ensure_ascii=False)}"


def parse_matcher(text: str) -> Matcher:
    """ValueError with the reason when `text` is not a matcher."""
    if not isinstance(text, str):
        raise ValueError(f"must be a string like 'severity=\"critical\"', not {type(text).__name__}")
    m = _MATCHER.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a matcher (expected name=value, name!=value, name=~regex or name!~regex)")
    name, op, raw = m.groups()
    if raw.startswith('"'):
        if len(raw) < 2 or not raw.endswith('"'):
            raise ValueError(f"{text!r}: unterminated quoted value")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise ValueError(f"{text!r}: bad escape in quoted value") from None
    else:
        value = raw
    regex = None
    if op in ("=~", "!~"):
        try:
            regex = re.compile(f"(?:{value})", re.S)
        except re.error as exc:
            raise ValueError(f"{text!r}: not a valid regular expression: {exc}") from None
    return Matcher(name, op, value, regex)


@dataclass(frozen=True)
class Route:
    name: str | None
    matchers: tuple[Matcher, ...]
    targets: tuple[str, ...]
    continue_: bool = False

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(m.matches(labels) for m in self.matchers)


@dataclass(frozen=True)
class Router:
    routes: tuple[Route, ...]
    default_targets: tuple[str, ...]

    def route_names(self) -> list[str]:
        return [r.name for r in self.routes if r.name]

    def targets_for(self, labels: Mapping[str, str], route: str | None = None) -> tuple[str, ...]:
        """Targets in first-seen order. `route` (from POST /alerts/<route>) selects that route's
        targets without evaluating matchers; KeyError if no route has that name."""
        if route is not None:
            for r in self.routes:
                if r.name == route:
                    return r.targets
            raise KeyError(route)
        chosen: list[str] = []
        matched = False
        for r in self.routes:
            if not r.matches(labels):
                continue
            matched = True
            chosen.extend(t for t in r.targets if t not in chosen)
            if not r.continue_:
                break
        return tuple(chosen) if matched else self.default_targets
