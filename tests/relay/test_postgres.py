"""The relay's shared store on a real PostgreSQL server: the store operations give what they
give on SQLite, two replicas (two Store objects, two connections) storing the same
notification at once keep one, a heartbeat page is decided once, leases go to one holder and
pass on when they run out or are given back, new deliveries are announced, and a broken
connection costs one group, not the store."""

from __future__ import annotations

import asyncio
import threading
import time

import psycopg
import pytest

from relay import heartbeat, store
from relay.config import Heartbeat
from relay.errors import StoreError
from relay.postgres import PostgreSQL, hold_leases, lease_holders, release_leases

# live: runs a PostgreSQL server; `pytest -m "not live"` skips it
pytestmark = pytest.mark.live


@pytest.fixture
def two(postgres_dsn):
    """Two replicas' stores on one database."""
    a, b = store.Store(PostgreSQL(postgres_dsn)), store.Store(PostgreSQL(postgres_dsn))
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def scenario(st: store.Store) -> list:
    """A delivery's life through the operations the worker and server use; what each returns."""
    out = []
    call = st.call
    nid, deliveries = call(lambda c: store.insert_notification(c, 100.0, "r", "k1", b'{"n": 1}', ("a", "b"), 2))
    nid2, _ = call(lambda c: store.insert_notification(c, 101.0, None, None, b'{"n": 2}', ("a",), 0))
    out.append((nid, deliveries, nid2))
    rows, count, oldest = call(lambda c: store.queue_page(c, "a", 10))
    out.append(([(r.delivery_id, r.notification_id, r.priority, r.route, bytes(r.body)) for r in rows], count, oldest))
    call(lambda c: store.mark_shown(c, [(deliveries[0][1], 3)], 102.0))
    out.append([(r.delivery_id, r.shown) for r in call(lambda c: store.queue_page(c, "a", 10))[0]])
    out.append(call(lambda c: store.seen_recently(c, "k9", 100.0, 60)))
    out.append(call(lambda c: store.seen_recently(c, "k9", 130.0, 60)))
    out.append(call(lambda c: store.seen_recently(c, "k9", 200.0, 60)))  # the window has passed
    call(lambda c: store.record_send(c, "a", 100.5))
    call(lambda c: store.record_send(c, "a", 101.5))
    out.append(call(lambda c: store.sends_since(c, "a", 101.0)))
    out.append(call(lambda c: store.summarise(c, "a", deliveries[0][1], 103.0)))
    out.append(call(lambda c: store.expire(c, "a", 200.0, "too old", 104.0)))
    out.append(call(lambda c: store.expire(c, "b", 50.0, "too old", 104.0)))
    out.append([(d.delivery_id, d.target, d.reason, bytes(d.body)) for d in store.dead_letters(st.db)])
    out.append((call(lambda c: store.change_state(c, "m", "1")), call(lambda c: store.change_state(c, "m", "1")),
                call(lambda c: store.get_state(c, "m"))))
    out.append(call(lambda c: store.prune(c, 1e6, 60, 10)))
    return out


def test_the_operations_give_on_postgresql_what_they_give_on_sqlite(tmp_path, postgres_dsn):
    sqlite, pg = store.Store(store.SQLite(str(tmp_path / "relay.db"))), store.Store(PostgreSQL(postgres_dsn))
    try:
        expected = scenario(sqlite)
        assert scenario(pg) == expected
    finally:
        sqlite.close()
        pg.close()
    assert expected[0] == (1, [("a", 1), ("b", 2)], 2)
    assert expected[3:6] == [False, True, False]
    assert expected[-1] == 0  # nothing prunable: b's delivery is still pending


