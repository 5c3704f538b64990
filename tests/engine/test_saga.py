"""Gate passage through the engines: two commits, in transit, compensation, recovery, crashes."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from starlane.bus import Bus
from starlane.domain.commands import Arrive, Autopilot, Depart, Move, Scan, SettleTransfer
from starlane.domain.data import Immigration
from starlane.domain.errors import (
    DomainError,
    ImmigrationRefusedError,
    InsufficientCreditsError,
    InTransitError,
    RegionSuspendedError,
)
from starlane.domain.travel import ARRIVED, REFUSED
from starlane.engine.router import GalaxyService
from starlane.store.db import create_db_engine, upgrade_database
from starlane.store.eventstore import EventStore
from tests.domain.conftest import T0, place, spawn
from tests.domain.test_travel import GATE_A, GATE_B, two_regions
from tests.engine.fakes import bootstrap_regions

PLAYERS = range(1, 7)
CARGO = {pid: pid for pid in PLAYERS}


async def seed(store, *, gate_toll: int = 25, toll: int = 10, immigration=Immigration.OPEN):
    a, b = two_regions(toll=toll, gate_toll=gate_toll)
    b.region.policy.immigration = immigration
    b.region.permits = [3]
    for pid in PLAYERS:
        spawn(a, pid)
        place(a, pid, GATE_A if pid % 2 else 1)
        a.players[pid].ship.cargo["ore"] = CARGO[pid]
    await bootstrap_regions(store, [a, b])


async def galaxy(store) -> GalaxyService:
    service = GalaxyService(store, Bus(), clock=lambda: T0 + 10, rng_seed=1)
    await service.start()
    return service


def totals(service: GalaxyService) -> tuple[int, int, dict[int, int]]:
    """(credits, cargo, player -> number of places holding them) over players, treasuries and
    departures in flight."""
    credits = cargo = 0
    places: dict[int, int] = {}
    for state in service.regions():
        credits += state.region.treasury
        for p in state.players.values():
            credits += p.credits
            cargo += p.ship.cargo_units
            places[p.id] = places.get(p.id, 0) + 1
        for tid, t in state.transfers_out.items():
            if service.region_state(t.to_region_id).transfers_in.get(tid) == ARRIVED:
                continue
            credits += t.player.credits + t.toll
            cargo += t.player.ship.cargo_units
            places[t.player.id] = places.get(t.player.id, 0) + 1
    return credits, cargo, places


async def test_a_gate_move_crosses_in_two_commits_and_survives_a_restart(store):
    await seed(store)
    service = await galaxy(store)
    before = totals(service)
    recorded = await service.execute(Move(1, GATE_B))
    assert [r.event.type for r in recorded] == ["transfer_departed", "transfer_arrived"]
    assert service.directory.locate(1) == (3, GATE_B)
    me = service.player(1)
    assert me is not None and me.region_id == 3 and me.ship.cargo == {"ore": 1}
    assert service.region_state(3).region.treasury == 35
    await service.saga.drain()
    assert service.region_state(1).transfers_out == {}
    assert totals(service) == before
    # and back: the Terran gate charges nothing
    await service.execute(Move(1, GATE_A))
    assert service.directory.locate(1) == (1, GATE_A)
    await service.stop()
    again = await galaxy(store)
    assert again.directory.locate(1) == (1, GATE_A)
    assert totals(again) == before
    await again.stop()


async def test_refusals_before_paying_change_nothing(store):
    await seed(store, immigration=Immigration.PERMIT, gate_toll=100_000)
    service = await galaxy(store)
    before = totals(service)
    with pytest.raises(ImmigrationRefusedError):
        await service.execute(Move(1, GATE_B))
    with pytest.raises(InsufficientCreditsError):
        await service.execute(Move(3, GATE_B))  # on the permit list, short of the toll
    assert totals(service) == before
    await service.stop()


async def test_suspended_destination_refuses(store):
    await seed(store)
    service = await galaxy(store)
    service.region_state(3).region.active = False
    with pytest.raises(RegionSuspendedError):
        await service.execute(Move(1, GATE_B))
    await service.stop()


async def test_in_transit_refuses_other_commands_and_recovery_finishes_the_passage(store):
    await seed(store)
    service = await galaxy(store)
    before = totals(service)
    await service.engine(1).submit(Depart(1, GATE_B, "t-1", 3, 25))
    assert service.directory.in_transit(1)
    with pytest.raises(InTransitError) as info:
        await service.execute(Scan(1))
    assert info.value.code == "in_transit"
    assert totals(service) == before
    await service.stop()  # the process stops between the two commits
    again = await galaxy(store)  # start-up drives the pending transfer to its end
    assert again.directory.locate(1) == (3, GATE_B)
    assert not again.directory.in_transit(1)
    assert again.region_state(1).transfers_out == {}
    assert totals(again) == before
    await again.stop()


async def test_a_refusal_on_arrival_compensates_at_the_gate(store):
    await seed(store)
    service = await galaxy(store)
    before = totals(service)
    credits0 = service.player(1).credits
    await service.engine(1).submit(Depart(1, GATE_B, "t-1", 3, 25))
    service.region_state(3).region.policy.immigration = Immigration.CLOSED
    await service.saga.recover()
    me = service.player(1)
    assert me is not None and (me.region_id, me.sector_id, me.credits) == (1, GATE_A, credits0)
    assert service.region_state(3).transfers_in == {"t-1": "immigration_refused"}
    assert totals(service) == before
    await service.stop()


async def test_autopilot_flies_across_the_gate(store):
    await seed(store)
    service = await galaxy(store)
    recorded = await service.execute(Autopilot(2, 105))  # from Sol to region 3's sector 105
    types = [r.event.type for r in recorded]
    assert "transfer_arrived" in types and types[-1] == "player_moved"
    assert service.directory.locate(2) == (3, 105)
    service.region_state(3).region.policy.immigration = Immigration.CLOSED
    with pytest.raises(ImmigrationRefusedError) as info:
        await service.execute(Autopilot(4, 105))
    assert info.value.context["stopped_at"] == {"region_id": 1, "sector_id": GATE_A}
    await service.stop()


# --- property: interleaved steps and crashes, recovered from the store ------------------------
OPS = ("depart", "depart", "deliver", "deliver", "dup", "settle", "settle", "policy", "cross")
OPS += ("crash",)
STEP = st.tuples(
    st.sampled_from(OPS),
    st.integers(0, 5),
)


async def _run_steps(steps, postgres_url: str | None = None) -> None:
    """Run one example on a fresh SQLite file, or on ``postgres_url`` emptied first."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_db_engine(postgres_url or f"sqlite+aiosqlite:///{Path(tmp) / 'p.db'}")
        try:
            if postgres_url is not None:  # one database per test: every example starts empty
                async with engine.begin() as conn:
                    await conn.execute(text("DROP SCHEMA public CASCADE"))
                    await conn.execute(text("CREATE SCHEMA public"))
            await upgrade_database(engine)
            await _check_steps(EventStore(engine), steps)
        finally:
            await engine.dispose()


