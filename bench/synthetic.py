"""Synthetic alert catalogs for the build benchmark.

`write_catalog(folder, n_alerts)` writes a catalog folder the engine loads like rules_src/:
a `_selectors.py` with SELECTORS, and one module per 100 alerts, each a module-level `groups`
list of gen.model.Group holding Alert (and Record) objects written out as Python source, the
way people write rules_src/. Next to the folder it writes a monitoring.yaml with a few
overrides, so resolve has config to apply.

The alerts are varied on purpose (eight expression shapes taken from rules_src and the usual
Kubernetes mixins: error ratios, `and on (...)` usage-vs-limit, histogram_quantile, absent(),
predict_linear, ratios of recording rules, `group_left` joins, max_over_time), use `${selector}`
and `${param}` placeholders, carry summary/description templates that only use labels the
expression keeps (so lint passes), and each has one firing and one silent test case, like the
real catalog. Every name is unique. Output is deterministic for a given size.

    python bench/synthetic.py 1000 /tmp/catalog     # write one to look at or profile
"""

from __future__ import annotations

import os
import sys

ALERTS_PER_MODULE = 100
ALERTS_PER_GROUP = 25

AREAS = ["Api", "Node", "Pod", "Etcd", "Kubelet", "Ingress", "Queue", "Cache", "Db", "Storage"]
SEVERITIES = ["warning", "critical", "warning", "info"]
TEAMS = ["platform", "storage", "network", "apps"]

SELECTORS_PY = '''"""Default label matchers per exporter (synthetic benchmark catalog)."""

SELECTORS = {
    "kube_state_metrics": 'job="kube-state-metrics"',
    "node_exporter": 'job="node-exporter"',
    "kubelet": 'job="kubelet", metrics_path="/metrics"',
    "cadvisor": 'job="kubelet", metrics_path="/metrics/cadvisor"',
    "apiserver": 'job="apiserver"',
    "etcd": 'job=~".*etcd.*"',
}
'''

MONITORING_YAML_HEAD = """\
# Synthetic benchmark config: a selector override, group labels and per-alert overrides.
scrape_interval: 30s
runbook_url_base: https://runbooks.example.com/alerts
selectors:
  kube_state_metrics: 'job="kube-state-metrics", cluster="main"'
prometheus_rule:
  namespace: monitoring
  labels:
    prometheus: k8s
    role: alert-rules
"""


def _q(text: str) -> str:
    return repr(text)


def _block(expr: str, indent: int) -> str:
    """A triple-quoted expression indented like hand-written catalog code."""
    pad = " " * indent
    lines = [pad + line if line else "" for line in expr.strip("\n").splitlines()]
    return '"""\n' + "\n".join(lines) + "\n" + " " * (indent - 4) + '"""'


class _Module:
    """Collects the Python source of one catalog module."""

    def __init__(self, index: int):
        self.index = index
        self.area = AREAS[index % len(AREAS)]
        self.app = f"{self.area.lower()}{index:03d}"
        self.name = self.app
        self.records: list[str] = []
        self.groups: list[tuple[str, list[str]]] = []
        self.alert_names: list[str] = []
        self.group_names: list[str] = []


