"""Alerts reach people: without severity, summary and description they cannot be routed or read.

Why: the routes and inhibition rules (routing_src/) match on the `severity` label, so an alert
without one never reaches the critical receiver and no inhibition rule applies to it. `summary` is the line a
chat message and Alertmanager's UI show; `description` says which object is affected and what
it means. An alert missing either arrives as a bare name in the middle of the night.

Example:

    Alert("JobFailed", expr="kube_job_status_failed{${kube_state_metrics}} > 0")

Fix: set all three (monitoring.yaml can still change the severity per alert):

    Alert("JobFailed", expr="kube_job_status_failed{${kube_state_metrics}} > 0",
          severity="warning", summary="A Job failed.",
          description="Job {{ $labels.namespace }}/{{ $labels.job_name }} has failed pods.")
"""

from gen.rules.lint import ERROR, check


@check("required-fields", ERROR)
def required_fields(ctx):
    """An alert without severity, summary or description."""
    for alert in ctx.alerts():
        missing = [k for k in ("severity",) if k not in alert.labels]
        missing += [k for k in ("summary", "description") if not alert.annotations.get(k)]
        if missing:
            yield alert, f"missing {', '.join(missing)}"
