"""Series of a three-member etcd cluster (job "etcd"): member health, gRPC counters and
histograms, disk and peer latency histograms, and database size."""

# The members, as the `instance` matcher of their series; MEMBER: the labels of member 1's alerts.
M = 'instance="10.0.0.1:2379"'
M2 = 'instance="10.0.0.2:2379"'
M3 = 'instance="10.0.0.3:2379"'
MEMBER = {"job": "etcd", "instance": "10.0.0.1:2379"}


def _histogram(metric: str, per_minute: dict[str, float], labels: str = f'job="etcd", {M}') -> dict:
    """Histogram buckets of one series; each bucket's cumulative count grows by `count` a minute."""
    return {f'{metric}_bucket{{{labels}, le="{le}"}}': f"0+{count}x30" for le, count in per_minute.items()}


def fsync_buckets(per_minute: dict[str, float]) -> dict:
    """WAL fsync histogram buckets of member 1; each bucket's cumulative count grows by `count` a minute."""
    return _histogram("etcd_disk_wal_fsync_duration_seconds", per_minute)


def commit_buckets(per_minute: dict[str, float]) -> dict:
    """Backend commit histogram buckets of member 1."""
    return _histogram("etcd_disk_backend_commit_duration_seconds", per_minute)


# Member 1's unary KV/Range calls; GRPC_RANGE_LABELS: the labels of their alerts (without grpc_type).
GRPC_RANGE = 'job="etcd", instance="10.0.0.1:2379", grpc_service="etcdserverpb.KV", grpc_method="Range", grpc_type="unary"'
GRPC_RANGE_LABELS = {"job": "etcd", "instance": "10.0.0.1:2379", "grpc_service": "etcdserverpb.KV", "grpc_method": "Range"}


def grpc_handled(per_minute: dict[str, float], labels: str = GRPC_RANGE) -> dict:
    """grpc_server_handled_total of one method, by code; each grows by `count` a minute."""
    return {f'grpc_server_handled_total{{{labels}, grpc_code="{code}"}}': f"0+{count}x30" for code, count in per_minute.items()}


def grpc_latency(per_minute: dict[str, float], labels: str = GRPC_RANGE) -> dict:
    """grpc_server_handling_seconds buckets of one method (KV/Range of member 1 by default)."""
    return _histogram("grpc_server_handling_seconds", per_minute, labels)


# Raft member IDs (the To label of peer metrics) of members 2 and 3.
ID2 = "2d6a3b5e4f1c7a09"
ID3 = "8e9e05c52164694d"


def peer_failures(per_minute_each: float, to: str = ID3, values: str | None = None) -> dict:
    """Send failures of members 1 and 2 to member `to`, each `per_minute_each` a minute (or `values`)."""
    return {
        f'etcd_network_peer_sent_failures_total{{job="etcd", {m}, To="{to}"}}': values or f"0+{per_minute_each}x30"
        for m in (M, M2)
    }


ALL_UP = {f'up{{job="etcd", {m}}}': "1x30" for m in (M, M2, M3)}


def rtt_buckets(per_minute: dict[str, float]) -> dict:
    """Peer round-trip histogram buckets of member 1 to member 2."""
    return _histogram("etcd_network_peer_round_trip_time_seconds", per_minute, f'job="etcd", {M}, To="{ID2}"')


GiB = 1024**3
MiB = 1024**2
_QUOTA_2G = f'etcd_server_quota_backend_bytes{{job="etcd", {M}}}'
DB_SIZE = f'etcd_mvcc_db_total_size_in_bytes{{job="etcd", {M}}}'
DB_IN_USE = f'etcd_mvcc_db_total_size_in_use_in_bytes{{job="etcd", {M}}}'


def db(size: int, in_use: int, n: int = 30) -> dict:
    """Database of member 1: its file size and the part of it in use, steady for `n` steps."""
    return {DB_SIZE: f"{size}x{n}", DB_IN_USE: f"{in_use}x{n}"}


def db_growth(start: int, per_step: int, n: int = 70) -> dict:
    """Database of member 1 growing by `per_step` bytes every step (5m), under a 2 GiB quota."""
    return {DB_SIZE: f"{start}+{per_step}x{n}", _QUOTA_2G: f"{2 * GiB}x{n}"}
