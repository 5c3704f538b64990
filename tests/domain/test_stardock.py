"""StarDock rules: ships with trade-in, hardware (fighters, holds, shields), repairs, and every
refusal."""

from __future__ import annotations

import random

import pytest

from starlane.domain import errors
from starlane.domain.codec import copy_state
from starlane.domain.commands import BuyHardware, BuyShip, Command, RepairHull
from starlane.domain.data import DEFAULT_RULES, SHIP_TYPES, Hardware, Membership
from starlane.domain.events import HardwareBought, HullRepaired, ShipBought
from starlane.domain.model import RegionState, Ship
from starlane.domain.reads import stardock_catalog
from starlane.domain.rules import decide
from tests.domain.conftest import T0, place, run

DOCK = 2


def _refused(state: RegionState, cmd: Command) -> errors.DomainError:
    before = copy_state(state)
    with pytest.raises(errors.DomainError) as exc:
        decide(state, cmd, T0, random.Random(0))
    assert state == before
    return exc.value


@pytest.fixture
def docked(world: RegionState) -> RegionState:
    place(world, 7, DOCK)
    world.players[7].credits = 1_000_000
    return world


def test_buy_ship_with_trade_in_and_cargo_carried(docked: RegionState) -> None:
    docked.players[7].ship.cargo = {"ore": 300}
    docked.players[7].ship.fighters = 400
    (e,) = run(docked, BuyShip(7, "cargo_hauler", "Mule"))
    assert isinstance(e, ShipBought)
    assert e.trade_in == 40_000 and e.price == 250_000
    p = docked.players[7]
    assert p.credits == 1_000_000 - 250_000 + 40_000
    assert p.ship.type == "cargo_hauler" and p.ship.name == "Mule"
    assert p.ship.holds == 1_000 and p.ship.cargo == {"ore": 300}
    assert p.ship.fighters == 400  # carried over, within the hauler's 500


def test_cheaper_ship_refunds_the_difference(docked: RegionState) -> None:
    docked.players[7].credits = 0
    (e,) = run(docked, BuyShip(7, "scout"))
    assert isinstance(e, ShipBought)
    assert docked.players[7].credits == 40_000 - 30_000
    assert docked.players[7].ship.name == "Light Freighter"  # name kept
    assert docked.players[7].ship.fighters == 50  # the old 50 kept (a scout comes with 20)


def test_fighters_carried_over_up_to_the_new_maximum(docked: RegionState) -> None:
    docked.players[7].ship.fighters = 500
    run(docked, BuyShip(7, "scout"))
    assert docked.players[7].ship.fighters == 200


def test_escape_pod_is_worth_nothing(docked: RegionState) -> None:
    docked.players[7].ship = Ship.new("escape_pod", "pod")
    docked.players[7].credits = 30_000
    (e,) = run(docked, BuyShip(7, "scout"))
    assert isinstance(e, ShipBought) and e.trade_in == 0
    assert docked.players[7].credits == 0


def test_buy_ship_refusals(docked: RegionState) -> None:
    assert _refused(docked, BuyShip(7, "death_star")).code == "unknown_ship_type"
    assert _refused(docked, BuyShip(7, "escape_pod")).code == "unknown_ship_type"
    err = _refused(docked, BuyShip(7, "warp_jumper"))
    assert err.code == "citizens_only" and err.kind == "forbidden"
    docked.players[7].ship.cargo = {"ore": 101}
    assert _refused(docked, BuyShip(7, "scout")).code == "cargo_would_not_fit"
    docked.players[7].ship.cargo = {}
    docked.players[7].credits = 1_000
    err = _refused(docked, BuyShip(7, "defender"))
    assert err.code == "insufficient_credits" and err.context["needed"] == 300_000 - 40_000
    place(docked, 7, 1)
    assert _refused(docked, BuyShip(7, "scout")).code == "not_a_stardock"
    assert _refused(docked, BuyShip(99, "scout")).code == "unknown_player"


def test_citizen_may_buy_warp_jumper(docked: RegionState) -> None:
    docked.players[7].membership = Membership.CITIZEN
    (e,) = run(docked, BuyShip(7, "warp_jumper"))
    assert isinstance(e, ShipBought) and docked.players[7].ship.type == "warp_jumper"


def test_the_membership_in_force_is_the_one_the_caller_found(docked: RegionState) -> None:
    # the API passes the account's tier in force now (membership lapses by time, outside the
    # region's state): a lapsed citizen is refused, a new one sold the ship
    docked.players[7].membership = Membership.CITIZEN
    assert _refused(docked, BuyShip(7, "warp_jumper", citizen=False)).code == "citizens_only"
    docked.players[7].membership = Membership.FREE
    (e,) = run(docked, BuyShip(7, "warp_jumper", citizen=True))
    assert isinstance(e, ShipBought) and docked.players[7].ship.type == "warp_jumper"


def BuyFighters(player_id: int, count: int) -> BuyHardware:
    return BuyHardware(player_id, Hardware.FIGHTERS, count)


def BuyHolds(player_id: int, count: int) -> BuyHardware:
    return BuyHardware(player_id, Hardware.HOLDS, count)


def BuyShields(player_id: int, count: int) -> BuyHardware:
    return BuyHardware(player_id, Hardware.SHIELDS, count)


def test_buy_fighters(docked: RegionState) -> None:
    (e,) = run(docked, BuyFighters(7, 100))
    assert isinstance(e, HardwareBought) and e.price == 100 * DEFAULT_RULES.fighter_price
    assert e.item == Hardware.FIGHTERS and e.quantity == 100 and e.units_after == 150
    assert docked.players[7].ship.fighters == 150
    assert docked.players[7].credits == 1_000_000 - 10_000


