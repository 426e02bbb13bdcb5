"""Middleware: MySQL/MariaDB, PostgreSQL, Redis and Kafka, a row each, with the quantities
the middleware alerts watch: up, connections against the server's limit, throughput, slow
queries and deadlocks, replication lag, Redis memory against maxmemory, Kafka consumer lag
and under-replicated partitions.

Metric names are those of the exporters the alerts target. The first three were read from
their /metrics against real servers (and the live tests run every query of those rows against
them): mysqld_exporter 0.14 (MariaDB 10.11 with a replica), postgres_exporter 0.11 (PostgreSQL
15; pg_replication_lag and pg_postmaster_start_time_seconds come from the catalog's
docs/exporters/postgres_exporter-queries.yaml, passed with --extend.query-path), redis_exporter
1.45 (Redis 7.0 with a replica). danielqsj/kafka_exporter's (1.x: kafka_brokers,
kafka_consumergroup_lag and _lag_sum, kafka_topic_partition_under_replicated_partition) are
its documented ones; several exporters of one Kafka cluster are reduced with
`max without (instance)`, as the alerts do.

Each row has its instance variable (the exporter's `instance`, "All" by default): an alert
that links here fills the variable of its own service.
"""

from grafanalib.core import Threshold

from common.durations import parse_duration
from gen.dash.model import AlertLine, Dashboard, Fixture, Row, Variable, cell

from ._panels import Column, stat, steps, table, ts

MY = '${mysqld_exporter}, instance=~"$mysql"'
PG = '${postgres_exporter}, instance=~"$postgres"'
RS = '${redis_exporter}, instance=~"$redis"'
KF = '${kafka_exporter}, instance=~"$kafka"'

UP = [Threshold("red", 0, 0.0), Threshold("green", 1, 1.0)]  # 0 servers up reads red


def per_second(alert: str) -> AlertLine:
    """The line of an alert on `increase(x[window]) > threshold`, on a panel of rate(x): threshold / window."""
    return AlertLine(alert, compute=lambda p: p["threshold"] / parse_duration(str(p["window"])))


_MY_CONN_LINE = AlertLine("MysqlTooManyConnections")
_MY_LAG_LINE = AlertLine("MysqlSlaveReplicationLag", "threshold_seconds")
_PG_CONN_LINE = AlertLine("PostgresqlTooManyConnections")
_PG_LAG_LINE = AlertLine("PostgresqlReplicationLag", "threshold_seconds")
_RS_MEM_LINE = AlertLine("RedisOutOfConfiguredMaxmemory")
_RS_CLIENTS_LINE = AlertLine("RedisTooManyConnections")
_KF_LAG_LINE = AlertLine("KafkaConsumersGroupLag")


def sel(metric: str, matchers: str, *extra: str) -> str:
    return metric + "{" + ", ".join((matchers, *extra)) + "}"


def rate(metric: str, matchers: str, by: str = "instance", *extra: str) -> str:
    agg = f"sum by ({by})" if by else "sum"
    return f"{agg} (rate({sel(metric, matchers, *extra)}[$__rate_interval]))"


def servers_up(metric: str, matchers: str) -> str:
    """Servers the exporters reach (their <service>_up), 0 (not "no data") when the exporters
    answer but reach none, or when every exporter target is down."""
    return f"sum({sel(metric, matchers)}) or on () 0 * count({sel('up', matchers)})"


def share(used: str, limit: str) -> str:
    """100 * used / limit per instance; empty where the limit is 0 (none configured)."""
    return f"100 * max by (instance) ({used}) / max by (instance) ({limit} > 0)"


def up_stat(title: str, metric: str, matchers: str, alert: str):
    return stat(title, "short", (servers_up(metric, matchers), "up"), (f"count({sel('up', matchers)})", "targets"),
                thresholds=UP, noValue="no exporter target",
                description=f"Servers the exporters reach ({metric} = 1), out of the exporter targets Prometheus "
                            f"scrapes: {alert} fires for each server at 0. Reads 0, not no data, when none is "
                            "reached; \"no exporter target\" means Prometheus scrapes none under this selector.")


# ---------------------------------------------------------------------------------------
# MySQL / MariaDB (mysqld_exporter 0.14)

