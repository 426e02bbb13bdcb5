"""rate()/increase() over fewer than ~4 scrapes returns nothing after one missed scrape."""

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
