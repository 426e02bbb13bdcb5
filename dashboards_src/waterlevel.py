"""Requests and limits water level (seed 001: "自定义的 Request,limit,水位线等大盘").

The scheduler places pods by their requests, so the water level that decides whether a pod
still fits, or whether the cluster survives losing a node, is requests against allocatable,
per cluster, node and namespace; limits show how far bursts can overcommit; usage against
requests shows reservations nobody uses (capacity paid for and idle). The overcommit and
quota alerts of rules_src/resources.py point here, and their quantities are drawn with
their thresholds.

Only Pending and Running pods count, as in the alerts: kube-state-metrics keeps reporting
the requests of Succeeded and Failed pods until they are deleted.
"""

from grafanalib.core import Stat, TableSortByField, Target, TimeSeries

from gen.dash.model import AlertLine, Dashboard, Fixture, Row, Variable, cell
from gen.dash.panels import BarGauge, Table, steps

KSM = "${kube_state_metrics}"
CADVISOR = "${cadvisor}"
GIB = 1024**3


def sel(metric: str, *matchers: str) -> str:
    """metric{matcher, ...}: PromQL braces without f-string escaping."""
    return metric + "{" + ", ".join(matchers) + "}"


# 1 per pod that holds its requests.
ACTIVE = "max by (namespace, pod) (" + sel("kube_pod_status_phase", KSM, 'phase=~"Pending|Running"') + " == 1)"


def held(metric: str, resource: str, *matchers: str) -> str:
    """Per-container requests or limits (`metric`) of the pods that hold them."""
    return sel(metric, KSM, f'resource="{resource}"', *matchers) + " * on (namespace, pod) group_left () " + ACTIVE


def total(by: str) -> str:
    return f"sum by ({by}) " if by else "sum"


def requests(resource: str, by: str = "", *matchers: str) -> str:
    return f"{total(by)}({held('kube_pod_container_resource_requests', resource, *matchers)})"


def limits(resource: str, by: str = "", *matchers: str) -> str:
    return f"{total(by)}({held('kube_pod_container_resource_limits', resource, *matchers)})"


def allocatable(resource: str, *matchers: str) -> str:
    return sel("kube_node_status_allocatable", KSM, f'resource="{resource}"', *matchers)


def usage(resource: str, *matchers: str) -> str:
    """Per-container usage from cAdvisor: CPU cores or memory working set bytes."""
    if resource == "cpu":
        return "rate(" + sel("container_cpu_usage_seconds_total", CADVISOR, 'container!=""', *matchers) + "[$__rate_interval])"
    return sel("container_memory_working_set_bytes", CADVISOR, 'container!=""', *matchers)


def usage_by_node(resource: str) -> str:
    """cAdvisor usage summed per node through kube_pod_info (cAdvisor's own labels vary by setup)."""
    return ("sum by (node) (sum by (namespace, pod) (" + usage(resource) + ")"
            " * on (namespace, pod) group_left (node) max by (namespace, pod, node) ("
            + sel("kube_pod_info", KSM) + "))")


def overcommit(resource: str, alert: str) -> str:
    """The overcommit alert's quantity: requests against what is left after losing the
    `tolerated_node_failures` largest nodes (the alert's own parameter)."""
    remaining = (f"(sum({allocatable(resource)}) - sum(topk(${{{alert}.tolerated_node_failures}}, "
                 f"{allocatable(resource)})))")
    return f"100 * sum({held('kube_pod_container_resource_requests', resource)}) / ({remaining} > 0)"


def quota_ratio(resource: str) -> str:
    """The quota overcommit alerts' quantity: hard request quotas against allocatable."""
    quotas = sel("kube_resourcequota", KSM, 'type="hard"', f'resource=~"{resource}|requests.{resource}"')
    return f"100 * sum(min without (resource) ({quotas})) / sum({allocatable(resource)})"


WATER = steps(("orange", 70), ("red", 90))  # seed 001: scale out at a 90% request level
OVER = steps(("orange", 100))  # limits beyond allocatable: bursts can no longer all be served


