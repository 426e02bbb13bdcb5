"""Pod details: each container's CPU and memory against its limit with the alert line,
requests, throttling, restarts, OOM kills, network (seed 002: "a pod exceeds its limit" must
be seen), and where the pod runs: its node and its workload, each a link."""

from gen.dash.model import AlertLine, Dashboard, Fixture, Link, Row, Variable, cell

from ._kube import STARTING_REASONS, cadvisor, ksm, pod_workload
from ._panels import stat, steps, ts

_POD = ('namespace="$namespace"', 'pod="$pod"')
_CONTAINERS = 'container!=""'


def _by_container(expr: str) -> str:
    return "sum by (container) (" + expr + ")"


def _spec(kind: str, resource: str) -> str:
    return _by_container(ksm("kube_pod_container_resource_" + kind, *_POD, 'resource="' + resource + '"'))


_CPU = "rate(" + cadvisor("container_cpu_usage_seconds_total", *_POD, _CONTAINERS) + "[$__rate_interval])"
_MEM = cadvisor("container_memory_working_set_bytes", *_POD, _CONTAINERS)
_RESTARTS = ksm("kube_pod_container_status_restarts_total", *_POD)
def _by_reason(metric: str, *matchers: str) -> str:
    return "max by (container, reason) (" + ksm(metric, *_POD, *matchers) + ") == 1"


# 2 (red) for a reason that keeps the container down, 1 (orange) while it starts
_WAITING = ("2 * (" + _by_reason("kube_pod_container_status_waiting_reason", f'reason!~"{STARTING_REASONS}"') + ")\nor\n"
            + _by_reason("kube_pod_container_status_waiting_reason", f'reason=~"{STARTING_REASONS}"'))
# 1 (red) for a crash, OOM kill or error, 0 (green) for a container that completed
_TERMINATED = (_by_reason("kube_pod_container_status_last_terminated_reason", 'reason!="Completed"') + "\nor\n0 * ("
               + _by_reason("kube_pod_container_status_last_terminated_reason", 'reason="Completed"') + ")")


def _net(metric: str) -> str:
    """A pod's network counter (cAdvisor reports it for the pod's sandbox), all interfaces."""
    return "sum(rate(" + cadvisor(metric, *_POD) + "[$__rate_interval]))"


