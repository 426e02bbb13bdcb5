"""Alert overview: what is firing now, by severity and rule group, from Prometheus' `ALERTS`
series, and whether the alerting pipeline itself works (the rules of rules_src/monitoring.py
point here).

`ALERTS` carries alertname, alertstate, severity and the alert's own labels, but not the rule
group. The group is put back here: for every group of the catalog next to this folder, a
`label_replace` sets `group` on the alerts named in it; alerts from elsewhere (rules that
are not in this catalog) get group "other". The dashboard is built from the catalog being
compiled (`build(catalog)`: the toolkit's groups and a team's), so a new alert lands in its
group without editing this file.

`ALERTS` comes from the rule evaluator, not from an exporter, so no exporter selector
applies; with multi_cluster on, each cluster's alerts are told apart only by the labels the
evaluator (e.g. external labels through Thanos) adds.
"""

from grafanalib.core import Stat, StateTimeline, TableSortByField, Target, TimeSeries

from gen.dash.model import AlertLine, Dashboard, Fixture, Row, Variable, cell
from gen.dash.panels import BarGauge, Table, steps
from gen.model import Alert

PROMETHEUS = "${prometheus}"
ALERTMANAGER = "${alertmanager}"


def sel(metric: str, *matchers: str) -> str:
    """metric{matcher, ...}: PromQL braces without f-string escaping."""
    return metric + "{" + ", ".join(matchers) + "}"


Groups = list[tuple[str, list[str]]]


def rule_groups(catalog) -> Groups:
    """(group name, its alert names) for every rule group of the catalog that has alerts, in catalog order."""
    found = [(g.name, [r.name for r in g.rules if isinstance(r, Alert)]) for m in catalog.modules for g in m.groups]
    return [(name, alerts) for name, alerts in found if alerts]


def with_group(expr: str, groups: Groups) -> str:
    """`expr` (series carrying alertname) with a `group` label: its catalog rule group, or "other"."""
    out = f'label_replace({expr}, "group", "other", "alertname", ".*")'
    for name, alerts in groups:
        out = f'label_replace({out}, "group", "{name}", "alertname", "{"|".join(alerts)}")'
    return out


SEVERITY = 'severity=~"$severity"'
FIRING = sel("ALERTS", 'alertstate="firing"', 'alertname!="Watchdog"', SEVERITY)


def count_stat(title: str, matchers: list[str], color: str, description: str) -> Stat:
    return Stat(title=title, description=description, format="short", reduceCalc="lastNotNull", graphMode="area",
                colorMode="background", thresholds=steps((color, 1)),
                targets=[Target(expr="count(" + sel("ALERTS", *matchers) + ") or vector(0)",
                                legendFormat=title.lower(), refId="A")])


def firing_table(groups: Groups) -> Table:
    """One row per firing alert (label set): its labels, group, and since when it is active."""
    targets = [
        Target(expr=f"max without (alertstate) ({with_group(FIRING, groups)})", refId="A", instant=True, format="table",
               legendFormat="firing"),
        # ALERTS_FOR_STATE: when the alert became active (alerts with a `for` only).
        Target(expr=f"1000 * {with_group(sel('ALERTS_FOR_STATE', SEVERITY), groups)} and ignoring (alertstate, group) {FIRING}",
               refId="B", instant=True, format="table", legendFormat="active since"),
    ]
    first = ["alertname", "severity", "group", "namespace"]
    return Table(
        title="Firing alerts", unit="short", targets=targets, filterable=True,
        description="Every firing alert (Watchdog aside) with its labels; filter a column from its header.",
        overrides=[{"matcher": {"id": "byName", "options": "Active since"},
                    "properties": [{"id": "unit", "value": "dateTimeFromNow"}]}],
        sortBy=[TableSortByField(displayName="severity")],
        transformations=[{"id": "merge", "options": {}},
                         {"id": "organize", "options": {
                             "excludeByName": {"Time": True, "Value #A": True, "__name__": True, "alertstate": True},
                             "renameByName": {"Value #B": "Active since"},
                             "indexByName": {name: n for n, name in enumerate(first + ["Active since"])}}}])


def timeline() -> StateTimeline:
    return StateTimeline(
        title="Firing alerts over time", description="One line per alert and severity; coloured while any of its "
        "instances fires.", mergeValues=True, showValue="never", rowHeight=0.8,
        mappings=[{"type": "value", "options": {"1": {"text": "firing", "color": "red", "index": 0}}}],
        targets=[Target(expr=f"max by (alertname, severity) ({FIRING})", legendFormat="{{alertname}} ({{severity}})",
                        refId="A")],
        extraJson={"fieldConfig": {"defaults": {"unit": "none", "color": {"mode": "fixed", "fixedColor": "red"}}}})


