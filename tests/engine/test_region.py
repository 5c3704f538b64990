"""RegionEngine: group commit, acknowledgement after commit, refusals, failures, recovery."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from starlane.bus import SLOW_CONSUMER, Bus
from starlane.domain.commands import SpawnPlayer
from starlane.domain.errors import InvalidQuantityError, UnknownPlayerError
from starlane.engine.errors import EngineBusyError, EngineUnavailableError
from starlane.engine.region import RegionEngine, load_region_state
from starlane.store.db import create_db_engine, upgrade_database
from starlane.store.eventstore import EventStore
from tests.engine.fakes import (
    ControlledStore,
    Crash,
    Deposit,
    Explode,
    bootstrap_regions,
    decide,
    evolve,
    small_region,
    turns_to_answer,
)


async def make_engine(store, bus=None, **kw) -> tuple[RegionEngine, ControlledStore]:
    await bootstrap_regions(store, [small_region()])
    controlled = ControlledStore(store)
    loaded = await load_region_state(store, 1, evolve=evolve)
    engine = RegionEngine(
        loaded.state, controlled, bus or Bus(), decide=decide, evolve=evolve, **kw
    )
    await engine.start()
    await engine.submit(SpawnPlayer(7, "ada"))
    return engine, controlled


async def test_submit_commits_and_answers_with_recorded_events(store):
    engine, _controlled = await make_engine(store)
    recorded = await engine.submit(Deposit(7, 50))
    assert [(r.region_id, r.seq, r.actor_id) for r in recorded] == [(1, 2, 7)]
    assert recorded[0].event.credits_after == 150
    assert engine.state.players[7].credits == 150
    assert engine.state.seq == engine.committed_seq == 2
    assert await store.last_seq(1) == 2
    assert engine.metrics.commands[("test_deposit", "ok")] == 1
    await engine.stop()


async def test_concurrent_commands_are_group_committed(store):
    engine, controlled = await make_engine(store)
    before = controlled.appends
    results = await asyncio.gather(*(engine.submit(Deposit(7, 1)) for _ in range(300)))
    assert len(results) == 300
    assert engine.state.players[7].credits == 400
    appends = controlled.appends - before
    assert appends < 30, appends  # many commands per append
    assert engine.metrics.max_batch_size > 10
    # every command got its own event, seqs contiguous
    assert sorted(r[0].seq for r in results) == list(range(2, 302))
    await engine.stop()


async def test_commands_decided_during_a_commit_form_the_next_batch(store):
    engine, controlled = await make_engine(store)
    controlled.gate = asyncio.Event()
    controlled.entered.clear()
    first = asyncio.create_task(engine.submit(Deposit(7, 1)))
    await controlled.entered.wait()  # batch 1 is in flight and held
    rest = [asyncio.create_task(engine.submit(Deposit(7, 1))) for _ in range(100)]
    await asyncio.sleep(0.05)
    assert not first.done() and not any(t.done() for t in rest)
    before = controlled.appends
    controlled.gate.set()
    await asyncio.gather(first, *rest)
    assert controlled.appends - before == 2
    assert controlled.batch_sizes[-2:] == [1, 100]
    await engine.stop()


async def test_caller_is_answered_only_after_the_commit(store):
    engine, controlled = await make_engine(store)
    controlled.gate = asyncio.Event()
    task = asyncio.create_task(engine.submit(Deposit(7, 5)))
    await asyncio.sleep(0.05)
    assert not task.done()
    assert await store.last_seq(1) == 1  # nothing stored yet, so no answer yet
    controlled.gate.set()
    recorded = await task
    assert recorded[0].seq == 2
    assert await store.last_seq(1) == 2
    await engine.stop()


async def test_refused_command_writes_nothing(store):
    engine, controlled = await make_engine(store)
    appends = controlled.appends
    with pytest.raises(InvalidQuantityError):
        await engine.submit(Deposit(7, -5))
    with pytest.raises(UnknownPlayerError):
        await engine.submit(Deposit(99, 5))
    assert controlled.appends == appends
    assert await store.last_seq(1) == 1
    assert engine.state.seq == 1 and engine.state.players[7].credits == 100
    assert engine.metrics.commands[("test_deposit", "refused")] == 2
    await engine.stop()


async def test_failed_commit_fails_callers_reloads_and_continues(store):
    bus = Bus()
    sub = bus.subscribe("t")
    engine, controlled = await make_engine(store, bus=bus)
    await sub.get(timeout=1)  # the spawn
    controlled.gate = asyncio.Event()
    controlled.fail_next = 1
    doomed = [asyncio.create_task(engine.submit(Deposit(7, 10))) for _ in range(20)]
    await asyncio.sleep(0.05)
    controlled.gate.set()
    outcomes = await asyncio.gather(*doomed, return_exceptions=True)
    failed = [o for o in outcomes if isinstance(o, EngineUnavailableError)]
    ok = [o for o in outcomes if isinstance(o, list)]
    assert failed, outcomes
    assert all(isinstance(o, (list, EngineUnavailableError)) for o in outcomes)
    for _ in range(100):
        if engine.status == "running":
            break
        await asyncio.sleep(0.01)
    assert engine.status == "running"
    assert engine.metrics.recoveries == 1
    # nothing half-applied: the live state is exactly what the store holds
    stored = await load_region_state(store, 1, evolve=evolve)
    assert engine.state == stored.state
    assert engine.state.players[7].credits == 100 + 10 * len(ok)
    # no event of a failed command was published
    published = []
    while (item := sub.get_nowait()) is not None:
        published.append(item)
    assert len(published) == len(ok)
    # and the engine goes on
    recorded = await engine.submit(Deposit(7, 1))
    assert recorded[0].event.credits_after == 101 + 10 * len(ok)
    await engine.stop()


async def test_crash_in_evolve_fails_the_batch_and_reloads(store):
    engine, _controlled = await make_engine(store)
    with pytest.raises(EngineUnavailableError):
        await engine.submit(Explode(7))
    for _ in range(100):
        if engine.status == "running":
            break
        await asyncio.sleep(0.01)
    assert engine.state.players[7].credits == 100  # the half-applied change was rolled back
    assert (await engine.submit(Deposit(7, 1)))[0].event.credits_after == 101
    await engine.stop()


async def test_crash_in_decide_answers_that_caller_only(store):
    engine, _ = await make_engine(store)
    with pytest.raises(RuntimeError, match="decide bug"):
        await engine.submit(Crash(7))
    assert (await engine.submit(Deposit(7, 1)))[0].seq == 2
    assert engine.metrics.commands[("test_crash", "error")] == 1
    await engine.stop()


async def test_full_queue_refuses_with_engine_busy(store):
    engine, controlled = await make_engine(store, queue_size=2, max_batch=1)
    controlled.gate = asyncio.Event()
    tasks = []
    for _ in range(4):  # 1 in flight, 1 decided waiting for room, 2 queued
        tasks.append(asyncio.create_task(engine.submit(Deposit(7, 1))))
        await asyncio.sleep(0.02)
    assert engine.queue_depth == 2
    with pytest.raises(EngineBusyError) as info:
        await engine.submit(Deposit(7, 1))
    assert info.value.code == "engine_busy"
    assert engine.metrics.busy_rejections == 1
    controlled.gate.set()
    await asyncio.gather(*tasks)
    assert engine.state.players[7].credits == 104
    await engine.stop()


async def test_slow_subscriber_is_dropped_and_never_slows_the_engine(store):
    bus = Bus()
    slow = bus.subscribe("slow", maxsize=5)
    fast = bus.subscribe("fast", maxsize=10_000)
    engine, _ = await make_engine(store, bus=bus)
    await asyncio.wait_for(
        asyncio.gather(*(engine.submit(Deposit(7, 1)) for _ in range(200))), timeout=10
    )
    assert slow.closed and slow.close_reason == SLOW_CONSUMER
    assert not fast.closed and fast.pending == 201
    assert bus.dropped == 1
    await engine.stop()


async def test_stopped_engine_is_unavailable(store):
    engine, _ = await make_engine(store)
    await engine.stop()
    with pytest.raises(EngineUnavailableError) as info:
        await engine.submit(Deposit(7, 1))
    assert info.value.code == "engine_unavailable"


async def test_stop_drains_queue_and_writes_a_final_snapshot(store):
    engine, _ = await make_engine(store, snapshot_every=1000)
    tasks = [asyncio.create_task(engine.submit(Deposit(7, 1))) for _ in range(30)]
    await asyncio.sleep(0)
    await engine.stop()
    assert all(len(t.result()) == 1 for t in tasks)
    snap = await store.load_snapshot(1)
    assert snap is not None and snap[0] == 31


async def test_recovery_is_snapshot_plus_tail(store):
    engine, _controlled = await make_engine(store, snapshot_every=10)
    for i in range(24):
        await engine.submit(Deposit(7, i + 1))
    assert (await store.load_snapshot(1))[0] == 20  # written with the batch that crossed 20
    loaded = await load_region_state(store, 1, evolve=evolve)
    assert (loaded.snapshot_seq, loaded.replayed, loaded.state.seq) == (20, 5, 25)
    assert loaded.state == engine.state
    await engine.stop(snapshot=False)


async def test_on_sqlite_a_loop_turn_of_commands_is_answered_two_turns_later(db_engine, db_url):
    store = EventStore(db_engine)
    engine, controlled = await make_engine(store)
    waited = await turns_to_answer(engine)
    if db_url.startswith("sqlite"):
        # decided when submitted, stored in one statement at the next turn, answered at the
        # one after: no trip through a driver thread (the spawn before, the stream's first
        # commit, checked the stream's end in the same way)
        assert controlled.quick_appends == 2
        assert controlled.batch_sizes[-1] == 40
        assert engine.metrics.waited_commits == 0 and engine.metrics.commits == 2
        assert waited <= 5, waited
    else:
        assert controlled.quick_appends == 0  # PostgreSQL commits are awaited
        assert engine.metrics.waited_commits == engine.metrics.commits
    await engine.stop()


async def test_on_sqlite_a_commit_waits_for_another_writer_then_succeeds(tmp_path):
    db = create_db_engine(f"sqlite:///{tmp_path / 'shared.db'}")
    await upgrade_database(db)
    store = EventStore(db)
    engine, _controlled = await make_engine(store)
    other = sqlite3.connect(tmp_path / "shared.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # e.g. `starlane admin create-admin` writing
        pending = asyncio.create_task(engine.submit(Deposit(7, 5)))
        await asyncio.sleep(0.3)
        assert not pending.done()  # not answered before it is stored
        assert store.busy_waits >= 1
        other.execute("ROLLBACK")
    finally:
        other.close()
    recorded = await asyncio.wait_for(pending, 10)
    assert recorded[0].event.credits_after == 105
    assert await store.last_seq(1) == 2
    assert (await engine.submit(Deposit(7, 1)))[0].seq == 3
    await engine.stop()
    store.close()
    await db.dispose()
