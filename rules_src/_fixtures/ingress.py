"""ingress-nginx controller series of one controller pod: request counters and request
duration histograms per Ingress, and the config reload gauge."""

_CTRL = (
    'job="ingress-nginx-controller-metrics", instance="10.0.1.1:10254", controller_class="k8s.io/ingress-nginx", '
    'controller_namespace="ingress-nginx", controller_pod="ingress-nginx-controller-7d9f8-x2kq4"'
)
WEB = {"namespace": "shop", "ingress": "web"}


def requests(per_minute: dict[str, float], ingress: str = "web", namespace: str = "shop",
             samples: int = 30, values: dict[str, str] | None = None) -> dict:
    """nginx_ingress_controller_requests of one Ingress: each status' counter grows by `count` a minute.

    `values` replaces the promtool values of the given statuses outright.
    """
    series = {}
    statuses = {**{s: f"0+{c}x{samples}" for s, c in per_minute.items()}, **(values or {})}
    for status, vals in statuses.items():
        series[
            f'nginx_ingress_controller_requests{{{_CTRL}, namespace="{namespace}", ingress="{ingress}", '
            f'host="{ingress}.example.com", service="{ingress}", method="GET", path="/", status="{status}"}}'
        ] = vals
    return series


def durations(per_minute: dict[str, float], ingress: str = "web", namespace: str = "shop", samples: int = 30) -> dict:
    """Request duration histogram of one Ingress (status 200); each cumulative bucket grows by
    `count` a minute, and _count by the +Inf bucket's count."""
    labels = (f'{_CTRL}, namespace="{namespace}", ingress="{ingress}", host="{ingress}.example.com", '
              f'service="{ingress}", method="GET", path="/", status="200"')
    series = {
        f'nginx_ingress_controller_request_duration_seconds_bucket{{{labels}, le="{le}"}}': f"0+{count}x{samples}"
        for le, count in per_minute.items()
    }
    series[f'nginx_ingress_controller_request_duration_seconds_count{{{labels}}}'] = f"0+{per_minute['+Inf']}x{samples}"
    return series


# Reload gauge of the one controller pod of the fixtures.
RELOAD = f"nginx_ingress_controller_config_last_reload_successful{{{_CTRL}}}"
CTRL_LABELS = {
    "job": "ingress-nginx-controller-metrics", "instance": "10.0.1.1:10254", "controller_class": "k8s.io/ingress-nginx",
    "controller_namespace": "ingress-nginx", "controller_pod": "ingress-nginx-controller-7d9f8-x2kq4",
}

# Buckets of the latency fixtures (ingress-nginx's default --time-buckets include 1, 2.5, 5 and 10).
_LE = ("0.5", "1", "2.5", "5", "+Inf")


def latency(counts: tuple[float, ...], **kw) -> dict:
    """durations with the cumulative counts of the buckets 0.5, 1, 2.5, 5 and +Inf."""
    return durations(dict(zip(_LE, counts)), **kw)
