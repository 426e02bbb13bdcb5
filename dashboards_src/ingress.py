"""Ingress (ingress-nginx controller): requests per second, 4xx and 5xx shares, p95 and p99
latency by Ingress and by host, upstream response time, controller reloads, connections,
certificates.

Seed 001 names the ingress the cluster's traffic entry ("流量入口") and asks for it to be
watched. The 5xx and latency panels use the expressions of IngressHigh5xxRatio(Critical)
and IngressHighLatency (rules_src/ingress.py) and draw their thresholds. The `namespace`
label is the Ingress' namespace only when the scrape honours the controller's labels
(see rules_src/ingress.py).
"""

from grafanalib.core import (Stat, StatValueMappingItem, StatValueMappings, Target, Threshold,
                             TimeSeries)

from gen.dash.model import AlertLine, Dashboard, Fixture, Link, Row, Variable, cell

from ._panels import top_by_peak

CTRL = '${ingress_nginx}, controller_class=~"$controller_class"'
IN = CTRL + ', namespace=~"$namespace", ingress=~"$ingress"'
_5XX = 'status=~"5.."'
_4XX = 'status=~"4.."'


def _rate(metric: str, matchers: str, by: str | None = None) -> str:
    agg = f"sum by ({by})" if by else "sum"
    return f"{agg} (rate({metric}{{{matchers}}}[$__rate_interval]))"


def _share(status: str, by: str | None = None) -> str:
    """Percentage of requests with a status matching `status`."""
    return (f"100 * {_rate('nginx_ingress_controller_requests', IN + ', ' + status, by)}"
            f" / {_rate('nginx_ingress_controller_requests', IN, by)}")


def _quantile(q: float, by: str | None = None, metric: str = "nginx_ingress_controller_request_duration_seconds") -> str:
    return f"histogram_quantile({q}, {_rate(metric + '_bucket', IN, (by + ', le') if by else 'le')})"


def _t(expr: str, legend: str, ref: str = "A", **kw) -> Target:
    return Target(expr=expr, legendFormat=legend, refId=ref, **kw)


def _ts(title: str, unit: str, *targets: Target, description: str = "", **kw) -> TimeSeries:
    return TimeSeries(title=title, unit=unit, targets=list(targets), description=description or None,
                      legendDisplayMode="table", legendCalcs=["mean", "max"], **kw)


_RATIO_LINES = [AlertLine("IngressHigh5xxRatio", color="orange"), AlertLine("IngressHigh5xxRatioCritical")]
_LATENCY_LINE = AlertLine("IngressHighLatency", "threshold_seconds")
# A real cluster has hundreds of Ingresses: with the filter on All, a graph per Ingress, host or
# service draws the ten with the highest peak in the range (top_by_peak).
_BY_INGRESS = "namespace, ingress"
_INGRESS_LEGEND = "{{namespace}}/{{ingress}}"

_overview = Row("Overview", [
    cell(Stat(title="Requests/s",
              description="Requests through the selected controllers and Ingresses, all statuses; the Traffic row "
                          "splits them by Ingress, host and status.",
              format="reqps", reduceCalc="lastNotNull", graphMode="area",
              targets=[_t(_rate("nginx_ingress_controller_requests", IN), "requests/s")]), width=4),
    cell(Stat(title="5xx, % of requests",
              description="All selected Ingresses together; empty while none fails. The IngressHigh5xxRatio alerts "
                          "fire per Ingress: see 5xx, % by ingress.",
              format="percent", reduceCalc="lastNotNull", graphMode="area",
              noValue="no 5xx", targets=[_t(_share(_5XX), "5xx")]), width=4, alert=_RATIO_LINES),
    cell(Stat(title="4xx, % of requests",
              description="Client errors, no alert. A jump after a change is often a moved path or host (404) or "
                          "auth (401/403): see 4xx, % by ingress.",
              format="percent", reduceCalc="lastNotNull", graphMode="area",
              noValue="no 4xx", targets=[_t(_share(_4XX), "4xx")]), width=4),
    cell(Stat(title="Latency p99",
              description="Request time (controller plus backend), all selected Ingresses together. "
                          "IngressHighLatency fires per Ingress: see p99 by ingress.",
              format="s", reduceCalc="lastNotNull", graphMode="area",
              targets=[_t(_quantile(0.99), "p99")]), width=4, alert=_LATENCY_LINE),
    cell(Stat(
        title="Last config reload",
        description="Per controller pod: a failed reload keeps the old configuration and ignores Ingress changes "
                    "(IngressControllerConfigReloadFailed).",
        format="short", reduceCalc="lastNotNull", graphMode="none", colorMode="background", textMode="value_and_name",
        thresholds=[Threshold("red", 0, 0.0), Threshold("green", 1, 1.0)],
        mappings=[StatValueMappings(StatValueMappingItem("ok", "1", "green"), StatValueMappingItem("failed", "0", "red"))],
        targets=[_t(f"min by (controller_namespace, controller_pod) (nginx_ingress_controller_config_last_reload_successful{{{CTRL}}})",
                    "{{controller_pod}}")],
    ), width=8, links=[Link("Controller pod", "k8s-pod", {"namespace": "${__field.labels.controller_namespace}",
                                                          "pod": "${__field.labels.controller_pod}"})]),
], height=5)

