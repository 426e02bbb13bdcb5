"""Pods: resource usage against limits and declarations, restarts, OOM kills, evictions, states.

The seeds' failures behind the newer alerts: containers without resource requests let the
scheduler pile pods onto a few nodes (it only counts requests) and leave the HPA blind
("missing request for cpu"); containers without a memory limit can take a node's memory
and get their neighbours evicted; a container over its memory limit is OOM-killed. "A pod
exceeds its limit" and "a pod was evicted" must reach someone (KubeContainerOOMKilled,
KubePodEvicted).
"""

from gen.model import Alert, Case, Duration, Fire, Group, moved, replicated

from ._fixtures.pods import GIB, WEB_1, cadvisor, container, info, ksm, limit, owner, phase, ready, resource

# Containers of running pods, one series each: kube_pod_container_info carries container_id,
# which changes on every restart, so it is aggregated away (the `for` timer survives restarts).
def _running_containers(indent: str) -> str:
    lines = [
        "(",
        "    max by (namespace, pod, container) (kube_pod_container_info{${kube_state_metrics}})",
        "  and on (namespace, pod)",
        "    max by (namespace, pod) (kube_pod_status_phase{${kube_state_metrics}, phase=\"Running\"}) == 1",
        ")",
    ]
    return lines[0] + "".join("\n" + indent + line for line in lines[1:])


