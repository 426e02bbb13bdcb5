"""Weekly inspection (seed 001, 巡检): the week's peaks, to judge ahead of time whether
hardware or components need adjusting: cluster CPU, memory and request peaks ("每周集群
cpu/request/内存 峰值"), the top namespaces and nodes by peak ("最近一周的 Top"), the
middleware's water levels (connections against their limits, Redis memory, replication and
consumer lag), and the alerts that fired during the week.

Peaks are `max_over_time` over a subquery spanning the dashboard's range ($__range, seven
days by default) at the panel's resolution ($__interval): a spike shorter than one step
can be missed, a narrower time range sharpens it. Watchdog (always firing by design) is
left out of the alert counts.
"""

from grafanalib.core import Stat, TableSortByField, Target, TimeSeries

from gen.dash.model import AlertLine, Dashboard, Fixture, Row, cell
from gen.dash.panels import BarGauge, Table, steps

KSM = "${kube_state_metrics}"
CADVISOR = "${cadvisor}"
NODE_EXPORTER = "${node_exporter}"
MYSQL, POSTGRES, REDIS, KAFKA = "${mysqld_exporter}", "${postgres_exporter}", "${redis_exporter}", "${kafka_exporter}"
GIB = 1024**3
HOUR = 3600


def sel(metric: str, *matchers: str) -> str:
    """metric{matcher, ...}: PromQL braces without f-string escaping."""
    return metric + "{" + ", ".join(matchers) + "}"


def peak(expr: str) -> str:
    """The highest value of `expr` over the dashboard's time range."""
    return f"max_over_time(({expr})[$__range:$__interval])"


def rate(metric: str, *matchers: str) -> str:
    return "rate(" + sel(metric, *matchers) + "[$__rate_interval])"


def total(by: str) -> str:
    return f"sum by ({by}) " if by else "sum"


def cpu_busy(by: str = "") -> str:
    """Node CPU utilisation from node-exporter: 1 - idle over all modes, in %."""
    idle = rate("node_cpu_seconds_total", NODE_EXPORTER, 'mode="idle"')
    return f"100 * (1 - {total(by)}({idle}) / {total(by)}({rate('node_cpu_seconds_total', NODE_EXPORTER)}))"


def memory_used(by: str = "") -> str:
    return (f"100 * (1 - {total(by)}({sel('node_memory_MemAvailable_bytes', NODE_EXPORTER)})"
            f" / {total(by)}({sel('node_memory_MemTotal_bytes', NODE_EXPORTER)}))")


def by_node(expr: str) -> str:
    """`expr` per node-exporter `instance`, keyed by the Kubernetes node name like the other
    node panels: joined on the node's InternalIP (kube_node_info), which node-exporter's
    instance holds when it runs on the host network, as its DaemonSet does. node_uname_info's
    nodename is no key: it is the host name, which ACK and TKE nodes are not named by."""
    info = f"max by (internal_ip, node) ({sel('kube_node_info', KSM)})"
    return (f'max by (node) (label_replace({expr}, "internal_ip", "$1", "instance", "(.+):[0-9]+")'
            f" * on (internal_ip) group_left (node) {info})")


# Requests of Pending and Running pods (kube-state-metrics keeps completed pods' requests).
ACTIVE = "max by (namespace, pod) (" + sel("kube_pod_status_phase", KSM, 'phase=~"Pending|Running"') + " == 1)"


def requests(resource: str, by: str = "") -> str:
    held = sel("kube_pod_container_resource_requests", KSM, 'resource="' + resource + '"')
    return f"{total(by)}({held} * on (namespace, pod) group_left () {ACTIVE})"


def requests_pct(resource: str, by: str = "") -> str:
    allocatable = sel("kube_node_status_allocatable", KSM, 'resource="' + resource + '"')
    return f"100 * {requests(resource, by)} / {total(by)}({allocatable})"


def container_usage(resource: str) -> str:
    if resource == "cpu":
        return rate("container_cpu_usage_seconds_total", CADVISOR, 'container!=""')
    return sel("container_memory_working_set_bytes", CADVISOR, 'container!=""')


def share(used: str, limit: str) -> str:
    """100 * used / limit per server (exporter instance); none where the limit is 0 (unset)."""
    return f"100 * max by (instance) ({used}) / max by (instance) ({limit} > 0)"


