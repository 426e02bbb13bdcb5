"""A fake Kubernetes cluster's exporters on one local HTTP server, for tests that need a real
Prometheus to scrape something cluster-shaped (online lint, the end-to-end alert test).

It imitates, with today's metric names and labels, what Prometheus scrapes in a kube-prometheus
setup: kube-state-metrics, node-exporter (one per node), the kubelet's /metrics and its
cAdvisor endpoint /metrics/cadvisor (one per node), etcd (one member per control-plane
node), and redis_exporter 1.45 next to shop/cache-0's Redis. One port serves them all; the
query string says which exporter and which node:

    GET /metrics?component=kube-state-metrics
    GET /metrics?component=node-exporter&node=node-2
    GET /metrics?component=kubelet&node=node-2
    GET /metrics/cadvisor?node=node-2                 (the kubelet's cAdvisor endpoint)
    GET /metrics?component=etcd&node=node-1
    GET /metrics?component=redis                     (shop/cache-0's redis_exporter sidecar)
    GET /control                                      the problems' state, as JSON
    POST /control {"crashloop": true, ...}            switch problems on or off (others kept)

`scrape_configs(address)` gives the Prometheus scrape configuration that labels the series the
way the catalog's selectors expect (job="kube-state-metrics", job="node-exporter",
job="kubelet" with metrics_path="/metrics" or "/metrics/cadvisor", job="etcd", job="redis") and gives each
target its real-looking `instance` (10.0.0.x:port) and, for the kubelet, its `node`.

Problems, all off at start (`Problems`):
  crashloop        shop/payments-* container `app` is in CrashLoopBackOff: the waiting reason
                   series appears, its restart counter climbs (one restart per 10 s), the pod
                   is not ready, its Deployment has 0 of 1 available
  memory_pressure  shop/cache-0 container `redis` works at 90% of its 1 GiB limit (else 40%)
  disk_full        node-2's root filesystem (/dev/sda1 on /) has 3% free (else 62%)
  etcd_no_leader   the etcd member on node-3 reports etcd_server_has_leader 0
  conntrack_full   node-1's conntrack table is 90% full (else 2%)
  too_many_pods    the kubelet on node-3 runs 108 pods of its capacity of 110
  quota_exceeded   ResourceQuota shop/compute has 95% of its requests.cpu used (else 50%)
  cpu_throttling   shop/web-*-2xkqp container `app` is throttled in 60% of its CFS periods (else 2%)
  redis_memory_full  shop/cache-0's Redis uses 95% of its maxmemory (768 MiB; else 40%)

Not served, as in a cluster without such objects or components: Jobs, CronJobs, HPAs,
the API server, scheduler, controller-manager, kube-proxy, CoreDNS, ingress
controller, Prometheus and Alertmanager self-metrics, MySQL, PostgreSQL and Kafka exporters. `served()` lists every metric name with
its label names per (job, metrics_path), so tests can derive their expectations from it.

Run it by hand: `python tests/support/fixture_exporter.py --port 9999` logs the scrape configuration.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import threading
import time
from dataclasses import asdict, dataclass, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger("fixture_exporter")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
RESTART_EVERY_S = 10.0  # a crash-looping container restarts this often (real back-off is longer)
GIB = 1024 ** 3


@dataclass
class Problems:
    crashloop: bool = False
    memory_pressure: bool = False
    disk_full: bool = False
    etcd_no_leader: bool = False
    conntrack_full: bool = False
    too_many_pods: bool = False
    quota_exceeded: bool = False
    cpu_throttling: bool = False
    redis_memory_full: bool = False


# --- the cluster ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    name: str
    ip: str
    control_plane: bool


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    cpu_request: float  # cores
    cpu_limit: float
    memory_request: int  # bytes
    memory_limit: int
    cpu_usage: float  # cores in use
    memory_usage: float  # share of the limit in use


@dataclass(frozen=True)
class Pod:
    namespace: str
    name: str
    node: str
    owner_kind: str  # ReplicaSet, StatefulSet, DaemonSet
    owner_name: str
    containers: tuple[Container, ...]
    uid: str
    ip: str

    @property
    def workload(self) -> tuple[str, str]:
        """(kind, name) of the controller above the owner: a ReplicaSet's Deployment."""
        if self.owner_kind == "ReplicaSet":
            return "Deployment", self.owner_name.rsplit("-", 1)[0]
        return self.owner_kind, self.owner_name


NODES = (
    Node("node-1", "10.0.0.1", True),
    Node("node-2", "10.0.0.2", True),
    Node("node-3", "10.0.0.3", True),
)

_APP = Container("app", "registry.example.com/shop/web:1.8.2", 0.25, 1.0, 256 * 1024 ** 2, 512 * 1024 ** 2, 0.12, 0.45)
_PAY = Container("app", "registry.example.com/shop/payments:3.1.0", 0.2, 0.5, 128 * 1024 ** 2, 256 * 1024 ** 2, 0.05, 0.5)
_REDIS = Container("redis", "docker.io/library/redis:7.2", 0.1, 0.5, 512 * 1024 ** 2, GIB, 0.03, 0.40)
_PROXY = Container("kube-proxy", "registry.k8s.io/kube-proxy:v1.29.4", 0.05, 0.0, 64 * 1024 ** 2, 0, 0.01, 0.0)

