"""Series of control_plane.py's cases: `up` of scrape targets, and kube-state-metrics'
own list/watch request counters."""

KSM_LABELS = {"job": "kube-state-metrics"}


def targets(job: str, namespace: str, service: str, port: int, up: int, down: int, values_down: str = "0x20") -> dict:
    """`up` series of one job: `up` targets at 1, `down` targets at `values_down`."""
    labels = f'job="{job}", namespace="{namespace}", service="{service}"'
    series = {f'up{{{labels}, instance="10.0.1.{i}:{port}"}}': "1x20" for i in range(up)}
    series.update({f'up{{{labels}, instance="10.0.2.{i}:{port}"}}': values_down for i in range(down)})
    return series


def ksm_ops(metric: str, errors_per_minute: float, total_per_minute: float) -> dict:
    """kube-state-metrics list/watch counters for pods: errors and successes growing each minute."""
    return {
        f'{metric}{{${{kube_state_metrics}}, instance="10.0.3.5:8080", resource="*v1.Pod", result="error"}}': f"0+{errors_per_minute}x30",
        f'{metric}{{${{kube_state_metrics}}, instance="10.0.3.5:8080", resource="*v1.Pod", result="success"}}': f"0+{total_per_minute - errors_per_minute}x30",
    }
