"""A realistic notification for checking templates at start and for `send-test`.

It has one firing and one resolved alert with every field a template may show (summary,
description, runbook and dashboard links, namespace/pod/node labels), so a template that
breaks on any of them is caught when the config is loaded, not when the pager should ring.
"""

from __future__ import annotations

import datetime as dt

from relay.targets.base import AlertItem, Notification

UTC = dt.timezone.utc


def sample_notification(now: dt.datetime | None = None) -> Notification:
    now = (now or dt.datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    common = {"alertname": "RelaySendTest", "severity": "warning", "namespace": "monitoring"}

    def alert(pod: str, status: str, started_ago: int, ended_ago: int | None) -> AlertItem:
        return AlertItem(
            status=status,
            labels={**common, "pod": pod, "node": "node-1"},
            annotations={
                "summary": "Test message from the alert relay.",
                "description": f"Pod monitoring/{pod} is a sample; nothing is wrong.",
                "runbook_url": "https://runbooks.example.invalid/RelaySendTest",
                "dashboard_url": "https://grafana.example.invalid/d/relay",
            },
            starts_at=now - dt.timedelta(seconds=started_ago),
            ends_at=None if ended_ago is None else now - dt.timedelta(seconds=ended_ago),
            generator_url="http://prometheus.example.invalid/graph?g0.expr=up",
            fingerprint=f"sample-{pod}",
        )

    alerts = (alert("relay-0", "firing", 600, None), alert("relay-1", "resolved", 3900, 60))
    return Notification(
        id=0,
        received_at=now,
        receiver="relay",
        status="firing",
        group_key='{}:{alertname="RelaySendTest"}',
        group_labels={"alertname": "RelaySendTest"},
        common_labels=common,
        common_annotations={"summary": "Test message from the alert relay."},
        external_url="http://alertmanager.example.invalid:9093",
        alerts=alerts,
    )
