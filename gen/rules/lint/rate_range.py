"""rate()/increase() over fewer than ~4 scrapes returns nothing after one missed scrape.

Why: `rate()`, `increase()` and `irate()` need two samples inside their range. Over a range of
two scrape intervals one failed or late scrape leaves one sample, the result disappears and an
alert with a `for` starts over; the usual advice is a range of at least four scrape intervals
(Grafana computes its `$__rate_interval` as at least 4 x the scrape interval,
grafana/grafana#84063). The minimum here is `min_rate_intervals` (default 4) times
`scrape_interval` (default 30s) from monitoring.yaml: 2m by default.

Example: with the default 30s scrape interval, a 1m range holds two samples:

    Alert("HighErrorRate", expr='rate(http_requests_total{code=~"5.."}[1m]) > 1', ...)

Fix: a range of at least four scrape intervals, best as a parameter so a team with a slower
scrape interval can widen it:

    Alert("HighErrorRate", expr='rate(http_requests_total{code=~"5.."}[${rate_window}]) > 1',
          params={"rate_window": Duration("5m")}, ...)
"""

from common.durations import format_duration
from gen.rules.lint import WARNING, check

_FUNCS = ("rate", "increase", "irate")


@check("rate-range", WARNING)
def rate_range(ctx):
    """A rate/increase range shorter than min_rate_intervals scrape intervals."""
    minimum = ctx.config.min_rate_intervals * ctx.config.scrape_interval_seconds
    for rule in ctx.rules():
        for func, seconds in ctx.analysis(rule).ranges:
            if func in _FUNCS and seconds < minimum:
                yield rule, (
                    f"{func}() over {format_duration(seconds)} is shorter than {ctx.config.min_rate_intervals} "
                    f"scrape intervals of {ctx.config.scrape_interval} ({format_duration(minimum)})"
                )
