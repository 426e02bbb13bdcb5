"""Two alerts with one name, or two recording rules with one name and label set, collide.

Why: Alertmanager identifies an alert by its labels, of which the name is one: two alerts named
alike share their silences, inhibitions, routes and runbook (docs/runbooks/<Alert>.md), and
`alerts.<Name>` in monitoring.yaml changes both. Two recording rules writing the same name and
labels write one series from two expressions: its value jumps between them, or Prometheus
rejects the samples as duplicates. Recording rules with one name and different static labels are fine (one rule
per verb group writing `verb:...:burnrate1h`, for example).

Example: an alert copied into a second group without renaming it:

    Group("pods", [Alert("PodNotReady", expr="... > 0", ...)]),
    Group("pods-critical", [Alert("PodNotReady", expr="... > 0", for_="1h", severity="critical", ...)]),

Fix: give each its own name (or, for a different threshold per namespace, one alert with
per-label thresholds in monitoring.yaml):

    Group("pods-critical", [Alert("PodNotReadyLong", expr="... > 0", for_="1h", severity="critical", ...)]),
"""

from gen.rules.lint import ERROR, check
from gen.core.resolved import RecordingRule


@check("duplicate-name", ERROR)
def duplicate_names(ctx):
    """An alert name or recording rule (name + labels) defined twice."""
    seen: dict[tuple, object] = {}
    for rule in ctx.rules():
        labels = tuple(sorted(rule.labels.items())) if isinstance(rule, RecordingRule) else ()
        key = (type(rule).__name__, rule.name, labels)
        first = seen.setdefault(key, rule)
        if first is not rule:
            yield rule, f"name already defined at {first.source}"
