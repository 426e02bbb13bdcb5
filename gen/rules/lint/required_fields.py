"""Alerts reach people: without severity, summary and description they cannot be routed or read."""

from gen.rules.lint import ERROR, check


@check("required-fields", ERROR)
def required_fields(ctx):
    """An alert without severity, summary or description."""
    for alert in ctx.alerts():
        missing = [k for k in ("severity",) if k not in alert.labels]
        missing += [k for k in ("summary", "description") if not alert.annotations.get(k)]
        if missing:
            yield alert, f"missing {', '.join(missing)}"