def _alert(mod: _Module, k: int, j: int) -> str:
    """Source of the k-th alert (global index) of module `mod`; j is its index in the module."""
    shape = k % 8
    v = k // 8 + k % 3  # variation within a shape, not tied to it
    app = mod.app
    name_base = f"{mod.area}{app[-3:]}"
    severity = SEVERITIES[v % len(SEVERITIES)]
    extra: list[str] = []
    if v % 5 == 0:
        extra.append(f"labels={{'team': {_q(TEAMS[v % len(TEAMS)])}}},")
    if v % 7 == 0:
        extra.append(f"runbook_url={_q(f'https://wiki.example.com/runbooks/{app}/{k}')},")
    if v % 11 == 0:
        # a hand-set dashboard_url: the synthetic catalog has no dashboards_src/ to link to
        extra.append(f"annotations={{'dashboard_url': {_q(f'https://grafana.example.com/d/{app}-{shape}/overview?var-alert={k}')}}},")
    if v % 13 == 0:
        extra.append('keep_firing_for="5m",')
    window = ["5m", "10m", "15m", "30m"][v % 4]
    for_ = ["5m", "10m", "15m", "2m", "30m"][v % 5]

    if shape == 0:  # error ratio of two rate sums
        name = f"{name_base}HighErrorRate{k:05d}"
        expr = f"""
sum by (namespace, service) (rate({app}_http_requests_total{{${{apiserver}}, code=~"5..", handler="/h{j}"}}[${{window}}]))
  /
sum by (namespace, service) (rate({app}_http_requests_total{{${{apiserver}}, handler="/h{j}"}}[${{window}}]))
  > ${{threshold}}
"""
        params = f'{{"threshold": {0.01 + (v % 9) / 100:.2f}, "window": Duration({window!r})}}'
        summary = "More than ${threshold} of requests to handler /h%d fail." % j
        description = "Service {{ $labels.namespace }}/{{ $labels.service }} answers {{ $value | humanizePercentage }} of requests with 5xx (threshold ${threshold})."
        series = f'{app}_http_requests_total{{${{apiserver}}, namespace="shop", service="web", handler="/h{j}", code="500"}}'
        fire = '{"namespace": "shop", "service": "web"}'
    elif shape == 1:  # usage vs limit, `and on (...)`
        res, metric = [("cpu", "rate(container_cpu_usage_seconds_total{${cadvisor}, container!=\"\"}[${window}])"),
                       ("memory", "container_memory_working_set_bytes{${cadvisor}, container!=\"\"}")][v % 2]
        name = f"{name_base}Pod{res.capitalize()}Limit{k:05d}"
        expr = f"""
100 * sum by (namespace, pod) (
    {metric.replace('container!=""', f'container!="", namespace=~"{app}-.*"')}
  and on (namespace, pod, container)
    kube_pod_container_resource_limits{{${{kube_state_metrics}}, resource="{res}"}}
)
/ sum by (namespace, pod) (kube_pod_container_resource_limits{{${{kube_state_metrics}}, resource="{res}", namespace=~"{app}-.*"}})
> ${{threshold}}
"""
        params = f'{{"threshold": {70 + v % 25}, "window": Duration({window!r})}}' if res == "cpu" else f'{{"threshold": {70 + v % 25}}}'
        summary = f"Pod {res} usage above ${{threshold}}% of its limit."
        description = f"Pod {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} uses {{{{ $value | humanize }}}}% of its {res} limit (threshold ${{threshold}}%)."
        series = f'kube_pod_container_resource_limits{{${{kube_state_metrics}}, namespace="{app}-a", pod="p-1", container="c", resource="{res}"}}'
        fire = f'{{"namespace": "{app}-a", "pod": "p-1"}}'
    elif shape == 2:  # latency quantile
        name = f"{name_base}HighLatency{k:05d}"
        expr = f"""
histogram_quantile(${{quantile}},
  sum by (le, namespace, job) (rate({app}_request_duration_seconds_bucket{{${{kubelet}}, verb!="WATCH", route="r{j}"}}[${{window}}]))
) > ${{threshold}}
"""
        params = f'{{"quantile": {[0.9, 0.95, 0.99][v % 3]}, "threshold": {1 + v % 4}, "window": Duration({window!r})}}'
        summary = "p${quantile} latency of route r%d above ${threshold}s." % j
        description = "Job {{ $labels.job }} in {{ $labels.namespace }} answers route r%d in {{ $value | humanizeDuration }} at p${quantile}." % j
        series = f'{app}_request_duration_seconds_bucket{{${{kubelet}}, namespace="shop", route="r{j}", verb="GET", le="+Inf"}}'
        fire = '{"namespace": "shop", "job": "kubelet"}'
    elif shape == 3:  # absent()
        name = f"{name_base}TargetAbsent{k:05d}"
        expr = f"""
absent({app}_build_info{{${{etcd}}, component="c{j}"}})
"""
        summary = "Component c%d of %s has disappeared." % (j, app)
        description = "No {{ $labels.component }} series from %s has been scraped for ${for_window}." % app
        params = f'{{"for_window": {for_!r}}}'
        series = f'{app}_build_info{{${{etcd}}, component="other"}}'
        fire = f'{{"component": "c{j}"}}'
    elif shape == 4:  # predict_linear
        name = f"{name_base}FilesystemFillingUp{k:05d}"
        expr = f"""
(
  predict_linear(node_filesystem_avail_bytes{{${{node_exporter}}, fstype!="", mountpoint="/data{j}"}}[${{window}}], ${{horizon}}) < 0
and on (instance, device, mountpoint)
  node_filesystem_readonly{{${{node_exporter}}, mountpoint="/data{j}"}} == 0
)
"""
        params = f'{{"horizon": {4 * 3600 * (1 + v % 6)}, "window": Duration({["6h", "12h", "1d"][v % 3]!r})}}'
        summary = "Filesystem /data%d will be full within ${horizon}s." % j
        description = "Filesystem on {{ $labels.device }} at {{ $labels.instance }}:{{ $labels.mountpoint }} is predicted to run out of space."
        series = f'node_filesystem_avail_bytes{{${{node_exporter}}, instance="n1", device="sda", fstype="ext4", mountpoint="/data{j}"}}'
        fire = f'{{"instance": "n1", "device": "sda", "mountpoint": "/data{j}"}}'
    elif shape == 5:  # ratio of recording rules defined in this module
        r = len(mod.records) // 2
        errors = f"namespace_service:{app}_rpc_errors_{r}:rate5m"
        total = f"namespace_service:{app}_rpc_requests_{r}:rate5m"
        for rec, code in ((total, ""), (errors, ', code=~"5.."')):
            rexpr = f"""
sum by (namespace, service) (
  rate({app}_rpc_{r}_requests_total{{${{apiserver}}{code}}}[5m])
)
"""
            mod.records.append(f"Record({_q(rec)}, expr={_block(rexpr, 4)}),")
        name = f"{name_base}RpcErrorBudgetBurn{k:05d}"
        expr = f"""
{errors}
  / on (namespace, service)
{total}
  > ${{threshold}}
"""
        params = f'{{"threshold": {0.005 + (v % 5) / 1000:.3f}}}'
        summary = "RPC error ratio above ${threshold}."
        description = "Service {{ $labels.service }} in {{ $labels.namespace }} fails {{ $value | humanizePercentage }} of RPCs."
        series = f'{total}{{namespace="shop", service="web"}}'
        fire = '{"namespace": "shop", "service": "web"}'
    elif shape == 6:  # group_left join
        name = f"{name_base}PodRestartsOnNode{k:05d}"
        expr = f"""
sum by (namespace, pod) (
  increase(kube_pod_container_status_restarts_total{{${{kube_state_metrics}}, namespace=~"{app}-{j}.*"}}[${{window}}])
)
  * on (namespace, pod) group_left (node)
max by (namespace, pod, node) (kube_pod_info{{${{kube_state_metrics}}}})
  > ${{threshold}}
"""
        params = f'{{"threshold": {3 + v % 5}, "window": Duration({["1h", "30m", "2h"][v % 3]!r})}}'
        summary = "Pod restarted more than ${threshold} times in ${window}."
        description = "Pod {{ $labels.namespace }}/{{ $labels.pod }} on node {{ $labels.node }} restarted {{ $value }} times."
        series = f'kube_pod_container_status_restarts_total{{${{kube_state_metrics}}, namespace="{app}-{j}", pod="p-1", container="c"}}'
        fire = f'{{"namespace": "{app}-{j}", "pod": "p-1", "node": "n1"}}'
    else:  # max_over_time of a state metric
        reason = ["CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError"][v % 4]
        name = f"{name_base}Container{reason}{k:05d}"
        expr = f"""
max_over_time(kube_pod_container_status_waiting_reason{{${{kube_state_metrics}}, reason="{reason}", namespace=~"{app}-.*"}}[${{window}}]) >= 1
"""
        params = f'{{"window": Duration({window!r})}}'
        summary = f"Container waiting in {reason}."
        description = f"Container {{{{ $labels.container }}}} of pod {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} is in {reason}."
        series = f'kube_pod_container_status_waiting_reason{{${{kube_state_metrics}}, namespace="{app}-a", pod="p-1", container="c", reason="{reason}"}}'
        fire = f'{{"namespace": "{app}-a", "pod": "p-1", "container": "c", "reason": "{reason}"}}'

    mod.alert_names.append(name)
    lines = [
        "Alert(",
        f"    {_q(name)},",
        f"    expr={_block(expr, 8)},",
        f"    params={params},",
        f'    for_="{for_}",',
        f'    severity="{severity}",',
        f"    summary={_q(summary)},",
        f"    description={_q(description)},",
        *("    " + e for e in extra),
        "    cases=[",
        f'        Case("fires", series={{{_q(series)}: "0+10x30"}}, at="20m", fires=[Fire({fire}, value=1)]),',
        f'        Case("silent", series={{{_q(series)}: "0x30"}}, at="20m"),',
        "    ],",
        "),",
    ]
    return "\n".join(lines)


