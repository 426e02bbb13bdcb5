"""postgres_exporter 0.11 series of one PostgreSQL server (default metrics, plus the catalog's
custom queries pg_replication and pg_postmaster, docs/exporters/postgres_exporter-queries.yaml): the exporter labels its own series with
`server` (host:port of the DSN) besides the target's `job`/`instance`."""

INSTANCE = "10.0.3.31:9187"
_SERVER = 'server="10.0.3.31:5432"'
SERVER = {"instance": INSTANCE, "server": "10.0.3.31:5432"}
_STATES = ("active", "disabled", "fastpath function call", "idle", "idle in transaction",
           "idle in transaction (aborted)")
DATABASES = ("postgres", "shop", "template0", "template1")


def _series(metric: str, values: str, labels: str = "", server: bool = True) -> dict:
    extra = (f", {_SERVER}" if server else "") + (f", {labels}" if labels else "")
    return {f'{metric}{{job="postgres", instance="{INSTANCE}"{extra}}}': values}


def up(values: str) -> dict:
    """pg_up: 1 when the exporter's last connection to the server succeeded (no server label)."""
    return _series("pg_up", values, server=False)


def scrape_error(values: str) -> dict:
    """pg_exporter_last_scrape_error: 1 when a query of the last scrape failed (no server label)."""
    return _series("pg_exporter_last_scrape_error", values, server=False)


def activity(per_state: dict[str, str], max_connections: str = "100x30", samples: int = 30) -> dict:
    """pg_stat_activity_count of database `shop` per state (every other database and state 0),
    and pg_settings_max_connections."""
    out = _series("pg_settings_max_connections", max_connections)
    for db in DATABASES:
        for state in _STATES:
            values = per_state.get(state, f"0x{samples}") if db == "shop" else f"0x{samples}"
            out.update(_series("pg_stat_activity_count", values, f'datname="{db}", state="{state}"'))
    return out


def deadlocks(values: str, samples: int = 30) -> dict:
    """pg_stat_database_deadlocks of database `shop`; the others (and the shared row, datname="") 0."""
    out = {}
    for i, db in enumerate(("", "template1", "template0", "postgres", "shop")):
        out.update(_series("pg_stat_database_deadlocks", values if db == "shop" else f"0x{samples}",
                           f'datid="{16384 if db == "shop" else i}", datname="{db}"'))
    return out


def replication_lag(values: str) -> dict:
    """pg_replication_lag (custom query pg_replication): seconds since the last replayed transaction, 0 on a primary."""
    return _series("pg_replication_lag", values)


def start_time(values: str) -> dict:
    """pg_postmaster_start_time_seconds (custom query pg_postmaster)."""
    return _series("pg_postmaster_start_time_seconds", values)
