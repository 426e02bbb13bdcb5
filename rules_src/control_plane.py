"""Control plane and scrape health: kube-scheduler and kube-controller-manager reachable,
the share of scrape targets down per job, and kube-state-metrics' own list/watch errors.

The *Down alerts use absent(up{job} == 1): they fire when no target of the job is up, whether
its series are 0 or gone (e.g. the component's ServiceMonitor or endpoints vanished). absent()
returns one series without labels, so their descriptions name the job selector, not an instance.
"""

from gen.model import Alert, Case, Duration, Fire, Group

_KSM_LABELS = {"job": "kube-state-metrics"}


def _targets(job: str, namespace: str, service: str, port: int, up: int, down: int, values_down: str = "0x20") -> dict:
    """`up` series of one job: `up` targets at 1, `down` targets at `values_down`."""
    labels = f'job="{job}", namespace="{namespace}", service="{service}"'
    series = {f'up{{{labels}, instance="10.0.1.{i}:{port}"}}': "1x20" for i in range(up)}
    series.update({f'up{{{labels}, instance="10.0.2.{i}:{port}"}}': values_down for i in range(down)})
    return series


def _ksm_ops(metric: str, errors_per_minute: float, total_per_minute: float) -> dict:
    """kube-state-metrics list/watch counters for pods: errors and successes growing each minute."""
    return {
        f'{metric}{{${{kube_state_metrics}}, instance="10.0.3.5:8080", resource="*v1.Pod", result="error"}}': f"0+{errors_per_minute}x30",
        f'{metric}{{${{kube_state_metrics}}, instance="10.0.3.5:8080", resource="*v1.Pod", result="success"}}': f"0+{total_per_minute - errors_per_minute}x30",
    }


def _down_alert(name: str, selector: str, component: str, port: int) -> Alert:
    up = f'up{{${{{selector}}}, instance="10.0.0.1:{port}"}}'
    up_2 = f'up{{${{{selector}}}, instance="10.0.0.2:{port}"}}'
    return Alert(
        name,
        # absent() returns one label-less series: the description cannot name an instance.
        expr=f"""
            absent(up{{${{{selector}}}}} == 1)
        """,
        for_="15m",
        severity="critical",
        summary=f"No {component} target is up.",
        description=(
            f"Prometheus has not scraped any {component} (up{{${{{selector}}}}}) successfully: "
            f"either every instance is down or it has disappeared from target discovery."
        ),
        cases=[
            Case(f"fires when the only {component} target is down",
                 series={up: "0x20"}, at="16m", fires=[Fire({}, value=1)]),
            Case(f"fires when no {component} target exists at all",
                 series={'up{job="apiserver", instance="10.0.0.1:6443"}': "1x20"}, at="16m",
                 fires=[Fire({}, value=1)]),
            Case(f"silent when one of two {component} instances is up",
                 series={up: "0x20", up_2: "1x20"}, at="16m"),
            Case("silent when down for less than 15m",
                 series={up: "1x5 0x20"}, at="16m"),
        ],
    )


