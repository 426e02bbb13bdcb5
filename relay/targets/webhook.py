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

from relay.targets.answers import by_status, snippet
from relay.targets.base import HttpRequest, Notification, Outcome, Target, register
from relay.secrets import Secret
from relay.targets.settings import Settings, redact_url

KEYS = frozenset({"url", "url_file", "url_env", "headers", "bearer_token_file",
                  "bearer_token_env", "bearer_token", "timezone"})


def body_of(notification: Notification) -> bytes:
    """The payload's JSON as Alertmanager sent it (forwarded without decoding and encoding it
    again, which cost more than the rest of a delivery), or rebuilt when the bytes are unknown."""
    if notification.body:
        return notification.body
    return json.dumps(payload_of(notification), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def payload_of(notification: Notification) -> Mapping[str, Any]:
    """The payload rebuilt (version 4) from the notification's fields."""

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
        return f"<WebhookTarget {self.name!r} {(redact_url(self.url.reveal()) if self.url.read else self.url.source)}>"

    def build(self, notifications: list[Notification], now: dt.datetime) -> HttpRequest:
        if len(notifications) == 1:
            body = body_of(notifications[0])
        else:
            body = b"[" + b",".join(body_of(n) for n in notifications) + b"]"
        headers = {"Content-Type": "application/json", **self.headers}
        if self.bearer is not None:
            headers["Authorization"] = f"Bearer {self.bearer.reveal()}"
        return HttpRequest(url=self.url.reveal(), body=body, headers=headers)

    def interpret(self, status: int, headers: Mapping[str, str], body: bytes) -> Outcome:
        outcome = by_status(status, headers, body)
        return outcome if outcome is not None else Outcome("ok", f"HTTP {status}: {snippet(body)}")
