"""Which waiting alerts a target shows first: firing before resolved, critical before warning
before info, then in order of arrival. The store keeps each delivery's priority, so the order
holds for what waits on disk as for what is in memory, and across restarts."""

from __future__ import annotations

import msgspec

from relay.targets.base import AlertItem, Notification

SEVERITY_RANK = {"critical": 0, "page": 0, "error": 0, "warning": 1, "info": 2}
_OTHER = 3


def _rank(alert: AlertItem) -> tuple[int, int]:
    return (alert.status != "firing", SEVERITY_RANK.get(alert.labels.get("severity", ""), _OTHER))


def priority(n: Notification) -> int:
    """Smaller goes first: 0-3 for a notification with a firing alert (by its most severe
    one), 10-13 for one that only resolves."""
    if not n.alerts:
        return 10 + _OTHER
    resolved, severity = min(_rank(a) for a in n.alerts)
    return 10 * resolved + severity


def in_display_order(n: Notification) -> Notification:
    """The notification with its alerts firing first, most severe first (stable otherwise):
    a message cut at an alert boundary keeps what matters most."""
    ordered = tuple(sorted(n.alerts, key=_rank))
    if all(a is b for a, b in zip(ordered, n.alerts)):
        return n
    return msgspec.structs.replace(n, alerts=ordered)
