"""Nodes (node-exporter): filesystem space and inodes, now and predicted."""

from gen.model import Alert, Case, Duration, Fire, Group

_FS = 'device="/dev/sda1", fstype="ext4", mountpoint="/var/lib/containerd", instance="node-1:9100"'
_FS_LABELS = {"device": "/dev/sda1", "fstype": "ext4", "mountpoint": "/var/lib/containerd",
              "instance": "node-1:9100", "job": "node-exporter"}


def _fs_series(metric_free: str, metric_size: str, free: str, size: str, readonly: str = "0x500") -> dict:
    return {
        f"{metric_free}{{${{node_exporter}}, {_FS}}}": free,
        f"{metric_size}{{${{node_exporter}}, {_FS}}}": size,
        f"node_filesystem_readonly{{${{node_exporter}}, {_FS}}}": readonly,
    }


groups = [
    Group("node-filesystem", [
        Alert(
            "NodeFilesystemAlmostOutOfSpace",
            expr="""
                (
                  node_filesystem_avail_bytes{${node_exporter}, fstype!=""} / node_filesystem_size_bytes{${node_exporter}, fstype!=""} * 100 < ${threshold}
                and
                  node_filesystem_readonly{${node_exporter}, fstype!=""} == 0
                )
            """,
            params={"threshold": 5},
            for_="60m",
            severity="critical",
            summary="Filesystem has less than ${threshold}% space left.",
            description="Filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }} has only {{ $value | humanize }}% space left.",
            cases=[
                Case("fires at 3% free after 60m",
                     series=_fs_series("node_filesystem_avail_bytes", "node_filesystem_size_bytes", "3x80", "100x80", "0x80"),
                     at="70m", fires=[Fire(_FS_LABELS, value=3)]),
                Case("silent just above the threshold (5% free)",
                     series=_fs_series("node_filesystem_avail_bytes", "node_filesystem_size_bytes", "5x80", "100x80", "0x80"),
                     at="70m"),
                Case("silent below the threshold for less than 60m",
                     series=_fs_series("node_filesystem_avail_bytes", "node_filesystem_size_bytes", "3x80", "100x80", "0x80"),
                     at="50m"),
                Case("silent on a read-only filesystem",
                     series=_fs_series("node_filesystem_avail_bytes", "node_filesystem_size_bytes", "0x80", "100x80", "1x80"),
                     at="70m"),
            ],
        ),
        Alert(
            "NodeFilesystemSpaceFillingUp",
            expr="""
                (
                  node_filesystem_avail_bytes{${node_exporter}, fstype!=""} / node_filesystem_size_bytes{${node_exporter}, fstype!=""} * 100 < ${threshold}
                and
                  predict_linear(node_filesystem_avail_bytes{${node_exporter}, fstype!=""}[${trend_window}], ${horizon_hours} * 60 * 60) < 0
                and
                  node_filesystem_readonly{${node_exporter}, fstype!=""} == 0
                )
            """,
            params={"threshold": 40, "trend_window": Duration("6h"), "horizon_hours": 24},
            for_="60m",
            severity="warning",
            summary="Filesystem is predicted to run out of space within ${horizon_hours} hours.",
            description="Filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }} has {{ $value | humanize }}% space left and is filling up fast.",
            cases=[
                # 500 of 1000 free, -2.5 per 5m (5m apart, within the 5m lookback): under 40% from 3h30m, 35% at 5h, empty in ~11h.
                Case("fires at 35% free and falling",
                     series=_fs_series("node_filesystem_avail_bytes", "node_filesystem_size_bytes", "500-2.5x80", "1000x80", "0x80"),
                     at="5h", interval="5m", fires=[Fire(_FS_LABELS, value=35)]),
                Case("silent at 41% free (just above the threshold) and falling",
                     series=_fs_series("node_filesystem_avail_bytes", "node_filesystem_size_bytes", "560-2.5x80", "1000x80", "0x80"),
                     at="5h", interval="5m"),
                Case("silent under 40% and falling for only 30m",
                     series=_fs_series("node_filesystem_avail_bytes", "node_filesystem_size_bytes", "500-2.5x80", "1000x80", "0x80"),
                     at="4h", interval="5m"),
                Case("silent at 35% free but stable",
                     series=_fs_series("node_filesystem_avail_bytes", "node_filesystem_size_bytes", "350x80", "1000x80", "0x80"),
                     at="5h", interval="5m"),
            ],
        ),
        Alert(
            "NodeFilesystemAlmostOutOfFiles",
            expr="""
                (
                  node_filesystem_files_free{${node_exporter}, fstype!=""} / node_filesystem_files{${node_exporter}, fstype!=""} * 100 < ${threshold}
                and
                  node_filesystem_readonly{${node_exporter}, fstype!=""} == 0
                )
            """,
            params={"threshold": 3},
            for_="60m",
            severity="critical",
            summary="Filesystem has less than ${threshold}% inodes left.",
            description="Filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }} has only {{ $value | humanize }}% inodes left; new files cannot be created.",
            cases=[
                Case("fires at 2% inodes free after 60m",
                     series=_fs_series("node_filesystem_files_free", "node_filesystem_files", "2x80", "100x80", "0x80"),
                     at="70m", fires=[Fire(_FS_LABELS, value=2)]),
                Case("silent at the threshold (3% free)",
                     series=_fs_series("node_filesystem_files_free", "node_filesystem_files", "3x80", "100x80", "0x80"),
                     at="70m"),
                Case("silent below the threshold for less than 60m",
                     series=_fs_series("node_filesystem_files_free", "node_filesystem_files", "2x80", "100x80", "0x80"),
                     at="40m"),
            ],
        ),
        Alert(
            "NodeFilesystemFilesFillingUp",
            expr="""
                (
                  node_filesystem_files_free{${node_exporter}, fstype!=""} / node_filesystem_files{${node_exporter}, fstype!=""} * 100 < ${threshold}
                and
                  predict_linear(node_filesystem_files_free{${node_exporter}, fstype!=""}[${trend_window}], ${horizon_hours} * 60 * 60) < 0
                and
                  node_filesystem_readonly{${node_exporter}, fstype!=""} == 0
                )
            """,
            params={"threshold": 40, "trend_window": Duration("6h"), "horizon_hours": 24},
            for_="60m",
            severity="warning",
            summary="Filesystem is predicted to run out of inodes within ${horizon_hours} hours.",
            description="Filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }} has {{ $value | humanize }}% inodes left and is filling up fast.",
            cases=[
                Case("fires at 35% inodes free and falling",
                     series=_fs_series("node_filesystem_files_free", "node_filesystem_files", "500-2.5x80", "1000x80", "0x80"),
                     at="5h", interval="5m", fires=[Fire(_FS_LABELS, value=35)]),
                Case("silent at 41% inodes free (just above the threshold) and falling",
                     series=_fs_series("node_filesystem_files_free", "node_filesystem_files", "560-2.5x80", "1000x80", "0x80"),
                     at="5h", interval="5m"),
                Case("silent under 40% and falling for only 30m",
                     series=_fs_series("node_filesystem_files_free", "node_filesystem_files", "500-2.5x80", "1000x80", "0x80"),
                     at="4h", interval="5m"),
                Case("silent at 35% inodes free but stable",
                     series=_fs_series("node_filesystem_files_free", "node_filesystem_files", "350x80", "1000x80", "0x80"),
                     at="5h", interval="5m"),
            ],
        ),
    ]),
]
