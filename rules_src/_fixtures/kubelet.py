"""Series of kubelet.py's cases: kube-state-metrics node conditions and taints, and the
kubelet's own metrics of node-1 (scraped at 10.0.0.11:10250) with its kubelet_node_name."""

KUBELET_1 = 'instance="10.0.0.11:10250"'
KUBELET_2 = 'instance="10.0.0.12:10250"'
# Maps the kubelet's scrape instance to its node name.
NODE_NAME_1 = {f'kubelet_node_name{{${{kubelet}}, {KUBELET_1}, node="node-1"}}': "1x40"}
NODE_1 = {"instance": "10.0.0.11:10250", "node": "node-1"}
_KSM = "kube-state-metrics"

READY = 'kube_node_status_condition{${kube_state_metrics}, node="node-1", condition="Ready", status="true"}'
READY_LABELS = {"job": _KSM, "node": "node-1", "condition": "Ready", "status": "true"}
UNREACHABLE = 'kube_node_spec_taint{${kube_state_metrics}, node="node-1", key="node.kubernetes.io/unreachable", effect="NoSchedule"}'
UNREACHABLE_LABELS = {"job": _KSM, "node": "node-1", "key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"}


def flapping(period: int, samples: int) -> str:
    """Ready 1/0 alternating every `period` samples (promtool `vxN` repeats N more times)."""
    blocks = -(-samples // period)
    return " ".join(f"{i % 2 ^ 1}x{period - 1}" for i in range(blocks))


def pods(running: int, capacity: int, node_capacity_series: str = 'node="node-1"') -> dict:
    """node-1's running pods (kubelet) and pod capacity (kube-state-metrics)."""
    return {
        f"kubelet_running_pods{{${{kubelet}}, {KUBELET_1}}}": f"{running}x20",
        **NODE_NAME_1,
        f'kube_node_status_capacity{{${{kube_state_metrics}}, {node_capacity_series}, resource="pods", unit="integer"}}': f"{capacity}x20",
    }


def buckets(metric: str, per_minute: dict[str, float]) -> dict:
    """A kubelet histogram of node-1; each cumulative bucket grows by `count` a minute."""
    series = {
        f'{metric}_bucket{{${{kubelet}}, {KUBELET_1}, le="{le}"}}': f"0+{count}x30"
        for le, count in per_minute.items()
    }
    return {**series, **NODE_NAME_1}