# The middleware dashboard's (dashboards_src/middleware.py) water levels, per server, and the
# alert whose threshold colours the bars red.
MIDDLEWARE_LEVELS = [
    ("MySQL connections, % of max_connections",
     share(sel("mysql_global_status_threads_connected", MYSQL), sel("mysql_global_variables_max_connections", MYSQL)),
     "Highest threads connected against max_connections of each MySQL/MariaDB server (MysqlTooManyConnections).",
     AlertLine("MysqlTooManyConnections")),
    ("PostgreSQL connections, % of max_connections",
     share(f"sum by (instance) ({sel('pg_stat_activity_count', POSTGRES)})", sel("pg_settings_max_connections", POSTGRES)),
     "Highest backends against max_connections of each PostgreSQL server (PostgresqlTooManyConnections).",
     AlertLine("PostgresqlTooManyConnections")),
    ("Redis clients, % of maxclients",
     share(sel("redis_connected_clients", REDIS), sel("redis_config_maxclients", REDIS)),
     "Highest connected clients against maxclients of each Redis server (RedisTooManyConnections).",
     AlertLine("RedisTooManyConnections")),
    ("Redis memory, % of maxmemory",
     share(sel("redis_memory_used_bytes", REDIS), sel("redis_memory_max_bytes", REDIS)),
     "Highest used memory against maxmemory of each Redis server (RedisOutOfConfiguredMaxmemory); servers "
     "without maxmemory are left out. Near the threshold, raise maxmemory or add shards.",
     AlertLine("RedisOutOfConfiguredMaxmemory")),
]
MIDDLEWARE_LAGS = [
    ("MySQL replication lag", f"max by (instance) ({sel('mysql_slave_status_seconds_behind_master', MYSQL)}"
                              f" - {sel('mysql_slave_status_sql_delay', MYSQL)})",
     "{{instance}}", "s", "Highest Seconds_Behind_Master of each MySQL/MariaDB replica, less a deliberate "
     "MASTER_DELAY (MysqlSlaveReplicationLag).", AlertLine("MysqlSlaveReplicationLag", "threshold_seconds")),
    ("PostgreSQL replication lag", f"max by (instance) ({sel('pg_replication_lag', POSTGRES)})", "{{instance}}", "s",
     "Highest replay lag of each PostgreSQL standby (PostgresqlReplicationLag; pg_replication_lag comes from "
     "the catalog's docs/exporters/postgres_exporter-queries.yaml).", AlertLine("PostgresqlReplicationLag", "threshold_seconds")),
    ("Kafka consumer lag (messages)", f"max by (consumergroup, topic) ({sel('kafka_consumergroup_lag_sum', KAFKA)})",
     "{{consumergroup}} {{topic}}", "short",
     "Highest lag of each consumer group and topic, in messages (KafkaConsumersGroupLag).",
     AlertLine("KafkaConsumersGroupLag")),
]

WATER = steps(("orange", 70), ("red", 90))  # seed 001: scale out at a 90% water level
FIRING = sel("ALERTS", 'alertstate="firing"', 'alertname!="Watchdog"')
FOR_STATE = sel("ALERTS_FOR_STATE", 'alertname!="Watchdog"')


def peak_stat(title: str, expr: str, description: str) -> Stat:
    return Stat(title=title, description=description, format="percent", reduceCalc="lastNotNull", thresholds=WATER,
                graphMode="none", targets=[Target(expr=peak(expr), legendFormat="peak", refId="A", instant=True)])


def top(title: str, expr: str, legend: str, unit: str, description: str, thresholds: list[dict] | None = None,
        max_value: float | None = None) -> BarGauge:
    """The ten highest weekly peaks of `expr` (one series per namespace or node)."""
    return BarGauge(title=title, description=description, format=unit, max=max_value, thresholds=thresholds or steps(),
                    targets=[Target(expr=f"topk(10, {peak(expr)})", legendFormat=legend, refId="A", instant=True)])


