"""Workloads: Deployments, StatefulSets, DaemonSets, Jobs and CronJobs, HPAs, and replica layout.

Rollout and replica alerts follow the seed table (kube-state-metrics v2 metric names). The
last group comes from the seeds' failures: services running a single replica (seeds 001,
003: a node failure or eviction is an outage), and replicas of one workload piled onto one
node because nothing spreads them (seeds 000, 003: no pod anti-affinity, so losing the
node loses every replica at once, and the node is overloaded while others idle).
"""

from gen.model import Alert, Case, Duration, Fire, Group, moved

from ._fixtures.workloads import (
    CRON_LABELS, DEPLOY, DEPLOY_LABELS, DS, DS_LABELS, HPA_LABELS, JOB, JOB_LABELS, STS, STS_LABELS,
    cron, deploy_replicas, ds_ready, ds_scheduled, generation, hpa, job, ksm, replica_layout, sts_replicas,
    sts_rollout,
)


def _workload_vars(kind: str) -> dict:
    """The workload dashboard's variables for an alert about a `kind` (its name in the `kind`
    label, as kube-state-metrics has it)."""
    return {"namespace": "{{ $labels.namespace }}", "workload_type": kind, "workload": "{{ $labels." + kind + " }}"}


def _generation_mismatch(name: str, kind: str, cases: list[Case]) -> Alert:
    """A `kind` (Deployment, StatefulSet) whose controller has not observed its latest spec."""
    label = kind.lower()  # as kube-state-metrics names the kind in metrics and labels
    return Alert(
        name,
        dashboard="k8s-workload", dashboard_vars=_workload_vars(label),
        expr=f"""
            max without (instance) (
              kube_{label}_status_observed_generation{{${{kube_state_metrics}}}}
                !=
              kube_{label}_metadata_generation{{${{kube_state_metrics}}}}
            )
        """,
        for_="15m",
        severity="warning",
        namespaced=True,
        summary=f"{kind} spec change not picked up by its controller.",
        description=(
            kind + " {{ $labels.namespace }}/{{ $labels." + label + " }}: the " + kind + " controller last observed "
            'generation {{ printf "%.0f" $value }}, older than the current spec; the latest change is not being rolled out.'
        ),
        cases=cases,
    )


# Deployments and StatefulSets with 0 < spec replicas < min_replicas, labelled by workload.
_SINGLE_REPLICA = """
    max by (namespace, workload_type, workload) (
      label_replace(
        label_replace(kube_deployment_spec_replicas{${kube_state_metrics}} > 0 < ${min_replicas}, "workload", "$1", "deployment", "(.+)"),
        "workload_type", "deployment", "", ""
      )
    )
    or
    max by (namespace, workload_type, workload) (
      label_replace(
        label_replace(kube_statefulset_replicas{${kube_state_metrics}} > 0 < ${min_replicas}, "workload", "$1", "statefulset", "(.+)"),
        "workload_type", "statefulset", "", ""
      )
    )
"""

