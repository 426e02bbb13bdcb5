"""Pod series: kube-state-metrics' pod and container objects, and cAdvisor's cgroups as the
kubelet serves them on /metrics/cadvisor (a series per container, one for the pod's own
cgroup, one for the sandbox), so an expression that forgets `container!=""` counts twice."""

import hashlib

from gen.series_values import expand, join

PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")
GIB = 1024 ** 3
WEB_1 = {"namespace": "shop", "pod": "web-1"}
KUBELET = "10.0.0.12:10250"  # the node's kubelet, which serves cAdvisor's metrics
PAUSE_IMAGE = "registry.k8s.io/pause:3.9"


def ksm(metric: str, **labels: str) -> str:
    """A kube-state-metrics series in promtool notation (namespace "shop" unless given)."""
    labels = {"namespace": "shop", **labels}
    inner = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    return f"{metric}{{${{kube_state_metrics}}, {inner}}}"


def phase(pod: str, current: str, samples: int = 20, ns: str = "shop") -> dict:
    """kube_pod_status_phase of one pod: 1 for its current phase, 0 for the others."""
    return {ksm("kube_pod_status_phase", namespace=ns, pod=pod, phase=p): f"{1 if p == current else 0}x{samples}"
            for p in PHASES}


def owner(pod: str, kind: str, name: str, samples: int = 20) -> dict:
    return {ksm("kube_pod_owner", pod=pod, owner_kind=kind, owner_name=name, owner_is_controller="true"): f"1x{samples}"}


def ready(pod: str, ready: str, samples: int = 20) -> dict:
    """kube_pod_status_ready of one pod: `ready` is the value of condition="true" (1 or 0)."""
    other = "0" if ready == "1" else "1"
    return {ksm("kube_pod_status_ready", pod=pod, condition="true"): f"{ready}x{samples}",
            ksm("kube_pod_status_ready", pod=pod, condition="false"): f"{other}x{samples}"}


def info(pod: str, node: str, samples: int = 20) -> dict:
    """kube_pod_info of one pod; node "" while it is not scheduled (the label is then absent)."""
    return {ksm("kube_pod_info", pod=pod, node=node, host_ip="10.0.0.12" if node else "", pod_ip="10.42.2.17" if node else "",
                created_by_kind="ReplicaSet", created_by_name="web-7d9f"): f"1x{samples}"}


def container(pod: str, container: str, samples: int = 20, container_id: str = "containerd://0a1b") -> dict:
    return {ksm("kube_pod_container_info", pod=pod, container=container, image="registry.local/web:1.4",
                container_id=container_id): f"1x{samples}"}


def resource(kind: str, pod: str, container: str, resource: str, value: float, samples: int = 20) -> dict:
    """kube_pod_container_resource_requests or _limits (kind) of one container."""
    unit = "core" if resource == "cpu" else "byte"
    return {ksm(f"kube_pod_container_resource_{kind}", pod=pod, container=container, resource=resource, unit=unit):
            f"{value}x{samples}"}


def limit(pod: str, container: str, resource: str, values: str) -> dict:
    """kube_pod_container_resource_limits of one container, in promtool values."""
    unit = "core" if resource == "cpu" else "byte"
    return {ksm("kube_pod_container_resource_limits", pod=pod, container=container, resource=resource, unit=unit): values}


def cadvisor(metric: str, containers: dict[str, str], pod: str = "web-1", namespace: str = "shop",
             sandbox: str | None = None) -> dict:
    """One pod's series of a cAdvisor metric, `containers` mapping each container to its values:
    besides a series per container, the pod's own cgroup (container="", image="", its values
    the sum of all below it) and the sandbox's (pause image, `sandbox` values, none for the
    CFS metrics, which cAdvisor reports only for cgroups with a CPU quota). Every series
    carries the labels the kubelet gives cAdvisor's: container, id, image, name, namespace, pod
    (and cpu="total" on container_cpu_usage_seconds_total)."""
    if sandbox is None:
        sandbox = "" if metric.startswith("container_cpu_cfs_") else _zeros(next(iter(containers.values())))
    uid = hashlib.sha1(f"{namespace}/{pod}".encode()).hexdigest()
    slice_ = f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{uid[:8]}_{uid[8:12]}.slice"
    extra = ', cpu="total"' if metric == "container_cpu_usage_seconds_total" else ""

    def series(name: str, image: str, cgroup: str, runtime_id: str) -> str:
        return (f'{metric}{{${{cadvisor}}, instance="{KUBELET}", namespace="{namespace}", pod="{pod}", container="{name}", '
                f'id="{cgroup}", image="{image}", name="{runtime_id}"{extra}}}')

    out = {}
    parts = [v for v in containers.values()] + ([sandbox] if sandbox else [])
    for name, values in containers.items():
        cid = hashlib.sha1(f"{uid}/{name}".encode()).hexdigest()
        out[series(name, "registry.local/web:1.4", f"{slice_}/cri-containerd-{cid}.scope", cid)] = values
    if sandbox:
        sid = hashlib.sha1(f"{uid}/sandbox".encode()).hexdigest()
        out[series("", PAUSE_IMAGE, f"{slice_}/cri-containerd-{sid}.scope", sid)] = sandbox
    out[series("", "", slice_, "")] = _sum(parts)
    return out


def _sum(parts: list[str]) -> str:
    expanded = [expand(p) for p in parts]
    return join([sum(samples) for samples in zip(*expanded)])


def _zeros(values: str) -> str:
    return join([0.0] * len(expand(values)))
