"""The relay's store alone: what one notification costs the store (dedupe upsert, notification
row, delivery row, in group commits), on SQLite and on PostgreSQL with 1 and 4 writer
connections, and PostgreSQL with `synchronous_commit = off` (is it the disk?).

    .venv/bin/python bench/relay_store.py [--operations 3000] [--rounds 4]

Each round runs every variant once, taking turns, `--operations` operations with 32 in
flight from one event loop (as the relay's server submits them); a fresh database each time.
Medians over the rounds go to stdout; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from support.postgres_server import running_postgres  # noqa: E402
from relay import postgres, store  # noqa: E402

BODY = (b'{"alerts": [' + b", ".join([b'{"labels": {"alertname": "KubePodCrashLooping", "pod": "shop-0"}}'] * 120)
        + b"]}")  # ~9 KB, the bench payloads' median


def operation(i: int):
    def op(conn):
        now = time.time()
        if store.seen_recently(conn, f"group-{i}", now, 600):
            return None
        return store.insert_notification(conn, now, None, f"group-{i}", BODY, ("sink",), 1)
    return op


async def drive(st: store.Store, count: int, in_flight: int = 32) -> float:
    gate = asyncio.Semaphore(in_flight)

    async def one(i: int) -> None:
        async with gate:
            await st.run(operation(i))

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(count)))
    return count / (time.perf_counter() - started)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--operations", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args()
    rates: dict[str, list[float]] = {}
    with running_postgres() as pg, tempfile.TemporaryDirectory(prefix="relay-store-bench-") as tmp:
        for n in range(args.rounds):
            variants = {
                "SQLite": lambda: store.Store(store.SQLite(os.path.join(tmp, f"s{n}.db"))),
                "PostgreSQL, 1 writer": lambda: store.Store(postgres.PostgreSQL(pg.create_database()), writers=1),
                "PostgreSQL, 4 writers": lambda: store.Store(postgres.PostgreSQL(pg.create_database()), writers=4),
            }
            for name, make in variants.items():
                st = make()
                try:
                    rates.setdefault(name, []).append(asyncio.run(drive(st, args.operations)))
                finally:
                    st.close()
            session = postgres.SESSION
            postgres.SESSION = session + ("SET synchronous_commit = off",)
            try:
                st = store.Store(postgres.PostgreSQL(pg.create_database()), writers=1)
                try:
                    rates.setdefault("PostgreSQL, 1 writer, synchronous_commit off", []).append(
                        asyncio.run(drive(st, args.operations)))
                finally:
                    st.close()
            finally:
                postgres.SESSION = session
    for name, values in rates.items():
        print(f"{name}: median {statistics.median(values):,.0f} operations/s ({', '.join(f'{v:,.0f}' for v in values)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
