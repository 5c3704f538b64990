"""SelfPipeCaller: callbacks from the I/O phase; on uvloop, commands answered a turn sooner."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import uvloop

from starlane.engine.region import RegionEngine, load_region_state
from starlane.engine.selfpipe import SelfPipeCaller
from starlane.store.db import create_db_engine, upgrade_database
from starlane.store.eventstore import EventStore
from tests.engine.fakes import ControlledStore, Deposit, decide, evolve, turns_to_answer
from tests.engine.test_region import make_engine


async def test_callbacks_run_in_order_once_each_and_one_failing_spares_the_others():
    caller = SelfPipeCaller(asyncio.get_running_loop())
    ran: list[str] = []

    def boom() -> None:
        ran.append("boom")
        raise RuntimeError("callback failed")

    for callback in (lambda: ran.append("a"), boom, lambda: ran.append("b")):
        caller.call(callback)
    assert ran == []  # not before the loop's I/O phase
    async with asyncio.timeout(5):
        while len(ran) < 3:
            await asyncio.sleep(0)
    assert ran == ["a", "boom", "b"]
    caller.call(lambda: ran.append("c"))  # the pipe re-arms after each firing
    async with asyncio.timeout(5):
        while len(ran) < 4:
            await asyncio.sleep(0)
    await asyncio.sleep(0.01)
    assert ran == ["a", "boom", "b", "c"]
    caller.close()


async def test_close_hands_waiting_callbacks_to_call_soon_and_closes_the_pipe():
    loop = asyncio.get_running_loop()
    caller = SelfPipeCaller(loop)
    read_fd = caller._read_fd
    ran: list[str] = []
    caller.call(lambda: ran.append("waiting"))
    caller.close()
    caller.call(lambda: ran.append("after"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert ran == ["waiting", "after"]
    with pytest.raises(OSError):
        os.fstat(read_fd)
    caller.close()  # twice is fine


def _turns_to_answer(tmp_path: Path, *, through_pipe: bool) -> int:
    """Loop iterations from 40 submits to their answers, on uvloop, under busy iterations."""

    async def scenario() -> int:
        db = create_db_engine(f"sqlite:///{tmp_path / f'turns-{through_pipe}.db'}")
        await upgrade_database(db)
        store = EventStore(db)
        engine, _controlled = await make_engine(store)
        if not through_pipe:
            assert engine._commit_caller._pipe is not None
            engine._commit_caller.close()  # the call_soon path
        waited = await turns_to_answer(engine)
        await engine.stop()
        store.close()
        await db.dispose()
        return waited

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(scenario())


def test_on_uvloop_commands_are_answered_an_iteration_sooner_through_the_pipe(tmp_path):
    through_pipe = _turns_to_answer(tmp_path, through_pipe=True)
    through_call_soon = _turns_to_answer(tmp_path, through_pipe=False)
    assert through_pipe < through_call_soon, (through_pipe, through_call_soon)


async def test_an_engine_closes_its_pipe_when_it_stops(tmp_path):
    db = create_db_engine(f"sqlite:///{tmp_path / 'stop.db'}")
    await upgrade_database(db)
    store = EventStore(db)
    engine, _ = await make_engine(store)
    caller = engine._commit_caller._pipe
    assert caller is not None
    await engine.submit(Deposit(7, 1))
    await engine.stop()
    assert engine._commit_caller._pipe is None
    with pytest.raises(OSError):
        os.fstat(caller._read_fd)
    # a restarted engine gets a new one and still commits
    loaded = await load_region_state(store, 1, evolve=evolve)
    again = RegionEngine(
        loaded.state, ControlledStore(store), engine._bus, decide=decide, evolve=evolve
    )
    await again.start()
    assert (await again.submit(Deposit(7, 1)))[0].seq == 3
    await again.stop()
    store.close()
    await db.dispose()
