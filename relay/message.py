"""What a chat message shows about a notification (or a digest of several): the view that
templates render.

Templates only format; every fact they show is decided here once for all kinds: times in
the target's zone with the zone named (UTC in chat is the most repeated complaint about
existing relays), how long a resolved alert lasted, which labels matter, the links, the
Alertmanager silence link. `include` cuts the view at an alert boundary so the caller can
shrink a message until it fits its service's size limit.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence
from urllib.parse import quote
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # importing relay.targets at run time would load every kind (a cycle)
    from relay.targets.base import AlertItem, Notification

DEFAULT_TIMEZONE = "Asia/Shanghai"

# Labels worth a line in a chat message, in this order when present; anything else the alert
# carries follows, sorted, except the labels below that only repeat what the message says
# elsewhere or identify scrape plumbing.
KEY_LABEL_ORDER = (
    "cluster", "namespace", "pod", "container", "node", "instance", "job",
    "deployment", "statefulset", "daemonset", "replicaset", "job_name", "cronjob",
    "horizontalpodautoscaler", "persistentvolumeclaim", "persistentvolume", "service",
    "ingress", "device", "mountpoint", "interface",
)
HIDDEN_LABELS = frozenset({
    "alertname", "severity", "prometheus", "prometheus_replica", "endpoint", "metrics_path",
    "uid", "id", "image", "container_id", "__name__",
})

TITLE_BYTES = 256  # a title is a header line, and must leave room for the alerts
# A label value shown in a message (or written into its silence link) at most: labels identify,
# and one 10 KB label value must not push the alert's details out of the message.
LABEL_BYTES = 256

# Annotations that become links (besides the alert's generatorURL and the silence link).
LINK_ANNOTATIONS = (("runbook_url", "Runbook"), ("dashboard_url", "Dashboard"))


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class AlertView:
    """One alert as a message shows it; times are in the target's zone."""

    status: str  # "firing" | "resolved"
    name: str  # alertname
    severity: str
    summary: str
    description: str
    key_labels: tuple[tuple[str, str], ...]
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: dt.datetime
    ends_at: dt.datetime | None  # resolved alerts only
    starts: str  # starts_at formatted, zone shown
    ends: str  # "" while firing
    duration: str  # how long a resolved alert lasted ("1h 5m 3s"); "" while firing
    generator_url: str
    runbook_url: str
    dashboard_url: str
    silence_url: str  # "" when the notification has no externalURL
    links: tuple[Link, ...]  # the four above that exist, in that order
    fingerprint: str

    @property
    def firing(self) -> bool:
        return self.status == "firing"


@dataclass(frozen=True)
class GroupView:
    """One notification (alert group); `alerts` are those the message includes."""

    title: str
    status: str
    receiver: str
    group_key: str
    group_labels: Mapping[str, str]
    common_labels: Mapping[str, str]
    common_annotations: Mapping[str, str]
    external_url: str
    alerts: tuple[AlertView, ...]
    firing_count: int  # in the whole group, included or not
    resolved_count: int
    omitted: int  # alerts of this group the message leaves out to fit
    truncated_alerts: int  # alerts Alertmanager itself left out (max_alerts)
    received: str


@dataclass(frozen=True)
class MessageView:
    """Everything a template gets (besides `mentions`, which the kind adds)."""

    title: str
    status: str  # "firing" when any alert in the message fires
    digest: bool  # several notifications merged into one message
    groups: tuple[GroupView, ...]  # groups with no included alert are left out
    alerts: tuple[AlertView, ...]  # every included alert, in order
    total_alerts: int
    firing_count: int
    resolved_count: int
    omitted: int  # alerts left out to fit the size limit: the next message shows them
    more_line: str  # the "... and N more" line, "" when nothing is left out
    timezone: str
    compact: bool = False  # one line per alert: a backlog packed into as few messages as it fits
    included: tuple[int, ...] = ()  # alerts included, per notification given (in order)
    more_url: str = ""  # with a summary: Alertmanager's list of what is not shown


@dataclass(frozen=True)
class Summary:
    """The last message a target's rate budget allows within its horizon: what it cannot
    show is counted, and linked, instead of following in later messages."""

    later_alerts: int  # alerts waiting besides this message's notifications
    later_notifications: int  # notifications waiting whose alerts were not counted (not in memory)
    within: str  # the horizon, as written in relay.yaml ("10m")
    url: str  # Alertmanager's alert list filtered to them ("" without an externalURL)


