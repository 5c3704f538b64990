"""The projection runner's batch window: a first event is applied at once, later ones wait."""

from __future__ import annotations

import asyncio

from starlane.bus import Bus
from starlane.domain.commands import Autopilot, SpawnPlayer
from starlane.projections import ActivityProjection, ProjectionRunner
from tests.projections.test_projections import start_galaxy


async def test_events_after_a_quiet_spell_apply_at_once_then_batch_per_window(store, db_engine):
    bus = Bus()
    service = await start_galaxy(store, bus)
    runner = ProjectionRunner(db_engine, store, bus, [ActivityProjection()], batch_window=30.0)
    await runner.start()
    spawned = await service.execute(SpawnPlayer(5, "p5"))
    await runner.wait_until(spawned[-1].position, timeout=5)  # no window before the first batch
    moved = await service.execute(Autopilot(5, 2))
    await asyncio.sleep(0.3)
    assert runner.position < moved[-1].position  # held for the window
    await runner.stop()
    quick = ProjectionRunner(db_engine, store, bus, [ActivityProjection()], batch_window=0)
    await quick.start()  # catches up from the store
    assert quick.position == moved[-1].position
    await quick.stop()
    await service.stop()
