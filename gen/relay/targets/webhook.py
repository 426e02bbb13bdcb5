"""Generic webhook ("透传"): forwards the Alertmanager payload as received.

One notification is POSTed as its original JSON object (unknown fields included); a digest
of several is a JSON array of those objects, in arrival order. Optional extra headers and a
bearer token (from a file or variable) for in-house receivers. 2xx is delivered; 429 and 5xx
are retried (Retry-After honoured); any other status is permanent.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Mapping

from gen.relay.targets.answers import by_status, snippet
from gen.relay.targets.base import HttpRequest, Notification, Outcome, Target, register
from gen.relay.targets.settings import Secret, Settings, redact_url

KEYS = frozenset({"url", "url_file", "url_env", "headers", "bearer_token_file",
                  "bearer_token_env", "bearer_token", "timezone"})


def payload_of(notification: Notification) -> Mapping[str, Any]:
    """The payload as Alertmanager sent it, or rebuilt (version 4) if the store kept none."""
    if notification.raw:
        return notification.raw

    def time(value: dt.datetime | None) -> str:
        if value is None:
            return "0001-01-01T00:00:00Z"
        return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")

    return {
        "version": "4",
        "groupKey": notification.group_key,
        "truncatedAlerts": notification.truncated_alerts,
        "status": notification.status,
        "receiver": notification.receiver,
        "groupLabels": dict(notification.group_labels),
        "commonLabels": dict(notification.common_labels),
        "commonAnnotations": dict(notification.common_annotations),
        "externalURL": notification.external_url,
        "alerts": [
            {
                "status": a.status,
                "labels": dict(a.labels),
                "annotations": dict(a.annotations),
                "startsAt": time(a.starts_at),
                "endsAt": time(a.ends_at),
                "generatorURL": a.generator_url,
                "fingerprint": a.fingerprint,
            }
            for a in notification.alerts
        ],
    }


@register
class WebhookTarget(Target):
    kind = "webhook"
    default_rate_limits = ()  # none documented: the receiver is in-house
    default_max_bytes = None

    def __init__(self, name: str, settings: Settings) -> None:
        self.name = name
        self.url: Secret = settings.url()
        self.headers = settings.string_map("headers")
        self.bearer = settings.secret("bearer_token", required=False, inline=False)
        reserved = {"content-type", "content-length"} | ({"authorization"} if self.bearer else set())
        for header in self.headers:
            if header.lower() in reserved:
                raise settings.error(f"headers.{header}", "set by the relay; remove it")

    @classmethod
    def from_config(cls, name: str, settings: Mapping[str, Any], where: str) -> "WebhookTarget":
        return cls(name, Settings(settings, where, KEYS))

    def __repr__(self) -> str:
        return f"<WebhookTarget {self.name!r} {redact_url(self.url.reveal())}>"

    def build(self, notifications: list[Notification], now: dt.datetime) -> HttpRequest:
        if len(notifications) == 1:
            document: Any = payload_of(notifications[0])
        else:
            document = [payload_of(n) for n in notifications]
        headers = {"Content-Type": "application/json", **self.headers}
        if self.bearer is not None:
            headers["Authorization"] = f"Bearer {self.bearer.reveal()}"
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return HttpRequest(url=self.url.reveal(), body=body, headers=headers)

    def interpret(self, status: int, headers: Mapping[str, str], body: bytes) -> Outcome:
        outcome = by_status(status, headers, body)
        return outcome if outcome is not None else Outcome("ok", f"HTTP {status}: {snippet(body)}")
