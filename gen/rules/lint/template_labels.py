"""`{{ $labels.pod }}` on `sum by (namespace) (...)` renders empty: the label was aggregated away."""

import re

from gen.rules.lint import ERROR, check

_LABEL_REF = re.compile(r"\$labels\.([A-Za-z_][A-Za-z0-9_]*)|index\s+\$labels\s+\"([^\"]+)\"")


@check("template-label", ERROR)
def template_labels(ctx):
    """An annotation template using a label the expression's result cannot carry."""
    for alert in ctx.alerts():
        labels = ctx.analysis(alert).labels
        if labels is None:
            continue
        for key, text in alert.annotations.items():
            for match in _LABEL_REF.finditer(text):
                label = match.group(1) or match.group(2)
                if not labels.can_have(label):
                    kept = ", ".join(sorted(labels.exact)) if labels.exact is not None else "?"
                    yield alert, (
                        f"annotation {key} uses $labels.{label}, but the expression's result only "
                        f"carries: {kept or 'no labels'}"
                    ), f"annotations.{key}"
