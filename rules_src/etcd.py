"""etcd: membership and leadership, request errors and latency, disk latency, database size and fragmentation.

The seeds' failures: slow WAL fsync on non-SSD disks causing leader elections, and the
backend quota (2 GiB on older versions, up to 8 GiB recommended on newer) filling with
event churn, after which etcd turns read-only (NOSPACE alarm).

The alerts follow the etcd-mixin (etcd-io/etcd contrib/mixin) with every threshold a
parameter, and these changes:
- etcdMembersDown: the mixin joins "members down" and "peers failing to send" with `or` on
  the same labels, so the peer branch never shows while `up` exists; here it is only used
  when no member is down by `up`, so a member that Prometheus scrapes but its peers cannot
  reach still fires.
- etcdHighNumberOfLeaderChanges: increase() per member, then the max over members, instead
  of increase() over the max: a restart of the member with the highest counter is a
  counter reset of the max and reads as a burst of elections.
- The critical variants have names of their own (etcdHighFsyncDurationsCritical,
  etcdHighCommitDurationsCritical): alert names are unique in this project.
- etcdExcessiveDatabaseGrowth is named etcdDatabaseSizePredictedToExceedQuota.
"""

from gen.model import Alert, Case, Duration, Fire, Group, twins

from ._fixtures.etcd import (
    ALL_UP, DB_IN_USE, DB_SIZE, GRPC_RANGE, GRPC_RANGE_LABELS, ID2, M, M2, M3, MEMBER, GiB, MiB,
    commit_buckets, db, db_growth, fsync_buckets, grpc_handled, grpc_latency, peer_failures, rtt_buckets,
)

