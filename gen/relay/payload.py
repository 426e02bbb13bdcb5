"""Alertmanager's webhook payload (version 4) -> Notification, or a PayloadError saying what
is wrong and which HTTP status that means (400 JSON, 415 content type, 422 schema).

Unknown fields are accepted (newer Alertmanagers add some). Fields Alertmanager always sends
but a hand-written sender may omit (annotations, generatorURL, ...) default to empty; those the
relay cannot work without (version, groupKey, status, alerts with labels and startsAt) are
required.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from gen.errors import PayloadError
from gen.relay.targets.base import AlertItem, Notification

STATUSES = ("firing", "resolved")
_ZERO_TIME = dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)


def check_content_type(content_type: str | None) -> None:
    media = (content_type or "").split(";")[0].strip().lower()
    if media != "application/json":
        raise PayloadError(415, f"Content-Type must be application/json, got {content_type or 'none'!r}")


def decode(body: bytes) -> dict:
    try:
        data = json.loads(body.decode("utf-8"))  # RFC 8259: JSON on the wire is UTF-8
    except UnicodeDecodeError as exc:
        raise PayloadError(400, f"body is not UTF-8: {exc.reason} at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise PayloadError(400, f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise PayloadError(422, f"the payload must be a JSON object, not {_type(data)}")
    return data


def _type(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _fail(path: str, message: str) -> PayloadError:
    return PayloadError(422, f"{path}: {message}")


def _str(data: dict, key: str, path: str, required: bool = False) -> str:
    if key not in data:
        if required:
            raise _fail(f"{path}{key}", "required")
        return ""
    value = data[key]
    if not isinstance(value, str):
        raise _fail(f"{path}{key}", f"must be a string, not {_type(value)}")
    return value


def _labels(data: dict, key: str, path: str, required: bool = False) -> dict[str, str]:
    if key not in data or data[key] is None:
        if required:
            raise _fail(f"{path}{key}", "required")
        return {}
    value = data[key]
    if not isinstance(value, dict):
        raise _fail(f"{path}{key}", f"must be an object of strings, not {_type(value)}")
    for k, v in value.items():
        if not isinstance(v, str):
            raise _fail(f"{path}{key}.{k}", f"must be a string, not {_type(v)}")
    return value


def _time(data: dict, key: str, path: str, required: bool = False) -> dt.datetime | None:
    text = _str(data, key, path, required)
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise _fail(f"{path}{key}", f"not an RFC 3339 time: {text!r}") from None
    if value.tzinfo is None:
        raise _fail(f"{path}{key}", f"RFC 3339 time without an offset: {text!r}")
    value = value.astimezone(dt.timezone.utc)
    return None if value == _ZERO_TIME else value


def _status(data: dict, path: str) -> str:
    status = _str(data, "status", path, required=True)
    if status not in STATUSES:
        raise _fail(f"{path}status", f"must be firing or resolved, not {status!r}")
    return status


def _alert(data: Any, path: str) -> AlertItem:
    if not isinstance(data, dict):
        raise _fail(path.rstrip("."), f"must be an object, not {_type(data)}")
    starts = _time(data, "startsAt", path, required=True)
    if starts is None:
        raise _fail(f"{path}startsAt", "must be a real time, not the zero time")
    labels = _labels(data, "labels", path, required=True)
    fingerprint = _str(data, "fingerprint", path)
    if not fingerprint:  # Alertmanager always sends one; a stand-in keeps dedupe working for others
        fingerprint = hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]
    return AlertItem(
        status=_status(data, path),
        labels=labels,
        annotations=_labels(data, "annotations", path),
        starts_at=starts,
        ends_at=_time(data, "endsAt", path),
        generator_url=_str(data, "generatorURL", path),
        fingerprint=fingerprint,
    )


def to_notification(data: dict, id: int = 0, received_at: dt.datetime | None = None) -> Notification:
    """Validate a decoded payload; PayloadError(422) naming the field at fault."""
    version = data.get("version")
    if version != "4":
        raise _fail("version", f'expected "4" (Alertmanager webhook payload), got {json.dumps(version)}')
    alerts = data.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise _fail("alerts", "must be a non-empty array" if isinstance(alerts, list) else
                    ("required" if alerts is None else f"must be an array, not {_type(alerts)}"))
    truncated = data.get("truncatedAlerts", 0)
    if isinstance(truncated, bool) or not isinstance(truncated, int) or truncated < 0:
        raise _fail("truncatedAlerts", f"must be a non-negative integer, not {json.dumps(truncated)}")
    return Notification(
        id=id,
        received_at=received_at or dt.datetime.now(dt.timezone.utc),
        receiver=_str(data, "receiver", ""),
        status=_status(data, ""),
        group_key=_str(data, "groupKey", "", required=True),
        group_labels=_labels(data, "groupLabels", ""),
        common_labels=_labels(data, "commonLabels", ""),
        common_annotations=_labels(data, "commonAnnotations", ""),
        external_url=_str(data, "externalURL", ""),
        alerts=tuple(_alert(a, f"alerts[{i}].") for i, a in enumerate(alerts)),
        truncated_alerts=truncated,
        raw=data,
    )


def parse(body: bytes, content_type: str | None) -> Notification:
    check_content_type(content_type)
    return to_notification(decode(body))


def dedup_key(n: Notification, route: str | None) -> str:
    """Same group, status, alerts and times (and explicit route) -> same key: what two
    Alertmanager replicas send for one flush, but not a later repeat with new times."""
    parts = [route or "", n.group_key, n.status, n.receiver]
    for a in sorted(n.alerts, key=lambda a: a.fingerprint):
        parts += [a.fingerprint, a.status, a.starts_at.isoformat(), a.ends_at.isoformat() if a.ends_at else ""]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