dashboard = Dashboard(
    uid="k8s-pod",
    title="Kubernetes / Pod",
    description="One pod: containers' CPU and memory against requests and limits, throttling, restarts, OOM kills, "
                "network; its node and workload.",
    tags=["pods"],
    links=["k8s-cluster", "k8s-node", "k8s-workload"],
    variables=[
        Variable("namespace", "label_values(" + ksm("kube_pod_info") + ", namespace)"),
        Variable("pod", "label_values(" + ksm("kube_pod_info", 'namespace="$namespace"') + ", pod)"),
    ],
    rows=[
        Row("Pod", [
            cell(stat("Phase", "short", ("max by (phase) (" + ksm("kube_pod_status_phase", *_POD) + ") == 1", "{{phase}}"),
                      text_mode="name",
                      description="Pending (not scheduled yet, or pulling images), Running, Succeeded, Failed, or "
                                  "Unknown (its node stopped reporting). Running does not mean ready: see Ready."),
                 width=4),
            cell(stat("Ready", "short", ("max(" + ksm("kube_pod_status_ready", *_POD, 'condition="true"') + ")", "ready"),
                      mappings=[{"type": "value", "options": {"0": {"text": "not ready", "color": "red", "index": 0},
                                                              "1": {"text": "ready", "color": "green", "index": 1}}}],
                      color_mode="background",
                      description="Every container running and passing its readiness probe. A pod not ready gets no "
                                  "Service traffic; KubePodNotReady fires after 15m."), width=3),
            cell(stat("Node", "short", ("max by (node) (" + ksm("kube_pod_info", *_POD) + ")", "{{node}}"), text_mode="name",
                      description="Click for the node's details."), width=5,
                 links=[Link("Node details", "k8s-node", {"node": "${__field.labels.node}"})]),
            cell(stat("Workload", "short", (pod_workload('namespace="$namespace"', pod="$pod"), "{{workload_type}} {{workload}}"),
                      text_mode="name", description="The Deployment, StatefulSet or DaemonSet the pod belongs to; empty for "
                                                    "Jobs and bare pods. Click for the workload."), width=6,
                 links=[Link("Workload", "k8s-workload", {"namespace": "$namespace",
                                                          "workload_type": "${__field.labels.workload_type}",
                                                          "workload": "${__field.labels.workload}"})]),
            cell(stat("Restarts (window)", "short", ("round(" + _by_container("increase(" + _RESTARTS + "[$__range])") + ")", "{{container}}"),
                      thresholds=steps(("orange", 1), ("red", 5)),
                      description="Per container, in the dashboard's time range. Last termination says why; PodRestart "
                                  "fires on any restart, KubePodCrashLooping on CrashLoopBackOff."), width=6),
        ], height=4),
        Row("Containers: why not running", [
            cell(stat("Waiting", "short", (_WAITING, "{{container}}: {{reason}}"), text_mode="name",
                      thresholds=steps(("orange", 1), ("red", 2)), color_mode="background", noValue="none waiting",
                      description="Containers that are not running and why: red for a reason that keeps them down "
                                  "(CrashLoopBackOff: KubePodCrashLooping; ImagePullBackOff, ErrImagePull, "
                                  "CreateContainerConfigError: KubePodNotReady), orange while starting."), width=12),
            cell(stat("Last termination", "short", (_TERMINATED, "{{container}}: {{reason}}"), text_mode="name",
                      thresholds=steps(("red", 1)), color_mode="background", noValue="none terminated yet",
                      description="Why each container last stopped: red for OOMKilled (KubeContainerOOMKilled), "
                                  "Error and other crashes, green for Completed."), width=12),
        ], height=3),
        Row("Usage against limits", [
            cell(ts("CPU usage, % of limit", "percent",
                    ("100 * " + _by_container(_CPU) + "\n/ " + _spec("limits", "cpu"), "{{container}}"), fill=0,
                    description="Per container; the line is PodCpu75's threshold (it fires on the pod's total)."),
                 alert=AlertLine("PodCpu75")),
            cell(ts("Memory working set, % of limit", "percent",
                    ("100 * " + _by_container(_MEM) + "\n/ " + _spec("limits", "memory"), "{{container}}"), fill=0,
                    description="Per container; at 100% the container is OOM-killed. The line is PodMemory75's threshold."),
                 alert=AlertLine("PodMemory75")),
        ]),
        Row("Usage, requests and limits", [
            cell(ts("CPU", "short",
                    (_by_container(_CPU), "{{container}} used"),
                    (_spec("requests", "cpu"), "{{container}} request"),
                    (_spec("limits", "cpu"), "{{container}} limit"), fill=0,
                    description="Cores. The scheduler reserves the request; the limit caps usage by throttling.")),
            cell(ts("Memory", "bytes",
                    (_by_container(_MEM), "{{container}} working set"),
                    (_spec("requests", "memory"), "{{container}} request"),
                    (_spec("limits", "memory"), "{{container}} limit"), fill=0,
                    description="Per container. The working set is what OOM kills and evictions count: at the limit "
                                "the container is OOM-killed.")),
        ]),
        Row("Throttling, restarts, OOM kills", [
            cell(ts("CPU throttled periods", "percent",
                    ("100 * " + _by_container("increase(" + cadvisor("container_cpu_cfs_throttled_periods_total", *_POD, _CONTAINERS)
                                              + "[$__rate_interval])")
                     + "\n/ " + _by_container("increase(" + cadvisor("container_cpu_cfs_periods_total", *_POD, _CONTAINERS)
                                              + "[$__rate_interval])"), "{{container}}"), fill=0,
                    description="Share of CFS periods in which the container hit its CPU limit; the line is "
                                "CPUThrottlingHigh's threshold."),
                 width=9, alert=AlertLine("CPUThrottlingHigh")),
            cell(ts("Restarts", "short", ("round(" + _by_container("increase(" + _RESTARTS + "[$__rate_interval])") + ")", "{{container}}"),
                    fill=0, description="Per container and rate interval. Regular spikes are a crash loop "
                                        "(KubePodCrashLooping); Last termination says why it stopped."), width=7),
            cell(stat("Restarts after an OOM kill (window)", "short",
                      ("round(" + _by_container("increase(" + _RESTARTS + "[$__range])\nand on (namespace, pod, container)\n"
                                     + ksm("kube_pod_container_status_last_terminated_reason", *_POD, 'reason="OOMKilled"')
                                     + " == 1") + ")", "{{container}}"),
                      thresholds=steps(("red", 1)),
                      description="Restarts in the window of containers whose last termination was OOMKilled "
                                  "(KubeContainerOOMKilled): memory limit too low, or a leak."), width=8),
        ]),
        Row("Network", [
            cell(ts("Network traffic", "bps",  # bits, as the node dashboard and NIC speeds
                    (_net("container_network_receive_bytes_total") + " * 8", "received"),
                    (_net("container_network_transmit_bytes_total") + " * 8", "sent"), fill=0,
                    description="Bits per second received and sent, all the pod's interfaces together (cAdvisor "
                                "reports them for the pod's sandbox).")),
            cell(ts("Dropped packets", "pps",
                    (_net("container_network_receive_packets_dropped_total"), "receive drops"),
                    (_net("container_network_transmit_packets_dropped_total"), "transmit drops"), fill=0,
                    description="Normally 0. A steady rate: the pod does not keep up with its traffic, or its node's "
                                "network is saturated (node dashboard: Network errors and drops).")),
        ], height=7),
    ],
    fixture=Fixture(
        series={
            'kube_pod_info{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", node="node-1", host_ip="10.0.1.5", pod_ip="10.244.1.7", created_by_kind="ReplicaSet", created_by_name="web-7d4b9c8f6"}': "1x20",
            'kube_pod_status_phase{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", phase="Running"}': "1x20",
            'kube_pod_status_phase{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", phase="Pending"}': "0x20",
            'kube_pod_status_ready{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", condition="true"}': "1x20",
            'kube_pod_owner{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", owner_kind="ReplicaSet", owner_name="web-7d4b9c8f6", owner_is_controller="true"}': "1x20",
            'kube_replicaset_owner{${kube_state_metrics}, namespace="shop", replicaset="web-7d4b9c8f6", owner_kind="Deployment", owner_name="web", owner_is_controller="true"}': "1x20",
            'container_cpu_usage_seconds_total{${cadvisor}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", container="app", id="/kubepods/pod-u1/c1", image="registry.local/web:1.4", name="c1"}': "0+30x20",
            'kube_pod_container_resource_limits{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", container="app", node="node-1", resource="cpu", unit="core"}': "1x20",
            'kube_pod_container_resource_requests{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", container="app", node="node-1", resource="cpu", unit="core"}': "0.25x20",
            'container_memory_working_set_bytes{${cadvisor}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", container="app", id="/kubepods/pod-u1/c1", image="registry.local/web:1.4", name="c1"}': "800000000x20",
            'kube_pod_container_resource_limits{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", container="app", node="node-1", resource="memory", unit="byte"}': "1000000000x20",
            'kube_pod_container_resource_requests{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", container="app", node="node-1", resource="memory", unit="byte"}': "500000000x20",
            # 600 CFS periods a minute, throttled in 180 of them; one restart after an OOM kill at 5m.
            'container_cpu_cfs_periods_total{${cadvisor}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", container="app", id="/kubepods/pod-u1/c1", image="registry.local/web:1.4", name="c1"}': "0+600x20",
            'container_cpu_cfs_throttled_periods_total{${cadvisor}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", container="app", id="/kubepods/pod-u1/c1", image="registry.local/web:1.4", name="c1"}': "0+180x20",
            'kube_pod_container_status_restarts_total{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", container="app"}': "0x4 1x15",
            'kube_pod_container_status_last_terminated_reason{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", container="app", reason="OOMKilled"}': "_x4 1x15",
            # after the OOM kill the container crash-loops
            'kube_pod_container_status_waiting_reason{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", container="app", reason="CrashLoopBackOff"}': "_x5 1x14",
            'container_network_receive_bytes_total{${cadvisor}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", interface="eth0", id="/kubepods/pod-u1", name="sandbox"}': "0+600000x20",
            'container_network_transmit_bytes_total{${cadvisor}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", interface="eth0", id="/kubepods/pod-u1", name="sandbox"}': "0+300000x20",
            'container_network_receive_packets_dropped_total{${cadvisor}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", interface="eth0", id="/kubepods/pod-u1", name="sandbox"}': "0+3x20",
            'container_network_transmit_packets_dropped_total{${cadvisor}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", interface="eth0", id="/kubepods/pod-u1", name="sandbox"}': "0x20",
        },
        vars={"namespace": "shop", "pod": "web-7d4b9c8f6-x2x9q"},
    ),
)