groups = [
    Group("etcd", [
        Alert(
            "etcdNoLeader",
            expr="etcd_server_has_leader{${etcd}} == 0",
            for_="1m",
            severity="critical",
            dashboard="k8s-etcd",
            summary="etcd member has no leader.",
            description="etcd member {{ $labels.instance }} (job {{ $labels.job }}) has no leader: it serves no writes.",
            cases=[
                Case("fires after 1m without a leader",
                     series={f'etcd_server_has_leader{{job="etcd", {M}}}': "1 0x10"}, at="3m",
                     fires=[Fire(MEMBER, value=0)]),
                Case("silent with a leader",
                     series={f'etcd_server_has_leader{{job="etcd", {M}}}': "1x10"}, at="3m"),
                Case("silent when the leader was lost under 1m ago",
                     series={f'etcd_server_has_leader{{job="etcd", {M}}}': "1 1 0x10"}, at="2m"),
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
            dashboard="k8s-etcd",
            summary="etcd cluster has lost quorum.",
            description="etcd cluster {{ $labels.job }}: only {{ $value | humanize }} members are up, fewer than a quorum.",
            cases=[
                Case("fires with 1 of 3 members up",
                     series={f'up{{job="etcd", {M}}}': "1x10", f'up{{job="etcd", {M2}}}': "0x10", f'up{{job="etcd", {M3}}}': "0x10"},
                     at="5m", fires=[Fire({"job": "etcd"}, value=1)]),
                Case("silent with 2 of 3 members up (quorum holds)",
                     series={f'up{{job="etcd", {M}}}': "1x10", f'up{{job="etcd", {M2}}}': "1x10", f'up{{job="etcd", {M3}}}': "0x10"},
                     at="5m"),
                Case("silent when quorum was lost under 3m ago",
                     series={f'up{{job="etcd", {M}}}': "1x10", f'up{{job="etcd", {M2}}}': "1 1 1 0x10", f'up{{job="etcd", {M3}}}': "0x10"},
                     at="4m"),
            ],
        ),
        Alert(
            "etcdMembersDown",
            # A member counts as down when its scrape fails; when no member is, a member that
            # the others fail to send to (network partition, wrong peer certificates) counts.
            # The peers' failures count only once every member has been scraped for a whole
            # rate window: while a member is down, and for a window after it returns, they are
            # that member's failures, already counted. Otherwise the peer half, which carries
            # the same labels, takes over the pending time when the member returns and pages
            # after recovery (seen on a real cluster: a 9.5-minute outage paged at 10.5 minutes).
            expr="""
                (sum without (instance, pod) (up{${etcd}} == bool 0) > 0)
                or
                (
                  count without (To) (
                    sum without (instance, pod) (rate(etcd_network_peer_sent_failures_total{${etcd}}[${rate_window}]))
                    > ${peer_failure_rate}
                  )
                  unless on (job)
                  (min without (instance, pod) (min_over_time(up{${etcd}}[${rate_window}])) == 0)
                )
            """,
            params={"peer_failure_rate": 0.01, "rate_window": Duration("2m")},
            for_="10m",
            severity="critical",
            dashboard="k8s-etcd",
            summary="etcd cluster members are down.",
            description="etcd cluster {{ $labels.job }}: {{ $value | humanize }} members are down or unreachable by their peers; one more failure may cost the quorum.",
            cases=[
                Case("fires when one of three members is down for 10m",
                     series={f'up{{job="etcd", {M}}}': "1x30", f'up{{job="etcd", {M2}}}': "1x30", f'up{{job="etcd", {M3}}}': "1 1 0x28"},
                     at="15m", fires=[Fire({"job": "etcd"}, value=1)]),
                Case("silent when a member has been down for less than 10m",
                     series={f'up{{job="etcd", {M}}}': "1x30", f'up{{job="etcd", {M2}}}': "1x30", f'up{{job="etcd", {M3}}}': "1x7 0x22"},
                     at="15m"),
                Case("silent when all members are up and peers talk",
                     series={**ALL_UP, **peer_failures(0)}, at="15m"),
                # 2 senders x 0.33/min = 0.011/s to member 3, which Prometheus still scrapes.
                Case("fires just above the peer failure threshold (0.011/s)",
                     series={**ALL_UP, **peer_failures(0.33)}, at="15m",
                     fires=[Fire({"job": "etcd"}, value=1)]),
                Case("silent just under the peer failure threshold (0.0097/s)",
                     series={**ALL_UP, **peer_failures(0.29)}, at="15m"),
                Case("counts two members the peers cannot reach",
                     series={**ALL_UP, **peer_failures(6), **peer_failures(6, to=ID2)}, at="15m",
                     fires=[Fire({"job": "etcd"}, value=2)]),
                # Member 3 down from 1m to 9m; its peers fail to reach it until 10m. The
                # failures are in the rate window until 12m.
                Case("silent after a 9m outage ends (its peers' failures do not carry the pending time over)",
                     series={f'up{{job="etcd", {M}}}': "1x30", f'up{{job="etcd", {M2}}}': "1x30",
                             f'up{{job="etcd", {M3}}}': "1 0x8 1x20", **peer_failures(6, values="0+6x10 60x20")},
                     at="11m"),
                Case("counts a member once when it is down and its peers fail to reach it",
                     series={f'up{{job="etcd", {M}}}': "1x30", f'up{{job="etcd", {M2}}}': "1x30", f'up{{job="etcd", {M3}}}': "0x30",
                             **peer_failures(6)},
                     at="15m", fires=[Fire({"job": "etcd"}, value=1)]),
            ],
        ),
        Alert(
            "etcdHighNumberOfLeaderChanges",
            # Every member counts the elections it sees; increase() per member copes with a
            # member's restart (a counter reset), the max over members is the cluster's count.
            expr="""
                max without (instance, pod) (increase(etcd_server_leader_changes_seen_total{${etcd}}[${window}]))
                >= ${threshold}
            """,
            params={"threshold": 4, "window": Duration("15m")},
            for_="5m",
            severity="warning",
            dashboard="k8s-etcd",
            summary="etcd cluster has changed leader ${threshold} times or more in ${window}.",
            description="etcd cluster {{ $labels.job }}: {{ $value | humanize }} leader changes within the last ${window}. Frequent elections point at slow disks (WAL fsync), an overloaded member or network latency between members.",
            cases=[
                # One election a minute from 10m to 13m on every member: 4 in the window from 13m to 24m.
                Case("fires after 4 elections in 15m, for 5m",
                     series={f'etcd_server_leader_changes_seen_total{{job="etcd", {m}}}': "0x9 1 2 3 4x20" for m in (M, M2, M3)},
                     at="20m", fires=[Fire({"job": "etcd"}, value=4)]),
                Case("silent after 3 elections in 15m",
                     series={f'etcd_server_leader_changes_seen_total{{job="etcd", {m}}}': "0x9 1 2 3x20" for m in (M, M2, M3)},
                     at="20m"),
                Case("silent when the elections went on for less than 5m",
                     series={f'etcd_server_leader_changes_seen_total{{job="etcd", {m}}}': "0x9 1 2 3 4x20" for m in (M, M2, M3)},
                     at="16m"),
                Case("silent when the member that saw most elections restarts",
                     series={f'etcd_server_leader_changes_seen_total{{job="etcd", {M}}}': "100x9 1x20",
                             f'etcd_server_leader_changes_seen_total{{job="etcd", {M2}}}': "50x30",
                             f'etcd_server_leader_changes_seen_total{{job="etcd", {M3}}}': "50x30"},
                     at="20m"),
            ],
        ),
        Alert(
            "etcdHighNumberOfFailedGRPCRequests",
            # Only codes that mean a server-side failure count; NotFound, Canceled,
            # InvalidArgument and the like are the clients' business.
            expr="""
                100 * sum without (grpc_type, grpc_code) (rate(grpc_server_handled_total{${etcd}, grpc_code=~"${failure_codes}"}[${rate_window}]))
                /
                sum without (grpc_type, grpc_code) (rate(grpc_server_handled_total{${etcd}}[${rate_window}]))
                > ${threshold}
            """,
            params={
                "threshold": 5,
                "rate_window": Duration("5m"),
                "failure_codes": "Unknown|FailedPrecondition|ResourceExhausted|Internal|Unavailable|DataLoss|DeadlineExceeded",
            },
            for_="5m",
            severity="critical",
            dashboard="k8s-etcd",
            summary="etcd member fails more than ${threshold}% of its gRPC requests.",
            description="etcd member {{ $labels.instance }}: {{ $value | humanize }}% of {{ $labels.grpc_service }}/{{ $labels.grpc_method }} requests failed in the last ${rate_window}.",
            cases=[
                Case("fires at 6% Unavailable Range requests for 5m",
                     series=grpc_handled({"OK": 94, "Unavailable": 6}), at="12m",
                     fires=[Fire(GRPC_RANGE_LABELS, value=6)]),
                Case("silent just under the threshold (4.9%)",
                     series=grpc_handled({"OK": 95.1, "Unavailable": 4.9}), at="12m"),
                Case("silent when failing for less than 5m",
                     series={f'grpc_server_handled_total{{{GRPC_RANGE}, grpc_code="OK"}}': "0+94x30",
                             f'grpc_server_handled_total{{{GRPC_RANGE}, grpc_code="Unavailable"}}': "0x8 0+6x20"},
                     at="12m"),
                Case("silent for expected codes (NotFound, Canceled)",
                     series=grpc_handled({"OK": 50, "NotFound": 30, "Canceled": 20}), at="12m"),
            ],
        ),
        Alert(
            "etcdGRPCRequestsSlow",
            # Unary calls only: streams (Watch, LeaseKeepAlive) stay open by design, and
            # Defragment blocks for as long as it rewrites the database.
            expr="""
                histogram_quantile(0.99,
                  sum without (grpc_type) (
                    rate(grpc_server_handling_seconds_bucket{${etcd}, grpc_type="unary", grpc_method!="Defragment"}[${rate_window}])
                  )
                )
                > ${threshold_seconds}
            """,
            params={"threshold_seconds": 0.15, "rate_window": Duration("5m")},
            for_="10m",
            severity="critical",
            dashboard="k8s-etcd",
            # etcd's default --metrics=basic has no grpc_server_handling_seconds histogram
            # (seen on etcd 3.4: tests/drills/test_etcd.py).
            requires="etcd started with `--metrics=extensive`",
            summary="etcd gRPC requests are slow (p99 over ${threshold_seconds}s).",
            description="etcd member {{ $labels.instance }}: 99th percentile of {{ $labels.grpc_service }}/{{ $labels.grpc_method }} requests takes {{ $value | humanizeDuration }}.",
            cases=[
                # 100 requests a minute, 2 over 0.1s: p99 = 0.1 + 0.15 * 1/2.
                Case("fires when p99 Range latency is 0.175s for 10m",
                     series=grpc_latency({"0.05": 90, "0.1": 98, "0.25": 100, "+Inf": 100}), at="20m",
                     fires=[Fire(GRPC_RANGE_LABELS, value=0.1 + 0.15 * (99 - 98) / (100 - 98))]),
                # p99 = 0.1 + 0.15 * 0.3/1.3 = 0.135s
                Case("silent just under the threshold (p99 0.135s)",
                     series=grpc_latency({"0.05": 90, "0.1": 98.7, "0.25": 100, "+Inf": 100}), at="20m"),
                Case("silent when slow for less than 10m",
                     series=grpc_latency({"0.05": 90, "0.1": 98, "0.25": 100, "+Inf": 100}), at="9m"),
                Case("silent for slow Defragment calls",
                     series=grpc_latency({"0.05": 0, "0.1": 0, "0.25": 0, "+Inf": 1},
                                          labels='job="etcd", instance="10.0.0.1:2379", grpc_service="etcdserverpb.Maintenance", grpc_method="Defragment", grpc_type="unary"'),
                     at="20m"),
                Case("silent for long-lived Watch streams",
                     series=grpc_latency({"0.05": 0, "0.1": 0, "0.25": 0, "+Inf": 10},
                                          labels='job="etcd", instance="10.0.0.1:2379", grpc_service="etcdserverpb.Watch", grpc_method="Watch", grpc_type="bidi_stream"'),
                     at="20m"),
            ],
        ),
        Alert(
            "etcdMemberCommunicationSlow",
            expr="""
                histogram_quantile(0.99, rate(etcd_network_peer_round_trip_time_seconds_bucket{${etcd}}[${rate_window}]))
                > ${threshold_seconds}
            """,
            params={"threshold_seconds": 0.15, "rate_window": Duration("5m")},
            for_="10m",
            severity="warning",
            dashboard="k8s-etcd",
            summary="etcd member communication is slow (p99 round trip over ${threshold_seconds}s).",
            description="etcd member {{ $labels.instance }}: 99th percentile round trip to peer {{ $labels.To }} takes {{ $value | humanizeDuration }}.",
            cases=[
                # 100 round trips a minute, 2 over 0.1024s: p99 = 0.1024 + 0.1024 * 1/2 = 0.1536s.
                Case("fires just above the threshold (p99 0.154s) for 10m",
                     series=rtt_buckets({"0.0512": 90, "0.1024": 98, "0.2048": 100, "+Inf": 100}), at="20m",
                     fires=[Fire({"job": "etcd", "instance": "10.0.0.1:2379", "To": ID2}, value=0.1024 + 0.1024 * (99 - 98) / (100 - 98))]),
                # p99 = 0.1024 + 0.1024 * 0.5/1.5 = 0.137s
                Case("silent just under the threshold (p99 0.137s)",
                     series=rtt_buckets({"0.0512": 90, "0.1024": 98.5, "0.2048": 100, "+Inf": 100}), at="20m"),
                Case("silent when slow for less than 10m",
                     series=rtt_buckets({"0.0512": 90, "0.1024": 98, "0.2048": 100, "+Inf": 100}), at="9m"),
            ],
        ),
        Alert(
            "etcdHighNumberOfFailedProposals",
            expr="""
                increase(etcd_server_proposals_failed_total{${etcd}}[${window}]) > ${threshold}
            """,
            params={"threshold": 5, "window": Duration("1h")},
            for_="15m",
            severity="warning",
            dashboard="k8s-etcd",
            summary="etcd member has more than ${threshold} failed proposals in ${window}.",
            description="etcd member {{ $labels.instance }}: {{ $value | humanize }} Raft proposals failed within the last ${window}, usually during leader elections or while the member lacks quorum.",
            cases=[
                # 5m samples: 6 failures at 65m stay in the 1h window until 120m.
                Case("fires after 6 failed proposals, for 15m",
                     series={f'etcd_server_proposals_failed_total{{job="etcd", {M}}}': "0x12 6x20"},
                     at="90m", interval="5m", fires=[Fire(MEMBER, value=6)]),
                Case("silent at 5 failed proposals (the threshold)",
                     series={f'etcd_server_proposals_failed_total{{job="etcd", {M}}}': "0x12 5x20"},
                     at="90m", interval="5m"),
                Case("silent when over the threshold for less than 15m",
                     series={f'etcd_server_proposals_failed_total{{job="etcd", {M}}}': "0x12 6x20"},
                     at="75m", interval="5m"),
                Case("silent once the failures left the window",
                     series={f'etcd_server_proposals_failed_total{{job="etcd", {M}}}': "0x12 6x20"},
                     at="130m", interval="5m"),
            ],
        ),
        # Warning and critical twins of one condition, each with its own threshold_seconds.
        *twins(
            {
                "name": "etcdHighFsyncDurations",
                "severity": "warning",
                "params": {"threshold_seconds": 0.5},
                "summary": "etcd WAL fsync is slow (p99 over ${threshold_seconds}s).",
                "description": "etcd member {{ $labels.instance }}: 99th percentile WAL fsync takes {{ $value | humanizeDuration }}; slow disks cause leader elections. Move etcd to SSDs.",
                "cases": [
                    # 100 fsyncs a minute; 2 take over 0.512s, 2 over 1.024s: p99 falls in (0.512, 1.024].
                    Case("fires when p99 fsync exceeds 0.5s for 10m",
                         series=fsync_buckets({"0.256": 95, "0.512": 98, "1.024": 100, "+Inf": 100}), at="20m",
                         fires=[Fire(MEMBER, value=0.512 + (1.024 - 0.512) * (99 - 98) / (100 - 98))]),
                    Case("silent when p99 fsync is under 0.5s",
                         series=fsync_buckets({"0.256": 98, "0.512": 100, "1.024": 100, "+Inf": 100}), at="20m"),
                    Case("silent when fsync was slow for less than 10m",
                         series=fsync_buckets({"0.256": 95, "0.512": 98, "1.024": 100, "+Inf": 100}), at="9m"),
                ],
            },
            {
                "name": "etcdHighFsyncDurationsCritical",
                "severity": "critical",
                "params": {"threshold_seconds": 1},
                "summary": "etcd WAL fsync is very slow (p99 over ${threshold_seconds}s).",
                "description": "etcd member {{ $labels.instance }}: 99th percentile WAL fsync takes {{ $value | humanizeDuration }}; heartbeats miss their deadline and the cluster keeps electing leaders. Move etcd to SSDs.",
                "cases": [
                    # 100 fsyncs a minute, 1 over 1.024s: p99 = 1.024s.
                    Case("fires just above the threshold (p99 1.024s) for 10m",
                         series=fsync_buckets({"0.512": 98, "1.024": 99, "2.048": 100, "+Inf": 100}), at="20m",
                         fires=[Fire(MEMBER, value=1.024)]),
                    # p99 = 0.512 + 0.512 * 1/1.1 = 0.977s
                    Case("silent just under the threshold (p99 0.977s)",
                         series=fsync_buckets({"0.512": 98, "1.024": 99.1, "2.048": 100, "+Inf": 100}), at="20m"),
                    Case("silent when very slow for less than 10m",
                         series=fsync_buckets({"0.512": 95, "1.024": 98, "2.048": 100, "+Inf": 100}), at="9m"),
                ],
            },
            expr="""
                histogram_quantile(0.99, rate(etcd_disk_wal_fsync_duration_seconds_bucket{${etcd}}[${rate_window}]))
                > ${threshold_seconds}
            """,
            params={"rate_window": Duration("5m")},
            for_="10m",
            dashboard="k8s-etcd",
        ),
        *twins(
            {
                "name": "etcdHighCommitDurations",
                "severity": "warning",
                "params": {"threshold_seconds": 0.25},
                "summary": "etcd backend commits are slow (p99 over ${threshold_seconds}s).",
                "description": "etcd member {{ $labels.instance }}: 99th percentile backend (bbolt) commit takes {{ $value | humanizeDuration }}; the disk is too slow for etcd.",
                "cases": [
                    # 100 commits a minute, 1 over 0.256s: p99 = 0.256s.
                    Case("fires just above the threshold (p99 0.256s) for 10m",
                         series=commit_buckets({"0.128": 98, "0.256": 99, "0.512": 100, "+Inf": 100}), at="20m",
                         fires=[Fire(MEMBER, value=0.256)]),
                    # p99 = 0.128 + 0.128 * 1/1.1 = 0.244s
                    Case("silent just under the threshold (p99 0.244s)",
                         series=commit_buckets({"0.128": 98, "0.256": 99.1, "0.512": 100, "+Inf": 100}), at="20m"),
                    Case("silent when slow for less than 10m",
                         series=commit_buckets({"0.128": 98, "0.256": 99, "0.512": 100, "+Inf": 100}), at="9m"),
                ],
            },
            {
                "name": "etcdHighCommitDurationsCritical",
                "severity": "critical",
                "params": {"threshold_seconds": 0.5},
                "summary": "etcd backend commits are very slow (p99 over ${threshold_seconds}s).",
                "description": "etcd member {{ $labels.instance }}: 99th percentile backend (bbolt) commit takes {{ $value | humanizeDuration }}; writes stall and the member falls behind.",
                "cases": [
                    # 100 commits a minute, 2 over 0.512s: p99 = 0.512 + 0.512 * 1/2 = 0.768s.
                    Case("fires when p99 commit takes 0.768s for 10m",
                         series=commit_buckets({"0.256": 95, "0.512": 98, "1.024": 100, "+Inf": 100}), at="20m",
                         fires=[Fire(MEMBER, value=0.512 + 0.512 * (99 - 98) / (100 - 98))]),
                    Case("fires just above the threshold (p99 0.512s)",
                         series=commit_buckets({"0.256": 98, "0.512": 99, "1.024": 100, "+Inf": 100}), at="20m",
                         fires=[Fire(MEMBER, value=0.512)]),
                    # p99 = 0.256 + 0.256 * 1/1.1 = 0.489s
                    Case("silent just under the threshold (p99 0.489s)",
                         series=commit_buckets({"0.256": 98, "0.512": 99.1, "1.024": 100, "+Inf": 100}), at="20m"),
                    Case("silent when very slow for less than 10m",
                         series=commit_buckets({"0.256": 95, "0.512": 98, "1.024": 100, "+Inf": 100}), at="9m"),
                ],
            },
            expr="""
                histogram_quantile(0.99, rate(etcd_disk_backend_commit_duration_seconds_bucket{${etcd}}[${rate_window}]))
                > ${threshold_seconds}
            """,
            params={"rate_window": Duration("5m")},
            for_="10m",
            dashboard="k8s-etcd",
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
            dashboard="k8s-etcd",
            summary="etcd database is over ${threshold}% of its quota.",
            description="etcd member {{ $labels.instance }}: database uses {{ $value | humanize }}% of its quota; at 100% etcd raises NOSPACE and refuses writes. Compact and defragment, or raise --quota-backend-bytes.",
            cases=[
                Case("fires at 97% of a 2 GiB quota",
                     series={f'etcd_mvcc_db_total_size_in_bytes{{job="etcd", {M}}}': f"{int(2 * 1024**3 * 0.97)}x20",
                             f'etcd_server_quota_backend_bytes{{job="etcd", {M}}}': f"{2 * 1024**3}x20"},
                     at="15m", fires=[Fire(MEMBER, value=int(2 * 1024**3 * 0.97) / (2 * 1024**3) * 100)]),
                Case("silent at 94% of the quota",
                     series={f'etcd_mvcc_db_total_size_in_bytes{{job="etcd", {M}}}': f"{int(2 * 1024**3 * 0.94)}x20",
                             f'etcd_server_quota_backend_bytes{{job="etcd", {M}}}': f"{2 * 1024**3}x20"},
                     at="15m"),
                Case("silent when over the threshold for less than 10m",
                     series={f'etcd_mvcc_db_total_size_in_bytes{{job="etcd", {M}}}': f"{int(2 * 1024**3 * 0.5)}x5 {int(2 * 1024**3 * 0.97)}x20",
                             f'etcd_server_quota_backend_bytes{{job="etcd", {M}}}': f"{2 * 1024**3}x20"},
                     at="12m"),
            ],
        ),
        Alert(
            "etcdDatabaseSizePredictedToExceedQuota",
            expr="""
                predict_linear(etcd_mvcc_db_total_size_in_bytes{${etcd}}[${trend_window}], ${horizon_hours} * 60 * 60)
                > etcd_server_quota_backend_bytes{${etcd}}
            """,
            params={"trend_window": Duration("4h"), "horizon_hours": 4},
            for_="10m",
            severity="warning",
            dashboard="k8s-etcd",
            summary="etcd database is predicted to exceed its quota within ${horizon_hours} hours.",
            description="etcd member {{ $labels.instance }}: at the growth of the last ${trend_window} the database reaches {{ $value | humanize1024 }}B in ${horizon_hours}h, over its quota; etcd then raises NOSPACE and refuses writes.",
            cases=[
                # 5m samples from 1 GiB: +10 MiB a step reaches 1024 + 108 * 10 = 2104 MiB 4h after 5h;
                # the prediction crosses 2 GiB at step 55 (4h35m).
                Case("fires when growing 120 MiB/h towards a 2 GiB quota",
                     series=db_growth(GiB, 10 * MiB), at="5h", interval="5m",
                     fires=[Fire(MEMBER, value=(1024 + 108 * 10) * MiB)]),
                # +9 MiB a step: 1024 + 108 * 9 = 1996 MiB in 4h.
                Case("silent when the prediction stays just under the quota",
                     series=db_growth(GiB, 9 * MiB), at="5h", interval="5m"),
                Case("silent when predicted over the quota for less than 10m",
                     series=db_growth(GiB, 10 * MiB), at="280m", interval="5m"),
                Case("silent when big but stable",
                     series=db_growth(int(1.9 * GiB), 0), at="5h", interval="5m"),
            ],
        ),
        Alert(
            "etcdDatabaseHighFragmentationRatio",
            # Compaction frees pages inside the database file but never shrinks it; only
            # defragmentation does. Small databases are not worth a defrag.
            expr="""
                (
                  last_over_time(etcd_mvcc_db_total_size_in_use_in_bytes{${etcd}}[5m])
                /
                  last_over_time(etcd_mvcc_db_total_size_in_bytes{${etcd}}[5m])
                ) < ${in_use_ratio}
                and
                etcd_mvcc_db_total_size_in_bytes{${etcd}} > ${min_db_size_mib} * 1024 * 1024
            """,
            params={"in_use_ratio": 0.5, "min_db_size_mib": 100},
            for_="10m",
            severity="warning",
            dashboard="k8s-etcd",
            summary="etcd database is fragmented (in-use ratio under ${in_use_ratio}): defragment it.",
            description="etcd member {{ $labels.instance }}: only {{ $value | humanizePercentage }} of the database file is in use; the rest counts against the quota until `etcdctl defrag` reclaims it.",
            cases=[
                Case("fires at 40% in use of a 1 GiB database",
                     series=db(GiB, int(0.4 * GiB)), at="15m",
                     fires=[Fire(MEMBER, value=int(0.4 * GiB) / GiB)]),
                Case("fires just under the ratio (49% in use)",
                     series=db(GiB, int(0.49 * GiB)), at="15m",
                     fires=[Fire(MEMBER, value=int(0.49 * GiB) / GiB)]),
                Case("silent just over the ratio (51% in use)",
                     series=db(GiB, int(0.51 * GiB)), at="15m"),
                Case("silent for a database under 100 MiB",
                     series=db(90 * MiB, 10 * MiB), at="15m"),
                Case("silent when fragmented for less than 10m",
                     series={DB_SIZE: f"{GiB}x30", DB_IN_USE: f"{int(0.8 * GiB)}x8 {int(0.4 * GiB)}x20"}, at="15m"),
            ],
        ),
    ]),
]