_MY_CONN = share(sel("mysql_global_status_threads_connected", MY), sel("mysql_global_variables_max_connections", MY))
# A replica delayed on purpose (MASTER_DELAY) lags by sql_delay: only the rest counts, as in the alert.
_MY_LAG = f"({sel('mysql_slave_status_seconds_behind_master', MY)} - {sel('mysql_slave_status_sql_delay', MY)})"

_mysql = Row("MySQL / MariaDB", [
    cell(up_stat("Servers up", "mysql_up", MY, "MysqlDown"), width=4, height=5),
    cell(stat("Connections, % of max_connections (highest)", "percent", (f"max({_MY_CONN})", "highest"),
              
              description="Threads connected against max_connections on the busiest server: the ratio "
                          "MysqlTooManyConnections watches; red from its threshold."), width=5, height=5,
         alert=_MY_CONN_LINE),
    cell(stat("Queries/s", "qps", (rate("mysql_global_status_queries", MY, ""), "queries/s"), graph=True,
              
              description="Statements the servers execute (Queries, stored programs' statements included). "
                          "No alert: context for MysqlTooManyConnections and the slow queries."), width=5, height=5),
    cell(stat("Slow queries/s", "ops", (rate("mysql_global_status_slow_queries", MY, ""), "slow/s"), graph=True,
              
              description="Statements slower than long_query_time: MysqlSlowQueries fires when their count "
                          "over its window passes its threshold (by default any slow query). They hold "
                          "connections (MysqlTooManyConnections) and delay replicas."), width=5, height=5),
    cell(stat("Replication lag (highest)", "s", (f"max({_MY_LAG})", "lag"), noValue="no replica",
              description="Seconds_Behind_Master of the most lagging replica, less a deliberate MASTER_DELAY: "
                          "what MysqlSlaveReplicationLag watches, red from its threshold. \"no replica\" when "
                          "no server replicates."), width=5, height=5, alert=_MY_LAG_LINE),
    cell(ts("Connections, % of max_connections", "percent", (_MY_CONN, "{{instance}}"),
            description="Threads connected against max_connections per server: MysqlTooManyConnections "
                        "fires above its threshold (the line)."), width=6, alert=_MY_CONN_LINE),
    cell(ts("Connections and the limit", "short",
            (f"max by (instance) ({sel('mysql_global_status_threads_connected', MY)})", "{{instance}} connected"),
            (f"max by (instance) ({sel('mysql_global_status_threads_running', MY)})", "{{instance}} running"),
            (f"max by (instance) ({sel('mysql_global_variables_max_connections', MY)})", "{{instance}} max_connections"),
            description="Connected and running threads against max_connections (absolute), the numbers "
                        "behind MysqlTooManyConnections."), width=6),
    cell(ts("Refused and aborted connections/s", "ops",
            (rate("mysql_global_status_connection_errors_total", MY, "instance", 'error="max_connections"'),
             "{{instance}} refused (max_connections)"),
            (rate("mysql_global_status_aborted_connects", MY), "{{instance}} aborted connects"),
            description="Connections refused because max_connections was reached (MysqlConnectionsRejected "
                        "fires at the first; MysqlTooManyConnections warns before) and failed connection attempts."), width=6),
    cell(ts("Uptime", "s", (f"max by (instance) ({sel('mysql_global_status_uptime', MY)})", "{{instance}}"),
            description="Seconds since each server started: MysqlRestarted fires while it is below its threshold "
                        "(a restart, or a crash and restart between two scrapes, which MysqlDown can miss)."),
         width=6),
    cell(ts("Queries/s by command", "qps",
            (rate("mysql_global_status_commands_total", MY, "instance, command",
                  'command=~"select|insert|update|delete|replace|commit|rollback"'), "{{instance}} {{command}}"),
            description="Statements per second by command (Com_*). No alert: the load behind the "
                        "connections and the lag."), width=6),
    cell(ts("Slow queries/s, deadlocks/s, row lock waits/s", "ops",
            (rate("mysql_global_status_slow_queries", MY), "{{instance}} slow queries"),
            (f'{rate("mysql_global_status_innodb_deadlocks", MY)}'
             f' or {rate("mysql_info_schema_innodb_metrics_lock_lock_deadlocks_total", MY)}', "{{instance}} deadlocks"),
            (rate("mysql_global_status_innodb_row_lock_waits", MY), "{{instance}} row lock waits"),
            description="Slow queries (long_query_time), InnoDB deadlocks (MariaDB's Innodb_deadlocks or, on "
                        "Oracle MySQL, INNODB_METRICS' lock_deadlocks with --collect.info_schema.innodb_metrics; "
                        "the line is MysqlInnodbDeadlocks' threshold per second) and row lock "
                        "waits. Slow queries fire MysqlSlowQueries; all of them explain "
                        "MysqlTooManyConnections and MysqlSlaveReplicationLag."), width=6,
         alert=per_second("MysqlInnodbDeadlocks")),
    cell(ts("Replication lag", "s",
            (f"max by (instance, connection_name, channel_name) ({_MY_LAG})", "{{instance}} {{connection_name}}{{channel_name}}"),
            description="Seconds_Behind_Master per replica and replication channel, less a deliberate "
                        "MASTER_DELAY: MysqlSlaveReplicationLag fires above its threshold (the line). Empty while "
                        "no server replicates."), width=6, alert=_MY_LAG_LINE),
    cell(ts("Replication threads running", "short",
            (f"min by (instance) ({sel('mysql_slave_status_slave_io_running', MY)})", "{{instance}} IO thread"),
            (f"min by (instance) ({sel('mysql_slave_status_slave_sql_running', MY)})", "{{instance}} SQL thread"),
            description="1 while the replica's IO and SQL threads run: MysqlSlaveIoThreadNotRunning and "
                        "MysqlSlaveSqlThreadNotRunning fire at 0. A stopped thread leaves Seconds_Behind_Master "
                        "empty, so MysqlSlaveReplicationLag cannot see it."), width=6),
])

