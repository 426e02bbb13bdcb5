"""Routing trees match on severity; a value outside the known set routes nowhere.

Why: the routes and inhibition rules (routing_src/) match `severity` against critical, warning
and info (gen.model.SEVERITIES). An alert with `severity="page"` or `"Critical"` matches none
of them: it never reaches the critical receiver, goes wherever the route above sends what no
severity route takes, and no inhibition rule treats it as the critical or warning it may mean.
The value may come from the definition or from `alerts.<Name>.severity` in monitoring.yaml; the
finding names where it was set.

Example:

    Alert("NodeDiskFull", expr="...", severity="page", summary="...", description="...")

Fix: one of critical, warning, info:

    Alert("NodeDiskFull", expr="...", severity="critical", summary="...", description="...")
"""

from gen.rules.lint import ERROR, check
from gen.core.model import SEVERITIES


@check("unknown-severity", ERROR)
def unknown_severity(ctx):
    """A severity label other than critical, warning or info."""
    for alert in ctx.alerts():
        value = alert.labels.get("severity")
        if value is not None and value not in SEVERITIES:
            yield alert, f"unknown severity {value!r} (known: {', '.join(SEVERITIES)})", "labels.severity"
