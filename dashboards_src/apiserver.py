"""API server: request rate and errors, latency p99 by verb, inflight and queued requests,
the availability SLO's error budget, what it stores in etcd.

The error-budget panels read the catalog's recording rules (verb:apiserver_request:burnrate*
of rules_src/apiserver.py, the share of requests that failed with a 5xx or missed their
latency objective) and draw the burn-rate alerts' thresholds computed from the same
parameters (burn_rate and availability_slo_percent), so changing the SLO in monitoring.yaml
moves the alerts and the lines together. Latency comes from apiserver_request_sli_duration_seconds
(Kubernetes 1.26+), as in KubeAPILatencyHigh: it leaves out webhooks and queueing.
"""

from grafanalib.core import Stat, Target, TimeSeries

from gen.dash.model import AlertLine, Dashboard, Fixture, Row, Variable, cell
from ._panels import top_by_peak

A = "${apiserver}"
AI = '${apiserver}, instance=~"$instance"'
AR = AI + ', resource=~"$resource"'
# Long-running requests are open by design: no latency objective (as KubeAPILatencyHigh).
_NOT_LONG_RUNNING = 'verb!~"WATCH|WATCHLIST|CONNECT"'


def _rate(metric: str, matchers: str, by: str | None = None) -> str:
    agg = f"sum by ({by})" if by else "sum"
    return f"{agg} (rate({metric}{{{matchers}}}[$__rate_interval]))"


def _t(expr: str, legend: str, ref: str = "A", **kw) -> Target:
    return Target(expr=expr, legendFormat=legend, refId=ref, **kw)


def _ts(title: str, unit: str, *targets: Target, description: str = "", **kw) -> TimeSeries:
    return TimeSeries(title=title, unit=unit, targets=list(targets), description=description or None,
                      legendDisplayMode="table", legendCalcs=["lastNotNull", "max"], **kw)


def _budget(params: dict) -> float:
    """A burn-rate alert's threshold as a share of requests: burn_rate x the error budget."""
    return params["burn_rate"] * (100 - params["availability_slo_percent"]) / 100


_overview = Row("Availability", [
    cell(Stat(
        title="API servers up",
        description="Instances Prometheus scrapes successfully, out of all (KubeAPIDown fires when none is up).",
        format="short", reduceCalc="lastNotNull", graphMode="none",
        targets=[_t(f"sum(up{{{A}}} == bool 1) or on () vector(0)", "up"), _t(f"count(up{{{A}}}) or on () vector(0)", "instances", "B")],
    ), width=5),
    cell(Stat(
        title="Requests/s",
        description="Requests the selected API servers answer per second, all verbs and codes. A jump is often "
                    "one client in a loop: the Requests and errors row splits it by verb and code.",
        format="reqps", reduceCalc="lastNotNull", graphMode="area",
        targets=[_t(_rate("apiserver_request_total", AR), "requests/s")],
    ), width=5),
    cell(Stat(
        title="5xx, share of requests",
        description="Answered with a 5xx over the last rate interval; empty while none failed.",
        format="percentunit", reduceCalc="lastNotNull", graphMode="area", noValue="no 5xx",
        targets=[_t(f'{_rate("apiserver_request_total", AR + ", code=~" + chr(34) + "5.." + chr(34))} / {_rate("apiserver_request_total", AR)}',
                    "5xx")],
    ), width=5, alert=AlertLine("KubeAPIErrorsHigh", "threshold_ratio")),
    cell(Stat(
        title="Inflight requests",
        description="Requests being served now, by kind (limits: --max-requests-inflight, "
                    "--max-mutating-requests-inflight).",
        format="short", reduceCalc="lastNotNull", graphMode="area",
        targets=[_t(f"sum by (request_kind) (apiserver_current_inflight_requests{{{AI}}})", "{{request_kind}}")],
    ), width=9),
], height=5)

_requests = Row("Requests and errors", [
    cell(_ts("Requests/s by verb", "reqps", _t(_rate("apiserver_request_total", AR, "verb"), "{{verb}}"),
             description="Per verb (GET, LIST, WATCH, POST, ...). LISTs cost the most: a climbing LIST rate loads "
                         "the API server's memory and etcd.")),
    cell(_ts("Requests/s by code", "reqps", _t(_rate("apiserver_request_total", AR, "code"), "{{code}}"),
             description="Per HTTP status code. 5xx are the API server's own failures (KubeAPIErrorsHigh), 429 is "
                         "flow control turning requests away, other 4xx concern the clients (403 RBAC, 404 not found, "
                         "409 conflicts).")),
    cell(_ts("5xx, share by verb and resource", "percentunit",
             _t(f'{_rate("apiserver_request_total", AR + ", code=~" + chr(34) + "5.." + chr(34), "verb, resource, subresource")}'
                f' / {_rate("apiserver_request_total", AR, "verb, resource, subresource")}',
                "{{verb}} {{resource}} {{subresource}}"),
             description="The ratio KubeAPIErrorsHigh watches; empty while nothing fails."),
         alert=AlertLine("KubeAPIErrorsHigh", "threshold_ratio")),
])

