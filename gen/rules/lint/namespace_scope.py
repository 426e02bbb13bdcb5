"""A namespaced alert with a selector the namespace scope cannot narrow still watches every namespace.

Why: `namespace_scope: "prod-.*"` in monitoring.yaml narrows the alerts defined with
`namespaced=True` to the matching namespaces, by adding `namespace=~"prod-.*"` to each
exporter placeholder (`${kube_state_metrics}`, `${cadvisor}`, ...) of their expressions. A
selector written without a placeholder (`{job="kube-state-metrics"}` spelled out) gets no
matcher, so that part of the expression still reads every namespace: the alert fires for
namespaces the team left out of its scope. Only reported while `namespace_scope` is set.

Example: the selector names its job itself:

    Alert("PodNotReady", namespaced=True,
          expr='kube_pod_status_ready{job="kube-state-metrics", condition="false"} > 0', ...)

Fix: use the exporter's placeholder in every selector (it also follows the team's
`selectors.kube_state_metrics`):

    Alert("PodNotReady", namespaced=True,
          expr='kube_pod_status_ready{${kube_state_metrics}, condition="false"} > 0', ...)
"""

from gen.rules.lint import WARNING, check


@check("namespace-scope", WARNING)
def namespace_scope(ctx):
    """With namespace_scope set: a selector of a namespaced alert without the namespace matcher."""
    if ctx.config.namespace_scope is None:
        return
    for alert in ctx.alerts():
        if not alert.definition.namespaced:
            continue
        for sel in ctx.analysis(alert).selectors:
            if not any(label == "namespace" and op == "=~" for label, op, _ in sel.matchers):
                yield alert, f"selector of {sel.metric or '?'} uses no ${{selector}} placeholder, so namespace_scope does not narrow it"