PODS = (
    Pod("shop", "web-7d4b9c6f5-2xkqp", "node-1", "ReplicaSet", "web-7d4b9c6f5", (_APP,), "6f1c0e7a-0001", "10.244.1.11"),
    Pod("shop", "web-7d4b9c6f5-9mzt4", "node-2", "ReplicaSet", "web-7d4b9c6f5", (_APP,), "6f1c0e7a-0002", "10.244.2.12"),
    Pod("shop", "payments-5f6d8b7c9-k2m4p", "node-3", "ReplicaSet", "payments-5f6d8b7c9", (_PAY,), "6f1c0e7a-0003", "10.244.3.13"),
    Pod("shop", "cache-0", "node-2", "StatefulSet", "cache", (_REDIS,), "6f1c0e7a-0004", "10.244.2.14"),
    *(Pod("kube-system", f"kube-proxy-{suffix}", node.name, "DaemonSet", "kube-proxy", (_PROXY,), f"6f1c0e7a-01{n}", node.ip)
      for n, (suffix, node) in enumerate(zip(("7hq2d", "c4wnx", "p9rtl"), NODES))),
)
CRASHLOOP_POD = PODS[2]
MEMORY_POD = PODS[3]
DISK_NODE = NODES[1]
NO_LEADER_NODE = NODES[2]
CONNTRACK_NODE = NODES[0]
BUSY_KUBELET_NODE = NODES[2]
THROTTLED_POD = PODS[0]
QUOTA = ("shop", "compute")  # namespace, name of the one ResourceQuota
CACHE_PVC = "data-cache-0"
REDIS_POD = PODS[3]  # shop/cache-0 runs Redis, with redis_exporter as a sidecar
REDIS_MAXMEMORY = 768 * 1024 ** 2

# Where Prometheus finds each exporter: job, metrics path, query parameters, the `instance`
# it shows, and extra target labels.
KSM_INSTANCE = "10.244.1.5:8080"
NODE_EXPORTER_PORT, KUBELET_PORT, ETCD_PORT, REDIS_EXPORTER_PORT = 9100, 10250, 2379, 9121
REDIS_INSTANCE = f"{REDIS_POD.ip}:{REDIS_EXPORTER_PORT}"


@dataclass(frozen=True)
class Target:
    job: str
    metrics_path: str
    params: dict
    instance: str
    labels: dict


def targets() -> list[Target]:
    out = [Target("kube-state-metrics", "/metrics", {"component": "kube-state-metrics"}, KSM_INSTANCE, {})]
    for node in NODES:
        out.append(Target("node-exporter", "/metrics", {"component": "node-exporter", "node": node.name},
                          f"{node.ip}:{NODE_EXPORTER_PORT}", {}))
        out.append(Target("kubelet", "/metrics", {"component": "kubelet", "node": node.name},
                          f"{node.ip}:{KUBELET_PORT}", {"node": node.name}))
        out.append(Target("kubelet", "/metrics/cadvisor", {"node": node.name},
                          f"{node.ip}:{KUBELET_PORT}", {"node": node.name}))
        if node.control_plane:
            out.append(Target("etcd", "/metrics", {"component": "etcd", "node": node.name},
                              f"{node.ip}:{ETCD_PORT}", {}))
    out.append(Target("redis", "/metrics", {"component": "redis"}, REDIS_INSTANCE, {}))
    return out


def scrape_configs(address: str, interval: str = "1s") -> list[dict]:
    """Prometheus `scrape_configs` for an exporter at `address` (host:port). Like
    kube-prometheus, the kubelet's two endpoints share job="kubelet" and carry a
    `metrics_path` label; `__param_*` target labels pick the node on the shared port."""
    by_key: dict[tuple[str, str], list[Target]] = {}
    for t in targets():
        by_key.setdefault((t.job, t.metrics_path), []).append(t)
    configs = []
    for (job, path), group in by_key.items():
        name = job if path == "/metrics" else f"{job}{path.replace('/', '-')}"
        static = []
        for t in group:
            labels = {"instance": t.instance, **t.labels, **{f"__param_{k}": v for k, v in t.params.items()}}
            static.append({"targets": [address], "labels": labels})
        config = {"job_name": name, "scrape_interval": interval, "metrics_path": path,
                  "honor_labels": job == "kubelet",  # the kubelet's own `node` label wins, as in kube-prometheus
                  "static_configs": static}
        if job == "kubelet":
            config["relabel_configs"] = [
                {"source_labels": ["__metrics_path__"], "target_label": "metrics_path"},
                {"target_label": "job", "replacement": "kubelet"},
            ]
        configs.append(config)
    return configs


# --- exposition ---------------------------------------------------------------------------------


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