def fired_table() -> Table:
    """Per alert and severity: instances fired, hours firing and the earliest activation."""
    by = "alertname, severity"
    columns = [
        ("Instances fired", "short", f"sum by ({by}) (max_over_time({FIRING}[$__range]))"),
        # Any instance firing, sampled every $__interval: steps firing x step length.
        ("Hours firing", "h", f"sum_over_time((max by ({by}) ({FIRING}))[$__range:$__interval]) * $__interval_ms / 3600000"),
        # ALERTS_FOR_STATE holds the time an alert became active (alerts with a `for` only).
        ("Active since", "dateTimeAsIso",
         f"1000 * min by ({by}) (min_over_time({FOR_STATE}[$__range]))"
         f" and on ({by}) max_over_time({FIRING}[$__range])"),
    ]
    targets = [Target(expr=expr, refId=chr(ord("A") + n), instant=True, format="table", legendFormat=header)
               for n, (header, _, expr) in enumerate(columns)]
    rename = {f"Value #{chr(ord('A') + n)}": header for n, (header, _, _) in enumerate(columns)}
    order = {"alertname": 0, "severity": 1, **{header: n + 2 for n, (header, _, _) in enumerate(columns)}}
    return Table(
        title="Alerts fired this week", unit="short", targets=targets,
        description="Every alert that fired in the time range (Watchdog aside): how many label sets fired, for how "
                    "long any of them was firing, and since when (earliest activation; empty for alerts without `for`).",
        overrides=[{"matcher": {"id": "byName", "options": header}, "properties": [{"id": "unit", "value": unit}]}
                   for header, unit, _ in columns],
        sortBy=[TableSortByField(displayName="Hours firing", desc=True)],
        transformations=[{"id": "merge", "options": {}},
                         {"id": "organize", "options": {"excludeByName": {"Time": True}, "renameByName": rename,
                                                        "indexByName": order}}])


def middleware_series() -> dict[str, str]:
    """A week of a MariaDB replica, a PostgreSQL standby, a Redis and a Kafka consumer group,
    each peaking mid-week."""
    mysql, pg = 'job="mysql"', 'job="postgres"'
    redis, kafka = 'job="redis"', 'job="kafka-exporter", instance="10.0.5.11:9308"'
    return {
        **{sel(metric, mysql, f'instance="{inst}"'): values
           for inst in ("10.0.2.11:9104", "10.0.2.12:9104")
           for metric, values in (("mysql_global_status_threads_connected", "60x80 130x4 60x85"),
                                  ("mysql_global_variables_max_connections", "151x170"))},
        sel("mysql_slave_status_seconds_behind_master", mysql, 'instance="10.0.2.12:9104"', 'channel_name=""',
            'connection_name=""', 'master_host="10.0.2.11"', 'master_uuid=""'): "0x100 240 0x69",
        sel("mysql_slave_status_sql_delay", mysql, 'instance="10.0.2.12:9104"', 'channel_name=""',
            'connection_name=""', 'master_host="10.0.2.11"', 'master_uuid=""'): "0x170",
        sel("pg_stat_activity_count", pg, 'instance="10.0.3.11:9187"', 'server="10.0.3.11:5432"', 'datname="shop"',
            'state="active"'): "20x120 85x2 20x47",
        sel("pg_settings_max_connections", pg, 'instance="10.0.3.11:9187"', 'server="10.0.3.11:5432"'): "100x170",
        sel("pg_replication_lag", pg, 'instance="10.0.3.12:9187"', 'server="10.0.3.12:5432"'): "1x90 75 1x79",
        **{sel(metric, redis, 'instance="10.0.4.11:9121"'): values
           for metric, values in (("redis_connected_clients", "1200x170"), ("redis_config_maxclients", "10000x170"),
                                  ("redis_memory_used_bytes", f"{800 * 2**20}x60 {980 * 2**20}x3 {800 * 2**20}x107"),
                                  ("redis_memory_max_bytes", f"{1024 * 2**20}x170"))},
        **{sel("kafka_consumergroup_lag_sum", kafka, f'consumergroup="{group}"', 'topic="orders"'): values
           for group, values in (("billing", "100x140 18000x2 100x28"), ("audit", "8000x170"))},
    }


