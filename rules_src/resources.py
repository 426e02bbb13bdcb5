"""Cluster resources: requests and quotas against what the nodes can allocate.

All from kube-state-metrics, which teams run as two replicas (HA, and during every rolling
update): each kube-state-metrics series is then there twice, differing in `instance`, so
every expression takes `max without (instance)` before it sums or joins (the cases marked
"two kube-state-metrics replicas" prove it). Scheduling is by requests, not usage: once the pods' requests
exceed what the cluster keeps after losing a node, that node's pods cannot be rescheduled
anywhere (they stay Pending), and a drain for maintenance gets stuck. Quotas summing to
more than the cluster can allocate promise namespaces capacity that does not exist.
"""

from gen.model import Alert, Case, Fire, Group, replicated, twins

from ._fixtures.resources import GIB, nodes, pods, quotas

# one series per node, whatever the number of kube-state-metrics replicas
_ALLOCATABLE = 'max without (instance) (kube_node_status_allocatable{{${{kube_state_metrics}}, resource="{resource}"}})'


def _overcommit_expr(resource: str) -> str:
    """Requests of pods that hold resources against what is left after losing the largest nodes.

    Only Pending and Running pods count: kube-state-metrics keeps reporting the requests of
    Succeeded and Failed pods until they are deleted. `topk by ()` takes the largest nodes of
    the whole cluster; the empty grouping lets multi-cluster mode turn it into `by (cluster)`.
    """
    alloc = _ALLOCATABLE.format(resource=resource)
    remaining = f"(sum({alloc}) - sum(topk by () (${{tolerated_node_failures}}, {alloc})))"
    return f"""
        100 * sum(
            max without (instance) (kube_pod_container_resource_requests{{${{kube_state_metrics}}, resource="{resource}"}})
          * on (namespace, pod) group_left ()
            max by (namespace, pod) (kube_pod_status_phase{{${{kube_state_metrics}}, phase=~"Pending|Running"}} == 1)
        )
        / {remaining}
        > ${{threshold}}
        and
        {remaining} > 0
    """


def _quota_overcommit_expr(resource: str) -> str:
    """Hard quotas on requests, summed over namespaces, against the cluster's allocatable.

    A quota may name the resource `cpu` or `requests.cpu` (the same thing) or both; `min
    without (resource)` counts each quota once. limits.* quotas are left out: limits may
    overcommit, the scheduler places pods by their requests.
    """
    return f"""
        100 * sum(
            min without (resource, instance) (
              kube_resourcequota{{${{kube_state_metrics}}, type="hard", resource=~"{resource}|requests.{resource}"}}
            )
        )
        / sum({_ALLOCATABLE.format(resource=resource)})
        > ${{threshold}}
    """


