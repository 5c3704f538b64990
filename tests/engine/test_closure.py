"""Operator region controls through the engines: suspension, transfer and the closure saga."""

from __future__ import annotations

import pytest

from starlane.bus import Bus
from starlane.domain.commands import Arrive, Depart, Move, Trade
from starlane.domain.data import RegionKind, Side
from starlane.domain.errors import RegionSuspendedError
from starlane.domain.model import GateLink, RegionState
from starlane.domain.region_admin import (
    AlreadySuspendedError,
    BeginClosure,
    ChangeGovernor,
    NotSuspendedError,
    PlatformRegionError,
    RegionClosedError,
    ResumeRegion,
    SuspendRegion,
)
from starlane.domain.region_closure import REFUGEE_DISTRICT, Evacuate
from starlane.domain.travel import ARRIVED
from starlane.engine.router import GalaxyService
from starlane.store.catalogue import get_region
from tests.domain.conftest import T0, build_region, place, spawn
from tests.engine.fakes import bootstrap_regions

TERRAN_GATE, NEXUS_TO_TERRAN, NEXUS_TO_R, R_GATE = 12, 201, 212, 101
REFUGE = (205, 206, 207)
GOVERNOR = 1000


def galaxy_states(players_in_r: int, in_nexus: int = 0) -> list[RegionState]:
    """Terran Space (1-12), the Nexus (201-212, refugee district 205-207), region 3 (101-112)."""
    terran = build_region()
    nexus = build_region(RegionKind.NEXUS, region_id=2, first_sector_id=201)
    r = build_region(RegionKind.PLAYER, region_id=3, first_sector_id=101)
    terran.sectors[TERRAN_GATE].gate = GateLink(2, NEXUS_TO_TERRAN)
    nexus.sectors[NEXUS_TO_TERRAN].gate = GateLink(1, TERRAN_GATE)
    nexus.sectors[NEXUS_TO_R].gate = GateLink(3, R_GATE)
    r.sectors[R_GATE].gate = GateLink(2, NEXUS_TO_R)
    for sid in REFUGE:
        nexus.sectors[sid].district = REFUGEE_DISTRICT
    r.region.governor_id = GOVERNOR
    r.region.policy.gate_toll = 30
    r.region.treasury = 5_000

    def move(pid: int, to: RegionState, sector: int) -> None:
        spawn(terran, pid)
        p = terran.players.pop(pid)
        terran.player_removed(p)
        p.region_id, p.sector_id = to.region.id, sector
        p.ship.cargo["ore"] = pid % 7
        p.credits += pid
        to.players[pid] = p
        to.player_placed(p, None)

    for pid in range(1, players_in_r + 1):
        move(pid, r, 101 + pid % 12)
    for pid in range(500, 500 + in_nexus):
        move(pid, nexus, NEXUS_TO_R)
    return [terran, nexus, r]


async def start(store) -> GalaxyService:
    service = GalaxyService(store, Bus(), clock=lambda: T0 + 10, rng_seed=1)
    await service.start()
    return service


def totals(service: GalaxyService) -> tuple[int, int, set[int]]:
    """Credits and cargo over players, treasuries and departures in flight; the players."""
    credits = cargo = 0
    who: set[int] = set()
    for state in service.regions():
        credits += state.region.treasury
        for p in state.players.values():
            credits += p.credits
            cargo += p.ship.cargo_units
            who.add(p.id)
        for tid, t in state.transfers_out.items():
            if service.region_state(t.to_region_id).transfers_in.get(tid) == ARRIVED:
                continue
            credits += t.player.credits + t.toll
            cargo += t.player.ship.cargo_units
            who.add(t.player.id)
        for tid, payout in state.payouts_out.items():  # payouts not credited yet
            if service.payouts.credited_in(tid) is None:
                credits += payout.amount
    return credits, cargo, who


