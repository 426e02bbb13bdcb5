"""CoreDNS: cluster DNS availability, answer errors and latency, and its upstream resolvers.

Every Service name a pod resolves goes through CoreDNS, so seed 001 asks for it to be
watched next to the ingress, for its replicas to be spread over nodes and zones, and for
its nodes never to run out of CPU or memory (that slows every lookup).

Metric names are those of CoreDNS 1.7 and later (coredns_dns_requests_total,
coredns_dns_responses_total{server, zone, view, rcode, plugin},
coredns_dns_request_duration_seconds{server, zone, view, type}). The upstream (forward
plugin) alerts read both generations of forward metrics:
- CoreDNS 1.11 and later (Kubernetes 1.29+ ships 1.11.1): coredns_proxy_request_duration_seconds
  {proxy_name="forward", to, rcode}; its _count replaces the removed coredns_forward_responses_total.
- CoreDNS 1.7 to 1.10: coredns_forward_request_duration_seconds{to, rcode} and
  coredns_forward_responses_total{to, rcode}.
A CoreDNS only exports one of them, so `a or b` reads whichever exists.
Upstream timeouts and connection errors produce no response and are not counted by either;
they show as SERVFAIL answers to clients (CoreDNSErrorsHigh) and as health check failures.
"""

from gen.model import Alert, Case, Duration, Fire, Group, twins

from ._fixtures.coredns import POD2, SERVER, UPSTREAM, dns_latency, forward_latency, forward_responses, responses, up


def _errors_expr() -> str:
    return """
        100 * (
            sum by (server, zone) (rate(coredns_dns_responses_total{${coredns}, rcode="SERVFAIL"}[${rate_window}]))
          /
            sum by (server, zone) (rate(coredns_dns_responses_total{${coredns}}[${rate_window}]))
        ) > ${threshold}
    """


_ERRORS_DESCRIPTION = (
    "CoreDNS server {{ $labels.server }} zone {{ $labels.zone }}: {{ $value | humanize }}% of DNS answers "
    "over the last ${rate_window} are SERVFAIL (threshold ${threshold}%)."
)