# ---------------------------------------------------------------------------------------
# PostgreSQL (postgres_exporter 0.11)

_PG_CONN = share(f"sum by (instance) ({sel('pg_stat_activity_count', PG)})", sel("pg_settings_max_connections", PG))
_PG_LAG = sel("pg_replication_lag", PG)

_postgres = Row("PostgreSQL", [
    cell(up_stat("Servers up", "pg_up", PG, "PostgresqlDown"), width=4, height=5),
    cell(stat("Connections, % of max_connections (highest)", "percent", (f"max({_PG_CONN})", "highest"),
              
              description="Client backends (pg_stat_activity) against max_connections on the busiest server: "
                          "the ratio PostgresqlTooManyConnections watches; red from its threshold."), width=5, height=5,
         alert=_PG_CONN_LINE),
    cell(stat("Transactions/s", "ops",
              (f"sum({rate('pg_stat_database_xact_commit', PG, '')} + {rate('pg_stat_database_xact_rollback', PG, '')})",
               "transactions/s"), graph=True, 
              description="Commits and rollbacks of every database. No alert: context for "
                          "PostgresqlTooManyConnections."), width=5, height=5),
    cell(stat("Deadlocks/s", "ops", (rate("pg_stat_database_deadlocks", PG, ""), "deadlocks/s"), graph=True,
              
              description="Deadlocks detected in every database: PostgresqlDeadlocks fires when a database's "
                          "count over its window passes its threshold (red here, per second). Waiting "
                          "transactions hold connections (PostgresqlTooManyConnections)."), width=5, height=5,
         alert=per_second("PostgresqlDeadlocks")),
    cell(stat("Replication lag (highest)", "s", (f"max({_PG_LAG})", "lag"), noValue="no lag metric",
              description="Seconds since the last replayed transaction on the most lagging standby (0 on a "
                          "primary): what PostgresqlReplicationLag watches, red from its threshold. pg_replication_lag "
                          "comes from the catalog's queries for postgres_exporter, "
                          "docs/exporters/postgres_exporter-queries.yaml (--extend.query-path); without them, "
                          "\"no lag metric\"."), width=5, height=5, alert=_PG_LAG_LINE),
    cell(ts("Connections, % of max_connections", "percent", (_PG_CONN, "{{instance}}"),
            description="Backends against max_connections per server: PostgresqlTooManyConnections fires "
                        "above its threshold (the line)."), width=8, alert=_PG_CONN_LINE),
    cell(ts("Connections by state and the limit", "short",
            (f"sum by (instance, state) ({sel('pg_stat_activity_count', PG)})", "{{instance}} {{state}}"),
            (f"max by (instance) ({sel('pg_settings_max_connections', PG)})", "{{instance}} max_connections"),
            description="Backends by state (active, idle, idle in transaction) against max_connections, the "
                        "numbers behind PostgresqlTooManyConnections. Many idle in transaction: a client "
                        "holds transactions open."), width=8),
    cell(ts("Transactions/s", "ops",
            (rate("pg_stat_database_xact_commit", PG, "instance, datname"), "{{instance}} {{datname}} commit"),
            (rate("pg_stat_database_xact_rollback", PG, "instance, datname"), "{{instance}} {{datname}} rollback"),
            description="Commits and rollbacks per database. No alert: the load behind the connections."), width=8),
    cell(ts("Deadlocks/s and the longest transaction", "short",
            (rate("pg_stat_database_deadlocks", PG, "instance, datname"), "{{instance}} {{datname}} deadlocks/s"),
            (f"max by (instance) ({sel('pg_stat_activity_max_tx_duration', PG)})", "{{instance}} longest transaction (s)"),
            description="Deadlocks per database and the age of the oldest open transaction (seconds): slow "
                        "statements and forgotten transactions. Deadlocks fire PostgresqlDeadlocks; both explain "
                        "PostgresqlTooManyConnections and PostgresqlReplicationLag."), width=8),
    cell(ts("Replication lag", "s", (f"max by (instance) ({_PG_LAG})", "{{instance}}"),
            description="Seconds since the standby replayed its last transaction (0 on a primary): "
                        "PostgresqlReplicationLag fires above its threshold (the line). An idle primary makes a "
                        "standby look lagging too."), width=8, alert=_PG_LAG_LINE),
    cell(ts("Uptime and exporter errors", "short",
            (f"max by (instance) (time() - {sel('pg_postmaster_start_time_seconds', PG)})", "{{instance}} uptime (s)"),
            (f"max by (instance) ({sel('pg_exporter_last_scrape_error', PG)})", "{{instance}} last scrape failed"),
            description="Seconds since each server started (PostgresqlRestarted fires below its threshold; "
                        "pg_postmaster_start_time_seconds, like the lag, comes from the catalog's "
                        "docs/exporters/postgres_exporter-queries.yaml) "
                        "and whether the exporter's last scrape of the server failed, 1 "
                        "(PostgresqlExporterError: some pg_ series are then missing or stale)."), width=8),
])