_traffic = Row("Traffic", [
    cell(_ts("Requests/s by ingress (top 10)", "reqps", _t(top_by_peak(_rate("nginx_ingress_controller_requests", IN, _BY_INGRESS), _BY_INGRESS), _INGRESS_LEGEND),
             description="The alerts judge each Ingress (namespace/name), and ignore those serving fewer than their "
                         "min_request_rate (1/s by default).")),
    cell(_ts("Requests/s by host (top 10)", "reqps", _t(top_by_peak(_rate("nginx_ingress_controller_requests", IN, "host"), "host"), "{{host}}"),
             description="Per host of the Ingress rules; several Ingresses can serve one host.")),
    cell(_ts("Requests/s by status", "reqps", _t(_rate("nginx_ingress_controller_requests", IN, "status"), "{{status}}"),
             description="499: the client gave up waiting; 502, 503 and 504 usually mean backend pods that are down, "
                         "missing or slow.")),
])

_errors = Row("Errors", [
    cell(_ts("5xx, % by ingress (top 10)", "percent", _t(top_by_peak(_share(_5XX, _BY_INGRESS), _BY_INGRESS), _INGRESS_LEGEND),
             description="The ratio the IngressHigh5xxRatio alerts watch (they also ignore Ingresses under "
                         "min_request_rate); empty while nothing fails."),
         alert=_RATIO_LINES),
    cell(_ts("5xx, % by host (top 10)", "percent", _t(top_by_peak(_share(_5XX, "host"), "host"), "{{host}}"),
             description="Empty while nothing fails. The lines are the IngressHigh5xxRatio thresholds, which the "
                         "alerts apply per Ingress."), alert=_RATIO_LINES),
    cell(_ts("4xx, % by ingress (top 10)", "percent", _t(top_by_peak(_share(_4XX, _BY_INGRESS), _BY_INGRESS), _INGRESS_LEGEND),
             description="Client errors: missing paths (404), auth (401/403), rate limiting (429).")),
])

_latency = Row("Latency", [
    cell(_ts("p99 by ingress (top 10)", "s", _t(top_by_peak(_quantile(0.99, _BY_INGRESS), _BY_INGRESS), _INGRESS_LEGEND),
             description="Request time as nginx sees it: controller plus backend."), alert=_LATENCY_LINE),
    cell(_ts("p95 by ingress (top 10)", "s", _t(top_by_peak(_quantile(0.95, _BY_INGRESS), _BY_INGRESS), _INGRESS_LEGEND),
             description="Request time (controller plus backend). Close to the p99: the Ingress is slow throughout; "
                         "far below it: a few slow requests.")),
    cell(_ts("p99 by host (top 10)", "s", _t(top_by_peak(_quantile(0.99, "host"), "host"), "{{host}}"),
             description="Request time (controller plus backend). The line is IngressHighLatency's threshold, which "
                         "the alert applies per Ingress."), alert=_LATENCY_LINE),
    cell(_ts("p95 by host (top 10)", "s", _t(top_by_peak(_quantile(0.95, "host"), "host"), "{{host}}"),
             description="Request time (controller plus backend); compare with p99 by host.")),
])

