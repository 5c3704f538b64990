"""Player-built gates through the engines: the toll of an owner in another region travels by
the treasury payout saga, and a closing region refunds its unfinished constructions (credits
conserved over players, treasuries, payouts in flight and construction sites)."""

from __future__ import annotations

import asyncio
import dataclasses

from starlane.bus import Bus
from starlane.domain.commands import Move
from starlane.domain.data import COMMODITIES, DEFAULT_RULES
from starlane.domain.gates import BuildGate
from starlane.domain.region_admin import BeginClosure
from starlane.engine.gates import GateConstructionTimers, GateTollPayouts
from starlane.engine.router import GalaxyService
from tests.domain.conftest import T0, place
from tests.engine.fakes import bootstrap_regions
from tests.engine.test_closure import NEXUS_TO_R, R_GATE, galaxy_states, totals

RULES = dataclasses.replace(
    DEFAULT_RULES,
    gate_credits=1_000,
    gate_equipment=3,
    gate_ore=2,
    gate_build_seconds=0.05,
    gate_min_warps=4,
)


async def _start(store: object, rules: object = RULES) -> GalaxyService:
    bus = Bus()
    service = GalaxyService(
        store,  # type: ignore[arg-type]
        bus,
        clock=lambda: T0 + 10,
        rng_seed=1,
        rules=rules,  # type: ignore[arg-type]
        timer_rules=(GateConstructionTimers(),),
    )
    await service.start()
    bus.add_listener(GateTollPayouts(service.payouts, service.engines))
    return service


def _held(service: GalaxyService) -> tuple[int, int]:
    """Credits and units of goods held by construction sites."""
    gates = [g for state in service.regions() for g in state.gates.values()]
    return sum(g.credits for g in gates), sum(sum(g.delivered.values()) for g in gates)


def _put(service: GalaxyService, player_id: int, sector_id: int) -> None:
    """Teleport a region-3 player (test set-up), the player directory in step."""
    place(service.region_state(3), player_id, sector_id)
    service.directory.load_region(service.region_state(3))


async def _leave(service: GalaxyService, player_id: int) -> None:
    """Take a region-3 player out to the Nexus through the gate."""
    _put(service, player_id, R_GATE)
    await service.execute(Move(player_id, NEXUS_TO_R))
    assert service.locate(player_id) == 2


async def test_the_toll_of_an_owner_in_another_region_reaches_them(store):
    await bootstrap_regions(store, galaxy_states(2))
    service = await _start(store)
    r = service.region_state(3)
    r.players[1].ship.cargo.update({"equipment": 3, "ore": 2})
    _put(service, 1, 102)
    await service.execute(BuildGate(1, 102, 109, 400, citizen=True))
    for _ in range(50):
        if next(iter(r.gates.values())).state == "open":
            break
        await asyncio.sleep(0.02)
    assert next(iter(r.gates.values())).state == "open"
    await _leave(service, 1)
    owner_before = service.region_state(2).players[1].credits
    passer_before = r.players[2].credits
    before = totals(service)[0]
    _put(service, 2, 102)
    await service.execute(Move(2, 109))
    assert r.players[2].sector_id == 109 and r.players[2].credits == passer_before - 400
    for _ in range(100):
        if not r.payouts_out:
            break
        await asyncio.sleep(0.02)
    assert service.region_state(2).players[1].credits == owner_before + 400
    assert not r.payouts_out and totals(service)[0] == before
    await service.stop()


async def test_a_closing_region_refunds_its_sites_to_owners_inside_and_outside(store):
    await bootstrap_regions(store, galaxy_states(2))
    service = await _start(store, dataclasses.replace(RULES, gate_build_seconds=3_600))
    r = service.region_state(3)
    for pid, sector in ((1, 102), (2, 103)):
        r.players[pid].ship.cargo.update({"equipment": 2, "ore": 1})
        _put(service, pid, sector)
    credits = {pid: r.players[pid].credits for pid in (1, 2)}
    await service.execute(BuildGate(1, 102, 109, 0, citizen=True))
    await service.execute(BuildGate(2, 103, 112, 0, citizen=True))
    assert {g.state for g in r.gates.values()} == {"site"}
    await _leave(service, 2)  # the owner of the second site is away when the region closes
    credits_before, cargo_before, _ = totals(service)
    held = _held(service)
    await service.execute_in(3, BeginClosure(0, 9, "owner request"))
    service.closures.start(3)
    await service.closures.wait(3)
    await service.saga.drain()
    await service.payouts.drain()
    assert r.region.status == "closed"
    assert {g.state for g in r.gates.values()} == {"failed"}
    assert _held(service) == (0, 0)
    nexus = service.region_state(2)
    value = 2 * COMMODITIES["equipment"].base_price + COMMODITIES["ore"].base_price
    # the owner inside got the credits and the goods back, and rode out with them
    assert nexus.players[1].credits == credits[1]
    assert nexus.players[1].ship.cargo.get("equipment") == 2
    # the owner outside was paid the credits and the goods at base price
    assert nexus.players[2].credits == credits[2] + value
    # nothing created or lost: the away owner's 3 units became their base-price credits
    credits_after, cargo_after, _ = totals(service)
    assert credits_after == credits_before + held[0] + value
    assert cargo_after == cargo_before + held[1] - 3
    await service.stop()


async def test_a_gate_to_another_region_is_crossed_by_the_saga_and_its_toll_paid(store):
    await bootstrap_regions(store, galaxy_states(2))
    service = await _start(store)
    r = service.region_state(3)
    r.players[1].ship.cargo.update({"equipment": 3, "ore": 2})
    _put(service, 1, 102)
    await service.execute(BuildGate(1, 102, 205, 60, citizen=True, to_region_id=2))
    gate = next(iter(r.gates.values()))
    for _ in range(50):
        if gate.state == "open":
            break
        await asyncio.sleep(0.02)
    assert gate.state == "open" and gate.to_region_id == 2
    owner_before, passer_before = r.players[1].credits, r.players[2].credits
    before = totals(service)[0]
    _put(service, 2, 102)
    await service.execute(Move(2, 205))  # through the saga: departure, arrival
    await service.saga.drain()
    assert service.locate(2) == 2
    nexus = service.region_state(2)
    assert nexus.players[2].sector_id == 205
    toll = nexus.region.policy.gate_toll  # the destination's own toll, to its treasury
    assert nexus.players[2].credits == passer_before - 60 - toll
    assert r.players[1].credits == owner_before + 60
    assert totals(service)[0] == before
    await service.stop()


async def test_a_construction_into_a_region_that_closes_is_refunded_in_its_own_region(store):
    await bootstrap_regions(store, galaxy_states(1, in_nexus=1))
    service = await _start(store)
    nexus = service.region_state(2)
    builder = nexus.players[500]
    builder.ship.cargo.update({"equipment": 2})
    credits = builder.credits
    await service.execute(BuildGate(500, NEXUS_TO_R, 105, 0, citizen=True, to_region_id=3))
    gate = next(iter(nexus.gates.values()))
    assert gate.state == "site" and gate.to_region_id == 3 and builder.credits == credits - 1_000
    await service.execute_in(3, BeginClosure(0, 9, "owner request"))
    service.closures.start(3)
    await service.closures.wait(3)
    for _ in range(100):
        if gate.state == "failed":
            break
        await asyncio.sleep(0.02)
    assert gate.state == "failed" and gate.credits == 0
    assert nexus.players[500].credits == credits
    assert nexus.players[500].ship.cargo.get("equipment") == 2
    await service.stop()
