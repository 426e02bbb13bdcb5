"""The relay's durable state: notifications as received, one delivery row per target, dead
letters, dedupe keys, heartbeat state, send times. In one SQLite file (WAL, synchronous=FULL)
for one replica, or in PostgreSQL shared by several (relay.postgres): the operations below are
written once, in SQL both accept (`?` parameters, ON CONFLICT, RETURNING).

Every write goes through one writer thread that commits in groups: while one fsync runs, the
next requests queue up and share the following transaction, so a thousand notifications a
second cost a few hundred fsyncs, not a thousand. One failing operation does not undo the
others of its group: the group is rolled back and run again with each operation inside its
own SAVEPOINT (not done up front: two more statements per operation, each a hand-over of the
GIL between this thread and the event loop, cost more than the rare failure). A failed COMMIT
fails them all (the HTTP layer then answers 503 and Alertmanager retries). Callers learn the
outcome only after the COMMIT returned: an acknowledged notification is on disk; the answers
of one group reach an event loop in one call, not one wake-up per operation.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from relay.errors import StoreError

log = logging.getLogger("relay.store")

SCHEMA = """
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY,
    received_at REAL NOT NULL,          -- unix seconds
    route TEXT,                         -- the route named in POST /alerts/<route>, else NULL
    dedup_key TEXT,
    body BLOB NOT NULL                  -- the payload as received
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY,
    notification_id INTEGER NOT NULL REFERENCES notifications(id),
    target TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',   -- pending | done | dead
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries(target, id) WHERE state = 'pending';
CREATE TABLE IF NOT EXISTS dead_letters (
    delivery_id INTEGER PRIMARY KEY REFERENCES deliveries(id),
    notification_id INTEGER NOT NULL,
    target TEXT NOT NULL,
    reason TEXT NOT NULL,               -- permanent | expired | build
    detail TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    given_up_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS dedup (key TEXT PRIMARY KEY, seen_at REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sends (target TEXT NOT NULL, sent_at REAL NOT NULL);  -- every attempt, for rate windows
CREATE INDEX IF NOT EXISTS sends_by_target ON sends(target, sent_at);
"""
# Columns added after the first release, for stores written by it (PRAGMA user_version 0 -> 1).
MIGRATIONS = (
    "ALTER TABLE deliveries ADD COLUMN priority INTEGER NOT NULL DEFAULT 0",  # firing/critical first
    "ALTER TABLE deliveries ADD COLUMN shown INTEGER NOT NULL DEFAULT 0",  # alerts already shown
)
QUEUE_INDEX = ("CREATE INDEX IF NOT EXISTS deliveries_queue ON deliveries(target, priority, id) "
               "WHERE state = 'pending'")
SCHEMA_VERSION = 1

SENDS_KEPT = 86400.0  # seconds of send times kept: longer than any rate window
MAX_GROUP = 512  # operations per transaction; bounds one COMMIT's latency
CHECKPOINT_EVERY = 1.0  # seconds


@dataclass(frozen=True)
class Pending:
    """An unfinished delivery as read back at start-up or after a reload."""

    delivery_id: int
    notification_id: int
    target: str
    attempts: int
    received_at: float
    route: str | None
    body: bytes
    priority: int = 0
    shown: int = 0


@dataclass(frozen=True)
class DeadLetter:
    delivery_id: int
    notification_id: int
    target: str
    reason: str
    detail: str
    attempts: int
    given_up_at: float
    received_at: float
    body: bytes


def connect(path: str, busy_timeout: float = 1.0) -> sqlite3.Connection:
    """A connection in autocommit mode (the writer issues BEGIN/COMMIT itself), WAL, fsync on commit."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=busy_timeout)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer thread does it, off the commit path
        conn.executescript(SCHEMA)
        _migrate(conn)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open the relay store: {exc}") from None
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version < SCHEMA_VERSION:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(deliveries)")}
        conn.execute("BEGIN IMMEDIATE")
        for statement in MIGRATIONS:
            if statement.split(" COLUMN ")[1].split()[0] not in columns:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    conn.execute(QUEUE_INDEX)


class SQLite:
    """The embedded store: one file, one relay process."""

    shared = False  # no other replica writes it: no leases
    writers = 1  # SQLite has one writer at a time
    Error = sqlite3.Error
    begin = "BEGIN IMMEDIATE"

    def __init__(self, path: str, busy_timeout: float = 1.0):
        self.path = path
        self.busy_timeout = busy_timeout

    def describe(self) -> str:
        return self.path

    def connect(self) -> sqlite3.Connection:
        return connect(self.path, self.busy_timeout)

    def usable(self, conn) -> bool:
        return True  # a file connection does not break; its errors are the disk's

    def helper(self, stop: threading.Event) -> threading.Thread | None:
        return threading.Thread(target=self._checkpoint, args=(stop,), name="relay-store-checkpoint", daemon=True)

    def _checkpoint(self, stop: threading.Event) -> None:
        """Copy the WAL into the database file every CHECKPOINT_EVERY seconds from a connection
        of its own. PASSIVE never blocks the writer; left to the writer's autocheckpoint, every
        ~4 MB of WAL one COMMIT would carry a checkpoint and its fsync, and all requests of that
        group would wait for it (the p99 of the acknowledgement, bench/README.md)."""
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=self.busy_timeout)
        except sqlite3.Error:
            return
        try:
            while not stop.wait(CHECKPOINT_EVERY):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error as exc:
                    log.warning("checkpoint failed", extra={"fields": {"error": str(exc)}})
        finally:
            conn.close()

    def read_only(self):
        """A connection for listings while the relay runs (WAL readers do not block the writer)."""
        return contextlib.closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True))