# ---------------------------------------------------------------------------------------
# Redis (redis_exporter 1.45)

_RS_MEM = share(sel("redis_memory_used_bytes", RS), sel("redis_memory_max_bytes", RS))
_RS_CLIENTS = share(sel("redis_connected_clients", RS), sel("redis_config_maxclients", RS))

_redis = Row("Redis", [
    cell(up_stat("Servers up", "redis_up", RS, "RedisDown"), width=4, height=5),
    cell(stat("Memory, % of maxmemory (highest)", "percent", (f"max({_RS_MEM})", "highest"),
              noValue="no maxmemory set",
              description="Used memory against maxmemory on the fullest server: the ratio "
                          "RedisOutOfConfiguredMaxmemory watches, red from its threshold. Servers without "
                          "maxmemory (0, no limit) are left out."), width=5, height=5, alert=_RS_MEM_LINE),
    cell(stat("Clients, % of maxclients (highest)", "percent", (f"max({_RS_CLIENTS})", "highest"),
              
              description="Connected clients against maxclients on the busiest server: the ratio "
                          "RedisTooManyConnections watches, red from its threshold."), width=5, height=5,
         alert=_RS_CLIENTS_LINE),
    cell(stat("Commands/s", "ops", (rate("redis_commands_processed_total", RS, ""), "commands/s"), graph=True,
              
              description="Commands processed by every server. No alert: context for the memory and "
                          "connection alerts."), width=5, height=5),
    cell(stat("Evicted keys/s", "ops", (rate("redis_evicted_keys_total", RS, ""), "evicted/s"), graph=True,
              thresholds=steps(("orange", 1)), 
              description="Keys evicted because maxmemory was reached: RedisEvictingKeys fires at the first, "
                          "RedisOutOfConfiguredMaxmemory warns before (evicting maxmemory-policy)."), width=5, height=5),
    cell(ts("Memory, % of maxmemory", "percent", (_RS_MEM, "{{instance}}"),
            description="Used memory against maxmemory per server: RedisOutOfConfiguredMaxmemory fires above "
                        "its threshold (the line). Empty for a server without maxmemory."), width=8,
         alert=_RS_MEM_LINE),
    cell(ts("Memory used and maxmemory", "bytes",
            (f"max by (instance) ({sel('redis_memory_used_bytes', RS)})", "{{instance}} used"),
            (f"max by (instance) ({sel('redis_memory_max_bytes', RS)} > 0)", "{{instance}} maxmemory"),
            (f"max by (instance) ({sel('redis_memory_used_rss_bytes', RS)})", "{{instance}} RSS"),
            description="Used memory and RSS against maxmemory (absolute), the numbers behind "
                        "RedisOutOfConfiguredMaxmemory."), width=8),
    cell(ts("Clients, % of maxclients", "percent", (_RS_CLIENTS, "{{instance}}"),
            description="Connected clients against maxclients per server: RedisTooManyConnections fires "
                        "above its threshold (the line)."), width=8, alert=_RS_CLIENTS_LINE),
    cell(ts("Evicted keys/s and rejected connections/s", "ops",
            (rate("redis_evicted_keys_total", RS), "{{instance}} evicted keys"),
            (rate("redis_rejected_connections_total", RS), "{{instance}} rejected connections"),
            (rate("redis_expired_keys_total", RS), "{{instance}} expired keys"),
            description="Keys evicted at maxmemory (RedisEvictingKeys; RedisOutOfConfiguredMaxmemory warns "
                        "before), connections rejected at maxclients (RedisRejectedConnections; "
                        "RedisTooManyConnections warns before), keys expiring by their TTL."), width=8),
    cell(ts("Commands/s", "ops",
            (rate("redis_commands_processed_total", RS), "{{instance}}"),
            description="Commands processed per server. No alert: the load behind the memory and the "
                        "connections."), width=8),
    cell(ts("Replicas and replication lag", "short",
            (f"max by (instance) ({sel('redis_connected_slaves', RS)})", "{{instance}} replicas connected"),
            (f"min by (instance) ({sel('redis_master_link_up', RS)})", "{{instance}} link to its master up"),
            (f"max by (instance, slave_ip, slave_port) ({sel('redis_connected_slave_lag_seconds', RS)})",
             "{{instance}} lag of {{slave_ip}}:{{slave_port}} (s)"),
            description="Replicas connected to each master (RedisReplicationBroken fires when the count "
                        "drops), a replica's link to its master (RedisMasterLinkDown fires at 0) and, per "
                        "replica, seconds since its last acknowledgement to the master."), width=8),
])

