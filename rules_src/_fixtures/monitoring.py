"""Series of the monitoring stack: one Prometheus (job "prometheus-k8s") and one Alertmanager
(job "alertmanager-main"), as label matchers of their series and the labels of their alerts."""

PROM = 'job="prometheus-k8s", instance="10.0.0.5:9090"'
PROM_LABELS = {"job": "prometheus-k8s", "instance": "10.0.0.5:9090"}
AM = 'job="alertmanager-main", instance="10.0.0.6:9093"'
AM_LABELS = {"job": "alertmanager-main", "instance": "10.0.0.6:9093"}
