"""Benchmark of the region engines: acknowledged trade commands per second, and recovery time.

Measures, on SQLite (WAL, ``synchronous=FULL``) and/or PostgreSQL:

1. **Throughput**: acknowledged ``Trade`` commands per second through the real path
   (``GalaxyService.execute`` -> ``RegionEngine`` -> ``decide``/``evolve`` -> group commit ->
   answer), with ``--concurrency`` callers each trading without pause, through ONE engine and
   through 8 engines (Terran Space, the Nexus and 6 player regions) with the same callers
   spread over them, and with 8 times as many callers. Each figure is printed
   beside a baseline measured in the same round: raw inserts of the same event rows (same
   payloads) in transactions of the engine's mean batch size, one writer, no engine.
2. **Recovery**: time to rebuild a region whose stream holds 1,000,000 events with snapshots
   every 1,000 (the latest snapshot at 999,000, so 1,000 tail events are replayed through the
   real ``evolve``), beside the baseline of raw-reading the same snapshot and tail rows. The
   stream is built quickly by bulk-inserting real encoded events; the tail is real trades
   decided from the snapshot state, and the recovered state is checked against it.

Traders are crafted into the generated galaxy's initial state (at a trading port, with large
credits, turns, holds and port stock) so a run never runs out of anything.

Usage::

    .venv/bin/python benchmarks/bench_engine.py                 # SQLite and PostgreSQL
    .venv/bin/python benchmarks/bench_engine.py --quick --backend sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from starlane.bus import Bus
from starlane.cli.common import configure_logging
from starlane.domain.codec import encode_event, encode_state
from starlane.domain.commands import Trade
from starlane.domain.data import PORT_CLASSES, Side
from starlane.domain.galaxy import generate_galaxy
from starlane.domain.model import Player, RegionState, Ship
from starlane.domain.rules import decide, evolve
from starlane.engine.region import load_region_state
from starlane.engine.router import GalaxyService
from starlane.store.catalogue import RegionRow
from starlane.store.db import WRITE_TRANSACTION, create_db_engine, upgrade_database
from starlane.store.eventstore import EventStore
from starlane.store.schema import events, snapshots

DEFAULT_PG = os.environ.get(
    "STARLANE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BIG = 10**8


# --- galaxy with traders ------------------------------------------------------------------
def trading_states(
    regions: int, traders_per_region: int, now: float
) -> tuple[dict[int, RegionState], dict[int, list[tuple[Trade, Trade]]]]:
    """Generate a galaxy of ``regions`` regions and craft traders at trading ports."""
    galaxy = generate_galaxy(
        2002, nexus_sectors=2000, player_region_sizes=(100,) * (regions - 2), opened_at=now
    )
    trades: dict[int, list[tuple[Trade, Trade]]] = {}
    next_id = 1
    for rid, state in sorted(galaxy.regions.items()):
        ports = [
            p
            for p in state.ports.values()
            if PORT_CLASSES[p.port_class].sells and PORT_CLASSES[p.port_class].buys
        ]
        trades[rid] = []
        for i in range(traders_per_region):
            port = ports[i % len(ports)]
            spec = PORT_CLASSES[port.port_class]
            for stock in port.stock.values():
                stock.capacity, stock.quantity = BIG, BIG / 2
            bought, sold = spec.sells[0], spec.buys[0]
            ship = Ship.new("cargo_hauler", f"Hauler {next_id}")
            ship.holds, ship.cargo = BIG, {sold: BIG // 4}
            state.players[next_id] = Player(
                next_id, f"t{next_id}", rid, port.sector_id, 10**12, BIG, now, ship
            )
            trades[rid].append(
                (
                    Trade(next_id, port.id, bought, Side.BUY, 1),
                    Trade(next_id, port.id, sold, Side.SELL, 1),
                )
            )
            next_id += 1
    return galaxy.regions, trades


# --- databases ------------------------------------------------------------------------------
class Database:
    """A fresh database for one backend, dropped (or deleted) on close."""

    def __init__(self, backend: str, pg_url: str) -> None:
        self.backend = backend
        self._pg_admin = pg_url
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._pg_name: str | None = None
        self.url = ""
        self.sqlite_path: Path | None = None

    async def __aenter__(self) -> Database:
        if self.backend == "sqlite":
            self._tmp = tempfile.TemporaryDirectory(prefix="starlane-bench-")
            self.sqlite_path = Path(self._tmp.name) / "bench.db"
            self.url = f"sqlite+aiosqlite:///{self.sqlite_path}"
        else:
            import asyncpg

            self._pg_name = f"starlane_bench_{uuid.uuid4().hex[:10]}"
            conn = await asyncpg.connect(self._pg_admin)
            await conn.execute(f'CREATE DATABASE "{self._pg_name}"')
            await conn.close()
            base = self._pg_admin.rsplit("/", 1)[0]
            self.url = f"{base}/{self._pg_name}".replace(
                "postgresql://", "postgresql+asyncpg://", 1
            )
        await upgrade_database(self.url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
        if self._pg_name is not None:
            import asyncpg

            conn = await asyncpg.connect(self._pg_admin)
            await conn.execute(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)')
            await conn.close()


# --- throughput -----------------------------------------------------------------------------
async def throughput(
    db: Database, engines: int, concurrency: int, seconds: float
) -> dict[str, float]:
    """Acknowledged trades/s through ``engines`` engines with ``concurrency`` callers."""
    engine = create_db_engine(db.url)
    store = EventStore(engine)
    regions = max(engines, 2)
    per_region = -(-concurrency // engines)
    states, trades = trading_states(regions, per_region, time.time())
    used = sorted(states)[:engines]
    for rid in used:
        state = states[rid]
        await store.save_snapshot(rid, 0, encode_state(state))
        await store.add_region(
            RegionRow(
                rid,
                str(state.region.kind),
                state.region.name,
                state.region.seed,
                state.region.sector_count,
                state.region.first_sector_id,
                0.0,
            )
        )
    service = GalaxyService(store, Bus(), rng_seed=1)
    await service.start()
    callers = [pair for rid in used for pair in trades[rid]][:concurrency]
    acks = 0
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds

    async def caller(pair: tuple[Trade, Trade]) -> None:
        nonlocal acks
        n = 0
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            await service.execute(pair[n % 2])
            latencies.append(time.perf_counter() - started)
            acks += 1
            n += 1

    started = time.perf_counter()
    await asyncio.gather(*(caller(pair) for pair in callers))
    elapsed = time.perf_counter() - started
    commits = sum(e.metrics.commits for e in service.engines.values())
    await service.stop()
    store.close()
    mean_batch = acks / max(commits, 1)
    baseline = await raw_insert_rate(engine, used, max(1, round(mean_batch)), acks)
    single = await raw_insert_rate(engine, used, 1, min(acks, 300), region_offset=2000)
    await engine.dispose()
    latencies.sort()
    return {
        "rate": acks / elapsed,
        "acks": acks,
        "mean_batch": mean_batch,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
        "baseline": baseline,
        "single": single,
    }


async def raw_insert_rate(
    engine: Any, regions: list[int], batch: int, limit: int, *, region_offset: int = 1000
) -> float:
    """Rows/s of inserting the run's own event rows again, ``batch`` rows per transaction."""
    async with engine.connect() as conn:
        rows = [
            dict(r._mapping)
            for r in await conn.execute(
                select(
                    events.c.region_id,
                    events.c.seq,
                    events.c.type,
                    events.c.version,
                    events.c.actor_id,
                    events.c.at,
                    events.c.recorded_at,
                    events.c.payload,
                )
                .where(events.c.region_id.in_(regions))
                .order_by(events.c.position)
                .limit(limit)
            )
        ]
    for row in rows:
        row["region_id"] += region_offset
    writer = engine.execution_options(**WRITE_TRANSACTION)
    started = time.perf_counter()
    for start in range(0, len(rows), batch):
        async with writer.begin() as conn:
            await conn.execute(insert(events), rows[start : start + batch])
    return len(rows) / (time.perf_counter() - started)


