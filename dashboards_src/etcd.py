"""etcd: is there a leader and a quorum, how close the database is to its quota, how slow
the disks are (WAL fsync, backend commit), gRPC traffic and failures, the network between
members, leader elections.

The seeds' etcd failures are what the panels put first: 3 or 5 members and how many may fail
before the quorum is lost; slow (non-SSD) disks making fsync slow and leaders change; the
backend quota (2 GiB on old versions, up to 8 GiB recommended) filling with churn, and the
free pages only defragmentation gives back. Every panel of an alerted quantity draws the
alert's threshold from the catalog (rules_src/etcd.py) and uses the alert's aggregation.
"""

from grafanalib.core import Stat, StatValueMappingItem, StatValueMappings, Target, Threshold, TimeSeries

from gen.dash.model import AlertLine, Dashboard, Fixture, Row, Variable, cell

# Every etcd series; per-member panels add the member variable.
E = "${etcd}"
EI = '${etcd}, instance=~"$instance"'

# The server-side failure codes of etcdHighNumberOfFailedGRPCRequests (its `failure_codes`
# default): NotFound, Canceled and the like are the clients' business.
_FAILURE_CODES = "Unknown|FailedPrecondition|ResourceExhausted|Internal|Unavailable|DataLoss|DeadlineExceeded"


def _rate(metric: str, matchers: str, by: str) -> str:
    return f"sum by ({by}) (rate({metric}{{{matchers}}}[$__rate_interval]))"


def _p99(metric: str, matchers: str, by: str) -> str:
    return f"histogram_quantile(0.99, {_rate(metric + '_bucket', matchers, by + ', le')})"


def _ts(title: str, unit: str, *targets: Target, description: str = "", **kw) -> TimeSeries:
    return TimeSeries(title=title, unit=unit, targets=list(targets), description=description or None,
                      legendDisplayMode="table", legendCalcs=["lastNotNull", "max"], **kw)


def _t(expr: str, legend: str, ref: str = "A", **kw) -> Target:
    return Target(expr=expr, legendFormat=legend, refId=ref, **kw)


_members = Row("Members and leader", [
    cell(Stat(
        title="Member failures tolerated",
        description="Members that may still fail before the quorum is lost: a 3-member cluster tolerates 1, "
                    "a 5-member cluster 2. 0 means the next failure stops all writes; below 0 the quorum is gone "
                    "(etcdInsufficientMembers).",
        format="short", reduceCalc="lastNotNull", graphMode="none", colorMode="background",
        thresholds=[Threshold("red", 0, 0.0), Threshold("orange", 1, 0.0), Threshold("green", 2, 1.0)],
        targets=[_t(f"sum by (job) (up{{{E}}} == bool 1) - floor(count by (job) (up{{{E}}}) / 2) - 1", "{{job}}")],
    ), width=5),
    cell(Stat(
        title="Members up",
        description="Members Prometheus scrapes successfully, out of all members (etcdMembersDown).",
        format="short", reduceCalc="lastNotNull", graphMode="none",
        targets=[_t(f"sum by (job) (up{{{E}}} == bool 1) or on () vector(0)", "{{job}} up"),
                 _t(f"count by (job) (up{{{E}}}) or on () vector(0)", "{{job}} members", "B")],
    ), width=5),
    cell(Stat(
        title="Members without a leader",
        description="A member without a leader serves no writes (etcdNoLeader).",
        format="short", reduceCalc="lastNotNull", graphMode="none", colorMode="background",
        thresholds=[Threshold("green", 0, 0.0), Threshold("red", 1, 1.0)],
        targets=[_t(f"sum by (job) (1 - etcd_server_has_leader{{{E}}})", "{{job}}")],
    ), width=5),
    cell(Stat(
        title="Role of each member",
        description="Leader or follower; a healthy cluster has exactly one leader. A leader that keeps moving "
                    "shows in Leader changes in 15m, none at all in Members without a leader.",
        format="short", reduceCalc="lastNotNull", graphMode="none", textMode="value_and_name",
        mappings=[StatValueMappings(StatValueMappingItem("leader", "1", "blue"),
                                    StatValueMappingItem("follower", "0", "green"))],
        targets=[_t(f"max by (instance) (etcd_server_is_leader{{{EI}}})", "{{instance}}")],
    ), width=9),
], height=5)

