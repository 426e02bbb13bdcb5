"""kube-state-metrics series of workloads.py's cases: Deployments, StatefulSets, DaemonSets,
CronJobs and Jobs, HPAs, and pods with their owners and nodes (replica layout), with the
labels their alerts fire with."""

_KSM_JOB = {"job": "kube-state-metrics"}


def ksm(metric: str, **labels: str) -> str:
    """A kube-state-metrics series in promtool notation."""
    inner = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    return f"{metric}{{${{kube_state_metrics}}, {inner}}}"


# --- Deployments and StatefulSets ------------------------------------------------------

DEPLOY = {"namespace": "shop", "deployment": "web"}
DEPLOY_LABELS = {**_KSM_JOB, **DEPLOY}
STS = {"namespace": "shop", "statefulset": "db"}
STS_LABELS = {**_KSM_JOB, **STS}


def generation(kind: str, observed: str, metadata: str) -> dict:
    """The generation the controller of Deployment web or StatefulSet db (`kind`) observed,
    and the spec's current one."""
    obj = {"deployment": DEPLOY, "statefulset": STS}[kind]
    return {
        ksm(f"kube_{kind}_status_observed_generation", **obj): observed,
        ksm(f"kube_{kind}_metadata_generation", **obj): metadata,
    }


def deploy_replicas(spec: str, available: str, updated: str) -> dict:
    """spec replicas, available ones, and updated ones (their changes show a rollout's progress)."""
    return {
        ksm("kube_deployment_spec_replicas", **DEPLOY): spec,
        ksm("kube_deployment_status_replicas_available", **DEPLOY): available,
        ksm("kube_deployment_status_replicas_updated", **DEPLOY): updated,
    }


def sts_replicas(spec: str, ready: str, updated: str, created: str | None = None) -> dict:
    """spec replicas, ready ones, updated ones, and those the controller created (default: all)."""
    return {
        ksm("kube_statefulset_replicas", **STS): spec,
        ksm("kube_statefulset_status_replicas", **STS): created or spec,
        ksm("kube_statefulset_status_replicas_ready", **STS): ready,
        ksm("kube_statefulset_status_replicas_updated", **STS): updated,
    }


def sts_rollout(replicas: str, updated: str, current_rev: str, update_rev: str) -> dict:
    """spec replicas, updated ones, and the current and update revisions (names)."""
    return {
        ksm("kube_statefulset_replicas", **STS): replicas,
        ksm("kube_statefulset_status_replicas_updated", **STS): updated,
        ksm("kube_statefulset_status_current_revision", **STS, revision=current_rev): "1x30",
        ksm("kube_statefulset_status_update_revision", **STS, revision=update_rev): "1x30",
    }


# --- DaemonSets --------------------------------------------------------------------------

DS = {"namespace": "monitoring", "daemonset": "node-exporter"}
DS_LABELS = {**_KSM_JOB, **DS}


def ds_ready(desired: str, ready: str, updated: str) -> dict:
    """Pods the DaemonSet should run, ready ones, and updated ones."""
    return {
        ksm("kube_daemonset_status_desired_number_scheduled", **DS): desired,
        ksm("kube_daemonset_status_number_ready", **DS): ready,
        ksm("kube_daemonset_status_updated_number_scheduled", **DS): updated,
    }


def ds_scheduled(desired: str, current: str) -> dict:
    """Nodes that should run the DaemonSet's pod, and those that have one scheduled."""
    return {
        ksm("kube_daemonset_status_desired_number_scheduled", **DS): desired,
        ksm("kube_daemonset_status_current_number_scheduled", **DS): current,
    }


# --- CronJobs and Jobs -------------------------------------------------------------------

CRON = {"namespace": "shop", "cronjob": "nightly-report"}
CRON_LABELS = {**_KSM_JOB, **CRON}


def cron(next_schedule: str, suspend: str = "0x30") -> dict:
    """The CronJob's next schedule time (Unix seconds) and whether it is suspended."""
    return {
        ksm("kube_cronjob_next_schedule_time", **CRON): next_schedule,
        ksm("kube_cronjob_spec_suspend", **CRON): suspend,
    }


JOB = {"namespace": "shop", "job_name": "nightly-report-28990000"}
JOB_LABELS = {**_KSM_JOB, **JOB}


def job(completions: str, succeeded: str, failed: str | None = None) -> dict:
    """The Job's completions and successes; with `failed`, its Failed condition (true/false series)."""
    series = {
        ksm("kube_job_spec_completions", **JOB): completions,
        ksm("kube_job_status_succeeded", **JOB): succeeded,
    }
    if failed is not None:
        series[ksm("kube_job_failed", **JOB, condition="true")] = failed
        series[ksm("kube_job_failed", **JOB, condition="false")] = "0x30"
    return series


# --- HorizontalPodAutoscalers ------------------------------------------------------------

HPA = {"namespace": "shop", "horizontalpodautoscaler": "web"}
HPA_LABELS = {**_KSM_JOB, **HPA}


def hpa(desired: str, current: str, min_: str, max_: str) -> dict:
    """The HPA's desired and current replicas, and its min and max."""
    return {
        ksm("kube_horizontalpodautoscaler_status_desired_replicas", **HPA): desired,
        ksm("kube_horizontalpodautoscaler_status_current_replicas", **HPA): current,
        ksm("kube_horizontalpodautoscaler_spec_min_replicas", **HPA): min_,
        ksm("kube_horizontalpodautoscaler_spec_max_replicas", **HPA): max_,
    }


# --- Replica layout ----------------------------------------------------------------------

def replica_layout(replicas: dict[str, int], pods: list[tuple[str, str, str, str, bool]]) -> dict:
    """Series for workloads and their pods.

    `replicas` maps "deployment/web" or "statefulset/db" to spec replicas; each pod is
    (pod, owner kind as kube_pod_owner has it, owner name, node, ready). ReplicaSets are
    named <deployment>-<hash> and owned by their Deployment.
    """
    ns = {"namespace": "shop"}
    series = {}
    for ref, count in replicas.items():
        kind, name = ref.split("/")
        if kind == "deployment":
            series[ksm("kube_deployment_spec_replicas", **ns, deployment=name)] = f"{count}x20"
        else:
            series[ksm("kube_statefulset_replicas", **ns, statefulset=name)] = f"{count}x20"
    for pod, owner_kind, owner_name, node, ready in pods:
        if owner_kind == "ReplicaSet":
            deployment = owner_name.rsplit("-", 1)[0]
            series[ksm("kube_replicaset_owner", **ns, replicaset=owner_name, owner_kind="Deployment",
                       owner_name=deployment, owner_is_controller="true")] = "1x20"
        series[ksm("kube_pod_owner", **ns, pod=pod, uid=f"uid-{pod}", owner_kind=owner_kind,
                   owner_name=owner_name, owner_is_controller="true")] = "1x20"
        series[ksm("kube_pod_info", **ns, pod=pod, uid=f"uid-{pod}", node=node, host_ip="10.0.1.1",
                   pod_ip="10.244.1.7", created_by_kind=owner_kind, created_by_name=owner_name)] = "1x20"
        series[ksm("kube_pod_status_ready", **ns, pod=pod, uid=f"uid-{pod}", condition="true")] = "1x20" if ready else "0x20"
        series[ksm("kube_pod_status_ready", **ns, pod=pod, uid=f"uid-{pod}", condition="false")] = "0x20" if ready else "1x20"
    return series