def _module_source(mod: _Module, first: int, count: int) -> str:
    alerts = [_alert(mod, first + j, j) for j in range(count)]
    out = [
        f'"""Synthetic catalog module {mod.name}: {count} alerts (generated by bench/synthetic.py)."""',
        "",
        "from gen.model import Alert, Case, Duration, Fire, Group, Record",
        "",
        "groups = [",
    ]
    if mod.records:
        gname = f"{mod.app}-recording"
        mod.group_names.append(gname)
        out.append(f'    Group("{gname}", [')
        out += ["        " + line for r in mod.records for line in r.splitlines()]
        out.append('    ], interval="1m"),')
    for g in range(0, count, ALERTS_PER_GROUP):
        gname = f"{mod.app}-alerts-{g // ALERTS_PER_GROUP}"
        mod.group_names.append(gname)
        out.append(f'    Group("{gname}", [')
        for a in alerts[g:g + ALERTS_PER_GROUP]:
            out += ["        " + line if line else "" for line in a.splitlines()]
        out.append("    ]),")
    out.append("]")
    return "\n".join(out) + "\n"


def _monitoring_yaml(modules: list[_Module]) -> str:
    out = [MONITORING_YAML_HEAD, "groups:"]
    for mod in modules[::3]:
        out += [f"  {mod.group_names[-1]}:", "    labels:", f"      team: {TEAMS[mod.index % len(TEAMS)]}"]
    out.append("alerts:")
    names = [n for m in modules for n in m.alert_names]
    for i, name in enumerate(names[::50]):
        if "HighLatency" in name or "PodRestarts" in name:
            out += [f"  {name}:", "    threshold: 10", "    for: 20m"]
        elif i % 3 == 0:
            out += [f"  {name}:", "    severity: critical", "    labels:", "      page: 'true'"]
        elif i % 3 == 1:
            out += [f"  {name}:", "    disabled: true"]
        else:
            out += [f"  {name}:", "    annotations:", "      note: reviewed by the synthetic benchmark"]
    return "\n".join(out) + "\n"


