"""etcd: leadership, quorum, disk latency and database size against its quota.

The seeds' failures: slow WAL fsync on non-SSD disks causing leader elections, and the
backend quota (2 GiB on older versions, up to 8 GiB recommended on newer) filling with
event churn, after which etcd turns read-only (NOSPACE alarm).
"""

from gen.model import Alert, Case, Duration, Fire, Group

_M = 'instance="10.0.0.1:2379"'
_M2 = 'instance="10.0.0.2:2379"'
_M3 = 'instance="10.0.0.3:2379"'
_MEMBER = {"job": "etcd", "instance": "10.0.0.1:2379"}


def _fsync_buckets(per_minute: dict[str, float]) -> dict:
    """WAL fsync histogram buckets of member 1; each bucket's cumulative count grows by `count` a minute."""
    series = {}
    for le, count in per_minute.items():
        series[f'etcd_disk_wal_fsync_duration_seconds_bucket{{job="etcd", {_M}, le="{le}"}}'] = f"0+{count}x30"
    return series


groups = [
    Group("etcd", [
        Alert(
            "etcdNoLeader",
            expr="etcd_server_has_leader{${etcd}} == 0",
            for_="1m",
            severity="critical",
            summary="etcd member has no leader.",
            description="etcd member {{ $labels.instance }} (job {{ $labels.job }}) has no leader: it serves no writes.",
            cases=[
                Case("fires after 1m without a leader",
                     series={f'etcd_server_has_leader{{job="etcd", {_M}}}': "1 0x10"}, at="3m",
                     fires=[Fire(_MEMBER, value=0)]),
                Case("silent with a leader",
                     series={f'etcd_server_has_leader{{job="etcd", {_M}}}': "1x10"}, at="3m"),
                Case("silent when the leader was lost under 1m ago",
                     series={f'etcd_server_has_leader{{job="etcd", {_M}}}': "1 1 0x10"}, at="2m"),
            ],
        ),
        Alert(
            "etcdInsufficientMembers",
            # Raft needs a majority: fewer than (n+1)/2 members up means no quorum.
            expr="""
                sum without (instance, pod) (up{${etcd}} == bool 1)
                <
                ((count without (instance, pod) (up{${etcd}}) + 1) / 2)
            """,
            for_="3m",
            severity="critical",
            summary="etcd cluster has lost quorum.",
            description="etcd cluster {{ $labels.job }}: only {{ $value | humanize }} members are up, fewer than a quorum.",
            cases=[
                Case("fires with 1 of 3 members up",
                     series={f'up{{job="etcd", {_M}}}': "1x10", f'up{{job="etcd", {_M2}}}': "0x10", f'up{{job="etcd", {_M3}}}': "0x10"},
                     at="5m", fires=[Fire({"job": "etcd"}, value=1)]),
                Case("silent with 2 of 3 members up (quorum holds)",
                     series={f'up{{job="etcd", {_M}}}': "1x10", f'up{{job="etcd", {_M2}}}': "1x10", f'up{{job="etcd", {_M3}}}': "0x10"},
                     at="5m"),
                Case("silent when quorum was lost under 3m ago",
                     series={f'up{{job="etcd", {_M}}}': "1x10", f'up{{job="etcd", {_M2}}}': "1 1 1 0x10", f'up{{job="etcd", {_M3}}}': "0x10"},
                     at="4m"),
            ],
        ),
        Alert(
            "etcdHighFsyncDurations",
            expr="""
                histogram_quantile(0.99, rate(etcd_disk_wal_fsync_duration_seconds_bucket{${etcd}}[${rate_window}]))
                > ${threshold_seconds}
            """,
            params={"threshold_seconds": 0.5, "rate_window": Duration("5m")},
            for_="10m",
            severity="warning",
            summary="etcd WAL fsync is slow (p99 over ${threshold_seconds}s).",
            description="etcd member {{ $labels.instance }}: 99th percentile WAL fsync takes {{ $value | humanizeDuration }}; slow disks cause leader elections. Move etcd to SSDs.",
            cases=[
                # 100 fsyncs a minute; 2 take over 0.512s, 2 over 1.024s: p99 falls in (0.512, 1.024].
                Case("fires when p99 fsync exceeds 0.5s for 10m",
                     series=_fsync_buckets({"0.256": 95, "0.512": 98, "1.024": 100, "+Inf": 100}), at="20m",
                     fires=[Fire(_MEMBER, value=0.512 + (1.024 - 0.512) * (99 - 98) / (100 - 98))]),
                Case("silent when p99 fsync is under 0.5s",
                     series=_fsync_buckets({"0.256": 98, "0.512": 100, "1.024": 100, "+Inf": 100}), at="20m"),
                Case("silent when fsync was slow for less than 10m",
                     series=_fsync_buckets({"0.256": 95, "0.512": 98, "1.024": 100, "+Inf": 100}), at="9m"),
            ],
        ),
        Alert(
            "etcdDatabaseQuotaLowSpace",
            expr="""
                (
                  last_over_time(etcd_mvcc_db_total_size_in_bytes{${etcd}}[5m])
                /
                  last_over_time(etcd_server_quota_backend_bytes{${etcd}}[5m])
                ) * 100 > ${threshold}
            """,
            params={"threshold": 95},
            for_="10m",
            severity="critical",
            summary="etcd database is over ${threshold}% of its quota.",
            description="etcd member {{ $labels.instance }}: database uses {{ $value | humanize }}% of its quota; at 100% etcd raises NOSPACE and refuses writes. Compact and defragment, or raise --quota-backend-bytes.",
            cases=[
                Case("fires at 97% of a 2 GiB quota",
                     series={f'etcd_mvcc_db_total_size_in_bytes{{job="etcd", {_M}}}': f"{int(2 * 1024**3 * 0.97)}x20",
                             f'etcd_server_quota_backend_bytes{{job="etcd", {_M}}}': f"{2 * 1024**3}x20"},
                     at="15m", fires=[Fire(_MEMBER, value=int(2 * 1024**3 * 0.97) / (2 * 1024**3) * 100)]),
                Case("silent at 94% of the quota",
                     series={f'etcd_mvcc_db_total_size_in_bytes{{job="etcd", {_M}}}': f"{int(2 * 1024**3 * 0.94)}x20",
                             f'etcd_server_quota_backend_bytes{{job="etcd", {_M}}}': f"{2 * 1024**3}x20"},
                     at="15m"),
                Case("silent when over the threshold for less than 10m",
                     series={f'etcd_mvcc_db_total_size_in_bytes{{job="etcd", {_M}}}': f"{int(2 * 1024**3 * 0.5)}x5 {int(2 * 1024**3 * 0.97)}x20",
                             f'etcd_server_quota_backend_bytes{{job="etcd", {_M}}}': f"{2 * 1024**3}x20"},
                     at="12m"),
            ],
        ),
    ]),
]
