"""Jumps through the engines: in a region, across regions by the saga, the bonus once."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from starlane.bus import Bus
from starlane.domain.commands import Arrive
from starlane.domain.data import Immigration, Membership
from starlane.domain.errors import ImmigrationRefusedError
from starlane.domain.jumps import Jump, NotAJumperError, OutOfJumpRangeError
from starlane.domain.model import Ship
from starlane.engine.router import GalaxyService
from tests.domain.conftest import T0, place, spawn
from tests.domain.test_travel import GATE_A, two_regions
from tests.engine.fakes import ControlledStore, bootstrap_regions
from tests.engine.test_saga import totals

PLAYERS = (1, 2, 3)


async def seed(store, *, immigration: Immigration = Immigration.OPEN) -> None:
    a, b = two_regions()
    b.region.opened_at = T0 - 3_600
    b.region.policy.immigration = immigration
    for pid in PLAYERS:
        spawn(a, pid)
        place(a, pid, GATE_A)
        if pid != 3:
            a.players[pid].membership = Membership.CITIZEN
            a.players[pid].ship = Ship.new("warp_jumper", f"Leap {pid}")
            a.players[pid].ship.cargo["fuel"] = 40
    await bootstrap_regions(store, [a, b])


async def galaxy(store) -> GalaxyService:
    service = GalaxyService(store, Bus(), clock=lambda: T0 + 10, rng_seed=1)
    await service.start()
    return service


async def test_two_arrivals_in_one_batch_pay_the_bonus_once_and_it_survives_a_restart(store):
    await seed(store)
    service = await galaxy(store)
    credits, cargo, _ = totals(service)
    first, second = await asyncio.gather(
        service.execute(Jump(1, 105)), service.execute(Jump(2, 106))
    )
    types = [[r.event.type for r in rec] for rec in (first, second)]
    assert types[0][:3] == ["jump_departed", "transfer_departed", "transfer_arrived"]
    bonuses = [t for t in types if t[-1] == "region_first_visited"]
    assert len(bonuses) == 1
    assert service.directory.locate(1) == (3, 105) and service.directory.locate(2) == (3, 106)
    await service.saga.drain()
    after = totals(service)
    assert after[0] == credits + 1_000  # the platform pays the bonus, nothing else moves
    assert after[1] == cargo - 14 - 12  # 7 and 6 units away, 2 fuel a unit
    await service.stop()
    again = await galaxy(store)
    b = again.region_state(3)
    assert b.region.first_visitor_id in (1, 2)
    assert {b.region.discoveries[s].player_id for s in (105, 106)} == {1, 2}
    assert again.player(1).ship.cargo == {"fuel": 26}  # type: ignore[union-attr]
    await again.stop()


async def test_arrivals_decided_in_one_commit_batch_pay_the_bonus_once(store):
    await seed(store)
    controlled = ControlledStore(store)
    service = GalaxyService(controlled, Bus(), clock=lambda: T0 + 10, rng_seed=1)
    await service.start()
    source, destination = service.engine(1), service.engine(3)
    arrivals = []
    for pid, to in ((1, 105), (2, 106)):
        sector = destination.state.sectors[to]
        await source.submit(Jump(pid, to, 3, (sector.x, sector.y, sector.z), f"t{pid}"))
        pending = source.state.transfers_out[f"t{pid}"]
        arrivals.append(Arrive(pid, f"t{pid}", 1, to, pending))
    commits = len(controlled.batch_sizes)
    recorded = await asyncio.gather(*(destination.submit(a) for a in arrivals))
    assert controlled.batch_sizes[commits:] == [3]  # one batch: two arrivals and one bonus
    kinds = sorted(r.event.type for rec in recorded for r in rec)
    assert kinds == ["region_first_visited", "transfer_arrived", "transfer_arrived"]
    assert destination.state.region.first_visitor_id == 1
    await service.stop()


async def test_in_region_jump_and_refusals_through_the_engine(store):
    await seed(store)
    service = await galaxy(store)
    recorded = await service.execute(Jump(1, 2))
    assert [r.event.type for r in recorded] == ["player_jumped"]
    assert service.directory.locate(1) == (1, 2)
    with pytest.raises(NotAJumperError):
        await service.execute(Jump(3, 105))
    service.region_state(1).rules = dataclasses.replace(service.rules, jump_range=2.0)
    with pytest.raises(OutOfJumpRangeError):
        await service.execute(Jump(2, 105))
    await service.stop()


async def test_destination_policy_refuses_before_the_drive_fires(store):
    await seed(store, immigration=Immigration.CLOSED)
    service = await galaxy(store)
    before = totals(service)
    with pytest.raises(ImmigrationRefusedError):
        await service.execute(Jump(1, 105))
    assert totals(service) == before and service.directory.locate(1) == (1, GATE_A)
    assert service.player(1).last_jump_at is None  # type: ignore[union-attr]
    await service.stop()