class Store:
    """Group-committing writers over one database (SQLite, or relay.postgres.PostgreSQL).
    Operations are plain functions of a connection, run in a writer thread; `run` (async) and
    `call` (blocking) hand back their result. `writers` threads, each with its connection,
    take groups from one queue: one for SQLite (one writer at a time), several for a server,
    whose statements each wait a network round trip (bench/README.md)."""

    def __init__(self, db, observe: Callable[[float], None] | None = None, writers: int | None = None):
        self.db = db
        self._observe = observe  # called with each group commit's seconds (a histogram's observe)
        self.failing_since: float | None = None  # when the last failed commit was, until one succeeds
        count = writers or db.writers
        conns = [db.connect() for _ in range(count)]
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._run, args=(conn,), name=f"relay-store-{i}", daemon=True)
                         for i, conn in enumerate(conns)]
        for thread in self._threads:
            thread.start()
        self._stop = threading.Event()
        self._helper = db.helper(self._stop)
        if self._helper is not None:
            self._helper.start()

    @property
    def shared(self) -> bool:
        """Other replicas write this store too (each target is then delivered by its lease holder)."""
        return self.db.shared

    # --- submitting -------------------------------------------------------------------
    async def run(self, op: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run `op` in the next transaction; its result once committed, or StoreError."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self._queue.put((op, fut, loop))
        return await fut

    def call(self, op: Callable[[sqlite3.Connection], Any], timeout: float | None = None) -> Any:
        """Blocking form, for start-up and the CLI."""
        fut: concurrent.futures.Future = concurrent.futures.Future()
        self._queue.put((op, fut, None))
        return fut.result(timeout)

    def close(self) -> None:
        self._stop.set()
        if self._helper is not None:
            self._helper.join()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()

    # --- the writer threads --------------------------------------------------------------
    def _run(self, conn) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                break
            group = [first]
            while len(group) < MAX_GROUP:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                group.append(item)
            conn = self._commit(conn, group)
        conn.close()

    def _commit(self, conn, group: list):
        """Run and answer one group; the connection to use next (a new one if this one broke)."""
        started = time.perf_counter()
        try:
            if not self.db.usable(conn):  # a server's connection broke: open another
                conn.close()
                conn = self.db.connect()
            try:
                results = self._transaction(conn, group, isolated=False)
            except _OperationFailed:  # run the group again, each operation on its own
                results = self._transaction(conn, group, isolated=True)
        except (self.db.Error, StoreError) as exc:
            log.error("store write failed", extra={"fields": {"error": str(exc), "operations": len(group)}})
            err = exc if isinstance(exc, StoreError) else StoreError(f"the relay store cannot be written: {exc}")
            results = [(None, err)] * len(group)
            self.failing_since = self.failing_since or time.time()
        else:
            self.failing_since = None
        if self._observe is not None:
            self._observe(time.perf_counter() - started)
        loops: dict[asyncio.AbstractEventLoop, list] = {}
        for (_, fut, loop), (value, exc) in zip(group, results):
            if loop is None:
                _settle(fut, value, exc)
            else:
                loops.setdefault(loop, []).append((fut, value, exc))
        for loop, answers in loops.items():
            try:
                loop.call_soon_threadsafe(_settle_all, answers)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass
        return conn

    def _transaction(self, conn, group: list, isolated: bool) -> list[tuple[Any, BaseException | None]]:
        """One transaction for the whole group. Not isolated: the first failing operation rolls
        everything back (_OperationFailed). Isolated: each operation in a SAVEPOINT, a failure
        undoes that operation only and becomes its answer. A failing COMMIT raises db.Error."""
        results: list[tuple[Any, BaseException | None]] = []
        conn.execute(self.db.begin)
        try:
            for op, _, _ in group:
                if not isolated:
                    try:
                        results.append((op(conn), None))
                    except Exception as exc:
                        raise _OperationFailed from exc
                    continue
                conn.execute("SAVEPOINT op")
                try:
                    results.append((op(conn), None))
                    conn.execute("RELEASE op")
                except Exception as exc:  # this operation only; the group goes on
                    conn.execute("ROLLBACK TO op")
                    conn.execute("RELEASE op")
                    results.append((None, exc))
            conn.execute("COMMIT")
        except BaseException:
            try:
                conn.execute("ROLLBACK")
            except self.db.Error:
                pass
            raise
        return results


class _OperationFailed(Exception):
    """An operation of a group failed outside its own savepoint; the group runs again isolated."""


def _settle(fut: concurrent.futures.Future | asyncio.Future, value: Any, exc: BaseException | None) -> None:
    """An operation always runs (a delivery must be recorded even if its caller was cancelled
    at shutdown); only the answer is dropped when nobody waits for it any more."""
    if fut.done():
        return
    try:
        if exc is None:
            fut.set_result(value)
        else:
            fut.set_exception(exc)
    except (concurrent.futures.InvalidStateError, asyncio.InvalidStateError):
        pass


def _settle_all(answers: list) -> None:
    """In the event loop's thread: the answers of one group for that loop's callers."""
    for fut, value, exc in answers:
        _settle(fut, value, exc)


# --- operations (run in the writer thread, inside the group's transaction) -----------------

def insert_notification(conn: sqlite3.Connection, received_at: float, route: str | None, dedup_key: str | None,
                        body: bytes, targets: tuple[str, ...], priority: int = 0) -> tuple[int, list[tuple[str, int]]]:
    nid = conn.execute("INSERT INTO notifications (received_at, route, dedup_key, body) VALUES (?, ?, ?, ?) "
                       "RETURNING id", (received_at, route, dedup_key, body)).fetchone()[0]
    deliveries = []
    for target in targets:
        row = conn.execute("INSERT INTO deliveries (notification_id, target, updated_at, priority) VALUES (?, ?, ?, ?) "
                           "RETURNING id", (nid, target, received_at, priority)).fetchone()
        deliveries.append((target, row[0]))
    return nid, deliveries


def seen_recently(conn: sqlite3.Connection, key: str, now: float, window: float) -> bool:
    """True if `key` was seen within `window`; records it as seen now otherwise. One statement:
    of two replicas storing the same notification at once, the second waits for the first's
    row and then finds it (PostgreSQL re-reads the row an ON CONFLICT waited for)."""
    row = conn.execute("INSERT INTO dedup (key, seen_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                       "SET seen_at = excluded.seen_at WHERE dedup.seen_at < ? RETURNING key",
                       (key, now, now - window)).fetchone()
    return row is None


def mark_done(conn: sqlite3.Connection, delivery_ids: list[int], now: float) -> None:
    conn.executemany("UPDATE deliveries SET state = 'done', updated_at = ? WHERE id = ? AND state = 'pending'",
                     [(now, d) for d in delivery_ids])


def mark_attempt(conn: sqlite3.Connection, attempts: list[tuple[int, int]], error: str, now: float) -> None:
    conn.executemany("UPDATE deliveries SET attempts = ?, last_error = ?, updated_at = ? WHERE id = ?",
                     [(n, error, now, d) for d, n in attempts])


def mark_dead(conn: sqlite3.Connection, items: list[tuple[int, int, int]], target: str, reason: str,
              detail: str, now: float) -> None:
    """items: (delivery_id, notification_id, attempts)."""
    conn.executemany("UPDATE deliveries SET state = 'dead', attempts = ?, last_error = ?, updated_at = ? WHERE id = ?",
                     [(n, detail, now, d) for d, _, n in items])
    conn.executemany("INSERT INTO dead_letters (delivery_id, notification_id, target, reason, detail, attempts, "
                     "given_up_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (delivery_id) DO UPDATE SET "
                     "reason = excluded.reason, detail = excluded.detail, attempts = excluded.attempts, "
                     "given_up_at = excluded.given_up_at",
                     [(d, nid, target, reason, detail, n, now) for d, nid, n in items])


def queue_page(conn: sqlite3.Connection, target: str, limit: int) -> tuple[list[Pending], int, float | None]:
    """The first `limit` unfinished deliveries of `target` in sending order (priority, then
    arrival), how many there are in all, and when the oldest of them arrived."""
    rows = conn.execute(
        "SELECT d.id, d.notification_id, d.target, d.attempts, n.received_at, n.route, n.body, d.priority, d.shown "
        "FROM deliveries d JOIN notifications n ON n.id = d.notification_id "
        "WHERE d.target = ? AND d.state = 'pending' ORDER BY d.priority, d.id LIMIT ?", (target, limit)).fetchall()
    count, oldest = conn.execute(
        "SELECT count(*), min(n.received_at) FROM deliveries d JOIN notifications n ON n.id = d.notification_id "
        "WHERE d.target = ? AND d.state = 'pending'", (target,)).fetchone()
    return [Pending(*row) for row in rows], count, oldest


def mark_shown(conn: sqlite3.Connection, shown: list[tuple[int, int]], now: float) -> None:
    """(delivery_id, alerts shown so far) of notifications a message showed only in part."""
    conn.executemany("UPDATE deliveries SET shown = ?, attempts = 0, updated_at = ? WHERE id = ? AND state = 'pending'",
                     [(n, now, d) for d, n in shown])


def summarise(conn: sqlite3.Connection, target: str, up_to: int, now: float) -> int:
    """A message summarised everything of `target` still waiting (delivery ids up to
    `up_to`): done, with that said in last_error. Returns how many."""
    cur = conn.execute("UPDATE deliveries SET state = 'done', last_error = 'summarised', updated_at = ? "
                       "WHERE target = ? AND state = 'pending' AND id <= ?", (now, target, up_to))
    return cur.rowcount


def expire(conn: sqlite3.Connection, target: str, before: float, detail: str, now: float) -> list[int]:
    """Unfinished deliveries of `target` whose notification arrived before `before`: into the
    dead letters (reason expired). Returns their ids."""
    rows = conn.execute("SELECT d.id, d.notification_id, d.attempts, d.last_error FROM deliveries d "
                        "JOIN notifications n ON n.id = d.notification_id "
                        "WHERE d.target = ? AND d.state = 'pending' AND n.received_at < ?", (target, before)).fetchall()
    if rows:
        mark_dead(conn, [(d, nid, attempts) for d, nid, attempts, _ in rows], target, "expired",
                  f"{detail}; last error: {rows[-1][3] or 'none'}", now)
    return [row[0] for row in rows]


def record_send(conn: sqlite3.Connection, target: str, sent_at: float) -> None:
    conn.execute("INSERT INTO sends (target, sent_at) VALUES (?, ?)", (target, sent_at))


def sends_since(conn: sqlite3.Connection, target: str, since: float) -> list[float]:
    """When `target` was sent to since `since`: its rate windows, as they were before a restart."""
    return [row[0] for row in conn.execute("SELECT sent_at FROM sends WHERE target = ? AND sent_at > ? ORDER BY sent_at",
                                           (target, since))]


PROBE_BYTES = 64 * 1024  # about a large notification: a write that needs new pages, as one does


def probe_write(conn: sqlite3.Connection) -> None:
    """What /readyz writes: a notification-sized value, then a small one in its place."""
    set_state(conn, "readyz", "x" * PROBE_BYTES)
    set_state(conn, "readyz", repr(time.time()))


def get_state(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def set_state(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                 (key, value))


def lock_state(conn: sqlite3.Connection, key: str) -> str | None:
    """`key`'s value, its row held by this transaction until it ends: a concurrent transaction
    locking or writing the same key waits, and then reads what this one wrote. (A plain read
    under PostgreSQL's READ COMMITTED can be older than a write the same transaction waits on
    a moment later.)"""
    row = conn.execute("UPDATE state SET value = value WHERE key = ? RETURNING value", (key,)).fetchone()
    return row[0] if row else None


def change_state(conn: sqlite3.Connection, key: str, value: str) -> bool:
    """Set `key` to `value`; True if that changed it. Of replicas making the same change at
    once exactly one gets True (the others wait for its row and find the value set)."""
    row = conn.execute("INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                       "SET value = excluded.value WHERE state.value <> excluded.value RETURNING key",
                       (key, value)).fetchone()
    return row is not None


def prune(conn: sqlite3.Connection, now: float, dedup_window: float, keep: float) -> int:
    """Forget expired dedupe keys, and delivered notifications older than `keep` seconds
    (dead letters and anything pending stay)."""
    conn.execute("DELETE FROM dedup WHERE seen_at < ?", (now - dedup_window,))
    conn.execute("DELETE FROM sends WHERE sent_at < ?", (now - SENDS_KEPT,))
    conn.execute("DELETE FROM deliveries WHERE state = 'done' AND updated_at < ?", (now - keep,))
    cur = conn.execute("DELETE FROM notifications WHERE received_at < ? AND NOT EXISTS "
                       "(SELECT 1 FROM deliveries d WHERE d.notification_id = notifications.id)", (now - keep,))
    return cur.rowcount


def dead_letters(db) -> list[DeadLetter]:
    """Read-only listing (works while the relay runs)."""
    try:
        with db.read_only() as conn:
            rows = conn.execute(
                "SELECT l.delivery_id, l.notification_id, l.target, l.reason, l.detail, l.attempts, l.given_up_at, "
                "n.received_at, n.body FROM dead_letters l JOIN notifications n ON n.id = l.notification_id "
                "ORDER BY l.given_up_at, l.delivery_id").fetchall()
    except db.Error as exc:
        raise StoreError(f"{db.describe()}: cannot read the relay store: {exc}") from None
    return [DeadLetter(*row[:8], bytes(row[8])) for row in rows]
