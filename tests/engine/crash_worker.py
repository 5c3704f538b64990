"""Crash-test worker: run a galaxy under concurrent trade load and log every acknowledgement.

Run as ``python -m tests.engine.crash_worker DB_PATH ACK_LOG SEED``. On first run it stores a
trading galaxy (:mod:`tests.engine.load`); every run recovers it from the store, starts the
engines and lets one caller per trader trade without pause. After each acknowledged command it
appends ``player_id region_id seq position credits_after cargo_after`` to ACK_LOG (an
``O_APPEND`` write, done before the next command of that caller is sent). It prints ``READY``
once the load runs and is meant to be killed with SIGKILL.
"""

from __future__ import annotations

import asyncio
import os
import sys

from starlane.bus import Bus
from starlane.domain.codec import encode_state
from starlane.engine.router import GalaxyService
from starlane.store.catalogue import RegionRow
from starlane.store.db import create_db_engine, upgrade_database
from starlane.store.eventstore import EventStore
from tests.engine.load import trading_galaxy

REGIONS = 3
PLAYERS_PER_REGION = 16


async def main(db_path: str, ack_log: str, seed: int) -> None:
    engine = create_db_engine(f"sqlite+aiosqlite:///{db_path}")
    await upgrade_database(engine)
    store = EventStore(engine)
    states, traders = trading_galaxy(seed, regions=REGIONS, players_per_region=PLAYERS_PER_REGION)
    if not await store.list_regions():
        for rid, state in sorted(states.items()):
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
    service = GalaxyService(store, Bus(), snapshot_every=200, rng_seed=seed)
    await service.start()
    fd = os.open(ack_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    async def caller(trader) -> None:
        n = 0
        while True:
            command = trader.buy if n % 2 == 0 else trader.sell
            recorded = await service.execute(command)
            event = recorded[-1].event
            line = (
                f"{trader.player_id} {recorded[-1].region_id} {recorded[-1].seq} "
                f"{recorded[-1].position} {event.credits_after} {event.cargo_after}\n"
            )
            os.write(fd, line.encode())
            n += 1

    tasks = [asyncio.create_task(caller(t)) for t in traders]
    print("READY", flush=True)
    await asyncio.gather(*tasks)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
