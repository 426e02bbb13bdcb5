"""Nodes (node-exporter): filesystem space and inodes, network errors and flapping
interfaces, conntrack, clock, PID space, and CPU load spread across nodes.

The seeds' failures behind the last two: a readiness probe leaking thousands of
<defunct> processes until the node ran out of PIDs and became unresponsive (seed 003),
and two nodes pinned at 99% CPU while three idled under 20% because pods piled up on
them with no anti-affinity (seed 000).
"""

from gen.model import Alert, Case, Duration, Fire, Group

from ._fixtures.nodes import FS_LABELS, NIC, NODE_1, cpu, filesystem, nic, node, processes

# node-exporter series name the node only by their scrape target: the node dashboard finds
# the node from `instance` (node_uname_info maps it to the node name).
_NODE_VARS = {"instance": "{{ $labels.instance }}"}

# Per-node CPU utilisation in percent: 100 minus the idle share of all its CPUs.
_UTIL = (
    '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{${node_exporter}, mode="idle", '
    'instance!~"${exclude_instances}"}[${rate_window}])))'
)

# The filesystem alerts come in twins, one on space (bytes) and one on inodes (files): the name
# part, the free and total metric, the critical threshold, what running out means, and how the
# case names call the free share.
_FS_KINDS = {
    "space": {"name": "Space", "free": "node_filesystem_avail_bytes", "size": "node_filesystem_size_bytes",
              "threshold": 5, "consequence": "", "free_share": "free"},
    "inodes": {"name": "Files", "free": "node_filesystem_files_free", "size": "node_filesystem_files",
               "threshold": 3, "consequence": "; new files cannot be created", "free_share": "inodes free"},
}
_FS_SELECTOR = '{${node_exporter}, fstype!=""}'
_FILESYSTEM = "Filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }}"
_VALUE = "{{ $value | humanize }}"


def _almost_out_of(kind: str, cases: list[Case]) -> Alert:
    """NodeFilesystemAlmostOutOf{Space,Files}: little left, for an hour."""
    k = _FS_KINDS[kind]
    return Alert(
        f"NodeFilesystemAlmostOutOf{k['name']}",
        dashboard="k8s-node", dashboard_vars=_NODE_VARS,
        expr=f"""
            (
              {k['free']}{_FS_SELECTOR} / {k['size']}{_FS_SELECTOR} * 100 < ${{threshold}}
            and
              node_filesystem_readonly{_FS_SELECTOR} == 0
            )
        """,
        params={"threshold": k["threshold"]},
        for_="60m",
        severity="critical",
        summary=f"Filesystem has less than ${{threshold}}% {kind} left.",
        description=f"{_FILESYSTEM} has only {_VALUE}% {kind} left{k['consequence']}.",
        cases=cases,
    )


def _filling_up(kind: str) -> Alert:
    """NodeFilesystem{Space,Files}FillingUp: under 40% and predicted to run out within a day."""
    k = _FS_KINDS[kind]
    free = k["free_share"]
    return Alert(
        f"NodeFilesystem{k['name']}FillingUp",
        dashboard="k8s-node", dashboard_vars=_NODE_VARS,
        expr=f"""
            (
              {k['free']}{_FS_SELECTOR} / {k['size']}{_FS_SELECTOR} * 100 < ${{threshold}}
            and
              predict_linear({k['free']}{_FS_SELECTOR}[${{trend_window}}], ${{horizon_hours}} * 60 * 60) < 0
            and
              node_filesystem_readonly{_FS_SELECTOR} == 0
            )
        """,
        params={"threshold": 40, "trend_window": Duration("6h"), "horizon_hours": 24},
        for_="60m",
        severity="warning",
        summary=f"Filesystem is predicted to run out of {kind} within ${{horizon_hours}} hours.",
        description=f"{_FILESYSTEM} has {_VALUE}% {kind} left and is filling up fast.",
        cases=[
            # 500 of 1000 free, -2.5 per 5m (5m apart, within the 5m lookback): under 40% from 3h30m, 35% at 5h, empty in ~11h.
            Case(f"fires at 35% {free} and falling",
                 series=filesystem(kind, "500-2.5x80", "1000x80", "0x80"),
                 at="5h", interval="5m", fires=[Fire(FS_LABELS, value=35)]),
            Case(f"silent at 41% {free} (just above the threshold) and falling",
                 series=filesystem(kind, "560-2.5x80", "1000x80", "0x80"),
                 at="5h", interval="5m"),
            Case("silent under 40% and falling for only 30m",
                 series=filesystem(kind, "500-2.5x80", "1000x80", "0x80"),
                 at="4h", interval="5m"),
            Case(f"silent at 35% {free} but stable",
                 series=filesystem(kind, "350x80", "1000x80", "0x80"),
                 at="5h", interval="5m"),
        ],
    )


