"""The StarDock: buying ships (with a trade-in), hardware (fighters, holds, shields), repairs.

Purchases are made at a class 9 port (a StarDock) in the player's sector and cost no turns.
Credits spent at the StarDock leave the economy (a credit sink, as in TradeWars); trade-ins are
paid out of it.

- A new ship costs its table price minus the trade-in value of the current ship,
  ``GameRules.trade_in_fraction`` of the old ship type's cost (an escape pod is worth 0).
  Cargo is carried over and the purchase is refused if it would not fit; fighters are carried
  over up to the new ship's maximum (at least the new ship's standard complement).
  Ships marked ``citizens_only`` are sold only to Galactic Citizens.
- Hardware is one purchase, :class:`~starlane.domain.commands.BuyHardware`, over the table
  :data:`HARDWARE`: fighters cost ``GameRules.fighter_price`` each, up to the ship type's
  ``max_fighters``; extra holds ``GameRules.hold_price`` each, up to its ``max_holds``; shield
  points ``GameRules.shield_price`` each, up to its shields (this is how shields lost in combat
  are restored).
- A hull repair restores the hull to the ship type's full hull at
  ``GameRules.hull_repair_price`` per point.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from starlane.domain.commands import BuyHardware, BuyShip, RepairHull
from starlane.domain.data import PORT_CLASSES, SHIP_TYPES, GameRules, Hardware, Membership
from starlane.domain.errors import (
    CapacityExceededError,
    CargoWouldNotFitError,
    CitizensOnlyError,
    InsufficientCreditsError,
    InvalidCommandError,
    InvalidQuantityError,
    NotAStardockError,
    NothingToRepairError,
    UnknownShipTypeError,
)
from starlane.domain.events import Event, HardwareBought, HullRepaired, ShipBought
from starlane.domain.model import Player, Port, RegionState, Ship
from starlane.domain.movement import require_player


def find_stardock(state: RegionState, sector_id: int) -> Port | None:
    """The StarDock standing in a sector, if any.

    Args:
        state: the region.
        sector_id: a sector id.

    Returns:
        The StarDock port, or None when the sector has no port or an ordinary one.
    """
    port = state.ports.get(sector_id)
    if port is None or not PORT_CLASSES[port.port_class].stardock:
        return None
    return port


def _require_stardock(state: RegionState, player: Player) -> Port:
    port = find_stardock(state, player.sector_id)
    if port is None:
        raise NotAStardockError(
            f"there is no StarDock in sector {player.sector_id}", sector_id=player.sector_id
        )
    return port


def trade_in_value(ship: Ship, rules: GameRules) -> int:
    """Credits the StarDock refunds for a ship traded in.

    Args:
        ship: the ship traded in.
        rules: the rule numbers in force.

    Returns:
        ``round(trade_in_fraction * cost of the ship's type)`` credits (0 for an escape pod).
    """
    return round(rules.trade_in_fraction * ship.spec.cost)


def decide_buy_ship(
    state: RegionState, command: BuyShip, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide the purchase of a new ship, trading in the current one.

    Args:
        state: the region.
        command: the purchase.
        now: unix seconds.
        rng: unused (no randomness); accepted so every decider has one signature.

    Returns:
        One ``ShipBought``.

    Raises:
        UnknownPlayerError, NotAStardockError, UnknownShipTypeError (unknown or not sold),
        CitizensOnlyError, CargoWouldNotFitError, InsufficientCreditsError.
    """
    player = require_player(state, command.player_id)
    _require_stardock(state, player)
    spec = SHIP_TYPES.get(command.ship_type)
    if spec is None or not spec.purchasable:
        raise UnknownShipTypeError(
            f"the StarDock sells no ship type {command.ship_type!r}", ship_type=command.ship_type
        )
    citizen = command.citizen
    if citizen is None:
        citizen = player.membership == Membership.CITIZEN
    if spec.citizens_only and not citizen:
        raise CitizensOnlyError(f"only Galactic Citizens may own a {spec.name}", ship_type=spec.key)
    old = player.ship
    cargo_units = sum(old.cargo.values())
    if cargo_units > spec.holds:
        raise CargoWouldNotFitError(
            f"a {spec.name} has {spec.holds} holds, you carry {cargo_units} units",
            holds=spec.holds,
            cargo=cargo_units,
        )
    trade_in = trade_in_value(old, state.rules)
    net = spec.cost - trade_in
    if player.credits < net:
        raise InsufficientCreditsError(
            f"a {spec.name} costs {net} credits after trade-in, you have {player.credits}",
            needed=net,
            available=player.credits,
        )
    fighters = max(spec.fighters, min(old.fighters, spec.max_fighters))
    return [
        ShipBought(
            region_id=state.region.id,
            at=now,
            player_id=player.id,
            sector_id=player.sector_id,
            ship_type=spec.key,
            ship_name=command.ship_name if command.ship_name is not None else old.name,
            price=spec.cost,
            trade_in=trade_in,
            credits_after=player.credits - net,
            holds=spec.holds,
            fighters=fighters,
            shields=spec.shields,
            hull=spec.hull,
            cargo=dict(old.cargo),
        )
    ]


@dataclass(frozen=True, slots=True)
class HardwareSpec:
    """How the StarDock sells one kind of hardware.

    Attributes:
        item: the hardware.
        noun: its name in refusals (``"fighters"``, ``"shield points"``).
        verb: how a ship holds it, in refusals (``"a Scout carries at most 50 fighters"``).
        unit_price: credits per unit, from the rules in force.
        current: units the ship has now.
        limit: units the ship's type can have at most.
    """

    item: Hardware
    noun: str
    verb: str
    unit_price: Callable[[GameRules], int]
    current: Callable[[Ship], int]
    limit: Callable[[Ship], int]


HARDWARE: dict[Hardware, HardwareSpec] = {
    spec.item: spec
    for spec in (
        HardwareSpec(
            Hardware.FIGHTERS,
            "fighters",
            "carries",
            lambda rules: rules.fighter_price,
            lambda ship: ship.fighters,
            lambda ship: ship.spec.max_fighters,
        ),
        HardwareSpec(
            Hardware.HOLDS,
            "holds",
            "takes",
            lambda rules: rules.hold_price,
            lambda ship: ship.holds,
            lambda ship: ship.spec.max_holds,
        ),
        HardwareSpec(
            Hardware.SHIELDS,
            "shield points",
            "holds",
            lambda rules: rules.shield_price,
            lambda ship: ship.shields,
            lambda ship: ship.spec.shields,
        ),
    )
}
"""The hardware the StarDock sells, by item: its unit price and the ship's limit."""


def decide_buy_hardware(
    state: RegionState, command: BuyHardware, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a purchase of fighters, extra cargo holds or shield points.

    Shield points restore shields lost in combat (or top them up) to the ship type's shields.

    Args:
        state: the region.
        command: the purchase.
        now: unix seconds.
        rng: unused (no randomness); accepted so every decider has one signature.

    Returns:
        One ``HardwareBought``.

    Raises:
        UnknownPlayerError, NotAStardockError, InvalidCommandError (an item the StarDock does
        not sell), InvalidQuantityError (quantity < 1), CapacityExceededError (above the ship
        type's limit for the item), InsufficientCreditsError.
    """
    player = require_player(state, command.player_id)
    _require_stardock(state, player)
    spec = HARDWARE.get(command.item)
    if spec is None:
        raise InvalidCommandError(f"the StarDock sells no {command.item!r}")
    ship = player.ship
    current = spec.current(ship)
    quantity = command.quantity
    if quantity <= 0:
        raise InvalidQuantityError(f"count must be at least 1, got {quantity}", quantity=quantity)
    limit = spec.limit(ship)
    if current + quantity > limit:
        raise CapacityExceededError(
            f"a {ship.spec.name} {spec.verb} at most {limit} {spec.noun}, you have {current}",
            max=limit,
            current=current,
        )
    price = quantity * spec.unit_price(state.rules)
    if player.credits < price:
        raise InsufficientCreditsError(
            f"{quantity} {spec.noun} cost {price} credits, you have {player.credits}",
            needed=price,
            available=player.credits,
        )
    return [
        HardwareBought(
            region_id=state.region.id,
            at=now,
            player_id=player.id,
            sector_id=player.sector_id,
            item=spec.item,
            quantity=quantity,
            price=price,
            credits_after=player.credits - price,
            units_after=current + quantity,
        )
    ]


def decide_repair_hull(
    state: RegionState, command: RepairHull, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a hull repair to the ship type's full hull.

    Args:
        state: the region.
        command: the repair.
        now: unix seconds.
        rng: unused (no randomness); accepted so every decider has one signature.

    Returns:
        One ``HullRepaired``.

    Raises:
        UnknownPlayerError, NotAStardockError, NothingToRepairError,
        InsufficientCreditsError.
    """
    player = require_player(state, command.player_id)
    _require_stardock(state, player)
    ship = player.ship
    full = ship.spec.hull
    points = full - ship.hull
    if points <= 0:
        raise NothingToRepairError(f"your hull is whole ({ship.hull} of {full})")
    price = points * state.rules.hull_repair_price
    if player.credits < price:
        raise InsufficientCreditsError(
            f"repairing {points} hull points costs {price} credits, you have {player.credits}",
            needed=price,
            available=player.credits,
        )
    return [
        HullRepaired(
            region_id=state.region.id,
            at=now,
            player_id=player.id,
            sector_id=player.sector_id,
            points=points,
            price=price,
            credits_after=player.credits - price,
            hull_after=full,
        )
    ]
