"""What a viewer sees of a port's market, a trade quote and the StarDock's catalogue.

Prices come from :mod:`starlane.domain.economy` (the same functions trades use), with lazy
regeneration up to ``now``. A port is seen under the fog of war of its sector
(:mod:`starlane.domain.reads.fog`): :func:`port_view` and :func:`quote_view` answer None for a
port the viewer may not see.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from starlane.domain.data import COMMODITIES, PORT_CLASSES, SHIP_TYPES, Side
from starlane.domain.diplomacy_terms import tax_discount_pct
from starlane.domain.economy import quote, settled_stock, unit_price
from starlane.domain.model import Player, RegionState, Ship
from starlane.domain.reads.fog import can_see_sector
from starlane.domain.stardock import trade_in_value


class PortCommodityView(TypedDict):
    """One commodity a port trades.

    Attributes:
        commodity, name: key and display name.
        direction: ``sells`` (the port sells: players buy) or ``buys`` (players sell).
        side: the player's side of a trade of it here (``buy`` or ``sell``).
        quantity: whole units in stock (``sells``) or of open demand (``buys``).
        capacity: units at full fill.
        unit_price: credits for one unit at the current fill, before tax, to the cent.
    """

    commodity: str
    name: str
    direction: Literal["sells", "buys"]
    side: str
    quantity: int
    capacity: int
    unit_price: float


class PortView(TypedDict):
    """A port with its class and market.

    Attributes:
        id, sector_id, region_id, name: identity (a port's id is its sector's id).
        port_class, class_code, class_name: class number 0-12, TradeWars code, display name.
        stardock: the port is a StarDock.
        commodities: what it sells (first) and buys, in the class's order.
    """

    id: int
    sector_id: int
    region_id: int
    name: str
    port_class: int
    class_code: str
    class_name: str
    stardock: bool
    commodities: list[PortCommodityView]


class QuoteView(TypedDict):
    """What a trade would cost or pay now (nothing changes).

    Attributes:
        port_id, commodity, side, quantity: the trade asked about.
        unit_price: mean unit price of the trade, credits.
        total: trade value, credits, before tax.
        tax: tax to the region treasury, credits.
        credits_change: the player's credits change (negative when buying).
        quoted_at: unix seconds of the quote.
    """

    port_id: int
    commodity: str
    side: str
    quantity: int
    unit_price: float
    total: int
    tax: int
    credits_change: int
    quoted_at: float


class ShipTypeView(TypedDict):
    """A ship type for sale: its table price (credits) and statistics."""

    key: str
    name: str
    cost: int
    holds: int
    shields: int
    hull: int
    fighters: int
    max_fighters: int
    max_holds: int
    move_turns: int
    citizens_only: bool


class HardwareView(TypedDict):
    """An item of hardware for sale and its price per unit (hull repair: per hull point)."""

    item: Literal["fighters", "holds", "shields", "hull_repair"]
    unit_price: int


class StardockCatalogView(TypedDict):
    """What a StarDock sells, and the viewer's trade-in value.

    Attributes:
        ships: purchasable ship types, in table order.
        hardware: fighters, holds, shield points and hull repair with unit prices.
        trade_in: credits the viewer's current ship would fetch as a trade-in.
    """

    ships: list[ShipTypeView]
    hardware: list[HardwareView]
    trade_in: int


def port_view(
    state: RegionState, port_id: int, viewer: Player | None, *, admin: bool, now: float
) -> PortView | None:
    """A port's class, stock and current unit prices, under fog of war.

    Args:
        state: the region holding the port's sector.
        port_id: the port (= its sector's id).
        viewer: the viewing player, or None.
        admin: the viewer is an admin.
        now: unix seconds (lazy regeneration up to now).

    Returns:
        The port view; None when there is no such port in ``state`` or the viewer may not
        see its sector.
    """
    port = state.ports.get(port_id)
    if port is None or not can_see_sector(viewer, port_id, admin=admin):
        return None
    pc = PORT_CLASSES[port.port_class]
    policy = state.region.policy
    rules = state.rules
    stock = settled_stock(port, now, policy.regen_multiplier, rules)
    rows: list[PortCommodityView] = []
    sides: tuple[tuple[Literal["sells", "buys"], Side, tuple[str, ...]], ...] = (
        ("sells", Side.BUY, pc.sells),
        ("buys", Side.SELL, pc.buys),
    )
    for direction, side, keys in sides:
        for key in keys:
            holding = port.stock.get(key)
            if holding is None:
                continue
            qty = stock.get(key, holding.quantity)
            fill = qty / holding.capacity if holding.capacity else 0.0
            price = unit_price(key, side, fill, policy.price_multipliers.get(key, 1.0), rules)
            rows.append(
                {
                    "commodity": key,
                    "name": COMMODITIES[key].name,
                    "direction": direction,
                    "side": str(side),
                    "quantity": int(qty),
                    "capacity": holding.capacity,
                    "unit_price": round(price, 2),
                }
            )
    return {
        "id": port.id,
        "sector_id": port.sector_id,
        "region_id": port.region_id,
        "name": port.name,
        "port_class": port.port_class,
        "class_code": pc.code,
        "class_name": pc.name,
        "stardock": pc.stardock,
        "commodities": rows,
    }


def quote_view(
    state: RegionState,
    port_id: int,
    viewer: Player | None,
    *,
    admin: bool,
    commodity: str,
    side: Side,
    quantity: int,
    now: float,
    home_region_id: int | None = None,
) -> QuoteView | None:
    """Price a trade at a port now, under fog of war (nothing changes).

    Args:
        state: the region holding the port's sector.
        port_id: the port (= its sector's id).
        viewer: the viewing player, or None.
        admin: the viewer is an admin.
        commodity: commodity key.
        side: the player's side.
        quantity: units.
        now: unix seconds.
        home_region_id: the viewer's home region when this region has a trade agreement
            with it (the tax is quoted with its discount, as the trade would be).

    Returns:
        The quote; None when the sector is not in ``state`` or the viewer may not see it.

    Raises:
        DomainError: as the trade would be refused (``unknown_port`` in a sector without a
            port, ``unknown_commodity``, ``port_does_not_trade``, ``port_out_of_stock``...).
    """
    if port_id not in state.sectors or not can_see_sector(viewer, port_id, admin=admin):
        return None
    discount = tax_discount_pct(state.region, home_region_id, now)
    q = quote(state, port_id, commodity, side, quantity, now, discount)
    return {
        "port_id": q.port_id,
        "commodity": q.commodity,
        "side": str(q.side),
        "quantity": q.units,
        "unit_price": q.unit_price,
        "total": q.total,
        "tax": q.tax,
        "credits_change": -q.net if q.side == Side.BUY else q.net,
        "quoted_at": now,
    }


def stardock_catalog(state: RegionState, ship: Ship) -> StardockCatalogView:
    """What a StarDock sells, priced by the region's rules, and a ship's trade-in value.

    The catalogue is the same at every StarDock of a region and may be read anywhere;
    purchases are refused away from a StarDock.

    Args:
        state: the region (its rule numbers).
        ship: the viewer's current ship.

    Returns:
        The catalogue.
    """
    rules = state.rules
    ships: list[ShipTypeView] = [
        {
            "key": t.key,
            "name": t.name,
            "cost": t.cost,
            "holds": t.holds,
            "shields": t.shields,
            "hull": t.hull,
            "fighters": t.fighters,
            "max_fighters": t.max_fighters,
            "max_holds": t.max_holds,
            "move_turns": t.move_turns,
            "citizens_only": t.citizens_only,
        }
        for t in SHIP_TYPES.values()
        if t.purchasable
    ]
    hardware: list[HardwareView] = [
        {"item": "fighters", "unit_price": rules.fighter_price},
        {"item": "holds", "unit_price": rules.hold_price},
        {"item": "shields", "unit_price": rules.shield_price},
        {"item": "hull_repair", "unit_price": rules.hull_repair_price},
    ]
    return {"ships": ships, "hardware": hardware, "trade_in": trade_in_value(ship, rules)}