# ---------------------------------------------------------------------------------------
# Kafka (danielqsj/kafka_exporter)

# kafka_exporter sees the whole cluster: several exporters (replicas, a rolling update) report the
# same partitions, so every series is reduced with `max without (instance)` first, as the alerts do.
_KF_LAG = f"max without (instance) ({sel('kafka_consumergroup_lag', KF)})"  # per partition
_KF_GROUP_LAG = f"max by (consumergroup, topic) ({sel('kafka_consumergroup_lag_sum', KF)})"  # the alert's quantity
_KF_TOP = f"topk(10, {_KF_GROUP_LAG})"
_KF_URP = f"max without (instance) ({sel('kafka_topic_partition_under_replicated_partition', KF)})"
# Messages written, from the partitions' newest offsets (internal topics such as __consumer_offsets aside).
_KF_PRODUCED = ("max without (instance) (rate("
                + sel("kafka_topic_partition_current_offset", KF, 'topic!~"__.*"') + "[$__rate_interval]))")
_KF_CONSUMED = f"max without (instance) (rate({sel('kafka_consumergroup_current_offset', KF)}[$__rate_interval]))"

_kafka = Row("Kafka", [
    cell(stat("Brokers", "short",
              (f"max({sel('kafka_brokers', KF)}) or on () 0 * count({sel('up', KF)})", "brokers"),
              noValue="no exporter target", thresholds=UP,
              description="Brokers in the cluster as kafka_exporter sees them: KafkaBrokersDown fires when "
                          "the count drops. A broker that leaves makes its partitions under-replicated "
                          "(KafkaUnderReplicatedPartitions). Reads 0, not no data, while the exporter targets "
                          "are down (the exporter cannot reach the cluster)."), width=4, height=5),
    cell(stat("Under-replicated partitions", "short", (f"sum({_KF_URP})", "partitions"),
              thresholds=steps(("red", 1)), noValue="no exporter data",
              description="Partitions with fewer in-sync replicas than replicas: "
                          "KafkaUnderReplicatedPartitions fires above 0. Reads 0 when all are in sync."), width=5, height=5),
    cell(stat("Consumer lag, total", "short", (f"sum({_KF_GROUP_LAG})", "messages"), graph=True,
              noValue="no consumer group",
              description="Messages not yet consumed, summed over every consumer group: "
                          "KafkaConsumersGroupLag fires per group and topic (table below) above its threshold."),
         width=5, height=5),
    cell(stat("Groups over the lag threshold", "short",
              (f"count({_KF_GROUP_LAG} > ${{KafkaConsumersGroupLag.threshold}}) or on () 0 * count({_KF_GROUP_LAG})",
               "groups"),
              thresholds=steps(("orange", 1)), noValue="no consumer group",
              description="Consumer group and topic pairs lagging more than KafkaConsumersGroupLag's threshold "
                          "(it fires for those that stay above it). Reads 0 when none is."), width=5, height=5),
    cell(stat("Messages produced/s", "short",
              (f"sum({_KF_PRODUCED})", "messages/s"), graph=True, 
              description="Messages written to every topic (internal topics aside), from the partitions' "
                          "newest offsets. No alert: what the consumers must keep up with "
                          "(KafkaConsumersGroupLag)."), width=5, height=5),
    cell(table("Consumer lag, top 10 groups and topics", ["consumergroup", "topic"], [
        Column("Lag (messages)", _KF_TOP, gauge=True),
        Column("Partitions", f"count by (consumergroup, topic) ({_KF_LAG}) and on (consumergroup, topic) {_KF_TOP}"),
        Column("Highest partition lag", f"max by (consumergroup, topic) ({_KF_LAG}) and on (consumergroup, topic) {_KF_TOP}"),
        Column("Consumed/s", f"sum by (consumergroup, topic) ({_KF_CONSUMED}) and on (consumergroup, topic) {_KF_TOP}",
               unit="short"),
    ], description="The ten consumer group and topic pairs with the most messages not yet consumed, now (an "
                   "instant query, not hundreds of lines): the quantity KafkaConsumersGroupLag compares with "
                   "its threshold (the lag's bar turns red above it). Consumed/s near zero with a growing lag: "
                   "the consumers are stuck."), width=12, alert=_KF_LAG_LINE),
    cell(ts("Consumer lag, top 10 groups now, over time", "short",
            (f"{_KF_GROUP_LAG} and on (consumergroup, topic) topk(10, max by (consumergroup, topic) ({sel('kafka_consumergroup_lag_sum', KF)} @ end()))",
             "{{consumergroup}} {{topic}}"),
            description="The lag of the ten groups and topics lagging most at the end of the range, over the "
                        "range: KafkaConsumersGroupLag fires above its threshold (the line)."), width=12,
         alert=_KF_LAG_LINE),
    cell(ts("Under-replicated partitions by topic", "short",
            (f"sum by (topic) ({_KF_URP}) > 0", "{{topic}}"),
            (f"sum({sel('kafka_topic_partition_in_sync_replica', KF)}) / sum({sel('kafka_topic_partition_replicas', KF)})",
             "in-sync share of replicas"),
            description="Topics with under-replicated partitions (KafkaUnderReplicatedPartitions; empty while "
                        "all are in sync) and the share of all replicas in sync (1 when healthy). Partitions "
                        "without a leader fire KafkaOfflinePartitions."), width=12),
    cell(ts("Messages produced and consumed/s", "short",
            (f"sum by (topic) ({_KF_PRODUCED})", "{{topic}} produced"),
            (f"sum by (topic) ({_KF_CONSUMED})", "{{topic}} consumed"),
            description="Per topic: messages written and messages consumed (all groups). Consumption below "
                        "production grows the lag KafkaConsumersGroupLag watches."), width=12),
])


