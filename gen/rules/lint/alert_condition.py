"""An alert expression without a comparison fires for every series it returns.

Why: Prometheus fires an alerting rule for every series its expression returns, whatever the
value: `increase(restarts[1h])` returns one series per container, most of them 0, so the
alert fires for all of them at once and nobody can tell which is in trouble. A comparison
(`>`, `==`, ...) filters the series down to the ones in trouble; `absent()` returns a series
only when its input is missing. Without either, the alert is a constant.

Example: this alert fires for every container, restarting or not:

    Alert("ContainerRestarting",
          expr="increase(kube_pod_container_status_restarts_total{${kube_state_metrics}}[1h])",
          severity="warning", summary="...", description="...")

Fix: compare the value with a threshold (a parameter, so teams can change it):

    Alert("ContainerRestarting",
          expr="increase(kube_pod_container_status_restarts_total{${kube_state_metrics}}[1h]) > ${threshold}",
          params={"threshold": 3}, severity="warning", summary="...", description="...")

Skip when: the alert fires by design, as the dead man's switch `Watchdog` does (`vector(1)`,
rules_src/monitoring.py skips this check and `silent-case`).
"""

from gen.rules.lint import ERROR, check


@check("no-condition", ERROR)
def no_condition(ctx):
    """An alert expression with neither a comparison nor absent()."""
    for alert in ctx.alerts():
        a = ctx.analysis(alert)
        if not a.has_comparison and not a.has_absent:
            yield alert, "expression has no comparison (>, ==, ...) or absent(), so it fires for every series"
