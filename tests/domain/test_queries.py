"""Read helpers: what a player sees of sectors, ports and their turns."""

from __future__ import annotations

import dataclasses

import pytest

from starlane.domain import errors
from starlane.domain.commands import Attack, Trade
from starlane.domain.data import DEFAULT_RULES, Side
from starlane.domain.economy import quote
from starlane.domain.model import RegionState, Ship
from starlane.domain.queries import port_view, sector_view, turns_view
from tests.domain.conftest import PIRATE_ID, PIRATE_SECTOR, T0, place, run, spawn


def test_sector_view_of_sol(world: RegionState) -> None:
    spawn(world, 8, name="bob")
    v = sector_view(world, 1, T0, viewer_id=7)
    assert (v.sector_id, v.region_id, v.number) == (1, 1, 1)
    assert [(w.to_sector_id, w.turns, w.explored) for w in v.warps] == [
        (2, 1, False),
        (3, 1, False),
    ]
    assert v.port is not None and v.port.port_class == 0 and v.port.sells == ("colonists", "fuel")
    assert v.players == ("bob",)  # the viewer is not listed
    assert v.pirates == () and v.planets == ()
    assert dataclasses.asdict(v)["port"]["class_code"] == "SOL"


def test_sector_view_costs_hazards_one_way_pirates_planets(world: RegionState) -> None:
    world.players[7].ship = Ship.new("escape_pod", "pod")  # 2 move turns
    v = sector_view(world, 2, T0, viewer_id=7)
    costs = {w.to_sector_id: w.turns for w in v.warps}
    assert costs == {1: 2, 4: 4, 5: 2}
    assert {w.to_sector_id: w.hazard for w in v.warps}[4] == "nebula"
    assert [w.one_way for w in sector_view(world, 8, T0).warps] == [False, False, True]
    v6 = sector_view(world, PIRATE_SECTOR, T0)
    assert [p.pirate_id for p in v6.pirates] == [PIRATE_ID] and v6.piracy == 3
    assert [p.name for p in sector_view(world, 3, T0).planets] == ["Terra"]
    assert sector_view(world, 4, T0).hazard == "nebula"
    with pytest.raises(errors.UnknownSectorError):
        sector_view(world, 99, T0)


def test_destroyed_pirate_hidden_until_respawn(world: RegionState) -> None:
    place(world, 7, PIRATE_SECTOR)
    world.players[7].ship.fighters = 500
    run(world, Attack(7, "pirate", PIRATE_ID))
    assert sector_view(world, PIRATE_SECTOR, T0 + 1).pirates == ()
    later = T0 + DEFAULT_RULES.pirate_respawn_seconds
    (p,) = sector_view(world, PIRATE_SECTOR, later).pirates
    assert (p.fighters, p.shields, p.hull) == (10, 20, 30)


def test_port_view_prices_agree_with_one_unit_quotes(world: RegionState) -> None:
    v = port_view(world, 6, T0 + 600)
    assert (v.port_class, v.class_code, v.stardock) == (3, "SBB", False)
    rows = {(c.commodity, c.side): c for c in v.commodities}
    assert set(rows) == {("ore", Side.BUY), ("organics", Side.SELL), ("equipment", Side.SELL)}
    ore = rows[("ore", Side.BUY)]
    assert ore.capacity == 1_000 and ore.quantity == 508  # 500 + 5%/h for 10 min
    q = quote(world, 6, "ore", Side.BUY, 1, T0 + 600)
    assert ore.unit_price == pytest.approx(q.unit_price, rel=1e-3)
    assert v.tax_rate == pytest.approx(0.10)
    with pytest.raises(errors.UnknownPortError):
        port_view(world, 4, T0)


def test_port_view_after_trade(world: RegionState) -> None:
    place(world, 7, 6)
    before = {c.commodity: c.unit_price for c in port_view(world, 6, T0).commodities}
    run(world, Trade(7, 6, "ore", Side.BUY, 300))
    after = {c.commodity: c for c in port_view(world, 6, T0).commodities}
    assert after["ore"].quantity == 200
    assert after["ore"].unit_price > before["ore"]  # scarcer stock costs more


def test_stardock_port_view(world: RegionState) -> None:
    v = port_view(world, 2, T0)
    assert v.stardock and v.commodities == ()


def test_turns_view(world: RegionState) -> None:
    world.players[7].turns = 10
    v = turns_view(world, world.players[7], T0)
    assert v.turns == 10 and v.max_turns == 2_000
    assert v.next_turn_at == pytest.approx(T0 + 86.4)