# --- recovery -------------------------------------------------------------------------------
def _row(rid: int, seq: int, event: Any, payload: str | None = None) -> tuple[Any, ...]:
    return (
        rid,
        seq,
        event.type,
        event.version,
        getattr(event, "player_id", None),
        event.at,
        event.at,
        payload if payload is not None else encode_event(event).decode(),
    )


async def recovery(db: Database, total: int, every: int = 1000) -> dict[str, float]:
    """Build a region stream of ``total`` events (snapshot at ``total - every``), recover it."""
    rid = 1
    now = 1_700_000_000.0
    states, trades = trading_states(2, 20, now)
    state = states[rid]
    pairs = trades[rid]
    rng = random.Random(1)

    def real_events(count: int, start_at: float) -> list[Any]:
        produced = []
        for i in range(count):
            buy, sell = pairs[i % len(pairs)]
            for event in decide(state, buy if (i // len(pairs)) % 2 == 0 else sell, start_at, rng):
                evolve(state, event)
                produced.append(event)
            start_at += 0.001
        return produced

    sample = [encode_event(e).decode() for e in real_events(2000, now)]
    template = real_events(1, now)[0]
    snapshot_seq = total - every
    build_started = time.perf_counter()
    filler = (
        _row(rid, seq, template, sample[seq % len(sample)]) for seq in range(1, snapshot_seq + 1)
    )
    state.seq = snapshot_seq
    snap = encode_state(state)
    tail = real_events(every, now + 10)
    tail_rows = [_row(rid, snapshot_seq + i, e) for i, e in enumerate(tail, start=1)]
    state.seq = total
    await bulk_load(db, list(filler) + tail_rows)
    engine = create_db_engine(db.url)
    store = EventStore(engine)
    await store.save_snapshot(rid, snapshot_seq, snap)
    build = time.perf_counter() - build_started

    started = time.perf_counter()
    loaded = await load_region_state(store, rid, evolve=evolve)
    elapsed = time.perf_counter() - started
    assert loaded.state.seq == total and loaded.replayed == every
    assert loaded.state == state, "recovered state differs"

    started = time.perf_counter()
    async with engine.connect() as conn:
        await conn.execute(
            select(snapshots.c.data)
            .where(snapshots.c.region_id == rid)
            .order_by(snapshots.c.seq.desc())
            .limit(1)
        )
        (
            await conn.execute(
                select(events.c.payload).where(
                    events.c.region_id == rid, events.c.seq > snapshot_seq
                )
            )
        ).all()
    raw = time.perf_counter() - started
    count = await store.last_seq(rid)
    store.close()
    await engine.dispose()
    return {"seconds": elapsed, "raw": raw, "build": build, "events": count, "tail": every}


async def bulk_load(db: Database, rows: list[tuple[Any, ...]]) -> None:
    """Insert event rows with the driver's fastest path (executemany / COPY)."""
    columns = ("region_id", "seq", "type", "version", "actor_id", "at", "recorded_at", "payload")
    if db.backend == "sqlite":
        assert db.sqlite_path is not None
        conn = sqlite3.connect(db.sqlite_path)
        conn.execute("PRAGMA synchronous=OFF")
        with conn:
            conn.executemany(
                f"INSERT INTO events ({', '.join(columns)}) VALUES (?,?,?,?,?,?,?,?)", rows
            )
        conn.close()
        return
    import asyncpg

    conn = await asyncpg.connect(db.url.replace("postgresql+asyncpg://", "postgresql://", 1))
    await conn.copy_records_to_table("events", records=rows, columns=list(columns))
    await conn.execute("ANALYZE events")
    await conn.close()


# --- main -------------------------------------------------------------------------------------
async def run_backend(backend: str, args: argparse.Namespace) -> None:
    print(
        f"== {backend}  (durable commits: "
        f"{'WAL, synchronous=FULL' if backend == 'sqlite' else 'fsync on commit'})"
    )
    runs = [(1, args.concurrency), (8, args.concurrency), (8, 8 * args.concurrency)]
    for engines, concurrency in runs:
        rounds = []
        for _ in range(args.rounds):  # best of N: the machine is shared and noisy
            async with Database(backend, args.pg_url) as db:
                rounds.append(await throughput(db, engines, concurrency, args.seconds))
        r = max(rounds, key=lambda x: x["rate"])
        print(
            f"  {engines} engine{'s' if engines > 1 else ' '}, {concurrency:>5} concurrent "
            f"callers: {r['rate']:>9,.0f} acknowledged trades/s  "
            f"(mean batch {r['mean_batch']:.0f}, "
            f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms)"
        )
        print(
            f"      baseline raw inserts of the same rows, {r['mean_batch']:.0f}/transaction: "
            f"{r['baseline']:>9,.0f} rows/s  -> engine/baseline = {r['rate'] / r['baseline']:.2f}"
        )
        print(
            f"      (raw inserts, 1 row/transaction: {r['single']:,.0f} rows/s: what group "
            f"commit saves; engine/this = {r['rate'] / r['single']:.1f}x)"
        )
    async with Database(backend, args.pg_url) as db:
        r = await recovery(db, args.recovery_events)
    print(
        f"  recovery of a region with {r['events']:,} events (snapshots every 1,000, "
        f"{r['tail']:,} tail events replayed): {r['seconds']:.3f} s  "
        f"(baseline raw read of the snapshot and tail rows: {r['raw']:.3f} s; "
        f"stream built in {r['build']:.1f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="short run, 100,000-event recovery")
    parser.add_argument("--concurrency", type=int, default=200, help="concurrent callers")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per throughput run")
    parser.add_argument("--recovery-events", type=int, default=None)
    parser.add_argument(
        "--rounds", type=int, default=None, help="throughput rounds, best kept (3; quick: 1)"
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="PostgreSQL server (admin) URL")
    parser.add_argument("--log-level", default="warning", help="engine log level (warning)")
    args = parser.parse_args()
    configure_logging(args.log_level)  # the engines' info lines would bury the figures
    if args.seconds is None:
        args.seconds = 2.0 if args.quick else 5.0
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3
    if args.recovery_events is None:
        args.recovery_events = 100_000 if args.quick else 1_000_000
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        asyncio.run(run_backend(backend, args))


if __name__ == "__main__":
    main()
