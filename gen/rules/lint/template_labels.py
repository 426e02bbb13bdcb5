"""`{{ $labels.pod }}` on `sum by (namespace) (...)` renders empty: the label was aggregated away.

Why: an annotation's `{{ $labels.x }}` is filled from the labels of the alert's series, which
are the labels the expression's result keeps. After `sum by (namespace) (...)` only
`namespace` is left, so `Pod {{ $labels.pod }}` renders as "Pod " and the reader cannot tell
which pod. The check follows each aggregation, join and function to the labels the result can
carry; a value set in monitoring.yaml (`alerts.<Name>.annotations`) is reported at its key.

Example:

    Alert("NamespaceMemoryHigh",
          expr="sum by (namespace) (container_memory_working_set_bytes{${cadvisor}}) > ${bytes}",
          description="Pod {{ $labels.pod }} in {{ $labels.namespace }} uses too much memory.", ...)

Fix: keep the label in the aggregation (`by (namespace, pod)`), or say only what the result
carries:

    Alert("NamespaceMemoryHigh",
          expr="sum by (namespace) (container_memory_working_set_bytes{${cadvisor}}) > ${bytes}",
          description="Namespace {{ $labels.namespace }} uses {{ $value | humanize1024 }}B of memory.", ...)
"""

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
