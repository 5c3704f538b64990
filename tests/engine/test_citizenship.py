"""Citizenship moves through the engines: one home region, welcomed once, across crashes."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starlane.domain.citizenship import (
    CitizenshipRefusedError,
    GrantCitizenship,
    LeaveCitizenship,
)
from starlane.domain.data import Immigration
from starlane.domain.errors import DomainError, RegionSuspendedError
from starlane.domain.treasury import TreasuryInsufficientError
from starlane.engine.citizenship import welcome_transfer_id
from starlane.engine.errors import PlayerNotFoundError
from starlane.engine.router import GalaxyService
from starlane.store.db import create_db_engine, upgrade_database
from starlane.store.eventstore import EventStore
from tests.engine.test_payout import PLAYERS, TREASURY, galaxy, seed, totals

WELCOME = {1: 300, 3: 700}


async def setup(store) -> GalaxyService:
    await seed(store)
    service = await galaxy(store)
    for rid, amount in WELCOME.items():
        service.region_state(rid).region.policy.starting_credits = amount
    return service


def homes(service: GalaxyService, pid: int) -> list[int]:
    return [s.region_id for s in service.regions() if pid in s.region.citizens]


async def test_a_move_leaves_the_old_home_and_welcomes_once(store):
    service = await setup(store)
    before, credits0 = totals(service), service.player(1).credits
    first = await service.citizenship.request(3, 1)
    assert (first.changed, first.starting_credits, first.payout_outcome) == (True, 700, "paid")
    assert service.player(1).credits == credits0 + 700
    assert service.region_state(3).region.treasury == TREASURY - 700
    moved = await service.citizenship.request(1, 1)
    assert (moved.previous_region_id, moved.starting_credits) == (3, 300)
    assert homes(service, 1) == [1] and service.citizenship.home_of(1) == 1
    back = await service.citizenship.request(3, 1)
    assert back.starting_credits == 0 and back.payout_outcome is None
    same = await service.citizenship.request(3, 1)
    assert same.changed is False
    assert homes(service, 1) == [3] and service.player(1).credits == credits0 + 1_000
    assert totals(service) == before
    await service.stop()


async def test_refusals_change_nothing(store):
    service = await setup(store)
    before = totals(service)
    b = service.region_state(3).region
    b.policy.immigration = Immigration.PERMIT
    with pytest.raises(CitizenshipRefusedError):
        await service.citizenship.request(3, 1)
    b.permits.append(1)
    b.policy.immigration = Immigration.CLOSED
    with pytest.raises(CitizenshipRefusedError):
        await service.citizenship.request(3, 1)
    b.policy.immigration = Immigration.OPEN
    b.active = False
    with pytest.raises(RegionSuspendedError):
        await service.citizenship.request(3, 1)
    b.active = True
    b.policy.starting_credits = TREASURY + 1
    with pytest.raises(TreasuryInsufficientError):
        await service.citizenship.request(3, 1)
    with pytest.raises(PlayerNotFoundError):
        await service.citizenship.request(3, 99)
    assert b.citizens == [] and b.welcomed == [] and totals(service) == before
    b.policy.immigration = Immigration.PERMIT  # the permit now suffices
    b.policy.starting_credits = 0
    assert (await service.citizenship.request(3, 1)).changed
    await service.stop()


async def test_a_crash_between_the_two_regions_ends_with_one_home(store):
    service = await setup(store)
    credits0 = service.player(2).credits
    await service.citizenship.request(1, 2)
    await service.citizenship.request(1, 3)
    # the new home records the move, then the process dies before the old home removes them
    await service.engine(3).submit(GrantCitizenship(2, welcome_transfer_id(3, 2), 1))
    assert homes(service, 2) == [1, 3] and service.citizenship.home_of(2) == 3
    again = await galaxy(store)
    assert homes(again, 2) == [3]
    assert again.region_state(3).region.joining == {}
    assert again.region_state(3).payouts_out == {}
    assert again.player(2).credits == credits0 + 300 + 700
    # a suspended old home still lets its citizen go
    await again.engine(3).submit(GrantCitizenship(3, welcome_transfer_id(3, 3), 1))
    again.region_state(1).region.active = False
    assert await again.citizenship.recover() == 1
    assert homes(again, 3) == [3]
    await again.stop()


async def test_giving_citizenship_up(store):
    service = await setup(store)
    await service.citizenship.request(3, 4)
    gone = await service.citizenship.renounce(3, 4)
    assert (gone.citizen, gone.changed) == (False, True) and homes(service, 4) == []
    assert (await service.citizenship.renounce(3, 4)).changed is False
    assert await service.engine(1).submit(LeaveCitizenship(4)) == []
    await service.stop()


# --- property: random requests, renunciations and crashes -------------------------------------
OPS = ("join", "join", "join", "leave", "half", "crash")
STEP = st.tuples(st.sampled_from(OPS), st.sampled_from(list(PLAYERS)), st.sampled_from([1, 3]))


async def _check(store: EventStore, steps) -> None:
    service = await setup(store)
    start = totals(service)
    welcomed: set[tuple[int, int]] = set()
    paid = 0
    for op, pid, rid in steps:
        try:
            if op == "join":
                change = await service.citizenship.request(rid, pid)
                if change.starting_credits:
                    assert (pid, rid) not in welcomed
                    paid += change.starting_credits
                welcomed.add((pid, rid))
            elif op == "leave":
                await service.citizenship.renounce(rid, pid)
            elif op == "half":  # step 1 alone, as a crash would leave it
                home = service.citizenship.home_of(pid)
                if home is not None and home != rid:
                    await service.engine(rid).submit(
                        GrantCitizenship(pid, welcome_transfer_id(rid, pid), home)
                    )
                    welcomed.add((pid, rid))
            elif op == "crash":
                service = await galaxy(store)
                for p in PLAYERS:
                    assert len(homes(service, p)) <= 1
        except DomainError:
            pass
        assert totals(service) == start
    service = await galaxy(store)
    assert totals(service) == start
    for p in PLAYERS:
        assert len(homes(service, p)) <= 1
    for state in service.regions():
        assert state.region.joining == {} and state.payouts_out == {}
        assert len(state.region.welcomed) == len(set(state.region.welcomed))


async def _run(steps) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_db_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'c.db'}")
        try:
            await upgrade_database(engine)
            await _check(EventStore(engine), steps)
        finally:
            await engine.dispose()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(STEP, max_size=20))
def test_random_moves_and_crashes_keep_one_home_and_conserve_credits(steps) -> None:
    asyncio.run(_run(steps))