def _network_errs(direction: str, *more_cases: Case) -> Alert:
    """NodeNetwork{Receive,Transmit}Errs: the same alert on the receive or the transmit error counter."""
    metric = f"node_network_{direction}_errs_total"
    return Alert(
        f"NodeNetwork{direction.capitalize()}Errs",
        dashboard="k8s-node", dashboard_vars=_NODE_VARS,
        expr=f"""
            increase({metric}{{${{node_exporter}}}}[${{window}}]) > ${{threshold}}
        """,
        params={"threshold": 10, "window": Duration("2m")},
        for_="60m",
        severity="warning",
        summary=f"Network interface is reporting many {direction} errors.",
        description="Interface {{ $labels.device }} on {{ $labels.instance }} has had "
                    f"{_VALUE} {direction} errors in the last ${{window}}.",
        cases=[
            # 5.5 errors a minute: 11 in any 2m window.
            Case("fires at 11 errors per 2m after 60m",
                 series=nic(metric, "0+5.5x80"),
                 at="70m", fires=[Fire(NIC, value=11)]),
            Case("silent at the threshold (10 errors per 2m)",
                 series=nic(metric, "0+5x80"), at="70m"),
            Case("silent above the threshold for less than 60m",
                 series=nic(metric, "0x20 0+5.5x60"), at="70m"),
            *more_cases,
        ],
    )