class Exposition:
    """Builds one scrape's text: families in the order added, samples under their HELP/TYPE."""

    def __init__(self):
        self._families: dict[str, tuple[str, str, list[str]]] = {}
        self.names: dict[str, set[str]] = {}  # sample name -> label names, for served()

    def family(self, name: str, kind: str, help_text: str) -> None:
        self._families.setdefault(name, (kind, help_text, []))

    def sample(self, family: str, name: str, labels: dict, value: float) -> None:
        text = ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items())
        self._families[family][2].append(f"{name}{{{text}}} {_number(value)}" if text else f"{name} {_number(value)}")
        self.names.setdefault(name, set()).update(labels)

    def gauge(self, name: str, help_text: str, samples: list[tuple[dict, float]], kind: str = "gauge") -> None:
        self.family(name, kind, help_text)
        for labels, value in samples:
            self.sample(name, name, labels, value)

    def counter(self, name: str, help_text: str, samples: list[tuple[dict, float]]) -> None:
        self.gauge(name, help_text, samples, kind="counter")

    def histogram(self, name: str, help_text: str, buckets: tuple[float, ...],
                  series: list[tuple[dict, float, float]]) -> None:
        """series: (labels, observations so far, typical value); the observations fall
        around the typical value, so quantiles come out near it."""
        self.family(name, "histogram", help_text)
        for labels, count, typical in series:
            count = math.floor(count)
            for le in buckets:
                share = 0.0 if le < typical * 0.5 else 0.6 if le < typical else 1.0
                self.sample(name, f"{name}_bucket", {**labels, "le": _number(float(le))}, math.floor(count * share))
            self.sample(name, f"{name}_bucket", {**labels, "le": "+Inf"}, count)
            self.sample(name, f"{name}_sum", labels, round(count * typical, 6))
            self.sample(name, f"{name}_count", labels, count)

    def text(self) -> str:
        lines = []
        for name, (kind, help_text, samples) in self._families.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *samples]
        return "\n".join(lines) + "\n"


