"""CoreDNS: requests, responses by rcode, latency, cache hit ratio, and the upstream
resolvers it forwards to.

Every Service name a pod resolves goes through CoreDNS (seed 001: spread its replicas,
keep its nodes from running out of CPU and memory). Metric names are CoreDNS 1.10+'s; the
upstream panels read the forward metrics of CoreDNS 1.11+ (coredns_proxy_*) or, failing
that, of 1.7-1.10 (coredns_forward_*), as the alerts of rules_src/coredns.py do, with the
same aggregations and the alerts' thresholds.
"""

from grafanalib.core import Stat, Target, TimeSeries

from gen.dash.model import AlertLine, Dashboard, Fixture, Link, Row, Variable, cell

CP = '${coredns}, pod=~"$pod"'
CS = CP + ', server=~"$server"'


def _rate(metric: str, matchers: str, by: str | None = None) -> str:
    agg = f"sum by ({by})" if by else "sum"
    return f"{agg} (rate({metric}{{{matchers}}}[$__rate_interval]))"


def _rcode_share(rcode: str, by: str | None = None) -> str:
    return (f'100 * {_rate("coredns_dns_responses_total", CS + ", rcode=" + chr(34) + rcode + chr(34), by)}'
            f' / {_rate("coredns_dns_responses_total", CS, by)}')


def _quantile(q: float, by: str | None = None) -> str:
    return f"histogram_quantile({q}, {_rate('coredns_dns_request_duration_seconds_bucket', CS, (by + ', le') if by else 'le')})"


def _forward(new: str, legacy: str, extra: str = "", by: str = "to") -> str:
    """CoreDNS 1.11+ (proxy metric, forward plugin) or, where it does not exist, 1.7-1.10's."""
    return (f'{_rate(new, CP + ", proxy_name=" + chr(34) + "forward" + chr(34) + extra, by)}'
            f" or {_rate(legacy, CP + extra, by)}")


def _t(expr: str, legend: str, ref: str = "A", **kw) -> Target:
    return Target(expr=expr, legendFormat=legend, refId=ref, **kw)


def _ts(title: str, unit: str, *targets: Target, description: str = "", **kw) -> TimeSeries:
    return TimeSeries(title=title, unit=unit, targets=list(targets), description=description or None,
                      legendDisplayMode="table", legendCalcs=["mean", "max"], **kw)


_ERROR_LINES = [AlertLine("CoreDNSErrorsHigh", color="orange"), AlertLine("CoreDNSErrorsHighCritical")]
_LATENCY_LINE = AlertLine("CoreDNSLatencyHigh", "threshold_seconds")
_CACHE_RATIO = f"{_rate('coredns_cache_hits_total', CS)} / {_rate('coredns_cache_requests_total', CS)}"

_overview = Row("Overview", [
    cell(Stat(title="Replicas up", description="CoreDNS targets Prometheus scrapes successfully, out of all (CoreDNSDown).",
              format="short", reduceCalc="lastNotNull", graphMode="none",
              targets=[_t("sum(up{${coredns}} == bool 1) or on () vector(0)", "up"), _t("count(up{${coredns}}) or on () vector(0)", "replicas", "B")]), width=5),
    cell(Stat(title="Requests/s",
              description="DNS queries per second to the selected replicas and server blocks. A sudden jump is "
                          "usually one client looking names up in a loop, or the search path (ndots:5) multiplying "
                          "lookups.",
              format="reqps", reduceCalc="lastNotNull", graphMode="area",
              targets=[_t(_rate("coredns_dns_requests_total", CS), "requests/s")]), width=4),
    cell(Stat(title="SERVFAIL, % of responses",
              description="All server blocks and zones together; empty while none fails. The CoreDNSErrorsHigh "
                          "alerts fire per server and zone: see SERVFAIL, % by server and zone.",
              format="percent", reduceCalc="lastNotNull", graphMode="area",
              noValue="no SERVFAIL", targets=[_t(_rcode_share("SERVFAIL"), "SERVFAIL")]), width=5, alert=_ERROR_LINES),
    cell(Stat(title="Latency p99",
              description="99th percentile time to answer a query, all server blocks together. CoreDNSLatencyHigh "
                          "fires per server and zone: see Request duration p99 by server and zone.",
              format="s", reduceCalc="lastNotNull", graphMode="area",
              targets=[_t(_quantile(0.99), "p99")]), width=5, alert=_LATENCY_LINE),
    cell(Stat(title="Cache hit ratio",
              description="Share of cache lookups answered from the cache. A drop sends more queries on to the "
                          "kubernetes plugin and the upstream resolvers, and latency rises.",
              format="percentunit", reduceCalc="lastNotNull", graphMode="area",
              targets=[_t(_CACHE_RATIO, "hits")]), width=5),
], height=5)