_latency = Row("Latency", [
    cell(_ts("Latency p99 by verb", "s",
             _t(f"histogram_quantile(0.99, {_rate('apiserver_request_sli_duration_seconds_bucket', AR + ', ' + _NOT_LONG_RUNNING, 'verb, le')})",
                "{{verb}}"),
             description="Time the API server itself takes (SLI histogram: no webhooks, no queueing), without "
                         "long-running WATCH and CONNECT requests."),
         alert=AlertLine("KubeAPILatencyHigh", "threshold_seconds")),
    cell(_ts("Slowest verb and resource pairs, p99", "s",
             _t(top_by_peak('cluster_quantile:apiserver_request_sli_duration_seconds:histogram_quantile{${recorded}, '
                            'quantile="0.99", resource=~"$resource"}', "verb, resource"), "{{verb}} {{resource}}"),
             description="The recorded series KubeAPILatencyHigh fires on (all API servers together: the instance "
                         "choice does not apply)."),
         alert=AlertLine("KubeAPILatencyHigh", "threshold_seconds")),
])

_budget_row = Row("Error budget (availability SLO)", [
    cell(_ts("Bad requests over 1h and 5m (fast burn)", "percentunit",
             _t("verb:apiserver_request:burnrate1h{${recorded}}", "{{verb}} 1h"),
             _t("verb:apiserver_request:burnrate5m{${recorded}}", "{{verb}} 5m", "B"),
             description="Share of reads and writes that failed (5xx) or missed their latency objective. "
                         "KubeAPIErrorBudgetBurn fires when both windows are over the line: burn_rate times the "
                         "error budget (100% - SLO)."),
         alert=AlertLine("KubeAPIErrorBudgetBurn", compute=_budget)),
    cell(_ts("Bad requests over 6h and 30m (slow burn)", "percentunit",
             _t("verb:apiserver_request:burnrate6h{${recorded}}", "{{verb}} 6h"),
             _t("verb:apiserver_request:burnrate30m{${recorded}}", "{{verb}} 30m", "B"),
             description="KubeAPIErrorBudgetBurnSlow fires when both windows are over the line."),
         alert=AlertLine("KubeAPIErrorBudgetBurnSlow", compute=_budget, color="orange")),
])

_concurrency = Row("Inflight and flow control", [
    cell(_ts("Inflight requests by instance", "short",
             _t(f"sum by (instance, request_kind) (apiserver_current_inflight_requests{{{AI}}})",
                "{{instance}} {{request_kind}}"),
             description="Requests being served now, per API server and kind. One instance far above the others "
                         "gets more than its share of clients; when all are high, see the flow-control queues.")),
    cell(_ts("Requests waiting in flow-control queues", "short",
             _t(f"sum by (priority_level) (apiserver_flowcontrol_current_inqueue_requests{{{AI}}})", "{{priority_level}}"),
             description="API Priority and Fairness queues requests when a priority level's seats are taken.")),
    cell(_ts("Requests rejected by flow control/s", "reqps",
             _t(_rate("apiserver_flowcontrol_rejected_requests_total", AI, "priority_level, reason"),
                "{{priority_level}} {{reason}}"),
             description="Answered with 429 by API Priority and Fairness; empty while none is rejected.")),
])

_storage = Row("Storage, aggregated APIs, process", [
    cell(_ts("Objects stored in etcd, top 10 resources", "short",
             _t(top_by_peak(f"max by (resource) (apiserver_storage_objects{{{A}}})", "resource"), "{{resource}}"),
             description="Object counts drive the etcd database size; events and leases churn the most.")),
    cell(_ts("Aggregated APIs unavailable", "short",
             _t(f"max by (name) (aggregator_unavailable_apiservice{{{A}}})", "{{name}}"),
             description="1 while the aggregator marks the APIService unavailable (AggregatedAPIDown fires on any "
                         "unavailability over its window); requests to its API group fail.")),
    cell(_ts("Memory (resident)", "bytes",
             _t(f"max by (instance) (process_resident_memory_bytes{{{AI}}})", "{{instance}}"),
             description="Resident memory of each API server process. It grows with the watch cache (the objects "
                         "stored) and with large LIST responses; a climb to the memory it may use ends in an OOM "
                         "kill.")),
    cell(_ts("CPU", "short",
             _t(_rate("process_cpu_seconds_total", AI, "instance"), "{{instance}}"),
             description="CPU cores used.")),
])


