"""PostgreSQL: server down, connections near max_connections, replication lag, deadlocks, the
exporter's failing queries, restarts.

Metric names are those of postgres_exporter 0.11 (Debian's prometheus-postgres-exporter),
checked against the real exporter and PostgreSQL 15 by tests/catalog/test_middleware_exporters.py:
- default metrics: pg_up (no server label), pg_exporter_last_scrape_error (1 when a query of the
  last scrape failed), pg_settings_max_connections{server},
  pg_stat_activity_count{server, datname, state} (client backends per database and state,
  0 rows included), pg_stat_database_deadlocks{server, datid, datname} (a counter per database;
  datname="" is the shared row of PostgreSQL 15);
- pg_replication_lag{server} and pg_postmaster_start_time_seconds{server} are not built into 0.11:
  they come from custom queries, docs/exporters/postgres_exporter-queries.yaml
  (--extend.query-path=<that file>; the queries pg_replication and pg_postmaster of the
  queries.yaml Debian ships as an example, without its pg_stat_statements query, which fails
  where that extension is not installed and so sets pg_exporter_last_scrape_error).
  Without the flag PostgresqlReplicationLag and PostgresqlRestarted never fire.
  pg_replication_lag is 0 on a primary and, on a standby, the seconds since the last replayed
  transaction (so it also grows on a standby of an idle primary).
`server` is the exporter's DSN host:port; the target's `instance` names the exporter.

Dashboard: meant to link to the `middleware` dashboard (row PostgreSQL), which is not in this
catalog yet; a build refuses an unknown dashboard uid, so `dashboard=` is not set.
"""

from gen.model import Alert, Case, Duration, Fire, Group

from ._fixtures.postgres import INSTANCE, SERVER, activity, deadlocks, replication_lag, scrape_error, start_time, up

_DASHBOARD_VARS = {"postgres": "{{ $labels.instance }}"}  # its row's variable only, not every row's

_EXPORTER = {"job": "postgres", "instance": INSTANCE}
_AT = {"job": "postgres", **SERVER}


groups = [
    Group("postgresql", [
        Alert(
            "PostgresqlDown",
            expr="pg_up{${postgres_exporter}} == 0",
            for_="1m",
            severity="critical",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="PostgreSQL server is down.",
            description="postgres_exporter {{ $labels.instance }} cannot connect to its PostgreSQL server: the server is down, unreachable or refuses the exporter's login.",
            cases=[
                Case("fires when down for 1m", series=up("1x5 0x20"), at="10m", fires=[Fire(_EXPORTER, value=0)]),
                Case("silent while up", series=up("1x20"), at="10m"),
                Case("silent when down for less than 1m", series=up("1x8 0x20"), at="9m"),
            ],
        ),
        Alert(
            "PostgresqlTooManyConnections",
            # Client backends of every database and state, against the server's max_connections.
            expr="""
                100 * sum without (datname, state) (pg_stat_activity_count{${postgres_exporter}})
                  / pg_settings_max_connections{${postgres_exporter}}
                > ${threshold}
            """,
            params={"threshold": 80},
            for_="2m",
            severity="warning",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="PostgreSQL uses more than ${threshold}% of max_connections.",
            description="PostgreSQL {{ $labels.server }}: {{ $value | humanize }}% of max_connections are in use; at the limit (less superuser_reserved_connections) new clients are refused.",
            cases=[
                Case("fires at 85% for 2m", series=activity({"active": "25x30", "idle": "60x30"}), at="10m",
                     fires=[Fire(_AT, value=85)]),
                Case("silent at 79%", series=activity({"active": "19x30", "idle": "60x30"}), at="10m"),
                Case("silent when over 80% for less than 2m",
                     series=activity({"active": "25x30", "idle": "10x8 60x20"}), at="9m"),
            ],
        ),
        Alert(
            "PostgresqlReplicationLag",
            # pg_replication_lag: docs/exporters/postgres_exporter-queries.yaml (see the module's docstring).
            expr="pg_replication_lag{${postgres_exporter}} > ${threshold_seconds}",
            params={"threshold_seconds": 30},
            for_="1m",
            severity="warning",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="PostgreSQL standby lags more than ${threshold_seconds}s behind its primary.",
            description="PostgreSQL standby {{ $labels.server }} last replayed a transaction {{ $value | humanizeDuration }} ago.",
            cases=[
                Case("fires at 45s for 1m", series=replication_lag("45x30"), at="10m", fires=[Fire(_AT, value=45)]),
                Case("silent at 30s", series=replication_lag("30x30"), at="10m"),
                Case("silent on a primary (0)", series=replication_lag("0x30"), at="10m"),
                Case("silent when lagging for less than 1m", series=replication_lag("0x8 45x20"), at="9m"),
            ],
        ),
        Alert(
            "PostgresqlDeadlocks",
            expr="increase(pg_stat_database_deadlocks{${postgres_exporter}}[${window}]) > ${threshold}",
            params={"threshold": 5, "window": Duration("5m")},
            for_="1m",
            severity="warning",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="PostgreSQL detects more than ${threshold} deadlocks in ${window}.",
            description="PostgreSQL {{ $labels.server }} database {{ $labels.datname }}: {{ $value | humanize }} deadlocks in the last ${window}; their transactions were aborted.",
            cases=[
                Case("fires at 6 deadlocks in 5m", series=deadlocks("0x10 6x20"), at="13m",
                     fires=[Fire({**_AT, "datid": "16384", "datname": "shop"}, value=6)]),
                Case("silent at 5 deadlocks in 5m", series=deadlocks("0x10 5x20"), at="13m"),
                Case("silent for the first minute", series=deadlocks("0x10 6x20"), at="11m"),
            ],
        ),
        Alert(
            "PostgresqlExporterError",
            expr="pg_exporter_last_scrape_error{${postgres_exporter}} > 0",
            for_="5m",
            severity="warning",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="postgres_exporter fails to read some of PostgreSQL's statistics.",
            description="postgres_exporter {{ $labels.instance }}: a query of its last scrape failed, so some PostgreSQL metrics are missing or stale.",
            cases=[
                Case("fires when failing for 5m", series=scrape_error("0x5 1x20"), at="15m",
                     fires=[Fire(_EXPORTER, value=1)]),
                Case("silent without errors", series=scrape_error("0x30"), at="15m"),
                Case("silent when failing for less than 5m", series=scrape_error("0x10 1x20"), at="14m"),
            ],
        ),
        Alert(
            "PostgresqlRestarted",
            # pg_postmaster_start_time_seconds: docs/exporters/postgres_exporter-queries.yaml (see the module's docstring).
            expr="time() - pg_postmaster_start_time_seconds{${postgres_exporter}} < ${threshold_seconds}",
            params={"threshold_seconds": 60},
            severity="info",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="PostgreSQL server restarted less than ${threshold_seconds}s ago.",
            description="PostgreSQL {{ $labels.server }} has been up for {{ $value | humanizeDuration }}: it restarted (crash, OOM kill, failover or a planned restart).",
            cases=[
                # promtool's clock starts at 0: time() is 660 at 11m.
                Case("fires 30s after a restart", series=start_time("0x10 630x20"), at="11m", fires=[Fire(_AT, value=30)]),
                Case("silent 90s after a restart", series=start_time("0x10 630x20"), at="12m"),
            ],
        ),
    ]),
]
