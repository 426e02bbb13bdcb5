"""Storage: PersistentVolumeClaims running out of space, PersistentVolumes in a bad phase.

Volume usage comes from the kubelet (kubelet_volume_stats_*, per mounted PVC), the volume
phase from kube-state-metrics. PersistentVolumes are cluster-scoped (no namespace label),
so KubePersistentVolumeErrors is not narrowed by a namespace scope.
"""

from gen.model import Alert, Case, Fire, Group

from ._fixtures.storage import PVC_LABELS, claim, pv_phase, volume

groups = [
    Group("persistent-volumes", [
        Alert(
            "KubePersistentVolumeFillingUp",
            dashboard="k8s-storage",
            # A ReadOnlyMany volume is full by design (pre-filled data); it cannot fill up further.
            # A block-mode volume (volumeMode: Block: databases on raw devices, Ceph OSDs, VM disks)
            # has no filesystem: the kubelet reports its capacity with 0 available and 0 used.
            # A PVC labelled <opt_out_label>=true (kube-prometheus' excluded_from_alerts; kube-state-
            # metrics exports it with --metric-labels-allowlist=persistentvolumeclaims=[<label>])
            # is a scratch volume the team lets fill.
            expr="""
                (
                  kubelet_volume_stats_available_bytes{${kubelet}}
                /
                  kubelet_volume_stats_capacity_bytes{${kubelet}}
                ) < (${threshold} / 100)
                and
                  kubelet_volume_stats_used_bytes{${kubelet}} > 0
                unless on (namespace, persistentvolumeclaim)
                  kube_persistentvolumeclaim_access_mode{${kube_state_metrics}, access_mode="ReadOnlyMany"} == 1
                unless on (namespace, persistentvolumeclaim)
                  kube_persistentvolumeclaim_labels{${kube_state_metrics}, label_${opt_out_label}="true"} == 1
            """,
            params={"threshold": 3, "opt_out_label": "excluded_from_alerts"},
            for_="1m",
            severity="critical",
            namespaced=True,
            summary="PersistentVolume has less than ${threshold}% of its capacity free.",
            description="The volume of PersistentVolumeClaim {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has only {{ $value | humanizePercentage }} of its capacity free (threshold ${threshold}%); writes fail when it is full.",
            cases=[
                Case("fires at 2% free after 1m",
                     series=volume("2000000000x10"), at="5m",
                     fires=[Fire(PVC_LABELS, value=0.02)]),
                Case("fires just under the threshold (2.9% free)",
                     series=volume("2900000000x10"), at="5m",
                     fires=[Fire(PVC_LABELS, value=0.029)]),
                Case("silent at exactly 3% free",
                     series=volume("3000000000x10"), at="5m"),
                Case("silent when under 3% for less than 1m",
                     series=volume("5000000000x3 2000000000x6"), at="4m"),
                Case("silent for a ReadOnlyMany volume",
                     series={**volume("1000000000x10"),
                             **claim("kube_persistentvolumeclaim_access_mode", "1x10", access_mode="ReadOnlyMany")},
                     at="5m"),
                Case("silent for a block-mode volume (0 available, 0 used)",
                     series=volume("0x10", used="0x10"), at="5m"),
                Case("fires for a filesystem volume that is completely full (0 available)",
                     series=volume("0x10"), at="5m", fires=[Fire(PVC_LABELS, value=0)]),
                Case("silent for a PVC labelled excluded_from_alerts=true",
                     series={**volume("1000000000x10"),
                             **claim("kube_persistentvolumeclaim_labels", "1x10", label_excluded_from_alerts="true")},
                     at="5m"),
            ],
        ),
        Alert(
            "KubePersistentVolumeErrors",
            # PersistentVolumes have no namespace: the dashboard opens on every claim.
            dashboard="k8s-storage", dashboard_vars={"namespace": "$__all"},
            expr="""
                max without (instance) (
                  kube_persistentvolume_status_phase{${kube_state_metrics}, phase=~"Failed|Pending"} > 0
                )
            """,
            for_="5m",
            severity="warning",
            summary="PersistentVolume is in phase Failed or Pending.",
            description="PersistentVolume {{ $labels.persistentvolume }} is in phase {{ $labels.phase }}.",
            cases=[
                Case("fires for a Failed volume after 5m",
                     series={**pv_phase("pvc-3f2a", "Failed", "1x10"), **pv_phase("pvc-3f2a", "Bound", "0x10")},
                     at="7m", fires=[Fire({"job": "kube-state-metrics", "persistentvolume": "pvc-3f2a", "phase": "Failed"}, value=1)]),
                Case("fires for a Pending volume after 5m",
                     series={**pv_phase("pv-nfs-07", "Pending", "1x10"), **pv_phase("pv-nfs-07", "Available", "0x10")},
                     at="7m", fires=[Fire({"job": "kube-state-metrics", "persistentvolume": "pv-nfs-07", "phase": "Pending"}, value=1)]),
                Case("silent for a Bound volume",
                     series={**pv_phase("pvc-3f2a", "Failed", "0x10"), **pv_phase("pvc-3f2a", "Bound", "1x10")},
                     at="7m"),
                Case("silent when Failed for less than 5m",
                     series={**pv_phase("pvc-3f2a", "Failed", "0 0 0 1x10"), **pv_phase("pvc-3f2a", "Bound", "1 1 1 0x10")},
                     at="6m"),
            ],
        ),
    ]),
]
