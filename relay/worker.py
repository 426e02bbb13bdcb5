"""Delivery: one asyncio task per target, so a slow or failing target never delays another.

What waits for a target stays in the store; a worker keeps only a page of it in memory (the
first PAGE deliveries in sending order: firing before resolved, critical before warning, then
arrival; relay.order), so memory is flat whatever the backlog and a restart reads one page,
not the whole backlog.

Each round a worker waits for work, for its backoff and for its rate budget, paced over the
window (relay.ratelimit), then sends one message holding as many waiting alerts as fit: the
whole page's notifications, cut by the kind at an alert boundary, in the compact form when
the full one cannot show them all. What a message did not show stays waiting (the store keeps
how many alerts of each notification were shown) and goes out in the next message, so every
alert of a storm appears while the budget lasts. Only when the budget would not show the
backlog within `show_within` of its oldest arrival does the last message it allows summarise
the rest, with a link to Alertmanager's list of them.

Answers: ok -> shown counts recorded, finished deliveries done; retry (network error,
timeout, 5xx, 429, a rate-limit errcode) -> exponential backoff with jitter, at least the
service's Retry-After; permanent (bad token, bad signature) -> dead letters, no retry.
Anything older than max_age is given up into the dead letters. Every attempt is recorded as a
send, so a restart keeps the rate windows.

With a store several replicas share, a worker delivers only while this replica holds its
target's lease (relay.leases); the others' workers wait, and the holder learns of deliveries
another replica stored from the store's announcements (relay.postgres.Listener).
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import logging
import random
import time
from dataclasses import dataclass
from typing import Callable

import aiohttp
import msgspec

from relay.errors import StoreError
from relay import payload, store
from relay.message import Summary, alerts_url
from relay.order import in_display_order, priority
from relay.targets.answers import retry_after
from relay.config import RelayConfig, TargetConfig
from relay.metrics import Metrics
from relay.ratelimit import SlidingWindowLimiter
from relay.targets.base import HttpRequest, Notification, Outcome

log = logging.getLogger("relay.delivery")

PAGE = 400  # deliveries of one target in memory at most (a notification is ~25 KB parsed)
BATCH = 200  # notifications offered to one message at most; the kind's size cut decides the rest
EXPIRE_EVERY = 10.0  # seconds between sweeps for deliveries older than max_age
LEASE_WAIT = 0.5  # seconds between looks when the lease has too little time left for a send


@dataclass
class Item:
    delivery_id: int
    notification: Notification  # alerts in display order (relay.order)
    priority: int = 0
    attempts: int = 0
    shown: int = 0  # alerts already shown by earlier messages
    last_error: str = ""

    @property
    def key(self) -> tuple[int, int]:
        return (self.priority, self.delivery_id)

    @property
    def received_at(self) -> float:
        return self.notification.received_at.timestamp()

    @property
    def left(self) -> int:
        return len(self.notification.alerts) - self.shown

    def remaining(self) -> Notification:
        n = self.notification
        return n if not self.shown else msgspec.structs.replace(n, alerts=n.alerts[self.shown:])


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
    def __init__(self, cfg: TargetConfig, relay_cfg: RelayConfig, st: store.Store, metrics: Metrics,
                 prepare: Callable[[Notification], Notification]):
        self.cfg = cfg
        self.relay_cfg = relay_cfg
        self.store = st
        self.metrics = metrics
        self.prepare = prepare  # a stored notification as this relay delivers it (Engine.for_delivery)
        self.page: list[Item] = []  # sorted by key
        self.page_ids: set[int] = set()
        self.pending = 0  # unfinished deliveries of this target, in memory or not
        self.spilled = False  # the store holds pending deliveries the page does not
        self.store_oldest: float | None = None  # arrival of the oldest pending one, at the last page load
        self.max_seen = 0  # highest delivery id this worker has heard of
        self._loading = False
        self._incoming: list[Item] = []  # arrived while a page was being read
        self.limiter = SlidingWindowLimiter(cfg.rate_limits)
        self.failures = 0
        self.retry_at = 0.0  # wall clock
        self._next_expiry = 0.0
        self.active = False  # delivering: always once loaded, with a shared store while holding the lease
        self.lease_until = float("inf")  # time.monotonic() when the lease runs out (a shared store's)
        self._wake = asyncio.Event()
        self._stopping = False
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task | None = None

    @property
    def name(self) -> str:
        return self.cfg.name

    def update(self, cfg: TargetConfig, relay_cfg: RelayConfig) -> None:
        """SIGHUP: new settings, same page and same send history (the budget carries over)."""
        self.cfg = cfg
        self.relay_cfg = relay_cfg
        self.limiter.limits = cfg.rate_limits
        self._wake.set()

    # --- what waits ----------------------------------------------------------------------
    async def load(self) -> None:
        """Start-up: the send history of the last window (the robot remembers it too) and the
        first page of what waits."""
        now = time.time()
        horizon = max((lim.seconds for lim in self.cfg.rate_limits), default=0.0)
        if horizon:
            history = await self.store.run(lambda c: store.sends_since(c, self.name, now - horizon))
            self.limiter = SlidingWindowLimiter(self.cfg.rate_limits, history)
        self.spilled = True
        await self._refill()
        self.active = True
        self._wake.set()

    async def hold(self, until: float, holder: str) -> None:
        """A shared store's lease is this replica's until `until` (monotonic): deliver. Taken
        anew, the target's page and send history are read as the previous holder left them."""
        self.lease_until = until
        if self.active:
            return
        self.page, self.page_ids, self._incoming = [], set(), []  # anything left from an earlier lease is stale
        await self.load()
        self.metrics.lease_held.labels(self.name).set(1)
        log.info("took the target's lease: this replica delivers it",
                 extra={"fields": {"target": self.name, "holder": holder, "pending": self.pending}})

    def release(self, holder: str) -> None:
        """Another replica holds the lease: deliver nothing, keep nothing of the target in memory."""
        self.metrics.lease_held.labels(self.name).set(0)
        if not self.active:
            return
        self.active = False
        self.lease_until = 0.0
        self.page, self.page_ids, self._incoming = [], set(), []
        self.pending, self.spilled, self.store_oldest = 0, False, None
        log.warning("lost the target's lease: another replica delivers it",
                    extra={"fields": {"target": self.name, "holder": holder}})

    def announce(self) -> None:
        """The store says deliveries for this target were stored (by any replica)."""
        if self.active:
            self.spilled = True
            self._wake.set()

    def enqueue(self, item: Item) -> None:
        """A delivery just committed to the store."""
        if not self.active:
            return  # the lease holder reads it from the store
        self.pending += 1
        self.max_seen = max(self.max_seen, item.delivery_id)
        if self._loading:
            self._incoming.append(item)
        else:
            self._admit(item)
        self._wake.set()

    def _admit(self, item: Item) -> None:
        if item.delivery_id in self.page_ids:
            return
        if len(self.page) >= PAGE:
            if item.key > self.page[-1].key:
                self.spilled = True  # it waits in the store
                return
            evicted = self.page.pop()
            self.page_ids.discard(evicted.delivery_id)
            self.spilled = True
        bisect.insort(self.page, item, key=lambda i: i.key)
        self.page_ids.add(item.delivery_id)

    def _forget(self, ids: set[int]) -> None:
        if ids & self.page_ids:
            self.page = [i for i in self.page if i.delivery_id not in ids]
            self.page_ids -= ids

    async def _refill(self) -> None:
        """Read the first page of what waits from the store."""
        self._loading = True
        try:
            rows, count, oldest = await self.store.run(lambda c: store.queue_page(c, self.name, PAGE))
            # the count as of this read; deliveries committed after it are counted by enqueue
            self.pending, self.store_oldest = count, oldest
            known = set(self.page_ids)
            items = await asyncio.to_thread(self._parse, [r for r in rows if r.delivery_id not in known])
        finally:
            self._loading = False
        self.spilled = len(rows) >= PAGE
        for item in items:
            self.max_seen = max(self.max_seen, item.delivery_id)
            self._admit(item)
        incoming, self._incoming = self._incoming, []
        for item in incoming:
            self._admit(item)

    def _parse(self, rows: list[store.Pending]) -> list[Item]:
        out = []
        for row in rows:
            received = dt.datetime.fromtimestamp(row.received_at, dt.timezone.utc)
            n = self.prepare(payload.parse_body(row.body, row.notification_id, received))
            out.append(Item(row.delivery_id, n, row.priority, row.attempts, min(row.shown, len(n.alerts))))
        return out

    def oldest(self) -> float | None:
        candidates = [i.received_at for i in self.page]
        if self.spilled and self.store_oldest is not None:
            candidates.append(self.store_oldest)
        return min(candidates, default=None)

    # --- the task ------------------------------------------------------------------------
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
        """Sleep until `when` (wall clock), waking early on new work or a reload (which may lift limits)."""
        delay = when - time.time()
        if delay <= 0:
            return
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), delay)
        except asyncio.TimeoutError:
            pass

    async def _round(self) -> None:
        if self.active and self.spilled and len(self.page) < BATCH:  # a message could carry more than memory holds
            await self._refill()
        while not (self.active and self.page) and not self._stopping:
            self._wake.clear()
            await self._wake.wait()
            if self.active and not self.page and self.spilled:
                await self._refill()
        if self._stopping:
            return
        now = time.time()
        ready_at = max(self.retry_at, self.limiter.paced(now))
        if ready_at > now:
            await self._sleep_until(ready_at)
            return  # look again: more may have arrived, limits may have changed
        if now >= self._next_expiry:
            self._next_expiry = now + EXPIRE_EVERY
            await self._expire(now)
        if not self.page or self._stopping:
            return
        batch = self.page[:BATCH]
        summary = self._summary(batch, now)
        target = self.cfg.target
        try:
            # off the event loop: a digest of hundreds of groups takes a kind tens to thousands
            # of milliseconds to render and cut, and inbound requests must not wait for it
            built = await asyncio.to_thread(target.build_batch, [i.remaining() for i in batch],
                                            dt.datetime.now(dt.timezone.utc), summary)
        except Exception as exc:
            log.exception("message build failed", extra={"fields": {"target": self.name}})
            await self._give_up(batch, "build", f"cannot build the message: {type(exc).__name__}: {exc}")
            return
        if time.monotonic() + self.relay_cfg.delivery_timeout >= self.lease_until or not self.active:
            # the lease could run out during this send, and another replica send it too
            await self._sleep_until(time.time() + LEASE_WAIT)
            return
        sent_at = time.time()
        self.limiter.record(sent_at)
        try:
            await self.store.run(lambda c: store.record_send(c, self.name, sent_at))
        except StoreError as exc:  # the window in memory still holds it
            log.error("cannot record a send", extra={"fields": {"target": self.name, "error": str(exc)}})
        outcome, status = await send(self._session, target, built.request, self.relay_cfg.delivery_timeout)
        for item in batch:
            item.attempts += 1
        fields = {
            "target": self.name, "kind": self.cfg.kind, "outcome": outcome.kind, "http_status": status,
            "delivery_ids": [i.delivery_id for i in batch], "notification_ids": [i.notification.id for i in batch],
            "digest": len(batch) > 1, "attempt": max(i.attempts for i in batch), "bytes": len(built.request.body),
            "alerts_shown": sum(built.shown), "summary": summary is not None,
        }
        if outcome.detail:
            fields["detail"] = outcome.detail
        self.metrics.messages.labels(self.name, outcome.kind).inc()
        if outcome.kind == "ok":
            await self._delivered(batch, built.shown, summary, fields)
        elif outcome.kind == "retry":
            await self._retry(batch, outcome, fields)
        else:
            log.error("delivery failed permanently", extra={"fields": fields})
            await self._give_up(batch, "permanent", outcome.detail or "permanent error")

    def _summary(self, batch: list[Item], now: float) -> Summary | None:
        """A Summary when this is the last message the rate budget allows before the oldest
        waiting alert is `show_within` old, else None (the rest follows in later messages)."""
        oldest = self.oldest()
        if oldest is None or self.limiter.capacity(now, oldest + self.relay_cfg.show_within) > 1:
            return None
        later = self.page[len(batch):]
        return Summary(later_alerts=sum(i.left for i in later), later_notifications=max(0, self.pending - len(self.page)),
                       within=self.relay_cfg.show_within_text, url=alerts_url([i.remaining() for i in self.page]))

    async def _delivered(self, batch: list[Item], shown: tuple[int, ...], summary: Summary | None, fields: dict) -> None:
        self.failures, self.retry_at = 0, 0.0
        now = time.time()
        done = [i for i, n in zip(batch, shown) if i.shown + n >= len(i.notification.alerts)]
        partial = [(i, i.shown + n) for i, n in zip(batch, shown) if i.shown + n < len(i.notification.alerts)]
        done_ids = [i.delivery_id for i in done]
        up_to = self.max_seen
        latency = self.metrics.latency.labels(self.name)
        for item in done:
            latency.observe(now - item.received_at)
        if done:
            fields["latency_ms"] = round((now - min(i.received_at for i in done)) * 1000, 1)
        log.info("delivered", extra={"fields": {**fields, "delivery_ids": done_ids,
                                                "notification_ids": [i.notification.id for i in done],
                                                "continued": [i.delivery_id for i, _ in partial]}})
        self.metrics.delivered.labels(self.name).inc(len(done))
        if len(batch) > 1:
            self.metrics.digested.labels(self.name).inc(len(done))

        def op(conn):
            store.mark_done(conn, done_ids, now)
            store.mark_shown(conn, [(i.delivery_id, n) for i, n in partial], now)
            return store.summarise(conn, self.name, up_to, now) if summary is not None else 0

        try:
            summarised = await self.store.run(op)
        except StoreError as exc:  # shown but not recorded: a restart would show it again
            log.error("cannot record a delivery", extra={"fields": {"target": self.name, "delivery_ids": done_ids,
                                                                      "error": str(exc)}})
            summarised = 0
        for item, n in partial:
            item.shown, item.attempts = n, 0
        self._forget(set(done_ids))
        self.pending = max(0, self.pending - len(done) - summarised)
        if summary is not None:
            self.metrics.summarised.labels(self.name).inc(summarised)
            log.warning("summarised what the rate budget cannot show in time",
                        extra={"fields": {"target": self.name, "notifications": summarised, "up_to": up_to}})
            self._forget({i.delivery_id for i in self.page if i.delivery_id <= up_to})
            self.spilled = True  # read what is left (arrived since) from the store

    async def _retry(self, batch: list[Item], outcome: Outcome, fields: dict) -> None:
        cfg = self.relay_cfg
        self.failures += 1
        backoff = min(cfg.retry_max, cfg.retry_initial * 2 ** (self.failures - 1))
        delay = backoff / 2 + random.uniform(0, backoff / 2)  # "equal jitter": never less than half
        if outcome.retry_after is not None:
            delay = max(delay, outcome.retry_after)
        self.retry_at = time.time() + delay
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

    async def _expire(self, now: float) -> None:
        before = now - self.relay_cfg.max_age
        if not any(i.received_at < before for i in self.page) and not (self.spilled and (self.store_oldest or now) < before):
            return
        try:
            ids = await self.store.run(lambda c: store.expire(c, self.name, before, "not delivered within max_age", now))
        except StoreError as exc:
            log.error("cannot expire deliveries", extra={"fields": {"target": self.name, "error": str(exc)}})
            return
        if ids:
            self.metrics.failed.labels(self.name, "expired").inc(len(ids))
            log.error("moved to dead letters", extra={"fields": {"target": self.name, "reason": "expired",
                                                                   "delivery_ids": ids}})
            self._forget(set(ids))
            self.pending = max(0, self.pending - len(ids))
        self.store_oldest = None

    async def _give_up(self, batch: list[Item], reason: str, detail: str) -> None:
        self.metrics.failed.labels(self.name, reason).inc(len(batch))
        items = [(i.delivery_id, i.notification.id, i.attempts) for i in batch]
        log.error("moved to dead letters", extra={"fields": {
            "target": self.name, "reason": reason, "detail": detail,
            "delivery_ids": [i[0] for i in items], "notification_ids": [i[1] for i in items]}})
        try:
            await self.store.run(lambda c: store.mark_dead(c, items, self.name, reason, detail, time.time()))
        except StoreError as exc:
            log.error("cannot record dead letters", extra={"fields": {"target": self.name, "error": str(exc)}})
        self._forget({i.delivery_id for i in batch})
        self.pending = max(0, self.pending - len(batch))