groups = [
    Group("pod-resources", [
        Alert(
            "PodCpu75",
            dashboard="k8s-pod",
            # Only containers that have a CPU limit count on both sides of the ratio.
            expr="""
                100 * sum by (namespace, pod) (
                    rate(container_cpu_usage_seconds_total{${cadvisor}, container!=""}[${rate_window}])
                  and on (namespace, pod, container)
                    kube_pod_container_resource_limits{${kube_state_metrics}, resource="cpu"}
                )
                / sum by (namespace, pod) (max without (instance) (kube_pod_container_resource_limits{${kube_state_metrics}, resource="cpu"}))
                > ${threshold}
            """,
            params={"threshold": 75, "rate_window": Duration("2m")},
            for_="7m",
            namespaced=True,
            severity="warning",
            summary="Pod CPU usage above ${threshold}% of its limit.",
            description="Pod {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanize }}% of its CPU limit (threshold ${threshold}%); it will be throttled.",
            cases=[
                Case("fires at 76.67% of the limit after 7m",
                     series={**cadvisor("container_cpu_usage_seconds_total", {"app": "0+46x20"}), **limit("web-1", "app", "cpu", "1x20")}, at="10m",
                     fires=[Fire(WEB_1, value=76.67)]),
                Case("silent just under the threshold (73.3%)",
                     series={**cadvisor("container_cpu_usage_seconds_total", {"app": "0+44x20"}), **limit("web-1", "app", "cpu", "1x20")}, at="10m"),
                Case("two kube-state-metrics replicas: 76.67% of one limit, not of two",
                     series=replicated({**cadvisor("container_cpu_usage_seconds_total", {"app": "0+46x20"}), **limit("web-1", "app", "cpu", "1x20")}), at="10m",
                     fires=[Fire(WEB_1, value=76.67)]),
                Case("silent above the threshold for less than 7m",
                     series={**cadvisor("container_cpu_usage_seconds_total", {"app": "0+46x20"}), **limit("web-1", "app", "cpu", "1x20")}, at="6m"),
                Case("silent for a container without a CPU limit",
                     series={**cadvisor("container_cpu_usage_seconds_total", {"app": "0+60x20"}), **limit("web-1", "sidecar", "cpu", "1x20")},
                     at="10m"),
            ],
        ),
        Alert(
            "PodMemory75",
            dashboard="k8s-pod",
            expr="""
                100 * sum by (namespace, pod) (
                    container_memory_working_set_bytes{${cadvisor}, container!=""}
                  and on (namespace, pod, container)
                    kube_pod_container_resource_limits{${kube_state_metrics}, resource="memory"}
                )
                / sum by (namespace, pod) (max without (instance) (kube_pod_container_resource_limits{${kube_state_metrics}, resource="memory"}))
                > ${threshold}
            """,
            params={"threshold": 75},
            for_="5m",
            namespaced=True,
            severity="warning",
            summary="Pod memory working set above ${threshold}% of its limit.",
            description="Pod {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanize }}% of its memory limit (threshold ${threshold}%); at 100% it is OOM-killed.",
            cases=[
                Case("fires at 80% of the limit after 5m",
                     series={**cadvisor("container_memory_working_set_bytes", {"app": "800x10"}), **limit("web-1", "app", "memory", "1000x10")}, at="6m",
                     fires=[Fire(WEB_1, value=80)]),
                Case("silent just under the threshold (74.9%)",
                     series={**cadvisor("container_memory_working_set_bytes", {"app": "749x10"}), **limit("web-1", "app", "memory", "1000x10")}, at="6m"),
                Case("two kube-state-metrics replicas: 80% of one limit, not 40% of two",
                     series=replicated({**cadvisor("container_memory_working_set_bytes", {"app": "800x10"}), **limit("web-1", "app", "memory", "1000x10")}), at="6m",
                     fires=[Fire(WEB_1, value=80)]),
                Case("silent above the threshold for less than 5m",
                     series={**cadvisor("container_memory_working_set_bytes", {"app": "800x10"}), **limit("web-1", "app", "memory", "1000x10")}, at="4m"),
            ],
        ),
        Alert(
            "PodMem4GbRestart",
            dashboard="k8s-pod",
            # The table's name (its authors restarted such pods). The table summed by pod and
            # container over every cgroup; max by container keeps one series per container even
            # while a restarted container's old cgroup series is still visible.
            expr="""
                max by (namespace, pod, container) (container_memory_working_set_bytes{${cadvisor}, container!=""})
                > ${threshold_gib} * 1024 * 1024 * 1024
            """,
            params={"threshold_gib": 4},
            for_="5m",
            severity="warning",
            namespaced=True,
            summary="Container memory working set above ${threshold_gib} GiB.",
            description="Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanize1024 }}B of memory (working set), more than ${threshold_gib} GiB.",
            cases=[
                Case("fires at 4.5 GiB after 5m",
                     series=cadvisor("container_memory_working_set_bytes", {"app": f"{int(4.5 * GIB)}x10"}),
                     at="6m", fires=[Fire({"namespace": "shop", "pod": "web-1", "container": "app"}, value=4.5 * GIB)]),
                Case("fires just above the threshold (4 GiB + 1 MiB)",
                     series=cadvisor("container_memory_working_set_bytes", {"app": f"{4 * GIB + 1024 ** 2}x10"}),
                     at="6m", fires=[Fire({"namespace": "shop", "pod": "web-1", "container": "app"}, value=4 * GIB + 1024 ** 2)]),
                Case("silent at exactly 4 GiB",
                     series=cadvisor("container_memory_working_set_bytes", {"app": f"{4 * GIB}x10"}),
                     at="6m"),
                Case("silent above the threshold for less than 5m",
                     series=cadvisor("container_memory_working_set_bytes", {"app": f"{int(4.5 * GIB)}x10"}),
                     at="4m"),
                Case("silent for two containers of 2.5 GiB (the pod's own cgroup holds 5 GiB)",
                     series=cadvisor("container_memory_working_set_bytes",
                                     {"app": f"{int(2.5 * GIB)}x10", "sidecar": f"{int(2.5 * GIB)}x10"}),
                     at="6m"),
            ],
        ),
        Alert(
            "CPUThrottlingHigh",
            dashboard="k8s-pod",
            expr="""
                sum by (namespace, pod, container) (increase(container_cpu_cfs_throttled_periods_total{${cadvisor}, container!=""}[${rate_window}]))
                /
                sum by (namespace, pod, container) (increase(container_cpu_cfs_periods_total{${cadvisor}, container!=""}[${rate_window}]))
                > (${threshold} / 100)
            """,
            params={"threshold": 25, "rate_window": Duration("5m")},
            for_="15m",
            severity="info",
            namespaced=True,
            summary="Container is CPU-throttled in more than ${threshold}% of its CFS periods.",
            description="Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} was throttled in {{ $value | humanizePercentage }} of its CPU scheduling periods over the last ${rate_window} (threshold ${threshold}%): its CPU limit slows it down.",
            cases=[
                # 600 CFS periods a minute (100ms periods); throttled in 180 of them: 30%.
                Case("fires at 30% of periods throttled after 15m",
                     series={**cadvisor("container_cpu_cfs_throttled_periods_total", {"app": "0+180x30"}),
                             **cadvisor("container_cpu_cfs_periods_total", {"app": "0+600x30"})},
                     at="20m", fires=[Fire({"namespace": "shop", "pod": "web-1", "container": "app"}, value=0.30)]),
                Case("fires just above the threshold (25.17%)",
                     series={**cadvisor("container_cpu_cfs_throttled_periods_total", {"app": "0+151x30"}),
                             **cadvisor("container_cpu_cfs_periods_total", {"app": "0+600x30"})},
                     at="20m", fires=[Fire({"namespace": "shop", "pod": "web-1", "container": "app"}, value=151 / 600)]),
                Case("silent just below the threshold (24.83%)",
                     series={**cadvisor("container_cpu_cfs_throttled_periods_total", {"app": "0+149x30"}),
                             **cadvisor("container_cpu_cfs_periods_total", {"app": "0+600x30"})},
                     at="20m"),
                Case("silent when throttled for less than 15m",
                     series={**cadvisor("container_cpu_cfs_throttled_periods_total", {"app": "0+180x30"}),
                             **cadvisor("container_cpu_cfs_periods_total", {"app": "0+600x30"})},
                     at="12m"),
            ],
        ),
        Alert(
            "KubeContainerOOMKilled",
            dashboard="k8s-pod",
            # Fires once per kill: the restart counter moved within the window and the last
            # termination was an OOM kill; resolves when the window no longer holds a restart.
            expr="""
                round(max by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total{${kube_state_metrics}}[${window}]))) > 0
                and on (namespace, pod, container)
                max by (namespace, pod, container) (kube_pod_container_status_last_terminated_reason{${kube_state_metrics}, reason="OOMKilled"}) == 1
            """,
            params={"window": Duration("10m")},
            for_="0s",
            severity="critical",
            namespaced=True,
            summary="Container was OOM-killed.",
            description="Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} was killed for exceeding its memory limit (OOMKilled); it restarted {{ $value | humanize }} times in the last ${window}.",
            cases=[
                Case("fires after a restart whose reason was OOMKilled",
                     series={ksm("kube_pod_container_status_restarts_total", pod="web-1", container="app"): "0x4 1x20",
                             ksm("kube_pod_container_status_last_terminated_reason", pod="web-1", container="app", reason="OOMKilled"): "_x4 1x20"},
                     at="12m", fires=[Fire({"namespace": "shop", "pod": "web-1", "container": "app"}, value=1)]),
                Case("fires at once, on the first evaluation after the kill",
                     series={ksm("kube_pod_container_status_restarts_total", pod="web-1", container="app"): "0x4 1x20",
                             ksm("kube_pod_container_status_last_terminated_reason", pod="web-1", container="app", reason="OOMKilled"): "_x4 1x20"},
                     at="5m", fires=[Fire({"namespace": "shop", "pod": "web-1", "container": "app"}, value=1)]),
                Case("resolves once the window holds no restart",
                     series={ksm("kube_pod_container_status_restarts_total", pod="web-1", container="app"): "0x4 1x20",
                             ksm("kube_pod_container_status_last_terminated_reason", pod="web-1", container="app", reason="OOMKilled"): "_x4 1x20"},
                     at="16m"),
                Case("silent after a restart for another reason",
                     series={ksm("kube_pod_container_status_restarts_total", pod="web-1", container="app"): "0x4 1x20",
                             ksm("kube_pod_container_status_last_terminated_reason", pod="web-1", container="app", reason="Error"): "_x4 1x20"},
                     at="12m"),
                Case("silent for an old OOM kill without a recent restart",
                     series={ksm("kube_pod_container_status_restarts_total", pod="web-1", container="app"): "3x20",
                             ksm("kube_pod_container_status_last_terminated_reason", pod="web-1", container="app", reason="OOMKilled"): "1x20"},
                     at="12m"),
            ],
        ),
    ]),
    Group("pod-health", [
        Alert(
            "KubePodCrashLooping",
            dashboard="k8s-pod",
            # kube-state-metrics reports the CrashLoopBackOff wait directly; max_over_time
            # bridges the moments the container is briefly running between restarts.
            expr="""
                max without (instance) (
                  max_over_time(kube_pod_container_status_waiting_reason{${kube_state_metrics}, reason="CrashLoopBackOff"}[${window}]) >= 1
                )
            """,
            params={"window": Duration("5m")},
            for_="15m",
            namespaced=True,
            severity="warning",
            summary="Pod is crash looping.",
            description="Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} is in CrashLoopBackOff (restarting over and over).",
            cases=[
                Case("fires after 15m in CrashLoopBackOff",
                     series={'kube_pod_container_status_waiting_reason{${kube_state_metrics}, namespace="shop", pod="web-1", container="app", reason="CrashLoopBackOff"}': "1x30"},
                     at="20m", fires=[Fire({"namespace": "shop", "pod": "web-1", "container": "app", "reason": "CrashLoopBackOff", "job": "kube-state-metrics"}, value=1)]),
                Case("fires once, 15m on, across a move of kube-state-metrics to another address",
                     series=moved({'kube_pod_container_status_waiting_reason{${kube_state_metrics}, namespace="shop", pod="web-1", container="app", reason="CrashLoopBackOff"}': "1x30"}, after=10),
                     at="20m", fires=[Fire({"namespace": "shop", "pod": "web-1", "container": "app", "reason": "CrashLoopBackOff", "job": "kube-state-metrics"}, value=1)]),
                Case("silent after only 10m in CrashLoopBackOff",
                     series={'kube_pod_container_status_waiting_reason{${kube_state_metrics}, namespace="shop", pod="web-1", container="app", reason="CrashLoopBackOff"}': "1x30"},
                     at="10m"),
                Case("silent for other waiting reasons",
                     series={'kube_pod_container_status_waiting_reason{${kube_state_metrics}, namespace="shop", pod="web-1", container="app", reason="ContainerCreating"}': "1x30"},
                     at="20m"),
            ],
        ),
        Alert(
            "pod_status_no_running",
            dashboard="k8s-pod",
            # The table summed every non-Running phase with no comparison (it "fired" for every
            # pod, value 0 included). Completed pods of Jobs are the normal end of a Job, and
            # evicted pods (phase Failed) are KubePodEvicted's, so both are left out.
            # The node (from kube_pod_info; none while unscheduled) lets Alertmanager silence
            # the pods of a node that is NotReady or unreachable (routing_src/routing.py).
            expr="""
                (
                    max by (namespace, pod, phase) (kube_pod_status_phase{${kube_state_metrics}, phase!="Running"}) == 1
                  unless on (namespace, pod)
                    (
                        max by (namespace, pod) (kube_pod_status_phase{${kube_state_metrics}, phase="Succeeded"}) == 1
                      and on (namespace, pod)
                        kube_pod_owner{${kube_state_metrics}, owner_kind="Job"}
                    )
                  unless on (namespace, pod)
                    max by (namespace, pod) (kube_pod_status_reason{${kube_state_metrics}, reason="Evicted"}) == 1
                )
                * on (namespace, pod) group_left (node)
                  topk by (namespace, pod) (1, max by (namespace, pod, node) (kube_pod_info{${kube_state_metrics}}))
            """,
            for_="5m",
            severity="warning",
            namespaced=True,
            summary="Pod is not running.",
            description="Pod {{ $labels.namespace }}/{{ $labels.pod }} is in phase {{ $labels.phase }} instead of Running.",
            cases=[
                Case("fires for a pod Pending for 5m (not scheduled: no node)",
                     series={**phase("web-2", "Pending"), **owner("web-2", "ReplicaSet", "web-7d9f"), **info("web-2", "")},
                     at="7m", fires=[Fire({"namespace": "shop", "pod": "web-2", "phase": "Pending"}, value=1)]),
                Case("fires for a pod Unknown on a lost node, naming the node",
                     series={**phase("web-2", "Unknown"), **owner("web-2", "ReplicaSet", "web-7d9f"), **info("web-2", "node-2")},
                     at="7m", fires=[Fire({"namespace": "shop", "pod": "web-2", "phase": "Unknown", "node": "node-2"}, value=1)]),
                Case("silent for a Running pod",
                     series={**phase("web-2", "Running"), **owner("web-2", "ReplicaSet", "web-7d9f"), **info("web-2", "node-2")},
                     at="7m"),
                Case("silent when Pending for less than 5m",
                     series={**phase("web-2", "Pending"), **owner("web-2", "ReplicaSet", "web-7d9f"), **info("web-2", "node-2")},
                     at="4m"),
                Case("silent for a completed pod of a Job",
                     series={**phase("backup-28391-x2k", "Succeeded"), **owner("backup-28391-x2k", "Job", "backup-28391"), **info("backup-28391-x2k", "node-2")},
                     at="7m"),
                Case("fires for a completed pod no Job owns",
                     series={**phase("debug", "Succeeded"), **owner("debug", "<none>", "<none>"), **info("debug", "node-2")},
                     at="7m", fires=[Fire({"namespace": "shop", "pod": "debug", "phase": "Succeeded", "node": "node-2"}, value=1)]),
                Case("fires for a failed pod of a Job",
                     series={**phase("backup-28391-x2k", "Failed"), **owner("backup-28391-x2k", "Job", "backup-28391"), **info("backup-28391-x2k", "node-2")},
                     at="7m", fires=[Fire({"namespace": "shop", "pod": "backup-28391-x2k", "phase": "Failed", "node": "node-2"}, value=1)]),
                Case("silent for an evicted pod (KubePodEvicted reports it)",
                     series={**phase("web-3", "Failed"), **owner("web-3", "ReplicaSet", "web-7d9f"), **info("web-3", "node-2"),
                             ksm("kube_pod_status_reason", pod="web-3", reason="Evicted"): "1x20"},
                     at="7m"),
            ],
        ),
        Alert(
            "PodRestart",
            dashboard="k8s-pod",
            # The table took increase over 2m with `for` 5m: it needed a restart every 2 minutes
            # for 5 minutes, which CrashLoopBackOff's growing back-off (up to 5m) never keeps up,
            # so it flapped or stayed silent. Counting over a window longer than `for` makes a
            # single restart fire once, `for` after the restart, and resolve when the window
            # passes it.
            expr="""
                round(sum by (namespace, pod) (
                  max without (instance) (increase(kube_pod_container_status_restarts_total{${kube_state_metrics}}[${window}]))
                )) > 0
            """,
            params={"window": Duration("10m")},
            for_="5m",
            severity="warning",
            namespaced=True,
            summary="Pod restarted.",
            description="Containers of pod {{ $labels.namespace }}/{{ $labels.pod }} restarted {{ $value | humanize }} times in the last ${window}.",
            cases=[
                Case("fires 5m after a restart",
                     series={ksm("kube_pod_container_status_restarts_total", pod="web-1", container="app"): "0x4 1x20"},
                     at="12m", fires=[Fire({"namespace": "shop", "pod": "web-1"}, value=1)]),
                Case("counts the restarts of every container of the pod",
                     series={ksm("kube_pod_container_status_restarts_total", pod="web-1", container="app"): "0x4 1x20",
                             ksm("kube_pod_container_status_restarts_total", pod="web-1", container="sidecar"): "0x6 1x20"},
                     at="12m", fires=[Fire({"namespace": "shop", "pod": "web-1"}, value=2)]),
                Case("silent less than 5m after the restart",
                     series={ksm("kube_pod_container_status_restarts_total", pod="web-1", container="app"): "0x4 1x20"},
                     at="8m"),
                Case("resolves once the window no longer holds the restart",
                     series={ksm("kube_pod_container_status_restarts_total", pod="web-1", container="app"): "0x4 1x20"},
                     at="16m"),
                Case("silent without new restarts (old restarts only)",
                     series={ksm("kube_pod_container_status_restarts_total", pod="web-1", container="app"): "3x20"},
                     at="12m"),
            ],
        ),
        Alert(
            "KubePodNotReady",
            dashboard="k8s-pod",
            # topk keeps one owner per pod, so a pod listed with two owners cannot break the join.
            # The node comes from kube_pod_info as in pod_status_no_running (pods of a node that
            # went away turn Unknown; Alertmanager silences them while the node alert fires).
            # Pending on purpose (scheduling gates: kube-state-metrics 2.19 and later reports the reason) does
            # not count; Running without passing its readiness probe does.
            expr="""
                (
                  sum by (namespace, pod) (
                      (
                          max by (namespace, pod) (kube_pod_status_phase{${kube_state_metrics}, phase=~"Pending|Unknown"}) == 1
                        unless on (namespace, pod)
                          max by (namespace, pod) (kube_pod_status_reason{${kube_state_metrics}, reason="SchedulingGated"}) == 1
                      or
                          max by (namespace, pod) (kube_pod_status_phase{${kube_state_metrics}, phase="Running"}) == 1
                        and on (namespace, pod)
                          max by (namespace, pod) (kube_pod_status_ready{${kube_state_metrics}, condition="true"}) == 0
                      )
                    * on (namespace, pod) group_left (owner_kind)
                      topk by (namespace, pod) (1, max by (namespace, pod, owner_kind) (kube_pod_owner{${kube_state_metrics}, owner_kind!="Job"}))
                  ) > 0
                )
                * on (namespace, pod) group_left (node)
                  topk by (namespace, pod) (1, max by (namespace, pod, node) (kube_pod_info{${kube_state_metrics}}))
            """,
            for_="15m",
            severity="warning",
            namespaced=True,
            summary="Pod has been in a non-ready state for a long time.",
            description="Pod {{ $labels.namespace }}/{{ $labels.pod }} has stayed Pending or Unknown, or Running without passing its readiness probe, for a long time (15 minutes by default) and serves nothing.",
            cases=[
                Case("fires for a Deployment's pod Pending for 15m",
                     series={**phase("web-2", "Pending", 30), **owner("web-2", "ReplicaSet", "web-7d9f", 30), **info("web-2", "", 30)},
                     at="20m", fires=[Fire({"namespace": "shop", "pod": "web-2"}, value=1)]),
                Case("fires for a bare pod in phase Unknown, naming its node",
                     series={**phase("debug", "Unknown", 30), **owner("debug", "<none>", "<none>", 30), **info("debug", "node-3", 30)},
                     at="20m", fires=[Fire({"namespace": "shop", "pod": "debug", "node": "node-3"}, value=1)]),
                Case("silent when Pending for less than 15m",
                     series={**phase("web-2", "Pending", 30), **owner("web-2", "ReplicaSet", "web-7d9f", 30), **info("web-2", "", 30)},
                     at="14m"),
                Case("silent for a Job's pod",
                     series={**phase("backup-28391-x2k", "Pending", 30), **owner("backup-28391-x2k", "Job", "backup-28391", 30), **info("backup-28391-x2k", "node-3", 30)},
                     at="20m"),
                Case("silent for a Running pod",
                     series={**phase("web-2", "Running", 30), **owner("web-2", "ReplicaSet", "web-7d9f", 30), **info("web-2", "", 30)},
                     at="20m"),
                Case("silent for a Running pod that passes its readiness probe",
                     series={**phase("web-2", "Running", 30), **ready("web-2", "1", 30),
                             **owner("web-2", "ReplicaSet", "web-7d9f", 30), **info("web-2", "node-3", 30)},
                     at="20m"),
                Case("fires for a Running pod whose readiness probe keeps failing",
                     series={**phase("web-2", "Running", 30), **ready("web-2", "0", 30),
                             **owner("web-2", "ReplicaSet", "web-7d9f", 30), **info("web-2", "node-3", 30)},
                     at="20m", fires=[Fire({"namespace": "shop", "pod": "web-2", "node": "node-3"}, value=1)]),
                Case("silent for a pod held Pending by scheduling gates",
                     series={**phase("batch-7", "Pending", 30), **owner("batch-7", "ReplicaSet", "batch-5c4b", 30),
                             **info("batch-7", "", 30),
                             ksm("kube_pod_status_reason", pod="batch-7", reason="SchedulingGated"): "1x30"},
                     at="20m"),
            ],
        ),
        Alert(
            "KubeContainerWaiting",
            dashboard="k8s-pod",
            # CrashLoopBackOff is KubePodCrashLooping's; the reason is kept so the alert says why.
            expr="""
                max by (namespace, pod, container, reason) (kube_pod_container_status_waiting_reason{${kube_state_metrics}, reason!="CrashLoopBackOff"}) > 0
            """,
            for_="1h",
            severity="warning",
            namespaced=True,
            summary="Container has been waiting to start for a long time.",
            description="Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} has been waiting in state {{ $labels.reason }} for a long time (an hour by default).",
            cases=[
                Case("fires after an hour in ImagePullBackOff",
                     series={ksm("kube_pod_container_status_waiting_reason", pod="web-2", container="app", reason="ImagePullBackOff"): "1x20"},
                     at="70m", interval="5m",
                     fires=[Fire({"namespace": "shop", "pod": "web-2", "container": "app", "reason": "ImagePullBackOff"}, value=1)]),
                Case("silent after 55m of waiting",
                     series={ksm("kube_pod_container_status_waiting_reason", pod="web-2", container="app", reason="ImagePullBackOff"): "1x20"},
                     at="55m", interval="5m"),
                Case("silent for CrashLoopBackOff (KubePodCrashLooping reports it)",
                     series={ksm("kube_pod_container_status_waiting_reason", pod="web-2", container="app", reason="CrashLoopBackOff"): "1x20"},
                     at="70m", interval="5m"),
                Case("silent when the container stopped waiting",
                     series={ksm("kube_pod_container_status_waiting_reason", pod="web-2", container="app", reason="ContainerCreating"): "1x5 0x15"},
                     at="70m", interval="5m"),
            ],
        ),
        Alert(
            "KubePodEvicted",
            dashboard="k8s-pod",
            # The node comes from kube_pod_info: evictions are usually the node's resource pressure.
            expr="""
                (max by (namespace, pod) (kube_pod_status_reason{${kube_state_metrics}, reason="Evicted"}) == 1)
                * on (namespace, pod) group_left (node)
                max by (namespace, pod, node) (kube_pod_info{${kube_state_metrics}})
            """,
            for_="0s",
            severity="critical",
            namespaced=True,
            summary="Pod was evicted.",
            description="Pod {{ $labels.namespace }}/{{ $labels.pod }} was evicted from node {{ $labels.node }}; the alert lasts until the evicted pod object is deleted.",
            cases=[
                Case("fires for an evicted pod, naming its node",
                     series={ksm("kube_pod_status_reason", pod="web-3", reason="Evicted"): "0 0 1x10",
                             ksm("kube_pod_info", pod="web-3", node="node-2", host_ip="10.0.0.12", pod_ip="10.42.2.17",
                                  uid="6f1c", created_by_kind="ReplicaSet", created_by_name="web-7d9f"): "1x12"},
                     at="3m", fires=[Fire({"namespace": "shop", "pod": "web-3", "node": "node-2"}, value=1)]),
                Case("silent for a pod not evicted",
                     series={ksm("kube_pod_status_reason", pod="web-3", reason="Evicted"): "0x12",
                             ksm("kube_pod_status_reason", pod="web-3", reason="NodeLost"): "0x12",
                             ksm("kube_pod_info", pod="web-3", node="node-2", host_ip="10.0.0.12", pod_ip="10.42.2.17",
                                  uid="6f1c", created_by_kind="ReplicaSet", created_by_name="web-7d9f"): "1x12"},
                     at="3m"),
            ],
        ),
    ]),
    Group("pod-resource-specs", [
        Alert(
            "KubeContainerWithoutResourceRequests",
            dashboard="k8s-pod",
            # One series per container and missing request; `resource` says which.
            expr="""
                label_replace(
                  """ + _running_containers(" " * 18) + """
                  unless on (namespace, pod, container)
                    kube_pod_container_resource_requests{${kube_state_metrics}, resource="cpu"},
                  "resource", "cpu", "", ""
                )
                or
                label_replace(
                  """ + _running_containers(" " * 18) + """
                  unless on (namespace, pod, container)
                    kube_pod_container_resource_requests{${kube_state_metrics}, resource="memory"},
                  "resource", "memory", "", ""
                )
            """,
            for_="1h",
            severity="warning",
            namespaced=True,
            summary="Container runs without a CPU or memory request.",
            description="Container {{ $labels.container }} of running pod {{ $labels.namespace }}/{{ $labels.pod }} declares no {{ $labels.resource }} request: the scheduler counts it as free, and an HPA on {{ $labels.resource }} utilization cannot work.",
            cases=[
                Case("fires after 1h for a container without a CPU request",
                     series={**phase("web-1", "Running"), **container("web-1", "app"),
                             **resource("requests", "web-1", "app", "memory", 536870912)},
                     at="70m", interval="5m",
                     fires=[Fire({"namespace": "shop", "pod": "web-1", "container": "app", "resource": "cpu"}, value=1)]),
                Case("fires once per missing request for a container without any",
                     series={**phase("web-1", "Running"), **container("web-1", "app")},
                     at="70m", interval="5m",
                     fires=[Fire({"namespace": "shop", "pod": "web-1", "container": "app", "resource": "cpu"}, value=1),
                            Fire({"namespace": "shop", "pod": "web-1", "container": "app", "resource": "memory"}, value=1)]),
                Case("keeps firing across a container restart (container_id changes)",
                     series={**phase("web-1", "Running"),
                             # the old container's series ends at 45m, the new one starts then
                             ksm("kube_pod_container_info", pod="web-1", container="app", image="registry.local/web:1.4",
                                  container_id="containerd://0a1b"): "1x8 stale",
                             ksm("kube_pod_container_info", pod="web-1", container="app", image="registry.local/web:1.4",
                                  container_id="containerd://9f8e"): "_x8 1x12",
                             **resource("requests", "web-1", "app", "memory", 536870912)},
                     at="70m", interval="5m",
                     fires=[Fire({"namespace": "shop", "pod": "web-1", "container": "app", "resource": "cpu"}, value=1)]),
                Case("silent for a container with both requests",
                     series={**phase("web-1", "Running"), **container("web-1", "app"),
                             **resource("requests", "web-1", "app", "cpu", 0.25),
                             **resource("requests", "web-1", "app", "memory", 536870912)},
                     at="70m", interval="5m"),
                Case("silent after only 55m",
                     series={**phase("web-1", "Running"), **container("web-1", "app")},
                     at="55m", interval="5m"),
                Case("silent for a pod that is not running",
                     series={**phase("web-2", "Pending"), **container("web-2", "app")},
                     at="70m", interval="5m"),
            ],
        ),
        Alert(
            "KubeContainerWithoutMemoryLimit",
            dashboard="k8s-pod",
            expr="""
                """ + _running_containers(" " * 16) + """
                unless on (namespace, pod, container)
                  kube_pod_container_resource_limits{${kube_state_metrics}, resource="memory"}
            """,
            for_="1h",
            severity="info",
            namespaced=True,
            summary="Container runs without a memory limit.",
            description="Container {{ $labels.container }} of running pod {{ $labels.namespace }}/{{ $labels.pod }} has no memory limit: a leak can take its node's memory and get other pods evicted.",
            cases=[
                Case("fires after 1h for a container without a memory limit",
                     series={**phase("web-1", "Running"), **container("web-1", "app"),
                             **resource("limits", "web-1", "app", "cpu", 1)},
                     at="70m", interval="5m",
                     fires=[Fire({"namespace": "shop", "pod": "web-1", "container": "app"}, value=1)]),
                Case("silent for a container with a memory limit (and no CPU limit)",
                     series={**phase("web-1", "Running"), **container("web-1", "app"),
                             **resource("limits", "web-1", "app", "memory", 1073741824)},
                     at="70m", interval="5m"),
                Case("silent after only 55m",
                     series={**phase("web-1", "Running"), **container("web-1", "app")},
                     at="55m", interval="5m"),
                Case("silent for a completed pod",
                     series={**phase("web-2", "Succeeded"), **container("web-2", "app")},
                     at="70m", interval="5m"),
            ],
        ),
    ]),
]