# Ready pods per (workload, node) over max_pods_per_node, for workloads with more replicas
# than that (so the old and new pod of a one-replica rollout sharing a node do not count).
# A pod's workload: its StatefulSet (kube_pod_owner), or the Deployment owning its
# ReplicaSet (kube_pod_owner -> kube_replicaset_owner). Its node: kube_pod_info.
_SAME_NODE = """
    count by (namespace, workload_type, workload, node) (
        max by (namespace, pod, workload_type, workload) (
            label_replace(
              label_replace(kube_pod_owner{${kube_state_metrics}, owner_kind="StatefulSet"}, "workload", "$1", "owner_name", "(.+)"),
              "workload_type", "statefulset", "", ""
            )
          or
            (
                label_replace(kube_pod_owner{${kube_state_metrics}, owner_kind="ReplicaSet"}, "replicaset", "$1", "owner_name", "(.+)")
              * on (namespace, replicaset) group_left (workload, workload_type)
                max by (namespace, replicaset, workload, workload_type) (
                  label_replace(
                    label_replace(kube_replicaset_owner{${kube_state_metrics}, owner_kind="Deployment"}, "workload", "$1", "owner_name", "(.+)"),
                    "workload_type", "deployment", "", ""
                  )
                )
            )
        )
      * on (namespace, pod) group_left (node)
        max by (namespace, pod, node) (kube_pod_info{${kube_state_metrics}, node!=""})
      and on (namespace, pod)
        kube_pod_status_ready{${kube_state_metrics}, condition="true"} == 1
    )
    > ${max_pods_per_node}
    and on (namespace, workload_type, workload)
    (
        label_replace(
          label_replace(kube_deployment_spec_replicas{${kube_state_metrics}} > ${max_pods_per_node}, "workload", "$1", "deployment", "(.+)"),
          "workload_type", "deployment", "", ""
        )
      or
        label_replace(
          label_replace(kube_statefulset_replicas{${kube_state_metrics}} > ${max_pods_per_node}, "workload", "$1", "statefulset", "(.+)"),
          "workload_type", "statefulset", "", ""
        )
    )
"""


