"""Event-store append throughput on SQLite and PostgreSQL, beside a raw-insert baseline.

Each durable append is one transaction carrying a batch of events (a group commit): the
store's ``EventStore.append`` (concurrency check, one multi-row ``INSERT ... RETURNING``,
commit) against the same rows written with the bare driver's ``executemany`` in a transaction
of their own (aiosqlite with the same PRAGMAs; asyncpg), measured in the same run.

On SQLite it also times ``EventStore.commit`` as the region engines call it (each batch
handed to the store as soon as the previous one is answered, a loop turn apart; the SQLite
adapter commits on the calling thread), against the same baseline: durable appends/s, and the
time each commit holds the calling thread.

It also reads the region back: ``EventStore.read_region`` (rows decoded into events) against
the bare driver fetching the same rows in batches of 10,000.

Run: ``.venv/bin/python benchmarks/bench_store.py`` (``--quick`` for a short run,
``--postgres URL`` to choose the server, ``--no-postgres`` to skip it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path

from starlane.domain.codec import encode_event
from starlane.domain.events import PlayerMoved
from starlane.store import EventStore, create_db_engine, upgrade_database
from starlane.store.db import SQLITE_BUSY_TIMEOUT_MS

_COLUMNS = "region_id, seq, type, version, actor_id, at, recorded_at, payload"


def _events(region_id: int, start: int, n: int) -> list[tuple[PlayerMoved, int]]:
    return [
        (
            PlayerMoved(
                region_id=region_id,
                at=1_000.0 + i,
                player_id=i % 50,
                from_sector_id=i % 300 + 1,
                sector_id=(i + 1) % 300 + 1,
                turns_spent=1,
                turns_left=200,
                turns_at=1_000.0,
                first_visit=False,
            ),
            i % 50,
        )
        for i in range(start, start + n)
    ]


def _raw_rows(region_id: int, start: int, n: int) -> list[tuple]:
    now = time.time()
    return [
        (region_id, start + k + 1, e.type, e.version, actor, e.at, now, encode_event(e).decode())
        for k, (e, actor) in enumerate(_events(region_id, start, n))
    ]


async def _bench_store(url: str, batches: int, batch: int) -> tuple[float, float]:
    engine = create_db_engine(url)
    await upgrade_database(engine)
    store = EventStore(engine)
    payloads = [_events(1, b * batch, batch) for b in range(batches)]
    started = time.perf_counter()
    seq = 0
    for items in payloads:
        recorded = await store.append(1, seq, items)
        seq = recorded[-1].seq
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    count = 0
    async for _ in store.read_region(1):
        count += 1
    read_elapsed = time.perf_counter() - started
    store.close()
    await engine.dispose()
    return batches / elapsed, count / read_elapsed


async def _bench_store_commit(url: str, batches: int, batch: int) -> tuple[float, float]:
    """``EventStore.commit`` (the engines' group commit), each batch handed over as soon as
    the previous one is answered, a loop turn apart, the way the engines do.

    Returns:
        ``(durable appends/s, ms per commit on the calling thread)``.
    """
    engine = create_db_engine(url)
    await upgrade_database(engine)
    store = EventStore(engine)
    payloads = [_events(1, b * batch, batch) for b in range(batches)]
    loop = asyncio.get_running_loop()
    seq = 0
    on_thread = 0.0
    started = time.perf_counter()
    for items in payloads:
        answer: asyncio.Future[object] = loop.create_future()
        began = time.perf_counter()
        store.commit(1, seq, items, None, answer.set_result)
        on_thread += time.perf_counter() - began
        outcome = await answer  # a loop turn, as between two of the engines' commits
        if not isinstance(outcome, list):
            raise RuntimeError(f"a commit failed: {outcome!r}")
        seq = outcome[-1].seq
    elapsed = time.perf_counter() - started
    store.close()
    await engine.dispose()
    return batches / elapsed, on_thread * 1000 / batches


_RAW_READ = f"SELECT position, {_COLUMNS} FROM events WHERE region_id = 1 AND seq > {{p}}"
_RAW_READ += " ORDER BY seq LIMIT 10000"


async def _bench_raw_sqlite(path: Path, batches: int, batch: int) -> tuple[float, float]:
    import aiosqlite

    engine = create_db_engine(f"sqlite:///{path}")
    await upgrade_database(engine)
    await engine.dispose()
    rows = [_raw_rows(1, b * batch, batch) for b in range(batches)]
    async with aiosqlite.connect(path, isolation_level=None) as db:
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
            await db.execute(f"PRAGMA {pragma}")
        await db.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        sql = f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        started = time.perf_counter()
        for chunk in rows:
            await db.execute("BEGIN IMMEDIATE")
            await db.executemany(sql, chunk)
            await db.execute("COMMIT")
        elapsed = time.perf_counter() - started
        started, count, after = time.perf_counter(), 0, 0
        while rows := await db.execute_fetchall(_RAW_READ.format(p="?"), (after,)):
            count += len(rows)
            after = rows[-1][2]
        read_elapsed = time.perf_counter() - started
    return batches / elapsed, count / read_elapsed


async def _bench_raw_postgres(url: str, batches: int, batch: int) -> tuple[float, float]:
    import asyncpg

    engine = create_db_engine(url)
    await upgrade_database(engine)
    await engine.dispose()
    rows = [_raw_rows(1, b * batch, batch) for b in range(batches)]
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        sql = f"INSERT INTO events ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        started = time.perf_counter()
        for chunk in rows:
            async with conn.transaction():
                await conn.executemany(sql, chunk)
        elapsed = time.perf_counter() - started
        started, count, after = time.perf_counter(), 0, 0
        while rows := await conn.fetch(_RAW_READ.format(p="$1"), after):
            count += len(rows)
            after = rows[-1][2]
        read_elapsed = time.perf_counter() - started
    finally:
        await conn.close()
    return batches / elapsed, count / read_elapsed


async def _with_pg_database(admin_url: str, fn, *args):
    import asyncpg

    name = f"starlane_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        return await fn(url.replace("postgresql://", "postgresql+asyncpg://", 1), *args)
    finally:
        admin = await asyncpg.connect(admin_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _lines(label: str, store: tuple[float, float], raw: tuple[float, float], batch: int) -> str:
    store_rate, raw_rate = store[0], raw[0]
    append = (
        f"{label:<10} store.append: {store_rate:7.1f} appends/s"
        f" ({store_rate * batch:8.0f} events/s)"
        f" | raw executemany: {raw_rate:8.1f} txn/s ({raw_rate * batch:9.0f} events/s)"
        f" | ratio {store_rate / raw_rate:5.2f}"
    )
    read = (
        f"{'':<10} read_region:  {store[1]:9.0f} events/s (decoded)"
        f" | raw fetch: {raw[1]:9.0f} rows/s | ratio {store[1] / raw[1]:5.2f}"
    )
    return f"{append}\n{read}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (fewer batches)")
    parser.add_argument("--batches", type=int, default=None, help="appends per measurement")
    parser.add_argument("--batch", type=int, default=100, help="events per append")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "STARLANE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="admin URL of a PostgreSQL server (a scratch database is created and dropped)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--rounds", type=int, default=None, help="alternating rounds; the best of each is shown"
    )
    args = parser.parse_args()
    batches = args.batches or (100 if args.quick else 1_000)
    rounds = args.rounds or (1 if args.quick else 3)
    print(
        f"durable appends of {args.batch}-event batches, {batches} appends per run,"
        f" best of {rounds} alternating round(s)"
    )

    async def sqlite_store(n: int) -> tuple[float, float]:
        with tempfile.TemporaryDirectory() as tmp:
            return await _bench_store(f"sqlite:///{tmp}/store.db", n, args.batch)

    async def sqlite_raw(n: int) -> tuple[float, float]:
        with tempfile.TemporaryDirectory() as tmp:
            return await _bench_raw_sqlite(Path(tmp) / "raw.db", n, args.batch)

    store_rates, raw_rates = await _best_of(rounds, sqlite_store, sqlite_raw, batches)
    print(_lines("sqlite", store_rates, raw_rates, args.batch))
    rate, ms = 0.0, float("inf")
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            r, m = await _bench_store_commit(f"sqlite:///{tmp}/now.db", batches, args.batch)
        rate, ms = max(rate, r), min(ms, m)
    print(
        f"{'':<10} store.commit, on the loop: {rate:7.1f} durable appends/s"
        f" ({rate * args.batch:8.0f} events/s), {ms:.2f} ms each on the calling thread"
        f" | ratio to raw executemany {rate / raw_rates[0]:5.2f}"
    )

    if not args.no_postgres:

        async def pg_store(n: int) -> tuple[float, float]:
            return await _with_pg_database(args.postgres, _bench_store, n, args.batch)

        async def pg_raw(n: int) -> tuple[float, float]:
            return await _with_pg_database(args.postgres, _bench_raw_postgres, n, args.batch)

        try:
            store_rates, raw_rates = await _best_of(rounds, pg_store, pg_raw, batches)
        except (OSError, ImportError) as exc:
            print(f"postgresql skipped: {exc}")
        else:
            print(_lines("postgresql", store_rates, raw_rates, args.batch))


async def _best_of(rounds: int, store_fn, raw_fn, batches: int):
    """Alternate the two measurements (store first, then raw first, ...); keep each best."""
    store_best, raw_best = (0.0, 0.0), (0.0, 0.0)
    for r in range(rounds):
        order = (store_fn, raw_fn) if r % 2 == 0 else (raw_fn, store_fn)
        for fn in order:
            rates = await fn(batches)
            if fn is store_fn:
                store_best = (max(store_best[0], rates[0]), max(store_best[1], rates[1]))
            else:
                raw_best = (max(raw_best[0], rates[0]), max(raw_best[1], rates[1]))
    return store_best, raw_best


if __name__ == "__main__":
    asyncio.run(main())
