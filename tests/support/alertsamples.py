"""Alertmanager notifications for the relay tests, built from version-4 payload dicts.

`payload()` writes what Alertmanager sends (JSON-ready); `notification()` turns it into the
engine's Notification the way the relay's store hands it to a target. Times are fixed so
tests can state the expected local times by hand.
"""

from __future__ import annotations

import json
import datetime as dt
from typing import Any

from relay.targets.base import AlertItem, Notification

EXTERNAL_URL = "http://alertmanager.example:9093"
ZERO_TIME = "0001-01-01T00:00:00Z"


def alert(
    name: str = "KubePodCrashLooping",
    status: str = "firing",
    starts: str = "2023-11-14T22:13:20Z",
    ends: str = ZERO_TIME,
    severity: str = "critical",
    summary: str = "Pod is crash looping.",
    description: str = "Pod shop/web-1 restarted 5 times in 10 minutes.",
    **labels: str,
) -> dict[str, Any]:
    labels = {"alertname": name, "severity": severity, "namespace": "shop", "pod": "web-1", **labels}
    return {
        "status": status,
        "labels": labels,
        "annotations": {
            "summary": summary,
            "description": description,
            "runbook_url": f"https://runbooks.example/{name}.md",
            "dashboard_url": "https://grafana.example/d/pods",
        },
        "startsAt": starts,
        "endsAt": ends,
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up%3D%3D0",
        "fingerprint": f"fp-{labels['pod']}-{status}",
    }


def payload(*alerts: dict[str, Any], status: str | None = None, group_key: str = "g1") -> dict[str, Any]:
    alerts = alerts or (alert(),)
    firing = any(a["status"] == "firing" for a in alerts)
    common = {k: v for k, v in alerts[0]["labels"].items()
              if all(a["labels"].get(k) == v for a in alerts)}
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{alerts[0]["labels"]["alertname"]}", key="{group_key}"}}',
        "truncatedAlerts": 0,
        "status": status or ("firing" if firing else "resolved"),
        "receiver": "relay",
        "groupLabels": {"alertname": alerts[0]["labels"]["alertname"]},
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": EXTERNAL_URL,
        "alerts": list(alerts),
    }


def _time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def notification(body: dict[str, Any], id: int = 1) -> Notification:
    items = tuple(
        AlertItem(
            status=a["status"],
            labels=a["labels"],
            annotations=a["annotations"],
            starts_at=_time(a["startsAt"]),
            ends_at=None if a["endsAt"].startswith("0001-") else _time(a["endsAt"]),
            generator_url=a["generatorURL"],
            fingerprint=a["fingerprint"],
        )
        for a in body["alerts"]
    )
    return Notification(
        id=id,
        received_at=dt.datetime(2023, 11, 14, 23, 20, tzinfo=dt.timezone.utc),
        receiver=body["receiver"],
        status=body["status"],
        group_key=body["groupKey"],
        group_labels=body["groupLabels"],
        common_labels=body["commonLabels"],
        common_annotations=body["commonAnnotations"],
        external_url=body["externalURL"],
        alerts=items,
        truncated_alerts=body.get("truncatedAlerts", 0),
        body=json.dumps(body).encode(),
    )


def firing() -> Notification:
    return notification(payload(alert()))


def resolved() -> Notification:
    """Resolved after 1h 5m 5s: 22:13:20Z -> 23:18:25Z (06:13:20 -> 07:18:25 in Shanghai)."""
    return notification(payload(alert(status="resolved", ends="2023-11-14T23:18:25Z")), id=2)


def many(count: int, description_bytes: int = 300, name: str = "KubePodNotReady") -> Notification:
    """One group of `count` firing alerts (pods web-0...) with descriptions of about that size."""
    return notification(payload(*(
        alert(name=name, pod=f"web-{i}", description=f"pod web-{i} " + "x" * description_bytes)
        for i in range(count)
    )))
