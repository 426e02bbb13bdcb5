"""With multi-cluster on, a rule whose result loses the cluster label mixes clusters up.

Why: with `multi_cluster: {enabled: true}` in monitoring.yaml one Prometheus sees several
clusters, and gen/multicluster.py adds the cluster label to every `by (...)` aggregation and
`on (...)` join. What it cannot rewrite is a result that drops the label anyway: a
`without (cluster)` aggregation, a constant such as `vector(1)`, a `scalar()` wrapped back
into a vector. Such a rule sums the clusters together, and its alert cannot say which cluster
to look at. Only reported while `multi_cluster.enabled` is true.

Example: with multi_cluster on, this recording rule adds up the requests of every cluster:

    Record("job:apiserver_request:rate5m",
           expr="sum without (cluster, instance, pod) (rate(apiserver_request_total[5m]))")

Fix: keep the label, here by not naming it in `without (...)`:

    Record("job:apiserver_request:rate5m",
           expr="sum without (instance, pod) (rate(apiserver_request_total[5m]))")

Skip when: the rule is about all clusters on purpose (a constant heartbeat such as `Watchdog`).
"""

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
