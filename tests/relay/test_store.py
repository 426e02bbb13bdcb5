"""The relay store's group commit, on SQLite and on PostgreSQL alike: operations queued
together share one transaction, one failing operation undoes only itself, a failed COMMIT
fails them all, and every caller gets its own answer (async callers through their event loop,
blocking callers directly)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest

from relay.errors import StoreError
from relay import store


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.live)])  # live: a PostgreSQL server
def st(request, tmp_path):
    if request.param == "sqlite":
        db = store.SQLite(str(tmp_path / "relay.db"))
    else:
        from relay.postgres import PostgreSQL

        db = PostgreSQL(request.getfixturevalue("postgres_dsn"))
    s = store.Store(db, writers=1)  # groups as one writer forms them (what these tests are about)
    yield s
    s.close()


def put(key: str):
    return lambda c: store.set_state(c, key, "v") or key


def fail(c):
    store.set_state(c, "half-done", "v")  # written before the failure: must be undone
    raise ValueError("bad operation")


def keys(st: store.Store) -> list[str]:
    with st.db.read_only() as conn:  # another connection: what was committed
        return sorted(k for (k,) in conn.execute("SELECT key FROM state").fetchall())


def hold_writer(st: store.Store) -> threading.Event:
    """Keep the writer thread busy until the returned event is set, so what is queued
    meanwhile commits as one group."""
    release, started = threading.Event(), threading.Event()

    def block(c):
        started.set()
        release.wait(10)

    threading.Thread(target=st.call, args=(block,), daemon=True).start()
    assert started.wait(10)
    return release


def test_a_failing_operation_undoes_only_itself_in_its_group(st):
    async def main():
        release = hold_writer(st)
        tasks = [asyncio.ensure_future(st.run(op)) for op in (put("a"), fail, put("b"))]
        await asyncio.sleep(0.05)  # all three queued behind the blocker: one group
        release.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    a, failed, b = asyncio.run(main())
    assert (a, b) == ("a", "b")
    assert isinstance(failed, ValueError) and str(failed) == "bad operation"
    assert keys(st) == ["a", "b"]


def test_a_failed_commit_fails_every_operation_of_the_group(st, monkeypatch):
    real = st._transaction

    def broken(conn, group, isolated):
        if len(group) > 1:
            raise st.db.Error("disk I/O error")
        return real(conn, group, isolated)

    monkeypatch.setattr(st, "_transaction", broken)

    async def main():
        release = hold_writer(st)
        tasks = [asyncio.ensure_future(st.run(put(k))) for k in "xyz"]
        await asyncio.sleep(0.05)
        release.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    answers = asyncio.run(main())
    assert all(isinstance(a, StoreError) and "disk I/O error" in str(a) for a in answers), answers
    assert keys(st) == []


def test_blocking_and_async_callers_of_one_group_each_get_their_answer(st):
    async def main():
        release = hold_writer(st)
        blocking: list = []
        t = threading.Thread(target=lambda: blocking.append(st.call(put("sync"))))
        t.start()
        task = asyncio.ensure_future(st.run(put("async")))
        await asyncio.sleep(0.05)
        release.set()
        value = await task
        t.join(10)
        return value, blocking

    assert asyncio.run(main()) == ("async", ["sync"])
    assert keys(st) == ["async", "sync"]


def test_a_cancelled_caller_still_has_its_operation_committed(st):
    async def main():
        release = hold_writer(st)
        task = asyncio.ensure_future(st.run(put("kept")))
        await asyncio.sleep(0.05)
        task.cancel()
        release.set()
        await asyncio.sleep(0)
        return await st.run(put("after"))  # the writer has finished the group before this one

    assert asyncio.run(main()) == "after"
    assert keys(st) == ["after", "kept"]


def test_a_store_written_before_priorities_is_migrated_and_keeps_its_pending_work(tmp_path):
    """Stores of the first release lack deliveries.priority and .shown: opening adds them."""
    path = str(tmp_path / "old.db")
    old = sqlite3.connect(path)
    old.executescript(store.SCHEMA.replace(store.SCHEMA[store.SCHEMA.index("CREATE TABLE IF NOT EXISTS sends"):], ""))
    old.execute("INSERT INTO notifications (id, received_at, route, dedup_key, body) VALUES (1, 1.0, NULL, NULL, x'7b7d')")
    old.execute("INSERT INTO deliveries (notification_id, target, updated_at) VALUES (1, 'a', 1.0)")
    old.commit()
    old.close()
    conn = store.connect(path)
    try:
        rows, count, oldest = store.queue_page(conn, "a", 10)
        assert count == 1 and oldest == 1.0 and (rows[0].priority, rows[0].shown) == (0, 0)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    finally:
        conn.close()
    store.connect(path).close()  # opening again changes nothing