def zone(name: str) -> ZoneInfo:
    """The zone called `name` (ValueError when there is none), so callers can name the key."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown time zone {name!r}") from exc


def format_time(when: dt.datetime, tz: ZoneInfo) -> str:
    """`2023-11-15 06:13:20 CST`; zones whose abbreviation is only an offset show `UTC+08:00`."""
    local = when.astimezone(tz)
    abbreviation = local.tzname() or ""
    if not abbreviation or abbreviation[0] in "+-":
        offset = local.strftime("%z")  # +0800
        abbreviation = f"UTC{offset[:3]}:{offset[3:]}"
    return f"{local:%Y-%m-%d %H:%M:%S} {abbreviation}"


def format_duration(seconds: float) -> str:
    """`2d 3h`, `1h 5m 3s`, `42s`: at most three units, largest first, never negative."""
    total = max(0, int(seconds))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= size or (unit == "s" and not parts):
            parts.append(f"{total // size}{unit}")
            total %= size
    return " ".join(parts[:3])


def silence_url(external_url: str, labels: Mapping[str, str]) -> str:
    """Alertmanager's new-silence form prefilled with all the alert's labels as matchers."""
    if not external_url:
        return ""
    names = sorted((k for k in labels if len(labels[k].encode("utf-8")) <= LABEL_BYTES),
                   key=lambda key: (key != "alertname", key))  # a huge value would make the link unusable
    matchers = ",".join(f'{name}="{_matcher_value(labels[name])}"' for name in names)
    return f"{external_url.rstrip('/')}/#/silences/new?filter={quote('{' + matchers + '}', safe='')}"


def _matcher_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def clip(text: str, max_bytes: int) -> str:
    """`text` cut to `max_bytes` UTF-8 bytes (whole characters) with an ellipsis, so one huge
    description cannot push every other alert out of a message."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[: max(0, max_bytes - 3)].decode("utf-8", errors="ignore") + "…"


