"""Series of the API server (job "apiserver") and its clients: request counters and latency
histograms, client certificate expiry, build info, and rest-client requests of a kubelet."""

API_UP = 'up{job="apiserver", instance="10.0.0.1:6443"}'
API_UP_2 = 'up{job="apiserver", instance="10.0.0.2:6443"}'
KUBELET = 'job="kubelet", metrics_path="/metrics", instance="10.0.0.5:10250"'
KUBELET_LABELS = {"job": "kubelet", "instance": "10.0.0.5:10250"}
METRICS_API = "v1beta1.metrics.k8s.io"
CERT_LE = ("345600", "604800", "2592000", "7776000", "+Inf")  # client certificate expiration buckets


def buckets(verb: str, resource: str, per_minute: dict[str, float]) -> dict:
    """Latency histogram of one verb/resource; each cumulative bucket grows by `count` a minute."""
    return {
        f'apiserver_request_sli_duration_seconds_bucket{{job="apiserver", instance="10.0.0.1:6443", '
        f'verb="{verb}", resource="{resource}", le="{le}"}}': f"0+{count}x30"
        for le, count in per_minute.items()
    }


def requests(verb: str = "LIST", resource: str = "pods", scope: str = "cluster", ok: float = 0, errors: float = 0,
             sli: dict[str, float] | None = None, n: int = 40, errors_values: str | None = None) -> dict:
    """API server request counters of one verb/resource/scope, growing by the given counts a minute.

    `sli` maps le buckets to per-minute counts of apiserver_request_sli_duration_seconds; its
    _count is ok + errors. `errors_values` replaces the 5xx series' values outright.
    """
    labels = f'job="apiserver", instance="10.0.0.1:6443", verb="{verb}", resource="{resource}", scope="{scope}"'
    series = {f'apiserver_request_total{{{labels}, code="200"}}': f"0+{ok}x{n}"}
    if errors or errors_values:
        series[f'apiserver_request_total{{{labels}, code="500"}}'] = errors_values or f"0+{errors}x{n}"
    if sli is not None:
        series[f'apiserver_request_sli_duration_seconds_count{{{labels}}}'] = f"0+{ok + errors}x{n}"
        for le, count in sli.items():
            series[f'apiserver_request_sli_duration_seconds_bucket{{{labels}, le="{le}"}}'] = f"0+{count}x{n}"
    return series


def client_requests(labels: str, ok: float, errors: float) -> dict:
    """rest_client_requests_total of the client `labels` to the API server: `ok` 200s and `errors` 503s a minute."""
    return {
        f'rest_client_requests_total{{{labels}, code="200", method="GET", host="10.0.0.1:6443"}}': f"0+{ok}x30",
        f'rest_client_requests_total{{{labels}, code="503", method="GET", host="10.0.0.1:6443"}}': f"0+{errors}x30",
    }


def api_requests(resource: str, verb: str, ok: float, errors: float, subresource: str = "") -> dict:
    """apiserver_request_total of one resource/verb: `ok` 200s and `errors` 503s a minute."""
    labels = f'job="apiserver", instance="10.0.0.1:6443", resource="{resource}", verb="{verb}"'
    if subresource:
        labels += f', subresource="{subresource}"'
    return {
        f'apiserver_request_total{{{labels}, code="200"}}': f"0+{ok}x30",
        f'apiserver_request_total{{{labels}, code="503"}}': f"0+{errors}x30",
    }


def cert_buckets(per_minute: dict[str, float]) -> dict:
    """Client certificate expiration histogram; each cumulative bucket grows by `count` a minute."""
    return {
        f'apiserver_client_certificate_expiration_seconds_bucket{{job="apiserver", instance="10.0.0.1:6443", le="{le}"}}': f"0+{count}x20"
        for le, count in per_minute.items()
    }


def build_info(job_labels: str, version: str) -> dict:
    """kubernetes_build_info of the component `job_labels`, running `version`."""
    return {f'kubernetes_build_info{{{job_labels}, git_version="{version}"}}': "1x30"}