_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Cluster:
    """The cluster's state over time: counters grow with the seconds since start, problems
    change what the exporters report from the moment they are switched."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._start = clock()
        self._lock = threading.Lock()
        self._problems = Problems()
        self._restarts_before = 0  # restarts of the crash-looping container before the current episode
        self._crash_since: float | None = None
        self._throttled_before = 0.0  # seconds of throttling before the current episode
        self._throttled_since: float | None = None

    # state

    def problems(self) -> Problems:
        with self._lock:
            return Problems(**asdict(self._problems))

    def set_problems(self, **changes: bool) -> Problems:
        known = {f.name for f in fields(Problems)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise KeyError(f"unknown problem(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        bad = [k for k, v in changes.items() if not isinstance(v, bool)]
        if bad:
            raise ValueError(f"{bad[0]}: must be true or false, not {changes[bad[0]]!r}")
        with self._lock:
            now = self._clock()
            if "crashloop" in changes and changes["crashloop"] != self._problems.crashloop:
                if changes["crashloop"]:
                    self._crash_since = now
                else:
                    self._restarts_before = self._restarts(now)
                    self._crash_since = None
            if "cpu_throttling" in changes and changes["cpu_throttling"] != self._problems.cpu_throttling:
                if changes["cpu_throttling"]:
                    self._throttled_since = now
                else:
                    self._throttled_before = self._throttled(now)
                    self._throttled_since = None
            for key, value in changes.items():
                setattr(self._problems, key, value)
            return Problems(**asdict(self._problems))

    def _throttled(self, now: float) -> float:
        """Seconds THROTTLED_POD has been throttled hard, over all episodes (its counter only grows)."""
        return self._throttled_before + (now - self._throttled_since if self._throttled_since is not None else 0.0)

    def _restarts(self, now: float) -> int:
        if self._crash_since is None:
            return self._restarts_before
        return self._restarts_before + 1 + int((now - self._crash_since) // RESTART_EVERY_S)

    def _snapshot(self, problems: Problems | None) -> tuple[Problems, float, int, float]:
        with self._lock:
            now = self._clock()
            restarts, throttled = self._restarts(now), self._throttled(now)
            if problems is None:
                return Problems(**asdict(self._problems)), now - self._start, restarts, throttled
            return (problems, now - self._start, max(restarts, 1) if problems.crashloop else restarts,
                    max(throttled, 1.0) if problems.cpu_throttling else throttled)

    # exporters

    def render(self, component: str, node: str | None, problems: Problems | None = None) -> Exposition:
        """One scrape of `component` (on `node`), in the current state or as it would be with
        `problems`; KeyError naming what is unknown (component or node)."""
        problems, elapsed, restarts, throttled = self._snapshot(problems)
        exp = Exposition()
        if component == "kube-state-metrics":
            self._kube_state_metrics(exp, problems, elapsed, restarts)
            return exp
        if component == "redis":
            self._redis(exp, problems, elapsed)
            return exp
        by_name = {n.name: n for n in NODES}
        if node not in by_name:
            raise KeyError(f"node {node!r} (known: {', '.join(by_name)})")
        n = by_name[node]
        if component == "node-exporter":
            self._node_exporter(exp, n, problems, elapsed)
        elif component == "kubelet":
            self._kubelet(exp, n, problems, elapsed)
        elif component == "cadvisor":
            self._cadvisor(exp, n, problems, elapsed, throttled)
        elif component == "etcd" and n.control_plane:
            self._etcd(exp, n, problems, elapsed)
        else:
            raise KeyError(f"component {component!r} (known: kube-state-metrics, node-exporter, kubelet, cadvisor, etcd, redis)")
        return exp

    def _kube_state_metrics(self, exp: Exposition, p: Problems, elapsed: float, restarts: int) -> None:
        crashing = p.crashloop
        conditions = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")
        exp.gauge("kube_node_info", "Information about a cluster node.", [
            ({"node": n.name, "internal_ip": n.ip, "kernel_version": "6.1.0-21-amd64", "kubelet_version": "v1.29.4",
              "container_runtime_version": "containerd://1.7.13", "os_image": "Debian GNU/Linux 12 (bookworm)"}, 1)
            for n in NODES])
        exp.gauge("kube_node_status_condition", "The condition of a cluster node.", [
            ({"node": n.name, "condition": c, "status": s},
             1 if (s == "true") == (c == "Ready") and s != "unknown" else 0)
            for n in NODES for c in conditions for s in ("true", "false", "unknown")])
        resources = (("cpu", "core", 4), ("memory", "byte", 16 * GIB), ("pods", "integer", 110))
        for kind in ("capacity", "allocatable"):
            exp.gauge(f"kube_node_status_{kind}", f"The {kind} for different resources of a node.", [
                ({"node": n.name, "resource": r, "unit": u}, v * (0.95 if kind == "allocatable" and r != "pods" else 1))
                for n in NODES for r, u, v in resources])
        exp.gauge("kube_node_spec_taint", "The taint of a cluster node.", [
            ({"node": n.name, "key": "node-role.kubernetes.io/control-plane", "value": "", "effect": "PreferNoSchedule"}, 1)
            for n in NODES[:1]])

        pod_info, owner, phase, ready, reason = [], [], [], [], []
        c_info, c_req, c_lim, c_restarts, c_waiting, c_last, c_ready = [], [], [], [], [], [], []
        for pod in PODS:
            base = {"namespace": pod.namespace, "pod": pod.name, "uid": pod.uid}
            bad = crashing and pod is CRASHLOOP_POD
            pod_info.append(({**base, "host_ip": next(n.ip for n in NODES if n.name == pod.node), "pod_ip": pod.ip,
                              "node": pod.node, "created_by_kind": pod.owner_kind, "created_by_name": pod.owner_name,
                              "priority_class": "", "host_network": str(pod.owner_kind == "DaemonSet").lower()}, 1))
            owner.append(({**base, "owner_kind": pod.owner_kind, "owner_name": pod.owner_name, "owner_is_controller": "true"}, 1))
            phase += [({**base, "phase": ph}, 1 if ph == "Running" else 0)
                      for ph in ("Pending", "Succeeded", "Failed", "Unknown", "Running")]
            ready += [({**base, "condition": c}, 1 if c == ("false" if bad else "true") else 0) for c in ("true", "false", "unknown")]
            reason += [({**base, "reason": r}, 0) for r in ("Evicted", "NodeAffinity", "NodeLost", "Shutdown", "UnexpectedAdmissionError")]
            for c in pod.containers:
                cb = {**base, "container": c.name}
                c_info.append(({**cb, "image_spec": c.image, "image": c.image, "image_id": f"{c.image.split(':')[0]}@sha256:{pod.uid}",
                                "container_id": f"containerd://{pod.uid}-{c.name}"}, 1))
                for dest, cpu, mem in ((c_req, c.cpu_request, c.memory_request), (c_lim, c.cpu_limit, c.memory_limit)):
                    if cpu:
                        dest.append(({**cb, "node": pod.node, "resource": "cpu", "unit": "core"}, cpu))
                    if mem:
                        dest.append(({**cb, "node": pod.node, "resource": "memory", "unit": "byte"}, mem))
                n_restarts = restarts if pod is CRASHLOOP_POD else 0
                c_restarts.append((cb, n_restarts))
                c_ready.append((cb, 0 if bad else 1))
                if bad:  # kube-state-metrics v2 exposes only the current waiting reason
                    c_waiting.append(({**cb, "reason": "CrashLoopBackOff"}, 1))
                if n_restarts:
                    c_last.append(({**cb, "reason": "Error"}, 1))
        exp.gauge("kube_pod_info", "Information about pod.", pod_info)
        exp.gauge("kube_pod_owner", "Information about the Pod's owner.", owner)
        exp.gauge("kube_pod_status_phase", "The pods current phase.", phase)
        exp.gauge("kube_pod_status_ready", "Describes whether the pod is ready to serve requests.", ready)
        exp.gauge("kube_pod_status_reason", "The pod status reasons", reason)
        exp.gauge("kube_pod_container_info", "Information about a container in a pod.", c_info)
        exp.gauge("kube_pod_container_resource_requests", "The number of requested resource by a container.", c_req)
        exp.gauge("kube_pod_container_resource_limits", "The number of requested limit resource by a container.", c_lim)
        exp.counter("kube_pod_container_status_restarts_total", "The number of container restarts per container.", c_restarts)
        exp.gauge("kube_pod_container_status_ready", "Describes whether the containers readiness check succeeded.", c_ready)
        exp.gauge("kube_pod_container_status_waiting_reason", "Describes the reason the container is currently in waiting state.", c_waiting)
        exp.gauge("kube_pod_container_status_last_terminated_reason", "Describes the last reason the container was in terminated state.", c_last)

        deployments: dict[tuple[str, str], list[Pod]] = {}
        replicasets: dict[tuple[str, str], str] = {}
        statefulsets: dict[tuple[str, str], list[Pod]] = {}
        daemonsets: dict[tuple[str, str], list[Pod]] = {}
        for pod in PODS:
            kind, name = pod.workload
            if pod.owner_kind == "ReplicaSet":
                replicasets[(pod.namespace, pod.owner_name)] = name
                deployments.setdefault((pod.namespace, name), []).append(pod)
            elif kind == "StatefulSet":
                statefulsets.setdefault((pod.namespace, name), []).append(pod)
            else:
                daemonsets.setdefault((pod.namespace, name), []).append(pod)

        def healthy(pods: list[Pod]) -> int:
            return sum(1 for pod in pods if not (crashing and pod is CRASHLOOP_POD))

        dep = {k: {"namespace": k[0], "deployment": k[1]} for k in deployments}
        exp.gauge("kube_deployment_spec_replicas", "Number of desired pods for a deployment.", [(dep[k], len(v)) for k, v in deployments.items()])
        exp.gauge("kube_deployment_status_replicas", "The number of replicas per deployment.", [(dep[k], len(v)) for k, v in deployments.items()])
        exp.gauge("kube_deployment_status_replicas_available", "The number of available replicas per deployment.", [(dep[k], healthy(v)) for k, v in deployments.items()])
        exp.gauge("kube_deployment_status_replicas_updated", "The number of updated replicas per deployment.", [(dep[k], len(v)) for k, v in deployments.items()])
        exp.gauge("kube_deployment_metadata_generation", "Sequence number representing a specific generation of the desired state.", [(dep[k], 4) for k in deployments])
        exp.gauge("kube_deployment_status_observed_generation", "The generation observed by the deployment controller.", [(dep[k], 4) for k in deployments])
        exp.gauge("kube_replicaset_owner", "Information about the ReplicaSet's owner.", [
            ({"namespace": ns, "replicaset": rs, "owner_kind": "Deployment", "owner_name": d, "owner_is_controller": "true"}, 1)
            for (ns, rs), d in replicasets.items()])
        sts = {k: {"namespace": k[0], "statefulset": k[1]} for k in statefulsets}
        for metric, help_text in (("kube_statefulset_replicas", "Number of desired pods for a StatefulSet."),
                                  ("kube_statefulset_status_replicas", "The number of replicas per StatefulSet."),
                                  ("kube_statefulset_status_replicas_ready", "The number of ready replicas per StatefulSet."),
                                  ("kube_statefulset_status_replicas_updated", "The number of updated replicas per StatefulSet.")):
            exp.gauge(metric, help_text, [(sts[k], len(v)) for k, v in statefulsets.items()])
        exp.gauge("kube_statefulset_metadata_generation", "Sequence number representing a specific generation of the desired state for the StatefulSet.", [(sts[k], 2) for k in statefulsets])
        exp.gauge("kube_statefulset_status_observed_generation", "The generation observed by the StatefulSet controller.", [(sts[k], 2) for k in statefulsets])
        exp.gauge("kube_statefulset_status_current_revision", "Indicates the version of the StatefulSet used to generate Pods in the sequence [0,currentReplicas).", [({**sts[k], "revision": f"{k[1]}-6b8f9d7c5"}, 1) for k in statefulsets])
        exp.gauge("kube_statefulset_status_update_revision", "Indicates the version of the StatefulSet used to generate Pods in the sequence [replicas-updatedReplicas,replicas)", [({**sts[k], "revision": f"{k[1]}-6b8f9d7c5"}, 1) for k in statefulsets])
        ds = {k: {"namespace": k[0], "daemonset": k[1]} for k in daemonsets}
        for metric, help_text, value in (
            ("kube_daemonset_status_desired_number_scheduled", "The number of nodes that should be running the daemon pod.", len),
            ("kube_daemonset_status_current_number_scheduled", "The number of nodes running at least one daemon pod and are supposed to.", len),
            ("kube_daemonset_status_updated_number_scheduled", "The total number of nodes that are running updated daemon pod.", len),
            ("kube_daemonset_status_number_ready", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.", healthy),
            ("kube_daemonset_status_number_misscheduled", "The number of nodes running a daemon pod but are not supposed to.", lambda _: 0),
        ):
            exp.gauge(metric, help_text, [(ds[k], value(v)) for k, v in daemonsets.items()])

        quota = {"namespace": QUOTA[0], "resourcequota": QUOTA[1], "resource": "requests.cpu"}
        exp.gauge("kube_resourcequota", "Information about resource quota.", [
            ({**quota, "type": "hard"}, 4), ({**quota, "type": "used"}, 3.8 if p.quota_exceeded else 2)])
        exp.gauge("kube_persistentvolumeclaim_access_mode", "The access mode(s) specified by the persistent volume claim.", [
            ({"namespace": MEMORY_POD.namespace, "persistentvolumeclaim": CACHE_PVC, "access_mode": "ReadWriteOnce"}, 1)])
        exp.gauge("kube_persistentvolume_status_phase", "The phase indicates if a volume is available, bound to a claim, or released by a claim.", [
            ({"persistentvolume": "pvc-6f1c0e7a-0004", "phase": ph}, 1 if ph == "Bound" else 0)
            for ph in ("Pending", "Available", "Bound", "Released", "Failed")])
        # kube-state-metrics' own telemetry (its second port, scraped under the same job)
        resources_watched = ("pods", "nodes", "deployments", "statefulsets", "daemonsets", "replicasets")
        exp.counter("kube_state_metrics_list_total", "Number of total resource list in kube-state-metrics", [
            ({"resource": f"*v1.{r}", "result": res}, (3 + elapsed / 300) if res == "success" else 0)
            for r in resources_watched for res in ("success", "error")])
        exp.counter("kube_state_metrics_watch_total", "Number of total resource watches in kube-state-metrics", [
            ({"resource": f"*v1.{r}", "result": res}, (10 + elapsed / 30) if res == "success" else 0)
            for r in resources_watched for res in ("success", "error")])

    def _node_exporter(self, exp: Exposition, n: Node, p: Problems, elapsed: float) -> None:
        cpu_modes = {"idle": 0.8, "user": 0.12, "system": 0.06, "iowait": 0.02}
        exp.counter("node_cpu_seconds_total", "Seconds the CPUs spent in each mode.", [
            ({"cpu": str(cpu), "mode": mode}, round(1000 + share * elapsed, 3)) for cpu in range(4) for mode, share in cpu_modes.items()])
        root_size = 100 * GIB
        root_free = 0.03 if p.disk_full and n is DISK_NODE else 0.62
        filesystems = (
            ({"device": "/dev/sda1", "fstype": "ext4", "mountpoint": "/"}, root_size, root_free, 6_553_600),
            ({"device": "tmpfs", "fstype": "tmpfs", "mountpoint": "/run"}, 3 * GIB, 0.99, 4_000_000),
        )
        exp.gauge("node_filesystem_size_bytes", "Filesystem size in bytes.", [(labels, size) for labels, size, _, _ in filesystems])
        exp.gauge("node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes.",
                  [(labels, math.floor(size * free)) for labels, size, free, _ in filesystems])
        exp.gauge("node_filesystem_free_bytes", "Filesystem free space in bytes.",
                  [(labels, math.floor(size * min(1.0, free + 0.05))) for labels, size, free, _ in filesystems])
        exp.gauge("node_filesystem_files", "Filesystem total file nodes.", [(labels, files) for labels, _, _, files in filesystems])
        exp.gauge("node_filesystem_files_free", "Filesystem total free file nodes.", [(labels, math.floor(files * 0.8)) for labels, _, _, files in filesystems])
        exp.gauge("node_filesystem_readonly", "Filesystem read-only status.", [(labels, 0) for labels, _, _, _ in filesystems])
        devices = ("eth0", "lo", "cali1a2b3c4d5e6")
        exp.counter("node_network_receive_errs_total", "Network device statistic receive_errs.", [({"device": d}, 0) for d in devices])
        exp.counter("node_network_transmit_errs_total", "Network device statistic transmit_errs.", [({"device": d}, 0) for d in devices])
        exp.counter("node_network_receive_bytes_total", "Network device statistic receive_bytes.", [({"device": d}, round(1e9 + 2e5 * elapsed)) for d in devices])
        exp.gauge("node_network_up", "Value is 1 if operstate is 'up', 0 otherwise.", [({"device": d}, 1 if d != "lo" else 0) for d in devices])
        conntrack = 235_930 if p.conntrack_full and n is CONNTRACK_NODE else 5123
        exp.gauge("node_nf_conntrack_entries", "Number of currently allocated flow entries for connection tracking.", [({}, conntrack)])
        exp.gauge("node_nf_conntrack_entries_limit", "Maximum size of connection tracking table.", [({}, 262144)])
        exp.gauge("node_timex_offset_seconds", "Time offset in between local system and reference clock.", [({}, 0.000213)])
        exp.gauge("node_timex_maxerror_seconds", "Maximum error in seconds.", [({}, 0.0105)])
        exp.gauge("node_timex_sync_status", "Is clock synchronized to a reliable server (1 = yes, 0 = no).", [({}, 1)])
        exp.gauge("node_processes_threads", "Allocated threads in system", [({}, 812)])
        exp.gauge("node_processes_max_processes", "Number of max PIDs limit", [({}, 4194304)])
        exp.gauge("node_processes_max_threads", "Limit of threads in the system", [({}, 126593)])
        exp.gauge("node_load1", "1m load average.", [({}, 0.62)])
        exp.gauge("node_uname_info", "Labeled system information as provided by the uname system call.", [
            ({"nodename": n.name, "release": "6.1.0-21-amd64", "sysname": "Linux", "machine": "x86_64"}, 1)])

    def _kubelet(self, exp: Exposition, n: Node, p: Problems, elapsed: float) -> None:
        exp.gauge("kubelet_node_name", "The node's name. The count is always 1.", [({"node": n.name}, 1)])
        running = 108 if p.too_many_pods and n is BUSY_KUBELET_NODE else sum(1 for pod in PODS if pod.node == n.name)
        exp.gauge("kubelet_running_pods", "Number of pods that have a running pod sandbox", [({}, running)])
        exp.histogram("kubelet_pleg_relist_duration_seconds", "Duration in seconds for relisting pods in PLEG.",
                      _LATENCY_BUCKETS, [({}, 50 + elapsed, 0.02)])
        exp.histogram("kubelet_pod_start_sli_duration_seconds", "Duration in seconds to start a pod, excluding time to pull images and run init containers.",
                      (0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120), [({}, 12, 2.5)])
        volumes = [({"namespace": p.namespace, "persistentvolumeclaim": CACHE_PVC}, 10 * GIB) for p in PODS if p is MEMORY_POD and p.node == n.name]
        exp.gauge("kubelet_volume_stats_capacity_bytes", "Capacity in bytes of the volume", volumes)
        exp.gauge("kubelet_volume_stats_available_bytes", "Number of available bytes in the volume", [(l, v * 0.7) for l, v in volumes])
        exp.gauge("kubernetes_build_info", "A metric with a constant '1' value labeled by major, minor, git version, git commit, git tree state, build date, Go version, and compiler from which Kubernetes was built, and platform on which it is running.", [
            ({"major": "1", "minor": "29", "git_version": "v1.29.4", "git_commit": "55019c83b0fd51ef4ced8c29eec2c4847f896e74",
              "git_tree_state": "clean", "build_date": "2024-04-16T15:03:28Z", "go_version": "go1.21.9", "compiler": "gc",
              "platform": "linux/amd64"}, 1)])
        exp.counter("rest_client_requests_total", "Number of HTTP requests, partitioned by status code, method, and host.", [
            ({"code": code, "host": "10.96.0.1:443", "method": method}, round(rate * (100 + elapsed)))
            for code, method, rate in (("200", "GET", 2.0), ("201", "POST", 0.1), ("200", "PATCH", 0.5), ("404", "GET", 0.01))])

    def _cadvisor(self, exp: Exposition, n: Node, p: Problems, elapsed: float, throttled_s: float) -> None:
        cpu, mem, periods, throttled = [], [], [], []
        for pod in PODS:
            if pod.node != n.name:
                continue
            pod_cgroup = f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{pod.uid.replace('-', '_')}.slice"
            base = {"namespace": pod.namespace, "pod": pod.name}
            pod_cpu = pod_mem = 0.0
            for c in pod.containers:
                share = 0.9 if p.memory_pressure and pod is MEMORY_POD else c.memory_usage
                used = math.floor(share * (c.memory_limit or c.memory_request * 2))
                labels = {**base, "container": c.name, "id": f"{pod_cgroup}/cri-containerd-{pod.uid}-{c.name}.scope",
                          "image": c.image, "name": f"{pod.uid}-{c.name}"}
                cpu.append((labels, round(c.cpu_usage * (600 + elapsed), 3)))
                mem.append((labels, used))
                if c.cpu_limit:  # CFS quota only for containers with a CPU limit
                    periods.append((labels, math.floor(10 * (600 + elapsed))))
                    # 10 periods a second; 2% throttled, 60% while THROTTLED_POD is (a counter: it only grows)
                    hard = 0.58 * 10 * throttled_s if pod is THROTTLED_POD else 0.0
                    throttled.append((labels, math.floor(0.02 * 10 * (600 + elapsed) + hard)))
                pod_cpu += cpu[-1][1]
                pod_mem += used
            # the pod's own cgroup: container="" (what `container!=""` keeps out)
            pod_labels = {**base, "container": "", "id": pod_cgroup, "image": "", "name": ""}
            cpu.append((pod_labels, round(pod_cpu, 3)))
            mem.append((pod_labels, math.floor(pod_mem * 1.02)))
        exp.counter("container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.", cpu)
        exp.gauge("container_memory_working_set_bytes", "Current working set in bytes.", mem)
        exp.counter("container_cpu_cfs_periods_total", "Number of elapsed enforcement period intervals.", periods)
        exp.counter("container_cpu_cfs_throttled_periods_total", "Number of throttled period intervals.", throttled)

    def _etcd(self, exp: Exposition, n: Node, p: Problems, elapsed: float) -> None:
        no_leader = p.etcd_no_leader and n is NO_LEADER_NODE
        peers = [m for m in NODES if m.control_plane and m is not n]
        peer_ids = {m.name: f"8e9e05c52164694{NODES.index(m)}" for m in peers}  # etcd member ids (hex)
        exp.gauge("etcd_server_has_leader", "Whether or not a leader exists. 1 is existence, 0 is not.", [({}, 0 if no_leader else 1)])
        exp.gauge("etcd_server_is_leader", "Whether or not this member is a leader. 1 if is, 0 otherwise.", [({}, 1 if n is NODES[0] and not no_leader else 0)])
        exp.counter("etcd_server_leader_changes_seen_total", "The number of leader changes seen.", [({}, 1)])
        exp.counter("etcd_server_proposals_failed_total", "The total number of failed proposals seen.", [({}, 0)])
        exp.counter("etcd_network_peer_sent_failures_total", "The total number of send failures from peers.", [({"To": peer_ids[m.name]}, 0) for m in peers])
        exp.histogram("etcd_network_peer_round_trip_time_seconds", "Round-Trip-Time histogram between peers",
                      (0.0001, 0.0002, 0.0004, 0.0008, 0.0016, 0.0032, 0.0064, 0.0128, 0.0256, 0.0512, 0.1024, 0.2048, 0.4096, 0.8192),
                      [({"To": peer_ids[m.name]}, 100 + elapsed, 0.003) for m in peers])
        disk_buckets = (0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192)
        exp.histogram("etcd_disk_wal_fsync_duration_seconds", "The latency distributions of fsync called by WAL.", disk_buckets, [({}, 500 + 5 * elapsed, 0.004)])
        exp.histogram("etcd_disk_backend_commit_duration_seconds", "The latency distributions of commit called by backend.", disk_buckets, [({}, 200 + 2 * elapsed, 0.008)])
        exp.gauge("etcd_mvcc_db_total_size_in_bytes", "Total size of the underlying database physically allocated in bytes.", [({}, 48 * 1024 ** 2)])
        exp.gauge("etcd_mvcc_db_total_size_in_use_in_bytes", "Total size of the underlying database logically in use in bytes.", [({}, 41 * 1024 ** 2)])
        exp.gauge("etcd_server_quota_backend_bytes", "Current backend storage quota size in bytes.", [({}, 2 * GIB)])
        methods = (("Range", "etcdserverpb.KV"), ("Txn", "etcdserverpb.KV"), ("LeaseGrant", "etcdserverpb.Lease"))
        exp.counter("grpc_server_handled_total", "Total number of RPCs completed on the server, regardless of success or failure.", [
            ({"grpc_code": code, "grpc_method": m, "grpc_service": s, "grpc_type": "unary"}, round((1000 + 20 * elapsed) if code == "OK" else 0))
            for m, s in methods for code in ("OK", "Unavailable")])
        exp.histogram("grpc_server_handling_seconds", "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
                      _LATENCY_BUCKETS, [({"grpc_method": m, "grpc_service": s, "grpc_type": "unary"}, 1000 + 20 * elapsed, 0.004) for m, s in methods])

    def _redis(self, exp: Exposition, p: Problems, elapsed: float) -> None:
        """redis_exporter 1.45's INFO gauges and counters of one standalone Redis (no replicas)."""
        used = (0.95 if p.redis_memory_full else 0.40) * REDIS_MAXMEMORY
        exp.gauge("redis_up", "Information about the Redis instance", [({}, 1)])
        exp.gauge("redis_uptime_in_seconds", "uptime_in_seconds metric", [({}, 86400 + elapsed)])
        exp.gauge("redis_memory_used_bytes", "memory_used_bytes metric", [({}, round(used))])
        exp.gauge("redis_memory_max_bytes", "memory_max_bytes metric", [({}, REDIS_MAXMEMORY)])
        exp.gauge("redis_connected_clients", "connected_clients metric", [({}, 12)])
        exp.gauge("redis_config_maxclients", "config_maxclients metric", [({}, 10000)])
        exp.gauge("redis_connected_slaves", "connected_slaves metric", [({}, 0)])
        exp.counter("redis_evicted_keys_total", "evicted_keys_total metric", [({}, 0)])
        exp.counter("redis_rejected_connections_total", "rejected_connections_total metric", [({}, 0)])

    def served(self, problems: Problems | None = None) -> dict[tuple[str, str], dict[str, set[str]]]:
        """(job, metrics_path) -> metric name -> label names, as Prometheus stores them (target
        labels included), for the current problems or the ones given. Series that only a
        problem creates (the CrashLoopBackOff waiting reason) are there only while it is on."""
        out: dict[tuple[str, str], dict[str, set[str]]] = {}
        for t in targets():
            component = "cadvisor" if t.metrics_path == "/metrics/cadvisor" else t.params["component"]
            exp = self.render(component, t.params.get("node"), problems)
            target_labels = {"job", "instance", *t.labels} | ({"metrics_path"} if t.job == "kubelet" else set())
            metrics = out.setdefault((t.job, t.metrics_path), {})
            for name, labels in exp.names.items():
                metrics.setdefault(name, set()).update(labels | target_labels)
        return out


