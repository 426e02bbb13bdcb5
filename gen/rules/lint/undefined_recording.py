"""A rule reading a recorded series (name with a colon) that no group records never has data."""

from gen.rules.lint import ERROR, check


@check("undefined-recording", ERROR)
def undefined_recording(ctx):
    """A reference to a recording rule (name with ':') that no group defines."""
    defined = {r.name for r in ctx.records()}
    for rule in ctx.rules():
        for metric in sorted(ctx.analysis(rule).metrics):
            if ":" in metric and metric not in defined:
                yield rule, f"reads {metric}, which no recording rule defines"
