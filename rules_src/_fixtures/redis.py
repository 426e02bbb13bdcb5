"""redis_exporter 1.45 series of one Redis server, as Prometheus scrapes the exporter next to
it (`--redis.addr` one server; the exporter adds no server label to INFO's gauges)."""

INSTANCE = "10.0.3.41:9121"
REPLICA = "10.0.3.42:9121"
SERVER = {"instance": INSTANCE}
MIB = 1024 * 1024


MASTER = {"master_host": "10.0.3.41", "master_port": "6379"}  # a replica's master, as INFO replication names it


def _series(metric: str, values: str, instance: str = INSTANCE, labels: str = "") -> dict:
    extra = f", {labels}" if labels else ""
    return {f'{metric}{{job="redis", instance="{instance}"{extra}}}': values}


def up(values: str) -> dict:
    return _series("redis_up", values)


def memory(used: str, maxmemory: str) -> dict:
    """used_memory and maxmemory (redis_memory_max_bytes; 0 = no limit)."""
    return {**_series("redis_memory_used_bytes", used), **_series("redis_memory_max_bytes", maxmemory)}


def clients(connected: str, maxclients: str = "10000x30") -> dict:
    return {**_series("redis_connected_clients", connected), **_series("redis_config_maxclients", maxclients)}


def counter(name: str, values: str) -> dict:
    """redis_evicted_keys_total, redis_rejected_connections_total, ..."""
    return _series(name, values)


def connected_slaves(values: str) -> dict:
    return _series("redis_connected_slaves", values)


def master_link_up(values: str) -> dict:
    """redis_master_link_up of a replica (INFO replication's master_link_status), labelled with its master."""
    return _series("redis_master_link_up", values, REPLICA, ", ".join(f'{k}="{v}"' for k, v in MASTER.items()))
