"""Redis: server down, memory at maxmemory, evictions, clients near maxclients and refused,
replication broken.

Metric names are those of redis_exporter 1.45 (Debian's prometheus-redis-exporter), checked
against the real exporter and Redis 7.0 by tests/catalog/test_middleware_exporters.py: redis_up,
redis_memory_used_bytes, redis_memory_max_bytes (maxmemory; 0 = no limit), redis_evicted_keys_total,
redis_connected_clients, redis_config_maxclients (CONFIG GET maxclients: the exporter needs the
CONFIG command, which some managed Redis services rename or forbid),
redis_rejected_connections_total, redis_connected_slaves (on a master) and
redis_master_link_up{master_host, master_port} (on a replica). One exporter per server
(--redis.addr): the target's `instance` names the server.

Dashboard: meant to link to the `middleware` dashboard (row Redis), which is not in this catalog
yet; a build refuses an unknown dashboard uid, so `dashboard=` is not set.
"""

from gen.model import Alert, Case, Duration, Fire, Group

from ._fixtures.redis import MASTER, MIB, REPLICA, SERVER, clients, connected_slaves, counter, master_link_up, memory, up

_DASHBOARD_VARS = {"redis": "{{ $labels.instance }}"}  # its row's variable only, not every row's

_AT = {"job": "redis", **SERVER}


