"""kube-state-metrics series of resources.py's cases: node allocatable, pod requests with
their phases, and resource quotas."""

GIB = 1024**3


def nodes(resource: str, unit: str, sizes: list[float], n: int = 10) -> dict:
    """kube_node_status_allocatable of node-1, node-2, ... at `sizes`."""
    return {
        f'kube_node_status_allocatable{{${{kube_state_metrics}}, node="node-{i}", resource="{resource}", unit="{unit}"}}': f"{size:g}x{n}"
        for i, size in enumerate(sizes, 1)
    }


def pods(resource: str, unit: str, requests: dict[str, float], phase: str = "Running", n: int = 10) -> dict:
    """One single-container pod per entry, in namespace shop, in `phase`."""
    series = {}
    for pod, request in requests.items():
        series[f'kube_pod_container_resource_requests{{${{kube_state_metrics}}, namespace="shop", pod="{pod}", '
               f'container="app", node="node-1", resource="{resource}", unit="{unit}"}}'] = f"{request:g}x{n}"
        for p in ("Pending", "Running", "Succeeded", "Failed"):
            series[f'kube_pod_status_phase{{${{kube_state_metrics}}, namespace="shop", pod="{pod}", phase="{p}"}}'] = (
                f"{1 if p == phase else 0}x{n}")
    return series


def quotas(hard: dict[tuple[str, str, str], float], used: dict[tuple[str, str, str], float] | None = None,
           n: int = 20) -> dict:
    """kube_resourcequota series keyed by (namespace, resourcequota, resource)."""
    series = {}
    for kind, values in (("hard", hard), ("used", used or {})):
        for (namespace, quota, resource), value in values.items():
            series[f'kube_resourcequota{{${{kube_state_metrics}}, namespace="{namespace}", resourcequota="{quota}", '
                   f'resource="{resource}", type="{kind}"}}'] = value if isinstance(value, str) else f"{value:g}x{n}"
    return series