async def test_suspension_refuses_arrivals_and_trade_but_lets_players_leave(store):
    await bootstrap_regions(store, galaxy_states(3, in_nexus=1))
    service = await start(store)
    await service.execute_in(3, SuspendRegion(0, 9, "abuse report"))
    assert service.region_state(3).region.status == "suspended"
    with pytest.raises(AlreadySuspendedError):
        await service.execute_in(3, SuspendRegion(0, 9, "again"))
    with pytest.raises(RegionSuspendedError) as refused:  # arrivals refused, nothing paid
        await service.execute(Move(500, R_GATE))
    assert refused.value.code == "region_suspended"
    assert service.locate(500) == 2
    with pytest.raises(RegionSuspendedError):  # no trade inside
        await service.execute(Trade(1, 102 + 0, "ore", Side.SELL, 1))
    place(service.region_state(3), 1, 102)
    await service.execute(Move(1, 101))  # along a warp
    await service.execute(Move(1, NEXUS_TO_R))  # and out through the gate
    assert service.locate(1) == 2
    await service.execute_in(3, ResumeRegion(0, 9, "resolved"))
    with pytest.raises(NotSuspendedError):
        await service.execute_in(3, ResumeRegion(0, 9, "again"))
    await service.execute(Move(500, R_GATE))
    assert service.locate(500) == 3
    await service.stop()
    again = await start(store)
    assert again.region_state(3).region.status == "active"
    await again.stop()


async def test_transfer_changes_the_governor_and_refuses_platform_regions(store):
    await bootstrap_regions(store, galaxy_states(1))
    service = await start(store)
    recorded = await service.execute_in(3, ChangeGovernor(0, 1, 9, "sold"))
    assert (recorded[0].event.before, recorded[0].event.after) == (GOVERNOR, 1)
    assert service.region_state(3).region.governor_id == 1
    for rid in (1, 2):
        with pytest.raises(PlatformRegionError):
            await service.execute_in(rid, ChangeGovernor(0, 1, 9, "no"))
        with pytest.raises(PlatformRegionError):
            await service.execute_in(rid, BeginClosure(0, 9, "no"))
    await service.stop()
    again = await start(store)
    assert again.region_state(3).region.governor_id == 1
    await again.stop()


async def _mid_crossing(service: GalaxyService) -> None:
    """Ten Nexus players departed towards region 3 (two of them arrived, not settled), and
    five region-3 players departed out (not delivered)."""
    nexus, r = service.engine(2), service.engine(3)
    for pid in range(500, 510):
        await nexus.submit(Depart(pid, R_GATE, f"in-{pid}", 3, 30))
    for pid in (500, 501):
        carried = nexus.state.transfers_out[f"in-{pid}"]
        await r.submit(Arrive(pid, f"in-{pid}", 2, R_GATE, carried))
    for pid in range(1, 6):
        place(r.state, pid, R_GATE)
        await r.submit(Depart(pid, NEXUS_TO_R, f"out-{pid}", 2, 0))


async def _assert_closed(service: GalaxyService, store, before) -> None:
    credits, cargo, who = totals(service)
    assert (credits, cargo, who) == before
    r = service.region_state(3)
    assert r.region.status == "closed" and not r.players and not r.transfers_out
    for state in service.regions():
        assert not any(t.to_region_id == 3 for t in state.transfers_out.values())
    nexus = service.region_state(2)
    assert service.engine(3).status == "stopped"
    assert all(s.gate is None or s.gate.to_region_id != 3 for s in nexus.sectors.values())
    for pid in range(1, 101):  # 1-5 were leaving on their own: they arrive at the terminal
        p = nexus.players[pid]
        assert p.sector_id in (REFUGE if pid > 5 else (NEXUS_TO_R,)), pid
        assert p.ship.cargo.get("ore", 0) == pid % 7
    row = await get_region(store.engine, 3)
    assert row is not None and row.status == "closed"