_elections = Row("Leader elections and proposals", [
    cell(_ts("Members without a leader over time", "short",
             _t(f"sum by (job) (1 - etcd_server_has_leader{{{E}}})", "{{job}}"),
             description="The stat above, over the dashboard's time range: a no-leader episode (etcdNoLeader) "
                         "stays visible here after it resolved. 0 is healthy.", fillOpacity=20)),
    cell(_ts("Leader changes in 15m", "short",
             _t(f"max by (job) (increase(etcd_server_leader_changes_seen_total{{{E}}}[15m]))", "{{job}}"),
             description="Elections seen in the last 15 minutes, on the member that saw most (the alert's default "
                         "window). Frequent elections mean slow disks, an overloaded member or a slow network."),
         alert=AlertLine("etcdHighNumberOfLeaderChanges")),
    cell(_ts("Raft proposals/s", "ops",
             _t(_rate("etcd_server_proposals_committed_total", EI, "instance"), "{{instance}} committed"),
             _t(_rate("etcd_server_proposals_applied_total", EI, "instance"), "{{instance}} applied", "B"),
             _t(_rate("etcd_server_proposals_failed_total", EI, "instance"), "{{instance}} failed", "C"),
             description="Committed and applied should track each other; failed proposals come with elections "
                         "and lost quorum (etcdHighNumberOfFailedProposals).")),
    cell(_ts("Pending proposals", "short",
             _t(f"sum by (instance) (etcd_server_proposals_pending{{{EI}}})", "{{instance}}"),
             description="Proposals waiting to commit: a steady queue means the member cannot keep up.")),
])

_database = Row("Database size against quota", [
    cell(_ts("Database size, % of quota", "percent",
             _t(f"100 * etcd_mvcc_db_total_size_in_bytes{{{EI}}} / etcd_server_quota_backend_bytes{{{EI}}}", "{{instance}}"),
             description="At 100% etcd raises the NOSPACE alarm and refuses writes. The file only shrinks with "
                         "defragmentation, so compare with the in-use size.", valueMin=0),
         alert=AlertLine("etcdDatabaseQuotaLowSpace")),
    cell(_ts("Database file, in use and quota", "bytes",
             _t(f"max by (instance) (etcd_mvcc_db_total_size_in_bytes{{{EI}}})", "{{instance}} file"),
             _t(f"max by (instance) (etcd_mvcc_db_total_size_in_use_in_bytes{{{EI}}})", "{{instance}} in use", "B"),
             _t(f"max by (job) (etcd_server_quota_backend_bytes{{{E}}})", "quota ({{job}})", "C"),
             description="Quota: --quota-backend-bytes (2 GiB by default, 8 GiB the recommended maximum). The gap "
                         "between file and in use is what `etcdctl defrag` gives back.", valueMin=0)),
    cell(Stat(
        title="In use, share of the file",
        description="Low values mean a fragmented file: etcdDatabaseHighFragmentationRatio fires under its "
                    "in_use_ratio (0.5 by default) for databases over 100 MiB. Defragment one member at a time.",
        format="percentunit", reduceCalc="lastNotNull", graphMode="area", textMode="value_and_name",
        targets=[_t(f"max by (instance) (etcd_mvcc_db_total_size_in_use_in_bytes{{{EI}}}) / max by (instance) (etcd_mvcc_db_total_size_in_bytes{{{EI}}})",
                    "{{instance}}")],
    ), width=6),
])

_disk = Row("Disk latency", [
    cell(_ts("WAL fsync, p99", "s",
             _t(_p99("etcd_disk_wal_fsync_duration_seconds", EI, "instance"), "{{instance}}"),
             description="Every write waits for the WAL fsync. Slow disks (not SSD) here make heartbeats miss and "
                         "leaders change."),
         alert=[AlertLine("etcdHighFsyncDurations", "threshold_seconds", color="orange"),
                AlertLine("etcdHighFsyncDurationsCritical", "threshold_seconds")]),
    cell(_ts("Backend commit, p99", "s",
             _t(_p99("etcd_disk_backend_commit_duration_seconds", EI, "instance"), "{{instance}}"),
             description="bbolt commits of the applied writes; slow commits stall writes."),
         alert=[AlertLine("etcdHighCommitDurations", "threshold_seconds", color="orange"),
                AlertLine("etcdHighCommitDurationsCritical", "threshold_seconds")]),
])