def q(expr: str, legend: str, ref: str = "A", instant: bool = False) -> Target:
    return Target(expr=expr, legendFormat=legend, refId=ref, instant=instant)


def stat(title: str, expr: str, description: str, thresholds: list[dict]) -> Stat:
    return Stat(title=title, description=description, format="percent", reduceCalc="lastNotNull",
                thresholds=thresholds, targets=[q(expr, "cluster")])


def bars(title: str, expr: str, legend: str, unit: str, description: str, thresholds: list[dict] | None = None,
         max_value: float | None = None) -> BarGauge:
    return BarGauge(title=title, description=description, format=unit, max=max_value,
                    thresholds=thresholds or steps(), targets=[q(expr, legend, instant=True)])


def timeseries(title: str, targets: list[Target], unit: str, description: str) -> TimeSeries:
    return TimeSeries(title=title, description=description, unit=unit, targets=targets)


def table(title: str, by: str, columns: list[tuple[str, str, str]], description: str) -> Table:
    """One row per `by` value, one column per (header, unit, instant query), merged on `by`."""
    targets = [Target(expr=expr, refId=chr(ord("A") + n), instant=True, format="table", legendFormat=header)
               for n, (header, _, expr) in enumerate(columns)]
    rename = {f"Value #{chr(ord('A') + n)}": header for n, (header, _, _) in enumerate(columns)}
    order = {by: 0, **{header: n + 1 for n, (header, _, _) in enumerate(columns)}}
    overrides = [{"matcher": {"id": "byName", "options": header}, "properties": [{"id": "unit", "value": unit}]}
                 for header, unit, _ in columns]
    return Table(title=title, description=description, unit="short", targets=targets, overrides=overrides,
                 sortBy=[TableSortByField(displayName=columns[0][0], desc=True)],
                 transformations=[{"id": "merge", "options": {}},
                                  {"id": "organize", "options": {"excludeByName": {"Time": True},
                                                                 "renameByName": rename, "indexByName": order}}])


NS = 'namespace=~"$namespace"'
QUOTA_USED = sel("kube_resourcequota", KSM, 'type="used"', NS)
QUOTA_HARD = sel("kube_resourcequota", KSM, 'type="hard"', NS)


def node_pct(what, resource: str) -> str:
    return f"100 * {what(resource, 'node')} / sum by (node) ({allocatable(resource)})"


def free(resource: str) -> str:
    """Allocatable left after the requests of the pods holding them, per node (a node without
    pods keeps all of it)."""
    alloc = f"sum by (node) ({allocatable(resource)})"
    return f"{alloc} - ({requests(resource, 'node')} or 0 * {alloc})"


PODS_ON_NODE = ("count by (node) (max by (namespace, pod, node) (" + sel("kube_pod_info", KSM) + ")"
                " * on (namespace, pod) group_left () " + ACTIVE + ")")


def idle(resource: str) -> str:
    """Requested and not used, per namespace: each container's unused request, never negative
    (one container's overuse does not hide another's idle reservation)."""
    per_container = "sum by (namespace, pod, container) "
    return (f"sum by (namespace) (clamp_min({per_container}({held('kube_pod_container_resource_requests', resource, NS)})"
            f" - {per_container}({usage(resource, NS)}), 0))")


def usage_of_requests(resource: str) -> str:
    return f"100 * sum by (namespace) ({usage(resource, NS)}) / {requests(resource, 'namespace', NS)}"