# --- the HTTP server ----------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def log_message(self, fmt, *args):  # http.server prints to stderr; route it to logging
        log.debug("%s %s", self.address_string(), fmt % args)

    def _send(self, code: int, body: str, content_type: str = "application/json") -> None:
        data = body.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _json(self, code: int, value) -> None:
        self._send(code, json.dumps(value, sort_keys=True) + "\n")

    def do_GET(self):
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        cluster = self.server.cluster
        if url.path == "/control":
            return self._json(200, asdict(cluster.problems()))
        if url.path in ("/metrics", "/metrics/cadvisor"):
            component = "cadvisor" if url.path == "/metrics/cadvisor" else query.get("component")
            if not component:
                return self._send(400, "give ?component=kube-state-metrics|node-exporter|kubelet|etcd|redis\n", "text/plain")
            try:
                exp = cluster.render(component, query.get("node"))
            except KeyError as exc:
                return self._send(404, f"unknown {exc.args[0]}\n", "text/plain")
            return self._send(200, exp.text(), CONTENT_TYPE)
        if url.path == "/":
            lines = [f"{t.job} {t.metrics_path}?{'&'.join(f'{k}={v}' for k, v in t.params.items())}" for t in targets()]
            return self._send(200, "fixture exporter; POST /control to switch problems\n" + "\n".join(lines) + "\n", "text/plain")
        return self._send(404, f"no such path: {url.path}\n", "text/plain")

    def do_POST(self):
        if urlsplit(self.path).path != "/control":
            return self._send(404, f"no such path: {self.path}\n", "text/plain")
        length = int(self.headers.get("Content-Length") or 0)
        try:
            changes = json.loads(self.rfile.read(length) or b"{}")
            if not isinstance(changes, dict):
                raise ValueError("expected a JSON object like {\"crashloop\": true}")
            state = self.server.cluster.set_problems(**changes)
        except (ValueError, KeyError) as exc:
            return self._json(400, {"error": str(exc.args[0] if exc.args else exc)})
        log.info("problems now %s", asdict(state))
        return self._json(200, asdict(state))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, cluster: Cluster):
        super().__init__(address, _Handler)
        self.cluster = cluster


class FixtureExporter:
    """The exporter running in a background thread; use as a context manager, or close()."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, cluster: Cluster | None = None):
        self.cluster = cluster or Cluster()
        self._server = _Server((host, port), self.cluster)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fixture-exporter", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def set_problems(self, **changes: bool) -> Problems:
        return self.cluster.set_problems(**changes)

    def problems(self) -> Problems:
        return self.cluster.problems()

    def scrape_configs(self, interval: str = "1s") -> list[dict]:
        return scrape_configs(self.address, interval)

    def served(self, problems: Problems | None = None) -> dict[tuple[str, str], dict[str, set[str]]]:
        return self.cluster.served(problems)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "FixtureExporter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:
    import yaml

    p = argparse.ArgumentParser(description="Serve a fake cluster's exporters for Prometheus (see the module docstring).")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9999)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    exporter = FixtureExporter(args.host, args.port)
    log.info("serving on %s; scrape configuration:\n%s", exporter.url,
             yaml.safe_dump({"scrape_configs": exporter.scrape_configs()}, sort_keys=False))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        exporter.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
