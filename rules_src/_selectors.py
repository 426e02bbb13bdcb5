"""Default label matchers per exporter, used in expressions as ${name}.

Override any of them under `selectors:` in monitoring.yaml, e.g. when kube-state-metrics
is scraped under another job name.

Exporter versions the expressions target: kube-state-metrics v2 (the label sets of every
case's series are those its v2.20.0 docs list: tests/support/exporter_labels.py; the scheduling-gate
reason KubePodNotReady reads exists from v2.19), the kubelet and cAdvisor of Kubernetes 1.27
and later (cAdvisor 0.47's cgroup series with the kubelet's `pod`/`container`/`id`/`image`/`name`
labels, checked the same way; the API server's
apiserver_request_sli_duration_seconds, named ..._slo_... before 1.27), node_exporter 1.x.
Middleware: mysqld_exporter 0.14, postgres_exporter 0.11, redis_exporter 1.45 (their metric
names checked against the real exporters and servers: tests/catalog/test_middleware_exporters.py)
and danielqsj/kafka_exporter 1.x (its documented shapes). The first three watch one server each,
whose `instance` is the exporter's target. kafka_exporter sees the whole Kafka cluster, so its
alerts reduce it with `max without (instance)` and have a case with two exporters written out
(its selector is a regex, which a case's series cannot take as `${kafka_exporter}`, so it is not
in REPLICATED).

REPLICATED: the exporters teams commonly run as several replicas, each scraped on its own
(kube-state-metrics in HA, and two of them during every rolling update). `gen test` runs
every case again with their series doubled (gen/testing.py), so each expression must reduce
them to the object (`max without (instance)`) before joining, summing or alerting.
"""

SELECTORS = {
    "kube_state_metrics": 'job="kube-state-metrics"',
    "node_exporter": 'job="node-exporter"',
    "kubelet": 'job="kubelet", metrics_path="/metrics"',
    "cadvisor": 'job="kubelet", metrics_path="/metrics/cadvisor"',
    "apiserver": 'job="apiserver"',
    "etcd": 'job=~".*etcd.*"',
    "kube_scheduler": 'job="kube-scheduler"',
    "kube_controller_manager": 'job="kube-controller-manager"',
    "kube_proxy": 'job="kube-proxy"',
    "coredns": 'job=~"kube-dns|coredns"',
    "ingress_nginx": 'job=~".*ingress-nginx.*"',
    "prometheus": 'job=~"prometheus-k8s|prometheus"',
    "alertmanager": 'job=~"alertmanager-main|alertmanager"',
    # Middleware (rules_src/mysql.py, postgres.py, redis.py, kafka.py): one exporter per server
    # (a sidecar or a Deployment next to it), scraped under a job that names the service.
    "mysqld_exporter": 'job=~".*mysql.*"',
    "postgres_exporter": 'job=~".*postgres.*"',
    "redis_exporter": 'job=~".*redis.*"',
    "kafka_exporter": 'job=~".*kafka.*"',
}

REPLICATED = ("kube_state_metrics",)