groups = [
    Group("resource-overcommit", [
        *twins(
            {
                "name": "KubeCPUOvercommit",
                "expr": _overcommit_expr("cpu"),
                "summary": "Cluster has overcommitted CPU requests and cannot tolerate node failure.",
                "description": "Pods request {{ $value | humanize }}% of the CPU the cluster can allocate without its ${tolerated_node_failures} largest node(s); if one fails, its pods cannot be rescheduled.",
                "cases": [
                    # 3 nodes of 4 cores: 8 cores left without the largest.
                    Case("fires at 8.1 cores requested of 8 (101.25%)",
                         series={**nodes("cpu", "core", [4, 4, 4]), **pods("cpu", "core", {"web-1": 4, "web-2": 4.1})},
                         at="7m", fires=[Fire({}, value=101.25)]),
                    Case("silent at 8 cores requested of 8 (the threshold)",
                         series={**nodes("cpu", "core", [4, 4, 4]), **pods("cpu", "core", {"web-1": 4, "web-2": 4})},
                         at="7m"),
                    Case("two kube-state-metrics replicas: fires at 8.1 of 8 cores, not 16.2 of 16",
                         series=replicated({**nodes("cpu", "core", [4, 4, 4]),
                                            **pods("cpu", "core", {"web-1": 4, "web-2": 4.1})}),
                         at="7m", fires=[Fire({}, value=101.25)]),
                    Case("fires on uneven nodes: the largest one counts, not the average",
                         # 8 + 2 + 2 cores: 4 left without node-1. The table's (n-1)/n rule saw 5/12 < 2/3.
                         series={**nodes("cpu", "core", [8, 2, 2]), **pods("cpu", "core", {"web-1": 5})},
                         at="7m", fires=[Fire({}, value=125)]),
                    Case("silent when overcommitted for less than 5m",
                         series={**nodes("cpu", "core", [4, 4, 4]),
                                 **pods("cpu", "core", {"web-1": 4}),
                                 'kube_pod_container_resource_requests{${kube_state_metrics}, namespace="shop", pod="web-2", container="app", node="node-2", resource="cpu", unit="core"}': "_x5 6x5",
                                 'kube_pod_status_phase{${kube_state_metrics}, namespace="shop", pod="web-2", phase="Running"}': "_x5 1x5"},
                         at="8m"),
                    Case("silent when the excess is held by completed pods",
                         series={**nodes("cpu", "core", [4, 4, 4]),
                                 **pods("cpu", "core", {"web-1": 4, "web-2": 3}),
                                 **pods("cpu", "core", {"report-1": 6}, phase="Succeeded")},
                         at="7m"),
                    Case("silent on a single-node cluster",
                         series={**nodes("cpu", "core", [4]), **pods("cpu", "core", {"web-1": 3})},
                         at="7m"),
                ],
            },
            {
                "name": "KubeMemoryOvercommit",
                "expr": _overcommit_expr("memory"),
                "summary": "Cluster has overcommitted memory requests and cannot tolerate node failure.",
                "description": "Pods request {{ $value | humanize }}% of the memory the cluster can allocate without its ${tolerated_node_failures} largest node(s); if one fails, its pods cannot be rescheduled.",
                "cases": [
                    # 3 nodes of 16 GiB: 32 GiB left without the largest.
                    Case("fires at 33 GiB requested of 32 (103.1%)",
                         series={**nodes("memory", "byte", [16 * GIB] * 3),
                                 **pods("memory", "byte", {"web-1": 16 * GIB, "web-2": 17 * GIB})},
                         at="7m", fires=[Fire({}, value=33 / 32 * 100)]),
                    Case("silent at 32 GiB requested of 32 (the threshold)",
                         series={**nodes("memory", "byte", [16 * GIB] * 3),
                                 **pods("memory", "byte", {"web-1": 16 * GIB, "web-2": 16 * GIB})},
                         at="7m"),
                    Case("two kube-state-metrics replicas: fires at 33 of 32 GiB",
                         series=replicated({**nodes("memory", "byte", [16 * GIB] * 3),
                                            **pods("memory", "byte", {"web-1": 16 * GIB, "web-2": 17 * GIB})}),
                         at="7m", fires=[Fire({}, value=33 / 32 * 100)]),
                    Case("silent when overcommitted for less than 5m",
                         series={**nodes("memory", "byte", [16 * GIB] * 3),
                                 **pods("memory", "byte", {"web-1": 16 * GIB}),
                                 'kube_pod_container_resource_requests{${kube_state_metrics}, namespace="shop", pod="web-2", container="app", node="node-2", resource="memory", unit="byte"}': f"_x5 {20 * GIB}x5",
                                 'kube_pod_status_phase{${kube_state_metrics}, namespace="shop", pod="web-2", phase="Pending"}': "_x5 1x5"},
                         at="8m"),
                    Case("silent when the excess is held by failed pods",
                         series={**nodes("memory", "byte", [16 * GIB] * 3),
                                 **pods("memory", "byte", {"web-1": 16 * GIB}),
                                 **pods("memory", "byte", {"batch-1": 20 * GIB}, phase="Failed")},
                         at="7m"),
                ],
            },
            params={"threshold": 100, "tolerated_node_failures": 1},
            for_="5m",
            dashboard="k8s-water-level",
            severity="warning",
        ),
        *twins(
            {
                "name": "KubeCPUQuotaOvercommit",
                "expr": _quota_overcommit_expr("cpu"),
                "summary": "Namespace CPU quotas exceed ${threshold}% of the cluster's allocatable CPU.",
                "description": "Hard CPU request quotas of all namespaces add up to {{ $value | humanize }}% of the CPU the nodes can allocate; namespaces can be promised capacity that does not exist.",
                "cases": [
                    # 2 nodes of 4 cores = 8 allocatable.
                    Case("fires at 12.1 quota cores of 8 (151.25%)",
                         series={**nodes("cpu", "core", [4, 4], n=20),
                                 **quotas({("shop", "compute", "cpu"): 6, ("batch", "compute", "requests.cpu"): 6.1})},
                         at="7m", fires=[Fire({}, value=151.25)]),
                    Case("silent at 12 quota cores of 8 (the threshold)",
                         series={**nodes("cpu", "core", [4, 4], n=20),
                                 **quotas({("shop", "compute", "cpu"): 6, ("batch", "compute", "requests.cpu"): 6})},
                         at="7m"),
                    Case("two kube-state-metrics replicas: fires at 12.1 of 8 cores",
                         series=replicated({**nodes("cpu", "core", [4, 4], n=20),
                                            **quotas({("shop", "compute", "cpu"): 6, ("batch", "compute", "requests.cpu"): 6.1})}),
                         at="7m", fires=[Fire({}, value=151.25)]),
                    Case("silent when a quota sets both cpu and requests.cpu (counted once)",
                         series={**nodes("cpu", "core", [4, 4], n=20),
                                 **quotas({("shop", "compute", "cpu"): 6, ("shop", "compute", "requests.cpu"): 6,
                                           ("batch", "compute", "requests.cpu"): 4})},
                         at="7m"),
                    Case("silent for limits.cpu quotas (limits may overcommit)",
                         series={**nodes("cpu", "core", [4, 4], n=20),
                                 **quotas({("shop", "compute", "limits.cpu"): 32})},
                         at="7m"),
                    Case("silent when overcommitted for less than 5m",
                         series={**nodes("cpu", "core", [4, 4], n=20),
                                 **quotas({("shop", "compute", "cpu"): 6, ("batch", "compute", "cpu"): "2x4 10x15"})},
                         at="8m"),
                ],
            },
            {
                "name": "KubeMemoryQuotaOvercommit",
                "expr": _quota_overcommit_expr("memory"),
                "summary": "Namespace memory quotas exceed ${threshold}% of the cluster's allocatable memory.",
                "description": "Hard memory request quotas of all namespaces add up to {{ $value | humanize }}% of the memory the nodes can allocate; namespaces can be promised capacity that does not exist.",
                "cases": [
                    # 2 nodes of 16 GiB = 32 GiB allocatable; 150% = 48 GiB.
                    Case("fires at 49 GiB of quotas (153.1%)",
                         series={**nodes("memory", "byte", [16 * GIB] * 2, n=20),
                                 **quotas({("shop", "compute", "memory"): 24 * GIB, ("batch", "compute", "requests.memory"): 25 * GIB})},
                         at="7m", fires=[Fire({}, value=49 / 32 * 100)]),
                    Case("silent at 48 GiB of quotas (the threshold)",
                         series={**nodes("memory", "byte", [16 * GIB] * 2, n=20),
                                 **quotas({("shop", "compute", "memory"): 24 * GIB, ("batch", "compute", "requests.memory"): 24 * GIB})},
                         at="7m"),
                    Case("silent when overcommitted for less than 5m",
                         series={**nodes("memory", "byte", [16 * GIB] * 2, n=20),
                                 **quotas({("shop", "compute", "memory"): 24 * GIB,
                                           ("batch", "compute", "memory"): f"{8 * GIB}x4 {30 * GIB}x15"})},
                         at="8m"),
                ],
            },
            params={"threshold": 150},
            for_="5m",
            dashboard="k8s-water-level",
            severity="warning",
        ),
    ]),
    Group("resource-quota", [
        Alert(
            "KubeQuotaExceeded",
            expr="""
                100 * max without (instance) (kube_resourcequota{${kube_state_metrics}, type="used"})
                  / ignoring (job, type)
                (max without (instance) (kube_resourcequota{${kube_state_metrics}, type="hard"}) > 0)
                > ${threshold}
            """,
            params={"threshold": 90},
            for_="15m",
            dashboard="k8s-water-level",
            severity="warning",
            namespaced=True,
            summary="Namespace quota is over ${threshold}% used.",
            description="Namespace {{ $labels.namespace }} uses {{ $value | humanize }}% of its {{ $labels.resource }} quota ({{ $labels.resourcequota }}); at 100% new pods and objects are rejected.",
            cases=[
                Case("fires at 91% of the requests.cpu quota after 15m",
                     series=quotas({("shop", "compute", "requests.cpu"): 10}, {("shop", "compute", "requests.cpu"): 9.1}),
                     at="17m", fires=[Fire({"namespace": "shop", "resourcequota": "compute", "resource": "requests.cpu"}, value=91)]),
                Case("fires at 100% of the pods quota",
                     series=quotas({("shop", "objects", "pods"): 20}, {("shop", "objects", "pods"): 20}),
                     at="17m", fires=[Fire({"namespace": "shop", "resourcequota": "objects", "resource": "pods"}, value=100)]),
                Case("two kube-state-metrics replicas: fires once at 91%, no many-to-many error",
                     series=replicated(quotas({("shop", "compute", "requests.cpu"): 10},
                                               {("shop", "compute", "requests.cpu"): 9.1})),
                     at="17m", fires=[Fire({"namespace": "shop", "resourcequota": "compute", "resource": "requests.cpu"}, value=91)]),
                Case("silent at 90% (the threshold)",
                     series=quotas({("shop", "compute", "requests.cpu"): 10}, {("shop", "compute", "requests.cpu"): 9}),
                     at="17m"),
                Case("silent above the threshold for less than 15m",
                     series=quotas({("shop", "compute", "requests.cpu"): 10}, {("shop", "compute", "requests.cpu"): "5x9 9.5x10"}),
                     at="17m"),
                Case("silent for a zero quota (nothing allowed, nothing used)",
                     series=quotas({("shop", "objects", "services.loadbalancers"): 0},
                                    {("shop", "objects", "services.loadbalancers"): 0}),
                     at="17m"),
            ],
        ),
    ]),
]
