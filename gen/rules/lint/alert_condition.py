"""An alert expression without a comparison fires for every series it returns."""

from gen.rules.lint import ERROR, check


@check("no-condition", ERROR)
def no_condition(ctx):
    """An alert expression with neither a comparison nor absent()."""
    for alert in ctx.alerts():
        a = ctx.analysis(alert)
        if not a.has_comparison and not a.has_absent:
            yield alert, "expression has no comparison (>, ==, ...) or absent(), so it fires for every series"