def test_buy_fighters_refusals(docked: RegionState) -> None:
    assert _refused(docked, BuyFighters(7, 0)).code == "invalid_quantity"
    err = _refused(docked, BuyFighters(7, 451))  # light freighter: 50 of at most 500
    assert err.code == "capacity_exceeded" and err.context["max"] == 500
    docked.players[7].credits = 99
    assert _refused(docked, BuyFighters(7, 1)).code == "insufficient_credits"
    place(docked, 7, 3)
    assert _refused(docked, BuyFighters(7, 1)).code == "not_a_stardock"


def test_buy_holds(docked: RegionState) -> None:
    (e,) = run(docked, BuyHolds(7, 250))
    assert isinstance(e, HardwareBought) and e.units_after == 750 and e.item == Hardware.HOLDS
    assert docked.players[7].ship.holds == 750
    assert docked.players[7].credits == 1_000_000 - 250 * DEFAULT_RULES.hold_price


def test_buy_holds_refusals(docked: RegionState) -> None:
    assert _refused(docked, BuyHolds(7, -1)).code == "invalid_quantity"
    assert _refused(docked, BuyHolds(7, 251)).code == "capacity_exceeded"
    docked.players[7].credits = 0
    assert _refused(docked, BuyHolds(7, 1)).code == "insufficient_credits"
    place(docked, 7, 4)
    assert _refused(docked, BuyHolds(7, 1)).code == "not_a_stardock"


def test_stardock_catalog(docked: RegionState) -> None:
    cat = stardock_catalog(docked, docked.players[7].ship)
    assert cat["trade_in"] == 40_000  # half a light freighter's 80,000
    offers = {o["key"]: o for o in cat["ships"]}
    assert "escape_pod" not in offers
    assert list(offers) == [k for k, s in SHIP_TYPES.items() if s.purchasable]
    assert offers["warp_jumper"]["citizens_only"] and not offers["carrier"]["citizens_only"]
    assert offers["scout"]["cost"] - cat["trade_in"] == -10_000  # the trade-in pays for it
    prices = {h["item"]: h["unit_price"] for h in cat["hardware"]}
    assert prices == {
        "fighters": DEFAULT_RULES.fighter_price,
        "holds": DEFAULT_RULES.hold_price,
        "shields": DEFAULT_RULES.shield_price,
        "hull_repair": DEFAULT_RULES.hull_repair_price,
    }
    assert stardock_catalog(docked, Ship.new("escape_pod", "pod"))["trade_in"] == 0


def test_buy_shields_restores_combat_losses(docked: RegionState) -> None:
    docked.players[7].ship.shields = 100
    (e,) = run(docked, BuyShields(7, 150))
    assert isinstance(e, HardwareBought) and e.price == 150 * DEFAULT_RULES.shield_price
    assert e.item == Hardware.SHIELDS and e.units_after == 250
    assert docked.players[7].ship.shields == 250
    assert docked.players[7].credits == 1_000_000 - 1_500


def test_buy_shields_refusals(docked: RegionState) -> None:
    assert _refused(docked, BuyShields(7, 0)).code == "invalid_quantity"
    err = _refused(docked, BuyShields(7, 1))  # a light freighter's 300 shields are full
    assert err.code == "capacity_exceeded" and err.context["max"] == 300
    docked.players[7].ship.shields = 0
    docked.players[7].credits = 9
    assert _refused(docked, BuyShields(7, 1)).code == "insufficient_credits"
    place(docked, 7, 1)
    assert _refused(docked, BuyShields(7, 1)).code == "not_a_stardock"


def test_buy_fighters_refusal_messages_name_the_item_and_the_limit(docked: RegionState) -> None:
    err = _refused(docked, BuyFighters(7, 451))
    assert str(err) == "a Light Freighter carries at most 500 fighters, you have 50"
    err = _refused(docked, BuyShields(7, 1))
    assert str(err) == "a Light Freighter holds at most 300 shield points, you have 300"
    docked.players[7].credits = 99
    assert str(_refused(docked, BuyHolds(7, 1))) == "1 holds cost 500 credits, you have 99"


def test_an_item_the_stardock_does_not_sell_is_refused(docked: RegionState) -> None:
    err = _refused(docked, BuyHardware(7, "torpedoes", 1))  # type: ignore[arg-type]
    assert err.code == "invalid_command"


def test_repair_hull(docked: RegionState) -> None:
    docked.players[7].ship.hull = 150
    (e,) = run(docked, RepairHull(7))
    assert isinstance(e, HullRepaired) and e.points == 250
    assert e.price == 250 * DEFAULT_RULES.hull_repair_price
    assert docked.players[7].ship.hull == 400
    assert docked.players[7].credits == 1_000_000 - e.price


def test_repair_hull_refusals(docked: RegionState) -> None:
    err = _refused(docked, RepairHull(7))
    assert err.code == "nothing_to_repair" and err.kind == "conflict"
    docked.players[7].ship.hull = 1
    docked.players[7].credits = 100
    assert _refused(docked, RepairHull(7)).code == "insufficient_credits"
    place(docked, 7, 3)
    assert _refused(docked, RepairHull(7)).code == "not_a_stardock"


def test_the_stardock_sells_every_kind_of_hardware(docked: RegionState) -> None:
    from starlane.domain.stardock import HARDWARE

    assert set(HARDWARE) == set(Hardware)
    ship = docked.players[7].ship
    ship.shields -= 1  # room for one shield point
    for item in Hardware:
        (e,) = run(docked, BuyHardware(7, item, 1))
        assert isinstance(e, HardwareBought) and e.item == item and e.quantity == 1
        assert e.units_after == getattr(ship, item.value)
