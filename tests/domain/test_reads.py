"""Reads: what a player sees of themselves, sectors, ports, quotes, the StarDock and regions."""

from __future__ import annotations

import pytest

from starlane.domain import errors
from starlane.domain.commands import Attack, Trade
from starlane.domain.data import DEFAULT_RULES, SHIP_TYPES, Side
from starlane.domain.economy import quote
from starlane.domain.model import RegionState, Ship
from starlane.domain.reads import (
    me_view,
    port_view,
    quote_view,
    region_map_page,
    region_page,
    region_view,
    scan_neighbours,
    sector_contents,
    sector_view,
    ship_view,
)
from tests.domain.conftest import PIRATE_ID, PIRATE_SECTOR, T0, build_region, place, run, spawn


def _see(state: RegionState, sector_id: int, now: float = T0, viewer: int = 7) -> dict:
    view = sector_view(state, sector_id, state.players[viewer], admin=False, now=now)
    assert view is not None
    return dict(view)


def test_me_view_turns_ship_and_place(world: RegionState) -> None:
    p = world.players[7]
    p.turns = 10
    p.ship.cargo = {"ore": 3, "fuel": 0}
    me = me_view(p, world, ("player",), T0)
    assert (me["id"], me["name"], me["roles"], me["membership"]) == (
        7,
        "pilot7",
        ["player"],
        "free",
    )
    assert (me["region_id"], me["region_name"], me["sector_id"], me["sector_number"]) == (
        1,
        "Terran Space",
        1,
        1,
    )
    assert me["turns"] == {
        "available": 10,
        "max": 2_000,
        "per_day": 1_000,
        "next_at": pytest.approx(T0 + 86.4),
    }
    assert me["ship"]["cargo"] == {"ore": 3}  # commodities with none left out
    assert me["ship"]["free_holds"] == me["ship"]["holds"] - 3
    assert me["explored_count"] == len(p.explored)
    # regeneration is lazy: a day later the player has 1,000 more turns
    assert me_view(p, world, (), T0 + 86_400)["turns"]["available"] == 1_010


def test_ship_view_of_an_escape_pod() -> None:
    v = ship_view(Ship.new("escape_pod", "pod"))
    assert (v["type"], v["type_name"], v["move_turns"], v["holds"]) == (
        "escape_pod",
        SHIP_TYPES["escape_pod"].name,
        2,
        5,
    )


def test_sector_view_of_sol(world: RegionState) -> None:
    spawn(world, 8, name="bob")
    v = _see(world, 1)
    assert (v["id"], v["region_id"], v["number"]) == (1, 1, 1)
    assert v["warps"] == [
        {"to_sector_id": 2, "turn_cost": 1, "discovered": False},
        {"to_sector_id": 3, "turn_cost": 1, "discovered": False},
    ]
    assert v["port"] is not None and v["port"]["port_class"] == 0
    assert v["port"]["sells"] == ["colonists", "fuel"] and v["port"]["class_code"] == "SOL"
    assert [s["player_name"] for s in v["ships"]] == ["bob"]  # the viewer is left out
    assert v["pirates"] == [] and v["planets"] == [] and v["gate"] is None


def test_sector_view_costs_hazards_pirates_planets(world: RegionState) -> None:
    world.players[7].explored.update(world.sectors)
    costs = {w["to_sector_id"]: w["turn_cost"] for w in _see(world, 2)["warps"]}
    assert costs == {1: 1, 4: 2, 5: 1}  # the nebula end costs one more
    assert _see(world, 4)["hazard"] == "nebula"
    v6 = _see(world, PIRATE_SECTOR)
    assert [p["id"] for p in v6["pirates"]] == [PIRATE_ID] and v6["piracy"] == 3
    assert [p["name"] for p in _see(world, 3)["planets"]] == ["Terra"]


def test_destroyed_pirate_hidden_until_respawn(world: RegionState) -> None:
    place(world, 7, PIRATE_SECTOR)
    world.players[7].ship.fighters = 500
    run(world, Attack(7, "pirate", PIRATE_ID))
    assert _see(world, PIRATE_SECTOR, T0 + 1)["pirates"] == []
    later = T0 + DEFAULT_RULES.pirate_respawn_seconds
    (p,) = _see(world, PIRATE_SECTOR, later)["pirates"]
    assert (p["fighters"], p["shields"], p["hull"]) == (10, 20, 30)  # back at full strength


def test_a_pirate_without_hull_is_not_shown(world: RegionState) -> None:
    world.pirates[PIRATE_ID].hull = 0
    place(world, 7, PIRATE_SECTOR)
    assert _see(world, PIRATE_SECTOR)["pirates"] == []


def test_sector_contents_is_the_view_without_fog(world: RegionState) -> None:
    far = world.sectors[12]
    assert sector_view(world, 12, world.players[7], admin=False, now=T0) is None
    v = sector_contents(world, far, world.players[7], T0)
    assert v == sector_view(world, 12, world.players[7], admin=True, now=T0)


