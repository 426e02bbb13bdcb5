"""The routing proven by Alertmanager's own code: amtool check-config and every route case.

The cases of routing_src/routing.py go through `amtool config routes test --verify.receivers`;
`coverage_gaps` names every route no case ends at, so each branch has a case.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from gen.tools import amtool
from gen.tools.promtool import Run
from gen.routing.model import RouteCase
from gen.routing.resolve import Resolved


@dataclass
class CaseResult:
    case: RouteCase
    got: list[str]
    ok: bool  # amtool's --verify.receivers agreed with the case

    def __str__(self) -> str:
        state = "ok" if self.ok else f"FAILED: got {self.got}"
        return f"{self.case.source}: route case {self.case.name!r} -> {self.case.receivers}: {state}"


def check_config(path: str) -> Run:
    return amtool.check_config(path)


def run_cases(config_path: str, cases: list[RouteCase], jobs: int | None = None) -> list[CaseResult]:
    """Each case through amtool (a process each, run side by side)."""
    def one(case: RouteCase) -> CaseResult:
        got, ok = amtool.routes_test(config_path, case.labels, case.receivers)
        return CaseResult(case, got, ok and got == case.receivers)

    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
        return list(pool.map(one, cases))


def coverage_gaps(resolved: Resolved) -> list[str]:
    """Routes that no case ends at (by the tree's own matching, which the cases check against amtool)."""
    hit = {id(route) for case in resolved.cases for route in resolved.match(case.labels)}
    return [f"{route.source}: route {route.label} (receiver {route.receiver}): no route case ends here"
            for route in resolved.route.walk() if id(route) not in hit]