groups = [
    Group("control-plane-components", [
        _down_alert("KubeSchedulerDown", "kube_scheduler", "kube-scheduler", 10259),
        _down_alert("KubeControllerManagerDown", "kube_controller_manager", "kube-controller-manager", 10257),
    ]),
    Group("scrape-targets", [
        Alert(
            "TargetDown",
            # Deliberately no ${selector}: this watches every scrape job Prometheus has.
            expr="""
                100 * (
                  count by (job, namespace, service) (up == 0)
                /
                  count by (job, namespace, service) (up)
                ) > ${threshold}
            """,
            params={"threshold": 10},
            for_="10m",
            severity="warning",
            summary="More than ${threshold}% of a job's scrape targets are down.",
            description="{{ $value | humanize }}% of the {{ $labels.job }} targets of service {{ $labels.namespace }}/{{ $labels.service }} are down (threshold ${threshold}%); their metrics and the alerts built on them are missing.",
            cases=[
                Case("fires at 1 of 9 targets down (11.1%) after 10m",
                     series=_targets("node-exporter", "monitoring", "node-exporter", 9100, up=8, down=1), at="15m",
                     fires=[Fire({"job": "node-exporter", "namespace": "monitoring", "service": "node-exporter"}, value=100 / 9)]),
                Case("silent at 1 of 10 targets down (10%, the threshold)",
                     series=_targets("node-exporter", "monitoring", "node-exporter", 9100, up=9, down=1), at="15m"),
                Case("silent when down for less than 10m",
                     series=_targets("node-exporter", "monitoring", "node-exporter", 9100, up=8, down=1, values_down="1x8 0x20"),
                     at="15m"),
                Case("silent with every target up",
                     series=_targets("node-exporter", "monitoring", "node-exporter", 9100, up=3, down=0), at="15m"),
            ],
        ),
    ]),
    Group("kube-state-metrics-health", [
        Alert(
            "KubeStateMetricsListErrors",
            # kube-state-metrics' own requests, per replica: summed over the replicas on purpose
            lint_skip=("replicated-exporter",),
            expr="""
                (
                  sum by (job) (rate(kube_state_metrics_list_total{${kube_state_metrics}, result="error"}[${rate_window}]))
                /
                  sum by (job) (rate(kube_state_metrics_list_total{${kube_state_metrics}}[${rate_window}]))
                ) > ${threshold}
            """,
            params={"threshold": 0.01, "rate_window": Duration("5m")},
            for_="15m",
            severity="critical",
            summary="kube-state-metrics fails to list objects from the API server.",
            description="kube-state-metrics (job {{ $labels.job }}): {{ $value | humanizePercentage }} of its list requests fail (threshold ratio ${threshold}); the kube_* metrics it exposes are missing or stale, so every alert built on them may be blind or wrong.",
            cases=[
                Case("fires at 1.1% list errors (just over the threshold) after 15m",
                     series=_ksm_ops("kube_state_metrics_list_total", 1.1, 100), at="20m",
                     fires=[Fire(_KSM_LABELS, value=0.011)]),
                Case("silent just under the threshold (0.9%)",
                     series=_ksm_ops("kube_state_metrics_list_total", 0.9, 100), at="20m"),
                Case("silent when failing for less than 15m",
                     series=_ksm_ops("kube_state_metrics_list_total", 5, 100), at="10m"),
            ],
        ),
        Alert(
            "KubeStateMetricsWatchErrors",
            # kube-state-metrics' own requests, per replica: summed over the replicas on purpose
            lint_skip=("replicated-exporter",),
            expr="""
                (
                  sum by (job) (rate(kube_state_metrics_watch_total{${kube_state_metrics}, result="error"}[${rate_window}]))
                /
                  sum by (job) (rate(kube_state_metrics_watch_total{${kube_state_metrics}}[${rate_window}]))
                ) > ${threshold}
            """,
            params={"threshold": 0.01, "rate_window": Duration("5m")},
            for_="15m",
            severity="warning",
            summary="kube-state-metrics fails to watch objects in the API server.",
            description="kube-state-metrics (job {{ $labels.job }}): {{ $value | humanizePercentage }} of its watch requests fail (threshold ratio ${threshold}); it falls back to relisting, so kube_* metrics lag behind the cluster.",
            cases=[
                Case("fires at 1.1% watch errors (just over the threshold) after 15m",
                     series=_ksm_ops("kube_state_metrics_watch_total", 1.1, 100), at="20m",
                     fires=[Fire(_KSM_LABELS, value=0.011)]),
                Case("silent just under the threshold (0.9%)",
                     series=_ksm_ops("kube_state_metrics_watch_total", 0.9, 100), at="20m"),
                Case("silent when failing for less than 15m",
                     series=_ksm_ops("kube_state_metrics_watch_total", 5, 100), at="10m"),
            ],
        ),
    ]),
]