_grpc = Row("gRPC requests", [
    cell(_ts("gRPC requests/s by method", "reqps",
             _t(_rate("grpc_server_handled_total", EI + ', grpc_type="unary"', "grpc_service, grpc_method"),
                "{{grpc_service}}/{{grpc_method}}"),
             description="Unary requests; the API servers are the main clients (Range for reads, Txn for writes). "
                         "Failures and latency per method are beside.")),
    cell(_ts("gRPC failures, % by method", "percent",
             _t(f"100 * {_rate('grpc_server_handled_total', EI + ', grpc_code=~' + chr(34) + _FAILURE_CODES + chr(34), 'grpc_service, grpc_method')}"
                f" / {_rate('grpc_server_handled_total', EI, 'grpc_service, grpc_method')}",
                "{{grpc_service}}/{{grpc_method}}"),
             description="Server-side failure codes only (Unavailable, Internal, DeadlineExceeded, ...); empty while "
                         "nothing fails."),
         alert=AlertLine("etcdHighNumberOfFailedGRPCRequests")),
    cell(_ts("gRPC latency, p99 (unary)", "s",
             _t(_p99("grpc_server_handling_seconds", EI + ', grpc_type="unary", grpc_method!="Defragment"',
                     "grpc_service, grpc_method"), "{{grpc_service}}/{{grpc_method}}"),
             description="Needs etcd started with --metrics=extensive: the default (basic) exports no gRPC latency "
                         "histogram, and this panel and etcdGRPCRequestsSlow stay empty."),
         alert=AlertLine("etcdGRPCRequestsSlow", "threshold_seconds")),
    cell(_ts("Open watch and lease streams", "short",
             _t(f'sum(grpc_server_started_total{{{EI}, grpc_service="etcdserverpb.Watch", grpc_type="bidi_stream"}})'
                f' - sum(grpc_server_handled_total{{{EI}, grpc_service="etcdserverpb.Watch", grpc_type="bidi_stream"}})',
                "watch streams"),
             _t(f'sum(grpc_server_started_total{{{EI}, grpc_service="etcdserverpb.Lease", grpc_type="bidi_stream"}})'
                f' - sum(grpc_server_handled_total{{{EI}, grpc_service="etcdserverpb.Lease", grpc_type="bidi_stream"}})',
                "lease keep-alive streams", "B"),
             description="Streams started minus streams finished: API servers hold one watch stream per resource.")),
])

_network = Row("Network between members", [
    cell(_ts("Peer round trip, p99", "s",
             _t(_p99("etcd_network_peer_round_trip_time_seconds", EI, "instance, To"), "{{instance}} to {{To}}"),
             description="Round trip of etcd's probes from each member to each peer (To: the peer's member ID); the "
                         "line is etcdMemberCommunicationSlow's threshold. Slow round trips make heartbeats miss and "
                         "leaders change."),
         alert=AlertLine("etcdMemberCommunicationSlow", "threshold_seconds")),
    cell(_ts("Peer traffic", "Bps",
             _t(_rate("etcd_network_peer_sent_bytes_total", EI, "instance"), "{{instance}} sent"),
             _t(_rate("etcd_network_peer_received_bytes_total", EI, "instance"), "{{instance}} received", "B"),
             description="Raft messages between members, and snapshots sent to a member that fell behind. The leader "
                         "sends the most; a spike received by one follower is usually a snapshot.")),
    cell(_ts("Failed sends to each peer/s", "ops",
             _t(_rate("etcd_network_peer_sent_failures_total", E, "job, To"), "to {{To}}"),
             description="Summed over the senders, like etcdMembersDown: a member its peers cannot reach counts as "
                         "down even while Prometheus scrapes it. Empty while every send succeeds."),
         alert=AlertLine("etcdMembersDown", "peer_failure_rate")),
])


# ---------------------------------------------------------------------------------------
# Fixture: a 3-member cluster, member 1 the leader; counters grow every minute.

_MEMBERS = ("10.0.0.1:2379", "10.0.0.2:2379", "10.0.0.3:2379")
_IDS = ("8211f1d0f64f3269", "91bc3c398fb3c146", "fd422379fda50e48")  # Raft member ids (the To label)
_GiB = 1024**3


def _member(instance: str) -> str:
    return f'job="etcd", instance="{instance}", pod="etcd-master-{_MEMBERS.index(instance) + 1}"'


