"""The labels the exporters emit on every metric the catalog's cases use.

kube-state-metrics: from v2.20.0, docs/metrics/**/*.md (the "Labels/tags" column; the
kube_state_metrics_* self-metrics from its README); `label_<NAME>` stands for a Kubernetes
label allowed by --metric-labels-allowlist.

cAdvisor as the kubelet serves it (/metrics/cadvisor, Kubernetes 1.27, cAdvisor 0.47): the
kubelet names every cgroup's series with container, id, image, name, namespace and pod
(pkg/kubelet/server/server.go, containerPrometheusLabelsFunc; all six always present, empty
for the pod's own cgroup and system cgroups), and cAdvisor adds the labels of a metric's
kind (metrics/prometheus.go `extraLabels`: cpu on container_cpu_usage_seconds_total, "total"
unless per-CPU metrics are enabled). cAdvisor's docs/storage/prometheus.md lists the metrics.

The kubelet's own metrics (Kubernetes 1.27): the Kubernetes metrics reference
(kubernetes.io/docs/reference/instrumentation/metrics/): kubelet_volume_stats_* carry
namespace and persistentvolumeclaim, kubelet_node_name node; histograms their `le`.

danielqsj/kafka_exporter (1.x; read at v1.9.0, kafka_exporter.go, the variable labels of each
prometheus.NewDesc; README "Metrics" lists the same): no broker runs in the tests, so the
Kafka cases are held to this table. mysqld_exporter, postgres_exporter and redis_exporter are
not here: tests/catalog/test_middleware_exporters.py reads their labels off the real exporters.

tests/catalog/test_exporter_shapes.py holds the cases to these tables.
"""

KUBE_STATE_METRICS = {
    'kube_cronjob_next_schedule_time': ('cronjob', 'namespace'),
    'kube_cronjob_spec_suspend': ('cronjob', 'namespace'),
    'kube_daemonset_status_current_number_scheduled': ('daemonset', 'namespace'),
    'kube_daemonset_status_desired_number_scheduled': ('daemonset', 'namespace'),
    'kube_daemonset_status_number_misscheduled': ('daemonset', 'namespace'),
    'kube_daemonset_status_number_ready': ('daemonset', 'namespace'),
    'kube_daemonset_status_updated_number_scheduled': ('daemonset', 'namespace'),
    'kube_deployment_metadata_generation': ('deployment', 'namespace'),
    'kube_deployment_spec_replicas': ('deployment', 'namespace'),
    'kube_deployment_status_observed_generation': ('deployment', 'namespace'),
    'kube_deployment_status_replicas_available': ('deployment', 'namespace'),
    'kube_deployment_status_replicas_updated': ('deployment', 'namespace'),
    'kube_horizontalpodautoscaler_spec_max_replicas': ('horizontalpodautoscaler', 'namespace'),
    'kube_horizontalpodautoscaler_spec_min_replicas': ('horizontalpodautoscaler', 'namespace'),
    'kube_horizontalpodautoscaler_status_current_replicas': ('horizontalpodautoscaler', 'namespace'),
    'kube_horizontalpodautoscaler_status_desired_replicas': ('horizontalpodautoscaler', 'namespace'),
    'kube_job_failed': ('condition', 'job_name', 'namespace'),
    'kube_job_spec_completions': ('job_name', 'namespace'),
    'kube_job_status_succeeded': ('job_name', 'namespace'),
    'kube_node_spec_taint': ('effect', 'key', 'node', 'value'),
    'kube_node_status_allocatable': ('node', 'resource', 'unit'),
    'kube_node_status_capacity': ('node', 'resource', 'unit'),
    'kube_node_status_condition': ('condition', 'node', 'status'),
    'kube_persistentvolume_status_phase': ('persistentvolume', 'phase'),
    'kube_persistentvolumeclaim_access_mode': ('access_mode', 'namespace', 'persistentvolumeclaim'),
    'kube_persistentvolumeclaim_labels': ('label_*', 'namespace', 'persistentvolumeclaim'),
    'kube_pod_container_info': ('container', 'container_id', 'image', 'image_id', 'image_spec', 'namespace', 'pod', 'uid'),
    'kube_pod_container_resource_limits': ('container', 'namespace', 'node', 'pod', 'resource', 'uid', 'unit'),
    'kube_pod_container_resource_requests': ('container', 'namespace', 'node', 'pod', 'resource', 'uid', 'unit'),
    'kube_pod_container_status_last_terminated_reason': ('container', 'namespace', 'pod', 'reason', 'uid'),
    'kube_pod_container_status_restarts_total': ('container', 'namespace', 'pod', 'uid'),
    'kube_pod_container_status_waiting_reason': ('container', 'namespace', 'pod', 'reason', 'uid'),
    'kube_pod_info': ('created_by_kind', 'created_by_name', 'host_ip', 'host_network', 'namespace', 'node', 'pod', 'pod_ip', 'priority_class', 'uid'),
    'kube_pod_owner': ('namespace', 'owner_is_controller', 'owner_kind', 'owner_name', 'pod', 'uid'),
    'kube_pod_status_phase': ('namespace', 'phase', 'pod', 'uid'),
    'kube_pod_status_ready': ('condition', 'namespace', 'pod', 'uid'),
    'kube_pod_status_reason': ('namespace', 'pod', 'reason', 'uid'),
    'kube_replicaset_owner': ('namespace', 'owner_is_controller', 'owner_kind', 'owner_name', 'replicaset'),
    'kube_resourcequota': ('namespace', 'resource', 'resourcequota', 'type'),
    'kube_state_metrics_list_total': ('resource', 'result'),
    'kube_state_metrics_watch_total': ('resource', 'result'),
    'kube_statefulset_metadata_generation': ('namespace', 'statefulset'),
    'kube_statefulset_replicas': ('namespace', 'statefulset'),
    'kube_statefulset_status_current_revision': ('namespace', 'revision', 'statefulset'),
    'kube_statefulset_status_observed_generation': ('namespace', 'statefulset'),
    'kube_statefulset_status_replicas': ('namespace', 'statefulset'),
    'kube_statefulset_status_replicas_ready': ('namespace', 'statefulset'),
    'kube_statefulset_status_replicas_updated': ('namespace', 'statefulset'),
    'kube_statefulset_status_update_revision': ('namespace', 'revision', 'statefulset'),
}

