"""Control plane and scrape health: kube-scheduler and kube-controller-manager reachable,
the share of scrape targets down per job, and kube-state-metrics' own list/watch errors.

The *Down alerts use absent(up{job} == 1): they fire when no target of the job is up, whether
its series are 0 or gone (e.g. the component's ServiceMonitor or endpoints vanished). absent()
returns one series without labels, so their descriptions name the job selector, not an instance.
"""

from gen.model import Alert, Case, Duration, Fire, Group

from ._fixtures.control_plane import KSM_LABELS, ksm_ops, targets


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


def _ksm_errors_alert(name: str, verb: str, severity: str, summary: str, consequence: str) -> Alert:
    """kube-state-metrics failing its `verb` (list or watch) requests to the API server."""
    metric = f"kube_state_metrics_{verb}_total"
    return Alert(
        name,
        # kube-state-metrics' own requests, per replica: summed over the replicas on purpose
        lint_skip=("replicated-exporter",),
        expr=f"""
            (
              sum by (job) (rate({metric}{{${{kube_state_metrics}}, result="error"}}[${{rate_window}}]))
            /
              sum by (job) (rate({metric}{{${{kube_state_metrics}}}}[${{rate_window}}]))
            ) > ${{threshold}}
        """,
        params={"threshold": 0.01, "rate_window": Duration("5m")},
        for_="15m",
        severity=severity,
        summary=summary,
        description=(
            "kube-state-metrics (job {{ $labels.job }}): {{ $value | humanizePercentage }} of its "
            f"{verb} requests fail (threshold ratio ${{threshold}}); {consequence}"
        ),
        cases=[
            Case(f"fires at 1.1% {verb} errors (just over the threshold) after 15m",
                 series=ksm_ops(metric, 1.1, 100), at="20m",
                 fires=[Fire(KSM_LABELS, value=0.011)]),
            Case("silent just under the threshold (0.9%)",
                 series=ksm_ops(metric, 0.9, 100), at="20m"),
            Case("silent when failing for less than 15m",
                 series=ksm_ops(metric, 5, 100), at="10m"),
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
                     series=targets("node-exporter", "monitoring", "node-exporter", 9100, up=8, down=1), at="15m",
                     fires=[Fire({"job": "node-exporter", "namespace": "monitoring", "service": "node-exporter"}, value=100 / 9)]),
                Case("silent at 1 of 10 targets down (10%, the threshold)",
                     series=targets("node-exporter", "monitoring", "node-exporter", 9100, up=9, down=1), at="15m"),
                Case("silent when down for less than 10m",
                     series=targets("node-exporter", "monitoring", "node-exporter", 9100, up=8, down=1, values_down="1x8 0x20"),
                     at="15m"),
                Case("silent with every target up",
                     series=targets("node-exporter", "monitoring", "node-exporter", 9100, up=3, down=0), at="15m"),
            ],
        ),
    ]),
    Group("kube-state-metrics-health", [
        _ksm_errors_alert(
            "KubeStateMetricsListErrors", "list", "critical",
            summary="kube-state-metrics fails to list objects from the API server.",
            consequence="the kube_* metrics it exposes are missing or stale, so every alert built on them may be blind or wrong.",
        ),
        _ksm_errors_alert(
            "KubeStateMetricsWatchErrors", "watch", "warning",
            summary="kube-state-metrics fails to watch objects in the API server.",
            consequence="it falls back to relisting, so kube_* metrics lag behind the cluster.",
        ),
    ]),
]
