"""The monitoring stack itself: a dead man's switch, and Prometheus and Alertmanager health.

If these fail, every other alert is silent; so they are watched, and Watchdog always fires
so that a receiver noticing its absence knows the pipeline is broken.
"""

from gen.model import Alert, Case, Fire, Group

from ._fixtures.monitoring import AM, AM_LABELS, PROM, PROM_LABELS

groups = [
    Group("dead-mans-switch", [
        Alert(
            "Watchdog",
            expr="vector(1)",
            dashboard="k8s-alerts-overview",
            severity="info",
            summary="The alerting pipeline is alive (always firing).",
            description="This alert always fires. A receiver that stops getting it knows that Prometheus, Alertmanager or the path between them is broken.",
            # Always firing is its purpose: no condition and no silent case exist.
            lint_skip=("no-condition", "silent-case"),
            cases=[Case("always fires", series={}, at="1m", fires=[Fire({}, value=1)])],
        ),
    ]),
    Group("prometheus", [
        Alert(
            "PrometheusRuleFailures",
            expr="increase(prometheus_rule_evaluation_failures_total{${prometheus}}[5m]) > 0",
            for_="15m",
            dashboard="k8s-alerts-overview",
            severity="critical",
            summary="Prometheus fails to evaluate rules.",
            description="Prometheus {{ $labels.instance }} failed {{ $value | humanize }} rule evaluations of group {{ $labels.rule_group }} in the last 5 minutes; those alerts cannot fire.",
            cases=[
                Case("fires after 15m of failures",
                     series={f'prometheus_rule_evaluation_failures_total{{{PROM}, rule_group="/etc/rules/pods.yaml;pod-health"}}': "0+1x30"},
                     at="20m", fires=[Fire({**PROM_LABELS, "rule_group": "/etc/rules/pods.yaml;pod-health"}, value=5)]),
                Case("silent without failures",
                     series={f'prometheus_rule_evaluation_failures_total{{{PROM}, rule_group="g"}}': "0x30"}, at="20m"),
                Case("silent when failing for less than 15m",
                     series={f'prometheus_rule_evaluation_failures_total{{{PROM}, rule_group="g"}}': "0+1x30"}, at="10m"),
            ],
        ),
        Alert(
            "PrometheusNotificationQueueRunningFull",
            expr="""
                (
                  predict_linear(prometheus_notifications_queue_length{${prometheus}}[5m], ${horizon_minutes} * 60)
                >
                  min_over_time(prometheus_notifications_queue_capacity{${prometheus}}[5m])
                )
            """,
            params={"horizon_minutes": 30},
            for_="15m",
            dashboard="k8s-alerts-overview",
            severity="warning",
            summary="Prometheus' alert notification queue is about to fill up.",
            description="Prometheus {{ $labels.instance }}: the alert notification queue is predicted to reach {{ $value | humanize }} entries within ${horizon_minutes} minutes, over its capacity; alerts will be dropped.",
            cases=[
                # +300 a minute: predicted 6000 + 9000 = 15000 at 20m, over the capacity of 10000 since ~4m.
                Case("fires when the queue will outgrow its capacity",
                     series={f"prometheus_notifications_queue_length{{{PROM}}}": "0+300x30",
                             f"prometheus_notifications_queue_capacity{{{PROM}}}": "10000x30"},
                     at="20m", fires=[Fire(PROM_LABELS, value=15000)]),
                Case("silent with a steady queue",
                     series={f"prometheus_notifications_queue_length{{{PROM}}}": "100x30",
                             f"prometheus_notifications_queue_capacity{{{PROM}}}": "10000x30"},
                     at="20m"),
                Case("silent when the prediction exceeds capacity for less than 15m",
                     series={f"prometheus_notifications_queue_length{{{PROM}}}": "0+300x30",
                             f"prometheus_notifications_queue_capacity{{{PROM}}}": "10000x30"},
                     at="15m"),
            ],
        ),
        Alert(
            "PrometheusErrorSendingAlertsToAnyAlertmanager",
            # min over Alertmanagers: fires only when no Alertmanager gets the alerts reliably.
            expr="""
                min without (alertmanager) (
                  rate(prometheus_notifications_errors_total{${prometheus}}[5m])
                /
                  rate(prometheus_notifications_sent_total{${prometheus}}[5m])
                ) * 100 > ${threshold}
            """,
            params={"threshold": 3},
            for_="15m",
            dashboard="k8s-alerts-overview",
            severity="critical",
            summary="Prometheus fails to send alerts to every Alertmanager.",
            description="Prometheus {{ $labels.instance }}: {{ $value | humanize }}% of alerts fail to reach even the best Alertmanager; notifications are being lost.",
            cases=[
                Case("fires when both Alertmanagers fail (10% and 5%)",
                     series={f'prometheus_notifications_errors_total{{{PROM}, alertmanager="http://am-0:9093/api/v2/alerts"}}': "0+10x30",
                             f'prometheus_notifications_sent_total{{{PROM}, alertmanager="http://am-0:9093/api/v2/alerts"}}': "0+100x30",
                             f'prometheus_notifications_errors_total{{{PROM}, alertmanager="http://am-1:9093/api/v2/alerts"}}': "0+5x30",
                             f'prometheus_notifications_sent_total{{{PROM}, alertmanager="http://am-1:9093/api/v2/alerts"}}': "0+100x30"},
                     at="20m", fires=[Fire(PROM_LABELS, value=5)]),
                Case("silent when one Alertmanager receives everything",
                     series={f'prometheus_notifications_errors_total{{{PROM}, alertmanager="am-0"}}': "0+10x30",
                             f'prometheus_notifications_sent_total{{{PROM}, alertmanager="am-0"}}': "0+100x30",
                             f'prometheus_notifications_errors_total{{{PROM}, alertmanager="am-1"}}': "0x30",
                             f'prometheus_notifications_sent_total{{{PROM}, alertmanager="am-1"}}': "0+100x30"},
                     at="20m"),
                Case("silent just under the threshold (2.9%)",
                     series={f'prometheus_notifications_errors_total{{{PROM}, alertmanager="am-0"}}': "0+2.9x30",
                             f'prometheus_notifications_sent_total{{{PROM}, alertmanager="am-0"}}': "0+100x30"},
                     at="20m"),
                Case("silent when failing for less than 15m",
                     series={f'prometheus_notifications_errors_total{{{PROM}, alertmanager="am-0"}}': "0+10x30",
                             f'prometheus_notifications_sent_total{{{PROM}, alertmanager="am-0"}}': "0+100x30"},
                     at="12m"),
            ],
        ),
        Alert(
            "PrometheusConfigReloadFailed",
            expr="max_over_time(prometheus_config_last_reload_successful{${prometheus}}[5m]) == 0",
            for_="10m",
            dashboard="k8s-alerts-overview",
            severity="warning",
            summary="Prometheus configuration reload failed.",
            description="Prometheus {{ $labels.instance }} could not reload its configuration; it keeps running the old one, so new rules and targets are not active.",
            cases=[
                Case("fires after 10m of failed reloads",
                     series={f"prometheus_config_last_reload_successful{{{PROM}}}": "0x30"}, at="15m",
                     fires=[Fire(PROM_LABELS, value=0)]),
                Case("silent after a successful reload",
                     series={f"prometheus_config_last_reload_successful{{{PROM}}}": "1x30"}, at="15m"),
                Case("silent when the reload failed less than 10m ago",
                     series={f"prometheus_config_last_reload_successful{{{PROM}}}": "0x30"}, at="8m"),
            ],
        ),
    ]),
    Group("alertmanager", [
        Alert(
            "AlertmanagerFailedToSendAlerts",
            expr="""
                (
                  rate(alertmanager_notifications_failed_total{${alertmanager}}[5m])
                /
                  ignoring (reason) group_left rate(alertmanager_notifications_total{${alertmanager}}[5m])
                ) > ${threshold}
            """,
            params={"threshold": 0.01},
            for_="5m",
            dashboard="k8s-alerts-overview",
            severity="warning",
            summary="Alertmanager fails to deliver notifications.",
            description="Alertmanager {{ $labels.instance }} failed to send {{ $value | humanizePercentage }} of notifications to {{ $labels.integration }}.",
            cases=[
                Case("fires at 5% failed webhook deliveries",
                     series={f'alertmanager_notifications_failed_total{{{AM}, integration="webhook"}}': "0+5x30",
                             f'alertmanager_notifications_total{{{AM}, integration="webhook"}}': "0+100x30"},
                     at="15m", fires=[Fire({**AM_LABELS, "integration": "webhook"}, value=0.05)]),
                Case("silent just under the threshold (0.9%)",
                     series={f'alertmanager_notifications_failed_total{{{AM}, integration="webhook"}}': "0+0.9x30",
                             f'alertmanager_notifications_total{{{AM}, integration="webhook"}}': "0+100x30"},
                     at="15m"),
                Case("silent when failing for less than 5m",
                     series={f'alertmanager_notifications_failed_total{{{AM}, integration="webhook"}}': "0+5x30",
                             f'alertmanager_notifications_total{{{AM}, integration="webhook"}}': "0+100x30"},
                     at="4m"),
            ],
        ),
        Alert(
            "AlertmanagerFailedReload",
            expr="max_over_time(alertmanager_config_last_reload_successful{${alertmanager}}[5m]) == 0",
            for_="10m",
            dashboard="k8s-alerts-overview",
            severity="critical",
            summary="Alertmanager configuration reload failed.",
            description="Alertmanager {{ $labels.instance }} could not reload its configuration; routing changes are not active.",
            cases=[
                Case("fires after 10m of failed reloads",
                     series={f"alertmanager_config_last_reload_successful{{{AM}}}": "0x30"}, at="15m",
                     fires=[Fire(AM_LABELS, value=0)]),
                Case("silent after a successful reload",
                     series={f"alertmanager_config_last_reload_successful{{{AM}}}": "1x30"}, at="15m"),
                Case("silent when the reload failed less than 10m ago",
                     series={f"alertmanager_config_last_reload_successful{{{AM}}}": "0x30"}, at="8m"),
            ],
        ),
    ]),
]