def health_stat(title: str, targets: list[Target], description: str) -> Stat:
    """1 is healthy, 0 broken, nothing at all is broken too."""
    return Stat(title=title, description=description, format="none", reduceCalc="lastNotNull", graphMode="none",
                colorMode="background", noValue="MISSING", thresholds=steps(("green", 1), base="red"),
                mappings=[{"type": "value", "options": {"0": {"text": "FAILED", "color": "red", "index": 0},
                                                        "1": {"text": "OK", "color": "green", "index": 1}}}],
                targets=targets)


def build(catalog) -> Dashboard:
    """The overview, its group panels listing the rule groups of the catalog being built."""
    groups = rule_groups(catalog)
    return Dashboard(
        uid="k8s-alerts-overview",
        title="Kubernetes / Alerts overview",
        description="Firing alerts by severity and rule group from Prometheus' ALERTS series, with their labels and "
                    "history, and the health of the alerting pipeline (Watchdog, rule evaluation, delivery).",
        tags=["alerts"],
        links=["k8s-cluster", "k8s-weekly-inspection"],
        time_from="now-6h",
        variables=[
            Variable("severity", "label_values(ALERTS, severity)", multi=True, include_all=True, all_value=".*"),
        ],
        rows=[
            Row("Firing now", [
                cell(count_stat("Critical", ['alertstate="firing"', 'severity="critical"'], "red",
                                "Firing critical alerts (label sets).")),
                cell(count_stat("Warning", ['alertstate="firing"', 'severity="warning"'], "orange",
                                "Firing warning alerts.")),
                cell(count_stat("Info", ['alertstate="firing"', 'severity="info"', 'alertname!="Watchdog"'], "blue",
                                "Firing info alerts, Watchdog aside.")),
                cell(count_stat("Pending", ['alertstate="pending"'], "yellow",
                                "Alerts whose condition holds but not yet for their `for` duration.")),
                cell(health_stat("Watchdog", [Target(expr="count(" + sel("ALERTS", 'alertname="Watchdog"', 'alertstate="firing"') + ")",
                                                     legendFormat="Watchdog", refId="A")],
                                 "The always-firing dead man's switch. MISSING: Prometheus does not evaluate the "
                                 "catalog's rules, and nothing else here can be trusted."), width=4),
            ], height=5),
            Row("By group and severity", [
                cell(BarGauge(title="Firing by rule group", format="short", description="Firing alerts per rule group of "
                              "the catalog (\"other\": rules not in it).", thresholds=steps(("orange", 1)),
                              targets=[Target(expr=f"sort_desc(count by (group) ({with_group(FIRING, groups)}))",
                                              legendFormat="{{group}}", refId="A", instant=True)]), width=8),
                cell(TimeSeries(title="Firing by severity", unit="short", description="Firing alerts (label sets) per "
                                "severity over time.", stacking={"mode": "normal"},
                                targets=[Target(expr=f"count by (severity) ({FIRING})", legendFormat="{{severity}}",
                                                refId="A")]), width=8),
                cell(TimeSeries(title="Firing by rule group", unit="short", description="Firing alerts per rule group "
                                "over time.", targets=[Target(expr=f"count by (group) ({with_group(FIRING, groups)})",
                                                              legendFormat="{{group}}", refId="A")]), width=8),
            ]),
            Row("Alerts", [
                cell(firing_table(groups), width=24, height=10),
                cell(timeline(), width=24, height=9),
            ]),
            Row("Alerting pipeline", [
                cell(TimeSeries(title="Rule evaluation failures", unit="short",
                                description="PrometheusRuleFailures: failed evaluations per rule group; those rules "
                                "cannot fire.",
                                targets=[Target(expr="sum by (instance, rule_group) (increase("
                                                + sel("prometheus_rule_evaluation_failures_total", PROMETHEUS)
                                                + "[$__rate_interval]))",
                                                legendFormat="{{instance}} {{rule_group}}", refId="A")])),
                cell(TimeSeries(title="Alerts Prometheus fails to send (best Alertmanager)", unit="percent",
                                description="PrometheusErrorSendingAlertsToAnyAlertmanager's quantity: % of alerts failing "
                                "to reach even the best Alertmanager.",
                                targets=[Target(expr="100 * min without (alertmanager) (rate("
                                                + sel("prometheus_notifications_errors_total", PROMETHEUS)
                                                + "[$__rate_interval]) / rate("
                                                + sel("prometheus_notifications_sent_total", PROMETHEUS)
                                                + "[$__rate_interval]))", legendFormat="{{instance}}", refId="A")]),
                     alert=AlertLine("PrometheusErrorSendingAlertsToAnyAlertmanager")),
                cell(TimeSeries(title="Notification queue", unit="short",
                                description="PrometheusNotificationQueueRunningFull: alerts waiting to be sent against the "
                                "queue's capacity.",
                                targets=[Target(expr=sel("prometheus_notifications_queue_length", PROMETHEUS),
                                                legendFormat="{{instance}} queued", refId="A"),
                                         Target(expr=sel("prometheus_notifications_queue_capacity", PROMETHEUS),
                                                legendFormat="{{instance}} capacity", refId="B")])),
                cell(TimeSeries(title="Notifications Alertmanager fails to deliver", unit="percentunit",
                                description="AlertmanagerFailedToSendAlerts' quantity: failed share of notifications per "
                                "integration (chat, webhook, e-mail).",
                                targets=[Target(expr="rate(" + sel("alertmanager_notifications_failed_total", ALERTMANAGER)
                                                + "[$__rate_interval]) / ignoring (reason) group_left rate("
                                                + sel("alertmanager_notifications_total", ALERTMANAGER) + "[$__rate_interval])",
                                                legendFormat="{{instance}} {{integration}} {{reason}}", refId="A")]),
                     alert=AlertLine("AlertmanagerFailedToSendAlerts")),
                cell(health_stat("Last config reload", [
                    Target(expr="min(" + sel("prometheus_config_last_reload_successful", PROMETHEUS) + ")",
                           legendFormat="Prometheus", refId="A"),
                    Target(expr="min(" + sel("alertmanager_config_last_reload_successful", ALERTMANAGER) + ")",
                           legendFormat="Alertmanager", refId="B"),
                ], "PrometheusConfigReloadFailed, AlertmanagerFailedReload: FAILED means the old configuration still "
                   "runs."), width=4),
            ]),
        ],
        fixture=Fixture(
            series={
                sel("ALERTS", 'alertname="KubePodCrashLooping"', 'alertstate="firing"', 'severity="warning"',
                    'namespace="shop"', 'pod="web-1"', 'container="app"', 'job="kube-state-metrics"'): "1x20",
                sel("ALERTS_FOR_STATE", 'alertname="KubePodCrashLooping"', 'severity="warning"', 'namespace="shop"',
                    'pod="web-1"', 'container="app"', 'job="kube-state-metrics"'): "1700000000x20",
                sel("ALERTS", 'alertname="KubeNodeNotReady"', 'alertstate="firing"', 'severity="critical"',
                    'node="node-2"', 'condition="Ready"', 'status="true"', 'job="kube-state-metrics"'): "_x5 1x15",
                sel("ALERTS_FOR_STATE", 'alertname="KubeNodeNotReady"', 'severity="critical"', 'node="node-2"',
                    'condition="Ready"', 'status="true"', 'job="kube-state-metrics"'): "_x4 1700000300x16",
                sel("ALERTS", 'alertname="KubeQuotaExceeded"', 'alertstate="pending"', 'severity="warning"',
                    'namespace="batch"', 'resourcequota="compute"', 'resource="requests.cpu"'): "1x20",
                sel("ALERTS", 'alertname="KubeContainerOOMKilled"', 'alertstate="firing"', 'severity="info"',
                    'namespace="shop"', 'pod="web-2"', 'container="app"'): "1x20",
                sel("ALERTS", 'alertname="ShopCheckoutErrors"', 'alertstate="firing"', 'severity="critical"',
                    'namespace="shop"'): "1x20",
                sel("ALERTS", 'alertname="Watchdog"', 'alertstate="firing"', 'severity="info"'): "1x20",
                sel("prometheus_rule_evaluation_failures_total", 'job="prometheus-k8s"', 'instance="10.0.0.5:9090"',
                    'rule_group="/etc/prometheus/rules/prometheus-k8s-rulefiles-0/monitoring-pods.yaml;pod-health"'): "0+1x20",
                **{sel(metric, 'job="prometheus-k8s"', 'instance="10.0.0.5:9090"',
                       f'alertmanager="http://{am}:9093/api/v2/alerts"'): values
                   for am in ("10.0.0.6", "10.0.0.7")
                   for metric, values in (("prometheus_notifications_errors_total", "0+1x20"),
                                          ("prometheus_notifications_sent_total", "0+100x20"))},
                sel("prometheus_notifications_queue_length", 'job="prometheus-k8s"', 'instance="10.0.0.5:9090"'): "0x20",
                sel("prometheus_notifications_queue_capacity", 'job="prometheus-k8s"', 'instance="10.0.0.5:9090"'): "10000x20",
                sel("prometheus_config_last_reload_successful", 'job="prometheus-k8s"', 'instance="10.0.0.5:9090"'): "1x20",
                sel("alertmanager_config_last_reload_successful", 'job="alertmanager-main"', 'instance="10.0.0.6:9093"'): "1x20",
                sel("alertmanager_notifications_total", 'job="alertmanager-main"', 'instance="10.0.0.6:9093"',
                    'integration="webhook"'): "0+100x20",
                sel("alertmanager_notifications_failed_total", 'job="alertmanager-main"', 'instance="10.0.0.6:9093"',
                    'integration="webhook"', 'reason="serverError"'): "0+2x20",
            },
            vars={"severity": ".*"},
        ),
    )
