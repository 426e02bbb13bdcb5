"""Delivery: one asyncio task and one queue per target, so a slow or failing target never
delays another.

Each round a worker waits for work, for its backoff and for its rate budget, then sends. When
more notifications wait than the budget allows right now, the surplus (plus one) goes out as
one digest built from several notifications, so a burst reaches the chat group within the
window instead of minutes later, and nothing is dropped. Answers: ok -> the delivery rows are
marked done; retry (network error, timeout, 5xx, 429, a rate-limit errcode) -> exponential
backoff with jitter, at least the service's Retry-After; permanent (bad token, bad signature)
-> dead letters, no retry. Anything older than max_age is given up into the dead letters.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import random
import time
from collections import deque
from dataclasses import dataclass

import aiohttp

from relay.errors import StoreError
from relay import payload, store
from relay.targets.answers import retry_after
from relay.config import RelayConfig, TargetConfig
from relay.metrics import Metrics
from relay.ratelimit import SlidingWindowLimiter
from relay.targets.base import HttpRequest, Notification, Outcome

log = logging.getLogger("relay.delivery")

MAX_DIGEST = 1000  # notifications in one message at most; the target cuts the text to its size limit
# When only the last quarter of a window's budget is left, a notification waits this long for
# others of its burst, so the last slots carry digests instead of one group each (a burst
# arrives over tens of milliseconds; a worker sending each at once would spend the whole
# budget on the first groups and hold the rest for a full window).
DIGEST_LINGER = 1.0


@dataclass
class Item:
    delivery_id: int
    notification: Notification
    attempts: int = 0
    last_error: str = ""
    received_monotonic: float = dataclasses.field(default_factory=time.monotonic)  # when queued here

    @property
    def received_at(self) -> float:
        return self.notification.received_at.timestamp()


async def send(session: aiohttp.ClientSession, target, request: HttpRequest, timeout: float) -> tuple[Outcome, int | None]:
    """POST the request and read the answer; (Outcome, HTTP status or None on network error).
    5xx and 429 are retried whatever the kind says; the body of anything else goes to the kind."""
    try:
        async with session.post(request.url, data=request.body, headers=dict(request.headers),
                                timeout=aiohttp.ClientTimeout(total=timeout), allow_redirects=False) as resp:
            body = await resp.read()
            status, headers = resp.status, resp.headers
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        return Outcome("retry", f"network error: {type(exc).__name__}: {exc}"), None
    if status == 429 or status >= 500:
        text = body[:200].decode("utf-8", "replace")
        return Outcome("retry", f"HTTP {status}: {text}", retry_after(headers)), status
    try:
        return target.interpret(status, headers, body), status
    except Exception as exc:  # a kind's bug must not kill the worker; keep the message visible
        log.exception("interpret failed", extra={"fields": {"target": target.name}})
        return Outcome("permanent", f"cannot read the answer (HTTP {status}): {exc}"), status


class TargetWorker:
    def __init__(self, cfg: TargetConfig, relay_cfg: RelayConfig, st: store.Store, metrics: Metrics):
        self.cfg = cfg
        self.relay_cfg = relay_cfg
        self.store = st
        self.metrics = metrics
        self.queue: deque[Item] = deque()
        self.queued_ids: set[int] = set()
        self.limiter = SlidingWindowLimiter(cfg.rate_limits)
        self.failures = 0
        self.retry_at = 0.0  # monotonic
        self._wake = asyncio.Event()
        self._stopping = False
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task | None = None

    @property
    def name(self) -> str:
        return self.cfg.name

    def update(self, cfg: TargetConfig, relay_cfg: RelayConfig) -> None:
        """SIGHUP: new settings, same queue and same send history (the budget carries over)."""
        self.cfg = cfg
        self.relay_cfg = relay_cfg
        self.limiter.limits = cfg.rate_limits
        self._wake.set()

    def enqueue(self, item: Item) -> None:
        if item.delivery_id in self.queued_ids:
            return
        self.queued_ids.add(item.delivery_id)
        self.queue.append(item)
        self._wake.set()

    def _reserve(self) -> int:
        """Budget at or under which the worker lingers: a quarter of the tightest window."""
        return min((max(1, lim.count // 4) for lim in self.limiter.limits), default=0)

    def oldest(self) -> float | None:
        return self.queue[0].received_at if self.queue else None

    def start(self) -> None:
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=4))
        self._task = asyncio.create_task(self._run(), name=f"deliver:{self.name}")

    async def stop(self) -> None:
        """Start no new delivery; let the one in flight finish and be recorded (cancelling it
        would send it again after the restart), for at most delivery_timeout and a second."""
        self._stopping = True
        self._wake.set()
        if self._task:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), self.relay_cfg.delivery_timeout + 1.0)
            except asyncio.TimeoutError:
                log.warning("a delivery did not finish in time; it will be sent again after the restart",
                            extra={"fields": {"target": self.name}})
            except asyncio.CancelledError:
                pass
            if not self._task.done():
                self._task.cancel()
                try:
                    await self._task
                except asyncio.CancelledError:
                    pass
        if self._session:
            await self._session.close()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self._round()
            except asyncio.CancelledError:
                raise
            except Exception:  # never let one bad round stop a target's deliveries
                log.exception("delivery round failed", extra={"fields": {"target": self.name}})
                await asyncio.sleep(1.0)

    async def _sleep_until(self, when: float) -> None:
        """Sleep until `when` (monotonic), waking early on new work or a reload (which may lift limits)."""
        delay = when - time.monotonic()
        if delay <= 0:
            return
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), delay)
        except asyncio.TimeoutError:
            pass

    async def _round(self) -> None:
        while not self.queue and not self._stopping:
            self._wake.clear()
            await self._wake.wait()
        if self._stopping:
            return
        now = time.monotonic()
        ready_at = max(self.retry_at, self.limiter.next_free(now))
        if ready_at > now:
            await self._sleep_until(ready_at)
            return  # look again: more may have arrived, limits may have changed
        await self._expire()
        if not self.queue or self._stopping:
            return
        budget = max(1, self.limiter.budget(now))
        if len(self.queue) <= budget <= self._reserve():
            linger_until = self.queue[0].received_monotonic + DIGEST_LINGER
            if linger_until > now:  # the last slots of the window: let a burst gather first
                await self._sleep_until(linger_until)
                return
        take = 1 if len(self.queue) <= budget else min(MAX_DIGEST, len(self.queue) - budget + 1)
        batch = [self.queue[i] for i in range(take)]
        target = self.cfg.target
        try:
            # off the event loop: a digest of hundreds of groups takes a kind tens to thousands
            # of milliseconds to render and cut, and inbound requests must not wait for it
            request = await asyncio.to_thread(target.build, [i.notification for i in batch], dt.datetime.now(dt.timezone.utc))
        except Exception as exc:
            log.exception("message build failed", extra={"fields": {"target": self.name}})
            await self._give_up(batch, "build", f"cannot build the message: {type(exc).__name__}: {exc}")
            return
        self.limiter.record(time.monotonic())
        outcome, status = await send(self._session, target, request, self.relay_cfg.delivery_timeout)
        for item in batch:
            item.attempts += 1
        fields = {
            "target": self.name, "kind": self.cfg.kind, "outcome": outcome.kind, "http_status": status,
            "delivery_ids": [i.delivery_id for i in batch], "notification_ids": [i.notification.id for i in batch],
            "digest": len(batch) > 1, "attempt": max(i.attempts for i in batch), "bytes": len(request.body),
        }
        if outcome.detail:
            fields["detail"] = outcome.detail
        self.metrics.messages.labels(self.name, outcome.kind).inc()
        if outcome.kind == "ok":
            await self._delivered(batch, fields)
        elif outcome.kind == "retry":
            await self._retry(batch, outcome, fields)
        else:
            log.error("delivery failed permanently", extra={"fields": fields})
            await self._give_up(batch, "permanent", outcome.detail or "permanent error")

    def _remove(self, batch: list[Item]) -> None:
        gone = {i.delivery_id for i in batch}
        if len(batch) <= len(self.queue) and all(a is b for a, b in zip(batch, self.queue)):  # the oldest were sent
            for _ in batch:
                self.queue.popleft()
        else:  # expired ones from anywhere in the queue
            self.queue = deque(i for i in self.queue if i.delivery_id not in gone)
        self.queued_ids -= gone

    async def _delivered(self, batch: list[Item], fields: dict) -> None:
        self._remove(batch)
        self.failures, self.retry_at = 0, 0.0
        now = time.time()
        fields["latency_ms"] = round((now - min(i.received_at for i in batch)) * 1000, 1)
        log.info("delivered", extra={"fields": fields})
        latency = self.metrics.latency.labels(self.name)
        for item in batch:
            latency.observe(now - item.received_at)
        self.metrics.delivered.labels(self.name).inc(len(batch))
        if len(batch) > 1:
            self.metrics.digested.labels(self.name).inc(len(batch))
        ids = [i.delivery_id for i in batch]
        try:
            await self.store.run(lambda c: store.mark_done(c, ids, now))
        except StoreError as exc:  # delivered but not recorded: a restart would send it again
            log.error("cannot record a delivery", extra={"fields": {"target": self.name, "delivery_ids": ids, "error": str(exc)}})

    async def _retry(self, batch: list[Item], outcome: Outcome, fields: dict) -> None:
        cfg = self.relay_cfg
        self.failures += 1
        backoff = min(cfg.retry_max, cfg.retry_initial * 2 ** (self.failures - 1))
        delay = backoff / 2 + random.uniform(0, backoff / 2)  # "equal jitter": never less than half
        if outcome.retry_after is not None:
            delay = max(delay, outcome.retry_after)
        self.retry_at = time.monotonic() + delay
        fields["retry_in_s"] = round(delay, 3)
        log.warning("delivery will be retried", extra={"fields": fields})
        self.metrics.retried.labels(self.name).inc(len(batch))
        for item in batch:
            item.last_error = outcome.detail
        attempts = [(i.delivery_id, i.attempts) for i in batch]
        try:
            await self.store.run(lambda c: store.mark_attempt(c, attempts, outcome.detail, time.time()))
        except StoreError:
            pass  # only the attempt count is lost

    async def _expire(self) -> None:
        limit = time.time() - self.relay_cfg.max_age
        old = [i for i in self.queue if i.received_at < limit]
        if old:
            await self._give_up(old, "expired", f"not delivered within max_age; last error: {old[-1].last_error or 'none'}")

    async def _give_up(self, batch: list[Item], reason: str, detail: str) -> None:
        self._remove(batch)
        self.metrics.failed.labels(self.name, reason).inc(len(batch))
        items = [(i.delivery_id, i.notification.id, i.attempts) for i in batch]
        log.error("moved to dead letters", extra={"fields": {
            "target": self.name, "reason": reason, "detail": detail,
            "delivery_ids": [i[0] for i in items], "notification_ids": [i[1] for i in items]}})
        try:
            await self.store.run(lambda c: store.mark_dead(c, items, self.name, reason, detail, time.time()))
        except StoreError as exc:
            log.error("cannot record dead letters", extra={"fields": {"target": self.name, "error": str(exc)}})


class Engine:
    """All target workers, plus restoring unfinished deliveries from the store."""

    def __init__(self, cfg: RelayConfig, st: store.Store, metrics: Metrics):
        self.cfg = cfg
        self.store = st
        self.metrics = metrics
        self.workers: dict[str, TargetWorker] = {}
        metrics.watch_queues(self.queues)

    def queues(self):
        return [(name, len(w.queue), w.oldest()) for name, w in sorted(self.workers.items())]

    async def start(self) -> None:
        for name, tcfg in self.cfg.targets.items():
            self._add(tcfg)
        await self._restore(list(self.cfg.targets))

    def _add(self, tcfg: TargetConfig) -> None:
        worker = TargetWorker(tcfg, self.cfg, self.store, self.metrics)
        self.workers[tcfg.name] = worker
        worker.start()

    async def _restore(self, targets: list[str]) -> None:
        """Unfinished deliveries of these targets, back into their queues in arrival order."""
        rows = await self.store.run(lambda c: store.pending(c, targets))
        parsed: dict[int, Notification] = {}
        for row in rows:
            n = parsed.get(row.notification_id)
            if n is None:
                received = dt.datetime.fromtimestamp(row.received_at, dt.timezone.utc)
                n = payload.parse_body(row.body, row.notification_id, received)
                parsed[row.notification_id] = n = self.for_delivery(n)
            self.workers[row.target].enqueue(Item(row.delivery_id, n, row.attempts))
        if rows:
            log.info("restored unfinished deliveries", extra={"fields": {"deliveries": len(rows), "notifications": len(parsed)}})

    def for_delivery(self, n: Notification) -> Notification:
        """Heartbeat alerts never reach normal targets, even inside a mixed group."""
        hb = self.cfg.heartbeat
        if hb is None or n.group_key.startswith("relay/heartbeat"):
            return n
        return payload.without_alerts(n, hb.alertname)

    def dispatch(self, n: Notification, deliveries: list[tuple[str, int]]) -> None:
        for target, delivery_id in deliveries:
            worker = self.workers.get(target)
            if worker is None:  # removed by a reload between routing and commit: stays pending in the store
                log.warning("no worker for target; delivery kept pending", extra={"fields": {"target": target, "delivery_id": delivery_id}})
                continue
            worker.enqueue(Item(delivery_id, n))

    async def reload(self, cfg: RelayConfig) -> None:
        """Keep queues and send histories of targets that stay; start new ones (with anything
        pending for them); stop removed ones, leaving their deliveries pending in the store."""
        self.cfg = cfg
        added = []
        for name, tcfg in cfg.targets.items():
            if name in self.workers:
                self.workers[name].update(tcfg, cfg)
            else:
                self._add(tcfg)
                added.append(name)
        for name in [n for n in self.workers if n not in cfg.targets]:
            worker = self.workers.pop(name)
            await worker.stop()
            if worker.queue:
                log.warning("target removed from the config; its deliveries stay pending until it returns",
                            extra={"fields": {"target": name, "pending": len(worker.queue)}})
        if added:
            await self._restore(added)

    async def stop(self) -> None:
        await asyncio.gather(*(worker.stop() for worker in self.workers.values()))
