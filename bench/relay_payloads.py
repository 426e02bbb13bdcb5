"""Realistic Alertmanager webhook payloads of 1 to 20 alerts for the relay benchmark."""

from __future__ import annotations

import datetime as dt
import hashlib

_ALERTS = (
    ("KubePodCrashLooping", "warning", "Pod {ns}/{pod} ({container}) is in waiting state (reason: \"CrashLoopBackOff\")."),
    ("PodMemory75", "warning", "Pod {ns}/{pod} uses 83.2% of its memory limit."),
    ("KubeDeploymentReplicasMismatch", "critical", "Deployment {ns}/{pod} has not matched the expected number of replicas for longer than 15 minutes."),
)


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def sample_payload(alerts: int = 1, status: str = "firing", seq: int = 0,
                   now: dt.datetime | None = None, alertname: str | None = None) -> dict:
    """One alert group of `alerts` alerts, shaped like Alertmanager 0.25's webhook body.
    `seq` varies the group and start times so consecutive payloads are not duplicates."""
    now = now or dt.datetime.now(dt.timezone.utc)
    name, severity, text = _ALERTS[seq % len(_ALERTS)]
    name = alertname or name
    ns = f"shop-{seq % 7}"
    started = now - dt.timedelta(minutes=10, seconds=seq % 3600)
    items = []
    for i in range(alerts):
        pod = f"web-{seq % 97}-{i:02d}-7d9f8c6b5-x{i % 10}q"
        labels = {"alertname": name, "severity": severity, "namespace": ns, "pod": pod, "container": "app",
                  "cluster": "prod-sh-1", "job": "kube-state-metrics", "prometheus": "monitoring/k8s"}
        annotations = {
            "summary": f"{name} on {ns}/{pod}",
            "description": text.format(ns=ns, pod=pod, container="app"),
            "runbook_url": f"https://github.com/your-org/monitoring/blob/main/docs/runbooks/{name}.md",
        }
        items.append({
            "status": status, "labels": labels, "annotations": annotations, "startsAt": _iso(started),
            "endsAt": _iso(now) if status == "resolved" else "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.monitoring:9090/graph?g0.expr=kube_pod_container_status_waiting_reason&g0.tab=1",
            "fingerprint": hashlib.sha256(f"{seq}/{i}/{name}".encode()).hexdigest()[:16],
        })
    group = {"alertname": name, "namespace": ns}
    return {
        "receiver": "relay", "status": status, "alerts": items, "groupLabels": group,
        "commonLabels": {"alertname": name, "severity": severity, "namespace": ns, "cluster": "prod-sh-1"},
        "commonAnnotations": {} if alerts > 1 else items[0]["annotations"],
        "externalURL": "http://alertmanager.monitoring:9093", "version": "4",
        "groupKey": '{}:{alertname="%s", namespace="%s"}#%d' % (name, ns, seq), "truncatedAlerts": 0,
    }
