"""Workload details: one Deployment, StatefulSet or DaemonSet (seed 001, 添加常用监控:
"Deployment"; seeds 000 and 003: replicas piled onto one node, single replicas).

Desired against available and updated replicas, its pods' restarts, CPU and memory against
their requests and limits, the HPA that scales it, and which nodes its pods run on: more
than one replica per node (KubeReplicasOnSameNode) means losing that node loses them all.

Variables: namespace, workload type (deployment, statefulset, daemonset: the alerts'
`workload_type` values, read from the kube-state-metrics metric names) and workload
(owner_name of kube_pod_owner, or of kube_replicaset_owner for Deployments). How a pod maps
to its workload: dashboards_src/_kube.py.
"""

from gen.dash.model import AlertLine, Dashboard, Fixture, Link, Row, Variable, cell

from ._kube import cadvisor, ksm, selected_kind, workload_pods
from ._panels import Column, stat, steps, table, ts

_NS = 'namespace="$namespace"'
_PODS = workload_pods()


def _of_pods(expr: str, by: str = "namespace, pod") -> str:
    """A per-container (or per-pod) series of the namespace, summed by `by` over the workload's pods."""
    return "sum by (" + by + ") (" + expr + " * on (namespace, pod) group_left () " + _PODS + ")"


def _with_node(expr: str) -> str:
    """Per-pod series -> with the pod's node (kube_pod_info)."""
    return (expr + " * on (namespace, pod) group_left (node) max by (namespace, pod, node) ("
            + ksm("kube_pod_info", _NS, 'node!=""') + ")")


_CPU = "rate(" + cadvisor("container_cpu_usage_seconds_total", _NS, 'container!=""') + "[$__rate_interval])"
_MEM = cadvisor("container_memory_working_set_bytes", _NS, 'container!=""')


def _spec(kind: str, resource: str) -> str:
    return ksm("kube_pod_container_resource_" + kind, _NS, 'resource="' + resource + '"')


def _per_pod_spec(kind: str, resource: str) -> str:
    """A pod's requests or limits (summed over its containers); the largest among the pods."""
    return "max(" + _of_pods(_spec(kind, resource)) + ")"


_DESIRED = selected_kind({"deployment": "kube_deployment_spec_replicas", "statefulset": "kube_statefulset_replicas",
                          "daemonset": "kube_daemonset_status_desired_number_scheduled"})
_AVAILABLE = selected_kind({"deployment": "kube_deployment_status_replicas_available",
                            "statefulset": "kube_statefulset_status_replicas_ready",
                            "daemonset": "kube_daemonset_status_number_available"})
_UPDATED = selected_kind({"deployment": "kube_deployment_status_replicas_updated",
                          "statefulset": "kube_statefulset_status_replicas_updated",
                          "daemonset": "kube_daemonset_status_updated_number_scheduled"})
def _red_at_zero(series: str) -> dict:
    """A stat field override: `series` red at 0 (none available), green from 1."""
    return {"matcher": {"id": "byName", "options": series}, "properties": [
        {"id": "thresholds", "value": {"mode": "absolute", "steps": [{"color": "red", "value": None},
                                                                     {"color": "green", "value": 1}]}}]}


_REPLICAS = [("max(" + _DESIRED + ")", "desired"), ("max(" + _AVAILABLE + ")", "available"),
             ("max(" + _UPDATED + ")", "updated")]


def _hpa(metric: str) -> str:
    """An HPA series for the HPA whose scale target is this workload (kube_horizontalpodautoscaler_info)."""
    return ("max(" + ksm(metric, _NS) + " * on (namespace, horizontalpodautoscaler) group_left () "
            + ksm("kube_horizontalpodautoscaler_info", _NS, 'scaletargetref_kind=~"(?i)$workload_type"',
                  'scaletargetref_name="$workload"') + ")")


