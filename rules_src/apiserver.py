"""API server: latency, availability SLO burn rates, errors, aggregated APIs, and its clients.

Latency comes from apiserver_request_sli_duration_seconds (Kubernetes 1.26+), which leaves
out webhook and priority-and-fairness queue time, so it measures the API server itself.

The availability SLO (KubeAPIErrorBudgetBurn, KubeAPIErrorBudgetBurnSlow) follows
kubernetes-mixin's multi-window burn rates, simplified: a request is bad when it fails
with a 5xx or is slower than the latency objective of its kind (reads of one object 1s,
namespace-wide LISTs 5s, cluster-wide LISTs 30s, writes 1s). The recording rules
verb:apiserver_request:burnrate<window> (5m, 30m, 1h, 6h) hold the share of bad requests
per window, for reads (verb="read") and writes (verb="write"). Both burn alerts take the
SLO as a parameter (availability_slo_percent, default 99): override it for both in
monitoring.yaml. The names differ from the mixin's apiserver_request:burnrate<window> on
purpose: they follow level:metric:operations, and do not collide with the mixin's own
rules (which count differently) when both are loaded into one Prometheus.

KubeVersionMismatch and KubeClientErrors watch the components that talk to the API server
(apiserver, kubelet, scheduler, controller-manager, kube-proxy), each read through its own
selector, so CoreDNS and other add-ons are left out.
"""

from gen.model import Alert, Case, Duration, Fire, Group, Record

from ._fixtures.apiserver import (
    API_UP, API_UP_2, CERT_LE, KUBELET, KUBELET_LABELS, METRICS_API,
    api_requests, buckets, build_info, cert_buckets, client_requests, requests,
)

_LATENCY_P99 = "cluster_quantile:apiserver_request_sli_duration_seconds:histogram_quantile"

# Components whose series a cross-component alert reads, one selector each.
_COMPONENTS = ("apiserver", "kubelet", "kube_scheduler", "kube_controller_manager", "kube_proxy")


def _each_component(template: str, indent: int) -> str:
    """`template` (holding SELECTOR) once per component, joined with `or` on lines indented by `indent`."""
    return f"\n{' ' * indent}or ".join(template.replace("SELECTOR", "${%s}" % c) for c in _COMPONENTS)


# ---------------------------------------------------------------------------------------
# Availability SLO: share of bad (5xx or too slow) requests over a window.

_READ_VERBS = "LIST|GET"
_WRITE_VERBS = "POST|PUT|PATCH|DELETE"
_STREAMING = "proxy|attach|log|exec|portforward"  # long-running subresources, no latency objective
# (scope matcher, le bucket) pairs: a request is fast enough when it lands in its scope's bucket.
# The le values must be buckets of apiserver_request_sli_duration_seconds.
_READ_OBJECTIVES = (('scope=~"resource|"', "1"), ('scope="namespace"', "5"), ('scope="cluster"', "30"))
_WRITE_OBJECTIVES = (("", "1"),)
_BURN_WINDOWS = ("5m", "30m", "1h", "6h")


def _burnrate(window: str, verbs: str, objectives) -> str:
    sel = '${apiserver}, verb=~"%s"' % verbs
    sli = f'{sel}, subresource!~"{_STREAMING}"'
    fast = "\n                or ".join(
        f'rate(apiserver_request_sli_duration_seconds_bucket{{{sli}, {scope + ", " if scope else ""}le="{le}"}}[{window}])'
        for scope, le in objectives
    )
    total = f"sum(rate(apiserver_request_total{{{sel}}}[{window}]))"
    # Each part falls back to 0 (with the labels of the total) when its series do not exist
    # yet, e.g. no 5xx since the API server started: otherwise the whole ratio would vanish.
    return f"""
        (
          (
            (
              sum(rate(apiserver_request_sli_duration_seconds_count{{{sli}}}[{window}]))
              -
              sum(
                {fast}
              )
            )
            or (0 * {total})
          )
          +
          (
            sum(rate(apiserver_request_total{{{sel}, code=~"5.."}}[{window}]))
            or (0 * {total})
          )
        )
        /
        {total}
    """