async def _check_steps(store: EventStore, steps) -> None:
    await seed(store)
    service = await galaxy(store)
    start = totals(service)
    n = 0
    for op, k in steps:
        pid = k + 1
        pending = [
            (rid, t) for rid, e in service.engines.items() for t in e.state.transfers_out.values()
        ]
        try:
            if op == "depart":
                where = service.directory.locate(pid)
                if where is None:
                    continue
                src, dst = where[0], 3 if where[0] == 1 else 1
                gate, to = (GATE_A, GATE_B) if src == 1 else (GATE_B, GATE_A)
                if where[1] != gate:
                    continue
                n += 1
                toll = service.region_state(dst).region.policy.gate_toll
                await service.engine(src).submit(Depart(pid, to, f"t{n}", dst, toll))
            elif op in ("deliver", "dup") and pending:
                src, t = pending[k % len(pending)]
                dst_engine = service.engine(t.to_region_id)
                arrive = Arrive(t.player.id, t.transfer_id, src, t.to_sector_id, t)
                for _ in range(2 if op == "dup" else 1):
                    await dst_engine.submit(arrive)
            elif op == "settle" and pending:
                src, t = pending[k % len(pending)]
                decided = service.region_state(t.to_region_id).transfers_in.get(t.transfer_id)
                if decided is not None:
                    outcome = ARRIVED if decided == ARRIVED else REFUSED
                    await service.engine(src).submit(
                        SettleTransfer(t.player.id, t.transfer_id, outcome, decided)
                    )
            elif op == "policy":
                region = service.region_state(3).region
                region.policy.immigration = [Immigration.OPEN, Immigration.CLOSED][k % 2]
            elif op == "cross":
                where = service.directory.locate(pid)
                if where is not None and where[1] in (GATE_A, GATE_B):
                    await service.execute(Move(pid, GATE_B if where[1] == GATE_A else GATE_A))
            elif op == "crash":
                # the process dies: nothing is stopped or snapshotted; a new one recovers
                service = await galaxy(store)
                credits, cargo, places = totals(service)
                assert all(v == 1 for v in places.values()), places
                assert sorted(places) == list(PLAYERS)
                for state in service.regions():
                    assert state.transfers_out == {}
                assert (credits, cargo) == start[:2]
        except DomainError:
            pass
        credits, cargo, places = totals(service)
        assert (credits, cargo) == start[:2]
        assert sorted(places) == list(PLAYERS) and set(places.values()) == {1}
    service = await galaxy(store)
    credits, cargo, places = totals(service)
    assert (credits, cargo) == start[:2] and set(places.values()) == {1}
    assert sorted(places) == list(PLAYERS)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(STEP, max_size=30))
def test_interleaved_steps_and_crashes_never_lose_or_duplicate(steps) -> None:
    asyncio.run(_run_steps(steps))


@pytest.mark.postgres
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, max_size=30))
def test_interleaved_steps_and_crashes_never_lose_or_duplicate_on_postgresql(
    postgres_url: str, steps
) -> None:
    asyncio.run(_run_steps(steps, postgres_url))


async def test_the_account_records_learn_the_new_region(store):
    class Accounts:
        def __init__(self) -> None:
            self.regions: dict[int, int | None] = {}

        async def set_region(self, account_id: int, region_id: int | None) -> bool:
            self.regions[account_id] = region_id
            return True

    await seed(store)
    accounts = Accounts()
    service = GalaxyService(store, Bus(), accounts=accounts, clock=lambda: T0 + 10)
    await service.start()
    await service.execute(Move(1, GATE_B))
    await service.execute(Move(3, GATE_B))
    await service.execute(Move(3, GATE_A))
    await service.saga.drain()
    assert accounts.regions == {1: 3, 3: 1}
    await service.stop()
