"""node-exporter series of node-1 (scrape target node-1:9100): a filesystem, a network
interface, node-wide gauges and counters, and per-node idle CPU time."""

_FS = 'device="/dev/sda1", fstype="ext4", mountpoint="/var/lib/containerd", instance="node-1:9100"'
FS_LABELS = {"device": "/dev/sda1", "fstype": "ext4", "mountpoint": "/var/lib/containerd",
             "instance": "node-1:9100", "job": "node-exporter"}


# node_exporter's free and total metric of a filesystem's space and of its inodes.
_FS_METRICS = {"space": ("node_filesystem_avail_bytes", "node_filesystem_size_bytes"),
               "inodes": ("node_filesystem_files_free", "node_filesystem_files")}


def filesystem(kind: str, free: str, size: str, readonly: str) -> dict:
    """The free and total series of the one filesystem's space or inodes (`kind`), and its
    read-only flag."""
    metric_free, metric_size = _FS_METRICS[kind]
    return {
        f"{metric_free}{{${{node_exporter}}, {_FS}}}": free,
        f"{metric_size}{{${{node_exporter}}, {_FS}}}": size,
        f"node_filesystem_readonly{{${{node_exporter}}, {_FS}}}": readonly,
    }


NODE_1 = {"instance": "node-1:9100", "job": "node-exporter"}
NIC = {"device": "eth0", "instance": "node-1:9100", "job": "node-exporter"}


def nic(metric: str, values: str, device: str = "eth0") -> dict:
    """One series of a network interface of node-1."""
    return {f'{metric}{{${{node_exporter}}, device="{device}", instance="node-1:9100"}}': values}


def node(metric: str, values: str) -> dict:
    """One node-wide series of node-1."""
    return {f'{metric}{{${{node_exporter}}, instance="node-1:9100"}}': values}


def processes(threads: int, pid_max: int, threads_max: int, n: int = 30) -> dict:
    """Constant thread count and kernel limits (pid_max, threads-max) of node-1."""
    return {**node("node_processes_threads", f"{threads}x{n}"),
            **node("node_processes_max_processes", f"{pid_max}x{n}"),
            **node("node_processes_max_threads", f"{threads_max}x{n}")}


def cpu(busy_percent: dict[str, float], n: int = 50) -> dict:
    """One CPU per node; idle seconds grow by (100 - busy)% of each 60s step."""
    return {
        f'node_cpu_seconds_total{{${{node_exporter}}, instance="{instance}", cpu="0", mode="idle"}}':
            f"0+{(100 - busy) * 60 / 100:g}x{n}"
        for instance, busy in busy_percent.items()
    }