class Engine:
    """All target workers; each reads what waits for it from the store. With a store other
    replicas share, a worker delivers while this replica holds its target's lease."""

    def __init__(self, cfg: RelayConfig, st: store.Store, metrics: Metrics, holder: str | None = None):
        self.cfg = cfg
        self.store = st
        self.metrics = metrics
        self.workers: dict[str, TargetWorker] = {}
        self.leases = None
        if st.shared:
            from relay.leases import LeaseKeeper  # psycopg only with a PostgreSQL store

            self.leases = LeaseKeeper(self, st, cfg.store.lease, holder)
        self._listener = None
        metrics.watch_queues(self.queues)

    def queues(self):
        return [(name, w.pending, w.oldest()) for name, w in sorted(self.workers.items()) if w.active]

    async def start(self) -> None:
        added = [self._new(tcfg) for tcfg in self.cfg.targets.values()]
        if self.leases is not None:
            self._listener = self.store.db.listen(self.announce)
            self._listener.start()
            for worker in added:
                worker.start()  # idle until the keeper gives it its lease
            await self.leases.start()
            return
        for worker in added:
            await worker.load()
        restored = {w.name: w.pending for w in added if w.pending}  # before any worker runs
        if restored:
            log.info("restored unfinished deliveries", extra={"fields": {"deliveries": sum(restored.values()),
                                                                          "targets": restored}})
        for worker in added:
            worker.start()

    def _new(self, tcfg: TargetConfig) -> TargetWorker:
        worker = TargetWorker(tcfg, self.cfg, self.store, self.metrics, self.for_delivery)
        self.workers[tcfg.name] = worker
        return worker

    async def _add(self, tcfg: TargetConfig) -> None:
        worker = self._new(tcfg)
        if self.leases is None:
            await worker.load()
        worker.start()

    def announce(self, target: str | None) -> None:
        """From the store: `target` has new deliveries (None: any target may have; ':leases':
        another replica gave leases back)."""
        if target is None or target.startswith(":"):
            self.leases.soon()
        if target is not None and target.startswith(":"):
            return
        for name, worker in self.workers.items():
            if target is None or name == target:
                worker.announce()

    def for_delivery(self, n: Notification) -> Notification:
        """Heartbeat alerts never reach normal targets, even inside a mixed group; alerts in
        display order (relay.order)."""
        hb = self.cfg.heartbeat
        if hb is not None and not n.group_key.startswith("relay/heartbeat"):
            n = payload.without_alerts(n, hb.alertname)
        return in_display_order(n)

    def dispatch(self, n: Notification, deliveries: list[tuple[str, int]], prio: int | None = None) -> None:
        prio = priority(n) if prio is None else prio
        for target, delivery_id in deliveries:
            worker = self.workers.get(target)
            if worker is None:  # removed by a reload between routing and commit: stays pending in the store
                log.warning("no worker for target; delivery kept pending", extra={"fields": {"target": target, "delivery_id": delivery_id}})
                continue
            worker.enqueue(Item(delivery_id, n, prio))

    async def reload(self, cfg: RelayConfig) -> None:
        """Keep pages and send histories of targets that stay; start new ones (with anything
        pending for them); stop removed ones, leaving their deliveries pending in the store."""
        self.cfg = cfg
        for name, tcfg in cfg.targets.items():
            if name in self.workers:
                self.workers[name].update(tcfg, cfg)
            else:
                await self._add(tcfg)
        removed = [n for n in self.workers if n not in cfg.targets]
        for name in removed:
            worker = self.workers.pop(name)
            await worker.stop()
            if worker.pending:
                log.warning("target removed from the config; its deliveries stay pending until it returns",
                            extra={"fields": {"target": name, "pending": worker.pending}})
        if self.leases is not None:
            if removed:
                await self.leases.give_up(removed)
            await self.leases.tick()

    async def stop(self) -> None:
        """Workers finish what is in flight; then a shared store's leases go back, so that
        another replica takes the targets over at once."""
        if self.leases is not None:
            await self.leases.stop()
        await asyncio.gather(*(worker.stop() for worker in self.workers.values()))
        if self._listener is not None:
            self._listener.stop()
        if self.leases is not None:
            await self.leases.give_up()
