"""PromQL pieces the Kubernetes dashboards share: selectors, and which workload a pod belongs to.

A pod's workload, from kube-state-metrics (v2): `kube_pod_owner` names the pod's controller
(owner_kind, owner_name). StatefulSets and DaemonSets own their pods directly; a Deployment
owns ReplicaSets (one per revision), which own the pods, so a Deployment's pods are those
owned by a ReplicaSet whose `kube_replicaset_owner` names the Deployment. Jobs, bare
ReplicaSets and static pods (owned by their Node) belong to no workload here.

Workload types are written in lower case (deployment, statefulset, daemonset), as the alerts'
`workload_type` label has them; kube-state-metrics' owner_kind is matched case-insensitively.
"""

from __future__ import annotations

KINDS = {"deployment": "Deployment", "statefulset": "StatefulSet", "daemonset": "DaemonSet"}


# Waiting reasons a container passes through on its way up (kube-state-metrics'
# kube_pod_container_status_waiting_reason); any other one keeps it down.
STARTING_REASONS = "ContainerCreating|PodInitializing"


def sel(metric: str, exporter: str, *matchers: str) -> str:
    """`metric{${exporter}, matchers...}`: a selector with the catalog's placeholder first."""
    return metric + "{" + ", ".join(["${" + exporter + "}", *matchers]) + "}"


def ksm(metric: str, *matchers: str) -> str:
    return sel(metric, "kube_state_metrics", *matchers)


def cadvisor(metric: str, *matchers: str) -> str:
    return sel(metric, "cadvisor", *matchers)


def node_exporter(metric: str, *matchers: str) -> str:
    return sel(metric, "node_exporter", *matchers)


def _typed(expr: str, kind: str) -> str:
    """`expr` (owner series) with labels workload=<owner_name> and workload_type=<kind>."""
    return ('label_replace(label_replace(' + expr + ', "workload", "$1", "owner_name", "(.+)"), '
            '"workload_type", "' + kind + '", "", "")')


def pod_workload(*matchers: str, pod: str | None = None) -> str:
    """Every pod's workload: series (namespace, pod, workload_type, workload) of value 1.
    `matchers` narrow the kube-state-metrics series (e.g. 'namespace="$namespace"'), `pod`
    the pods (kube_replicaset_owner has no pod label)."""
    owner = [*matchers, 'pod="' + pod + '"'] if pod else list(matchers)
    direct = [_typed(ksm("kube_pod_owner", *owner, 'owner_kind="' + KINDS[k] + '"'), k)
              for k in ("statefulset", "daemonset")]
    replicaset = (
        '(\n'
        '    label_replace(' + ksm("kube_pod_owner", *owner, 'owner_kind="ReplicaSet"') + ', "replicaset", "$1", "owner_name", "(.+)")\n'
        '  * on (namespace, replicaset) group_left (workload, workload_type)\n'
        '    max by (namespace, replicaset, workload, workload_type) ('
        + _typed(ksm("kube_replicaset_owner", *matchers, 'owner_kind="Deployment"'), "deployment") + ')\n'
        '  )'
    )
    return ("max by (namespace, pod, workload_type, workload) (\n    "
            + "\n  or\n    ".join([*direct, replicaset]) + "\n)")


def workload_pods(namespace: str = "$namespace", workload_type: str = "$workload_type", workload: str = "$workload") -> str:
    """The pods of one workload: series (namespace, pod) of value 1. The owner_kind match is
    case-insensitive, so only the branch of the selected type can match anything."""
    ns = 'namespace="' + namespace + '"'
    kind = 'owner_kind=~"(?i)' + workload_type + '"'
    name = 'owner_name="' + workload + '"'
    return (
        "max by (namespace, pod) (\n"
        "    " + ksm("kube_pod_owner", ns, kind, name) + "\n"
        "  or\n"
        '    label_replace(' + ksm("kube_pod_owner", ns, 'owner_kind="ReplicaSet"') + ', "replicaset", "$1", "owner_name", "(.+)")\n'
        "  * on (namespace, replicaset) group_left ()\n"
        "    max by (namespace, replicaset) (" + ksm("kube_replicaset_owner", ns, kind, name) + ")\n"
        ")"
    )


def active_pods(*matchers: str) -> str:
    """Pods that hold their requests (Pending or Running): series (namespace, pod) of value 1.
    kube-state-metrics keeps the requests of Succeeded and Failed pods until they are deleted."""
    return "max by (namespace, pod) (" + ksm("kube_pod_status_phase", *matchers, 'phase=~"Pending|Running"') + " == 1)"


def by_kind(exprs: dict[str, str]) -> str:
    """Per-kind expressions (keys: deployment, statefulset, daemonset), each carrying its
    kind's name label, labelled (namespace, workload_type, workload) and joined with `or`."""
    parts = ['label_replace(label_replace(' + expr + ', "workload", "$1", "' + kind + '", "(.+)"), '
             '"workload_type", "' + kind + '", "", "")' for kind, expr in exprs.items()]
    return "max by (namespace, workload_type, workload) (\n    " + "\n  or\n    ".join(parts) + "\n)"


def selected_kind(exprs: dict[str, str], workload: str = "$workload") -> str:
    """`by_kind` for the dashboard's workload: each kind's metric narrowed to the namespace and
    name, then to the selected type (a StatefulSet may share a Deployment's name)."""
    narrowed = {}
    for kind, metric in exprs.items():
        narrowed[kind] = ksm(metric, 'namespace="$namespace"', kind + '="' + workload + '"')
    return ("(" + by_kind(narrowed) + ")\nand on (workload_type)\n"
            'label_replace(vector(1), "workload_type", "$workload_type", "", "")')
