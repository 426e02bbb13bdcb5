"""CoreDNS series of two kube-dns pods: `up`, answers per rcode and request durations of the
default server block, and the forward plugin's metrics of one upstream (CoreDNS 1.11+ or 1.7-1.10)."""

_JOB = 'job="kube-dns"'
_POD = 'instance="10.244.0.12:9153", namespace="kube-system", pod="coredns-5d78c9869d-7xk2p"'
POD2 = 'instance="10.244.1.17:9153", namespace="kube-system", pod="coredns-5d78c9869d-q9w4m"'
SERVER = {"server": "dns://:53", "zone": "."}
UPSTREAM = "10.0.0.2:53"
_LES = ("0.256", "0.512", "1.024", "2.048", "+Inf")


def up(values: str, pod: str = _POD) -> dict:
    """`up` of one CoreDNS pod."""
    return {f"up{{{_JOB}, {pod}}}": values}


def _per_rcode(per_minute: dict[str, float], samples: int, values: dict[str, str] | None) -> dict[str, str]:
    """promtool values per rcode: each counter grows by `count` a minute; `values` replaces some outright."""
    return {**{r: f"0+{c}x{samples}" for r, c in per_minute.items()}, **(values or {})}


def responses(per_minute: dict[str, float], samples: int = 30, values: dict[str, str] | None = None) -> dict:
    """coredns_dns_responses_total of the default server block: each rcode grows by `count` a minute."""
    return {
        f'coredns_dns_responses_total{{{_JOB}, {_POD}, server="dns://:53", zone=".", rcode="{rcode}"}}': vals
        for rcode, vals in _per_rcode(per_minute, samples, values).items()
    }


def dns_latency(counts: tuple[float, ...], samples: int = 30) -> dict:
    """coredns_dns_request_duration_seconds of A queries; cumulative buckets grow by `count` a minute."""
    return {
        f'coredns_dns_request_duration_seconds_bucket{{{_JOB}, {_POD}, server="dns://:53", zone=".", type="A", le="{le}"}}':
            f"0+{count}x{samples}"
        for le, count in zip(_LES, counts)
    }


def forward_latency(counts: tuple[float, ...], legacy: bool = False, samples: int = 30) -> dict:
    """Upstream request duration histogram (NOERROR answers) of one upstream, CoreDNS 1.11+ or (legacy) 1.7-1.10."""
    if legacy:
        metric, extra = "coredns_forward_request_duration_seconds_bucket", ""
    else:
        metric, extra = "coredns_proxy_request_duration_seconds_bucket", 'proxy_name="forward", '
    return {
        f'{metric}{{{_JOB}, {_POD}, {extra}to="{UPSTREAM}", rcode="NOERROR", le="{le}"}}': f"0+{count}x{samples}"
        for le, count in zip(_LES, counts)
    }


def forward_responses(per_minute: dict[str, float], legacy: bool = False, samples: int = 30,
                      values: dict[str, str] | None = None) -> dict:
    """Upstream answers per rcode of one upstream: coredns_proxy_request_duration_seconds_count
    (CoreDNS 1.11+) or coredns_forward_responses_total (legacy)."""
    if legacy:
        metric, extra = "coredns_forward_responses_total", ""
    else:
        metric, extra = "coredns_proxy_request_duration_seconds_count", 'proxy_name="forward", '
    return {
        f'{metric}{{{_JOB}, {_POD}, {extra}to="{UPSTREAM}", rcode="{rcode}"}}': vals
        for rcode, vals in _per_rcode(per_minute, samples, values).items()
    }
