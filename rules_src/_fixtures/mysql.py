"""mysqld_exporter 0.14 series of one MariaDB/MySQL server (its default collectors:
global_status, global_variables, slave_status), as Prometheus scrapes the exporter next to it:
`job`/`instance` are the exporter's target; the exporter adds no server label."""

INSTANCE = "10.0.3.21:9104"
SERVER = {"instance": INSTANCE}
# SHOW SLAVE STATUS' labels (0.14: master_host, master_uuid, channel_name (MySQL), connection_name (MariaDB))
_SLAVE = 'master_host="10.0.3.20", master_uuid="", channel_name="", connection_name=""'
SLAVE = {"master_host": "10.0.3.20"}  # the empty labels are no labels to Prometheus


def _series(metric: str, values: str, labels: str = "") -> dict:
    extra = f", {labels}" if labels else ""
    return {f'{metric}{{job="mysql", instance="{INSTANCE}"{extra}}}': values}


def up(values: str) -> dict:
    """mysql_up: 1 when the exporter's last query to the server succeeded."""
    return _series("mysql_up", values)


def connections(connected: str, max_connections: str = "100x30") -> dict:
    """Threads_connected and the max_connections variable."""
    return {**_series("mysql_global_status_threads_connected", connected),
            **_series("mysql_global_variables_max_connections", max_connections)}


def connection_errors(max_connections: str, samples: int = 30) -> dict:
    """Connection_errors_*; `max_connections` gives the refused-at-the-limit counter's values."""
    other = {e: f"0x{samples}" for e in ("accept", "internal", "peer_address", "select", "tcpwrap")}
    out = {}
    for error, values in {**other, "max_connections": max_connections}.items():
        out.update(_series("mysql_global_status_connection_errors_total", values, f'error="{error}"'))
    return out


def slave(io_running: str = "1x30", sql_running: str = "1x30", behind: str | None = "0x30",
          sql_delay: str = "0x30") -> dict:
    """SHOW SLAVE STATUS of a replica (one channel): Seconds_Behind_Master is NULL, so absent,
    while the SQL thread stops (behind=None)."""
    out = {**_series("mysql_slave_status_slave_io_running", io_running, _SLAVE),
           **_series("mysql_slave_status_slave_sql_running", sql_running, _SLAVE),
           **_series("mysql_slave_status_sql_delay", sql_delay, _SLAVE)}
    if behind is not None:
        out.update(_series("mysql_slave_status_seconds_behind_master", behind, _SLAVE))
    return out


def status(name: str, values: str) -> dict:
    """One SHOW GLOBAL STATUS counter or gauge (mysql_global_status_<name>)."""
    return _series(f"mysql_global_status_{name}", values)
