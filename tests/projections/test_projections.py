"""Projections: player_view and activity follow committed events, checkpointed atomically."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from sqlalchemy import func, select

from starlane.bus import Bus
from starlane.domain.commands import Autopilot, SpawnPlayer, Trade
from starlane.domain.data import PORT_CLASSES, Side
from starlane.domain.events import RecordedEvent
from starlane.engine.bootstrap import ensure_galaxy
from starlane.engine.router import GalaxyService
from starlane.projections import (
    ActivityProjection,
    PlayerViewProjection,
    Projection,
    ProjectionRunner,
)
from starlane.store.schema import activity, player_view, projection_checkpoints

NOW = 1_700_000_000.0


async def start_galaxy(store, bus: Bus) -> GalaxyService:
    await ensure_galaxy(
        store, seed=3, nexus_sectors=2000, player_regions=0, region_sectors=100, now=NOW
    )
    service = GalaxyService(store, bus, clock=lambda: NOW, rng_seed=2)
    await service.start()
    return service


async def play(service: GalaxyService, player_id: int) -> int:
    """Spawn a player, fly to the nearest selling port, buy there; return the last position."""
    await service.execute(SpawnPlayer(player_id, f"p{player_id}"))
    terran = service.region_state(1)
    port = min(
        (p for p in terran.ports.values() if PORT_CLASSES[p.port_class].sells and p.sector_id > 1),
        key=lambda p: p.sector_id,
    )
    await service.execute(Autopilot(player_id, port.sector_id))
    commodity = PORT_CLASSES[port.port_class].sells[0]
    recorded = await service.execute(Trade(player_id, port.id, commodity, Side.BUY, 3))
    return recorded[-1].position


async def count(db_engine, table) -> int:
    async with db_engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def checkpoints(db_engine) -> dict[str, int]:
    async with db_engine.connect() as conn:
        return dict((await conn.execute(select(projection_checkpoints))).all())


async def test_player_view_and_activity_follow_the_game(store, db_engine):
    bus = Bus()
    service = await start_galaxy(store, bus)
    runner = ProjectionRunner(db_engine, store, bus, [PlayerViewProjection(), ActivityProjection()])
    await runner.start()
    last = await play(service, 7)
    await runner.wait_until(last, timeout=10)

    player = service.player(7)
    async with db_engine.connect() as conn:
        row = (
            (await conn.execute(select(player_view).where(player_view.c.player_id == 7)))
            .mappings()
            .one()
        )
        types = [
            r.type
            for r in await conn.execute(
                select(activity.c.type, activity.c.player_id).order_by(activity.c.position)
            )
        ]
    assert (row["credits"], row["turns"], row["sector_id"], row["region_id"]) == (
        player.credits,
        player.turns,
        player.sector_id,
        player.region_id,
    )
    assert json.loads(row["cargo"]) == player.ship.cargo and sum(player.ship.cargo.values()) == 3
    assert (row["ship_type"], row["holds"]) == (player.ship.type, player.ship.holds)
    assert row["updated_position"] == last
    assert types[0] == "player_spawned" and types[-1] == "port_traded"
    assert len(types) == await store.head_position()
    assert await checkpoints(db_engine) == {"player_view": last, "activity": last}
    await runner.stop()
    await service.stop()


async def test_restart_resumes_from_the_checkpoint_without_double_applying(store, db_engine):
    bus = Bus()
    service = await start_galaxy(store, bus)
    runner = ProjectionRunner(db_engine, store, bus, [ActivityProjection()])
    await runner.start()
    await runner.wait_until(await play(service, 7))
    await runner.stop()
    await play(service, 8)  # committed while no runner runs
    head = await store.head_position()
    again = ProjectionRunner(db_engine, store, bus, [ActivityProjection(), PlayerViewProjection()])
    await again.start()  # activity resumes at its checkpoint, player_view starts at 0
    await again.wait_until(head)
    assert await count(db_engine, activity) == head  # each event exactly once
    assert await count(db_engine, player_view) == 2
    assert await checkpoints(db_engine) == {"activity": head, "player_view": head}
    await again.stop()
    await service.stop()


async def test_runner_dropped_by_the_bus_catches_up_from_the_store(store, db_engine):
    bus = Bus()
    service = await start_galaxy(store, bus)
    runner = ProjectionRunner(db_engine, store, bus, [ActivityProjection()], bus_maxsize=1)
    await runner.start()
    catch_ups = runner.catch_ups
    for pid in range(10, 15):
        await play(service, pid)
    head = await store.head_position()
    await runner.wait_until(head, timeout=10)
    assert bus.dropped >= 1 and runner.catch_ups > catch_ups
    assert await count(db_engine, activity) == head
    await runner.stop()
    await service.stop()


class Failing(Projection):
    name = "failing"

    async def apply(self, conn, events: Sequence[RecordedEvent]) -> None:
        raise RuntimeError("projection bug")


async def test_a_failed_batch_leaves_no_rows_and_no_checkpoint(store, db_engine):
    bus = Bus()
    service = await start_galaxy(store, bus)
    await play(service, 7)
    runner = ProjectionRunner(db_engine, store, bus, [ActivityProjection(), Failing()])
    with pytest.raises(RuntimeError, match="projection bug"):
        await runner.start()
    assert await count(db_engine, activity) == 0  # rolled back with the failing projection
    assert await checkpoints(db_engine) == {"activity": 0, "failing": 0}
    await service.stop()


def test_projection_names_must_be_unique():
    with pytest.raises(ValueError):
        ProjectionRunner(None, None, Bus(), [ActivityProjection(), ActivityProjection()])


async def test_activity_keeps_only_recent_rows_when_asked(store, db_engine):
    bus = Bus()
    clock = iter(range(10**6))
    await ensure_galaxy(
        store, seed=3, nexus_sectors=2000, player_regions=0, region_sectors=100, now=NOW
    )
    service = GalaxyService(store, bus, clock=lambda: NOW + 100 * next(clock), rng_seed=2)
    await service.start()
    runner = ProjectionRunner(db_engine, store, bus, [ActivityProjection(keep_seconds=150)])
    await runner.start()
    for pid in (1, 2, 3, 4):
        last = (await service.execute(SpawnPlayer(pid, f"p{pid}")))[-1].position
        await runner.wait_until(last)
    async with db_engine.connect() as conn:
        kept = [r.player_id for r in await conn.execute(select(activity.c.player_id))]
    assert sorted(kept) == [3, 4]  # events 100 s apart: only those within 150 s of the newest
    await runner.stop()
    await service.stop()


async def test_player_view_follows_a_treasury_payout(store, db_engine):
    bus = Bus()
    service = await start_galaxy(store, bus)
    runner = ProjectionRunner(db_engine, store, bus, [PlayerViewProjection()])
    await runner.start()
    await service.execute(SpawnPlayer(7, "p7"))
    service.region_state(2).region.treasury = 500  # test set-up: the Nexus pays
    payout = await service.payouts.pay(2, 7, 300, reason="withdraw")
    assert payout.outcome == "paid"
    await runner.wait_until(await store.head_position(), timeout=10)
    async with db_engine.connect() as conn:
        query = select(player_view.c.credits).where(player_view.c.player_id == 7)
        credits = (await conn.execute(query)).scalar_one()
    assert credits == service.player(7).credits
    await runner.stop()
    await service.stop()