def test_scan_neighbours_lists_the_discovered_neighbours(world: RegionState) -> None:
    assert scan_neighbours(world, world.players[7], T0) == []  # nothing discovered yet
    world.players[7].explored.add(3)
    assert [v["id"] for v in scan_neighbours(world, world.players[7], T0)] == [3]
    world.players[7].explored.add(2)
    assert [v["id"] for v in scan_neighbours(world, world.players[7], T0)] == [2, 3]


def test_port_view_prices_agree_with_one_unit_quotes(world: RegionState) -> None:
    v = port_view(world, 6, None, admin=True, now=T0 + 600)
    assert v is not None
    assert (v["port_class"], v["class_code"], v["stardock"]) == (3, "SBB", False)
    rows = {(c["commodity"], c["side"]): c for c in v["commodities"]}
    assert list(rows) == [("ore", "buy"), ("organics", "sell"), ("equipment", "sell")]
    ore = rows[("ore", "buy")]
    assert ore["direction"] == "sells" and ore["name"] == "Ore"
    assert ore["capacity"] == 1_000 and ore["quantity"] == 508  # 500 + 5%/h for 10 min
    q = quote(world, 6, "ore", Side.BUY, 1, T0 + 600)
    assert ore["unit_price"] == pytest.approx(q.unit_price, rel=1e-3)
    assert port_view(world, 4, None, admin=True, now=T0) is None  # no port in sector 4


def test_port_view_after_trade(world: RegionState) -> None:
    place(world, 7, 6)
    viewer = world.players[7]

    def prices() -> dict[str, dict]:
        v = port_view(world, 6, viewer, admin=False, now=T0)
        assert v is not None
        return {c["commodity"]: dict(c) for c in v["commodities"]}

    before = prices()
    run(world, Trade(7, 6, "ore", Side.BUY, 300))
    after = prices()
    assert after["ore"]["quantity"] == 200
    assert after["ore"]["unit_price"] > before["ore"]["unit_price"]  # scarcer costs more


def test_stardock_port_view_has_no_market(world: RegionState) -> None:
    v = port_view(world, 2, None, admin=True, now=T0)
    assert v is not None and v["stardock"] and v["commodities"] == []


def test_quote_view_signs_the_credits_change(world: RegionState) -> None:
    place(world, 7, 6)
    viewer = world.players[7]
    buy = quote_view(
        world, 6, viewer, admin=False, commodity="ore", side=Side.BUY, quantity=10, now=T0
    )
    sell = quote_view(
        world, 6, viewer, admin=False, commodity="organics", side=Side.SELL, quantity=10, now=T0
    )
    assert buy is not None and sell is not None
    assert buy["credits_change"] == -(buy["total"] + buy["tax"]) < 0
    assert sell["credits_change"] == sell["total"] - sell["tax"] > 0
    assert (buy["side"], buy["quantity"], buy["quoted_at"]) == ("buy", 10, T0)


def test_quote_view_refusals_are_the_trades(world: RegionState) -> None:
    place(world, 7, 4)  # sector 4 has no port
    viewer = world.players[7]
    with pytest.raises(errors.UnknownPortError):
        quote_view(
            world, 4, viewer, admin=False, commodity="ore", side=Side.BUY, quantity=1, now=T0
        )
    place(world, 7, 6)
    with pytest.raises(errors.UnknownCommodityError):
        quote_view(
            world, 6, viewer, admin=False, commodity="gold", side=Side.BUY, quantity=1, now=T0
        )


def test_region_view_and_pages(world: RegionState) -> None:
    v = region_view(world.region)
    assert (v["id"], v["kind"], v["name"], v["sector_count"]) == (1, "terran", "Terran Space", 12)
    assert v["policies"]["tax_rate"] == pytest.approx(0.10) and v["policies"]["pvp"] is False
    assert v["policies"]["immigration"] == "open"
    regions = [build_region(region_id=i).region for i in (3, 1, 2)]
    first = region_page(regions, after=0, limit=2)
    assert [r["id"] for r in first["items"]] == [1, 2] and first["next_after"] == 2
    last = region_page(regions, after=2, limit=2)
    assert [r["id"] for r in last["items"]] == [3] and last["next_after"] is None
    assert region_page(regions, after=3, limit=2) == {"items": [], "next_after": None}


def test_region_map_entries(world: RegionState) -> None:
    page = region_map_page(world, None, admin=True, after=3, limit=2)
    assert [s["id"] for s in page["items"]] == [4, 5] and page["next_after"] == 5
    four = page["items"][0]
    assert four["hazard"] == "nebula" and four["port_class"] is None
    assert four["warps"] == [
        {"to_sector_id": 2, "turn_cost": 2},
        {"to_sector_id": 7, "turn_cost": 2},
    ]
    assert page["items"][1]["port_class"] == 2
    assert page["total_visible"] == 12 and page["region_id"] == 1
