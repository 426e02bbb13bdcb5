"""Routing trees match on severity; a value outside the known set routes nowhere."""

from gen.rules.lint import ERROR, check
from gen.core.model import SEVERITIES


@check("unknown-severity", ERROR)
def unknown_severity(ctx):
    """A severity label other than critical, warning or info."""
    for alert in ctx.alerts():
        value = alert.labels.get("severity")
        if value is not None and value not in SEVERITIES:
            yield alert, f"unknown severity {value!r} (known: {', '.join(SEVERITIES)})", "labels.severity"