_requests = Row("Requests", [
    cell(_ts("Requests/s by record type", "reqps", _t(_rate("coredns_dns_requests_total", CS, "type"), "{{type}}"),
             description="A, AAAA, SRV, PTR, ... Clients usually ask A and AAAA together; one type jumping alone "
                         "points at a single client.")),
    cell(_ts("Requests/s by protocol and family", "reqps",
             _t(_rate("coredns_dns_requests_total", CS, "proto, family"), "{{proto}} family {{family}}"),
             description="family 1 is IPv4, 2 is IPv6 (of the client's connection).")),
    cell(_ts("Requests/s by replica", "reqps",
             _t(_rate("coredns_dns_requests_total", CS, "namespace, pod"), "{{pod}}"),
             description="Uneven load means the replicas sit unevenly behind the kube-dns Service or share a node."),
         links=[Link("Pod details", "k8s-pod", {"namespace": "${__field.labels.namespace}", "pod": "${__field.labels.pod}"})]),
])

_responses = Row("Responses", [
    cell(_ts("Responses/s by rcode", "reqps", _t(_rate("coredns_dns_responses_total", CS, "rcode"), "{{rcode}}"),
             description="NOERROR: answered; NXDOMAIN: the name does not exist; SERVFAIL: failed (CoreDNSErrorsHigh); "
                         "REFUSED: a zone CoreDNS does not serve.")),
    cell(_ts("SERVFAIL, % by server and zone", "percent",
             _t(_rcode_share("SERVFAIL", "server, zone"), "{{server}} {{zone}}"),
             description="The ratio the CoreDNSErrorsHigh alerts watch; empty while nothing fails."),
         alert=_ERROR_LINES),
    cell(_ts("NXDOMAIN, % by server and zone", "percent",
             _t(_rcode_share("NXDOMAIN", "server, zone"), "{{server}} {{zone}}"),
             description="Names that do not exist: an answer, not an error. A high share often comes from the search "
                         "path (ndots:5) trying cluster suffixes before the real name.")),
])

_latency = Row("Latency", [
    cell(_ts("Request duration p99 by server and zone", "s",
             _t(_quantile(0.99, "server, zone"), "{{server}} {{zone}}"),
             description="As CoreDNSLatencyHigh computes it; the line is its threshold. When it is high, compare with "
                         "Forward latency p99: external names wait for the upstream resolvers."), alert=_LATENCY_LINE),
    cell(_ts("Request duration percentiles", "s",
             _t(_quantile(0.5), "p50"), _t(_quantile(0.9), "p90", "B"), _t(_quantile(0.99), "p99", "C"),
             description="All server blocks together. A p99 far above the p50 is usually forwarded lookups waiting "
                         "for the upstream resolvers.")),
])

_cache = Row("Cache", [
    cell(_ts("Cache hit ratio by server", "percentunit",
             _t(f"{_rate('coredns_cache_hits_total', CS, 'server')} / {_rate('coredns_cache_requests_total', CS, 'server')}",
                "{{server}}"), valueMin=0, valueMax=1,
             description="Share of cache lookups answered from the cache, per server block; the block whose ratio "
                         "drops is the one sending more queries on.")),
    cell(_ts("Cache hits/s by type", "reqps",
             _t(_rate("coredns_cache_hits_total", CS, "type"), "{{type}}"),
             description="success: positive answers; denial: NXDOMAIN and NODATA answers.")),
    cell(_ts("Cache entries by type", "short",
             _t("sum by (type) (coredns_cache_entries{" + CS + "})", "{{type}}"),
             description="success: positive answers; denial: NXDOMAIN and NODATA. Flat near the capacity (9984 "
                         "entries per type and replica by default) means entries are evicted before their TTL ends.")),
])