groups = [
    Group("workloads-deployments", [
        _generation_mismatch(
            "KubeDeploymentGenerationMismatch", "Deployment",
            cases=[
                Case("fires when the observed generation lags for 15m",
                     series=generation("deployment", "2x30", "3x30"), at="20m",
                     fires=[Fire(DEPLOY_LABELS, value=2)]),
                Case("silent when the generations match",
                     series=generation("deployment", "3x30", "3x30"), at="20m"),
                Case("silent when lagging for less than 15m",
                     series=generation("deployment", "2x30", "3x30"), at="10m"),
                Case("silent once the controller caught up",
                     series=generation("deployment", "2x10 3x20", "3x30"), at="20m"),
            ],
        ),
        Alert(
            "KubeDeploymentReplicasMismatch",
            dashboard="k8s-workload", dashboard_vars=_workload_vars("deployment"),
            # Progress guard: a rollout still replacing pods (the updated count moves) is not stuck.
            expr="""
                max without (instance) (
                  (
                    kube_deployment_status_replicas_available{${kube_state_metrics}}
                      !=
                    kube_deployment_spec_replicas{${kube_state_metrics}}
                  )
                  and
                  changes(kube_deployment_status_replicas_updated{${kube_state_metrics}}[${stable_window}]) == 0
                )
            """,
            params={"stable_window": Duration("5m")},
            for_="15m",
            severity="warning",
            namespaced=True,
            summary="Deployment does not have the number of available replicas its spec asks for.",
            description=(
                "Deployment {{ $labels.namespace }}/{{ $labels.deployment }} has {{ $value | humanize }} available "
                "replicas, not the number its spec asks for, and its rollout is making no progress."
            ),
            cases=[
                Case("fires with 2 of 3 replicas available for 15m",
                     series=deploy_replicas("3x30", "2x30", "3x30"), at="20m",
                     fires=[Fire(DEPLOY_LABELS, value=2)]),
                Case("fires once, 15m on, across a move of kube-state-metrics to another address",
                     series=moved(deploy_replicas("3x30", "2x30", "3x30"), after=10), at="20m",
                     fires=[Fire(DEPLOY_LABELS, value=2)]),
                Case("silent with all replicas available",
                     series=deploy_replicas("3x30", "3x30", "3x30"), at="20m"),
                Case("silent when short of replicas for less than 15m",
                     series=deploy_replicas("3x30", "2x30", "3x30"), at="10m"),
                Case("silent while a rollout is still replacing pods",
                     series=deploy_replicas("30x30", "29x30", "0+1x30"), at="20m"),
            ],
        ),
    ]),
    Group("workloads-statefulsets", [
        Alert(
            "KubeStatefulSetReplicasMismatch",
            dashboard="k8s-workload", dashboard_vars=_workload_vars("statefulset"),
            expr="""
                max without (instance) (
                  (
                    kube_statefulset_status_replicas_ready{${kube_state_metrics}}
                      !=
                    kube_statefulset_replicas{${kube_state_metrics}}
                  )
                  and
                  changes(kube_statefulset_status_replicas_updated{${kube_state_metrics}}[${stable_window}]) == 0
                )
            """,
            params={"stable_window": Duration("5m")},
            for_="15m",
            severity="warning",
            namespaced=True,
            summary="StatefulSet has pods that are not ready.",
            description=(
                "StatefulSet {{ $labels.namespace }}/{{ $labels.statefulset }} has {{ $value | humanize }} ready "
                "replicas, not the number its spec asks for, and is making no progress (pods refused by a quota "
                "or an admission webhook are never created: see its events)."
            ),
            cases=[
                Case("fires with 2 of 3 replicas ready for 15m",
                     series=sts_replicas("3x30", "2x30", "3x30"), at="20m",
                     fires=[Fire(STS_LABELS, value=2)]),
                Case("silent with all replicas ready",
                     series=sts_replicas("3x30", "3x30", "3x30"), at="20m"),
                Case("fires when its pods are refused: 0 of 3 created, none ready",
                     # status.replicas counts created pods only: 0 ready of 0 created looked fine
                     series=sts_replicas("3x30", "0x30", "0x30", created="0x30"), at="20m",
                     fires=[Fire(STS_LABELS, value=0)]),
                Case("silent when short of ready replicas for less than 15m",
                     series=sts_replicas("3x30", "2x30", "3x30"), at="10m"),
                Case("silent while a rollout is still replacing pods",
                     series=sts_replicas("40x30", "39x30", "0+1x30"), at="20m"),
            ],
        ),
        _generation_mismatch(
            "KubeStatefulSetGenerationMismatch", "StatefulSet",
            cases=[
                Case("fires when the observed generation lags for 15m",
                     series=generation("statefulset", "4x30", "5x30"), at="20m",
                     fires=[Fire(STS_LABELS, value=4)]),
                Case("silent when the generations match",
                     series=generation("statefulset", "5x30", "5x30"), at="20m"),
                Case("silent when lagging for less than 15m",
                     series=generation("statefulset", "4x30", "5x30"), at="10m"),
            ],
        ),
        Alert(
            "KubeStatefulSetUpdateNotRolledOut",
            dashboard="k8s-workload", dashboard_vars=_workload_vars("statefulset"),
            # An update revision differs from the current one, not every replica runs it, and
            # the updated count has stopped moving.
            expr="""
                max without (instance) (
                  (
                    kube_statefulset_status_replicas_updated{${kube_state_metrics}}
                      !=
                    kube_statefulset_replicas{${kube_state_metrics}}
                  )
                  and
                  max without (revision) (
                    kube_statefulset_status_current_revision{${kube_state_metrics}}
                      unless
                    kube_statefulset_status_update_revision{${kube_state_metrics}}
                  )
                  and
                  changes(kube_statefulset_status_replicas_updated{${kube_state_metrics}}[${stable_window}]) == 0
                )
            """,
            params={"stable_window": Duration("5m")},
            for_="15m",
            severity="warning",
            namespaced=True,
            summary="StatefulSet update has not been rolled out.",
            description=(
                "StatefulSet {{ $labels.namespace }}/{{ $labels.statefulset }}: only {{ $value | humanize }} replicas "
                "run the update revision and the rollout has stopped progressing."
            ),
            cases=[
                Case("fires when 1 of 3 replicas is updated and the rollout stalls",
                     series=sts_rollout("3x30", "1x30", "db-7d9f6c", "db-5c4b8a"), at="20m",
                     fires=[Fire(STS_LABELS, value=1)]),
                Case("silent when no update is pending (a scale-up short of pods)",
                     series=sts_rollout("3x30", "2x30", "db-5c4b8a", "db-5c4b8a"), at="20m"),
                Case("silent when every replica is updated",
                     series=sts_rollout("3x30", "3x30", "db-7d9f6c", "db-5c4b8a"), at="20m"),
                Case("silent when stalled for less than 15m",
                     series=sts_rollout("3x30", "1x30", "db-7d9f6c", "db-5c4b8a"), at="10m"),
                Case("silent while the rollout progresses",
                     series=sts_rollout("40x30", "0+1x30", "db-7d9f6c", "db-5c4b8a"), at="20m"),
            ],
        ),
    ]),
    Group("workloads-daemonsets", [
        Alert(
            "KubeDaemonSetRolloutStuck",
            dashboard="k8s-workload", dashboard_vars=_workload_vars("daemonset"),
            expr="""
                max without (instance) (
                  (
                    kube_daemonset_status_number_ready{${kube_state_metrics}}
                      /
                    kube_daemonset_status_desired_number_scheduled{${kube_state_metrics}}
                    < ${ready_ratio}
                  or
                    # a rollout that stopped while every old pod is still ready: the ready share, where
                    # fewer pods are updated than desired
                    (
                      kube_daemonset_status_number_ready{${kube_state_metrics}}
                        /
                      kube_daemonset_status_desired_number_scheduled{${kube_state_metrics}}
                    )
                    and
                    (
                      kube_daemonset_status_updated_number_scheduled{${kube_state_metrics}}
                        !=
                      kube_daemonset_status_desired_number_scheduled{${kube_state_metrics}}
                    )
                  )
                  and
                  changes(kube_daemonset_status_updated_number_scheduled{${kube_state_metrics}}[${stable_window}]) == 0
                )
            """,
            params={"ready_ratio": 1, "stable_window": Duration("5m")},
            for_="15m",
            severity="warning",
            namespaced=True,
            summary="DaemonSet rollout is stuck: pods not ready or not updated, and no progress.",
            description=(
                "DaemonSet {{ $labels.namespace }}/{{ $labels.daemonset }}: {{ $value | humanizePercentage }} "
                "of its desired pods are ready, and its pods are not all ready or not all updated while its rollout "
                "makes no progress."
            ),
            cases=[
                Case("fires with 99 of 100 pods ready for 15m",
                     series=ds_ready("100x30", "99x30", "100x30"), at="20m",
                     fires=[Fire(DS_LABELS, value=0.99)]),
                Case("silent with every pod ready",
                     series=ds_ready("100x30", "100x30", "100x30"), at="20m"),
                Case("silent when short of ready pods for less than 15m",
                     series=ds_ready("100x30", "99x30", "100x30"), at="10m"),
                Case("silent while a rollout progresses",
                     series=ds_ready("100x30", "99x30", "0+1x30"), at="20m"),
                Case("fires when a rollout stops with every old pod still ready (40 of 100 updated)",
                     series=ds_ready("100x30", "100x30", "40x30"), at="20m",
                     fires=[Fire(DS_LABELS, value=1)]),
                Case("silent when no node should run it",
                     series=ds_ready("0x30", "0x30", "0x30"), at="20m"),
            ],
        ),
        Alert(
            "KubeDaemonSetNotScheduled",
            dashboard="k8s-workload", dashboard_vars=_workload_vars("daemonset"),
            expr="""
                max without (instance) (
                  kube_daemonset_status_desired_number_scheduled{${kube_state_metrics}}
                    -
                  kube_daemonset_status_current_number_scheduled{${kube_state_metrics}}
                  > ${threshold}
                )
            """,
            params={"threshold": 0},
            for_="10m",
            severity="warning",
            namespaced=True,
            summary="DaemonSet pods are not scheduled.",
            description=(
                "DaemonSet {{ $labels.namespace }}/{{ $labels.daemonset }}: {{ $value | humanize }} nodes that should "
                "run its pod have none scheduled."
            ),
            cases=[
                Case("fires with 1 of 10 pods unscheduled for 10m",
                     series=ds_scheduled("10x30", "9x30"), at="15m",
                     fires=[Fire(DS_LABELS, value=1)]),
                Case("silent with every pod scheduled",
                     series=ds_scheduled("10x30", "10x30"), at="15m"),
                Case("silent when unscheduled for less than 10m",
                     series=ds_scheduled("10x30", "9x30"), at="8m"),
            ],
        ),
        Alert(
            "KubeDaemonSetMisScheduled",
            dashboard="k8s-workload", dashboard_vars=_workload_vars("daemonset"),
            expr="""
                max without (instance) (
                  kube_daemonset_status_number_misscheduled{${kube_state_metrics}} > ${threshold}
                )
            """,
            params={"threshold": 0},
            for_="15m",
            severity="warning",
            namespaced=True,
            summary="DaemonSet pods run where they are not supposed to.",
            description=(
                "DaemonSet {{ $labels.namespace }}/{{ $labels.daemonset }}: {{ $value | humanize }} pods run on nodes "
                "its node selector, affinity or tolerations exclude."
            ),
            cases=[
                Case("fires with 2 misscheduled pods for 15m",
                     series={ksm("kube_daemonset_status_number_misscheduled", **DS): "2x30"}, at="20m",
                     fires=[Fire(DS_LABELS, value=2)]),
                Case("silent with none misscheduled",
                     series={ksm("kube_daemonset_status_number_misscheduled", **DS): "0x30"}, at="20m"),
                Case("silent when misscheduled for less than 15m",
                     series={ksm("kube_daemonset_status_number_misscheduled", **DS): "2x30"}, at="10m"),
            ],
        ),
    ]),
    Group("workloads-jobs", [
        Alert(
            "KubeCronJobRunning",
            # The next scheduled run is long past: the previous run is still going (with
            # concurrencyPolicy Forbid), or the controller missed the start. Suspended
            # CronJobs are skipped on purpose.
            expr="""
                max without (instance) (
                  (
                    time() - kube_cronjob_next_schedule_time{${kube_state_metrics}} > ${threshold_seconds}
                  )
                  unless
                  kube_cronjob_spec_suspend{${kube_state_metrics}} == 1
                )
            """,
            params={"threshold_seconds": 3600},
            for_="60m",
            severity="warning",
            namespaced=True,
            summary="CronJob's scheduled run is overdue.",
            description=(
                "CronJob {{ $labels.namespace }}/{{ $labels.cronjob }}: its next run was due {{ $value | humanizeDuration }} "
                "ago and has not started; the previous run may still be going or the schedule is being missed."
            ),
            cases=[
                # Samples every 5m; the run due at t=0 never starts, overdue > 1h from 61m.
                Case("fires when a run is over 1h overdue for 60m",
                     series=cron("0x30"), at="130m", interval="5m",
                     fires=[Fire(CRON_LABELS, value=7800)]),
                Case("silent just under the threshold (3500s overdue)",
                     series=cron("4300x30"), at="130m", interval="5m"),
                Case("silent when over the threshold for less than 60m",
                     series=cron("0x30"), at="100m", interval="5m"),
                Case("silent for a suspended CronJob",
                     series=cron("0x30", suspend="1x30"), at="130m", interval="5m"),
                Case("silent while runs keep being scheduled",
                     series=cron("300+300x30"), at="130m", interval="5m"),
            ],
        ),
        Alert(
            "KubeJobCompletion",
            # A Job that has failed outright is KubeJobFailed's; not reported twice.
            expr="""
                max without (instance) (
                  (
                    kube_job_spec_completions{${kube_state_metrics}}
                      -
                    kube_job_status_succeeded{${kube_state_metrics}}
                    > ${threshold}
                  )
                  unless ignoring (condition)
                  kube_job_failed{${kube_state_metrics}, condition="true"} == 1
                )
            """,
            params={"threshold": 0},
            for_="60m",
            severity="warning",
            namespaced=True,
            summary="Job has not completed in time.",
            description=(
                "Job {{ $labels.namespace }}/{{ $labels.job_name }} has not finished: {{ $value | humanize }} successful "
                "completions are still missing."
            ),
            cases=[
                Case("fires when a Job has not completed for 60m",
                     series=job("1x20", "0x20"), at="65m", interval="5m",
                     fires=[Fire(JOB_LABELS, value=1)]),
                Case("silent once every completion succeeded",
                     series=job("1x20", "1x20"), at="65m", interval="5m"),
                Case("silent when incomplete for less than 60m",
                     series=job("1x20", "0x20"), at="50m", interval="5m"),
                Case("silent for a failed Job (KubeJobFailed reports it)",
                     series=job("1x20", "0x20", failed="1x20"), at="65m", interval="5m"),
            ],
        ),
        Alert(
            "KubeJobFailed",
            # Only the condition="true" series: {condition="false"} is 1 for a Job whose Failed
            # condition is present but False.
            expr="""
                max without (instance) (
                  kube_job_failed{${kube_state_metrics}, condition="true"} > 0
                )
            """,
            for_="15m",
            severity="warning",
            namespaced=True,
            summary="Job failed to complete.",
            description=(
                "Job {{ $labels.namespace }}/{{ $labels.job_name }} has failed (backoff limit or deadline exceeded). "
                "The alert clears when the failed Job is deleted."
            ),
            cases=[
                Case("fires when a Job has been failed for 15m",
                     series={ksm("kube_job_failed", **JOB, condition="true"): "1x30",
                             ksm("kube_job_failed", **JOB, condition="false"): "0x30"},
                     at="20m", fires=[Fire({**JOB_LABELS, "condition": "true"}, value=1)]),
                Case("silent when the Failed condition is false",
                     series={ksm("kube_job_failed", **JOB, condition="true"): "0x30",
                             ksm("kube_job_failed", **JOB, condition="false"): "1x30"},
                     at="20m"),
                Case("silent when failed for less than 15m",
                     series={ksm("kube_job_failed", **JOB, condition="true"): "1x30"}, at="10m"),
            ],
        ),
    ]),
    Group("workloads-autoscaling", [
        Alert(
            "KubeHpaReplicasMismatch",
            dashboard="k8s-workload", dashboard_vars={"namespace": "{{ $labels.namespace }}"},
            # A desired count outside [min, max] means the HPA has switched scaling off
            # (its target was scaled to 0): not a mismatch to chase.
            expr="""
                max without (instance) (
                  (
                    kube_horizontalpodautoscaler_status_desired_replicas{${kube_state_metrics}}
                      !=
                    kube_horizontalpodautoscaler_status_current_replicas{${kube_state_metrics}}
                  )
                  and
                  kube_horizontalpodautoscaler_status_desired_replicas{${kube_state_metrics}}
                    >=
                  kube_horizontalpodautoscaler_spec_min_replicas{${kube_state_metrics}}
                  and
                  kube_horizontalpodautoscaler_status_desired_replicas{${kube_state_metrics}}
                    <=
                  kube_horizontalpodautoscaler_spec_max_replicas{${kube_state_metrics}}
                  and
                  changes(kube_horizontalpodautoscaler_status_current_replicas{${kube_state_metrics}}[${stable_window}]) == 0
                )
            """,
            params={"stable_window": Duration("15m")},
            for_="15m",
            severity="warning",
            namespaced=True,
            summary="HPA has not reached its desired number of replicas.",
            description=(
                "HPA {{ $labels.namespace }}/{{ $labels.horizontalpodautoscaler }} wants {{ $value | humanize }} replicas, "
                "but its target has stayed at a different count for ${stable_window}."
            ),
            cases=[
                Case("fires when 6 replicas are wanted and 3 run, unchanged for 15m",
                     series=hpa("6x30", "3x30", "2x30", "10x30"), at="20m",
                     fires=[Fire(HPA_LABELS, value=6)]),
                Case("silent when the current count matches",
                     series=hpa("6x30", "6x30", "2x30", "10x30"), at="20m"),
                Case("silent while the target is still scaling",
                     series=hpa("40x30", "3+1x30", "2x30", "50x30"), at="20m"),
                Case("silent when the desired count is outside min..max (scaling disabled)",
                     series=hpa("0x30", "1x30", "1x30", "5x30"), at="20m"),
                Case("silent when mismatched for less than 15m",
                     series=hpa("6x30", "3x30", "2x30", "10x30"), at="10m"),
            ],
        ),
        Alert(
            "KubeHpaMaxedOut",
            dashboard="k8s-workload", dashboard_vars={"namespace": "{{ $labels.namespace }}"},
            # An HPA pinned with minReplicas == maxReplicas always runs at its maximum.
            expr="""
                max without (instance) (
                  kube_horizontalpodautoscaler_status_current_replicas{${kube_state_metrics}}
                    ==
                  kube_horizontalpodautoscaler_spec_max_replicas{${kube_state_metrics}}
                  and
                  kube_horizontalpodautoscaler_spec_max_replicas{${kube_state_metrics}}
                    !=
                  kube_horizontalpodautoscaler_spec_min_replicas{${kube_state_metrics}}
                )
            """,
            for_="15m",
            severity="warning",
            namespaced=True,
            summary="HPA is running at its maximum replicas.",
            description=(
                "HPA {{ $labels.namespace }}/{{ $labels.horizontalpodautoscaler }} has run at its maximum of "
                "{{ $value | humanize }} replicas; it cannot add capacity if load grows."
            ),
            cases=[
                Case("fires at 10 of max 10 replicas for 15m",
                     series=hpa("10x30", "10x30", "2x30", "10x30"), at="20m",
                     fires=[Fire(HPA_LABELS, value=10)]),
                Case("silent one replica under the maximum",
                     series=hpa("9x30", "9x30", "2x30", "10x30"), at="20m"),
                Case("silent for an HPA pinned with min == max",
                     series=hpa("10x30", "10x30", "10x30", "10x30"), at="20m"),
                Case("silent at the maximum for less than 15m",
                     series=hpa("10x30", "10x30", "2x30", "10x30"), at="10m"),
            ],
        ),
    ]),
    Group("workloads-resilience", [
        Alert(
            "KubeWorkloadSingleReplica",
            dashboard="k8s-workload",
            # Workloads scaled to 0 are parked on purpose and are left out.
            expr=_SINGLE_REPLICA,

            params={"min_replicas": 2},
            for_="1h",
            severity="info",
            namespaced=True,
            summary="Workload runs fewer than ${min_replicas} replicas: a single point of failure.",
            description=(
                "The {{ $labels.workload_type }} {{ $labels.namespace }}/{{ $labels.workload }} is set to "
                "{{ $value | humanize }} replica(s); a node failure, eviction or rollout makes it unavailable until a "
                "new pod is up."
            ),
            cases=[
                Case("fires for a one-replica Deployment after 1h",
                     series={ksm("kube_deployment_spec_replicas", **DEPLOY): "1x20"}, at="65m", interval="5m",
                     fires=[Fire({"namespace": "shop", "workload_type": "deployment", "workload": "web"}, value=1)]),
                Case("fires for a one-replica StatefulSet after 1h",
                     series={ksm("kube_statefulset_replicas", **STS): "1x20"}, at="65m", interval="5m",
                     fires=[Fire({"namespace": "shop", "workload_type": "statefulset", "workload": "db"}, value=1)]),
                Case("silent with 2 replicas",
                     series={ksm("kube_deployment_spec_replicas", **DEPLOY): "2x20",
                             ksm("kube_statefulset_replicas", **STS): "2x20"}, at="65m", interval="5m"),
                Case("silent for workloads scaled to 0",
                     series={ksm("kube_deployment_spec_replicas", **DEPLOY): "0x20",
                             ksm("kube_statefulset_replicas", **STS): "0x20"}, at="65m", interval="5m"),
                Case("silent when at one replica for less than 1h",
                     series={ksm("kube_deployment_spec_replicas", **DEPLOY): "1x20"}, at="50m", interval="5m"),
            ],
        ),
        Alert(
            "KubeReplicasOnSameNode",
            dashboard="k8s-workload",
            expr=_SAME_NODE,

            params={"max_pods_per_node": 1},
            for_="1h",
            severity="info",
            namespaced=True,
            summary="Several replicas of one workload run on the same node.",
            description=(
                "{{ $value | humanize }} ready pods of the {{ $labels.workload_type }} {{ $labels.namespace }}/"
                "{{ $labels.workload }} run on node {{ $labels.node }}; losing that node takes them down together. "
                "Spread them with pod anti-affinity or topology spread constraints."
            ),
            cases=[
                Case("fires for 2 of 3 Deployment replicas on one node",
                     series=replica_layout({"deployment/web": 3}, [
                         ("web-7c9d5-a", "ReplicaSet", "web-7c9d5", "node-1", True),
                         ("web-7c9d5-b", "ReplicaSet", "web-7c9d5", "node-1", True),
                         ("web-7c9d5-c", "ReplicaSet", "web-7c9d5", "node-2", True),
                     ]),
                     at="65m", interval="5m",
                     fires=[Fire({"namespace": "shop", "workload_type": "deployment", "workload": "web", "node": "node-1"}, value=2)]),
                Case("fires for both StatefulSet replicas on one node",
                     series=replica_layout({"statefulset/db": 2}, [
                         ("db-0", "StatefulSet", "db", "node-2", True),
                         ("db-1", "StatefulSet", "db", "node-2", True),
                     ]),
                     at="65m", interval="5m",
                     fires=[Fire({"namespace": "shop", "workload_type": "statefulset", "workload": "db", "node": "node-2"}, value=2)]),
                Case("counts pods of old and new ReplicaSets of one Deployment together",
                     series=replica_layout({"deployment/web": 2}, [
                         ("web-7c9d5-a", "ReplicaSet", "web-7c9d5", "node-1", True),
                         ("web-5f6b8-a", "ReplicaSet", "web-5f6b8", "node-1", True),
                     ]),
                     at="65m", interval="5m",
                     fires=[Fire({"namespace": "shop", "workload_type": "deployment", "workload": "web", "node": "node-1"}, value=2)]),
                Case("silent when replicas are spread over nodes",
                     series=replica_layout({"deployment/web": 3, "statefulset/db": 2}, [
                         ("web-7c9d5-a", "ReplicaSet", "web-7c9d5", "node-1", True),
                         ("web-7c9d5-b", "ReplicaSet", "web-7c9d5", "node-2", True),
                         ("web-7c9d5-c", "ReplicaSet", "web-7c9d5", "node-3", True),
                         ("db-0", "StatefulSet", "db", "node-1", True),
                         ("db-1", "StatefulSet", "db", "node-2", True),
                     ]),
                     at="65m", interval="5m"),
                Case("silent when only one of the co-located pods is ready",
                     series=replica_layout({"deployment/web": 2}, [
                         ("web-7c9d5-a", "ReplicaSet", "web-7c9d5", "node-1", True),
                         ("web-7c9d5-b", "ReplicaSet", "web-7c9d5", "node-1", False),
                     ]),
                     at="65m", interval="5m"),
                Case("silent for a one-replica Deployment whose old and new pod share a node",
                     series=replica_layout({"deployment/web": 1}, [
                         ("web-7c9d5-a", "ReplicaSet", "web-7c9d5", "node-1", True),
                         ("web-5f6b8-a", "ReplicaSet", "web-5f6b8", "node-1", True),
                     ]),
                     at="65m", interval="5m"),
                Case("silent when co-located for less than 1h",
                     series=replica_layout({"deployment/web": 3}, [
                         ("web-7c9d5-a", "ReplicaSet", "web-7c9d5", "node-1", True),
                         ("web-7c9d5-b", "ReplicaSet", "web-7c9d5", "node-1", True),
                         ("web-7c9d5-c", "ReplicaSet", "web-7c9d5", "node-2", True),
                     ]),
                     at="50m", interval="5m"),
            ],
        ),
    ]),
]