_upstream = Row("Backends and controller", [
    cell(_ts("Backend response time p99 by service (top 10)", "s",
             _t(top_by_peak(_quantile(0.99, "namespace, service", "nginx_ingress_controller_response_duration_seconds"),
                     "namespace, service"), "{{namespace}}/{{service}}"),
             description="Time the backend (upstream) took to answer: when it is close to the request time, the "
                         "backend is slow, not the controller.")),
    cell(_ts("Response bytes/s by ingress (top 10)", "Bps",
             _t(top_by_peak(_rate("nginx_ingress_controller_response_size_sum", IN, _BY_INGRESS), _BY_INGRESS), _INGRESS_LEGEND),
             description="Bytes the controller sends back per Ingress. A jump at a steady request rate means larger "
                         "responses (downloads, unpaged lists).")),
    cell(_ts("Active connections by controller pod", "short",
             _t(f'sum by (controller_pod) (nginx_ingress_controller_nginx_process_connections{{{CTRL}, state="active"}})',
                "{{controller_pod}}"),
             description="Client connections each controller pod holds open, idle keep-alives included. A pod far "
                         "above the others gets an uneven share from the load balancer; a steady climb can be "
                         "clients that never close.")),
    cell(Stat(
        title="Certificates: time left",
        description="Until each host's TLS certificate expires.",
        format="s", reduceCalc="lastNotNull", graphMode="none", textMode="value_and_name", orientation="horizontal",
        thresholds=[Threshold("red", 0, 0.0), Threshold("orange", 1, 7 * 86400.0), Threshold("green", 2, 30 * 86400.0)],
        targets=[_t('min by (host) (nginx_ingress_controller_ssl_expire_time_seconds{${ingress_nginx}, '
                    'class=~"$controller_class", namespace=~"$namespace", host!="_"}) - time()', "{{host}}")],
    )),
])


# ---------------------------------------------------------------------------------------
# Fixture: one controller pod, two Ingresses (shop/web is the one chosen).

_CTRL = ('job="ingress-nginx-controller-metrics", instance="10.0.1.1:10254", controller_class="k8s.io/ingress-nginx", '
         'controller_namespace="ingress-nginx", controller_pod="ingress-nginx-controller-7d9f8-x2kq4"')
_LE = ("0.1", "0.5", "1", "2.5", "+Inf")


def _fixture_series() -> dict[str, str]:
    s: dict[str, str] = {
        f"nginx_ingress_controller_config_last_reload_successful{{{_CTRL}}}": "1x20",
        f'nginx_ingress_controller_nginx_process_connections{{{_CTRL}, state="active"}}': "140 150 160x18",
        'nginx_ingress_controller_ssl_expire_time_seconds{job="ingress-nginx-controller-metrics", instance="10.0.1.1:10254", '
        'class="k8s.io/ingress-nginx", host="web.example.com", namespace="shop", secret_name="web-tls"}': "1728000x20",
    }
    for namespace, ingress, statuses, buckets in (
        ("shop", "web", {"200": 570, "404": 20, "502": 10}, (500, 580, 594, 598, 600)),
        ("billing", "api", {"200": 300}, (290, 300, 300, 300, 300)),
    ):
        common = (f'{_CTRL}, namespace="{namespace}", ingress="{ingress}", host="{ingress}.example.com", '
                  f'service="{ingress}", method="GET", path="/", canary=""')
        for status, n in statuses.items():
            s[f'nginx_ingress_controller_requests{{{common}, status="{status}"}}'] = f"0+{n}x20"
        ok = f'{common}, status="200"'
        for le, n in zip(_LE, buckets):
            s[f'nginx_ingress_controller_request_duration_seconds_bucket{{{ok}, le="{le}"}}'] = f"0+{n}x20"
            s[f'nginx_ingress_controller_response_duration_seconds_bucket{{{ok}, le="{le}"}}'] = f"0+{n}x20"
        s[f"nginx_ingress_controller_response_size_sum{{{ok}}}"] = f"0+{buckets[-1] * 2048}x20"
    return s


dashboard = Dashboard(
    uid="k8s-ingress-nginx",
    title="Kubernetes / Ingress (nginx)",
    description="ingress-nginx: requests per second, 4xx/5xx shares, p95/p99 latency by Ingress and host, backend "
                "response time, config reloads, connections, certificates.",
    tags=["ingress", "networking"],
    links=["k8s-coredns", "k8s-pod"],
    variables=[
        Variable("controller_class",
                 "label_values(nginx_ingress_controller_config_last_reload_successful{${ingress_nginx}}, controller_class)",
                 title="Controller class", multi=True, include_all=True, all_value=".*"),
        Variable("namespace",
                 'label_values(nginx_ingress_controller_requests{${ingress_nginx}, controller_class=~"$controller_class"}, namespace)',
                 title="Namespace", multi=True, include_all=True, all_value=".*"),
        Variable("ingress",
                 'label_values(nginx_ingress_controller_requests{${ingress_nginx}, controller_class=~"$controller_class", '
                 'namespace=~"$namespace"}, ingress)',
                 title="Ingress", multi=True, include_all=True, all_value=".*"),
    ],
    rows=[_overview, _traffic, _errors, _latency, _upstream],
    fixture=Fixture(series=_fixture_series(),
                    vars={"controller_class": "k8s.io/ingress-nginx", "namespace": "shop", "ingress": "web"}),
)
