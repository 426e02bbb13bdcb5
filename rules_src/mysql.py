"""MySQL and MariaDB: server down or restarted, connections at the limit and refused, replication
threads and lag, slow queries, InnoDB deadlocks.

Metric names are those of mysqld_exporter 0.14 (Debian's prometheus-mysqld-exporter) with its
default collectors, checked against the real exporter and MariaDB 10.11 by
tests/catalog/test_middleware_exporters.py:
- global_status: mysql_global_status_threads_connected, mysql_global_status_connection_errors_total
  {error="max_connections"}, mysql_global_status_aborted_connects, mysql_global_status_slow_queries,
  mysql_global_status_uptime, and on
  MariaDB mysql_global_status_innodb_deadlocks (Innodb_deadlocks; Oracle MySQL has no such status
  variable: there the deadlock counter is mysql_info_schema_innodb_metrics_lock_lock_deadlocks_total,
  from --collect.info_schema.innodb_metrics, read as the alternative; MariaDB's INNODB_METRICS
  row is a `value`, which the exporter names without _total, so it is never read twice);
- global_variables: mysql_global_variables_max_connections;
- slave_status (SHOW SLAVE STATUS, one series per replication channel, labels master_host,
  master_uuid, channel_name, connection_name): mysql_slave_status_slave_io_running,
  mysql_slave_status_slave_sql_running (Yes 1; No and Connecting 0),
  mysql_slave_status_seconds_behind_master (absent while it is NULL: SQL thread stopped),
  mysql_slave_status_sql_delay (MASTER_DELAY, a deliberately delayed replica);
- mysql_up: 0 when the exporter cannot query the server (an unreachable exporter is TargetDown's).
Each exporter watches one server: its target's `instance` names the server.

Dashboard: these alerts are meant to link to the `middleware` dashboard (row MySQL); it is not
in this catalog yet, and a build refuses an unknown dashboard uid, so `dashboard=` is not set.
"""

from gen.model import Alert, Case, Duration, Fire, Group

from ._fixtures.mysql import SERVER, SLAVE, connection_errors, connections, slave, status, up

_DASHBOARD_VARS = {"mysql": "{{ $labels.instance }}"}  # its row's variable only, not every row's

_JOB = {"job": "mysql"}
_AT = {**_JOB, **SERVER}
_REPLICA = {**_AT, **SLAVE}