# ---------------------------------------------------------------------------------------
# Fixture: a MariaDB primary and replica, a PostgreSQL primary and standby, a Redis with
# maxmemory, a Kafka cluster of three brokers with two consumer groups.

def _fixture_series() -> dict[str, str]:
    s: dict[str, str] = {}
    for n, inst in enumerate(("10.0.2.11:9104", "10.0.2.12:9104")):
        m = f'job="mysql", instance="{inst}"'
        s[f"up{{{m}}}"] = "1x20"
        s[f"mysql_up{{{m}}}"] = "1x20"
        s[f"mysql_global_status_threads_connected{{{m}}}"] = f"{60 + 40 * n}x20"
        s[f"mysql_global_status_threads_running{{{m}}}"] = "4x20"
        s[f"mysql_global_variables_max_connections{{{m}}}"] = "151x20"
        s[f"mysql_global_status_queries{{{m}}}"] = "0+3000x20"
        s[f"mysql_global_status_slow_queries{{{m}}}"] = "0+6x20"
        s[f"mysql_global_status_innodb_deadlocks{{{m}}}"] = "0x10 1+1x9"
        s[f"mysql_global_status_innodb_row_lock_waits{{{m}}}"] = "0+12x20"
        s[f"mysql_global_status_aborted_connects{{{m}}}"] = "0+1x20"
        s[f"mysql_global_status_uptime{{{m}}}"] = f"{86400 * (n + 1)}+60x20"
        s[f'mysql_global_status_connection_errors_total{{{m}, error="max_connections"}}'] = "0x10 1+2x9"
        for command, per_min in (("select", 2400), ("insert", 300), ("update", 200), ("commit", 100)):
            s[f'mysql_global_status_commands_total{{{m}, command="{command}"}}'] = f"0+{per_min}x20"
    replica = ('job="mysql", instance="10.0.2.12:9104", channel_name="", connection_name="", '
               'master_host="10.0.2.11", master_uuid=""')
    s[f"mysql_slave_status_seconds_behind_master{{{replica}}}"] = "0x10 5 20 45 40 12 3 0x3"
    s[f"mysql_slave_status_sql_delay{{{replica}}}"] = "0x20"
    s[f"mysql_slave_status_slave_io_running{{{replica}}}"] = "1x20"
    s[f"mysql_slave_status_slave_sql_running{{{replica}}}"] = "1x20"

    for n, inst in enumerate(("10.0.3.11:9187", "10.0.3.12:9187")):
        m = f'job="postgres", instance="{inst}", server="{inst.split(":")[0]}:5432"'
        s[f'up{{job="postgres", instance="{inst}"}}'] = "1x20"
        s[f"pg_up{{{m}}}"] = "1x20"
        s[f"pg_postmaster_start_time_seconds{{{m}}}"] = "0x20"  # started at the fixture's time 0
        s[f'pg_exporter_last_scrape_error{{job="postgres", instance="{inst}"}}'] = "0x20"
        s[f"pg_settings_max_connections{{{m}}}"] = "100x20"
        for state, count in (("active", 12 - 8 * n), ("idle", 50), ("idle in transaction", 3)):
            s[f'pg_stat_activity_count{{{m}, datname="shop", state="{state}"}}'] = f"{count}x20"
        s[f'pg_stat_activity_max_tx_duration{{{m}, datname="shop", state="active"}}'] = "0+2x20"
        s[f'pg_stat_database_xact_commit{{{m}, datid="16384", datname="shop"}}'] = f"0+{6000 - 5000 * n}x20"
        s[f'pg_stat_database_xact_rollback{{{m}, datid="16384", datname="shop"}}'] = "0+30x20"
        s[f'pg_stat_database_deadlocks{{{m}, datid="16384", datname="shop"}}'] = "0x10 1x10"
        s[f"pg_replication_lag{{{m}}}"] = "0x20" if n == 0 else "1x10 4 8 35 50 20 2 1x4"

    m = 'job="redis", instance="10.0.4.11:9121"'
    s[f"up{{{m}}}"] = "1x20"
    s[f"redis_up{{{m}}}"] = "1x20"
    s[f"redis_memory_used_bytes{{{m}}}"] = f"{800 * 2**20}+{2 * 2**20}x20"
    s[f"redis_memory_used_rss_bytes{{{m}}}"] = f"{900 * 2**20}+{2 * 2**20}x20"
    s[f"redis_memory_max_bytes{{{m}}}"] = f"{1024 * 2**20}x20"
    s[f"redis_connected_clients{{{m}}}"] = "1200+10x20"
    s[f"redis_config_maxclients{{{m}}}"] = "10000x20"
    s[f"redis_commands_processed_total{{{m}}}"] = "0+60000x20"
    s[f"redis_evicted_keys_total{{{m}}}"] = "0x10 0+30x9"
    s[f"redis_rejected_connections_total{{{m}}}"] = "0x15 0+2x4"
    s[f"redis_expired_keys_total{{{m}}}"] = "0+120x20"
    s[f"redis_connected_slaves{{{m}}}"] = "1x20"
    s[f'redis_connected_slave_lag_seconds{{{m}, slave_ip="10.0.4.12", slave_port="6379", slave_state="online"}}'] = "0x20"
    replica = 'job="redis", instance="10.0.4.12:9121"'
    s[f"up{{{replica}}}"] = s[f"redis_up{{{replica}}}"] = "1x20"
    s[f'redis_master_link_up{{{replica}, master_host="10.0.4.11", master_port="6379"}}'] = "1x20"

    m = 'job="kafka-exporter", instance="10.0.5.11:9308"'
    s[f"up{{{m}}}"] = "1x20"
    s[f"kafka_brokers{{{m}}}"] = "3x20"
    for topic, parts in (("orders", 3), ("payments", 2)):
        for p in range(parts):
            tp = f'{m}, topic="{topic}", partition="{p}"'
            s[f"kafka_topic_partition_current_offset{{{tp}}}"] = "1000+600x20"
            s[f"kafka_topic_partition_replicas{{{tp}}}"] = "3x20"
            under = topic == "payments" and p == 1
            s[f"kafka_topic_partition_in_sync_replica{{{tp}}}"] = "3x10 2x10" if under else "3x20"
            s[f"kafka_topic_partition_under_replicated_partition{{{tp}}}"] = "0x10 1x10" if under else "0x20"
            for group, behind in (("billing", 50 * (p + 1)), ("audit", 4000)):
                if group == "billing" and topic != "payments":
                    continue
                gp = f'{tp}, consumergroup="{group}"'
                s[f"kafka_consumergroup_current_offset{{{gp}}}"] = f"{1000 - behind}+600x20"
                s[f"kafka_consumergroup_lag{{{gp}}}"] = f"{behind}x20"
    for (group, topic), lag in {("billing", "payments"): 150, ("audit", "orders"): 12000, ("audit", "payments"): 8000}.items():
        s[f'kafka_consumergroup_lag_sum{{{m}, consumergroup="{group}", topic="{topic}"}}'] = f"{lag}x20"
    return s