def _buckets(metric: str, labels: str, per_minute: dict[str, float]) -> dict[str, str]:
    return {f'{metric}_bucket{{{labels}, le="{le}"}}': f"0+{n}x20" for le, n in per_minute.items()}


def _fixture_series() -> dict[str, str]:
    s: dict[str, str] = {}
    for n, inst in enumerate(_MEMBERS):
        m = _member(inst)
        s[f"up{{{m}}}"] = "1x20"
        s[f"etcd_server_has_leader{{{m}}}"] = "1x20"
        s[f"etcd_server_is_leader{{{m}}}"] = ("1" if n == 0 else "0") + "x20"
        s[f"etcd_server_leader_changes_seen_total{{{m}}}"] = "0x5 1x15"
        s[f"etcd_server_quota_backend_bytes{{{m}}}"] = f"{2 * _GiB}x20"
        s[f"etcd_mvcc_db_total_size_in_bytes{{{m}}}"] = f"{int(1.2 * _GiB)}+1048576x20"
        s[f"etcd_mvcc_db_total_size_in_use_in_bytes{{{m}}}"] = f"{int(0.5 * _GiB)}x20"
        for peer, peer_id in zip(_MEMBERS, _IDS):
            if peer != inst:
                s.update(_buckets("etcd_network_peer_round_trip_time_seconds", f'{m}, To="{peer_id}"',
                                  {"0.0128": 50, "0.0256": 59, "0.0512": 60, "+Inf": 60}))
                s[f'etcd_network_peer_sent_bytes_total{{{m}, To="{peer_id}"}}'] = "0+600000x20"
                s[f'etcd_network_peer_received_bytes_total{{{m}, From="{peer_id}"}}'] = "0+500000x20"
    m = _member(_MEMBERS[0])
    s[f"etcd_server_proposals_committed_total{{{m}}}"] = "1000+300x20"
    s[f"etcd_server_proposals_applied_total{{{m}}}"] = "1000+300x20"
    s[f"etcd_server_proposals_failed_total{{{m}}}"] = "0 0 0 1 1 2x15"
    s[f"etcd_server_proposals_pending{{{m}}}"] = "0 1 0 2 0x16"
    s.update(_buckets("etcd_disk_wal_fsync_duration_seconds", m, {"0.008": 280, "0.016": 296, "0.512": 299, "1.024": 300, "+Inf": 300}))
    s.update(_buckets("etcd_disk_backend_commit_duration_seconds", m, {"0.016": 290, "0.032": 298, "0.256": 300, "+Inf": 300}))
    rng = f'{m}, grpc_service="etcdserverpb.KV", grpc_method="Range", grpc_type="unary"'
    s[f'grpc_server_handled_total{{{rng}, grpc_code="OK"}}'] = "0+1200x20"
    s[f'grpc_server_handled_total{{{rng}, grpc_code="Unavailable"}}'] = "0+3x20"
    s.update(_buckets("grpc_server_handling_seconds", rng, {"0.005": 1100, "0.025": 1195, "0.1": 1203, "+Inf": 1203}))
    for service, method in (("etcdserverpb.Watch", "Watch"), ("etcdserverpb.Lease", "LeaseKeepAlive")):
        stream = f'{m}, grpc_service="{service}", grpc_method="{method}", grpc_type="bidi_stream"'
        s[f"grpc_server_started_total{{{stream}}}"] = "40+2x20"
        s[f'grpc_server_handled_total{{{stream}, grpc_code="Canceled"}}'] = "5+2x20"
    s[f'etcd_network_peer_sent_failures_total{{{_member(_MEMBERS[1])}, To="{_IDS[2]}"}}'] = "0+2x20"
    return s


dashboard = Dashboard(
    uid="k8s-etcd",
    title="Kubernetes / etcd",
    description="etcd: quorum and leader, database size against its quota, WAL fsync and backend commit latency, "
                "gRPC rate, failures and latency, peer round trip, leader changes.",
    tags=["etcd", "control-plane"],
    links=["k8s-apiserver"],
    variables=[
        Variable("instance", "label_values(etcd_server_has_leader{${etcd}}, instance)", title="Member",
                 multi=True, include_all=True, all_value=".*"),
    ],
    rows=[_members, _elections, _database, _disk, _grpc, _network],
    fixture=Fixture(series=_fixture_series(), vars={"instance": "10.0.0.1:2379"}),
)
