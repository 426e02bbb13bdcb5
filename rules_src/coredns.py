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

from gen.model import Alert, Case, Duration, Fire, Group

_JOB = 'job="kube-dns"'
_POD = 'instance="10.244.0.12:9153", namespace="kube-system", pod="coredns-5d78c9869d-7xk2p"'
_POD2 = 'instance="10.244.1.17:9153", namespace="kube-system", pod="coredns-5d78c9869d-q9w4m"'
_SERVER = {"server": "dns://:53", "zone": "."}
_UPSTREAM = "10.0.0.2:53"


def _up(values: str, pod: str = _POD) -> dict:
    return {f"up{{{_JOB}, {pod}}}": values}


def _responses(per_minute: dict[str, float], samples: int = 30, values: dict[str, str] | None = None) -> dict:
    """coredns_dns_responses_total of the default server block: each rcode grows by `count` a minute."""
    statuses = {**{r: f"0+{c}x{samples}" for r, c in per_minute.items()}, **(values or {})}
    return {
        f'coredns_dns_responses_total{{{_JOB}, {_POD}, server="dns://:53", zone=".", rcode="{rcode}"}}': vals
        for rcode, vals in statuses.items()
    }


def _dns_latency(counts: tuple[float, ...], samples: int = 30) -> dict:
    """coredns_dns_request_duration_seconds of A queries; cumulative buckets grow by `count` a minute."""
    les = ("0.256", "0.512", "1.024", "2.048", "+Inf")
    return {
        f'coredns_dns_request_duration_seconds_bucket{{{_JOB}, {_POD}, server="dns://:53", zone=".", type="A", le="{le}"}}':
            f"0+{count}x{samples}"
        for le, count in zip(les, counts)
    }


def _forward_latency(counts: tuple[float, ...], legacy: bool = False, samples: int = 30) -> dict:
    """Upstream request duration histogram (NOERROR answers) of one upstream, CoreDNS 1.11+ or (legacy) 1.7-1.10."""
    les = ("0.256", "0.512", "1.024", "2.048", "+Inf")
    if legacy:
        metric, extra = "coredns_forward_request_duration_seconds_bucket", ""
    else:
        metric, extra = "coredns_proxy_request_duration_seconds_bucket", 'proxy_name="forward", '
    return {
        f'{metric}{{{_JOB}, {_POD}, {extra}to="{_UPSTREAM}", rcode="NOERROR", le="{le}"}}': f"0+{count}x{samples}"
        for le, count in zip(les, counts)
    }