groups = [
    Group("node-filesystem", [
        _almost_out_of("space", cases=[
            Case("fires at 3% free after 60m",
                 series=filesystem("space", "3x80", "100x80", "0x80"),
                 at="70m", fires=[Fire(FS_LABELS, value=3)]),
            Case("silent just above the threshold (5% free)",
                 series=filesystem("space", "5x80", "100x80", "0x80"),
                 at="70m"),
            Case("silent below the threshold for less than 60m",
                 series=filesystem("space", "3x80", "100x80", "0x80"),
                 at="50m"),
            Case("silent on a read-only filesystem",
                 series=filesystem("space", "0x80", "100x80", "1x80"),
                 at="70m"),
        ]),
        _filling_up("space"),
        _almost_out_of("inodes", cases=[
            Case("fires at 2% inodes free after 60m",
                 series=filesystem("inodes", "2x80", "100x80", "0x80"),
                 at="70m", fires=[Fire(FS_LABELS, value=2)]),
            Case("silent at the threshold (3% free)",
                 series=filesystem("inodes", "3x80", "100x80", "0x80"),
                 at="70m"),
            Case("silent below the threshold for less than 60m",
                 series=filesystem("inodes", "2x80", "100x80", "0x80"),
                 at="40m"),
        ]),
        _filling_up("inodes"),
    ]),
    Group("node-network", [
        _network_errs("receive", Case("silent for a quiet interface",
                                      series=nic("node_network_receive_errs_total", "3x80"), at="70m")),
        _network_errs("transmit"),
        Alert(
            "NodeNetworkInterfaceFlapping",
            dashboard="k8s-node", dashboard_vars=_NODE_VARS,
            # Pod veth pairs come and go with every pod start and stop; they are not flapping.
            expr="""
                changes(node_network_up{${node_exporter}, device!~"${exclude_devices}"}[${window}]) > ${threshold}
            """,
            params={"threshold": 2, "window": Duration("2m"), "exclude_devices": "veth.+"},
            for_="2m",
            severity="warning",
            summary="Network interface is often changing its up status.",
            description="Interface {{ $labels.device }} on {{ $labels.instance }} changed its up status {{ $value | humanize }} times in the last ${window}.",
            cases=[
                # Scraped every 30s: a 2m window holds 5 samples.
                Case("fires when the link toggles at every scrape",
                     series=nic("node_network_up", "1 0 1 0 1 0 1 0 1 0 1 0 1 0 1 0 1 0 1 0"),
                     interval="30s", at="8m", fires=[Fire(NIC, value=4)]),
                Case("fires at 3 changes per 2m (just above the threshold)",
                     series=nic("node_network_up", "1 1 0 1 0 0 1 0 1 1 0 1 0 0 1 0 1 1 0 1"),
                     interval="30s", at="9m", fires=[Fire(NIC, value=3)]),
                Case("silent at 2 changes per 2m (the threshold)",
                     series=nic("node_network_up", "1 1 0 0 1 1 0 0 1 1 0 0 1 1 0 0 1 1 0 0"),
                     interval="30s", at="8m"),
                Case("silent when flapping for less than 2m",
                     series=nic("node_network_up", "1 1 1 1 1 1 1 1 1 1 1 1 1 0 1 0 1 0 1 0"),
                     interval="30s", at="8m"),
                Case("silent for a flapping veth device",
                     series=nic("node_network_up", "1 0 1 0 1 0 1 0 1 0 1 0 1 0 1 0 1 0 1 0", device="veth3f2a9c1"),
                     interval="30s", at="8m"),
            ],
        ),
        Alert(
            "NodeHighNumberConntrackEntriesUsed",
            dashboard="k8s-node", dashboard_vars=_NODE_VARS,
            expr="""
                node_nf_conntrack_entries{${node_exporter}} / node_nf_conntrack_entries_limit{${node_exporter}} * 100 > ${threshold}
            """,
            params={"threshold": 75},
            for_="5m",
            severity="warning",
            summary="More than ${threshold}% of the conntrack table is used.",
            description="{{ $value | humanize }}% of the conntrack entries are used on {{ $labels.instance }}; when the table is full the kernel drops new connections.",
            cases=[
                Case("fires at 75.1% after 5m",
                     series={**node("node_nf_conntrack_entries", "75100x10"),
                             **node("node_nf_conntrack_entries_limit", "100000x10")},
                     at="7m", fires=[Fire(NODE_1, value=75.1)]),
                Case("silent at the threshold (75%)",
                     series={**node("node_nf_conntrack_entries", "75000x10"),
                             **node("node_nf_conntrack_entries_limit", "100000x10")},
                     at="7m"),
                Case("silent above the threshold for less than 5m",
                     series={**node("node_nf_conntrack_entries", "40000x4 90000x6"),
                             **node("node_nf_conntrack_entries_limit", "100000x10")},
                     at="7m"),
            ],
        ),
    ]),
    Group("node-clock", [
        Alert(
            "NodeClockSkewDetected",
            dashboard="k8s-node", dashboard_vars=_NODE_VARS,
            # Only while the offset is not already shrinking: NTP slews large offsets back slowly.
            expr="""
                (
                  node_timex_offset_seconds{${node_exporter}} > ${threshold_seconds}
                and
                  deriv(node_timex_offset_seconds{${node_exporter}}[${deriv_window}]) >= 0
                )
                or
                (
                  node_timex_offset_seconds{${node_exporter}} < -${threshold_seconds}
                and
                  deriv(node_timex_offset_seconds{${node_exporter}}[${deriv_window}]) <= 0
                )
            """,
            params={"threshold_seconds": 0.05, "deriv_window": Duration("5m")},
            for_="10m",
            severity="warning",
            summary="Clock is skewed by more than ${threshold_seconds}s.",
            description="Clock on {{ $labels.instance }} is off by {{ $value | humanizeDuration }} and not converging; check NTP (chronyd/ntpd) on the node.",
            cases=[
                Case("fires at +60ms after 10m",
                     series=node("node_timex_offset_seconds", "0.06x20"),
                     at="15m", fires=[Fire(NODE_1, value=0.06)]),
                Case("fires at -60ms and drifting further",
                     series=node("node_timex_offset_seconds", "-0.06-0.001x20"),
                     at="15m", fires=[Fire(NODE_1, value=-0.075)]),
                Case("silent at +49ms (just under the threshold)",
                     series=node("node_timex_offset_seconds", "0.049x20"), at="15m"),
                Case("silent at +60ms while it is being corrected",
                     series=node("node_timex_offset_seconds", "0.08-0.001x20"), at="15m"),
                Case("silent when skewed for less than 10m",
                     series=node("node_timex_offset_seconds", "0x9 0.06x11"), at="15m"),
            ],
        ),
        Alert(
            "NodeClockNotSynchronising",
            dashboard="k8s-node", dashboard_vars=_NODE_VARS,
            # The condition is the sync status; the value is the kernel's maximum error estimate.
            expr="""
                node_timex_maxerror_seconds{${node_exporter}}
                and
                min_over_time(node_timex_sync_status{${node_exporter}}[${window}]) == 0
            """,
            params={"window": Duration("5m")},
            for_="10m",
            severity="warning",
            summary="Clock is not synchronising.",
            description="Clock on {{ $labels.instance }} is not being synchronised by NTP; the kernel estimates its error at up to {{ $value | humanizeDuration }}.",
            cases=[
                Case("fires after 15m unsynchronised",
                     series={**node("node_timex_sync_status", "0x20"),
                             **node("node_timex_maxerror_seconds", "16x20")},
                     at="15m", fires=[Fire(NODE_1, value=16)]),
                Case("silent when synchronised",
                     series={**node("node_timex_sync_status", "1x20"),
                             **node("node_timex_maxerror_seconds", "0.05x20")},
                     at="15m"),
                Case("silent once synchronised for a whole 5m window",
                     series={**node("node_timex_sync_status", "0x12 1x10"),
                             **node("node_timex_maxerror_seconds", "16x12 0.05x10")},
                     at="19m"),
                Case("silent when unsynchronised for less than 10m",
                     series={**node("node_timex_sync_status", "1x5 0x15"),
                             **node("node_timex_maxerror_seconds", "16x20")},
                     at="15m"),
            ],
        ),
    ]),
    Group("node-processes", [
        Alert(
            "NodePidsExhaustion",
            dashboard="k8s-node", dashboard_vars=_NODE_VARS,
            requires="node-exporter started with `--collector.processes`",
            # Every thread takes a PID: the thread count is what runs into kernel.pid_max and
            # kernel.threads-max (node_processes_pids counts processes only). Needs node-exporter's
            # `processes` collector (--collector.processes, off by default).
            expr="""
                (
                    label_replace(
                      node_processes_threads{${node_exporter}} / node_processes_max_processes{${node_exporter}},
                      "limit", "kernel.pid_max", "", ""
                    )
                  or
                    label_replace(
                      node_processes_threads{${node_exporter}} / node_processes_max_threads{${node_exporter}},
                      "limit", "kernel.threads-max", "", ""
                    )
                ) * 100 > ${threshold}
            """,
            params={"threshold": 80},
            for_="15m",
            severity="warning",
            summary="Node is running out of PIDs (over ${threshold}% of a kernel limit used).",
            description="{{ $labels.instance }} uses {{ $value | humanize }}% of {{ $labels.limit }}; when it is reached, fork() fails and new containers, probes and kubelet exec calls break. Look for leaking or <defunct> processes.",
            cases=[
                Case("fires at 82.4% of kernel.pid_max after 15m",
                     series=processes(27000, 32768, 126000),
                     at="20m", fires=[Fire({**NODE_1, "limit": "kernel.pid_max"}, value=27000 / 32768 * 100)]),
                Case("fires when kernel.threads-max is the lower limit",
                     series=processes(25000, 4194304, 30000),
                     at="20m", fires=[Fire({**NODE_1, "limit": "kernel.threads-max"}, value=25000 / 30000 * 100)]),
                Case("fires just above the threshold (80.003%)",
                     series=processes(26215, 32768, 126000),
                     at="20m", fires=[Fire({**NODE_1, "limit": "kernel.pid_max"}, value=26215 / 32768 * 100)]),
                Case("silent just under the threshold (79.997%)",
                     series=processes(26213, 32768, 126000), at="20m"),
                Case("silent above the threshold for less than 15m",
                     series={**node("node_processes_threads", "2000x10 27000x20"),
                             **node("node_processes_max_processes", "32768x30"),
                             **node("node_processes_max_threads", "126000x30")},
                     at="20m"),
            ],
        ),
    ]),
    Group("node-cpu", [
        Alert(
            "NodeCPUUsageImbalance",
            dashboard="k8s-cluster",
            # Cluster-wide: the busiest node is saturated while another one idles; pods
            # piled onto a few nodes (no anti-affinity or spread constraints).
            expr=f"""
                (
                    max({_UTIL})
                  -
                    min({_UTIL})
                ) > ${{spread_threshold}}
                and
                max({_UTIL}) > ${{busy_threshold}}
            """,
            params={"spread_threshold": 50, "busy_threshold": 80, "rate_window": Duration("5m"),
                    "exclude_instances": ""},
            for_="30m",
            severity="warning",
            summary="CPU load is unevenly spread across nodes.",
            description="CPU utilisation of the busiest and the idlest node differs by {{ $value | humanize }} percentage points, with the busiest over ${busy_threshold}%; pods are piling up on a few nodes.",
            cases=[
                # The seed's picture: two nodes at 99% and 97%, three at 9-19%.
                Case("fires with two saturated nodes and three idle ones",
                     series=cpu({"node-1:9100": 99, "node-2:9100": 97, "node-3:9100": 9,
                                  "node-4:9100": 19, "node-5:9100": 16}),
                     at="40m", fires=[Fire({}, value=90)]),
                Case("fires at a 51-point spread (just above the threshold)",
                     series=cpu({"node-1:9100": 85, "node-2:9100": 34}),
                     at="40m", fires=[Fire({}, value=51)]),
                Case("silent at a 49-point spread (just under the threshold)",
                     series=cpu({"node-1:9100": 85, "node-2:9100": 36}), at="40m"),
                Case("silent when the busiest node is under 80%",
                     series=cpu({"node-1:9100": 79, "node-2:9100": 5}), at="40m"),
                Case("silent when imbalanced for less than 30m",
                     series=cpu({"node-1:9100": 95, "node-2:9100": 10}), at="25m"),
                Case("silent when all nodes are busy",
                     series=cpu({"node-1:9100": 95, "node-2:9100": 90, "node-3:9100": 85}), at="40m"),
            ],
        ),
    ]),
]