def _race(stores, op_for, rounds: int) -> list[list]:
    """Each round, every store runs its op at the same moment (a barrier); the answers."""
    answers: list[list] = [[] for _ in range(rounds)]
    barrier = threading.Barrier(len(stores))

    def replica(st, index):
        for n in range(rounds):
            barrier.wait(10)
            answers[n].append((index, st.call(op_for(n))))

    threads = [threading.Thread(target=replica, args=(st, i)) for i, st in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return answers


def test_two_replicas_storing_the_same_notification_at_once_keep_one(two):
    def op_for(n):
        def op(c):
            if store.seen_recently(c, f"group-{n}", time.time(), 600):
                return "duplicate"
            store.insert_notification(c, time.time(), None, f"group-{n}", b"{}", ("a",))
            return "stored"
        return op

    answers = _race(two, op_for, 50)
    assert all(sorted(v for _, v in round_) == ["duplicate", "stored"] for round_ in answers), answers
    count = two[0].call(lambda c: c.execute("SELECT count(*) FROM deliveries").fetchone()[0])
    assert count == 50


def test_a_heartbeat_state_change_is_won_by_one_replica(two):
    answers = _race(two, lambda n: (lambda c: store.change_state(c, "missing", str(n % 2 + 1))), 40)
    assert all(sorted(v for _, v in round_) == [False, True] for round_ in answers), answers


def test_a_heartbeat_check_that_overlaps_an_arrival_at_another_replica_sees_it(two, postgres_dsn):
    """The pipeline was reported broken; Watchdog arrives at replica A while replica B's
    watcher checks. B's check waits for A's transaction and then finds the arrival: the
    recovery is sent, and no second "broken" page (seen with missing_after 5 s, issue 15)."""
    a, b = two
    hb = Heartbeat("Watchdog", 5.0, ("c",))
    b.call(lambda c: store.set_state(c, heartbeat.LAST_SEEN, repr(100.0)))
    b.call(lambda c: store.set_state(c, heartbeat.MISSING, "1"))
    arrival = PostgreSQL(postgres_dsn).connect()
    checked: list = []
    try:
        with arrival.raw.transaction():
            assert heartbeat.seen_op(hb, 200.0)(arrival) is not None  # the recovery, not committed yet
            checker = threading.Thread(target=lambda: checked.append(b.call(heartbeat.check_op(hb, 200.1))))
            checker.start()
            # commit only once B's check is waiting on A's rows (else it would see the arrival anyway)
            with psycopg.connect(postgres_dsn, autocommit=True) as watch:
                end = time.monotonic() + 10
                while not watch.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                        "AND datname = current_database()").fetchone()[0]:
                    assert time.monotonic() < end, "the check never waited for the arrival's transaction"
                    time.sleep(0.02)
        checker.join(10)
    finally:
        arrival.close()
    assert checked == [None]
    assert a.call(lambda c: store.get_state(c, heartbeat.MISSING)) == "0"
    statuses = a.call(lambda c: c.execute("SELECT body FROM notifications ORDER BY id").fetchall())
    assert [b'"status": "resolved"' in bytes(row[0]) for row in statuses] == [True]


def test_leases_have_one_holder_and_pass_on_when_they_run_out_or_are_given_back(two):
    a, b = two
    assert a.call(lambda c: hold_leases(c, "A", ["dt", "wc"], 1.0)) == ["dt", "wc"]
    assert b.call(lambda c: hold_leases(c, "B", ["dt", "wc"], 1.0)) == []
    assert a.call(lambda c: hold_leases(c, "A", ["dt", "wc"], 1.0)) == ["dt", "wc"]  # renewed
    time.sleep(1.2)  # A stopped renewing: both ran out
    assert b.call(lambda c: hold_leases(c, "B", ["wc"], 30.0)) == ["wc"]
    assert a.call(lambda c: hold_leases(c, "A", ["dt", "wc"], 30.0)) == ["dt"]
    assert b.call(lambda c: lease_holders(c)) == {"dt": "A", "wc": "B"}
    a.call(lambda c: release_leases(c, "A"))
    assert b.call(lambda c: hold_leases(c, "B", ["dt", "wc"], 30.0)) == ["dt", "wc"]


def test_leases_taken_at_once_by_many_replicas_go_to_one_each(postgres_dsn):
    stores = [store.Store(PostgreSQL(postgres_dsn)) for _ in range(4)]
    try:
        targets = [f"t{i}" for i in range(6)]
        [answers] = _race(stores, lambda n: (lambda c: hold_leases(c, f"R{id(c)}", targets, 30.0)), 1)
        held = [t for _, got in answers for t in got]
        assert sorted(held) == targets  # each target held by exactly one replica
    finally:
        for st in stores:
            st.close()


