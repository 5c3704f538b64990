"""The scouting presence query, with and without its index, at growing event counts.

A generator appends events straight into ``events`` (SQLite file, migrated schema): ``--actors``
players (default 2,000) over ``--regions`` regions (default 10), a mix of presence types
(moves, trades, arrivals, departures) and others, one event every 2 s of game time. At each
size in ``--sizes`` (default 50,000 / 200,000 / 500,000 events) it measures:

- ``presence``: :func:`starlane.store.scouting.presence_marks` for a random (player, region)
  over the last 7 days, 200 queries, p50 and p99 in ms, **with** the index
  ``ix_events_actor_id_region_id_at`` and **without** it (dropped, then created again),
  interleaved A B B A; the ratio without/with is the index's gain;
- ``baseline``: the same connection's round trip for ``SELECT 1`` (p50, ms), measured between
  the phases, so the presence query's figures read as a multiple of the bare cost of asking;
- ``append``: a commit of 100 events (one transaction, as a group commit), median ms of 20 per
  phase, with and without the index, interleaved A B B A; the ratio with/without is the
  index's cost to the event insert (the engine's whole commit also encodes, snapshots and
  syncs, so its relative cost there is lower);
- ``commit``: ``EventStore.append`` of 50 ``player_moved`` events of random players (the
  region engines' durable group commit, full sync), median ms of 20 per phase, with and without
  the index, A B B A: the index's cost as the engines pay it.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/bench_scouting_index.py [--sizes 50000,200000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from starlane.domain.events import PlayerMoved
from starlane.domain.scouting import WINDOW_SECONDS
from starlane.store.db import create_db_engine, upgrade_database
from starlane.store.eventstore import EventStore
from starlane.store.schema import events
from starlane.store.scouting import presence_marks

INDEX = "ix_events_actor_id_region_id_at"
START = 1_780_000_000.0
STEP = 2.0  # seconds of game time between two generated events
BATCH = 5_000
TYPES = (
    ("player_moved", 50),
    ("port_traded", 25),
    ("sectors_scanned", 5),
    ("transfer_arrived", 2),
    ("transfer_departed", 2),
    ("payout_credited", 3),
    ("region_policy_changed", 1),
    ("combat_resolved", 2),
    ("pirate_destroyed", 10),
)


class Generator:
    """Appends synthetic events, keeping each region's seq."""

    def __init__(self, actors: int, regions: int, seed: int = 7) -> None:
        self.actors, self.regions = actors, regions
        self.rng = random.Random(seed)
        self.seq = dict.fromkeys(range(1, regions + 1), 0)
        self.count = 0
        names, weights = zip(*TYPES, strict=True)
        self.types = self.rng.choices(names, weights, k=100_000)

    def rows(self, n: int) -> list[dict[str, object]]:
        out = []
        for _ in range(n):
            region = self.rng.randrange(1, self.regions + 1)
            self.seq[region] += 1
            at = START + self.count * STEP
            out.append(
                {
                    "region_id": region,
                    "seq": self.seq[region],
                    "type": self.types[self.count % len(self.types)],
                    "version": 1,
                    "actor_id": self.rng.randrange(1, self.actors + 1),
                    "at": at,
                    "recorded_at": at,
                    "payload": "{}",
                }
            )
            self.count += 1
        return out

    @property
    def now(self) -> float:
        return START + self.count * STEP


async def _append(db: AsyncEngine, rows: list[dict[str, object]]) -> float:
    started = time.perf_counter()
    async with db.begin() as conn:
        await conn.execute(insert(events), rows)
    return time.perf_counter() - started


async def _fill(db: AsyncEngine, gen: Generator, target: int) -> None:
    while gen.count < target:
        await _append(db, gen.rows(min(BATCH, target - gen.count)))


async def _set_index(db: AsyncEngine, present: bool) -> None:
    async with db.begin() as conn:
        if present:
            await conn.execute(
                text(f"CREATE INDEX IF NOT EXISTS {INDEX} ON events (actor_id, region_id, at)")
            )
        else:
            await conn.execute(text(f"DROP INDEX IF EXISTS {INDEX}"))
        await conn.execute(text("ANALYZE"))


async def _queries(db: AsyncEngine, gen: Generator, n: int) -> list[float]:
    rng = random.Random(11)
    since = gen.now - WINDOW_SECONDS
    out = []
    for _ in range(n):
        actor, region = rng.randrange(1, gen.actors + 1), rng.randrange(1, gen.regions + 1)
        started = time.perf_counter()
        await presence_marks(db, actor, region, since)
        out.append((time.perf_counter() - started) * 1000)
    return out


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