def _burnrate_records() -> list[Record]:
    records = []
    for window in _BURN_WINDOWS:
        for kind, verbs, objectives in (("read", _READ_VERBS, _READ_OBJECTIVES), ("write", _WRITE_VERBS, _WRITE_OBJECTIVES)):
            records.append(Record(f"verb:apiserver_request:burnrate{window}", expr=_burnrate(window, verbs, objectives), labels={"verb": kind}))
    return records


_SLO_PERCENT = 99


def _burn_alert_expr(long: str, short: str) -> str:
    budget = "(${burn_rate} * (100 - ${availability_slo_percent}) / 100)"
    return f"""
        verb:apiserver_request:burnrate{long} > {budget}
        and on (verb)
        verb:apiserver_request:burnrate{short} > {budget}
    """


_API_DESCRIPTION = "{{ $value | humanizePercentage }} of {{ $labels.verb }} requests for {{ $labels.resource }}{{ if $labels.subresource }}/{{ $labels.subresource }}{{ end }} fail with a 5xx error."


groups = [
    Group("apiserver-latency", [
        Record(
            _LATENCY_P99,
            # Long-running requests (WATCH, CONNECT) are open by design and excluded.
            expr="""
                histogram_quantile(0.99,
                  sum by (le, verb, resource) (
                    rate(apiserver_request_sli_duration_seconds_bucket{${apiserver}, verb!~"WATCH|WATCHLIST|CONNECT"}[5m])
                  )
                )
            """,
            labels={"quantile": "0.99"},
        ),
        Alert(
            "KubeAPILatencyHigh",
            expr=f"""
                {_LATENCY_P99}{{quantile="0.99"}} > ${{threshold_seconds}}
            """,
            params={"threshold_seconds": 1},
            for_="5m",
            severity="warning",
            dashboard="k8s-apiserver",
            summary="API server requests are slow (p99 over ${threshold_seconds}s).",
            description="API server {{ $labels.verb }} {{ $labels.resource }} requests: 99th percentile latency is {{ $value | humanizeDuration }}.",
            cases=[
                # 100 requests a minute, 2 slower than 1s: p99 lies in (1, 2.5].
                Case("fires when p99 LIST pods latency exceeds 1s for 5m",
                     series=buckets("LIST", "pods", {"0.5": 95, "1": 98, "2.5": 100, "+Inf": 100}), at="10m",
                     fires=[Fire({"verb": "LIST", "resource": "pods", "quantile": "0.99"}, value=1 + 1.5 * (99 - 98) / 2)]),
                Case("silent just under the threshold (p99 at 1s)",
                     series=buckets("LIST", "pods", {"0.5": 98, "1": 99, "2.5": 100, "+Inf": 100}), at="10m"),
                Case("silent when slow for less than 5m",
                     series=buckets("LIST", "pods", {"0.5": 95, "1": 98, "2.5": 100, "+Inf": 100}), at="4m"),
                Case("silent for slow WATCH requests (long-running by design)",
                     series=buckets("WATCH", "pods", {"0.5": 0, "1": 0, "2.5": 0, "+Inf": 100}), at="10m"),
            ],
        ),
    ]),
    # Records and the alerts reading them share a group, so each evaluation sees fresh ratios.
    Group("apiserver-slo", [
        *_burnrate_records(),
        Alert(
            "KubeAPIErrorBudgetBurn",
            # Fast burn: at 14.4x the budget is gone in 30d / 14.4 ~ 2 days; the 5m window
            # makes the alert stop soon after the burning stops.
            expr=_burn_alert_expr("1h", "5m"),
            params={"availability_slo_percent": _SLO_PERCENT, "burn_rate": 14.4},
            for_="2m",
            severity="critical",
            dashboard="k8s-apiserver",
            summary="The API server is burning its error budget fast (${burn_rate}x over 1h and 5m).",
            description="{{ $value | humanizePercentage }} of API server {{ $labels.verb }} requests failed (5xx) or were too slow over the last hour and are still failing: ${burn_rate} times the rate the ${availability_slo_percent}% availability SLO allows.",
            cases=[
                Case("fires at 20% failing reads for 2m",
                     series=requests(ok=800, errors=200), at="10m",
                     fires=[Fire({"verb": "read"}, value=0.2)]),
                Case("fires just above the threshold (15% failing reads)",
                     series=requests(ok=850, errors=150), at="10m",
                     fires=[Fire({"verb": "read"}, value=0.15)]),
                Case("silent just under the threshold (14% failing reads)",
                     series=requests(ok=860, errors=140), at="10m"),
                Case("silent when burning for less than 2m",
                     series=requests(ok=800, errors=200), at="2m"),
                Case("silent once a burst has stopped: 1h still over, 5m back to 0",
                     series=requests(ok=700, errors_values="0+300x20 6000x20"), at="40m"),
                Case("fires when writes fail",
                     series=requests(verb="POST", resource="configmaps", scope="namespace", ok=75, errors=25), at="10m",
                     fires=[Fire({"verb": "write"}, value=0.25)]),
                Case("silent for failing WATCH requests (no SLO)",
                     series=requests(verb="WATCH", ok=800, errors=200), at="10m"),
                # 2000 reads a minute, each scope against its own objective, 400 too slow (20%).
                # Namespace LISTs between 1s and 5s, and cluster LISTs between 5s and 30s, are fine.
                Case("fires when reads are too slow for their scope",
                     series={**requests(verb="GET", scope="resource", ok=1000, sli={"1": 800, "5": 1000, "30": 1000}),
                             **requests(verb="LIST", scope="namespace", ok=500, sli={"1": 100, "5": 400, "30": 500}),
                             **requests(verb="LIST", scope="cluster", ok=500, sli={"1": 0, "5": 100, "30": 400})},
                     at="10m", fires=[Fire({"verb": "read"}, value=0.2)]),
                Case("silent when reads are slow but within their scope's objective",
                     series={**requests(verb="LIST", scope="namespace", ok=500, sli={"1": 100, "5": 500, "30": 500}),
                             **requests(verb="LIST", scope="cluster", ok=500, sli={"1": 0, "5": 0, "30": 500})},
                     at="10m"),
                Case("silent for slow log streaming (long-running subresource)",
                     series={'apiserver_request_total{job="apiserver", verb="GET", resource="pods", subresource="log", scope="resource", code="200"}': "0+100x20",
                             'apiserver_request_sli_duration_seconds_count{job="apiserver", verb="GET", resource="pods", subresource="log", scope="resource"}': "0+100x20",
                             'apiserver_request_sli_duration_seconds_bucket{job="apiserver", verb="GET", resource="pods", subresource="log", scope="resource", le="1"}': "0x20"},
                     at="10m"),
            ],
        ),
        Alert(
            "KubeAPIErrorBudgetBurnSlow",
            # Slow burn: at 6x the budget is gone in 5 days; caught over 6h, confirmed over 30m.
            expr=_burn_alert_expr("6h", "30m"),
            params={"availability_slo_percent": _SLO_PERCENT, "burn_rate": 6},
            for_="15m",
            severity="warning",
            dashboard="k8s-apiserver",
            summary="The API server is burning its error budget (${burn_rate}x over 6h and 30m).",
            description="{{ $value | humanizePercentage }} of API server {{ $labels.verb }} requests failed (5xx) or were too slow over the last 6 hours and the last 30 minutes: ${burn_rate} times the rate the ${availability_slo_percent}% availability SLO allows.",
            cases=[
                Case("fires at 6.5% failing reads for 15m",
                     series=requests(ok=935, errors=65), at="20m",
                     fires=[Fire({"verb": "read"}, value=0.065)]),
                Case("silent just under the threshold (5.5% failing reads)",
                     series=requests(ok=945, errors=55), at="20m"),
                Case("silent when burning for less than 15m",
                     series=requests(ok=935, errors=65), at="15m"),
                # 20 minutes at 30%, then none: the 30m window still holds the burst.
                Case("still fires 20m after a burst has stopped",
                     series=requests(ok=700, errors_values="0+300x20 6000x20"), at="40m",
                     fires=[Fire({"verb": "read"}, value=6000 / 34000)]),
            ],
        ),
    ]),
    Group("apiserver-availability", [
        Alert(
            "KubeAPIDown",
            expr="absent(up{${apiserver}} == 1)",
            for_="15m",
            severity="critical",
            dashboard="k8s-apiserver",
            summary="No API server target is up.",
            description="Prometheus scrapes no API server target successfully: every API server is down, or unreachable from Prometheus. kubectl, controllers and kubelets cannot reach it either if it is really down.",
            cases=[
                Case("fires when the API server is down for 15m",
                     series={API_UP: "0x30"}, at="20m", fires=[Fire({}, value=1)]),
                Case("fires when there is no API server target at all",
                     series={f"up{{{KUBELET}}}": "1x30"}, at="20m", fires=[Fire({}, value=1)]),
                Case("silent while one of two API servers is up",
                     series={API_UP: "0x30", API_UP_2: "1x30"}, at="20m"),
                Case("silent when down for less than 15m",
                     series={API_UP: "1x10 0x20"}, at="20m"),
            ],
        ),
        Alert(
            "KubeAPIErrorsHigh",
            expr="""
                sum by (resource, subresource, verb) (rate(apiserver_request_total{${apiserver}, code=~"5.."}[${rate_window}]))
                /
                sum by (resource, subresource, verb) (rate(apiserver_request_total{${apiserver}}[${rate_window}]))
                > ${threshold_ratio}
            """,
            params={"threshold_ratio": 0.05, "rate_window": Duration("5m")},
            for_="10m",
            severity="warning",
            dashboard="k8s-apiserver",
            summary="The API server answers many requests with 5xx errors.",
            description=_API_DESCRIPTION,
            cases=[
                Case("fires at 10% failing LIST pods for 10m",
                     series=api_requests("pods", "LIST", ok=90, errors=10), at="15m",
                     fires=[Fire({"resource": "pods", "verb": "LIST"}, value=0.1,
                                 annotations={"description": "10% of LIST requests for pods fail with a 5xx error."})]),
                Case("fires just above the threshold (5.1%), naming the subresource",
                     series=api_requests("pods", "GET", ok=949, errors=51, subresource="log"), at="15m",
                     fires=[Fire({"resource": "pods", "subresource": "log", "verb": "GET"}, value=0.051,
                                 annotations={"description": "5.1% of GET requests for pods/log fail with a 5xx error."})]),
                Case("silent just under the threshold (4.9%)",
                     series=api_requests("pods", "LIST", ok=951, errors=49), at="15m"),
                Case("silent when failing for less than 10m",
                     series=api_requests("pods", "LIST", ok=90, errors=10), at="9m"),
            ],
        ),
    ]),
    Group("apiserver-aggregation", [
        Alert(
            "AggregatedAPIErrors",
            # Counts how often the aggregator marked the APIService unavailable (any reason).
            expr="""
                sum by (name, namespace) (increase(aggregator_unavailable_apiservice_total{${apiserver}}[${window}])) > ${threshold}
            """,
            params={"threshold": 2, "window": Duration("5m")},
            severity="warning",
            dashboard="k8s-apiserver",
            summary="An aggregated API keeps being marked unavailable.",
            description="APIService {{ $labels.name }} was marked unavailable {{ $value | humanize }} times in the last ${window}.",
            cases=[
                Case("fires when marked unavailable 3 times in 5m",
                     series={f'aggregator_unavailable_apiservice_total{{job="apiserver", instance="10.0.0.1:6443", name="{METRICS_API}", reason="MissingEndpoints"}}': "0x10 3x10"},
                     at="13m", fires=[Fire({"name": METRICS_API}, value=3)]),
                Case("silent at the threshold (2 times in 5m)",
                     series={f'aggregator_unavailable_apiservice_total{{job="apiserver", instance="10.0.0.1:6443", name="{METRICS_API}", reason="MissingEndpoints"}}': "0x10 2x10"},
                     at="13m"),
                Case("silent once the errors are older than 5m",
                     series={f'aggregator_unavailable_apiservice_total{{job="apiserver", instance="10.0.0.1:6443", name="{METRICS_API}", reason="MissingEndpoints"}}': "0x10 3x10"},
                     at="20m"),
            ],
        ),
        Alert(
            "AggregatedAPIDown",
            # Share of the window the APIService was unavailable, on the worst API server.
            expr="""
                max by (name, namespace) (avg_over_time(aggregator_unavailable_apiservice{${apiserver}}[${window}])) > ${threshold_ratio}
            """,
            params={"threshold_ratio": 0, "window": Duration("5m")},
            for_="5m",
            severity="warning",
            dashboard="k8s-apiserver",
            summary="An aggregated API is unavailable.",
            description="APIService {{ $labels.name }} was unavailable {{ $value | humanizePercentage }} of the last ${window}; requests to its API group fail.",
            cases=[
                Case("fires when unavailable for 5m",
                     series={f'aggregator_unavailable_apiservice{{job="apiserver", instance="10.0.0.1:6443", name="{METRICS_API}"}}': "0x5 1x20"},
                     at="20m", fires=[Fire({"name": METRICS_API}, value=1)]),
                # Unavailable one scrape in five: every 5m window holds at least one.
                Case("fires when flapping every 5 minutes",
                     series={f'aggregator_unavailable_apiservice{{job="apiserver", instance="10.0.0.1:6443", name="{METRICS_API}"}}': "0 1 0 0 0 " * 5},
                     at="20m", fires=[Fire({"name": METRICS_API}, value=1 / 6)]),
                Case("silent while available",
                     series={f'aggregator_unavailable_apiservice{{job="apiserver", instance="10.0.0.1:6443", name="{METRICS_API}"}}': "0x25"},
                     at="20m"),
                Case("silent when unavailable for less than 5m",
                     series={f'aggregator_unavailable_apiservice{{job="apiserver", instance="10.0.0.1:6443", name="{METRICS_API}"}}': "0x16 1x10"},
                     at="20m"),
            ],
        ),
    ]),
    Group("apiserver-clients", [
        Alert(
            "KubeClientErrors",
            expr=f"""
                (
                  sum by (instance, job) (
                    {_each_component('rate(rest_client_requests_total{SELECTOR, code=~"5.."}[${rate_window}])', 20)}
                  )
                /
                  sum by (instance, job) (
                    {_each_component('rate(rest_client_requests_total{SELECTOR}[${rate_window}])', 20)}
                  )
                ) > ${{threshold_ratio}}
            """,
            params={"threshold_ratio": 0.01, "rate_window": Duration("5m")},
            for_="15m",
            severity="warning",
            summary="A Kubernetes component gets 5xx errors from the API server.",
            description="{{ $value | humanizePercentage }} of the API requests of {{ $labels.job }} on {{ $labels.instance }} fail with a 5xx error.",
            cases=[
                Case("fires at 2% failing kubelet requests for 15m",
                     series=client_requests(KUBELET, ok=98, errors=2), at="20m",
                     fires=[Fire(KUBELET_LABELS, value=0.02)]),
                Case("fires just above the threshold (1.1%)",
                     series=client_requests(KUBELET, ok=989, errors=11), at="20m",
                     fires=[Fire(KUBELET_LABELS, value=0.011)]),
                Case("silent just under the threshold (0.9%)",
                     series=client_requests(KUBELET, ok=991, errors=9), at="20m"),
                Case("silent when failing for less than 15m",
                     series=client_requests(KUBELET, ok=98, errors=2), at="14m"),
                Case("silent for clients outside the Kubernetes components",
                     series=client_requests('job="some-operator", instance="10.0.3.7:8080"', ok=50, errors=50), at="20m"),
            ],
        ),
        Alert(
            "KubeClientCertificateExpiration",
            # The quantile-th shortest remaining lifetime of the client certificates that
            # authenticated requests; NaN (silent) when no request used one.
            expr="""
                histogram_quantile(${quantile},
                  sum by (job, le) (rate(apiserver_client_certificate_expiration_seconds_bucket{${apiserver}}[${rate_window}]))
                ) < ${threshold_seconds}
            """,
            params={"threshold_seconds": 604800, "quantile": 0.01, "rate_window": Duration("5m")},
            severity="warning",
            summary="A client certificate of the API server expires soon.",
            description="Clients authenticate to the API server ({{ $labels.job }}) with certificates that expire in {{ $value | humanizeDuration }} (the ${quantile} quantile of their remaining lifetime); once expired, those clients are rejected with 401.",
            cases=[
                # 100 requests a minute, 2 with a certificate expiring in 4-7 days: rank 1 of 100
                # lies half-way through the (345600, 604800] bucket.
                Case("fires when 2% of requests use a certificate expiring within 7 days",
                     series=cert_buckets(dict(zip(CERT_LE, (0, 2, 100, 100, 100)))), at="10m",
                     fires=[Fire({"job": "apiserver"}, value=345600 + (604800 - 345600) / 2)]),
                Case("silent at the threshold (1% of requests, quantile at 7 days)",
                     series=cert_buckets(dict(zip(CERT_LE, (0, 1, 100, 100, 100)))), at="10m"),
                Case("silent when every certificate is valid for over 30 days",
                     series=cert_buckets(dict(zip(CERT_LE, (0, 0, 0, 100, 100)))), at="10m"),
                Case("silent when no request uses a client certificate",
                     series=cert_buckets(dict(zip(CERT_LE, (0, 0, 0, 0, 0)))), at="10m"),
            ],
        ),
        Alert(
            "KubeVersionMismatch",
            # Versions compared on major.minor: patch releases differ harmlessly mid-upgrade.
            expr=f"""
                count(
                  count by (git_version) (
                    label_replace(
                      {_each_component('kubernetes_build_info{SELECTOR}', 22)},
                      "git_version", "$1", "git_version", "v?([0-9]+[.][0-9]+).*"
                    )
                  )
                ) > ${{max_versions}}
            """,
            params={"max_versions": 1},
            for_="15m",
            severity="warning",
            summary="Kubernetes components run different minor versions.",
            description="{{ $value | humanize }} different minor versions of Kubernetes components are running (more than ${max_versions}).",
            cases=[
                Case("fires when the kubelet lags the API server by a minor version",
                     series={**build_info('job="apiserver", instance="10.0.0.1:6443"', "v1.29.2"),
                             **build_info(KUBELET, "v1.28.5")},
                     at="20m", fires=[Fire({}, value=2)]),
                Case("silent when only patch versions and build suffixes differ",
                     series={**build_info('job="apiserver", instance="10.0.0.1:6443"', "v1.28.3"),
                             **build_info(KUBELET, "v1.28.7+k3s1"),
                             **build_info('job="kube-proxy", instance="10.0.0.5:10249"', "v1.28.12-eks-1a2b3c")},
                     at="20m"),
                Case("silent for kube-dns and other add-ons",
                     series={**build_info('job="apiserver", instance="10.0.0.1:6443"', "v1.28.3"),
                             **build_info('job="kube-dns", instance="10.244.0.3:10054"', "v1.14.13")},
                     at="20m"),
                Case("silent when mismatched for less than 15m",
                     series={**build_info('job="apiserver", instance="10.0.0.1:6443"', "v1.29.2"),
                             f'kubernetes_build_info{{{KUBELET}, git_version="v1.28.5"}}': "_x10 1x20"},
                     at="20m"),
            ],
        ),
    ]),
]