groups = [
    Group("redis", [
        Alert(
            "RedisDown",
            expr="redis_up{${redis_exporter}} == 0",
            for_="1m",
            severity="critical",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="Redis server is down.",
            description="redis_exporter {{ $labels.instance }} cannot reach its Redis server: it is down, unreachable or refuses the exporter (password, TLS).",
            cases=[
                Case("fires when down for 1m", series=up("1x5 0x20"), at="10m", fires=[Fire(_AT, value=0)]),
                Case("silent while up", series=up("1x20"), at="10m"),
                Case("silent when down for less than 1m", series=up("1x8 0x20"), at="9m"),
            ],
        ),
        Alert(
            "RedisOutOfConfiguredMaxmemory",
            # maxmemory 0 is no limit: those servers are left out, not divided by zero.
            expr="""
                100 * redis_memory_used_bytes{${redis_exporter}}
                  / (redis_memory_max_bytes{${redis_exporter}} > 0)
                > ${threshold}
            """,
            params={"threshold": 90},
            for_="2m",
            severity="warning",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="Redis uses more than ${threshold}% of its maxmemory.",
            description="Redis {{ $labels.instance }} uses {{ $value | humanize }}% of its configured maxmemory; at the limit it evicts keys or refuses writes (maxmemory-policy).",
            cases=[
                Case("fires at 95% for 2m", series=memory(f"{95 * MIB}x30", f"{100 * MIB}x30"), at="10m",
                     fires=[Fire(_AT, value=95)]),
                Case("silent at 89%", series=memory(f"{89 * MIB}x30", f"{100 * MIB}x30"), at="10m"),
                Case("silent without maxmemory (0, no limit)", series=memory(f"{95 * MIB}x30", "0x30"), at="10m"),
                Case("silent when over 90% for less than 2m",
                     series=memory(f"{50 * MIB}x8 {95 * MIB}x20", f"{100 * MIB}x30"), at="9m"),
            ],
        ),
        Alert(
            "RedisEvictingKeys",
            expr="increase(redis_evicted_keys_total{${redis_exporter}}[${window}]) > 0",
            params={"window": Duration("5m")},
            for_="1m",
            severity="warning",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="Redis evicts keys: it is at maxmemory.",
            description="Redis {{ $labels.instance }} evicted {{ $value | humanize }} keys in the last ${window} to stay under maxmemory.",
            cases=[
                Case("fires on 120 evictions in 5m", series=counter("redis_evicted_keys_total", "0x5 0+30x25"), at="10m",
                     fires=[Fire(_AT, value=120)]),
                Case("silent without evictions", series=counter("redis_evicted_keys_total", "0x30"), at="10m"),
                Case("silent when evicting for less than 1m",
                     series=counter("redis_evicted_keys_total", "0x5 0+30x25"), at="7m"),
            ],
        ),
        Alert(
            "RedisTooManyConnections",
            expr="""
                100 * redis_connected_clients{${redis_exporter}}
                  / redis_config_maxclients{${redis_exporter}}
                > ${threshold}
            """,
            params={"threshold": 80},
            for_="2m",
            severity="warning",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="Redis has more than ${threshold}% of maxclients connected.",
            description="Redis {{ $labels.instance }}: {{ $value | humanize }}% of maxclients are connected; at 100% new clients are refused.",
            cases=[
                Case("fires at 85% for 2m", series=clients("8500x30"), at="10m", fires=[Fire(_AT, value=85)]),
                Case("silent at 79%", series=clients("7900x30"), at="10m"),
                Case("silent when over 80% for less than 2m", series=clients("100x8 8500x20"), at="9m"),
            ],
        ),
        Alert(
            "RedisRejectedConnections",
            expr="increase(redis_rejected_connections_total{${redis_exporter}}[${window}]) > 0",
            params={"window": Duration("5m")},
            for_="1m",
            severity="warning",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="Redis refuses connections: maxclients reached.",
            description="Redis {{ $labels.instance }} refused {{ $value | humanize }} connections in the last ${window} (maxclients reached).",
            cases=[
                Case("fires after 3 refused connections", series=counter("redis_rejected_connections_total", "0x10 3x20"),
                     at="13m", fires=[Fire(_AT, value=3)]),
                Case("silent without refused connections", series=counter("redis_rejected_connections_total", "0x30"),
                     at="13m"),
                Case("silent for the first minute", series=counter("redis_rejected_connections_total", "0x10 3x20"),
                     at="11m"),
            ],
        ),
        Alert(
            "RedisReplicationBroken",
            # Fewer replicas than the master had within the window: one disconnected. It clears
            # once the window no longer holds the higher count (or the replica is back).
            expr="""
                redis_connected_slaves{${redis_exporter}}
                  < max_over_time(redis_connected_slaves{${redis_exporter}}[${window}])
            """,
            params={"window": Duration("1h")},
            for_="1m",
            severity="warning",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="A Redis replica disconnected from its master.",
            description="Redis master {{ $labels.instance }} has {{ $value | humanize }} connected replicas, fewer than within the last ${window}.",
            cases=[
                Case("fires when one of two replicas is gone for 1m", series=connected_slaves("2x10 1x20"), at="13m",
                     fires=[Fire(_AT, value=1)]),
                Case("silent while both stay connected", series=connected_slaves("2x30"), at="13m"),
                Case("silent when the replica comes back", series=connected_slaves("2x10 1x2 2x20"), at="15m"),
                Case("silent when gone for less than 1m", series=connected_slaves("2x10 1x20"), at="11m"),
            ],
        ),
        Alert(
            "RedisMasterLinkDown",
            expr="redis_master_link_up{${redis_exporter}} == 0",
            for_="1m",
            severity="warning",
            dashboard="middleware", dashboard_vars=_DASHBOARD_VARS,
            summary="Redis replica lost its link to the master.",
            description="Redis replica {{ $labels.instance }} is not connected to its master {{ $labels.master_host }}:{{ $labels.master_port }}: it serves ever older data and cannot be promoted safely.",
            cases=[
                Case("fires when down for 1m", series=master_link_up("1x5 0x20"), at="10m",
                     fires=[Fire({"job": "redis", "instance": REPLICA, **MASTER}, value=0)]),
                Case("silent while linked", series=master_link_up("1x20"), at="10m"),
                Case("silent when down for less than 1m", series=master_link_up("1x8 0x20"), at="9m"),
            ],
        ),
    ]),
]
