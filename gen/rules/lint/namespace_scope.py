"""A namespaced alert with a selector the namespace scope cannot narrow still watches every namespace."""

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
