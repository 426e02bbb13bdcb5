"""Dead man's switch: the catalog's always-firing Watchdog alert must keep arriving. When it
has been missing for `missing_after`, the heartbeat targets get "the alerting pipeline is
broken"; when it returns, a recovery message.

The state (last seen, missing or not) lives in the store, and the message is inserted in the
same transaction that flips the state, so a crash can neither lose nor double the page. Each
operation first locks the last-seen row, so replicas sharing a store decide one after the
other: a check that overlaps an arrival at another replica sees that arrival. The
messages are ordinary notifications (a synthetic Alertmanager payload), rendered by each
target's templates like any other.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sqlite3
import time

from common.durations import format_duration
from relay import payload, store
from relay.config import Heartbeat
from relay.metrics import Metrics
from relay.order import priority
from relay.targets.base import Notification

log = logging.getLogger("relay.heartbeat")

LAST_SEEN, MISSING = "heartbeat.last_seen", "heartbeat.missing"
GROUP_KEY = "relay/heartbeat"
ALERTNAME = "AlertingPipelineBroken"


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat().replace("+00:00", "Z")


def synthetic_payload(hb: Heartbeat, status: str, last_seen: float, now: float) -> bytes:
    """An Alertmanager-shaped payload for the broken / recovered message."""
    since = _iso(last_seen)
    labels = {"alertname": ALERTNAME, "severity": "critical", "heartbeat": hb.alertname}
    if status == "firing":
        annotations = {
            "summary": f"The alerting pipeline is broken: no {hb.alertname} alert for {format_duration(hb.missing_after)}.",
            "description": (f"The relay last received the always-firing {hb.alertname} alert at {since}. Prometheus, "
                            "Alertmanager or the path from Alertmanager to this relay is down: other alerts are not "
                            "being delivered either."),
        }
        starts, ends = last_seen + hb.missing_after, "0001-01-01T00:00:00Z"
    else:
        annotations = {
            "summary": f"The alerting pipeline works again: {hb.alertname} arrives.",
            "description": f"{hb.alertname} arrived again at {_iso(now)}.",
        }
        starts, ends = last_seen + hb.missing_after, _iso(now)
    data = {
        "version": "4", "groupKey": GROUP_KEY, "truncatedAlerts": 0, "status": status, "receiver": "relay-heartbeat",
        "groupLabels": {"alertname": ALERTNAME}, "commonLabels": labels, "commonAnnotations": annotations,
        "externalURL": "",
        "alerts": [{"status": status, "labels": labels, "annotations": annotations, "startsAt": _iso(starts),
                    "endsAt": ends, "generatorURL": "", "fingerprint": "relay-heartbeat"}],
    }
    return json.dumps(data, sort_keys=True).encode()


def _insert(conn: sqlite3.Connection, hb: Heartbeat, status: str, last_seen: float, now: float):
    body = synthetic_payload(hb, status, last_seen, now)
    nid, deliveries = store.insert_notification(conn, now, None, None, body, hb.targets,
                                                priority(payload.parse_body(body)))
    return nid, body, deliveries


def seen_op(hb: Heartbeat, now: float):
    """Record an arrival; if the pipeline was marked broken, also insert the recovery message."""
    def op(conn: sqlite3.Connection):
        last = float(store.lock_state(conn, LAST_SEEN) or now)
        store.set_state(conn, LAST_SEEN, repr(now))
        # change_state: of replicas sharing a store, only one sends the recovery
        if store.get_state(conn, MISSING) == "1" and store.change_state(conn, MISSING, "0"):
            return _insert(conn, hb, "resolved", last, now)
        return None
    return op


def check_op(hb: Heartbeat, now: float):
    """If overdue and not yet reported, mark broken and insert the page."""
    def op(conn: sqlite3.Connection):
        # locked, not read: an arrival committing meanwhile must not be missed (replicas)
        last = store.lock_state(conn, LAST_SEEN)
        if last is None:
            store.set_state(conn, LAST_SEEN, repr(now))
            return None
        if now - float(last) > hb.missing_after and store.change_state(conn, MISSING, "1"):
            return _insert(conn, hb, "firing", float(last), now)  # by one replica only
        return None
    return op


def start_op(now: float):
    """At start the relay itself was away: count from now unless already reported broken, so
    a restart after downtime does not page before Alertmanager had a chance to send."""
    def op(conn: sqlite3.Connection):
        last = float(store.lock_state(conn, LAST_SEEN) or 0)
        if store.get_state(conn, MISSING) != "1":
            store.set_state(conn, LAST_SEEN, repr(max(last, now)))
        return store.get_state(conn, MISSING) == "1", float(store.get_state(conn, LAST_SEEN))
    return op


class HeartbeatWatch:
    def __init__(self, hb: Heartbeat, st: store.Store, engine, metrics: Metrics):
        self.hb = hb
        self.store = st
        self.engine = engine
        self.metrics = metrics
        self._task: asyncio.Task | None = None

    def is_heartbeat(self, n: Notification) -> bool:
        return any(a.labels.get("alertname") == self.hb.alertname for a in n.alerts)

    def dispatch(self, inserted, what: str) -> None:
        if inserted is None:
            return
        nid, body, deliveries = inserted
        received = dt.datetime.now(dt.timezone.utc)
        n = payload.to_notification(json.loads(body), nid, received)
        self.metrics.heartbeat_missing.set(1 if what == "broken" else 0)
        log.warning(f"heartbeat {what}", extra={"fields": {
            "alertname": self.hb.alertname, "notification_id": nid, "targets": list(self.hb.targets)}})
        self.engine.dispatch(n, deliveries)

    def seen(self, now: float) -> None:
        self.metrics.heartbeat_last_seen.set(now)
        self.metrics.heartbeats.inc()

    async def start(self) -> None:
        missing, last = await self.store.run(start_op(time.time()))
        self.metrics.heartbeat_missing.set(1 if missing else 0)
        self.metrics.heartbeat_last_seen.set(last)
        self._task = asyncio.create_task(self._run(), name="heartbeat")

    def update(self, hb: Heartbeat) -> None:
        self.hb = hb

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.hb.check_interval)
            try:
                inserted = await self.store.run(check_op(self.hb, time.time()))
            except Exception:
                log.exception("heartbeat check failed")
                continue
            self.dispatch(inserted, "broken")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