dashboard = Dashboard(
    uid="k8s-weekly-inspection",
    title="Kubernetes / Weekly inspection",
    description="The week's peaks of cluster CPU, memory and requests, the top 10 namespaces and nodes by peak, "
                "the middleware's water levels, and the alerts that fired (seed 001, 巡检).",
    tags=["inspection", "capacity"],
    links=["k8s-cluster", "k8s-water-level", "middleware", "k8s-alerts-overview"],
    time_from="now-7d",
    refresh="",
    rows=[
        Row("Cluster peaks", [
            cell(peak_stat("Peak CPU utilisation", cpu_busy(),
                           "Highest CPU utilisation of all nodes together (node-exporter, all modes but idle).")),
            cell(peak_stat("Peak memory utilisation", memory_used(),
                           "Highest share of node memory not available (node-exporter MemAvailable).")),
            cell(peak_stat("Peak CPU requests", requests_pct("cpu"),
                           "Highest CPU requests of Pending and Running pods, % of allocatable: the scheduling "
                           "water level. Around 90%, add nodes.")),
            cell(peak_stat("Peak memory requests", requests_pct("memory"),
                           "Highest memory requests of Pending and Running pods, % of allocatable.")),
            cell(Stat(title="Alert instances fired", description="Label sets that fired during the range, per severity "
                      "(Watchdog aside).", format="short", reduceCalc="lastNotNull", graphMode="none",
                      thresholds=steps(("orange", 1)),
                      targets=[Target(expr=f"sum by (severity) (max_over_time({FIRING}[$__range]))",
                                      legendFormat="{{severity}}", refId="A", instant=True)]), width=8),
        ], height=5),
        Row("The week", [
            cell(TimeSeries(title="Cluster utilisation and requests", unit="percent",
                            description="Usage from node-exporter, requests from kube-state-metrics, % of the nodes.",
                            targets=[Target(expr=cpu_busy(), legendFormat="CPU used", refId="A"),
                                     Target(expr=memory_used(), legendFormat="memory used", refId="B"),
                                     Target(expr=requests_pct("cpu"), legendFormat="CPU requested", refId="C"),
                                     Target(expr=requests_pct("memory"), legendFormat="memory requested", refId="D")]),
                 width=16),
            cell(TimeSeries(title="Firing alerts by severity", unit="short",
                            description="Alert instances firing at each moment (Watchdog aside).",
                            targets=[Target(expr=f"sum by (severity) ({FIRING})", legendFormat="{{severity}}",
                                            refId="A")]), width=8),
        ]),
        Row("Top 10 namespaces by weekly peak", [
            cell(top("CPU used (cores)", f"sum by (namespace) ({container_usage('cpu')})", "{{namespace}}", "short",
                     "Highest CPU use of each namespace's containers (cAdvisor).")),
            cell(top("Memory working set", f"sum by (namespace) ({container_usage('memory')})", "{{namespace}}", "bytes",
                     "Highest working set of each namespace's containers (cAdvisor).")),
            cell(top("CPU requests (cores)", requests("cpu", "namespace"), "{{namespace}}", "short",
                     "Highest CPU requested by each namespace's Pending and Running pods.")),
            cell(top("Memory requests", requests("memory", "namespace"), "{{namespace}}", "bytes",
                     "Highest memory requested by each namespace's Pending and Running pods.")),
        ], height=9),
        Row("Top 10 nodes by weekly peak", [
            cell(top("CPU utilisation", by_node(cpu_busy("instance")), "{{node}}", "percent",
                     "Highest CPU utilisation of each node (node-exporter, named by the node's InternalIP).",
                     WATER, 100)),
            cell(top("Memory utilisation", by_node(memory_used("instance")), "{{node}}", "percent",
                     "Highest share of each node's memory not available (node-exporter, named by the node's "
                     "InternalIP).", WATER, 100)),
            cell(top("CPU requests, % of allocatable", requests_pct("cpu", "node"), "{{node}}", "percent",
                     "Highest CPU requests of the pods on each node, % of its allocatable.", WATER, 100)),
            cell(top("Memory requests, % of allocatable", requests_pct("memory", "node"), "{{node}}", "percent",
                     "Highest memory requests of the pods on each node, % of its allocatable.", WATER, 100)),
        ], height=9),
        Row("Middleware water levels (top 10 servers by weekly peak)", [
            *[cell(top(title, expr, "{{instance}}", "percent", description + " Red from the alert's threshold.",
                       max_value=100), width=6, alert=line)
              for title, expr, description, line in MIDDLEWARE_LEVELS],
            *[cell(top(title, expr, legend, unit, description + " Red from the alert's threshold."), width=8, alert=line)
              for title, expr, legend, unit, description, line in MIDDLEWARE_LAGS],
        ], height=9),
        Row("Alerts of the week", [cell(fired_table(), width=24)], height=10),
    ],
    fixture=Fixture(
        series={
            # Two nodes, one CPU each: node-1 75% idle, node-2 50% idle, every hour of the week.
            **{sel("node_cpu_seconds_total", NODE_EXPORTER, f'instance="{inst}"', 'cpu="0"', f'mode="{mode}"'): f"0+{sec}x170"
               for inst, idle in (("10.0.1.11:9100", 0.75), ("10.0.1.12:9100", 0.5))
               for mode, sec in (("idle", int(HOUR * idle)), ("user", int(HOUR * (1 - idle))))},
            **{sel(metric, NODE_EXPORTER, f'instance="{inst}"'): f"{value}x170"
               for inst in ("10.0.1.11:9100", "10.0.1.12:9100")
               for metric, value in (("node_memory_MemTotal_bytes", 16 * GIB), ("node_memory_MemAvailable_bytes", 6 * GIB))},
            # Named node-1 and node-2, not after their host names: joined on the InternalIP.
            **{sel("kube_node_info", KSM, f'node="{n}"', f'internal_ip="{ip}"'): "1x170"
               for n, ip in (("node-1", "10.0.1.11"), ("node-2", "10.0.1.12"))},
            **{sel("kube_node_status_allocatable", KSM, f'node="{n}"', f'resource="{res}"', f'unit="{unit}"'): f"{v}x170"
               for n in ("node-1", "node-2") for res, unit, v in (("cpu", "core", 4), ("memory", "byte", 16 * GIB))},
            **{sel("kube_pod_status_phase", KSM, 'namespace="shop"', 'pod="web-1"', f'phase="{p}"'):
               ("1x170" if p == "Running" else "0x170") for p in ("Pending", "Running", "Succeeded", "Failed")},
            **{sel("kube_pod_container_resource_requests", KSM, 'namespace="shop"', 'pod="web-1"', 'container="app"',
                   'node="node-1"', f'resource="{res}"', f'unit="{unit}"'): f"{v}x170"
               for res, unit, v in (("cpu", "core", 2), ("memory", "byte", 4 * GIB))},
            sel("container_cpu_usage_seconds_total", CADVISOR, 'namespace="shop"', 'pod="web-1"', 'container="app"',
                'node="node-1"'): "0+1800x170",
            sel("container_memory_working_set_bytes", CADVISOR, 'namespace="shop"', 'pod="web-1"', 'container="app"',
                'node="node-1"'): f"{3 * GIB}x170",
            # KubePodCrashLooping fired for a day mid-week (pending for 15m first), then resolved.
            sel("ALERTS", 'alertname="KubePodCrashLooping"', 'alertstate="firing"', 'severity="warning"',
                'namespace="shop"', 'pod="web-1"', 'container="app"', 'job="kube-state-metrics"'): "_x80 1x24 _x66",
            sel("ALERTS_FOR_STATE", 'alertname="KubePodCrashLooping"', 'severity="warning"', 'namespace="shop"',
                'pod="web-1"', 'container="app"', 'job="kube-state-metrics"'): f"_x80 {80 * HOUR - 900}x24 _x66",
            # NodeFilesystemSpaceFillingUp firing since hour 160, still at the end of the week.
            sel("ALERTS", 'alertname="NodeFilesystemSpaceFillingUp"', 'alertstate="firing"', 'severity="warning"',
                'instance="10.0.1.12:9100"', 'device="/dev/sda1"', 'mountpoint="/var/lib/containerd"', 'fstype="ext4"',
                'job="node-exporter"'): "_x160 1x10",
            sel("ALERTS_FOR_STATE", 'alertname="NodeFilesystemSpaceFillingUp"', 'severity="warning"',
                'instance="10.0.1.12:9100"', 'device="/dev/sda1"', 'mountpoint="/var/lib/containerd"', 'fstype="ext4"',
                'job="node-exporter"'): f"_x159 {159 * HOUR}x11",
            sel("ALERTS", 'alertname="Watchdog"', 'alertstate="firing"', 'severity="info"'): "1x170",
            **middleware_series(),
        },
        vars={},
        at="168h",
        interval="1h",
        rate_interval="3h",
        range="7d",
    ),
)
