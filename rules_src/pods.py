"""Pods: resource usage against limits, crash loops."""

from gen.model import Alert, Case, Duration, Fire, Group

_CPU_USAGE = 'container_cpu_usage_seconds_total{${cadvisor}, namespace="shop", pod="web-1", container="app"}'
_CPU_LIMIT = 'kube_pod_container_resource_limits{${kube_state_metrics}, namespace="shop", pod="web-1", container="app", resource="cpu", unit="core"}'
_MEM_USAGE = 'container_memory_working_set_bytes{${cadvisor}, namespace="shop", pod="web-1", container="app"}'
_MEM_LIMIT = 'kube_pod_container_resource_limits{${kube_state_metrics}, namespace="shop", pod="web-1", container="app", resource="memory", unit="byte"}'
_WEB_1 = {"namespace": "shop", "pod": "web-1"}

groups = [
    Group("pod-resources", [
        Alert(
            "PodCpu75",
            # Only containers that have a CPU limit count on both sides of the ratio.
            expr="""
                100 * sum by (namespace, pod) (
                    rate(container_cpu_usage_seconds_total{${cadvisor}, container!=""}[${rate_window}])
                  and on (namespace, pod, container)
                    kube_pod_container_resource_limits{${kube_state_metrics}, resource="cpu"}
                )
                / sum by (namespace, pod) (kube_pod_container_resource_limits{${kube_state_metrics}, resource="cpu"})
                > ${threshold}
            """,
            params={"threshold": 75, "rate_window": Duration("2m")},
            for_="7m",
            severity="warning",
            summary="Pod CPU usage above ${threshold}% of its limit.",
            description="Pod {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanize }}% of its CPU limit (threshold ${threshold}%); it will be throttled.",
            cases=[
                Case("fires at 76.67% of the limit after 7m",
                     series={_CPU_USAGE: "0+46x20", _CPU_LIMIT: "1x20"}, at="10m",
                     fires=[Fire(_WEB_1, value=76.67)]),
                Case("silent just under the threshold (73.3%)",
                     series={_CPU_USAGE: "0+44x20", _CPU_LIMIT: "1x20"}, at="10m"),
                Case("silent above the threshold for less than 7m",
                     series={_CPU_USAGE: "0+46x20", _CPU_LIMIT: "1x20"}, at="6m"),
                Case("silent for a container without a CPU limit",
                     series={_CPU_USAGE: "0+60x20",
                             'kube_pod_container_resource_limits{${kube_state_metrics}, namespace="shop", pod="web-1", container="sidecar", resource="cpu", unit="core"}': "1x20"},
                     at="10m"),
            ],
        ),
        Alert(
            "PodMemory75",
            expr="""
                100 * sum by (namespace, pod) (
                    container_memory_working_set_bytes{${cadvisor}, container!=""}
                  and on (namespace, pod, container)
                    kube_pod_container_resource_limits{${kube_state_metrics}, resource="memory"}
                )
                / sum by (namespace, pod) (kube_pod_container_resource_limits{${kube_state_metrics}, resource="memory"})
                > ${threshold}
            """,
            params={"threshold": 75},
            for_="5m",
            severity="warning",
            summary="Pod memory working set above ${threshold}% of its limit.",
            description="Pod {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanize }}% of its memory limit (threshold ${threshold}%); at 100% it is OOM-killed.",
            cases=[
                Case("fires at 80% of the limit after 5m",
                     series={_MEM_USAGE: "800x10", _MEM_LIMIT: "1000x10"}, at="6m",
                     fires=[Fire(_WEB_1, value=80)]),
                Case("silent just under the threshold (74.9%)",
                     series={_MEM_USAGE: "749x10", _MEM_LIMIT: "1000x10"}, at="6m"),
                Case("silent above the threshold for less than 5m",
                     series={_MEM_USAGE: "800x10", _MEM_LIMIT: "1000x10"}, at="4m"),
            ],
        ),
    ]),
    Group("pod-health", [
        Alert(
            "KubePodCrashLooping",
            # kube-state-metrics reports the CrashLoopBackOff wait directly; max_over_time
            # bridges the moments the container is briefly running between restarts.
            expr="""
                max_over_time(kube_pod_container_status_waiting_reason{${kube_state_metrics}, reason="CrashLoopBackOff"}[${window}]) >= 1
            """,
            params={"window": Duration("5m")},
            for_="15m",
            severity="warning",
            summary="Pod is crash looping.",
            description="Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} is in CrashLoopBackOff (restarting over and over).",
            cases=[
                Case("fires after 15m in CrashLoopBackOff",
                     series={'kube_pod_container_status_waiting_reason{${kube_state_metrics}, namespace="shop", pod="web-1", container="app", reason="CrashLoopBackOff"}': "1x30"},
                     at="20m", fires=[Fire({"namespace": "shop", "pod": "web-1", "container": "app", "reason": "CrashLoopBackOff", "job": "kube-state-metrics"}, value=1)]),
                Case("silent after only 10m in CrashLoopBackOff",
                     series={'kube_pod_container_status_waiting_reason{${kube_state_metrics}, namespace="shop", pod="web-1", container="app", reason="CrashLoopBackOff"}': "1x30"},
                     at="10m"),
                Case("silent for other waiting reasons",
                     series={'kube_pod_container_status_waiting_reason{${kube_state_metrics}, namespace="shop", pod="web-1", container="app", reason="ContainerCreating"}': "1x30"},
                     at="20m"),
            ],
        ),
    ]),
]