async def _commit(store: EventStore, gen: Generator, n: int) -> float:
    region = gen.rng.randrange(1, gen.regions + 1)
    at = gen.now
    items = [
        (
            PlayerMoved(
                region_id=region,
                at=at,
                player_id=actor,
                from_sector_id=1,
                sector_id=2,
                turns_spent=1,
                turns_left=100,
                turns_at=at,
                first_visit=False,
            ),
            actor,
        )
        for actor in (gen.rng.randrange(1, gen.actors + 1) for _ in range(n))
    ]
    started = time.perf_counter()
    await store.append(region, gen.seq[region], items)
    elapsed = time.perf_counter() - started
    gen.seq[region] += n
    gen.count += n
    return elapsed * 1000


async def _baseline(db: AsyncEngine, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        async with db.connect() as conn:
            await conn.execute(text("SELECT 1"))
        out.append((time.perf_counter() - started) * 1000)
    return out


async def _measure(
    db: AsyncEngine, store: EventStore, gen: Generator, queries: int
) -> dict[str, float]:
    presence: dict[bool, list[float]] = {True: [], False: []}
    append: dict[bool, list[float]] = {True: [], False: []}
    commit: dict[bool, list[float]] = {True: [], False: []}
    baseline: list[float] = []
    for present in (True, False, False, True):  # A B B A
        await _set_index(db, present)
        baseline += await _baseline(db, queries // 4)
        presence[present] += await _queries(db, gen, queries // 2)
        for _ in range(20):
            append[present].append(await _append(db, gen.rows(100)) * 1000)
            commit[present].append(await _commit(store, gen, 50))
    await _set_index(db, True)
    return {
        "baseline_p50": _p(baseline, 50),
        "with_p50": _p(presence[True], 50),
        "with_p99": _p(presence[True], 99),
        "without_p50": _p(presence[False], 50),
        "without_p99": _p(presence[False], 99),
        "append_with": statistics.median(append[True]),
        "append_without": statistics.median(append[False]),
        "commit_with": statistics.median(commit[True]),
        "commit_without": statistics.median(commit[False]),
    }


async def run(
    sizes: list[int], actors: int, regions: int, queries: int, directory: str | None = None
) -> None:
    """Generate, measure and print (see the module docstring)."""
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        db = create_db_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await upgrade_database(db)
        store = EventStore(db)
        gen = Generator(actors, regions)
        print(f"actors {actors}, regions {regions}, {queries} presence queries per size")
        print(
            f"{'events':>9} {'base':>7} {'with p50':>9} {'with p99':>9} {'w/o p50':>9} "
            f"{'w/o p99':>9} {'gain':>6} {'with/base':>9} {'append+ix':>10} {'append':>8} "
            f"{'cost':>6} {'commit+ix':>10} {'commit':>8} {'cost':>6}"
        )
        for size in sizes:
            await _fill(db, gen, size)
            m = await _measure(db, store, gen, queries)
            print(
                f"{gen.count:>9,} {m['baseline_p50']:>6.3f}m {m['with_p50']:>8.3f}m "
                f"{m['with_p99']:>8.3f}m {m['without_p50']:>8.2f}m {m['without_p99']:>8.2f}m "
                f"{m['without_p50'] / m['with_p50']:>5.0f}x "
                f"{m['with_p50'] / m['baseline_p50']:>8.1f}x {m['append_with']:>9.2f}m "
                f"{m['append_without']:>7.2f}m {m['append_with'] / m['append_without']:>5.2f}x "
                f"{m['commit_with']:>9.2f}m {m['commit_without']:>7.2f}m "
                f"{m['commit_with'] / m['commit_without']:>5.2f}x"
            )
        store.close()
        await db.dispose()
    print(
        "times in ms (p50 unless named); base = SELECT 1 round trip; gain = presence without /"
        " with the index; with/base = presence with the index / base; cost = a 100-event"
        " commit with / without the index; commit: EventStore.append of 50 events"
    )


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50000,200000,500000", help="event counts")
    parser.add_argument("--actors", type=int, default=2_000)
    parser.add_argument("--regions", type=int, default=10)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dir", default=None, help="where the database file goes (a disk)")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    asyncio.run(run(sizes, args.actors, args.regions, args.queries, args.dir))


if __name__ == "__main__":
    main()
