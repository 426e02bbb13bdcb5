"""Volume series: the kubelet's volume stats of a mounted PVC (labels namespace and
persistentvolumeclaim, besides the scrape's job, instance, metrics_path) and
kube-state-metrics' PersistentVolume and PersistentVolumeClaim objects."""

from gen.series_values import expand, join

_PVC = 'instance="10.0.0.12:10250", namespace="db", persistentvolumeclaim="data-pg-0"'
PVC_LABELS = {"job": "kubelet", "metrics_path": "/metrics", "instance": "10.0.0.12:10250",
              "namespace": "db", "persistentvolumeclaim": "data-pg-0"}
CAPACITY = 100_000_000_000


def volume(available: str, used: str | None = None) -> dict:
    """kubelet volume stats of PVC db/data-pg-0 (100 GB): available bytes in promtool's
    notation, used bytes the rest of the capacity unless given."""
    if used is None:
        used = join([CAPACITY - v for v in expand(available)])
    return {
        f"kubelet_volume_stats_available_bytes{{${{kubelet}}, {_PVC}}}": available,
        f"kubelet_volume_stats_used_bytes{{${{kubelet}}, {_PVC}}}": used,
        f"kubelet_volume_stats_capacity_bytes{{${{kubelet}}, {_PVC}}}": f"{CAPACITY}x10",
    }


def claim(metric: str, values: str, **labels: str) -> dict:
    """A kube-state-metrics series of PVC db/data-pg-0 (kube_persistentvolumeclaim_*)."""
    extra = "".join(f', {k}="{v}"' for k, v in labels.items())
    return {f'{metric}{{${{kube_state_metrics}}, namespace="db", persistentvolumeclaim="data-pg-0"{extra}}}': values}


def pv_phase(pv: str, phase: str, values: str) -> dict:
    return {f'kube_persistentvolume_status_phase{{${{kube_state_metrics}}, persistentvolume="{pv}", phase="{phase}"}}': values}
