"""Node details (seed 001, 添加常用监控: "Node Details"; 巡检: 物理机的巡检).

One node: readiness and pod capacity (kube-state-metrics, kubelet), then the machine as
node-exporter sees it: CPU and load, memory, disk I/O, filesystem space and inodes with the
alerts' thresholds, network traffic and errors, conntrack, PIDs, clock; the pods on it link
to the pod dashboard.

Which node-exporter target is the node: node-exporter runs on the host network (its
DaemonSet does), so the IP of its `instance` is the node's InternalIP, which kube_node_info
gives with the node's name. That holds where the node is not named after its host (ACK and
TKE name nodes by IP or ID), which `node_uname_info`'s nodename, the host name, does not. The
dashboard is opened either with
`var-node` (a Kubernetes node name: cluster overview, kubelet alerts) or with `var-instance`
(node-exporter alerts, which carry only the target): `instance` narrows the node list, All
by default, and the node picks its node-exporter target (`exporter`, hidden).
"""

from gen.dash.model import AlertLine, Dashboard, Fixture, Link, Row, Variable, cell

from ._kube import active_pods, cadvisor, ksm, node_exporter, sel
from ._panels import READY, Column, stat, steps, table, top_by_peak, ts

_T = 'instance="$exporter"'
_NODE = 'node="$node"'
_DISKS = 'device=~"(/dev/)?(mmcblk.p.+|nvme.+|rbd.+|sd.+|vd.+|xvd.+|dm-.+|md.+|dasd.+)"'
_NICS = 'device!~"lo|veth.+|cali.+|flannel.+|cni.+|docker.+|tunl.+|vxlan.+|kube-ipvs.+|lxc.+|genev_sys.+"'
_FS = 'fstype!="", mountpoint!=""'


_PRESSURES = "MemoryPressure|DiskPressure|PIDPressure"
_PLEG_P99 = "node_quantile:kubelet_pleg_relist_duration_seconds:histogram_quantile"  # rules_src/kubelet.py's record
# The kubelet of this node: its kubelet_node_name series names it.
_THIS_KUBELET = " * on (instance) group_left () max by (instance) (" + sel("kubelet_node_name", "kubelet", _NODE) + ")"


def _requested(resource: str) -> str:
    """Requests of the Pending and Running pods on this node."""
    return ("sum(" + ksm("kube_pod_container_resource_requests", _NODE, f'resource="{resource}"')
            + " * on (namespace, pod) group_left () " + active_pods() + ")")


def _requested_share(resource: str) -> str:
    allocatable = ksm("kube_node_status_allocatable", _NODE, f'resource="{resource}"')
    return f"100 * {_requested(resource)} / max({allocatable})"


def _by_ip(expr: str) -> str:
    """node-exporter series with the IP of their scrape address as `internal_ip`."""
    return 'label_replace(' + expr + ', "internal_ip", "$1", "instance", "(.+):[0-9]+")'


def ne(metric: str, *matchers: str) -> str:
    """A node-exporter series of this node."""
    return node_exporter(metric, _T, *matchers)


def _rate(expr: str) -> str:
    return "rate(" + expr + "[$__rate_interval])"


_CORES = "count(" + ne("node_cpu_seconds_total", 'mode="idle"') + ")"
_ON_NODE = "max by (namespace, pod) (" + ksm("kube_pod_info", _NODE) + ")"


def _pods_on_node(expr: str) -> str:
    """A per-container (or per-pod) series summed per pod, for the pods of this node."""
    return "sum by (namespace, pod) (" + expr + " * on (namespace, pod) group_left () " + _ON_NODE + ")"


_POD_LINK_TABLE = Link("Pod details", "k8s-pod", {"namespace": "${__data.fields.namespace}", "pod": "${__data.fields.pod}"})
_POD_LINK_SERIES = Link("Pod details", "k8s-pod", {"namespace": "${__field.labels.namespace}", "pod": "${__field.labels.pod}"})

