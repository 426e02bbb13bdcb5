"""Where the toolkit's own catalog is installed: the upstream alerts, dashboards, routing and
runbooks a team's repository builds together with its own.

In the source repository these are symbolic links to the top-level folders (rules_src/,
dashboards_src/, routing_src/, docs/runbooks/); a wheel holds copies, so an installed toolkit
and a checkout find them the same way. This is the only place the engine names a folder of
its own distribution.
"""

from __future__ import annotations

import os

HERE = os.path.dirname(os.path.abspath(__file__))


def _real(name: str) -> str:
    """Resolved, so error messages and tracebacks name the file a developer edits."""
    return os.path.realpath(os.path.join(HERE, name))


RULES = _real("rules_src")
DASHBOARDS = _real("dashboards_src")
ROUTING = os.path.join(_real("routing_src"), "routing.py")
RUNBOOKS = _real("runbooks")
