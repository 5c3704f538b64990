"""Benchmark of gate passages between regions: crossings per second and their latency.

Runs, on SQLite and/or PostgreSQL, through the real path (``GalaxyService.execute`` -> the
gate saga -> departure commit in the source engine -> arrival commit in the destination
engine -> answer; the settlement at the source follows off the answer's path), with
``--concurrency`` players each crossing back and forth without pause between two regions.

The baseline is measured in the same run, on the same database and players: in-region moves
(``Move`` along one warp, one commit) by the same number of players. The targets are at least
1,000 crossings/s and a crossing costing no more than three in-region moves
(``ratio`` = move rate / crossing rate).

Usage::

    .venv/bin/python benchmarks/bench_crossing.py                    # SQLite and PostgreSQL
    .venv/bin/python benchmarks/bench_crossing.py --backend sqlite --seconds 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import Database
from starlane.bus import Bus
from starlane.cli.common import configure_logging
from starlane.domain.codec import encode_state
from starlane.domain.commands import Move
from starlane.domain.data import STARTER_SHIP, RegionKind
from starlane.domain.model import (
    GateLink,
    Player,
    Region,
    RegionState,
    Sector,
    Ship,
)
from starlane.engine.router import GalaxyService
from starlane.store.catalogue import RegionRow
from starlane.store.db import create_db_engine
from starlane.store.eventstore import EventStore

DEFAULT_PG = os.environ.get(
    "STARLANE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BIG = 10**8


def two_regions(players: int, now: float) -> list[RegionState]:
    """Region 1 (sectors 1-2) and region 2 (sectors 101-102): a warp 1-2 in each, a gate
    1 <-> 101; ``players`` players at sector 1 with turns and credits that never run out."""
    states = []
    for rid, first in ((1, 1), (2, 101)):
        kind = RegionKind.TERRAN if rid == 1 else RegionKind.NEXUS
        region = Region(rid, kind, f"Region {rid}", "", None, first, 2, 7)
        a = Sector(first, rid, 1, 0.0, 0.0, 0.0, 0, warps=[first + 1])
        b = Sector(first + 1, rid, 2, 1.0, 0.0, 0.0, 0, warps=[first])
        a.gate = GateLink(2 if rid == 1 else 1, 101 if rid == 1 else 1)
        states.append(RegionState(region, {a.id: a, b.id: b}))
    for pid in range(1, players + 1):
        states[0].players[pid] = Player(
            pid, f"p{pid}", 1, 1, BIG, BIG, now, Ship.new(STARTER_SHIP, "s"), explored={1}
        )
    return states


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def _drive(
    service: GalaxyService, players: int, seconds: float, crossing: bool
) -> dict[str, float]:
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def player(pid: int) -> None:
        while time.perf_counter() < stop:
            where = service.directory.locate(pid)
            assert where is not None
            rid, sid = where
            first = 1 if rid == 1 else 101
            if crossing:
                to = 101 if sid == 1 else 1
                if sid != first:  # at the far end of the warp: back to the gate first
                    await service.execute(Move(pid, first))
                    continue
            else:
                to = first + 1 if sid == first else first
            started = time.perf_counter()
            await service.execute(Move(pid, to))
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(player(pid) for pid in range(1, players + 1)))
    elapsed = time.perf_counter() - began
    await service.saga.drain()
    return {
        "per_s": len(latencies) / elapsed,
        "p50_ms": _p(latencies, 0.50) * 1000,
        "p99_ms": _p(latencies, 0.99) * 1000,
        "count": float(len(latencies)),
    }


async def run(backend: str, pg_url: str, players: int, seconds: float) -> dict[str, Any]:
    """Moves, then crossings, then moves again, on one fresh database."""
    async with Database(backend, pg_url) as db:
        engine = create_db_engine(db.url)
        store = EventStore(engine)
        for state in two_regions(players, time.time()):
            await store.save_snapshot(state.region_id, 0, encode_state(state))
            await store.add_region(
                RegionRow(
                    state.region_id,
                    str(state.region.kind),
                    state.region.name,
                    7,
                    2,
                    state.region.first_sector_id,
                    0.0,
                )
            )
        service = GalaxyService(store, Bus(), snapshot_every=10_000)
        await service.start()
        try:
            await _drive(service, players, 0.5, crossing=True)  # warm-up
            moves_a = await _drive(service, players, seconds, crossing=False)
            crossings = await _drive(service, players, seconds, crossing=True)
            moves_b = await _drive(service, players, seconds, crossing=False)
        finally:
            await service.stop()
            await engine.dispose()
    move_rate = (moves_a["per_s"] + moves_b["per_s"]) / 2
    return {
        "backend": backend,
        "players": players,
        "moves_per_s": round(move_rate, 1),
        "move_p99_ms": round(max(moves_a["p99_ms"], moves_b["p99_ms"]), 2),
        "crossings_per_s": round(crossings["per_s"], 1),
        "crossing_p50_ms": round(crossings["p50_ms"], 2),
        "crossing_p99_ms": round(crossings["p99_ms"], 2),
        "ratio": round(move_rate / crossings["per_s"], 2) if crossings["per_s"] else None,
    }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--concurrency", type=int, default=50, help="players (default 50)")
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--json", action="store_true", help="one JSON line per backend")
    args = parser.parse_args()
    configure_logging("WARNING")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        result = asyncio.run(run(backend, args.pg_url, args.concurrency, args.seconds))
        if args.json:
            print(json.dumps(result))
            continue
        print(
            f"{backend:9} {result['players']} players: "
            f"crossings {result['crossings_per_s']:,.0f}/s "
            f"(p50 {result['crossing_p50_ms']} ms, p99 {result['crossing_p99_ms']} ms); "
            f"in-region moves {result['moves_per_s']:,.0f}/s (p99 {result['move_p99_ms']} ms); "
            f"a crossing = {result['ratio']} moves"
        )


if __name__ == "__main__":
    main()