def _forward_responses(per_minute: dict[str, float], legacy: bool = False, samples: int = 30,
                       values: dict[str, str] | None = None) -> dict:
    """Upstream answers per rcode of one upstream: coredns_proxy_request_duration_seconds_count
    (CoreDNS 1.11+) or coredns_forward_responses_total (legacy)."""
    if legacy:
        metric, extra = "coredns_forward_responses_total", ""
    else:
        metric, extra = "coredns_proxy_request_duration_seconds_count", 'proxy_name="forward", '
    statuses = {**{r: f"0+{c}x{samples}" for r, c in per_minute.items()}, **(values or {})}
    return {
        f'{metric}{{{_JOB}, {_POD}, {extra}to="{_UPSTREAM}", rcode="{rcode}"}}': vals
        for rcode, vals in statuses.items()
    }


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
                     series={**_up("1x2 0x20"), **_up("1x2 0x20", _POD2)}, at="10m",
                     fires=[Fire({}, value=1)]),
                Case("fires when CoreDNS is not scraped at all",
                     series={f'up{{job="kubelet", instance="10.0.0.5:10250"}}': "1x20"}, at="10m",
                     fires=[Fire({}, value=1)]),
                Case("silent while one of two replicas is up",
                     series={**_up("1x20"), **_up("0x20", _POD2)}, at="10m"),
                Case("silent when every replica is down for less than 5m",
                     series={**_up("1x6 0x20"), **_up("1x6 0x20", _POD2)}, at="10m"),
            ],
        ),
        Alert(
            "CoreDNSErrorsHigh",
            expr=_errors_expr(),
            params={"threshold": 3, "rate_window": Duration("5m")},
            for_="10m",
            severity="warning",
            dashboard="k8s-coredns",
            summary="CoreDNS answers more than ${threshold}% of queries with SERVFAIL.",
            description=_ERRORS_DESCRIPTION,
            cases=[
                # 1000 answers a minute.
                Case("fires at 3.1% SERVFAIL after 10m",
                     series=_responses({"NOERROR": 900, "NXDOMAIN": 69, "SERVFAIL": 31}), at="15m",
                     fires=[Fire(_SERVER, value=3.1)]),
                Case("silent at 2.9% SERVFAIL",
                     series=_responses({"NOERROR": 900, "NXDOMAIN": 71, "SERVFAIL": 29}), at="15m"),
                Case("silent on NXDOMAIN (a name that does not exist is an answer, not an error)",
                     series=_responses({"NOERROR": 600, "NXDOMAIN": 400}), at="15m"),
                Case("silent when over the threshold for less than 10m",
                     series=_responses({"NOERROR": 969, "SERVFAIL": 31}), at="9m"),
            ],
        ),
        Alert(
            "CoreDNSErrorsHighCritical",
            expr=_errors_expr(),
            params={"threshold": 10, "rate_window": Duration("5m")},
            for_="5m",
            severity="critical",
            dashboard="k8s-coredns",
            summary="CoreDNS answers more than ${threshold}% of queries with SERVFAIL.",
            description=_ERRORS_DESCRIPTION,
            cases=[
                Case("fires at 11% SERVFAIL after 5m",
                     series=_responses({"NOERROR": 890, "SERVFAIL": 110}), at="10m",
                     fires=[Fire(_SERVER, value=11)]),
                Case("silent at 9% SERVFAIL",
                     series=_responses({"NOERROR": 910, "SERVFAIL": 90}), at="10m"),
                Case("silent when over the threshold for less than 5m",
                     series=_responses({"NOERROR": 890}, values={"SERVFAIL": "_x4 0+110x26"}), at="9m"),
            ],
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
                     series=_dns_latency((980, 985, 988, 1000, 1000)), at="15m",
                     fires=[Fire(_SERVER, value=1.024 + 1.024 * (990 - 988) / (1000 - 988))]),
                Case("silent when p99 is 0.94s",
                     series=_dns_latency((980, 985, 991, 1000, 1000)), at="15m"),
                Case("silent when slow for less than 10m",
                     series=_dns_latency((980, 985, 988, 1000, 1000)), at="9m"),
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
                     series=_forward_latency((980, 985, 988, 1000, 1000)), at="15m",
                     fires=[Fire({"to": _UPSTREAM}, value=1.024 + 1.024 * (990 - 988) / (1000 - 988))]),
                Case("fires when p99 is 1.19s for 10m (CoreDNS 1.7-1.10 metrics)",
                     series=_forward_latency((980, 985, 988, 1000, 1000), legacy=True), at="15m",
                     fires=[Fire({"to": _UPSTREAM}, value=1.024 + 1.024 * (990 - 988) / (1000 - 988))]),
                Case("silent when p99 is 0.94s",
                     series=_forward_latency((980, 985, 991, 1000, 1000)), at="15m"),
                Case("silent when slow for less than 10m",
                     series=_forward_latency((980, 985, 988, 1000, 1000)), at="9m"),
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
                     series=_forward_responses({"NOERROR": 969, "SERVFAIL": 31}), at="15m",
                     fires=[Fire({"to": _UPSTREAM}, value=3.1)]),
                Case("fires at 3.1% SERVFAIL after 10m (CoreDNS 1.7-1.10 metrics)",
                     series=_forward_responses({"NOERROR": 969, "SERVFAIL": 31}, legacy=True), at="15m",
                     fires=[Fire({"to": _UPSTREAM}, value=3.1)]),
                Case("silent at 2.9% SERVFAIL",
                     series=_forward_responses({"NOERROR": 971, "SERVFAIL": 29}), at="15m"),
                Case("silent without any SERVFAIL",
                     series=_forward_responses({"NOERROR": 900, "NXDOMAIN": 100}), at="15m"),
                Case("silent when over the threshold for less than 10m",
                     series=_forward_responses({"NOERROR": 969}, values={"SERVFAIL": "_x4 0+31x26"}), at="12m"),
            ],
        ),
    ]),
]