def test_a_delivery_stored_by_one_replica_is_announced_to_the_other(two):
    a, b = two
    heard: list = []

    async def main():
        got = asyncio.Event()

        def announce(target):
            heard.append(target)
            if target is not None:
                got.set()

        listener = b.db.listen(announce)
        listener.start()
        try:
            deadline = time.monotonic() + 10
            while None not in heard and time.monotonic() < deadline:  # listening
                await asyncio.sleep(0.02)
            a.call(lambda c: store.insert_notification(c, time.time(), None, None, b"{}", ("wc", "dt")))
            await asyncio.wait_for(got.wait(), 10)
            await asyncio.sleep(0.2)
        finally:
            listener.stop()

    asyncio.run(main())
    assert heard[0] is None and sorted(heard[1:]) == ["dt", "wc"]


def test_a_broken_connection_fails_one_group_and_the_store_reconnects(postgres_server, postgres_dsn):
    st = store.Store(PostgreSQL(postgres_dsn), writers=1)
    try:
        pid = st.call(lambda c: c.execute("SELECT pg_backend_pid()").fetchone()[0])
        postgres_server.execute("postgres", "SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(StoreError, match="cannot be written"):
            st.call(lambda c: store.set_state(c, "k", "v"))
        assert st.failing_since is not None
        st.call(lambda c: store.set_state(c, "k", "v"))  # a new connection
        assert st.failing_since is None
        assert st.call(lambda c: store.get_state(c, "k")) == "v"
    finally:
        st.close()


def test_a_server_that_refuses_the_password_is_a_clear_error(postgres_server):
    dsn = postgres_server.dsn(password="wrong")
    with pytest.raises(StoreError) as caught:
        store.Store(PostgreSQL(dsn))
    message = str(caught.value)
    assert message.startswith(f"postgresql://relay@127.0.0.1:{postgres_server.port}/postgres: cannot connect")
    assert "password authentication failed" in message and "wrong" not in message


def test_the_connection_string_never_shows_its_password(postgres_server):
    db = PostgreSQL(postgres_server.dsn())
    assert postgres_server.password not in db.describe() + repr(db)
    assert isinstance(db.Error("x"), psycopg.Error)


def test_dead_letters_of_a_postgresql_store_need_only_its_connection_string(tmp_path, postgres_dsn, capsys):
    import yaml

    from relay.cli import main

    st = store.Store(PostgreSQL(postgres_dsn))
    try:
        nid, [(_, delivery)] = st.call(lambda c: store.insert_notification(c, 100.0, None, None, b'{"groupKey": "g"}', ("dt",)))
        st.call(lambda c: store.mark_dead(c, [(delivery, nid, 3)], "dt", "permanent", "bad token", 101.0))
    finally:
        st.close()
    (tmp_path / "pg.dsn").write_text(postgres_dsn)
    (tmp_path / "relay.yaml").write_text(yaml.safe_dump({
        "store": {"kind": "postgresql", "dsn_file": "pg.dsn"},
        "targets": {"dt": {"kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=x",
                           "secret_file": "absent.secret"}},  # not on this machine: not needed to list
        "default_targets": ["dt"]}))
    assert main(["--config", str(tmp_path / "relay.yaml"), "dead-letters"]) == 0
    out, err = capsys.readouterr()
    assert f"delivery {delivery}  notification {nid}  target dt  permanent  attempts 3  g  bad token" in out
    assert "1 dead letters" in err
    (tmp_path / "pg.dsn").unlink()
    assert main(["--config", str(tmp_path / "relay.yaml"), "dead-letters"]) == 1
    assert "store.dsn_file: cannot read" in capsys.readouterr().err


def test_a_relay_whose_database_cannot_be_reached_does_not_start_and_says_why(tmp_path, capsys, monkeypatch):
    import yaml

    from support.live import free_port
    from relay.cli import main

    port = free_port()  # nothing listens there
    (tmp_path / "relay.yaml").write_text(yaml.safe_dump({
        "listen": "127.0.0.1:0", "store": {"kind": "postgresql", "dsn_env": "RELAY_TEST_DSN"},
        "targets": {"wc": {"kind": "wecom", "url": "http://127.0.0.1:9/cgi-bin/webhook/send?key=k"}},
        "default_targets": ["wc"]}))
    monkeypatch.setenv("RELAY_TEST_DSN", f"postgresql://relay:pw@127.0.0.1:{port}/relay")
    assert main(["--config", str(tmp_path / "relay.yaml")]) == 1
    err = capsys.readouterr().err
    assert f"postgresql://relay@127.0.0.1:{port}/relay: cannot connect to the relay store" in err, err
    assert "pw" not in err.replace("postgresql", "")
