"""With multi-cluster on, a rule whose result loses the cluster label mixes clusters up."""

from gen.rules.lint import WARNING, check


@check("cluster-label", WARNING)
def cluster_label(ctx):
    """With multi_cluster enabled: a rule whose result cannot carry the cluster label."""
    mc = ctx.config.multi_cluster
    if not mc.enabled:
        return
    for rule in ctx.rules():
        labels = ctx.analysis(rule).labels
        if labels is not None and not labels.can_have(mc.label):
            yield rule, f"result cannot carry the {mc.label!r} label (e.g. vector(1)), so it cannot say which cluster"
