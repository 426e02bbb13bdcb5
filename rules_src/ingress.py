"""Ingress: the traffic entry of the cluster, watched through the ingress-nginx controller.

Seed 001 names the ingress the cluster's traffic entry ("流量入口") and asks for it to be
watched: 5xx share and latency per Ingress (namespace, ingress), and failed configuration
reloads of the controller.

The per-Ingress alerts read `nginx_ingress_controller_requests` and
`nginx_ingress_controller_request_duration_seconds`, whose `namespace` label is the namespace
of the Ingress object. Prometheus keeps it there only when the scrape honours the target's
labels (ServiceMonitor `honorLabels: true`, `controller.metrics.serviceMonitor.honorLabels`
in the ingress-nginx Helm chart); otherwise the Ingress namespace moves to
`exported_namespace` and `namespace` becomes the controller's own namespace, which merges
all Ingresses of the same name and defeats namespace_scope.

Both ratio alerts and the latency alert ignore Ingresses serving fewer than
`min_request_rate` requests per second, so a single error or a single slow request on an
idle Ingress does not page.
"""

from gen.model import Alert, Case, Duration, Fire, Group, twins

from ._fixtures.ingress import CTRL_LABELS, RELOAD, WEB, latency, requests


def _ratio_expr() -> str:
    return """
        100 * (
            sum by (namespace, ingress) (rate(nginx_ingress_controller_requests{${ingress_nginx}, status=~"5.."}[${rate_window}]))
          /
            sum by (namespace, ingress) (rate(nginx_ingress_controller_requests{${ingress_nginx}}[${rate_window}]))
        ) > ${threshold}
        and on (namespace, ingress)
        sum by (namespace, ingress) (rate(nginx_ingress_controller_requests{${ingress_nginx}}[${rate_window}])) > ${min_request_rate}
    """


_RATIO_DESCRIPTION = (
    "Ingress {{ $labels.namespace }}/{{ $labels.ingress }}: {{ $value | humanize }}% of requests "
    "over the last ${rate_window} ended in a 5xx error (threshold ${threshold}%)."
)


groups = [
    Group("ingress", [
        *twins(
            {
                "name": "IngressHigh5xxRatio",
                "params": {"threshold": 5},
                "for_": "10m",
                "severity": "warning",
                "cases": [
                    # 600 requests a minute (10/s).
                    Case("fires at 5.17% 5xx after 10m",
                         series=requests({"200": 569, "502": 31}), at="15m",
                         fires=[Fire(WEB, value=100 * 31 / 600)]),
                    Case("silent at 4.83% 5xx",
                         series=requests({"200": 571, "502": 29}), at="15m"),
                    Case("counts every 5xx code, not 4xx",
                         series=requests({"200": 500, "404": 60, "503": 20, "504": 20}), at="15m",
                         fires=[Fire(WEB, value=100 * 40 / 600)]),
                    Case("silent on 4xx only",
                         series=requests({"200": 500, "404": 100}), at="15m"),
                    Case("silent when over the threshold for less than 10m",
                         series=requests({"200": 569, "502": 31}), at="9m"),
                    Case("silent on an idle ingress below min_request_rate (0.5 req/s, 33% 5xx)",
                         series=requests({"200": 20, "500": 10}), at="15m"),
                    Case("fires only for the failing ingress",
                         series={**requests({"200": 540, "503": 60}),
                                 **requests({"200": 600, "503": 1}, ingress="api", namespace="billing")},
                         at="15m", fires=[Fire(WEB, value=10)]),
                ],
            },
            {
                "name": "IngressHigh5xxRatioCritical",
                "params": {"threshold": 20},
                "for_": "5m",
                "severity": "critical",
                "cases": [
                    Case("fires at 21% 5xx after 5m",
                         series=requests({"200": 474, "503": 126}), at="10m",
                         fires=[Fire(WEB, value=21)]),
                    Case("silent at 19% 5xx",
                         series=requests({"200": 486, "503": 114}), at="10m"),
                    Case("silent when over the threshold for less than 5m",
                         series=requests({"200": 474}, values={"503": "_x4 0+126x26"}), at="9m"),
                    Case("silent on an idle ingress below min_request_rate (0.5 req/s, 100% 5xx)",
                         series=requests({"503": 30}), at="10m"),
                ],
            },
            expr=_ratio_expr(),
            params={"min_request_rate": 1, "rate_window": Duration("5m")},
            dashboard="k8s-ingress-nginx",
            namespaced=True,
            summary="Ingress answers more than ${threshold}% of its requests with 5xx errors.",
            description=_RATIO_DESCRIPTION,
        ),
        Alert(
            "IngressHighLatency",
            expr="""
                histogram_quantile(0.99,
                  sum by (namespace, ingress, le) (
                    rate(nginx_ingress_controller_request_duration_seconds_bucket{${ingress_nginx}}[${rate_window}])
                  )
                ) > ${threshold_seconds}
                and on (namespace, ingress)
                sum by (namespace, ingress) (
                  rate(nginx_ingress_controller_request_duration_seconds_count{${ingress_nginx}}[${rate_window}])
                ) > ${min_request_rate}
            """,
            params={"threshold_seconds": 2, "min_request_rate": 1, "rate_window": Duration("5m")},
            for_="10m",
            severity="warning",
            dashboard="k8s-ingress-nginx",
            namespaced=True,
            summary="Ingress requests are slow (p99 over ${threshold_seconds}s).",
            description="Ingress {{ $labels.namespace }}/{{ $labels.ingress }}: 99th percentile request time (controller plus backend) is {{ $value | humanizeDuration }}.",
            cases=[
                # 600 requests a minute; p99 is the 594th: between the 1s and 2.5s buckets.
                Case("fires when p99 is 2.2s for 10m",
                     series=latency((580, 590, 595, 600, 600)), at="15m",
                     fires=[Fire(WEB, value=1 + 1.5 * (594 - 590) / (595 - 590))]),
                Case("silent when p99 is 1.86s",
                     series=latency((580, 590, 597, 600, 600)), at="15m"),
                Case("silent when p99 is slow for less than 10m",
                     series=latency((580, 590, 595, 600, 600)), at="9m"),
                Case("silent on an idle ingress below min_request_rate (0.17 req/s, all slow)",
                     series=latency((0, 0, 0, 10, 10)), at="15m"),
            ],
        ),
        Alert(
            "IngressControllerConfigReloadFailed",
            expr="nginx_ingress_controller_config_last_reload_successful{${ingress_nginx}} == 0",
            for_="5m",
            severity="warning",
            summary="ingress-nginx controller failed to reload its configuration.",
            description="ingress-nginx controller {{ $labels.controller_namespace }}/{{ $labels.controller_pod }}: the last configuration reload failed; it keeps serving the previous configuration and ignores Ingress changes until a reload succeeds.",
            cases=[
                Case("fires after 5m with a failed reload",
                     series={RELOAD: "1x3 0x20"}, at="10m",
                     fires=[Fire(CTRL_LABELS, value=0)]),
                Case("silent when the last reload succeeded",
                     series={RELOAD: "1x20"}, at="10m"),
                Case("silent when the reload failed under 5m ago",
                     series={RELOAD: "1x6 0x20"}, at="10m"),
                Case("silent once a later reload succeeds",
                     series={RELOAD: "1x3 0x4 1x20"}, at="15m"),
            ],
        ),
    ]),
]
