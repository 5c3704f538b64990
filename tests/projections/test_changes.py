"""Projections follow relational changes too: from the bus when it hands them one, from the
outbox table (their store) at start and when polling, checkpointed on outbox positions."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from starlane.bus import Bus
from starlane.domain.commands import SpawnPlayer
from starlane.projections import ActivityProjection, PlayerViewProjection, ProjectionRunner
from starlane.store import OutboxPublisher, UnitOfWorkFactory
from starlane.store.schema import player_view
from tests.projections.test_projections import checkpoints, start_galaxy

NOW = 1_700_000_000.0


async def _membership(db_engine, pid: int) -> str | None:
    async with db_engine.connect() as conn:
        query = select(player_view.c.membership).where(player_view.c.player_id == pid)
        return (await conn.execute(query)).scalar_one_or_none()


async def _wait_for(predicate, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(0.01)


async def test_player_view_follows_membership_changes_from_the_bus(store, db_engine):
    bus = Bus()
    publisher = OutboxPublisher(db_engine, bus, poll_seconds=0)
    await publisher.start()
    uow = UnitOfWorkFactory(db_engine, clock=lambda: NOW, on_commit=publisher.committed)
    service = await start_galaxy(store, bus)
    runner = ProjectionRunner(
        db_engine, store, bus, [PlayerViewProjection(), ActivityProjection()], outbox=db_engine
    )
    await runner.start()
    try:
        async with uow() as w:
            account = await w.accounts.create("ann", "h", now=NOW)
        recorded = await service.execute(SpawnPlayer(account.id, "ann"))
        await runner.wait_until(recorded[-1].position)
        assert await _membership(db_engine, account.id) == "free"
        async with uow() as w:
            await w.accounts.set_membership(account.id, "citizen")
            await w.accounts.set_disabled(account.id, True)  # a kind player_view ignores
        await _wait_for(lambda: _has(db_engine, account.id, "citizen"))
        outbox_head = max(e.position for e in await _outbox(db_engine))
        async with asyncio.timeout(5):
            while (await checkpoints(db_engine)).get("player_view@outbox") != outbox_head:
                await asyncio.sleep(0.01)
        assert "activity@outbox" not in await checkpoints(db_engine)  # takes no changes
    finally:
        await runner.stop()
        await service.stop()
        await publisher.stop()


async def _has(db_engine, pid: int, membership: str) -> bool:
    return await _membership(db_engine, pid) == membership


async def _outbox(db_engine):
    from starlane.store.outbox import read_outbox

    return await read_outbox(db_engine)


async def test_without_a_bus_changes_are_polled_and_resumed_from_their_checkpoint(store, db_engine):
    bus = Bus()
    service = await start_galaxy(store, bus)
    uow = UnitOfWorkFactory(db_engine, clock=lambda: NOW)  # no publisher: another process
    async with uow() as w:
        account = await w.accounts.create("bea", "h", now=NOW)
    recorded = await service.execute(SpawnPlayer(account.id, "bea"))

    class Counting(PlayerViewProjection):
        applied: list[int] = []

        async def apply_changes(self, conn, changes) -> None:
            Counting.applied.extend(e.position for e in changes)
            await super().apply_changes(conn, changes)

    polling = ProjectionRunner(
        db_engine, store, None, [Counting()], outbox=db_engine, poll_seconds=0.02
    )
    await polling.start()
    try:
        await polling.wait_until(recorded[-1].position)
        async with uow() as w:
            await w.accounts.set_membership(account.id, "citizen")
        await _wait_for(lambda: _has(db_engine, account.id, "citizen"))
    finally:
        await polling.stop()
    async with uow() as w:
        await w.accounts.set_membership(account.id, "free")  # while no runner runs
    again = ProjectionRunner(db_engine, store, None, [Counting()], outbox=db_engine)
    await again.start()  # catches up at start, from its checkpoint
    try:
        assert await _membership(db_engine, account.id) == "free"
        assert len(Counting.applied) == len(set(Counting.applied)) == 2  # each change once
    finally:
        await again.stop()
        await service.stop()
