"""API server: request latency.

Latency comes from apiserver_request_sli_duration_seconds (Kubernetes 1.26+), which leaves
out webhook and priority-and-fairness queue time, so it measures the API server itself.
"""

from gen.model import Alert, Case, Fire, Group, Record

_LATENCY_P99 = "cluster_quantile:apiserver_request_sli_duration_seconds:histogram_quantile"


def _buckets(verb: str, resource: str, per_minute: dict[str, float]) -> dict:
    """Latency histogram of one verb/resource; each cumulative bucket grows by `count` a minute."""
    return {
        f'apiserver_request_sli_duration_seconds_bucket{{job="apiserver", instance="10.0.0.1:6443", '
        f'verb="{verb}", resource="{resource}", le="{le}"}}': f"0+{count}x30"
        for le, count in per_minute.items()
    }


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
            summary="API server requests are slow (p99 over ${threshold_seconds}s).",
            description="API server {{ $labels.verb }} {{ $labels.resource }} requests: 99th percentile latency is {{ $value | humanizeDuration }}.",
            cases=[
                # 100 requests a minute, 2 slower than 1s: p99 lies in (1, 2.5].
                Case("fires when p99 LIST pods latency exceeds 1s for 5m",
                     series=_buckets("LIST", "pods", {"0.5": 95, "1": 98, "2.5": 100, "+Inf": 100}), at="10m",
                     fires=[Fire({"verb": "LIST", "resource": "pods", "quantile": "0.99"}, value=1 + 1.5 * (99 - 98) / 2)]),
                Case("silent just under the threshold (p99 at 1s)",
                     series=_buckets("LIST", "pods", {"0.5": 98, "1": 99, "2.5": 100, "+Inf": 100}), at="10m"),
                Case("silent when slow for less than 5m",
                     series=_buckets("LIST", "pods", {"0.5": 95, "1": 98, "2.5": 100, "+Inf": 100}), at="4m"),
                Case("silent for slow WATCH requests (long-running by design)",
                     series=_buckets("WATCH", "pods", {"0.5": 0, "1": 0, "2.5": 0, "+Inf": 100}), at="10m"),
            ],
        ),
    ]),
]
