"""Cluster overview (seed 001, 添加常用监控: "Kubernetes Overview"; 巡检: the water level).

Nodes and their readiness, pod phases, then the water level: what pods use, request and
may use at most (limits) against what the nodes can allocate, for the cluster and per node;
the scheduler places pods by their requests, so requests near 100% of allocatable mean
new pods stay Pending whatever the usage. Then the namespaces and workloads that take the
most. Per-node rows link to the node dashboard, workloads to the workload dashboard.
"""

from gen.dash.model import Dashboard, Fixture, Link, Row, cell

from ._kube import STARTING_REASONS, active_pods, by_kind, cadvisor, ksm, pod_workload
from ._panels import READY, Column, stat, steps, table, top_by_peak, ts

_CPU_USED = 'rate(' + cadvisor("container_cpu_usage_seconds_total", 'container!=""') + '[$__rate_interval])'
_MEM_USED = cadvisor("container_memory_working_set_bytes", 'container!=""')


def _alloc(resource: str) -> str:
    return ksm("kube_node_status_allocatable", f'resource="{resource}"')


def _declared(kind: str, resource: str) -> str:
    """Requests or limits (kind) of the containers of Pending and Running pods."""
    return (ksm(f"kube_pod_container_resource_{kind}", f'resource="{resource}"')
            + " * on (namespace, pod) group_left () " + active_pods())


def _on_node(expr: str) -> str:
    """Per-container series -> with the label `node` of the pod (kube_pod_info)."""
    return (expr + " * on (namespace, pod) group_left (node) max by (namespace, pod, node) ("
            + ksm("kube_pod_info", 'node!=""') + ")")


def _water(resource: str, used: str) -> list[tuple[str, str]]:
    """Usage, requests and limits as a fraction of the cluster's allocatable."""
    alloc = "sum(" + _alloc(resource) + ")"
    return [
        ("sum(" + used + ") / " + alloc, "usage"),
        ("sum(" + _declared("requests", resource) + ") / " + alloc, "requests"),
        ("sum(" + _declared("limits", resource) + ") / " + alloc, "limits"),
    ]


def _per_node(expr: str, resource: str) -> str:
    return "sum by (node) (" + expr + ") / sum by (node) (" + _alloc(resource) + ")"


_WORKLOAD_LINK = Link("Workload", "k8s-workload", {
    "namespace": "${__data.fields.namespace}",
    "workload_type": "${__data.fields.workload_type}",
    "workload": "${__data.fields.workload}",
})
_NODE_LINK = Link("Node details", "k8s-node", {"node": "${__data.fields.node}"})
_NAMESPACE_LINK = Link("Workloads of the namespace", "k8s-workload", {"namespace": "${__data.fields.namespace}"})
_WATER = steps(("orange", 0.8), ("red", 1.0))


_UNAVAILABLE = by_kind({
    "deployment": ksm("kube_deployment_status_replicas_unavailable") + " > 0",
    "statefulset": "(" + ksm("kube_statefulset_replicas") + " - " + ksm("kube_statefulset_status_replicas_ready") + ") > 0",
    "daemonset": ksm("kube_daemonset_status_number_unavailable") + " > 0",
})
_DESIRED = by_kind({
    "deployment": ksm("kube_deployment_spec_replicas"),
    "statefulset": ksm("kube_statefulset_replicas"),
    "daemonset": ksm("kube_daemonset_status_desired_number_scheduled"),
})


def _workload_sum(expr: str) -> str:
    return ("sum by (namespace, workload_type, workload) (" + expr
            + " * on (namespace, pod) group_left (workload_type, workload) " + pod_workload() + ")")