groups = [
    Group("coredns", [
        Alert(
            "CoreDNSDown",
            expr="absent(up{${coredns}} == 1)",
            for_="5m",
            severity="critical",
            dashboard="k8s-coredns",
            summary="No CoreDNS target is up: cluster DNS is down.",
            description="Prometheus scrapes no CoreDNS target successfully: every CoreDNS replica is down or unreachable (or CoreDNS is no longer scraped), so pods cannot resolve Service names or external names.",
            cases=[
                Case("fires when every replica is down for 5m",
                     series={**up("1x2 0x20"), **up("1x2 0x20", POD2)}, at="10m",
                     fires=[Fire({}, value=1)]),
                Case("fires when CoreDNS is not scraped at all",
                     series={f'up{{job="kubelet", instance="10.0.0.5:10250"}}': "1x20"}, at="10m",
                     fires=[Fire({}, value=1)]),
                Case("silent while one of two replicas is up",
                     series={**up("1x20"), **up("0x20", POD2)}, at="10m"),
                Case("silent when every replica is down for less than 5m",
                     series={**up("1x6 0x20"), **up("1x6 0x20", POD2)}, at="10m"),
            ],
        ),
        *twins(
            {
                "name": "CoreDNSErrorsHigh",
                "params": {"threshold": 3},
                "for_": "10m",
                "severity": "warning",
                "cases": [
                    # 1000 answers a minute.
                    Case("fires at 3.1% SERVFAIL after 10m",
                         series=responses({"NOERROR": 900, "NXDOMAIN": 69, "SERVFAIL": 31}), at="15m",
                         fires=[Fire(SERVER, value=3.1)]),
                    Case("silent at 2.9% SERVFAIL",
                         series=responses({"NOERROR": 900, "NXDOMAIN": 71, "SERVFAIL": 29}), at="15m"),
                    Case("silent on NXDOMAIN (a name that does not exist is an answer, not an error)",
                         series=responses({"NOERROR": 600, "NXDOMAIN": 400}), at="15m"),
                    Case("silent when over the threshold for less than 10m",
                         series=responses({"NOERROR": 969, "SERVFAIL": 31}), at="9m"),
                ],
            },
            {
                "name": "CoreDNSErrorsHighCritical",
                "params": {"threshold": 10},
                "for_": "5m",
                "severity": "critical",
                "cases": [
                    Case("fires at 11% SERVFAIL after 5m",
                         series=responses({"NOERROR": 890, "SERVFAIL": 110}), at="10m",
                         fires=[Fire(SERVER, value=11)]),
                    Case("silent at 9% SERVFAIL",
                         series=responses({"NOERROR": 910, "SERVFAIL": 90}), at="10m"),
                    Case("silent when over the threshold for less than 5m",
                         series=responses({"NOERROR": 890}, values={"SERVFAIL": "_x4 0+110x26"}), at="9m"),
                ],
            },
            expr=_errors_expr(),
            params={"rate_window": Duration("5m")},
            dashboard="k8s-coredns",
            summary="CoreDNS answers more than ${threshold}% of queries with SERVFAIL.",
            description=_ERRORS_DESCRIPTION,
        ),
        Alert(
            "CoreDNSLatencyHigh",
            expr="""
                histogram_quantile(0.99,
                  sum by (server, zone, le) (rate(coredns_dns_request_duration_seconds_bucket{${coredns}}[${rate_window}]))
                ) > ${threshold_seconds}
            """,
            params={"threshold_seconds": 1, "rate_window": Duration("5m")},
            for_="10m",
            severity="warning",
            dashboard="k8s-coredns",
            summary="CoreDNS answers slowly (p99 over ${threshold_seconds}s).",
            description="CoreDNS server {{ $labels.server }} zone {{ $labels.zone }}: 99th percentile DNS request time is {{ $value | humanizeDuration }}.",
            cases=[
                # 1000 queries a minute; p99 is the 990th.
                Case("fires when p99 is 1.19s for 10m",
                     series=dns_latency((980, 985, 988, 1000, 1000)), at="15m",
                     fires=[Fire(SERVER, value=1.024 + 1.024 * (990 - 988) / (1000 - 988))]),
                Case("silent when p99 is 0.94s",
                     series=dns_latency((980, 985, 991, 1000, 1000)), at="15m"),
                Case("silent when slow for less than 10m",
                     series=dns_latency((980, 985, 988, 1000, 1000)), at="9m"),
            ],
        ),
        Alert(
            "CoreDNSForwardLatencyHigh",
            # CoreDNS 1.11+ (proxy metric) or, failing that, CoreDNS 1.7-1.10 (forward metric).
            expr="""
                histogram_quantile(0.99,
                    sum by (to, le) (rate(coredns_proxy_request_duration_seconds_bucket{${coredns}, proxy_name="forward"}[${rate_window}]))
                  or
                    sum by (to, le) (rate(coredns_forward_request_duration_seconds_bucket{${coredns}}[${rate_window}]))
                ) > ${threshold_seconds}
            """,
            params={"threshold_seconds": 1, "rate_window": Duration("5m")},
            for_="10m",
            severity="warning",
            dashboard="k8s-coredns",
            summary="CoreDNS upstream resolver answers slowly (p99 over ${threshold_seconds}s).",
            description="CoreDNS upstream {{ $labels.to }}: 99th percentile forwarded request time is {{ $value | humanizeDuration }}; every lookup of an external name waits for it.",
            cases=[
                Case("fires when p99 is 1.19s for 10m (CoreDNS 1.11+ metrics)",
                     series=forward_latency((980, 985, 988, 1000, 1000)), at="15m",
                     fires=[Fire({"to": UPSTREAM}, value=1.024 + 1.024 * (990 - 988) / (1000 - 988))]),
                Case("fires when p99 is 1.19s for 10m (CoreDNS 1.7-1.10 metrics)",
                     series=forward_latency((980, 985, 988, 1000, 1000), legacy=True), at="15m",
                     fires=[Fire({"to": UPSTREAM}, value=1.024 + 1.024 * (990 - 988) / (1000 - 988))]),
                Case("silent when p99 is 0.94s",
                     series=forward_latency((980, 985, 991, 1000, 1000)), at="15m"),
                Case("silent when slow for less than 10m",
                     series=forward_latency((980, 985, 988, 1000, 1000)), at="9m"),
            ],
        ),
        Alert(
            "CoreDNSForwardErrorsHigh",
            # Upstream answers: CoreDNS 1.11+ (proxy histogram's _count) or CoreDNS 1.7-1.10 (forward counter).
            expr="""
                100 * (
                    (
                        sum by (to) (rate(coredns_proxy_request_duration_seconds_count{${coredns}, proxy_name="forward", rcode="SERVFAIL"}[${rate_window}]))
                      or
                        sum by (to) (rate(coredns_forward_responses_total{${coredns}, rcode="SERVFAIL"}[${rate_window}]))
                    )
                  /
                    (
                        sum by (to) (rate(coredns_proxy_request_duration_seconds_count{${coredns}, proxy_name="forward"}[${rate_window}]))
                      or
                        sum by (to) (rate(coredns_forward_responses_total{${coredns}}[${rate_window}]))
                    )
                ) > ${threshold}
            """,
            params={"threshold": 3, "rate_window": Duration("5m")},
            for_="10m",
            severity="warning",
            dashboard="k8s-coredns",
            summary="CoreDNS upstream resolver answers more than ${threshold}% of forwarded queries with SERVFAIL.",
            description="CoreDNS upstream {{ $labels.to }}: {{ $value | humanize }}% of forwarded queries over the last ${rate_window} got SERVFAIL (threshold ${threshold}%).",
            cases=[
                Case("fires at 3.1% SERVFAIL after 10m (CoreDNS 1.11+ metrics)",
                     series=forward_responses({"NOERROR": 969, "SERVFAIL": 31}), at="15m",
                     fires=[Fire({"to": UPSTREAM}, value=3.1)]),
                Case("fires at 3.1% SERVFAIL after 10m (CoreDNS 1.7-1.10 metrics)",
                     series=forward_responses({"NOERROR": 969, "SERVFAIL": 31}, legacy=True), at="15m",
                     fires=[Fire({"to": UPSTREAM}, value=3.1)]),
                Case("silent at 2.9% SERVFAIL",
                     series=forward_responses({"NOERROR": 971, "SERVFAIL": 29}), at="15m"),
                Case("silent without any SERVFAIL",
                     series=forward_responses({"NOERROR": 900, "NXDOMAIN": 100}), at="15m"),
                Case("silent when over the threshold for less than 10m",
                     series=forward_responses({"NOERROR": 969}, values={"SERVFAIL": "_x4 0+31x26"}), at="12m"),
            ],
        ),
    ]),
]