def write_catalog(folder: str, n_alerts: int) -> dict:
    """Write the catalog into `folder` (created) and `folder`/../monitoring.yaml; return facts about it.

    Returns {"rules_src", "config", "alerts", "records", "modules", "bytes"}.
    """
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "_selectors.py"), "w", encoding="utf-8") as fh:
        fh.write(SELECTORS_PY)
    modules = []
    size = 0
    for index, first in enumerate(range(0, n_alerts, ALERTS_PER_MODULE)):
        mod = _Module(index)
        text = _module_source(mod, first, min(ALERTS_PER_MODULE, n_alerts - first))
        with open(os.path.join(folder, f"{mod.name}.py"), "w", encoding="utf-8") as fh:
            fh.write(text)
        size += len(text)
        modules.append(mod)
    config = os.path.join(os.path.dirname(os.path.abspath(folder)), "monitoring.yaml")
    with open(config, "w", encoding="utf-8") as fh:
        fh.write(_monitoring_yaml(modules))
    return {
        "rules_src": os.path.abspath(folder),
        "config": config,
        "alerts": sum(len(m.alert_names) for m in modules),
        "records": sum(len(m.records) for m in modules),
        "modules": len(modules),
        "bytes": size,
    }


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python bench/synthetic.py N_ALERTS FOLDER")
    print(write_catalog(sys.argv[2], int(sys.argv[1])))
