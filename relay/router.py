"""Which targets a notification goes to: Alertmanager's matchers (common.matchers) over
ordered routes, or a route chosen by name (`POST /alerts/<name>`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from common.matchers import Matcher


@dataclass(frozen=True)
class Route:
    """Reached by name (`POST /alerts/<name>`) and, when it has matchers, by labels on plain
    `POST /alerts`; a route without matchers is reached by name only."""

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

    def knows(self, route: str) -> bool:
        return any(r.name == route for r in self.routes)

    def targets_for(self, labels: Mapping[str, str], route: str | None = None) -> tuple[str, ...]:
        """Targets in first-seen order. `route` (from POST /alerts/<route>) selects that route's
        targets without evaluating matchers, or the default targets when no route has that
        name: Alertmanager drops what a 4xx refuses, so a path never costs a notification."""
        if route is not None:
            for r in self.routes:
                if r.name == route:
                    return r.targets
            return self.default_targets
        chosen: list[str] = []
        matched = False
        for r in self.routes:
            if not r.matchers or not r.matches(labels):
                continue
            matched = True
            chosen.extend(t for t in r.targets if t not in chosen)
            if not r.continue_:
                break
        return tuple(chosen) if matched else self.default_targets