dashboard = Dashboard(
    uid="k8s-node",
    title="Kubernetes / Node details",
    description="One node: readiness, pods against capacity, CPU, load, memory, disk I/O, filesystems and "
                "inodes against the alert thresholds, network, conntrack, PIDs, clock; its pods.",
    tags=["nodes"],
    links=["k8s-cluster", "k8s-pod"],
    variables=[
        Variable("instance", "label_values(" + node_exporter("node_uname_info") + ", instance)", title="Exporter filter",
                 include_all=True, all_value=".*"),
        Variable("node", "query_result(max by (node) (" + ksm("kube_node_info") + " * on (internal_ip) group_left () "
                 "max by (internal_ip) (" + _by_ip(node_exporter("node_uname_info", 'instance=~"$instance"')) + ")))",
                 title="Node", regex='/node="([^"]+)"/'),
        Variable("exporter", "query_result(max by (instance) (" + _by_ip(node_exporter("node_uname_info"))
                 + " * on (internal_ip) group_left () max by (internal_ip) (" + ksm("kube_node_info", _NODE) + ")))",
                 label="instance", hide=True, regex='/instance="([^"]+)"/'),
    ],
    rows=[
        Row("Overview", [
            cell(stat("Ready", "short", ("max(" + ksm("kube_node_status_condition", _NODE, 'condition="Ready"', 'status="true"') + ")", "Ready"),
                      mappings=READY, color_mode="background",
                      description="The node's Ready condition as the kubelet reports it. NotReady (False or Unknown): "
                                  "no new pods start there, and KubeNodeNotReady fires after 15m."), width=3),
            cell(stat("Schedulable", "short", ("max(" + ksm("kube_node_spec_unschedulable", _NODE) + ")", "cordoned"),
                      mappings=[{"type": "value", "options": {"0": {"text": "yes", "color": "green", "index": 0},
                                                              "1": {"text": "cordoned", "color": "orange", "index": 1}}}],
                      color_mode="background",
                      description="cordoned: marked unschedulable (kubectl cordon, drain), so no new pods land here; "
                                  "the running ones stay."), width=3),
            cell(stat("Pods against capacity", "percentunit",
                      ("max(" + sel("kubelet_running_pods", "kubelet") + " * on (instance) group_left (node) "
                       + sel("kubelet_node_name", "kubelet", _NODE) + ") / max(" + ksm("kube_node_status_capacity", _NODE, 'resource="pods"') + ")",
                       "pods"),
                      description="Pods the kubelet runs against the node's pod capacity (KubeletTooManyPods)."),
                 width=4, alert=AlertLine("KubeletTooManyPods")),
            cell(stat("CPU cores", "short", (_CORES, "cores"),
                      description="Logical CPUs as node-exporter counts them: the machine's capacity, before what "
                                  "the kubelet reserves for the system."), width=3),
            cell(stat("Memory", "bytes", ("max(" + ne("node_memory_MemTotal_bytes") + ")", "total"),
                      description="Physical memory of the machine (MemTotal), before what the kubelet reserves for "
                                  "the system."), width=3),
            cell(stat("Uptime", "s", ("time() - max(" + ne("node_boot_time_seconds") + ")", "uptime"),
                      description="Time since the machine booted. Shorter than expected means an unplanned reboot "
                                  "(kernel panic, host maintenance), which restarted its pods."), width=4),
            cell(stat("OOM kills (window)", "short", ("round(sum(increase(" + ne("node_vmstat_oom_kill") + "[$__range])))", "OOM kills"),
                      thresholds=steps(("red", 1)), description="Processes the kernel killed for lack of memory, "
                                                                "inside or outside containers."), width=4),
        ], height=4),
        Row("Saturation: pressure, requests, stalls", [
            cell(stat("Pressure conditions", "short",
                      ("max by (condition) (" + ksm("kube_node_status_condition", _NODE, f'condition=~"{_PRESSURES}"',
                                                    'status="true"') + ")", "{{condition}}"),
                      mappings=[{"type": "value", "options": {"0": {"text": "no", "color": "green", "index": 0},
                                                              "1": {"text": "yes", "color": "red", "index": 1}}}],
                      color_mode="background",
                      description="The kubelet's pressure conditions: under MemoryPressure, DiskPressure or "
                                  "PIDPressure it evicts pods and takes no new ones (seed: evictions)."), width=6),
            cell(stat("Requests, % of allocatable", "percent",
                      (_requested_share("cpu"), "CPU"), (_requested_share("memory"), "memory"),
                      thresholds=steps(("orange", 70), ("red", 90)),
                      description="Requests of the Pending and Running pods on this node against what it can "
                                  "allocate: near 100% the scheduler places nothing more here, whatever the usage. "
                                  "The pods below say which take the most."), width=6),
            cell(ts("Pressure stall (PSI): time some task waited", "percentunit",
                    (_rate(ne("node_pressure_cpu_waiting_seconds_total")), "CPU"),
                    (_rate(ne("node_pressure_memory_waiting_seconds_total")), "memory"),
                    (_rate(ne("node_pressure_io_waiting_seconds_total")), "I/O"), fill=0,
                    description="Share of time at least one task waited for CPU, memory or I/O (the kernel's PSI, "
                                "node-exporter's pressure collector; empty on kernels without /proc/pressure). "
                                "Memory above a few % means reclaim stalls: the node is saturated before it "
                                "is full."), width=12),
        ], height=6),
        Row("CPU and memory", [
            cell(ts("CPU usage by mode", "percentunit",
                    ("sum by (mode) (" + _rate(ne("node_cpu_seconds_total", 'mode!="idle"')) + ") / scalar(" + _CORES + ")", "{{mode}}"),
                    stack=True, description="Share of all cores; iowait is time waiting for disks.")),
            cell(ts("Load average", "short",
                    ("max(" + ne("node_load1") + ")", "1m"), ("max(" + ne("node_load5") + ")", "5m"),
                    ("max(" + ne("node_load15") + ")", "15m"), (_CORES, "cores"), fill=0,
                    description="Runnable and uninterruptible tasks; above the core count, work waits.")),
            cell(ts("Memory", "bytes",
                    ("max(" + ne("node_memory_MemTotal_bytes") + ") - max(" + ne("node_memory_MemAvailable_bytes") + ")", "used"),
                    ("max(" + ne("node_memory_Buffers_bytes") + ") + max(" + ne("node_memory_Cached_bytes") + ")", "buffers and cache"),
                    ("max(" + ne("node_memory_MemAvailable_bytes") + ")", "available"),
                    ("max(" + ne("node_memory_MemTotal_bytes") + ")", "total"), fill=0,
                    description="used is total minus available; buffers and cache are mostly reclaimable. As "
                                "available nears 0 the kubelet evicts pods and the kernel OOM-kills processes (OOM "
                                "kills above).")),
        ], height=8),
        Row("Disks and filesystems", [
            cell(ts("Disk throughput", "Bps",
                    ("sum by (device) (" + _rate(ne("node_disk_read_bytes_total", _DISKS)) + ")", "{{device}} read"),
                    ("sum by (device) (" + _rate(ne("node_disk_written_bytes_total", _DISKS)) + ")", "{{device}} written"), fill=0,
                    description="Bytes per second read and written per block device. Disk busy high at low "
                                "throughput means small random I/O: see Disk IOPS."), width=8),
            cell(ts("Disk busy", "percentunit",
                    ("sum by (device) (" + _rate(ne("node_disk_io_time_seconds_total", _DISKS)) + ")", "{{device}}"), fill=0,
                    description="Share of time the device had I/O in flight; near 100% it is saturated (etcd and "
                                "container logs suffer first)."), width=8),
            cell(ts("Disk IOPS", "iops",
                    ("sum by (device) (" + _rate(ne("node_disk_reads_completed_total", _DISKS)) + ")", "{{device}} reads"),
                    ("sum by (device) (" + _rate(ne("node_disk_writes_completed_total", _DISKS)) + ")", "{{device}} writes"), fill=0,
                    description="Reads and writes completed per second per block device. A flat top with Disk busy "
                                "near 100% is usually the volume's IOPS limit (cloud disks)."), width=8),
            cell(ts("Disk latency", "s",
                    ("sum by (device) (" + _rate(ne("node_disk_read_time_seconds_total", _DISKS)) + ") / sum by (device) ("
                     + _rate(ne("node_disk_reads_completed_total", _DISKS)) + ")", "{{device}} read"),
                    ("sum by (device) (" + _rate(ne("node_disk_write_time_seconds_total", _DISKS)) + ") / sum by (device) ("
                     + _rate(ne("node_disk_writes_completed_total", _DISKS)) + ")", "{{device}} write"), fill=0,
                    description="Average time a read or write took per device. Milliseconds on SSDs; tens of "
                                "milliseconds make etcd and databases on this node slow."), width=12),
            cell(ts("Disk queue depth", "short",
                    ("sum by (device) (" + _rate(ne("node_disk_io_time_weighted_seconds_total", _DISKS)) + ")", "{{device}}"),
                    fill=0, description="Average number of I/O requests in flight per device. Well above the "
                                        "device's parallelism (1 for a spinning disk) means requests queue."), width=12),
            cell(ts("Filesystem space available", "percent",
                    ("100 * " + ne("node_filesystem_avail_bytes", _FS) + " / " + ne("node_filesystem_size_bytes", _FS), "{{mountpoint}}"),
                    fill=0, description="Lines: NodeFilesystemAlmostOutOfSpace (red) fires below it; "
                                        "NodeFilesystemSpaceFillingUp (orange) below it when predicted to fill up."),
                 width=12, alert=[AlertLine("NodeFilesystemAlmostOutOfSpace"),
                                  AlertLine("NodeFilesystemSpaceFillingUp", color="orange")]),
            cell(ts("Inodes available", "percent",
                    ("100 * " + ne("node_filesystem_files_free", _FS) + " / " + ne("node_filesystem_files", _FS), "{{mountpoint}}"),
                    fill=0, description="Lines: NodeFilesystemAlmostOutOfFiles (red), NodeFilesystemFilesFillingUp (orange)."),
                 width=12, alert=[AlertLine("NodeFilesystemAlmostOutOfFiles"),
                                  AlertLine("NodeFilesystemFilesFillingUp", color="orange")]),
        ], height=8),
        Row("Network", [
            cell(ts("Network traffic", "bps",
                    ("sum by (device) (" + _rate(ne("node_network_receive_bytes_total", _NICS)) + ") * 8", "{{device}} received"),
                    ("sum by (device) (" + _rate(ne("node_network_transmit_bytes_total", _NICS)) + ") * 8", "{{device}} sent"), fill=0,
                    description="Bits per second per physical interface (container veths and overlay tunnels left "
                                "out), to compare with the NIC's speed.")),
            cell(ts("Network errors and drops", "pps",
                    ("sum by (device) (" + _rate(ne("node_network_receive_errs_total", _NICS)) + ")", "{{device}} receive errors"),
                    ("sum by (device) (" + _rate(ne("node_network_transmit_errs_total", _NICS)) + ")", "{{device}} transmit errors"),
                    ("sum by (device) (" + _rate(ne("node_network_receive_drop_total", _NICS)) + ")", "{{device}} receive drops"),
                    ("sum by (device) (" + _rate(ne("node_network_transmit_drop_total", _NICS)) + ")", "{{device}} transmit drops"),
                    fill=0, description="NodeNetworkReceiveErrs/TransmitErrs count errors over a short window.")),
            cell(ts("Conntrack table used", "percent",
                    ("100 * max(" + ne("node_nf_conntrack_entries") + ") / max(" + ne("node_nf_conntrack_entries_limit") + ")", "used"),
                    fill=0, description="When full, the kernel drops new connections."),
                 alert=AlertLine("NodeHighNumberConntrackEntriesUsed")),
        ], height=8),
        Row("Processes and clock", [
            cell(ts("PIDs used", "percent",
                    ("100 * max(" + ne("node_processes_threads") + ") / max(" + ne("node_processes_max_processes") + ")", "of kernel.pid_max"),
                    ("100 * max(" + ne("node_processes_threads") + ") / max(" + ne("node_processes_max_threads") + ")", "of kernel.threads-max"),
                    fill=0, description="Threads against the kernel's limits. Needs node-exporter started with --collector.processes "
                                        "(off by default): without it this panel and NodePidsExhaustion stay empty. "
                                        "Leaking <defunct> processes show as a steady climb."),
                 alert=AlertLine("NodePidsExhaustion")),
            cell(ts("Clock offset", "s",
                    ("max(" + ne("node_timex_offset_seconds") + ")", "offset"),
                    ("max(" + ne("node_timex_maxerror_seconds") + ")", "maximum error"), fill=0, min_zero=False,
                    description="Offset from the NTP reference; lines at ± NodeClockSkewDetected's threshold."),
                 alert=[AlertLine("NodeClockSkewDetected", param="threshold_seconds"),
                        AlertLine("NodeClockSkewDetected", param="threshold_seconds", scale=-1)]),
            cell(stat("Clock synchronised", "short", ("min(" + ne("node_timex_sync_status") + ")", "sync"),
                      mappings=[{"type": "value", "options": {"0": {"text": "not synchronised", "color": "red", "index": 0},
                                                              "1": {"text": "synchronised", "color": "green", "index": 1}}}],
                      color_mode="background",
                      description="Whether the kernel reports the clock synchronised by NTP. not synchronised: "
                                  "NodeClockNotSynchronising fires once it stays so; TLS and etcd suffer from drift."),
                 width=4),
        ], height=7),
        Row("Kubelet", [
            cell(ts("PLEG relist duration, p99", "s",
                    (sel(_PLEG_P99, "recorded", _NODE, 'quantile="0.99"'), "p99"), fill=0,
                    description="How long the kubelet takes to relist the containers of its pods: slow relists "
                                "(a busy container runtime, too many containers) make the node NotReady. The line "
                                "is KubeletPlegDurationHigh's threshold."),
                 width=12, alert=AlertLine("KubeletPlegDurationHigh", "threshold_seconds")),
            cell(ts("Pod start latency, p99", "s",
                    ("histogram_quantile(0.99, sum by (le) (" + _rate(sel("kubelet_pod_start_sli_duration_seconds_bucket", "kubelet"))
                     + _THIS_KUBELET + "))", "p99"), fill=0,
                    description="From a pod's creation to its containers running, image pulls excluded "
                                "(kubelet_pod_start_sli_duration_seconds, Kubernetes 1.27+). The line is "
                                "KubeletPodStartUpLatencyHigh's threshold."),
                 width=12, alert=AlertLine("KubeletPodStartUpLatencyHigh", "threshold_seconds")),
        ], height=7),
        Row("Pods on this node", [
            cell(table("Pods", ["namespace", "pod"], [
                Column("CPU used", _pods_on_node(_rate(cadvisor("container_cpu_usage_seconds_total", 'container!=""')))),
                Column("CPU requests", _pods_on_node(ksm("kube_pod_container_resource_requests", 'resource="cpu"'))),
                Column("Memory used", _pods_on_node(cadvisor("container_memory_working_set_bytes", 'container!=""')), "bytes"),
                Column("Memory requests", _pods_on_node(ksm("kube_pod_container_resource_requests", 'resource="memory"')), "bytes"),
                Column("Restarts (window)", "round(" + _pods_on_node("increase(" + ksm("kube_pod_container_status_restarts_total") + "[$__range])") + ")"),
                Column("Running", "max by (namespace, pod) (" + ksm("kube_pod_status_phase", 'phase="Running"') + ") * on (namespace, pod) group_left () "
                       + _ON_NODE, mappings=[{"type": "value", "options": {
                           "0": {"text": "no", "color": "orange", "index": 0}, "1": {"text": "yes", "color": "green", "index": 1}}}]),
            ], description="CPU in cores. Click a pod for its details."), width=14, links=[_POD_LINK_TABLE]),
            cell(ts("CPU used by pod (top 10)", "short",
                    (top_by_peak(_pods_on_node(_rate(cadvisor("container_cpu_usage_seconds_total", 'container!=""'))), "namespace, pod"),
                     "{{namespace}}/{{pod}}"), description="Cores.", stack=True), width=10, links=[_POD_LINK_SERIES]),
        ], height=10),
    ],
    fixture=Fixture(
        series={
            # The node is not named after its host (as on ACK): the InternalIP maps the two.
            'node_uname_info{${node_exporter}, instance="10.0.1.5:9100", nodename="iZbp1abc", sysname="Linux", release="6.1.0-18-amd64", machine="x86_64"}': "1x20",
            'kube_node_info{${kube_state_metrics}, node="node-1", internal_ip="10.0.1.5", kubelet_version="v1.29.4"}': "1x20",
            'kube_node_status_condition{${kube_state_metrics}, node="node-1", condition="Ready", status="true"}': "1x20",
            'kube_node_spec_unschedulable{${kube_state_metrics}, node="node-1"}': "0x20",
            'kubelet_running_pods{${kubelet}, instance="10.0.1.5:10250"}': "2x20",
            'kubelet_node_name{${kubelet}, instance="10.0.1.5:10250", node="node-1"}': "1x20",
            'kube_node_status_capacity{${kube_state_metrics}, node="node-1", resource="pods", unit="integer"}': "110x20",
            'node_cpu_seconds_total{${node_exporter}, instance="10.0.1.5:9100", cpu="0", mode="idle"}': "0+40x20",
            'node_cpu_seconds_total{${node_exporter}, instance="10.0.1.5:9100", cpu="0", mode="user"}': "0+15x20",
            'node_cpu_seconds_total{${node_exporter}, instance="10.0.1.5:9100", cpu="0", mode="iowait"}': "0+5x20",
            'node_load1{${node_exporter}, instance="10.0.1.5:9100"}': "0.8x20",
            'node_load5{${node_exporter}, instance="10.0.1.5:9100"}': "0.7x20",
            'node_load15{${node_exporter}, instance="10.0.1.5:9100"}': "0.6x20",
            'node_memory_MemTotal_bytes{${node_exporter}, instance="10.0.1.5:9100"}': "16777216000x20",
            'node_memory_MemAvailable_bytes{${node_exporter}, instance="10.0.1.5:9100"}': "8388608000x20",
            'node_memory_Buffers_bytes{${node_exporter}, instance="10.0.1.5:9100"}': "104857600x20",
            'node_memory_Cached_bytes{${node_exporter}, instance="10.0.1.5:9100"}': "4194304000x20",
            'node_boot_time_seconds{${node_exporter}, instance="10.0.1.5:9100"}': "100x20",
            'node_vmstat_oom_kill{${node_exporter}, instance="10.0.1.5:9100"}': "0x4 1x15",
            'node_disk_read_bytes_total{${node_exporter}, instance="10.0.1.5:9100", device="nvme0n1"}': "0+6000000x20",
            'node_disk_written_bytes_total{${node_exporter}, instance="10.0.1.5:9100", device="nvme0n1"}': "0+12000000x20",
            'node_disk_io_time_seconds_total{${node_exporter}, instance="10.0.1.5:9100", device="nvme0n1"}': "0+12x20",
            'node_disk_reads_completed_total{${node_exporter}, instance="10.0.1.5:9100", device="nvme0n1"}': "0+3000x20",
            'node_disk_writes_completed_total{${node_exporter}, instance="10.0.1.5:9100", device="nvme0n1"}': "0+6000x20",
            'node_filesystem_avail_bytes{${node_exporter}, instance="10.0.1.5:9100", device="/dev/nvme0n1p1", fstype="ext4", mountpoint="/"}': "30000000000x20",
            'node_filesystem_size_bytes{${node_exporter}, instance="10.0.1.5:9100", device="/dev/nvme0n1p1", fstype="ext4", mountpoint="/"}': "100000000000x20",
            'node_filesystem_files_free{${node_exporter}, instance="10.0.1.5:9100", device="/dev/nvme0n1p1", fstype="ext4", mountpoint="/"}': "5000000x20",
            'node_filesystem_files{${node_exporter}, instance="10.0.1.5:9100", device="/dev/nvme0n1p1", fstype="ext4", mountpoint="/"}': "6553600x20",
            'node_network_receive_bytes_total{${node_exporter}, instance="10.0.1.5:9100", device="eth0"}': "0+60000000x20",
            'node_network_transmit_bytes_total{${node_exporter}, instance="10.0.1.5:9100", device="eth0"}': "0+30000000x20",
            'node_network_receive_errs_total{${node_exporter}, instance="10.0.1.5:9100", device="eth0"}': "0+1x20",
            'node_network_transmit_errs_total{${node_exporter}, instance="10.0.1.5:9100", device="eth0"}': "0x20",
            'node_network_receive_drop_total{${node_exporter}, instance="10.0.1.5:9100", device="eth0"}': "0+2x20",
            'node_network_transmit_drop_total{${node_exporter}, instance="10.0.1.5:9100", device="eth0"}': "0x20",
            'node_disk_read_time_seconds_total{${node_exporter}, instance="10.0.1.5:9100", device="nvme0n1"}': "0+3x20",
            'node_disk_write_time_seconds_total{${node_exporter}, instance="10.0.1.5:9100", device="nvme0n1"}': "0+12x20",
            'node_disk_io_time_weighted_seconds_total{${node_exporter}, instance="10.0.1.5:9100", device="nvme0n1"}': "0+30x20",
            'node_pressure_cpu_waiting_seconds_total{${node_exporter}, instance="10.0.1.5:9100"}': "0+3x20",
            'node_pressure_memory_waiting_seconds_total{${node_exporter}, instance="10.0.1.5:9100"}': "0+0.6x20",
            'node_pressure_io_waiting_seconds_total{${node_exporter}, instance="10.0.1.5:9100"}': "0+1.2x20",
            'kube_node_status_condition{${kube_state_metrics}, node="node-1", condition="MemoryPressure", status="true"}': "0x20",
            'kube_node_status_condition{${kube_state_metrics}, node="node-1", condition="DiskPressure", status="true"}': "0x20",
            'kube_node_status_condition{${kube_state_metrics}, node="node-1", condition="PIDPressure", status="true"}': "0x20",
            'kube_node_status_allocatable{${kube_state_metrics}, node="node-1", resource="cpu", unit="core"}': "3.8x20",
            'kube_node_status_allocatable{${kube_state_metrics}, node="node-1", resource="memory", unit="byte"}': "15000000000x20",
            'node_quantile:kubelet_pleg_relist_duration_seconds:histogram_quantile{node="node-1", instance="10.0.1.5:10250", quantile="0.99"}': "0.4x20",
            **{f'kubelet_pod_start_sli_duration_seconds_bucket{{${{kubelet}}, instance="10.0.1.5:10250", le="{le}"}}': f"0+{n}x20"
               for le, n in (("1", 4), ("5", 9), ("+Inf", 10))},
            'node_nf_conntrack_entries{${node_exporter}, instance="10.0.1.5:9100"}': "20000x20",
            'node_nf_conntrack_entries_limit{${node_exporter}, instance="10.0.1.5:9100"}': "262144x20",
            'node_processes_threads{${node_exporter}, instance="10.0.1.5:9100"}': "1500x20",
            'node_processes_max_processes{${node_exporter}, instance="10.0.1.5:9100"}': "4194304x20",
            'node_processes_max_threads{${node_exporter}, instance="10.0.1.5:9100"}': "126000x20",
            'node_timex_offset_seconds{${node_exporter}, instance="10.0.1.5:9100"}': "0.002x20",
            'node_timex_maxerror_seconds{${node_exporter}, instance="10.0.1.5:9100"}': "0.01x20",
            'node_timex_sync_status{${node_exporter}, instance="10.0.1.5:9100"}': "1x20",
            # A pod on node-1.
            'kube_pod_info{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", node="node-1", host_ip="10.0.1.5", pod_ip="10.244.1.7", created_by_kind="ReplicaSet", created_by_name="web-7d4b9c8f6"}': "1x20",
            'kube_pod_status_phase{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", phase="Running"}': "1x20",
            'kube_pod_container_resource_requests{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", container="app", node="node-1", resource="cpu", unit="core"}': "0.5x20",
            'kube_pod_container_resource_requests{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", container="app", node="node-1", resource="memory", unit="byte"}': "536870912x20",
            'kube_pod_container_status_restarts_total{${kube_state_metrics}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", uid="u1", container="app"}': "0x20",
            'container_cpu_usage_seconds_total{${cadvisor}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", container="app", node="node-1", instance="10.0.1.5:10250", id="/kubepods/pod-u1/c1", image="registry.local/web:1.4", name="c1"}': "0+15x20",
            'container_memory_working_set_bytes{${cadvisor}, namespace="shop", pod="web-7d4b9c8f6-x2x9q", container="app", node="node-1", instance="10.0.1.5:10250", id="/kubepods/pod-u1/c1", image="registry.local/web:1.4", name="c1"}': "400000000x20",
        },
        vars={"instance": ".*", "node": "node-1", "exporter": "10.0.1.5:9100"},
    ),
)
