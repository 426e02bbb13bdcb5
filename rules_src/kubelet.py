"""Nodes as Kubernetes sees them, and the kubelet: readiness, reachability, pod capacity,
PLEG relist latency, pod start-up latency, and whether Prometheus can scrape kubelets at all.

Node state comes from kube-state-metrics (kube_node_*); kubelet internals from the kubelet's
own /metrics endpoint. kubelet series carry the scrape `instance` (IP:port), not the node
name, so alerts about a node join kubelet_node_name (value 1, labels instance and node).
"""

from gen.model import Alert, Case, Duration, Fire, Group, Record, moved

from ._fixtures.kubelet import (
    KUBELET_1, KUBELET_2, NODE_1, READY, READY_LABELS, UNREACHABLE, UNREACHABLE_LABELS, buckets, flapping, pods,
)

# The node dashboard by node name only: these series' `instance` is the kubelet's or
# kube-state-metrics' address, not node-exporter's, which that dashboard's `instance` means.
_NODE_VARS = {"node": "{{ $labels.node }}"}

_PLEG_P99 = "node_quantile:kubelet_pleg_relist_duration_seconds:histogram_quantile"


groups = [
    Group("kubernetes-nodes", [
        Alert(
            "KubeNodeNotReady",
            dashboard="k8s-node", dashboard_vars=_NODE_VARS,
            # status="true" == 0 covers both Ready=False and Ready=Unknown (kubelet silent).
            expr="""
                max without (instance) (
                  kube_node_status_condition{${kube_state_metrics}, condition="Ready", status="true"} == 0
                )
            """,
            for_="15m",
            severity="warning",
            summary="Node is not Ready.",
            description="Node {{ $labels.node }} is not Ready (its Ready condition is False or Unknown): no new pods start there, and its pods are evicted once their not-ready toleration runs out.",
            cases=[
                Case("fires after 15m not Ready",
                     series={READY: "0x30"}, at="20m",
                     fires=[Fire(READY_LABELS, value=0)]),
                Case("fires once, 15m on, across a move of kube-state-metrics to another address",
                     series=moved({READY: "0x30"}, after=10), at="20m",
                     fires=[Fire(READY_LABELS, value=0)]),
                Case("silent while Ready",
                     series={READY: "1x30"}, at="20m"),
                Case("silent when not Ready for less than 15m",
                     series={READY: "1x5 0x30"}, at="15m"),
            ],
        ),
        Alert(
            "KubeNodeUnreachable",
            dashboard="k8s-node", dashboard_vars=_NODE_VARS,
            # A node the cluster autoscaler (or a spot-termination handler) is removing
            # becomes unreachable on purpose: its deletion taint silences the alert.
            expr="""
                max without (instance) (
                  (
                    kube_node_spec_taint{${kube_state_metrics}, key="node.kubernetes.io/unreachable", effect="NoSchedule"}
                  unless ignoring (key, value, effect)
                    kube_node_spec_taint{${kube_state_metrics}, key=~"${deletion_taints}"}
                  ) == 1
                )
            """,
            params={"deletion_taints": "ToBeDeletedByClusterAutoscaler|cloud.google.com/impending-node-termination|aws-node-termination-handler/spot-itn"},
            for_="2m",
            severity="warning",
            summary="Node is unreachable.",
            description="Node {{ $labels.node }} carries the {{ $labels.key }} taint: the node controller lost contact with its kubelet. Its pods will be evicted and rescheduled elsewhere.",
            cases=[
                Case("fires after 2m with the unreachable taint",
                     series={UNREACHABLE: "1x10"}, at="5m",
                     fires=[Fire(UNREACHABLE_LABELS, value=1)]),
                Case("silent when tainted for less than 2m",
                     series={UNREACHABLE: "_x3 1x10"}, at="4m"),
                Case("silent while the cluster autoscaler deletes the node",
                     series={UNREACHABLE: "1x10",
                             'kube_node_spec_taint{${kube_state_metrics}, node="node-1", key="ToBeDeletedByClusterAutoscaler", value="1700000000", effect="NoSchedule"}': "1x10"},
                     at="5m"),
                Case("silent for other taints",
                     series={'kube_node_spec_taint{${kube_state_metrics}, node="node-1", key="dedicated", value="gpu", effect="NoSchedule"}': "1x10"},
                     at="5m"),
            ],
        ),
        Alert(
            "KubeNodeReadinessFlapping",
            dashboard="k8s-node", dashboard_vars=_NODE_VARS,
            expr="""
                sum by (node) (
                  max without (instance) (changes(kube_node_status_condition{${kube_state_metrics}, condition="Ready", status="true"}[${window}]))
                ) > ${threshold}
            """,
            params={"threshold": 2, "window": Duration("15m")},
            for_="15m",
            severity="warning",
            summary="Node readiness is flapping.",
            description="The Ready condition of node {{ $labels.node }} changed {{ $value | humanize }} times in ${window} (threshold ${threshold}); pods on it are repeatedly marked not ready and may be evicted.",
            cases=[
                # Flipping every 5 samples: any 15m window holds exactly 3 changes.
                Case("fires at 3 changes in 15m (just over the threshold), sustained 15m",
                     series={READY: flapping(5, 45)}, at="35m",
                     fires=[Fire({"node": "node-1"}, value=3)]),
                # Flipping every 8 samples: at most 2 changes in any 15m window.
                Case("silent at 2 changes in 15m (the threshold)",
                     series={READY: flapping(8, 48)}, at="35m"),
                Case("silent when flapping for less than 15m",
                     series={READY: flapping(5, 45)}, at="28m"),
                Case("silent for a steadily Ready node",
                     series={READY: "1x45"}, at="35m"),
            ],
        ),
    ]),
    Group("kubelet", [
        Alert(
            "KubeletTooManyPods",
            dashboard="k8s-node", dashboard_vars=_NODE_VARS,
            # kubelet_running_pods (pods with a running sandbox) per kubelet, named by node;
            # capacity 1 marks virtual nodes (e.g. Fargate, virtual-kubelet), left out.
            expr="""
                max by (node) (
                    max by (instance) (kubelet_running_pods{${kubelet}})
                  * on (instance) group_left (node)
                    max by (instance, node) (kubelet_node_name{${kubelet}})
                )
                / on (node)
                max by (node) (kube_node_status_capacity{${kube_state_metrics}, resource="pods"} != 1)
                > ${threshold}
            """,
            params={"threshold": 0.95},
            for_="15m",
            severity="warning",
            summary="Kubelet is running close to its pod capacity.",
            description="Kubelet on node {{ $labels.node }} runs {{ $value | humanizePercentage }} of the pods its node can hold (threshold ratio ${threshold}); further pods will not be scheduled there.",
            cases=[
                Case("fires at 105 of 110 pods (95.5%) after 15m",
                     series=pods(105, 110), at="20m",
                     fires=[Fire({"node": "node-1"}, value=105 / 110)]),
                Case("silent just under the threshold (104 of 110, 94.5%)",
                     series=pods(104, 110), at="20m"),
                Case("silent above the threshold for less than 15m",
                     series=pods(105, 110), at="10m"),
                Case("silent for a virtual node with a capacity of 1 pod",
                     series=pods(1, 1), at="20m"),
            ],
        ),
        Record(
            _PLEG_P99,
            expr="""
                histogram_quantile(0.99,
                    sum by (instance, le) (rate(kubelet_pleg_relist_duration_seconds_bucket{${kubelet}}[5m]))
                  * on (instance) group_left (node)
                    max by (instance, node) (kubelet_node_name{${kubelet}})
                )
            """,
            labels={"quantile": "0.99"},
        ),
        Alert(
            "KubeletPlegDurationHigh",
            dashboard="k8s-node", dashboard_vars=_NODE_VARS,
            # The histogram's highest finite bucket is 10s: a p99 beyond it reads as exactly 10,
            # hence >= (as in the original table).
            expr=f"""
                {_PLEG_P99}{{quantile="0.99"}} >= ${{threshold_seconds}}
            """,
            params={"threshold_seconds": 10},
            for_="5m",
            severity="warning",
            summary="Kubelet PLEG relisting is slow (p99 at least ${threshold_seconds}s).",
            description="Kubelet on node {{ $labels.node }}: the 99th percentile of the Pod Lifecycle Event Generator relist takes {{ $value | humanizeDuration }}; at 3 minutes without a relist the node turns NotReady (\"PLEG is not healthy\").",
            cases=[
                # 100 relists a minute, 2 slower than 10s: p99 falls in the +Inf bucket, read as 10s.
                Case("fires when p99 relist reaches 10s for 5m",
                     series=buckets("kubelet_pleg_relist_duration_seconds", {"5": 97, "10": 98, "+Inf": 100}), at="10m",
                     fires=[Fire({**NODE_1, "quantile": "0.99"}, value=10)]),
                Case("silent just under the threshold (p99 9.75s)",
                     series=buckets("kubelet_pleg_relist_duration_seconds", {"5": 80, "10": 100, "+Inf": 100}), at="10m"),
                Case("silent when slow for less than 5m",
                     series=buckets("kubelet_pleg_relist_duration_seconds", {"5": 97, "10": 98, "+Inf": 100}), at="4m"),
            ],
        ),
        Alert(
            "KubeletPodStartUpLatencyHigh",
            dashboard="k8s-node", dashboard_vars=_NODE_VARS,
            # kubelet_pod_start_sli_duration_seconds (Kubernetes 1.27+): creation to all
            # containers started, image pulls excluded; buckets reach 3600s. The table's
            # kubelet_pod_worker_duration_seconds tops out at a 10s bucket, so its p99 can
            # never exceed 60.
            expr="""
                histogram_quantile(0.99,
                  sum by (instance, le) (rate(kubelet_pod_start_sli_duration_seconds_bucket{${kubelet}}[${rate_window}]))
                )
                * on (instance) group_left (node)
                max by (instance, node) (kubelet_node_name{${kubelet}})
                > ${threshold_seconds}
            """,
            params={"threshold_seconds": 60, "rate_window": Duration("5m")},
            for_="15m",
            severity="warning",
            summary="Pods start slowly (p99 over ${threshold_seconds}s).",
            description="Kubelet on node {{ $labels.node }}: the 99th percentile pod start-up time (image pulls excluded) is {{ $value | humanizeDuration }}.",
            cases=[
                # 100 pod starts a minute, 2 slower than 60s: p99 lies in (60, 120].
                Case("fires when p99 start-up exceeds 60s for 15m",
                     series=buckets("kubelet_pod_start_sli_duration_seconds", {"30": 95, "45": 97, "60": 98, "120": 100, "+Inf": 100}),
                     at="20m", fires=[Fire(NODE_1, value=60 + 60 * (99 - 98) / (100 - 98))]),
                Case("silent just under the threshold (p99 55s)",
                     series=buckets("kubelet_pod_start_sli_duration_seconds", {"30": 95, "45": 97, "60": 100, "120": 100, "+Inf": 100}),
                     at="20m"),
                Case("silent when slow for less than 15m",
                     series=buckets("kubelet_pod_start_sli_duration_seconds", {"30": 95, "45": 97, "60": 98, "120": 100, "+Inf": 100}),
                     at="10m"),
            ],
        ),
        Alert(
            "KubeletDown",
            dashboard="k8s-cluster",
            # absent() returns one label-less series: the description cannot name an instance.
            expr="""
                absent(up{${kubelet}} == 1)
            """,
            for_="15m",
            severity="critical",
            summary="No kubelet target is up.",
            description="Prometheus has not scraped any kubelet (up{${kubelet}}) successfully: every kubelet is down or gone from target discovery. Node, pod and volume metrics from kubelets are missing, and the alerts built on them are blind.",
            cases=[
                Case("fires when the only kubelet target is down",
                     series={f"up{{${{kubelet}}, {KUBELET_1}}}": "0x20"}, at="16m",
                     fires=[Fire({}, value=1)]),
                Case("fires when no kubelet target exists at all",
                     series={'up{job="node-exporter", instance="10.0.0.11:9100"}': "1x20"}, at="16m",
                     fires=[Fire({}, value=1)]),
                Case("silent when one of two kubelets is up",
                     series={f"up{{${{kubelet}}, {KUBELET_1}}}": "0x20", f"up{{${{kubelet}}, {KUBELET_2}}}": "1x20"},
                     at="16m"),
                Case("silent when down for less than 15m",
                     series={f"up{{${{kubelet}}, {KUBELET_1}}}": "1x5 0x20"}, at="16m"),
            ],
        ),
    ]),
]