# Every series the kubelet serves for a cgroup carries all of these (empty where they do not apply).
CADVISOR_LABELS = ("container", "id", "image", "name", "namespace", "pod")
CADVISOR = {
    "container_cpu_cfs_periods_total": (),
    "container_cpu_cfs_throttled_periods_total": (),
    "container_cpu_usage_seconds_total": ("cpu",),
    "container_memory_working_set_bytes": (),
}

KUBELET = {
    "kubelet_node_name": ("node",),
    "kubelet_pleg_relist_duration_seconds_bucket": ("le",),
    "kubelet_pod_start_sli_duration_seconds_bucket": ("le",),
    "kubelet_running_pods": (),
    "up": (),  # the scrape's own series
    "kubelet_volume_stats_available_bytes": ("namespace", "persistentvolumeclaim"),
    "kubelet_volume_stats_capacity_bytes": ("namespace", "persistentvolumeclaim"),
    "kubelet_volume_stats_used_bytes": ("namespace", "persistentvolumeclaim"),
}

# What scraping the kubelet adds (kube-prometheus' kubelet ServiceMonitor: the target's job and
# instance, metrics_path from __metrics_path__; the operator's endpoint, service and node).
KUBELET_SCRAPE_LABELS = ("endpoint", "instance", "job", "metrics_path", "node", "service")

KAFKA_EXPORTER = {
    'kafka_brokers': (),
    'kafka_topic_partitions': ('topic',),
    'kafka_topic_partition_replicas': ('partition', 'topic'),
    'kafka_topic_partition_in_sync_replica': ('partition', 'topic'),
    'kafka_topic_partition_leader': ('partition', 'topic'),
    'kafka_topic_partition_under_replicated_partition': ('partition', 'topic'),
    'kafka_topic_partition_current_offset': ('partition', 'topic'),
    'kafka_consumergroup_lag': ('consumergroup', 'partition', 'topic'),
    'kafka_consumergroup_lag_sum': ('consumergroup', 'topic'),
    'kafka_consumergroup_members': ('consumergroup',),
}