_upstream = Row("Upstream resolvers (forward)", [
    cell(_ts("Forwarded requests/s by upstream", "reqps",
             _t(_forward("coredns_proxy_request_duration_seconds_count", "coredns_forward_requests_total"), "{{to}}"),
             description="Queries sent to each upstream resolver (forward plugin): external names the cache did not "
                         "answer. Latency and SERVFAILs per upstream are beside (CoreDNSForwardLatencyHigh, "
                         "CoreDNSForwardErrorsHigh).")),
    cell(_ts("Forward latency p99 by upstream", "s",
             _t("histogram_quantile(0.99, "
                + _forward("coredns_proxy_request_duration_seconds_bucket", "coredns_forward_request_duration_seconds_bucket",
                           by="to, le") + ")", "{{to}}"),
             description="Every lookup of an external name waits for the upstream."),
         alert=AlertLine("CoreDNSForwardLatencyHigh", "threshold_seconds")),
    cell(_ts("Forward SERVFAIL, % by upstream", "percent",
             _t("100 * ("
                + _forward("coredns_proxy_request_duration_seconds_count", "coredns_forward_responses_total",
                           extra=', rcode="SERVFAIL"')
                + ") / ("
                + _forward("coredns_proxy_request_duration_seconds_count", "coredns_forward_responses_total")
                + ")", "{{to}}"),
             description="Empty while no upstream answers SERVFAIL."),
         alert=AlertLine("CoreDNSForwardErrorsHigh")),
    cell(_ts("Upstream health check failures/s", "ops",
             _t(_forward("coredns_proxy_healthcheck_failures_total", "coredns_forward_healthcheck_failures_total"), "{{to}}"),
             description="Failed health checks of an upstream; empty while every check succeeds.")),
])


# ---------------------------------------------------------------------------------------
# Fixture: two replicas scraped as kube-dns, CoreDNS 1.11 metrics.

_PODS = ('instance="10.244.0.12:9153", namespace="kube-system", pod="coredns-5d78c9869d-7xk2p"',
         'instance="10.244.1.17:9153", namespace="kube-system", pod="coredns-5d78c9869d-q9w4m"')
_UPSTREAM = "10.0.0.2:53"
_LE = ("0.001", "0.008", "0.064", "0.512", "+Inf")


def _fixture_series() -> dict[str, str]:
    s: dict[str, str] = {}
    for n, pod in enumerate(_PODS):
        m = f'job="kube-dns", {pod}'
        s[f"up{{{m}}}"] = "1x20"
        server = f'{m}, server="dns://:53"'
        zone = f'{server}, zone=".", view=""'
        for typ, rate in (("A", 600), ("AAAA", 600), ("SRV", 30)):
            s[f'coredns_dns_requests_total{{{zone}, proto="udp", family="1", type="{typ}"}}'] = f"0+{rate + n}x20"
        for rcode, rate in (("NOERROR", 700), ("NXDOMAIN", 520), ("SERVFAIL", 10)):
            s[f'coredns_dns_responses_total{{{zone}, rcode="{rcode}", plugin=""}}'] = f"0+{rate}x20"
        for le, count in zip(_LE, (900, 1150, 1200, 1229, 1230)):
            s[f'coredns_dns_request_duration_seconds_bucket{{{zone}, type="A", le="{le}"}}'] = f"0+{count}x20"
        cache = f'{server}, zones=".", view=""'
        s[f"coredns_cache_requests_total{{{cache}}}"] = "0+1230x20"
        s[f'coredns_cache_hits_total{{{cache}, type="success"}}'] = "0+800x20"
        s[f'coredns_cache_hits_total{{{cache}, type="denial"}}'] = "0+300x20"
        s[f'coredns_cache_entries{{{cache}, type="success"}}'] = "2400x20"
        s[f'coredns_cache_entries{{{cache}, type="denial"}}'] = "800x20"
        upstream = f'{m}, proxy_name="forward", to="{_UPSTREAM}"'
        for rcode, rate in (("NOERROR", 120), ("SERVFAIL", 2)):
            s[f'coredns_proxy_request_duration_seconds_count{{{upstream}, rcode="{rcode}"}}'] = f"0+{rate}x20"
        for le, count in zip(_LE, (0, 60, 118, 122, 122)):
            s[f'coredns_proxy_request_duration_seconds_bucket{{{upstream}, rcode="NOERROR", le="{le}"}}'] = f"0+{count}x20"
        s[f"coredns_proxy_healthcheck_failures_total{{{upstream}}}"] = "0x10 1 2 3x8"
    return s


dashboard = Dashboard(
    uid="k8s-coredns",
    title="Kubernetes / CoreDNS",
    description="CoreDNS: requests, responses by rcode, latency, cache hit ratio, upstream resolvers.",
    tags=["coredns", "dns", "networking"],
    links=["k8s-ingress-nginx", "k8s-pod"],
    variables=[
        Variable("pod", "label_values(coredns_dns_requests_total{${coredns}}, pod)", title="Replica",
                 multi=True, include_all=True, all_value=".*"),
        Variable("server", 'label_values(coredns_dns_requests_total{${coredns}, pod=~"$pod"}, server)', title="Server block",
                 multi=True, include_all=True, all_value=".*"),
    ],
    rows=[_overview, _requests, _responses, _latency, _cache, _upstream],
    fixture=Fixture(series=_fixture_series(), vars={"pod": "coredns-5d78c9869d-7xk2p", "server": "dns://:53"}),
)