def key_labels(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The labels worth a line, values clipped to LABEL_BYTES."""
    first = [(key, labels[key]) for key in KEY_LABEL_ORDER if labels.get(key)]
    rest = sorted(
        (key, value) for key, value in labels.items()
        if value and key not in HIDDEN_LABELS and key not in KEY_LABEL_ORDER
        and not key.startswith("__")
    )
    return tuple((key, clip(value, LABEL_BYTES)) for key, value in first + rest)


def alert_view(alert: AlertItem, external_url: str, tz: ZoneInfo, field_bytes: int) -> AlertView:
    labels, annotations = dict(alert.labels), dict(alert.annotations)
    resolved = alert.status == "resolved" and alert.ends_at is not None
    silence = silence_url(external_url, labels)
    urls = {
        "generator_url": alert.generator_url or "",
        "runbook_url": annotations.get("runbook_url", ""),
        "dashboard_url": annotations.get("dashboard_url", ""),
    }
    links = [Link("Source", urls["generator_url"])] + [
        Link(label, annotations.get(key, "")) for key, label in LINK_ANNOTATIONS
    ] + [Link("Silence", silence)]
    return AlertView(
        status=alert.status,
        name=labels.get("alertname", ""),
        severity=labels.get("severity", ""),
        summary=clip(annotations.get("summary", ""), field_bytes),
        description=clip(annotations.get("description", annotations.get("message", "")), field_bytes),
        key_labels=key_labels(labels),
        labels=labels,
        annotations=annotations,
        starts_at=alert.starts_at.astimezone(tz),
        ends_at=alert.ends_at.astimezone(tz) if resolved else None,
        starts=format_time(alert.starts_at, tz),
        ends=format_time(alert.ends_at, tz) if resolved else "",
        duration=format_duration((alert.ends_at - alert.starts_at).total_seconds()) if resolved else "",
        silence_url=silence,
        links=tuple(link for link in links if link.url),
        fingerprint=alert.fingerprint,
        **urls,
    )


def group_title(n: Notification) -> str:
    """`[FIRING:2] KubePodCrashLooping` (with the group's other labels when it has some)."""
    firing = sum(1 for a in n.alerts if a.status == "firing")
    status = f"FIRING:{firing}" if n.status == "firing" else f"RESOLVED:{len(n.alerts)}"
    labels = dict(n.group_labels) or {}
    name = labels.pop("alertname", None) or n.common_labels.get("alertname", "") or "alerts"
    rest = " ".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return clip(f"[{status}] {name}" + (f" ({rest})" if rest else ""), TITLE_BYTES)


def more_line(omitted: int, summary: Summary | None = None) -> str:
    """Alerts a message leaves out: they follow in the next message, or, in a summary, what
    the rate budget cannot show within the horizon."""
    if summary is None:
        return f"... and {omitted} more in the next message" if omitted else ""
    total = omitted + summary.later_alerts
    if not total and not summary.later_notifications:
        return ""
    text = f"... and {total} more alerts"
    if summary.later_notifications:
        text += f" (and {summary.later_notifications} more notifications)"
    return text + f" not shown: more than the rate limit lets through within {summary.within}"


def alerts_url(notifications: Sequence[Notification]) -> str:
    """Alertmanager's alert list filtered to these notifications' alert names (and receiver),
    for a summary's link; "" when they carry no externalURL."""
    base = next((n.external_url for n in notifications if n.external_url), "")
    if not base:
        return ""
    names = sorted({a.labels.get("alertname", "") for n in notifications for a in n.alerts} - {""})
    receivers = {n.receiver for n in notifications}
    query = ""
    if names and sum(len(x) + 1 for x in names) <= 1500:  # a link, not a page of names
        value = "|".join(re.escape(name).replace("\\", "\\\\").replace('"', '\\"') for name in names)
        query = "filter=" + quote('{alertname=~"' + value + '"}', safe="")
    if len(receivers) == 1 and next(iter(receivers)):
        query += ("&" if query else "") + "receiver=" + quote(next(iter(receivers)), safe="")
    return f"{base.rstrip('/')}/#/alerts" + (f"?{query}" if query else "")


def build_view(
    notifications: Sequence[Notification],
    tz: ZoneInfo,
    include: int | None = None,
    field_bytes: int = 2000,
    cache: dict[tuple[int, int], AlertView] | None = None,
    compact: bool = False,
    summary: Summary | None = None,
) -> MessageView:
    """The view of `notifications` with only the first `include` alerts (all when None),
    counted across groups in order; groups left without an included alert are dropped.
    `cache` keeps alert views between the renders of one size cut; `compact` asks the
    template for one line per alert; `summary` makes this a horizon's last message."""
    cache = {} if cache is None else cache

    def view_of(group: int, index: int, n: Notification) -> AlertView:
        key = (group, index)
        if key not in cache:
            cache[key] = alert_view(n.alerts[index], n.external_url, tz, field_bytes)
        return cache[key]

    total = sum(len(n.alerts) for n in notifications)
    budget = total if include is None else max(0, min(include, total))
    groups, alerts, included = [], [], []
    firing_total = resolved_total = 0
    for position, n in enumerate(notifications):
        firing = sum(1 for a in n.alerts if a.status == "firing")
        firing_total += firing
        resolved_total += len(n.alerts) - firing
        taken = n.alerts[:budget]
        budget -= len(taken)
        included.append(len(taken))
        if not taken:
            continue
        views = tuple(view_of(position, index, n) for index in range(len(taken)))
        alerts.extend(views)
        groups.append(GroupView(
            title=group_title(n),
            status=n.status,
            receiver=n.receiver,
            group_key=n.group_key,
            group_labels=dict(n.group_labels),
            common_labels=dict(n.common_labels),
            common_annotations=dict(n.common_annotations),
            external_url=n.external_url,
            alerts=views,
            firing_count=firing,
            resolved_count=len(n.alerts) - firing,
            omitted=len(n.alerts) - len(taken),
            truncated_alerts=n.truncated_alerts,
            received=format_time(n.received_at, tz),
        ))
    omitted = total - len(alerts)
    digest = len(notifications) > 1
    if digest:
        title = f"[FIRING:{firing_total} RESOLVED:{resolved_total}] {len(notifications)} alert groups"
    elif notifications:
        title = group_title(notifications[0])
    else:
        title = "no alerts"
    any_firing = any(n.status == "firing" for n in notifications)
    return MessageView(
        title=title,
        status="firing" if any_firing else "resolved",
        digest=digest,
        groups=tuple(groups),
        alerts=tuple(alerts),
        total_alerts=total,
        firing_count=firing_total,
        resolved_count=resolved_total,
        omitted=omitted,
        more_line=more_line(omitted, summary),
        timezone=tz.key,
        compact=compact,
        included=tuple(included),
        more_url=summary.url if summary is not None else "",
    )