async def test_closing_evacuates_everyone_to_the_refugee_district(store):
    await bootstrap_regions(store, galaxy_states(100, in_nexus=11))
    service = await start(store)
    await _mid_crossing(service)
    before = totals(service)
    players_credits = {pid: service.region_state(3).players[pid].credits for pid in range(6, 101)}
    await service.execute_in(3, BeginClosure(0, 9, "owner request"))
    with pytest.raises(RegionClosedError):
        await service.execute_in(3, SuspendRegion(0, 9, "late"))
    with pytest.raises(RegionSuspendedError):  # no new passage towards it
        await service.execute(Move(510, R_GATE))
    service.closures.start(3)
    await service.closures.wait(3)
    await service.saga.drain()
    await _assert_closed(service, store, before)
    nexus = service.region_state(2)
    for pid, credits in players_credits.items():
        assert nexus.players[pid].credits == credits
    for pid in range(500, 510):  # those on the way in ended in the Nexus, toll refunded
        assert pid in nexus.players
    await service.stop()
    again = await start(store)  # a closed region stays closed, its engine not run
    assert again.engine(3).status == "stopped"
    assert again.region_state(3).region.status == "closed"
    assert totals(again) == before
    await again.stop()


async def test_a_restart_in_the_middle_of_a_closure_finishes_it(store):
    await bootstrap_regions(store, galaxy_states(100, in_nexus=11))
    service = await start(store)
    await _mid_crossing(service)
    before = totals(service)
    await service.execute_in(3, BeginClosure(0, 9, "owner request"))
    # the process stops right after the closing event, some players already evacuated
    r = service.engine(3)
    for pid in range(10, 20):
        await r.submit(Evacuate(pid, f"evac-{pid}", 2, REFUGE[0]))
    await service.stop()
    again = await start(store)  # resumes the closure driver
    assert again.region_state(3).region.status in ("closing", "closed")
    await again.closures.wait(3)
    await again.saga.drain()
    await _assert_closed(again, store, before)
    await again.stop()


async def test_the_treasury_rides_with_a_governor_inside(store):
    states = galaxy_states(3)
    states[2].region.governor_id = 2
    await bootstrap_regions(store, states)
    service = await start(store)
    before = totals(service)
    credits = service.region_state(3).players[2].credits
    await service.execute_in(3, BeginClosure(0, 9, "closing"))
    service.closures.start(3)
    await service.closures.wait(3)
    await service.saga.drain()
    assert service.region_state(2).players[2].credits == credits + 5_000
    assert service.region_state(3).region.treasury == 0
    assert totals(service) == before
    await service.stop()


async def test_the_treasury_is_paid_to_a_governor_outside_through_the_payout_saga(store):
    states = galaxy_states(3, in_nexus=1)
    states[2].region.governor_id = 500  # in the Nexus
    await bootstrap_regions(store, states)
    service = await start(store)
    before = totals(service)
    credits = service.region_state(2).players[500].credits
    await service.execute_in(3, BeginClosure(0, 9, "closing"))
    await service.stop()  # a restart between the closing event and the payout
    service = await start(store)
    await service.closures.wait(3)
    await service.saga.drain()
    assert service.region_state(2).players[500].credits == credits + 5_000
    r = service.region_state(3)
    assert r.region.status == "closed" and r.region.treasury == 0 and not r.payouts_out
    assert totals(service) == before
    await service.stop()


async def test_a_governor_in_no_region_leaves_the_treasury_in_the_closed_region(store):
    await bootstrap_regions(store, galaxy_states(2))  # governor 1000 never entered
    service = await start(store)
    before = totals(service)
    await service.execute_in(3, BeginClosure(0, 9, "closing"))
    service.closures.start(3)
    await service.closures.wait(3)
    r = service.region_state(3)
    assert r.region.status == "closed" and r.region.treasury == 5_000
    assert totals(service) == before
    await service.stop()
