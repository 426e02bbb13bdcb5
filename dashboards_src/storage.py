"""Persistent volumes: how full each PersistentVolumeClaim's volume is (space and inodes, as
the kubelet reports the mounted volume), where it is heading, and PersistentVolumes stuck in
phase Failed or Pending. KubePersistentVolumeFillingUp and KubePersistentVolumeErrors link
here (rules_src/storage.py); the space panels draw the first one's threshold.

Block-mode volumes have no filesystem (the kubelet reports 0 used and 0 available): they are
left out, as the alert leaves them out.
"""

from gen.dash.model import AlertLine, Dashboard, Fixture, Row, Variable, cell

from ._kube import ksm, sel
from ._panels import Column, stat, steps, table, top_by_peak, ts

_PVC = 'namespace=~"$namespace", persistentvolumeclaim=~"$persistentvolumeclaim"'
_BY_CLAIM = "namespace, persistentvolumeclaim"
_LEGEND = "{{namespace}}/{{persistentvolumeclaim}}"


def _kubelet(metric: str) -> str:
    return f"max by ({_BY_CLAIM}) (" + sel(metric, "kubelet", _PVC) + ")"


# Filesystem volumes only: a block volume reports 0 used.
_MOUNTED = f" and {_kubelet('kubelet_volume_stats_used_bytes')} > 0"
_USED_PCT = (f"100 * (1 - {_kubelet('kubelet_volume_stats_available_bytes')} / "
             f"{_kubelet('kubelet_volume_stats_capacity_bytes')}){_MOUNTED}")
_INODES_PCT = (f"100 * {_kubelet('kubelet_volume_stats_inodes_used')} / "
               f"{_kubelet('kubelet_volume_stats_inodes')}{_MOUNTED}")
# The alert fires below `threshold`% free: the used-space line sits at 100 - threshold.
_FULL_LINE = AlertLine("KubePersistentVolumeFillingUp", compute=lambda p: 100 - p["threshold"])
_BAD_PHASE = ksm("kube_persistentvolume_status_phase", 'phase=~"Failed|Pending"')

dashboard = Dashboard(
    uid="k8s-storage",
    title="Kubernetes / Persistent volumes",
    description="PersistentVolumeClaims' space and inodes used, the fullest ones over time, days of space left at "
                "the range's pace, and PersistentVolumes in phase Failed or Pending.",
    tags=["storage"],
    links=["k8s-cluster", "k8s-pod"],
    variables=[
        Variable("namespace", "label_values(" + sel("kubelet_volume_stats_capacity_bytes", "kubelet") + ", namespace)",
                 multi=True, include_all=True, all_value=".*"),
        Variable("persistentvolumeclaim", "label_values(" + sel("kubelet_volume_stats_capacity_bytes", "kubelet",
                                                                 'namespace=~"$namespace"') + ", persistentvolumeclaim)",
                 title="Claim", multi=True, include_all=True, all_value=".*"),
    ],
    rows=[
        Row("Volumes", [
            cell(stat("Claims above the alert's line", "short",
                      (f"count(({_USED_PCT}) > 100 - ${{KubePersistentVolumeFillingUp.threshold}}) or on () vector(0)",
                       "claims"),
                      thresholds=steps(("red", 1)), color_mode="background",
                      description="Claims with less free space than KubePersistentVolumeFillingUp's threshold (it "
                                  "fires after 1m); the table says which."), width=5),
            cell(stat("PersistentVolumes Failed or Pending", "short",
                      (f"count({_BAD_PHASE} > 0) or on () vector(0)", "volumes"),
                      thresholds=steps(("red", 1)), color_mode="background",
                      description="Volumes whose provisioning or binding failed, or that wait for a claim or a "
                                  "provisioner (KubePersistentVolumeErrors after 5m). kubectl describe pv names the "
                                  "reason."), width=5),
            cell(stat("Which volumes", "short",
                      (f"max by (persistentvolume, phase) ({_BAD_PHASE}) > 0", "{{persistentvolume}}: {{phase}}"),
                      text_mode="name", thresholds=steps(("red", 1)), color_mode="background",
                      noValue="none Failed or Pending",
                      description="The PersistentVolumes in phase Failed or Pending (PersistentVolumes have no "
                                  "namespace: the filters do not apply)."), width=14),
        ], height=4),
        Row("Space and inodes", [
            cell(ts("Space used, % (top 10)", "percent", (top_by_peak(_USED_PCT, _BY_CLAIM), _LEGEND), fill=0,
                    description="The ten claims with the highest peak in the range. The line: "
                                "KubePersistentVolumeFillingUp fires above it (below its threshold of free space)."),
                 width=12, alert=_FULL_LINE),
            cell(ts("Inodes used, % (top 10)", "percent", (top_by_peak(_INODES_PCT, _BY_CLAIM), _LEGEND), fill=0,
                    description="Files and directories against the filesystem's inodes: many small files fill the "
                                "inodes before the space, and writes then fail with 'no space left'."), width=12),
            cell(table("Claims", ["namespace", "persistentvolumeclaim"], [
                Column("Used %", _USED_PCT, "percent", gauge=True, max=100),
                Column("Capacity", _kubelet("kubelet_volume_stats_capacity_bytes"), "bytes"),
                Column("Available", _kubelet("kubelet_volume_stats_available_bytes"), "bytes"),
                Column("Inodes used %", _INODES_PCT, "percent"),
                Column("Days left at this pace",
                       f"{_kubelet('kubelet_volume_stats_available_bytes')} / clamp_min(-deriv(("
                       f"{_kubelet('kubelet_volume_stats_available_bytes')})[$__range:$__interval]), 1e-9) / 86400 < 365",
                       "d"),
            ], description="Every mounted claim, fullest first. Days left: free space divided by its rate of "
                           "filling over the dashboard's range (empty when it is not filling or would take over "
                           "a year).",
                sort="Used %"), width=24, height=8),
        ], height=8),
    ],
    fixture=Fixture(
        series={
            # db/data-pg-0 fills by 1.2 GB a minute, 98 of 100 GB used at 10m; shop/uploads steady at 20%.
            **{sel(m, "kubelet", 'instance="10.0.0.12:10250"', 'namespace="db"', 'persistentvolumeclaim="data-pg-0"'): v
               for m, v in (("kubelet_volume_stats_capacity_bytes", "100000000000x20"),
                            ("kubelet_volume_stats_available_bytes", "14000000000-1200000000x10"),
                            ("kubelet_volume_stats_used_bytes", "86000000000+1200000000x10"),
                            ("kubelet_volume_stats_inodes", "6553600x20"),
                            ("kubelet_volume_stats_inodes_used", "120000x20"))},
            **{sel(m, "kubelet", 'instance="10.0.0.13:10250"', 'namespace="shop"', 'persistentvolumeclaim="uploads"'): v
               for m, v in (("kubelet_volume_stats_capacity_bytes", "50000000000x20"),
                            ("kubelet_volume_stats_available_bytes", "40000000000x20"),
                            ("kubelet_volume_stats_used_bytes", "10000000000x20"),
                            ("kubelet_volume_stats_inodes", "3276800x20"),
                            ("kubelet_volume_stats_inodes_used", "3000000x20"))},
            ksm("kube_persistentvolume_status_phase", 'persistentvolume="pvc-3f1a"', 'phase="Failed"'): "1x20",
            ksm("kube_persistentvolume_status_phase", 'persistentvolume="pvc-3f1a"', 'phase="Bound"'): "0x20",
        },
        vars={"namespace": ".*", "persistentvolumeclaim": ".*"},
    ),
)