dashboard = Dashboard(
    uid="k8s-cluster",
    title="Kubernetes / Cluster overview",
    description="Nodes and readiness, pod phases, usage, requests and limits against allocatable "
                "(the water level), the namespaces and workloads that take the most.",
    tags=["cluster"],
    links=["k8s-node", "k8s-workload", "k8s-pod", "k8s-apiserver", "k8s-etcd", "k8s-coredns", "k8s-ingress-nginx",
           "k8s-storage", "k8s-water-level", "k8s-weekly-inspection", "k8s-alerts-overview"],
    rows=[
        Row("Nodes and pods", [
            cell(stat("Nodes", "short", ("count(" + ksm("kube_node_info") + ")", "nodes"),
                      description="Nodes registered in the cluster, Ready or not. A drop means nodes were removed: "
                                  "autoscaler scale-in or deleted machines."), width=3),
            cell(stat("Nodes not Ready", "short",
                      ("sum(1 - " + ksm("kube_node_status_condition", 'condition="Ready"', 'status="true"') + ")", "not ready"),
                      thresholds=steps(("red", 1)), color_mode="background",
                      description="Nodes whose Ready condition is False or Unknown (KubeNodeNotReady after 15m)."),
                 width=3),
            cell(stat("Cordoned nodes", "short", ("sum(" + ksm("kube_node_spec_unschedulable") + ")", "cordoned"),
                      thresholds=steps(("orange", 1)), color_mode="background",
                      description="Nodes marked unschedulable (kubectl cordon, drain)."), width=3),
            cell(stat("Pods by phase", "short", ("sum by (phase) (" + ksm("kube_pod_status_phase") + ")", "{{phase}}"),
                      description="Failed and Unknown pods need a look; Pending pods that stay Pending "
                                  "do not fit anywhere (see requests against allocatable)."), width=7),
            cell(stat("Containers kept down", "short",
                      ("count(" + ksm("kube_pod_container_status_waiting_reason", f'reason!~"{STARTING_REASONS}"') + " == 1) "
                       "or on () vector(0)", "waiting"),
                      thresholds=steps(("red", 1)), color_mode="background",
                      description="Containers waiting for a reason that keeps them down: CrashLoopBackOff "
                                  "(KubePodCrashLooping), ImagePullBackOff, ErrImagePull, CreateContainerConfigError. "
                                  "The pod dashboard says which and why."), width=4),
            cell(stat("Containers restarted (window)", "short",
                      ("round(sum(increase(" + ksm("kube_pod_container_status_restarts_total") + "[$__range])))", "restarts"),
                      thresholds=steps(("orange", 1)),
                      description="Container restarts in the dashboard's time range, all namespaces. PodRestart names "
                                  "the restarted pods, KubePodCrashLooping those in CrashLoopBackOff."), width=4),
        ], height=5),
        Row("Water level: usage, requests and limits against allocatable", [
            cell(stat("CPU", "percentunit", *_water("cpu", _CPU_USED), thresholds=_WATER,
                      description="Of the CPU all nodes can allocate: used by containers, requested by "
                                  "Pending and Running pods, and their limits (may exceed 100%: overcommit)."),
                 width=6),
            cell(stat("Memory", "percentunit", *_water("memory", _MEM_USED), thresholds=_WATER,
                      description="Of the memory all nodes can allocate: working set, requests, limits. "
                                  "Limits over 100% mean nodes can run out of memory before pods reach their limits."),
                 width=6),
            cell(stat("Allocatable", "short",
                      ("sum(" + _alloc("cpu") + ")", "CPU cores"), ("sum(" + _alloc("pods") + ")", "pods"),
                      description="CPU cores and pods all nodes together can allocate to pods (capacity minus system "
                                  "reservations): the 100% of the CPU water level, and the cluster's pod limit."),
                 width=4),
            cell(stat("Allocatable memory", "bytes", ("sum(" + _alloc("memory") + ")", "memory"),
                      description="Memory all nodes together can allocate to pods (capacity minus system reservations "
                                  "and the eviction threshold): the 100% of the memory water level."), width=4),
            cell(stat("Running pods", "short",
                      ("sum(" + ksm("kube_pod_status_phase", 'phase="Running"') + ")", "running"),
                      description="Pods in phase Running, all namespaces; the pod limit is under Allocatable."),
                 width=4),
            cell(ts("CPU against allocatable", "percentunit", *_water("cpu", _CPU_USED), fill=0,
                    description="Usage, requests and limits as a share of the CPU all nodes can allocate. Requests "
                                "near 100% leave new pods Pending whatever the usage; KubeCPUOvercommit fires when the "
                                "requests would not fit without the largest node(s)."), width=12),
            cell(ts("Memory against allocatable", "percentunit", *_water("memory", _MEM_USED), fill=0,
                    description="Working set, requests and limits as a share of the memory all nodes can allocate. "
                                "Requests near 100% leave new pods Pending; KubeMemoryOvercommit fires when the "
                                "requests would not fit without the largest node(s)."), width=12),
        ], height=7),
        Row("Nodes", [
            cell(table("Nodes", ["node"], [
                Column("Ready", "max by (node) (" + ksm("kube_node_status_condition", 'condition="Ready"', 'status="true"') + ")",
                       mappings=READY),
                Column("CPU used", _per_node(_on_node(_CPU_USED), "cpu"), "percentunit", gauge=True, max=1),
                Column("CPU requests", _per_node(_on_node(_declared("requests", "cpu")), "cpu"), "percentunit", gauge=True, max=1),
                Column("CPU limits", _per_node(_on_node(_declared("limits", "cpu")), "cpu"), "percentunit"),
                Column("Memory used", _per_node(_on_node(_MEM_USED), "memory"), "percentunit", gauge=True, max=1),
                Column("Memory requests", _per_node(_on_node(_declared("requests", "memory")), "memory"), "percentunit", gauge=True, max=1),
                Column("Memory limits", _per_node(_on_node(_declared("limits", "memory")), "memory"), "percentunit"),
                Column("Pods", "count by (node) (" + ksm("kube_pod_info", 'node!=""') + " * on (namespace, pod) group_left () "
                       + active_pods() + ")"),
                Column("Pod capacity", "max by (node) (" + _alloc("pods") + ")"),
            ], sort="CPU requests",
                description="Per node, against its allocatable: pod usage (cAdvisor), requests and limits of "
                            "Pending and Running pods. A node far above the others is where pods piled up "
                            "(NodeCPUUsageImbalance). Click a node for its details."),
                 links=[_NODE_LINK]),
            cell(ts("CPU requests by node", "percentunit",
                    (_per_node(_on_node(_declared("requests", "cpu")), "cpu"), "{{node}}"), fill=0,
                    description="CPU requests of each node's Pending and Running pods against its allocatable. "
                                "At 100% the scheduler places no more pods there; click a line for the node."),
                 links=[Link("Node details", "k8s-node", {"node": "${__field.labels.node}"})]),
            cell(ts("Memory requests by node", "percentunit",
                    (_per_node(_on_node(_declared("requests", "memory")), "memory"), "{{node}}"), fill=0,
                    description="Memory requests of each node's Pending and Running pods against its allocatable. "
                                "At 100% the scheduler places no more pods there; click a line for the node."),
                 links=[Link("Node details", "k8s-node", {"node": "${__field.labels.node}"})]),
        ], height=9),
        Row("Namespaces", [
            cell(table("Namespaces", ["namespace"], [
                Column("CPU used", "sum by (namespace) (" + _CPU_USED + ")"),
                Column("CPU requests", "sum by (namespace) (" + _declared("requests", "cpu") + ")"),
                Column("CPU limits", "sum by (namespace) (" + _declared("limits", "cpu") + ")"),
                Column("Memory used", "sum by (namespace) (" + _MEM_USED + ")", "bytes"),
                Column("Memory requests", "sum by (namespace) (" + _declared("requests", "memory") + ")", "bytes"),
                Column("Memory limits", "sum by (namespace) (" + _declared("limits", "memory") + ")", "bytes"),
                Column("Pods", "count by (namespace) (" + active_pods() + ")"),
            ], description="Every namespace, largest CPU user first (CPU in cores). Click one for its workloads."),
                 width=12, links=[_NAMESPACE_LINK]),
            cell(ts("CPU used by namespace (top 10)", "short",
                    (top_by_peak("sum by (namespace) (" + _CPU_USED + ")", "namespace"), "{{namespace}}"), description="Cores.",
                    stack=True), width=6),
            cell(ts("Memory used by namespace (top 10)", "bytes",
                    (top_by_peak("sum by (namespace) (" + _MEM_USED + ")", "namespace"), "{{namespace}}"), stack=True,
                    description="Working set of the ten namespaces using the most, stacked. The Namespaces table "
                                "lists every namespace with its requests and limits."), width=6),
        ], height=9),
        Row("Workloads", [
            cell(table("Top 10 workloads by CPU", ["namespace", "workload_type", "workload"], [
                Column("CPU used", "topk(10, " + _workload_sum(_CPU_USED) + ")"),
                Column("CPU requests", _workload_sum(_declared("requests", "cpu")) + " and on (namespace, workload_type, workload) topk(10, "
                       + _workload_sum(_CPU_USED) + ")"),
                Column("Memory used", _workload_sum(_MEM_USED) + " and on (namespace, workload_type, workload) topk(10, "
                       + _workload_sum(_CPU_USED) + ")", "bytes"),
            ], description="Deployments, StatefulSets and DaemonSets (CPU in cores). Click one for its details."),
                 links=[_WORKLOAD_LINK]),
            cell(table("Workloads missing replicas", ["namespace", "workload_type", "workload"], [
                Column("Unavailable", _UNAVAILABLE),
                Column("Desired", _DESIRED + " and on (namespace, workload_type, workload) " + _UNAVAILABLE),
            ], description="Replicas desired but not available (not ready). Empty is good."),
                 links=[_WORKLOAD_LINK]),
        ], height=9),
    ],
    fixture=Fixture(
        series={
            # Two nodes of 4 cores and 16 GiB; node-2 is NotReady and cordoned.
            'kube_node_info{${kube_state_metrics}, node="node-1", kubelet_version="v1.29.4", internal_ip="10.0.1.5"}': "1x20",
            'kube_node_info{${kube_state_metrics}, node="node-2", kubelet_version="v1.29.4", internal_ip="10.0.1.6"}': "1x20",
            'kube_node_status_condition{${kube_state_metrics}, node="node-1", condition="Ready", status="true"}': "1x20",
            'kube_node_status_condition{${kube_state_metrics}, node="node-2", condition="Ready", status="true"}': "0x20",
            'kube_node_spec_unschedulable{${kube_state_metrics}, node="node-1"}': "0x20",
            'kube_node_spec_unschedulable{${kube_state_metrics}, node="node-2"}': "1x20",
            'kube_node_status_allocatable{${kube_state_metrics}, node="node-1", resource="cpu", unit="core"}': "4x20",
            'kube_node_status_allocatable{${kube_state_metrics}, node="node-2", resource="cpu", unit="core"}': "4x20",
            'kube_node_status_allocatable{${kube_state_metrics}, node="node-1", resource="memory", unit="byte"}': "17179869184x20",
            'kube_node_status_allocatable{${kube_state_metrics}, node="node-2", resource="memory", unit="byte"}': "17179869184x20",
            'kube_node_status_allocatable{${kube_state_metrics}, node="node-1", resource="pods", unit="integer"}': "110x20",
            'kube_node_status_allocatable{${kube_state_metrics}, node="node-2", resource="pods", unit="integer"}': "110x20",
            # shop/web-7d4b9c8f6-x2x9q of Deployment web (one of 2 replicas unavailable); shop/db-0 of StatefulSet db.
            'kube_pod_info{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", node="node-1", host_ip="10.0.1.5", pod_ip="10.244.1.7", created_by_kind="ReplicaSet", created_by_name="web-7d4b9c8f6"}': "1x20",
            'kube_pod_info{${kube_state_metrics}, namespace="shop", pod="db-0", uid="u2", node="node-1", host_ip="10.0.1.5", pod_ip="10.244.1.8", created_by_kind="StatefulSet", created_by_name="db"}': "1x20",
            'kube_pod_owner{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", owner_kind="ReplicaSet", owner_name="web-7d4b9c8f6", owner_is_controller="true"}': "1x20",
            'kube_pod_owner{${kube_state_metrics}, namespace="shop", pod="db-0", uid="u2", owner_kind="StatefulSet", owner_name="db", owner_is_controller="true"}': "1x20",
            'kube_replicaset_owner{${kube_state_metrics}, namespace="shop", replicaset="web-7d4b9c8f6", owner_kind="Deployment", owner_name="web", owner_is_controller="true"}': "1x20",
            'kube_pod_status_phase{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", phase="Running"}': "1x20",
            'kube_pod_status_phase{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", phase="Pending"}': "0x20",
            'kube_pod_status_phase{${kube_state_metrics}, namespace="shop", pod="db-0", uid="u2", phase="Running"}': "1x20",
            'kube_pod_status_phase{${kube_state_metrics}, namespace="shop", pod="db-0", uid="u2", phase="Pending"}': "0x20",
            'kube_pod_container_resource_requests{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", container="app", node="node-1", resource="cpu", unit="core"}': "0.5x20",
            'kube_pod_container_resource_requests{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", container="app", node="node-1", resource="memory", unit="byte"}': "536870912x20",
            'kube_pod_container_resource_limits{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", container="app", node="node-1", resource="cpu", unit="core"}': "1x20",
            'kube_pod_container_resource_limits{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", container="app", node="node-1", resource="memory", unit="byte"}': "1073741824x20",
            'kube_pod_container_status_restarts_total{${kube_state_metrics}, namespace="shop", pod="db-0", uid="u2", container="postgres"}': "0x4 1x15",
            'kube_pod_container_status_waiting_reason{${kube_state_metrics}, namespace="shop", pod="db-0", uid="u2", container="postgres", reason="CrashLoopBackOff"}': "_x5 1x14",
            'container_cpu_usage_seconds_total{${cadvisor}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", container="app", node="node-1", instance="10.0.1.5:10250", id="/kubepods/pod-u1/c1", image="registry.local/web:1.4", name="c1"}': "0+15x20",
            'container_cpu_usage_seconds_total{${cadvisor}, namespace="shop", pod="db-0", container="postgres", node="node-1", instance="10.0.1.5:10250", id="/kubepods/pod-u2/c2", image="postgres:16", name="c2"}': "0+30x20",
            'container_memory_working_set_bytes{${cadvisor}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", container="app", node="node-1", instance="10.0.1.5:10250", id="/kubepods/pod-u1/c1", image="registry.local/web:1.4", name="c1"}': "400000000x20",
            'container_memory_working_set_bytes{${cadvisor}, namespace="shop", pod="db-0", container="postgres", node="node-1", instance="10.0.1.5:10250", id="/kubepods/pod-u2/c2", image="postgres:16", name="c2"}': "900000000x20",
            'kube_deployment_spec_replicas{${kube_state_metrics}, namespace="shop", deployment="web"}': "2x20",
            'kube_deployment_status_replicas_unavailable{${kube_state_metrics}, namespace="shop", deployment="web"}': "1x20",
            'kube_statefulset_replicas{${kube_state_metrics}, namespace="shop", statefulset="db"}': "1x20",
            'kube_statefulset_status_replicas_ready{${kube_state_metrics}, namespace="shop", statefulset="db"}': "1x20",
            'kube_daemonset_status_desired_number_scheduled{${kube_state_metrics}, namespace="monitoring", daemonset="node-exporter"}': "2x20",
            'kube_daemonset_status_number_unavailable{${kube_state_metrics}, namespace="monitoring", daemonset="node-exporter"}': "1x20",
        },
        vars={},
    ),
)
