"""Which replica delivers which target, when several share a PostgreSQL store.

Each target has one lease, and only the replica holding it sends to the target: the robot's
rate windows (the shared `sends` table, read when a lease is taken) and the order of its
messages are then what one relay would make, and no delivery is sent by two replicas. Every
lease/4 seconds the keeper renews what this replica holds and takes what is free or ran out.
A worker starts a send only while its lease has more than delivery_timeout left, so a replica
that cannot renew (killed, frozen, cut off from the store) has stopped sending before its
lease runs out and another replica takes the target over, reading what waits from the store.
At most the message in flight when a replica died is sent again, as after a single relay's
kill -9. A replica that stops cleanly gives its leases back at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid

from relay import postgres
from relay.errors import StoreError

log = logging.getLogger("relay.leases")


def holder_name() -> str:
    """This process, as the leases table and the logs show it: host (the pod's name), pid, a nonce."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


class LeaseKeeper:
    def __init__(self, engine, st, seconds: float, holder: str | None = None):
        self.engine = engine
        self.store = st
        self.seconds = seconds
        self.holder = holder or holder_name()
        self._task: asyncio.Task | None = None
        self._soon: asyncio.Task | None = None
        self._lock = asyncio.Lock()  # one round at a time

    def soon(self) -> None:
        """A round now, not at the next tick (another replica gave leases back)."""
        if self._soon is None or self._soon.done():
            self._soon = asyncio.create_task(self.tick(), name="leases-now")

    async def start(self) -> None:
        await self.tick()
        self._task = asyncio.create_task(self._run(), name="leases")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.seconds / 4)
            try:
                await self.tick()
            except Exception:  # the next round tries again; workers stop sending when their lease runs out
                log.exception("lease round failed")

    async def tick(self) -> None:
        """Renew and take leases, then tell each worker whether it holds its target."""
        async with self._lock:
            await self._round()

    async def _round(self) -> None:
        names = sorted(self.engine.workers)
        started = time.monotonic()  # the server's expiry is later than this plus `seconds`
        try:
            held = set(await self.store.run(lambda c: postgres.hold_leases(c, self.holder, names, self.seconds)))
        except StoreError as exc:
            log.error("cannot renew leases", extra={"fields": {"error": str(exc), "holder": self.holder}})
            return
        for name, worker in list(self.engine.workers.items()):
            if name in held:
                try:
                    await worker.hold(started + self.seconds, self.holder)
                except StoreError as exc:  # its page could not be read: the next round tries again
                    log.error("cannot take over a target", extra={"fields": {"target": name, "error": str(exc)}})
            elif name in names:
                worker.release(self.holder)

    async def give_up(self, targets: list[str] | None = None) -> None:
        """Leases back to the store (targets removed by a reload, or all at shutdown)."""
        try:
            await self.store.run(lambda c: postgres.release_leases(c, self.holder, targets))
        except StoreError as exc:  # they run out on their own
            log.warning("cannot give leases back", extra={"fields": {"error": str(exc)}})

    async def stop(self) -> None:
        for task in (self._task, self._soon):
            if task is not None:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