# ---------------------------------------------------------------------------------------
# Fixture: two API servers; requests of a few verbs and resources; the catalog's recorded
# series given directly (promtool expression tests evaluate no rules).

_INSTANCES = ("10.0.0.1:6443", "10.0.0.2:6443")
_LE = ("0.1", "0.5", "1", "5", "+Inf")


def _api(instance: str) -> str:
    return f'${{apiserver}}, instance="{instance}"'


def _fixture_series() -> dict[str, str]:
    s: dict[str, str] = {}
    for inst in _INSTANCES:
        m = _api(inst)
        s[f"up{{{m}}}"] = "1x20"
        for kind, n in (("readOnly", 12), ("mutating", 3)):
            s[f'apiserver_current_inflight_requests{{{m}, request_kind="{kind}"}}'] = f"{n}x20"
        s[f"process_resident_memory_bytes{{{m}}}"] = f"{1200 * 1024**2}x20"
        s[f"process_cpu_seconds_total{{{m}}}"] = "0+30x20"
        s[f'apiserver_flowcontrol_current_inqueue_requests{{{m}, priority_level="workload-low", flow_schema="service-accounts"}}'] = "0 2 5 1 0x16"
    m = _api(_INSTANCES[0])
    for verb, resource, scope, ok, errors, buckets in (
        ("LIST", "pods", "namespace", 600, 6, (300, 560, 590, 606, 606)),
        ("GET", "pods", "resource", 3000, 0, (2950, 2995, 3000, 3000, 3000)),
        ("POST", "configmaps", "namespace", 120, 0, (100, 118, 120, 120, 120)),
    ):
        labels = f'{m}, verb="{verb}", resource="{resource}", subresource="", scope="{scope}", group="", version="v1", component="apiserver"'
        s[f'apiserver_request_total{{{labels}, code="200", dry_run=""}}'] = f"0+{ok}x20"
        if errors:
            s[f'apiserver_request_total{{{labels}, code="500", dry_run=""}}'] = f"0+{errors}x20"
        for le, n in zip(_LE, buckets):
            s[f'apiserver_request_sli_duration_seconds_bucket{{{labels}, le="{le}"}}'] = f"0+{n}x20"
    s[f'apiserver_flowcontrol_rejected_requests_total{{{m}, priority_level="workload-low", flow_schema="service-accounts", reason="queue-full"}}'] = "0 0 1 3 3x16"
    for resource, n in (("events", 42000), ("pods", 3100), ("leases.coordination.k8s.io", 180)):
        s[f'apiserver_storage_objects{{{m}, resource="{resource}"}}'] = f"{n}x20"
    s[f'aggregator_unavailable_apiservice{{{m}, name="v1beta1.metrics.k8s.io"}}'] = "0x10 1x10"
    # Recorded by rules_src/apiserver.py (labels as the recording rules leave them).
    for window, read, write in (("5m", "0.004", "0"), ("30m", "0.003", "0"), ("1h", "0.003", "0.001"), ("6h", "0.002", "0.001")):
        s[f'verb:apiserver_request:burnrate{window}{{verb="read"}}'] = f"{read}x20"
        s[f'verb:apiserver_request:burnrate{window}{{verb="write"}}'] = f"{write}x20"
    for verb, resource, value in (("LIST", "pods", "0.98"), ("GET", "pods", "0.09"), ("POST", "configmaps", "0.45")):
        s[f'cluster_quantile:apiserver_request_sli_duration_seconds:histogram_quantile{{verb="{verb}", resource="{resource}", quantile="0.99"}}'] = f"{value}x20"
    return s


dashboard = Dashboard(
    uid="k8s-apiserver",
    title="Kubernetes / API server",
    description="kube-apiserver: request rate, error ratio, latency p99 by verb, inflight and queued requests, "
                "availability error budget, objects stored.",
    tags=["apiserver", "control-plane"],
    links=["k8s-etcd"],
    variables=[
        Variable("instance", "label_values(apiserver_request_total{${apiserver}}, instance)", title="Instance",
                 multi=True, include_all=True, all_value=".*"),
        Variable("resource", 'label_values(apiserver_request_total{${apiserver}, instance=~"$instance"}, resource)',
                 title="Resource", multi=True, include_all=True, all_value=".*"),
    ],
    rows=[_overview, _requests, _latency, _budget_row, _concurrency, _storage],
    fixture=Fixture(series=_fixture_series(), vars={"instance": "10.0.0.1:6443", "resource": "pods"}),
)
