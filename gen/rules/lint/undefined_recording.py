"""A rule reading a recorded series (name with a colon) that no group records never has data.

Why: by convention only recording rules write names with a colon (`level:metric:operations`).
A rule reading one that no group of the build defines (a typo, a recording rule renamed or
removed) selects nothing: an alert on it can never fire, and nothing else says so.

Example: the alert reads `:rate5m`, the recording rule writes `:rate1m`:

    Record("namespace:container_cpu_usage_seconds:rate1m", expr="...")
    Alert("NamespaceCPUHigh", expr="namespace:container_cpu_usage_seconds:rate5m > 10", ...)

Fix: read the series that is recorded (or add the recording rule it needs):

    Alert("NamespaceCPUHigh", expr="namespace:container_cpu_usage_seconds:rate1m > 10", ...)
"""

from gen.rules.lint import ERROR, check


@check("undefined-recording", ERROR)
def undefined_recording(ctx):
    """A reference to a recording rule (name with ':') that no group defines."""
    defined = {r.name for r in ctx.records()}
    for rule in ctx.rules():
        for metric in sorted(ctx.analysis(rule).metrics):
            if ":" in metric and metric not in defined:
                yield rule, f"reads {metric}, which no recording rule defines"