dashboard = Dashboard(
    uid="middleware",
    title="Middleware",
    description="MySQL/MariaDB, PostgreSQL, Redis and Kafka: up, connections against the limit, throughput, "
                "slow queries and deadlocks, replication lag, Redis memory, Kafka consumer lag.",
    tags=["middleware", "mysql", "postgresql", "redis", "kafka"],
    links=["k8s-weekly-inspection", "k8s-alerts-overview"],
    variables=[
        Variable("mysql", "label_values(mysql_up{${mysqld_exporter}}, instance)", label="instance",
                 title="MySQL", multi=True, include_all=True, all_value=".*"),
        Variable("postgres", "label_values(pg_up{${postgres_exporter}}, instance)", label="instance",
                 title="PostgreSQL", multi=True, include_all=True, all_value=".*"),
        Variable("redis", "label_values(redis_up{${redis_exporter}}, instance)", label="instance",
                 title="Redis", multi=True, include_all=True, all_value=".*"),
        Variable("kafka", "label_values(kafka_brokers{${kafka_exporter}}, instance)", label="instance",
                 title="Kafka exporter", multi=True, include_all=True, all_value=".*"),
    ],
    rows=[_mysql, _postgres, _redis, _kafka],
    fixture=Fixture(series=_fixture_series(), vars={"mysql": ".*", "postgres": ".*", "redis": ".*", "kafka": ".*"},
                    at="18m"),
)
