"""Read helpers for the API and clients: what a player sees of a sector, a port, a StarDock.

Pure functions over a region's state; they never change it. Every result is a frozen
dataclass of plain values (``dataclasses.asdict`` gives JSON-ready dicts). Prices shown are
those of one unit at the port's current fill (with lazy regeneration up to ``now``), the same
function trades use; a multi-unit trade is quoted by :func:`starlane.domain.economy.quote`.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlane.domain.combat import pirate_present, pirate_strength
from starlane.domain.data import PORT_CLASSES, SHIP_TYPES, Membership, Side
from starlane.domain.economy import settled_stock, unit_price
from starlane.domain.errors import UnknownPortError, UnknownSectorError
from starlane.domain.model import Player, RegionState
from starlane.domain.movement import current_turns, next_turn_at
from starlane.domain.routes import warp_cost
from starlane.domain.stardock import find_stardock, trade_in_value


@dataclass(frozen=True, slots=True)
class WarpView:
    """A warp out of a sector.

    Attributes:
        to_sector_id: the sector it leads to.
        turns: turns the move costs the viewer's ship (a move-turns-1 ship when no viewer).
        hazard: the destination's hazard, or None.
        one_way: no warp leads back.
        explored: the viewer has discovered the destination.
    """

    to_sector_id: int
    turns: int
    hazard: str | None
    one_way: bool
    explored: bool


@dataclass(frozen=True, slots=True)
class CommodityView:
    """A commodity as a port trades it.

    Attributes:
        commodity: the commodity key.
        side: the player's side (``buy``: the port sells it; ``sell``: the port buys it).
        quantity: whole units of stock (player buys) or open demand (player sells).
        capacity: units at full fill.
        unit_price: credits for one unit at the current fill, before tax.
    """

    commodity: str
    side: Side
    quantity: int
    capacity: int
    unit_price: float


@dataclass(frozen=True, slots=True)
class PortView:
    """A port as a player sees it.

    Attributes:
        port_id, sector_id, name: identity.
        port_class: class number 0-12.
        class_code: the TradeWars code (``"BBS"``) or short name.
        class_name: display name of the class.
        stardock: the port is a StarDock.
        commodities: what it trades, with quantities and current unit prices.
        tax_rate: the region's tax on trade value.
    """

    port_id: int
    sector_id: int
    name: str
    port_class: int
    class_code: str
    class_name: str
    stardock: bool
    commodities: tuple[CommodityView, ...]
    tax_rate: float


@dataclass(frozen=True, slots=True)
class PirateView:
    """An NPC pirate present in a sector."""

    pirate_id: int
    name: str
    fighters: int
    shields: int
    hull: int


@dataclass(frozen=True, slots=True)
class PlanetView:
    """A planet in a sector."""

    planet_id: int
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class PortSummary:
    """A port seen from its sector: identity and what it buys and sells."""

    port_id: int
    name: str
    port_class: int
    class_code: str
    buys: tuple[str, ...]
    sells: tuple[str, ...]
    stardock: bool


@dataclass(frozen=True, slots=True)
class SectorView:
    """A sector as a player sees it.

    Attributes:
        sector_id, region_id, number, cluster, district: identity and place.
        hazard: nebula, asteroids or None.
        piracy: NPC piracy level 0-5.
        warps: the warps out, with turn costs for the viewer's ship.
        port: the port summary, if any.
        planets: planets in the sector.
        pirates: pirates present now.
        players: names of the players in the sector (the viewer excluded).
        gate_to_sector_id, gate_to_region_id: the warp gate here, if any.
    """

    sector_id: int
    region_id: int
    number: int
    cluster: int
    district: str | None
    hazard: str | None
    piracy: int
    warps: tuple[WarpView, ...]
    port: PortSummary | None
    planets: tuple[PlanetView, ...]
    pirates: tuple[PirateView, ...]
    players: tuple[str, ...]
    gate_to_sector_id: int | None
    gate_to_region_id: int | None


def sector_view(
    state: RegionState, sector_id: int, now: float, viewer_id: int | None = None
) -> SectorView:
    """What a sector holds, as shown to a player.

    Args:
        state: the region.
        sector_id: the sector.
        now: unix seconds (pirate respawns).
        viewer_id: the viewing player (move costs for their ship, discovery flags); None
            shows costs for a ship with 1 move turn and nothing as explored.

    Returns:
        The sector view.

    Raises:
        UnknownSectorError: the sector is not in this region.
    """
    sector = state.sectors.get(sector_id)
    if sector is None:
        raise UnknownSectorError(f"sector {sector_id} is not in this region", sector_id=sector_id)
    viewer = state.players.get(viewer_id) if viewer_id is not None else None
    move_turns = viewer.ship.spec.move_turns if viewer is not None else 1
    explored = viewer.explored if viewer is not None else set()
    warps: list[WarpView] = []
    for w in sector.warps:
        dest = state.sectors.get(w)
        if dest is None:
            continue
        warps.append(
            WarpView(
                w,
                move_turns * warp_cost(state, sector_id, w),
                None if dest.hazard is None else str(dest.hazard),
                sector_id not in dest.warps,
                w in explored,
            )
        )
    port = state.ports.get(sector_id)
    summary = None
    if port is not None:
        pc = PORT_CLASSES[port.port_class]
        summary = PortSummary(
            port.id, port.name, pc.number, pc.code, pc.buys, pc.sells, pc.stardock
        )
    rules = state.rules
    pirates = tuple(
        PirateView(p.id, p.name, st.fighters, st.shields, st.hull)
        for p in state.pirates_in(sector_id)
        if pirate_present(p, now, rules)
        for st in (pirate_strength(p, now, rules),)
    )
    planets = tuple(
        PlanetView(pl.id, pl.name, pl.kind)
        for pid in sector.planet_ids
        if (pl := state.planets.get(pid)) is not None
    )
    players = tuple(sorted(p.name for p in state.players_in(sector_id) if p is not viewer))
    gate = sector.gate
    return SectorView(
        sector_id=sector.id,
        region_id=sector.region_id,
        number=sector.number,
        cluster=sector.cluster,
        district=sector.district,
        hazard=None if sector.hazard is None else str(sector.hazard),
        piracy=sector.piracy,
        warps=tuple(warps),
        port=summary,
        planets=planets,
        pirates=pirates,
        players=players,
        gate_to_sector_id=None if gate is None else gate.to_sector_id,
        gate_to_region_id=None if gate is None else gate.to_region_id,
    )


def port_view(state: RegionState, port_id: int, now: float) -> PortView:
    """A port's class, stock and current unit prices.

    Args:
        state: the region.
        port_id: the port.
        now: unix seconds (lazy regeneration up to now).

    Returns:
        The port view; commodities in table order, sold ones first.

    Raises:
        UnknownPortError: no such port in this region.
    """
    port = state.ports.get(port_id)
    if port is None:
        raise UnknownPortError(f"no port {port_id} in this region", port_id=port_id)
    pc = PORT_CLASSES[port.port_class]
    policy = state.region.policy
    rules = state.rules
    stock = settled_stock(port, now, policy.regen_multiplier, rules)
    rows: list[CommodityView] = []
    for side, keys in ((Side.BUY, pc.sells), (Side.SELL, pc.buys)):
        for k in keys:
            held = port.stock.get(k)
            if held is None or held.capacity <= 0:
                continue
            q = stock[k]
            mult = policy.price_multipliers.get(k, 1.0)
            price = unit_price(k, side, q / held.capacity, mult, rules)
            rows.append(CommodityView(k, side, int(q), held.capacity, price))
    return PortView(
        port.id,
        port.sector_id,
        port.name,
        pc.number,
        pc.code,
        pc.name,
        pc.stardock,
        tuple(rows),
        policy.tax_rate,
    )


@dataclass(frozen=True, slots=True)
class ShipOffer:
    """A ship the StarDock sells, priced for one player.

    Attributes:
        ship_type, name: the ship type.
        cost: table price, credits.
        net_price: cost minus the trade-in of the player's current ship, credits (negative
            when the trade-in is worth more).
        holds, shields, hull, fighters, max_fighters, max_holds, move_turns: its statistics.
        citizens_only: only Galactic Citizens may own it.
        allowed: the player's membership permits it.
        affordable: allowed and the player has the net price.
    """

    ship_type: str
    name: str
    cost: int
    net_price: int
    holds: int
    shields: int
    hull: int
    fighters: int
    max_fighters: int
    max_holds: int
    move_turns: int
    citizens_only: bool
    allowed: bool
    affordable: bool


@dataclass(frozen=True, slots=True)
class StardockCatalog:
    """What a StarDock offers one player.

    Attributes:
        port_id: the StarDock in the player's sector, or None when there is none (the catalog
            is still shown, purchases would be refused with ``not_a_stardock``).
        trade_in: what the player's current ship is worth on a trade-in, credits.
        ships: ships for sale.
        fighter_price: credits per fighter.
        fighters_available: fighters the player's ship can still take.
        hold_price: credits per extra hold.
        holds_available: holds the player's ship can still be extended by.
        shield_price: credits per shield point.
        shields_available: shield points the player's ship can still take.
        hull_repair_price: credits per hull point repaired.
        hull_repair_cost: credits a full hull repair costs now (0 when the hull is whole).
    """

    port_id: int | None
    trade_in: int
    ships: tuple[ShipOffer, ...]
    fighter_price: int
    fighters_available: int
    hold_price: int
    holds_available: int
    shield_price: int
    shields_available: int
    hull_repair_price: int
    hull_repair_cost: int


def stardock_catalog(state: RegionState, player: Player) -> StardockCatalog:
    """The StarDock's offer to a player (ships with trade-in prices, fighters, holds).

    Args:
        state: the region.
        player: the player.

    Returns:
        The catalog.
    """
    rules = state.rules
    dock = find_stardock(state, player.sector_id)
    trade_in = trade_in_value(player.ship, rules)
    citizen = player.membership == Membership.CITIZEN
    ships = tuple(
        ShipOffer(
            s.key,
            s.name,
            s.cost,
            s.cost - trade_in,
            s.holds,
            s.shields,
            s.hull,
            s.fighters,
            s.max_fighters,
            s.max_holds,
            s.move_turns,
            s.citizens_only,
            allowed := (citizen or not s.citizens_only),
            allowed and player.credits >= s.cost - trade_in,
        )
        for s in SHIP_TYPES.values()
        if s.purchasable
    )
    spec = player.ship.spec
    return StardockCatalog(
        None if dock is None else dock.id,
        trade_in,
        ships,
        rules.fighter_price,
        max(0, spec.max_fighters - player.ship.fighters),
        rules.hold_price,
        max(0, spec.max_holds - player.ship.holds),
        rules.shield_price,
        max(0, spec.shields - player.ship.shields),
        rules.hull_repair_price,
        max(0, spec.hull - player.ship.hull) * rules.hull_repair_price,
    )


@dataclass(frozen=True, slots=True)
class TurnsView:
    """A player's turns at an instant.

    Attributes:
        turns: turns available.
        max_turns: the regeneration cap.
        next_turn_at: unix seconds of the next regenerated turn, None at the cap.
    """

    turns: int
    max_turns: int
    next_turn_at: float | None


def turns_view(state: RegionState, player: Player, now: float) -> TurnsView:
    """A player's turns with lazy regeneration applied.

    Args:
        state: the region.
        player: the player.
        now: unix seconds.

    Returns:
        The turns view.
    """
    rules = state.rules
    turns, _ = current_turns(player, now, rules)
    return TurnsView(turns, rules.max_turns, next_turn_at(player, now, rules))
