"""Timers: a due time recorded in an event fires its completion command, also after recovery."""

from __future__ import annotations

import asyncio

from starlane.bus import Bus
from starlane.domain.commands import SpawnPlayer
from starlane.engine.region import RegionEngine, load_region_state
from tests.engine.fakes import (
    RESPAWN_DELAY,
    DownPirate,
    RespawnRule,
    bootstrap_regions,
    decide,
    evolve,
    small_region,
)

PIRATE = 10


async def start_engine(store) -> RegionEngine:
    loaded = await load_region_state(store, 1, evolve=evolve)
    engine = RegionEngine(
        loaded.state, store, Bus(), decide=decide, evolve=evolve, timer_rules=[RespawnRule()]
    )
    await engine.start()
    return engine


async def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


async def test_timer_fires_its_completion_command_when_due(store):
    await bootstrap_regions(store, [small_region()])
    engine = await start_engine(store)
    await engine.submit(SpawnPlayer(7, "ada"))
    await engine.submit(DownPirate(7, PIRATE))
    assert engine.state.pirates[PIRATE].destroyed_at is not None
    assert ("pirate", PIRATE) in engine.timers.armed
    await wait_for(lambda: engine.timers.fired == 1)  # accepted and committed
    assert engine.state.pirates[PIRATE].destroyed_at is None
    assert not engine.timers.armed
    types = [r.event.type async for r in store.read_region(1)]
    assert types == ["player_spawned", "test_pirate_down", "test_pirate_respawned"]
    await engine.stop()


async def test_timer_is_rearmed_after_recovery(store):
    await bootstrap_regions(store, [small_region()])
    engine = await start_engine(store)
    await engine.submit(SpawnPlayer(7, "ada"))
    await engine.submit(DownPirate(7, PIRATE))
    await engine.stop()  # the armed timer dies with the engine (a crash or a restart)
    assert not engine.timers.armed
    await asyncio.sleep(RESPAWN_DELAY)  # past due while nobody ran the region
    again = await start_engine(store)
    assert again.state.pirates[PIRATE].destroyed_at is not None
    await wait_for(lambda: again.timers.fired == 1)
    assert again.state.pirates[PIRATE].destroyed_at is None
    await again.stop()
    types = [r.event.type async for r in store.read_region(1)]
    assert types.count("test_pirate_respawned") == 1


async def test_a_timer_whose_completion_is_refused_is_dropped(store):
    await bootstrap_regions(store, [small_region()])
    engine = await start_engine(store)
    await engine.submit(SpawnPlayer(7, "ada"))
    await engine.submit(DownPirate(7, PIRATE))
    # fire the same completion twice (e.g. re-armed while the first was in flight)
    rule = RespawnRule()
    engine.timers.rearm(engine.state)
    timer = next(iter(rule.pending(engine.state)))
    await wait_for(lambda: engine.timers.fired == 1)
    engine.timers.arm(timer)  # pirate already back: the rules refuse, the timer is dropped
    await wait_for(lambda: not engine.timers.armed)
    assert engine.timers.fired == 1
    types = [r.event.type async for r in store.read_region(1)]
    assert types.count("test_pirate_respawned") == 1
    await engine.stop()


async def test_scheduler_retries_while_the_engine_cannot_take_the_command():
    from starlane.engine.errors import EngineBusyError, EngineUnavailableError
    from starlane.engine.timers import Timer, TimerScheduler
    from tests.engine.fakes import RespawnPirate

    answers = [EngineBusyError("full"), EngineUnavailableError("recovering"), []]
    submitted = []

    async def submit(command):
        submitted.append(command)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    scheduler = TimerScheduler([], submit, lambda: 0.0, region_id=1, retry_seconds=0.01)
    scheduler.arm(Timer("k", 0.0, RespawnPirate(0, PIRATE)))
    await wait_for(lambda: scheduler.fired == 1)
    assert len(submitted) == 3 and not scheduler.armed