groups = [
    Group("mysql", [
        Alert(
            "MysqlDown",
            expr="mysql_up{${mysqld_exporter}} == 0",
            for_="1m",
            severity="critical",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="MySQL server is down.",
            description="mysqld_exporter {{ $labels.instance }} cannot query its MySQL/MariaDB server: the server is down, unreachable or refuses the exporter's login.",
            cases=[
                Case("fires when down for 1m", series=up("1x5 0x20"), at="10m", fires=[Fire(_AT, value=0)]),
                Case("silent while up", series=up("1x20"), at="10m"),
                Case("silent when down for less than 1m", series=up("1x8 0x20"), at="9m"),
            ],
        ),
        Alert(
            "MysqlTooManyConnections",
            expr="""
                100 * mysql_global_status_threads_connected{${mysqld_exporter}}
                  / mysql_global_variables_max_connections{${mysqld_exporter}}
                > ${threshold}
            """,
            params={"threshold": 80},
            for_="2m",
            severity="warning",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="MySQL uses more than ${threshold}% of max_connections.",
            description="MySQL {{ $labels.instance }}: {{ $value | humanize }}% of max_connections are in use; at 100% new clients are refused.",
            cases=[
                Case("fires at 85% for 2m", series=connections("85x30", "100x30"), at="10m",
                     fires=[Fire(_AT, value=85)]),
                Case("silent at 79%", series=connections("79x30", "100x30"), at="10m"),
                Case("silent when over 80% for less than 2m", series=connections("50x8 85x20", "100x30"), at="9m"),
            ],
        ),
        Alert(
            "MysqlConnectionsRejected",
            # Two ways the server counts a client turned away at max_connections. Connection_errors_
            # max_connections only counts refusals at accept, once the one extra connection kept for
            # admins (CONNECTION ADMIN, SUPER) is taken too; a client refused after its handshake
            # (the usual case: application users are no admins) is only an Aborted_connects, so
            # those count while the server was at its limit within the window (Aborted_connects
            # alone is also bad passwords). Seen on MariaDB 10.11: tests/support/test_middleware.py.
            # The exporter sees a full server only with CONNECTION ADMIN (else: MysqlDown).
            expr="""
                sum without (error) (
                  increase(mysql_global_status_connection_errors_total{${mysqld_exporter}, error="max_connections"}[${window}])
                ) > 0
              or
                (
                    increase(mysql_global_status_aborted_connects{${mysqld_exporter}}[${window}]) > 0
                  and
                    max_over_time(mysql_global_status_threads_connected{${mysqld_exporter}}[${window}])
                      >= max_over_time(mysql_global_variables_max_connections{${mysqld_exporter}}[${window}])
                )
            """,
            params={"window": Duration("5m")},
            for_="1m",
            severity="warning",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="MySQL refuses connections: max_connections reached.",
            description="MySQL {{ $labels.instance }} turned away about {{ $value | humanize }} connections in the last ${window} because max_connections was reached.",
            cases=[
                Case("fires after 3 refusals at accept", series={**connection_errors("0x10 3x20"), **connections("50x30")},
                     at="13m", fires=[Fire(_AT, value=3)]),
                Case("fires on 4 aborted connects while at max_connections",
                     series={**connection_errors("0x30"), **status("aborted_connects", "0x10 4x20"),
                             **connections("60x10 100x20", "100x30")},
                     at="13m", fires=[Fire(_AT, value=4)]),
                Case("silent on aborted connects below the limit (bad passwords, dropped handshakes)",
                     series={**connection_errors("0x30"), **status("aborted_connects", "0x10 4x20"),
                             **connections("60x30", "100x30")}, at="13m"),
                Case("silent without refused connections",
                     series={**connection_errors("0x30"), **status("aborted_connects", "2x30"), **connections("100x30")},
                     at="13m"),
                Case("silent for the first minute", series={**connection_errors("0x10 3x20"), **connections("50x30")},
                     at="11m"),
                Case("silent once the refusals are older than 5m",
                     series={**connection_errors("0x10 3x20"), **connections("50x30")}, at="20m"),
            ],
        ),
        Alert(
            "MysqlSlaveIoThreadNotRunning",
            expr="mysql_slave_status_slave_io_running{${mysqld_exporter}} == 0",
            for_="1m",
            severity="critical",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="MySQL replica's IO thread is not running.",
            description="MySQL replica {{ $labels.instance }} (master {{ $labels.master_host }}): the IO thread is not running (stopped or reconnecting), so it no longer receives the master's changes.",
            cases=[
                Case("fires when stopped for 1m", series=slave(io_running="1x5 0x20"), at="10m",
                     fires=[Fire(_REPLICA, value=0)]),
                Case("silent while running", series=slave(), at="10m"),
                Case("silent when stopped for less than 1m", series=slave(io_running="1x8 0x20"), at="9m"),
                Case("silent on a server that is not a replica", series=up("1x20"), at="10m"),
            ],
        ),
        Alert(
            "MysqlSlaveSqlThreadNotRunning",
            expr="mysql_slave_status_slave_sql_running{${mysqld_exporter}} == 0",
            for_="1m",
            severity="critical",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="MySQL replica's SQL thread is not running.",
            description="MySQL replica {{ $labels.instance }} (master {{ $labels.master_host }}): the SQL thread is not running, so it no longer applies the master's changes (often stopped by an error).",
            cases=[
                Case("fires when stopped for 1m", series=slave(sql_running="1x5 0x20", behind="0x5"), at="10m",
                     fires=[Fire(_REPLICA, value=0)]),
                Case("silent while running", series=slave(), at="10m"),
                Case("silent when stopped for less than 1m", series=slave(sql_running="1x8 0x20"), at="9m"),
            ],
        ),
        Alert(
            "MysqlSlaveReplicationLag",
            # A replica delayed on purpose (MASTER_DELAY) lags by sql_delay: only the rest counts.
            expr="""
                (
                    mysql_slave_status_seconds_behind_master{${mysqld_exporter}}
                  - mysql_slave_status_sql_delay{${mysqld_exporter}}
                ) > ${threshold_seconds}
            """,
            params={"threshold_seconds": 30},
            for_="1m",
            severity="warning",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="MySQL replica lags more than ${threshold_seconds}s behind its master.",
            description="MySQL replica {{ $labels.instance }} (master {{ $labels.master_host }}) is {{ $value | humanizeDuration }} behind its master (beyond any configured delay).",
            cases=[
                Case("fires at 45s for 1m", series=slave(behind="45x30"), at="10m", fires=[Fire(_REPLICA, value=45)]),
                Case("fires on a delayed replica 45s past its delay",
                     series=slave(behind="3645x30", sql_delay="3600x30"), at="10m", fires=[Fire(_REPLICA, value=45)]),
                Case("silent on a delayed replica within its delay",
                     series=slave(behind="3620x30", sql_delay="3600x30"), at="10m"),
                Case("silent at 30s", series=slave(behind="30x30"), at="10m"),
                Case("silent when lagging for less than 1m", series=slave(behind="0x8 45x20"), at="9m"),
            ],
        ),
        Alert(
            "MysqlSlowQueries",
            # Slow_queries counts queries over long_query_time whether or not the slow log is on.
            expr="increase(mysql_global_status_slow_queries{${mysqld_exporter}}[${window}]) > ${threshold}",
            params={"threshold": 0, "window": Duration("5m")},
            for_="2m",
            severity="warning",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="MySQL runs slow queries.",
            description="MySQL {{ $labels.instance }}: {{ $value | humanize }} queries took longer than long_query_time in the last ${window}.",
            cases=[
                Case("fires on one slow query a minute for 3m", series=status("slow_queries", "0x5 0+1x25"), at="10m",
                     fires=[Fire(_AT, value=4)]),
                Case("silent without new slow queries", series=status("slow_queries", "5x30"), at="10m"),
                Case("silent once the slow queries are older than 5m", series=status("slow_queries", "0x5 1x25"), at="12m"),
                Case("silent when slow for less than 2m", series=status("slow_queries", "0x5 0+1x25"), at="8m"),
            ],
        ),
        Alert(
            "MysqlInnodbDeadlocks",
            # MariaDB's Innodb_deadlocks status or, on Oracle MySQL, INNODB_METRICS' lock_deadlocks
            # (mysqld_exporter --collect.info_schema.innodb_metrics).
            expr="""
                (
                    increase(mysql_global_status_innodb_deadlocks{${mysqld_exporter}}[${window}])
                  or
                    increase(mysql_info_schema_innodb_metrics_lock_lock_deadlocks_total{${mysqld_exporter}}[${window}])
                ) > ${threshold}
            """,
            params={"threshold": 5, "window": Duration("5m")},
            for_="1m",
            severity="warning",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="MySQL InnoDB detects more than ${threshold} deadlocks in ${window}.",
            description="MySQL {{ $labels.instance }}: InnoDB rolled back {{ $value | humanize }} transactions as deadlock victims in the last ${window}.",
            cases=[
                Case("fires at 6 deadlocks in 5m (MariaDB)", series=status("innodb_deadlocks", "0x10 6x20"), at="13m",
                     fires=[Fire(_AT, value=6)]),
                Case("fires at 6 deadlocks in 5m (MySQL, innodb_metrics)",
                     series={'mysql_info_schema_innodb_metrics_lock_lock_deadlocks_total{job="mysql", instance="10.0.3.21:9104"}': "0x10 6x20"},
                     at="13m", fires=[Fire(_AT, value=6)]),
                Case("silent at 5 deadlocks in 5m", series=status("innodb_deadlocks", "0x10 5x20"), at="13m"),
                Case("silent for the first minute", series=status("innodb_deadlocks", "0x10 6x20"), at="11m"),
            ],
        ),
        Alert(
            "MysqlRestarted",
            expr="mysql_global_status_uptime{${mysqld_exporter}} < ${threshold_seconds}",
            params={"threshold_seconds": 60},
            severity="info",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="MySQL server restarted less than ${threshold_seconds}s ago.",
            description="MySQL {{ $labels.instance }} has been up for {{ $value | humanizeDuration }}: it restarted (crash, OOM kill or a planned restart).",
            cases=[
                Case("fires 30s after a restart", series=status("uptime", "3000+60x10 30+60x20"), at="11m",
                     fires=[Fire(_AT, value=30)]),
                Case("silent 90s after a restart", series=status("uptime", "3000+60x10 30+60x20"), at="12m"),
                Case("silent while up", series=status("uptime", "3000+60x30"), at="11m"),
            ],
        ),
    ]),
]