dashboard = Dashboard(
    uid="k8s-water-level",
    title="Kubernetes / Requests and limits water level",
    description="CPU and memory requests and limits against allocatable, per cluster, node and namespace; "
                "the overcommit and quota alerts' quantities with their thresholds; reservations left idle.",
    tags=["capacity", "resources"],
    links=["k8s-cluster", "k8s-node", "k8s-weekly-inspection", "k8s-alerts-overview"],
    variables=[
        Variable("namespace", "label_values(" + sel("kube_pod_info", KSM) + ", namespace)",
                 multi=True, include_all=True, all_value=".*"),
    ],
    rows=[
        Row("Cluster: requests and limits against allocatable", [
            cell(stat("CPU requests", f"100 * {requests('cpu')} / sum({allocatable('cpu')})",
                      "Requests of Pending and Running pods, % of the CPU all nodes can allocate. New pods stop "
                      "fitting well before 100% (fragmentation); plan more nodes around 90%.", WATER)),
            cell(stat("CPU limits", f"100 * {limits('cpu')} / sum({allocatable('cpu')})",
                      "Limits, % of allocatable CPU. Over 100% is allowed (bursts share idle CPU) but then "
                      "not every pod can burst at once.", OVER)),
            cell(stat("Memory requests", f"100 * {requests('memory')} / sum({allocatable('memory')})",
                      "Requests of Pending and Running pods, % of the memory all nodes can allocate.", WATER)),
            cell(stat("Memory limits", f"100 * {limits('memory')} / sum({allocatable('memory')})",
                      "Limits, % of allocatable memory. Over 100%, pods growing towards their limits can "
                      "exhaust a node's memory and be OOM-killed or evicted.", OVER)),
        ], height=5),
        Row("Cluster: overcommit and quotas (alerts)", [
            cell(timeseries("CPU requests, % of capacity after losing the largest node(s)",
                            [q(overcommit("cpu", "KubeCPUOvercommit"), "requests")], "percent",
                            "KubeCPUOvercommit's quantity: requests against the allocatable CPU left without the "
                            "largest node(s) (its tolerated_node_failures). Above the line, the pods of a failed "
                            "node cannot all be rescheduled."),
                 alert=AlertLine("KubeCPUOvercommit")),
            cell(timeseries("Memory requests, % of capacity after losing the largest node(s)",
                            [q(overcommit("memory", "KubeMemoryOvercommit"), "requests")], "percent",
                            "KubeMemoryOvercommit's quantity, as for CPU."),
                 alert=AlertLine("KubeMemoryOvercommit")),
            cell(timeseries("CPU request quotas, % of allocatable", [q(quota_ratio("cpu"), "hard quotas")], "percent",
                            "KubeCPUQuotaOvercommit's quantity: hard cpu / requests.cpu quotas of all namespaces "
                            "against the cluster's allocatable CPU."),
                 alert=AlertLine("KubeCPUQuotaOvercommit")),
            cell(timeseries("Memory request quotas, % of allocatable", [q(quota_ratio("memory"), "hard quotas")],
                            "percent", "KubeMemoryQuotaOvercommit's quantity, as for CPU."),
                 alert=AlertLine("KubeMemoryQuotaOvercommit")),
        ]),
        Row("Nodes", [
            cell(bars("CPU requests by node", node_pct(requests, "cpu"), "{{node}}", "percent",
                      "Requests of the pods on each node, % of its allocatable CPU: where new pods still fit.",
                      WATER, 100), width=12),
            cell(bars("Memory requests by node", node_pct(requests, "memory"), "{{node}}", "percent",
                      "Requests of the pods on each node, % of its allocatable memory.", WATER, 100), width=12),
            cell(table("Nodes: allocatable, requests, limits, usage", "node", [
                ("CPU requests %", "percent", node_pct(requests, "cpu")),
                ("CPU limits %", "percent", node_pct(limits, "cpu")),
                ("CPU used %", "percent", f"100 * {usage_by_node('cpu')} / sum by (node) ({allocatable('cpu')})"),
                ("CPU allocatable", "short", f"sum by (node) ({allocatable('cpu')})"),
                ("Memory requests %", "percent", node_pct(requests, "memory")),
                ("Memory limits %", "percent", node_pct(limits, "memory")),
                ("Memory used %", "percent",
                 f"100 * {usage_by_node('memory')} / sum by (node) ({allocatable('memory')})"),
                ("Memory allocatable", "bytes", f"sum by (node) ({allocatable('memory')})"),
            ], "Per node, % of its allocatable (CPU in cores). Used: cAdvisor's container usage; requests "
               "far above used are reservations nobody uses."), width=24, height=9),
        ]),
        Row("Room left, in absolute terms", [
            cell(Stat(title="Most CPU free on one node", format="short", reduceCalc="lastNotNull", graphMode="none",
                      description="Cores not requested on the node with the most left: a pod requesting more fits "
                                  "nowhere and stays Pending (pod_status_no_running).",
                      targets=[q(f"max({free('cpu')})", "cores", instant=True)]), width=4),
            cell(Stat(title="Most memory free on one node", format="bytes", reduceCalc="lastNotNull", graphMode="none",
                      description="Memory not requested on the node with the most left: the largest memory request "
                                  "that still fits (on that node, if its CPU suffices too).",
                      targets=[q(f"max({free('memory')})", "memory", instant=True)]), width=4),
            cell(table("Nodes: room left", "node", [
                ("CPU free (cores)", "short", free("cpu")),
                ("Memory free", "bytes", free("memory")),
                ("Pods", "short", PODS_ON_NODE),
                ("Pod capacity", "short", f"sum by (node) ({allocatable('pods')})"),
                ("Pods free", "short", f"sum by (node) ({allocatable('pods')}) - ({PODS_ON_NODE} or 0 * "
                                       f"sum by (node) ({allocatable('pods')}))"),
            ], "Per node, allocatable minus the requests of its Pending and Running pods, and pods against "
               "the kubelet's max-pods (KubeletTooManyPods): where the next pod fits."), width=16),
        ], height=7),
        Row("Namespaces", [
            cell(bars("CPU requests by namespace (top 15)",
                      f"topk(15, {requests('cpu', 'namespace', NS)})", "{{namespace}}", "short",
                      "CPU cores requested by the Pending and Running pods of each namespace."), width=8),
            cell(bars("Memory requests by namespace (top 15)",
                      f"topk(15, {requests('memory', 'namespace', NS)})", "{{namespace}}", "bytes",
                      "Memory requested by the Pending and Running pods of each namespace."), width=8),
            cell(bars("Quota usage, % of hard",
                      f"100 * {QUOTA_USED} / ignoring (instance, job, type) ({QUOTA_HARD} > 0)",
                      "{{namespace}} {{resourcequota}} {{resource}}", "percent",
                      "KubeQuotaExceeded's quantity: each quota's used against hard; at 100% new pods and "
                      "objects are rejected.", max_value=100),
                 width=8, alert=AlertLine("KubeQuotaExceeded")),
            cell(table("Namespaces: requests, limits, usage", "namespace", [
                ("CPU requests", "short", requests("cpu", "namespace", NS)),
                ("CPU limits", "short", limits("cpu", "namespace", NS)),
                ("CPU used", "short", f"sum by (namespace) ({usage('cpu', NS)})"),
                ("CPU used % of requests", "percent", usage_of_requests("cpu")),
                ("Memory requests", "bytes", requests("memory", "namespace", NS)),
                ("Memory limits", "bytes", limits("memory", "namespace", NS)),
                ("Memory used", "bytes", f"sum by (namespace) ({usage('memory', NS)})"),
                ("Memory used % of requests", "percent", usage_of_requests("memory")),
            ], "Per namespace (CPU in cores, memory in bytes), Pending and Running pods."), width=24, height=9),
        ], height=9),
        Row("Idle reservations: usage against requests", [
            cell(timeseries("CPU used, % of requests", [q(usage_of_requests("cpu"), "{{namespace}}")], "percent",
                            "Low values: namespaces reserving CPU they do not use, which no other pod can be "
                            "scheduled on.")),
            cell(timeseries("Idle CPU reservations (cores)", [q(idle("cpu"), "{{namespace}}")], "short",
                            "Per namespace, the sum over containers of requested minus used CPU (not below 0).")),
            cell(timeseries("Memory used, % of requests", [q(usage_of_requests("memory"), "{{namespace}}")], "percent",
                            "Working set against requests per namespace.")),
            cell(timeseries("Idle memory reservations", [q(idle("memory"), "{{namespace}}")], "bytes",
                            "Per namespace, the sum over containers of requested minus working set (not below 0).")),
        ]),
    ],
    fixture=Fixture(
        series={
            # Two 4-core, 16 GiB nodes.
            **{sel("kube_node_info", KSM, f'node="{n}"', 'kernel_version="6.1.0"', 'kubelet_version="v1.29.4"'): "1x20"
               for n in ("node-1", "node-2")},
            **{sel("kube_node_status_allocatable", KSM, f'node="{n}"', 'resource="cpu"', 'unit="core"'): "4x20"
               for n in ("node-1", "node-2")},
            **{sel("kube_node_status_allocatable", KSM, f'node="{n}"', 'resource="memory"', 'unit="byte"'): f"{16 * GIB}x20"
               for n in ("node-1", "node-2")},
            **{sel("kube_node_status_allocatable", KSM, f'node="{n}"', 'resource="pods"', 'unit="integer"'): "110x20"
               for n in ("node-1", "node-2")},
            # shop/web-1 on node-1, batch/etl-1 on node-2 (Running); batch/report-1 Succeeded (ignored).
            **{sel("kube_pod_info", KSM, f'namespace="{ns}"', f'pod="{pod}"', f'node="{node}"', 'created_by_kind="ReplicaSet"'): "1x20"
               for ns, pod, node in (("shop", "web-1", "node-1"), ("batch", "etl-1", "node-2"), ("batch", "report-1", "node-2"))},
            **{sel("kube_pod_status_phase", KSM, f'namespace="{ns}"', f'pod="{pod}"', f'phase="{phase}"'):
               ("1x20" if phase == state else "0x20")
               for ns, pod, state in (("shop", "web-1", "Running"), ("batch", "etl-1", "Running"), ("batch", "report-1", "Succeeded"))
               for phase in ("Pending", "Running", "Succeeded", "Failed")},
            **{sel(f"kube_pod_container_resource_{kind}", KSM, f'namespace="{ns}"', f'pod="{pod}"', 'container="app"',
                   f'node="{node}"', f'resource="{res}"', f'unit="{unit}"'): f"{value}x20"
               for ns, pod, node in (("shop", "web-1", "node-1"), ("batch", "etl-1", "node-2"), ("batch", "report-1", "node-2"))
               for kind, res, unit, value in (("requests", "cpu", "core", 1), ("limits", "cpu", "core", 2),
                                              ("requests", "memory", "byte", 2 * GIB), ("limits", "memory", "byte", 4 * GIB))},
            **{sel("container_cpu_usage_seconds_total", CADVISOR, f'namespace="{ns}"', f'pod="{pod}"', 'container="app"',
                   f'node="{node}"', 'image="registry.local/app:1.4"'): "0+15x20"
               for ns, pod, node in (("shop", "web-1", "node-1"), ("batch", "etl-1", "node-2"))},
            **{sel("container_memory_working_set_bytes", CADVISOR, f'namespace="{ns}"', f'pod="{pod}"', 'container="app"',
                   f'node="{node}"', 'image="registry.local/app:1.4"'): f"{GIB}x20"
               for ns, pod, node in (("shop", "web-1", "node-1"), ("batch", "etl-1", "node-2"))},
            **{sel("kube_resourcequota", KSM, 'namespace="shop"', 'resourcequota="compute"', f'resource="{res}"', f'type="{t}"'): v
               for res, t, v in (("requests.cpu", "hard", "4x20"), ("requests.cpu", "used", "1x20"),
                                 ("requests.memory", "hard", f"{8 * GIB}x20"), ("requests.memory", "used", f"{2 * GIB}x20"))},
        },
        vars={"namespace": "shop"},
    ),
)
