"""Two alerts with one name, or two recording rules with one name and label set, collide."""

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
