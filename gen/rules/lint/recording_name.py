"""Recording rule names follow level:metric:operations, so readers know what a series is.

Why: Prometheus' naming convention for recording rules (prometheus.io, "Recording rules" best
practices) is `level:metric:operations`: the labels the result keeps, the metric it is made
of, the operations applied. A reader of a dashboard or an alert then knows what a series holds
and where it comes from without finding its rule; the colons also tell recorded series from
scraped ones, which `undefined-recording` relies on.

Example: nothing in the name says what was aggregated or how:

    Record("cpu_usage", expr="sum by (namespace) (rate(container_cpu_usage_seconds_total[5m]))")

Fix:

    Record("namespace:container_cpu_usage_seconds:sum_rate",
           expr="sum by (namespace) (rate(container_cpu_usage_seconds_total[5m]))")
"""

import re

from gen.rules.lint import WARNING, check

_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_]+$")


@check("recording-name", WARNING)
def recording_name(ctx):
    """A recording rule name not of the form level:metric:operations."""
    for record in ctx.records():
        if not _NAME.match(record.name):
            yield record, "name does not follow level:metric:operations"