_PODS_PER_NODE = "count by (node) (" + _with_node(_PODS) + ")"
_POD_LINK = Link("Pod details", "k8s-pod", {"namespace": "${__data.fields.namespace}", "pod": "${__data.fields.pod}"})
_POD_LINK_SERIES = Link("Pod details", "k8s-pod", {"namespace": "$namespace", "pod": "${__field.labels.pod}"})
_NODE_LINK = Link("Node details", "k8s-node", {"node": "${__field.labels.node}"})

dashboard = Dashboard(
    uid="k8s-workload",
    title="Kubernetes / Workload",
    description="One Deployment, StatefulSet or DaemonSet: replicas, restarts, CPU and memory against requests "
                "and limits, its HPA, and the nodes its pods run on.",
    tags=["workloads"],
    links=["k8s-cluster", "k8s-pod", "k8s-node"],
    variables=[
        Variable("namespace", "label_values(" + ksm("kube_pod_owner") + ", namespace)"),
        Variable("workload_type",
                 "label_values(" + ksm("", '__name__=~"kube_(deployment|statefulset|daemonset)_metadata_generation"', _NS)
                 + ", __name__)",
                 title="Type", regex="/^kube_(deployment|statefulset|daemonset)_metadata_generation$/"),
        Variable("workload",
                 "label_values(" + ksm("", '__name__=~"kube_pod_owner|kube_replicaset_owner"', _NS,
                                       'owner_kind=~"(?i)$workload_type"') + ", owner_name)", title="Workload"),
    ],
    rows=[
        Row("Replicas", [
            cell(stat("Replicas", "short", *_REPLICAS, overrides=[_red_at_zero("available")],
                      description="Desired (spec; a DaemonSet's: nodes it should run on), available (ready for "
                                  "minReadySeconds; a StatefulSet's: ready), updated to the current revision."), width=6),
            cell(stat("Unavailable", "short", ("max(" + _DESIRED + ") - max(" + _AVAILABLE + ")", "unavailable"),
                      thresholds=steps(("orange", 1)), color_mode="background",
                      description="Desired replicas not available. Above 0 for long: pods that do not start or get "
                                  "ready (KubeDeploymentReplicasMismatch, KubeStatefulSetReplicasMismatch, "
                                  "KubeDaemonSetRolloutStuck); the Pods table shows which."), width=3),
            cell(stat("Container restarts (window)", "short",
                      ("round(sum(" + _of_pods("increase(" + ksm("kube_pod_container_status_restarts_total", _NS) + "[$__range])",
                                               by="namespace") + "))", "restarts"),
                      thresholds=steps(("orange", 1), ("red", 5)),
                      description="All the workload's containers, in the dashboard's time range. The Pods table shows "
                                  "which pods; PodRestart fires per pod."), width=4),
            cell(stat("Most replicas on one node", "short", ("max(" + _PODS_PER_NODE + ")", "pods"),
                      description="More than one: losing that node loses several replicas at once "
                                  "(KubeReplicasOnSameNode); spread them with anti-affinity or topology spread."),
                 width=4,  # orange where the alert fires: above its max_pods_per_node, a whole count
                 alert=AlertLine("KubeReplicasOnSameNode", color="orange",
                                 compute=lambda p: p["max_pods_per_node"] + 1)),
            cell(ts("Replicas over time", "short", *_REPLICAS, fill=0,
                    description="Desired, available and updated over time. In a rollout updated climbs to desired; "
                                "available staying below it means new pods do not get ready (see Unavailable)."),
                 width=7),
        ], height=6),
        Row("CPU and memory against requests and limits", [
            cell(ts("CPU used by pod", "short",
                    (_of_pods(_CPU), "{{pod}}"),
                    (_per_pod_spec("requests", "cpu"), "request per pod"),
                    (_per_pod_spec("limits", "cpu"), "limit per pod"),
                    fill=0, description="Cores. A pod near its limit is throttled (CPUThrottlingHigh, PodCpu75)."),
                 links=[_POD_LINK_SERIES]),
            cell(ts("Memory used by pod", "bytes",
                    (_of_pods(_MEM), "{{pod}}"),
                    (_per_pod_spec("requests", "memory"), "request per pod"),
                    (_per_pod_spec("limits", "memory"), "limit per pod"),
                    fill=0, description="Working set. At the limit the container is OOM-killed."),
                 links=[_POD_LINK_SERIES]),
            cell(ts("Total against requests", "percentunit",
                    ("sum(" + _of_pods(_CPU) + ") / sum(" + _of_pods(_spec("requests", "cpu")) + ")", "CPU used / requested"),
                    ("sum(" + _of_pods(_MEM) + ") / sum(" + _of_pods(_spec("requests", "memory")) + ")", "memory used / requested"),
                    ("sum(" + _of_pods(_MEM) + ") / sum(" + _of_pods(_spec("limits", "memory")) + ")", "memory used / limit"),
                    fill=0, description="Far under 100% of requests: the workload reserves capacity it does not use; "
                                        "over: it lives on other pods' spare capacity."), width=8),
        ], height=8),
        Row("Autoscaling", [
            cell(ts("HPA replicas", "short",
                    (_hpa("kube_horizontalpodautoscaler_status_current_replicas"), "current"),
                    (_hpa("kube_horizontalpodautoscaler_status_desired_replicas"), "desired"),
                    (_hpa("kube_horizontalpodautoscaler_spec_min_replicas"), "min"),
                    (_hpa("kube_horizontalpodautoscaler_spec_max_replicas"), "max"),
                    fill=0, description="The HorizontalPodAutoscaler whose scale target is this workload; empty "
                                        "without one. Desired stuck at max: KubeHpaMaxedOut.")),
        ], height=7),
        Row("Pods and nodes", [
            cell(table("Pods", ["namespace", "pod", "node"], [
                Column("CPU used", _with_node(_of_pods(_CPU))),
                Column("Memory used", _with_node(_of_pods(_MEM)), "bytes"),
                Column("Restarts (window)", "round(" + _with_node(_of_pods(
                    "increase(" + ksm("kube_pod_container_status_restarts_total", _NS) + "[$__range])")) + ")"),
                Column("Ready", _with_node(_of_pods(ksm("kube_pod_status_ready", _NS, 'condition="true"'))),
                       mappings=[{"type": "value", "options": {"0": {"text": "not ready", "color": "red", "index": 0},
                                                               "1": {"text": "ready", "color": "green", "index": 1}}}]),
            ], description="CPU in cores. Click a pod for its details."), width=14, links=[_POD_LINK]),
            cell(ts("Pods per node", "short", (_PODS_PER_NODE, "{{node}}"), fill=0,
                    description="Where the replicas run; a line above the threshold is a node holding several."),
                 width=10, links=[_NODE_LINK],
                 alert=AlertLine("KubeReplicasOnSameNode", param="max_pods_per_node", color="orange")),
        ], height=9),
    ],
    fixture=Fixture(
        series={
            # Deployment shop/web: 3 replicas wanted, 2 available, two pods on node-1 and one on node-2.
            'kube_deployment_metadata_generation{${kube_state_metrics}, namespace="shop", deployment="web"}': "4x20",
            'kube_deployment_spec_replicas{${kube_state_metrics}, namespace="shop", deployment="web"}': "3x20",
            'kube_deployment_status_replicas_available{${kube_state_metrics}, namespace="shop", deployment="web"}': "2x20",
            'kube_deployment_status_replicas_updated{${kube_state_metrics}, namespace="shop", deployment="web"}': "3x20",
            # A StatefulSet of the same name must not count.
            'kube_statefulset_replicas{${kube_state_metrics}, namespace="shop", statefulset="web"}': "5x20",
            'kube_replicaset_owner{${kube_state_metrics}, namespace="shop", replicaset="web-7d4b9c8f6", owner_kind="Deployment", owner_name="web", owner_is_controller="true"}': "1x20",
            **{series: values for n, node in ((1, "node-1"), (2, "node-1"), (3, "node-2")) for series, values in {
                f'kube_pod_owner{{${{kube_state_metrics}}, namespace="shop", pod="web-7d4b9c8f6-p{n}", uid="u{n}", owner_kind="ReplicaSet", owner_name="web-7d4b9c8f6", owner_is_controller="true"}}': "1x20",
                f'kube_pod_info{{${{kube_state_metrics}}, namespace="shop", pod="web-7d4b9c8f6-p{n}", uid="u{n}", node="{node}", host_ip="10.0.1.{n}", pod_ip="10.244.{n}.7", created_by_kind="ReplicaSet", created_by_name="web-7d4b9c8f6"}}': "1x20",
                f'kube_pod_status_ready{{${{kube_state_metrics}}, namespace="shop", pod="web-7d4b9c8f6-p{n}", uid="u{n}", condition="true"}}': "1x20" if n < 3 else "0x20",
                f'kube_pod_container_status_restarts_total{{${{kube_state_metrics}}, namespace="shop", pod="web-7d4b9c8f6-p{n}", uid="u{n}", container="app"}}': "0x4 1x15" if n == 3 else "0x20",
                f'kube_pod_container_resource_requests{{${{kube_state_metrics}}, namespace="shop", pod="web-7d4b9c8f6-p{n}", uid="u{n}", container="app", node="{node}", resource="cpu", unit="core"}}': "0.5x20",
                f'kube_pod_container_resource_limits{{${{kube_state_metrics}}, namespace="shop", pod="web-7d4b9c8f6-p{n}", uid="u{n}", container="app", node="{node}", resource="cpu", unit="core"}}': "1x20",
                f'kube_pod_container_resource_requests{{${{kube_state_metrics}}, namespace="shop", pod="web-7d4b9c8f6-p{n}", uid="u{n}", container="app", node="{node}", resource="memory", unit="byte"}}': "536870912x20",
                f'kube_pod_container_resource_limits{{${{kube_state_metrics}}, namespace="shop", pod="web-7d4b9c8f6-p{n}", uid="u{n}", container="app", node="{node}", resource="memory", unit="byte"}}': "1073741824x20",
                f'container_cpu_usage_seconds_total{{${{cadvisor}}, namespace="shop", pod="web-7d4b9c8f6-p{n}", container="app", instance="10.0.1.{n}:10250", id="/kubepods/pod-u{n}/c{n}", image="registry.local/web:1.4", name="c{n}"}}': f"0+{10 * n}x20",
                f'container_memory_working_set_bytes{{${{cadvisor}}, namespace="shop", pod="web-7d4b9c8f6-p{n}", container="app", instance="10.0.1.{n}:10250", id="/kubepods/pod-u{n}/c{n}", image="registry.local/web:1.4", name="c{n}"}}': f"{300000000 * n}x20",
            }.items()},
            # The HPA scaling it.
            'kube_horizontalpodautoscaler_info{${kube_state_metrics}, namespace="shop", horizontalpodautoscaler="web-hpa", scaletargetref_api_version="apps/v1", scaletargetref_kind="Deployment", scaletargetref_name="web"}': "1x20",
            'kube_horizontalpodautoscaler_status_current_replicas{${kube_state_metrics}, namespace="shop", horizontalpodautoscaler="web-hpa"}': "3x20",
            'kube_horizontalpodautoscaler_status_desired_replicas{${kube_state_metrics}, namespace="shop", horizontalpodautoscaler="web-hpa"}': "3x20",
            'kube_horizontalpodautoscaler_spec_min_replicas{${kube_state_metrics}, namespace="shop", horizontalpodautoscaler="web-hpa"}': "2x20",
            'kube_horizontalpodautoscaler_spec_max_replicas{${kube_state_metrics}, namespace="shop", horizontalpodautoscaler="web-hpa"}': "6x20",
        },
        vars={"namespace": "shop", "workload_type": "deployment", "workload": "web"},
    ),
)
