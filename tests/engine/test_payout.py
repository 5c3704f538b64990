"""Treasury payouts through the engines: paid once, wherever the player is, across crashes."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starlane.bus import Bus
from starlane.domain.commands import Depart, Move
from starlane.domain.errors import DomainError, RegionSuspendedError
from starlane.domain.travel import ARRIVED
from starlane.domain.treasury import (
    PAID,
    RETURNED,
    CreditPayout,
    SettlePayout,
    StartPayout,
    TreasuryInsufficientError,
)
from starlane.engine.errors import PlayerNotFoundError, UnknownRegionError
from starlane.engine.payout import PENDING
from starlane.engine.router import GalaxyService
from starlane.store.db import create_db_engine, upgrade_database
from starlane.store.eventstore import EventStore
from tests.domain.conftest import T0, place, spawn
from tests.domain.test_travel import GATE_A, GATE_B, two_regions
from tests.engine.fakes import bootstrap_regions

PLAYERS = range(1, 5)
TREASURY = 5_000


async def seed(store) -> None:
    a, b = two_regions()
    a.region.treasury = b.region.treasury = TREASURY
    for pid in PLAYERS:
        spawn(a, pid)
        place(a, pid, GATE_A)
    await bootstrap_regions(store, [a, b])


async def galaxy(store) -> GalaxyService:
    service = GalaxyService(store, Bus(), clock=lambda: T0 + 10, rng_seed=1)
    await service.start()
    return service


def totals(service: GalaxyService) -> int:
    """Credits over players, treasuries, gate departures and payouts in flight."""
    total = 0
    for state in service.regions():
        total += state.region.treasury + sum(p.credits for p in state.players.values())
        for tid, t in state.transfers_out.items():
            if service.region_state(t.to_region_id).transfers_in.get(tid) != ARRIVED:
                total += t.player.credits + t.toll
        for tid, p in state.payouts_out.items():
            if service.payouts.credited_in(tid) is None:
                total += p.amount
    return total


def credited_count(service: GalaxyService, tid: str) -> int:
    return sum(1 for s in service.regions() if s.transfers_in.get(tid) == PAID)


async def test_a_payout_reaches_a_player_in_another_region_and_survives_a_restart(store):
    await seed(store)
    service = await galaxy(store)
    before, credits0 = totals(service), service.player(1).credits
    payout = await service.payouts.pay(3, 1, 300, reason="withdraw")
    assert payout.outcome == PAID
    assert (payout.treasury_before, payout.treasury_after) == (TREASURY, TREASURY - 300)
    assert payout.position is not None and payout.transfer_id.startswith("payout-")
    assert service.player(1).credits == credits0 + 300
    assert service.region_state(3).region.treasury == TREASURY - 300
    assert service.region_state(3).payouts_out == {}
    assert totals(service) == before
    await service.stop()
    again = await galaxy(store)
    assert again.player(1).credits == credits0 + 300
    assert again.region_state(3).payouts_done == {payout.transfer_id: PAID}
    await again.stop()


async def test_refusals_change_nothing(store):
    await seed(store)
    service = await galaxy(store)
    before = totals(service)
    with pytest.raises(TreasuryInsufficientError) as info:
        await service.payouts.pay(3, 1, TREASURY + 1, reason="withdraw")
    assert info.value.code == "treasury_insufficient" and info.value.kind == "conflict"
    with pytest.raises(PlayerNotFoundError):
        await service.payouts.pay(3, 99, 10, reason="withdraw")
    with pytest.raises(UnknownRegionError):
        await service.payouts.pay(42, 1, 10, reason="withdraw")
    with pytest.raises(DomainError) as bad:
        await service.payouts.pay(3, 1, 0, reason="withdraw")
    assert bad.value.code == "invalid_quantity"
    service.region_state(3).region.active = False
    with pytest.raises(RegionSuspendedError):
        await service.payouts.pay(3, 1, 10, reason="withdraw")
    assert totals(service) == before and service.region_state(3).region.treasury == TREASURY
    # an operator's closure pays out of a suspended region
    payout = await service.payouts.pay(3, 1, 10, reason="closure", when_inactive=True)
    assert payout.outcome == PAID
    await service.stop()


async def test_the_same_transfer_id_pays_once(store):
    await seed(store)
    service = await galaxy(store)
    credits0 = service.player(2).credits
    first = await service.payouts.pay(1, 2, 100, reason="withdraw", transfer_id="w-1")
    second = await service.payouts.pay(1, 2, 100, reason="withdraw", transfer_id="w-1")
    assert (first.outcome, second.outcome) == (PAID, PAID)
    assert second.position is None
    assert service.player(2).credits == credits0 + 100
    assert service.region_state(1).region.treasury == TREASURY - 100
    await service.stop()


async def test_a_player_in_no_region_gets_the_amount_back_in_the_treasury(store):
    await seed(store)
    service = await galaxy(store)
    await service.engine(3).submit(StartPayout(77, "p-lost", 250, "withdraw"))
    assert service.region_state(3).region.treasury == TREASURY - 250
    assert await service.payouts.drive(3, "p-lost") == RETURNED
    assert service.region_state(3).region.treasury == TREASURY
    assert service.region_state(3).payouts_done == {"p-lost": RETURNED}
    await service.stop()


async def test_a_player_passing_a_gate_is_paid_where_they_land(store):
    await seed(store)
    service = await galaxy(store)
    credits0 = service.player(1).credits
    await service.engine(1).submit(Depart(1, GATE_B, "t-1", 3, 0))
    assert service.directory.in_transit(1)
    paying = asyncio.create_task(service.payouts.pay(1, 1, 40, reason="withdraw", wait=None))
    quick = await service.payouts.pay(1, 1, 60, reason="withdraw", wait=0.05)
    assert quick.outcome == PENDING
    await asyncio.sleep(0.05)
    assert not paying.done()
    await service.saga.recover()  # the passage lands in region 3
    assert (await paying).outcome == PAID
    await service.payouts.drain()
    assert service.directory.region_of(1) == 3
    assert service.player(1).credits == credits0 + 100
    assert service.region_state(3).transfers_in.get(quick.transfer_id) == PAID
    await service.stop()


async def test_a_crash_after_the_start_pays_exactly_once_at_recovery(store):
    await seed(store)
    service = await galaxy(store)
    before, credits0 = totals(service), service.player(1).credits
    await service.engine(3).submit(StartPayout(1, "p-1", 500, "withdraw"))
    assert totals(service) == before
    # the process dies: a new one recovers from the store and finishes the payout
    again = await galaxy(store)
    assert again.region_state(3).payouts_out == {}
    assert again.player(1).credits == credits0 + 500
    assert credited_count(again, "p-1") == 1 and totals(again) == before
    await again.stop()


async def test_a_player_who_moved_after_the_credit_is_not_paid_again(store):
    await seed(store)
    service = await galaxy(store)
    before, credits0 = totals(service), service.player(1).credits
    await service.engine(3).submit(StartPayout(1, "p-1", 500, "withdraw"))
    await service.engine(1).submit(CreditPayout(1, "p-1", 500, 3))
    await service.execute(Move(1, GATE_B))  # now in region 3, the credit recorded in 1
    await service.saga.drain()
    assert service.directory.region_of(1) == 3
    again = await galaxy(store)
    assert again.region_state(3).payouts_done == {"p-1": PAID}
    assert again.player(1).credits == credits0 + 500
    assert credited_count(again, "p-1") == 1 and totals(again) == before
    # a late duplicate delivery to the region that credited it changes nothing
    assert await again.engine(1).submit(CreditPayout(1, "p-1", 500, 3)) == []
    assert await again.engine(3).submit(SettlePayout(1, "p-1", PAID)) == []
    await again.stop()


# --- property: random payouts, deliveries, crossings and crashes ------------------------------
OPS = ("pay", "start", "start", "credit", "dup", "settle", "cross", "crash")
STEP = st.tuples(st.sampled_from(OPS), st.integers(0, 3), st.integers(1, 2_000))


async def _check(store: EventStore, steps) -> None:
    await seed(store)
    service = await galaxy(store)
    start = totals(service)
    n = 0
    for op, k, amount in steps:
        pid = k + 1
        pending = [
            (rid, p) for rid, e in service.engines.items() for p in e.state.payouts_out.values()
        ]
        try:
            if op in ("pay", "start"):
                n += 1
                rid = 1 if k % 2 else 3
                if op == "pay":
                    await service.payouts.pay(rid, pid, amount, reason="withdraw")
                else:
                    await service.engine(rid).submit(StartPayout(pid, f"p{n}", amount, "withdraw"))
            elif op in ("credit", "dup") and pending:
                # deliveries as a driver makes them: to where the player is, unless a region
                # already credited the payout; a duplicate goes to the same region again
                rid, p = pending[k % len(pending)]
                tid = p.transfer_id
                where = service.payouts.credited_in(tid) or service.directory.region_of(p.player_id)
                if where is not None:
                    credit = CreditPayout(p.player_id, tid, p.amount, rid)
                    for _ in range(2 if op == "dup" else 1):
                        await service.engine(where).submit(credit)
            elif op == "settle" and pending:
                rid, p = pending[k % len(pending)]
                if service.payouts.credited_in(p.transfer_id) is not None:
                    await service.engine(rid).submit(SettlePayout(pid, p.transfer_id, PAID))
            elif op == "cross":
                where = service.directory.locate(pid)
                if where is not None and where[1] in (GATE_A, GATE_B):
                    await service.execute(Move(pid, GATE_B if where[1] == GATE_A else GATE_A))
            elif op == "crash":
                service = await galaxy(store)  # nothing stopped or snapshotted
                for state in service.regions():
                    assert state.payouts_out == {}
        except DomainError:
            pass
        assert totals(service) == start
    service = await galaxy(store)
    assert totals(service) == start
    for state in service.regions():
        assert state.payouts_out == {}
        for tid, outcome in state.payouts_done.items():
            assert credited_count(service, tid) == (1 if outcome == PAID else 0), tid


async def _run(steps, postgres_url: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_db_engine(postgres_url or f"sqlite+aiosqlite:///{Path(tmp) / 'p.db'}")
        try:
            await upgrade_database(engine)
            await _check(EventStore(engine), steps)
        finally:
            await engine.dispose()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(STEP, max_size=25))
def test_random_payouts_and_crashes_conserve_credits_and_pay_once(steps) -> None:
    asyncio.run(_run(steps))
