"""Read views: domain state turned into API response objects (:mod:`starlane.api.schemas`).

Pure functions of a region's state, a player and ``now``; pricing, turn regeneration and warp
costs come from the domain modules (one rule, one function). Fog of war lives here too: a
sector is visible to a player who is in it or has discovered it, and to admins.
"""

from __future__ import annotations

from typing import Any

from starlane.api import schemas as s
from starlane.domain import economy, movement, routes
from starlane.domain.data import COMMODITIES, PORT_CLASSES, SHIP_TYPES, Side
from starlane.domain.model import Pirate, Player, Port, Region, RegionState, Sector, Ship
from starlane.domain.stardock import trade_in_value


def sector_visible(player: Player | None, sector_id: int, *, admin: bool) -> bool:
    """Whether a viewer may see a sector (fog of war).

    Args:
        player: the viewer's player, None if they have not entered the galaxy.
        sector_id: the sector.
        admin: whether the viewer is an admin (admins see everything).

    Returns:
        True for admins, for the player's current sector and for sectors they discovered.
    """
    if admin:
        return True
    if player is None:
        return False
    return sector_id == player.sector_id or sector_id in player.explored


def ship_out(ship: Ship) -> s.ShipOut:
    """A ship with its type's stats.

    Args:
        ship: the ship.

    Returns:
        The response object.
    """
    return s.ShipOut.model_validate(ship_data(ship))


def ship_data(ship: Ship) -> dict[str, Any]:
    """:func:`ship_out` as plain JSON-ready data (the same fields, not validated).

    Args:
        ship: the ship.

    Returns:
        A dict of :class:`~starlane.api.schemas.ShipOut`'s fields.
    """
    spec = ship.spec
    return dict(
        type=ship.type,
        type_name=spec.name,
        name=ship.name,
        holds=ship.holds,
        free_holds=ship.free_holds,
        fighters=ship.fighters,
        shields=ship.shields,
        hull=ship.hull,
        max_fighters=spec.max_fighters,
        max_holds=spec.max_holds,
        move_turns=spec.move_turns,
        cargo={k: v for k, v in ship.cargo.items() if v > 0},
    )


def me_data(
    player: Player, state: RegionState, roles: tuple[str, ...], now: float
) -> dict[str, Any]:
    """The caller's player as ``GET /me`` shows it, as plain JSON-ready data (encoded as is
    over REST and the WebSocket; :class:`~starlane.api.schemas.MeOut` documents it).

    Args:
        player: the player.
        state: the region the player is in.
        roles: the caller's roles.
        now: unix seconds.

    Returns:
        A dict of :class:`~starlane.api.schemas.MeOut`'s fields.
    """
    rules = state.rules
    turns, _ = movement.current_turns(player, now, rules)
    sector = state.sectors.get(player.sector_id)
    return dict(
        id=player.id,
        name=player.name,
        roles=list(roles),
        membership=str(player.membership),
        credits=player.credits,
        turns=dict(
            available=turns,
            max=rules.max_turns,
            per_day=rules.turns_per_day,
            next_at=movement.next_turn_at(player, now, rules),
        ),
        region_id=player.region_id,
        region_name=state.region.name,
        sector_id=player.sector_id,
        sector_number=sector.number if sector else 0,
        ship=ship_data(player.ship),
        explored_count=len(player.explored),
    )


def pirate_alive(pirate: Pirate, state: RegionState, now: float) -> bool:
    """Whether an NPC pirate is present (alive, or respawned since its destruction).

    Args:
        pirate: the pirate.
        state: its region.
        now: unix seconds.

    Returns:
        True when it can be seen and attacked.
    """
    if pirate.destroyed_at is None:
        return pirate.hull > 0
    return now >= pirate.destroyed_at + state.rules.pirate_respawn_seconds


def port_summary_data(port: Port) -> dict[str, Any]:
    """A port in short, as plain JSON-ready data.

    Args:
        port: the port.

    Returns:
        A dict of :class:`~starlane.api.schemas.PortSummary`'s fields.
    """
    pc = PORT_CLASSES[port.port_class]
    return dict(
        id=port.id,
        name=port.name,
        port_class=port.port_class,
        class_code=pc.code,
        buys=list(pc.buys),
        sells=list(pc.sells),
        stardock=pc.stardock,
    )


def sector_out(
    sector: Sector, state: RegionState, viewer: Player | None, now: float
) -> s.SectorOut:
    """A sector with its warps, port, planets, pirates and the ships present.

    Args:
        sector: the sector.
        state: its region.
        viewer: the viewing player (to mark discovered warps and leave them out of the ships).
        now: unix seconds.

    Returns:
        The response object.
    """
    # Validated from plain data in ONE pydantic call (the nested warps, ships... are made in
    # pydantic-core): one model per ship present cost 14% more (25.8 -> 22.2 us with 7 ships).
    return s.SectorOut.model_validate(sector_data(sector, state, viewer, now))


def sector_data(
    sector: Sector, state: RegionState, viewer: Player | None, now: float
) -> dict[str, Any]:
    """:func:`sector_out` as plain JSON-ready data (the same fields, not validated): every
    move reply carries this view, encoded without building the models.

    Args:
        sector: the sector.
        state: its region.
        viewer: the viewing player.
        now: unix seconds.

    Returns:
        A dict of :class:`~starlane.api.schemas.SectorOut`'s fields.
    """
    explored = viewer.explored if viewer else set()
    warps = [
        dict(
            to_sector_id=w,
            turn_cost=routes.warp_cost(state, sector.id, w) if w in state.sectors else 1,
            discovered=w in explored,
        )
        for w in sector.warps
    ]
    port = state.ports.get(sector.id)
    planets = [
        dict(id=p.id, name=p.name, kind=p.kind)
        for pid in sector.planet_ids
        if (p := state.planets.get(pid)) is not None
    ]
    pirates = [
        dict(
            id=p.id,
            name=p.name,
            fighters=p.fighters if p.destroyed_at is None else p.max_fighters,
            shields=p.shields if p.destroyed_at is None else p.max_shields,
            hull=p.hull if p.destroyed_at is None else p.max_hull,
        )
        for p in state.pirates_in(sector.id)
        if pirate_alive(p, state, now)
    ]
    ships = [
        dict(player_id=p.id, player_name=p.name, ship_name=p.ship.name, ship_type=p.ship.type)
        for p in state.players_in(sector.id)
        if viewer is None or p.id != viewer.id
    ]
    gate = sector.gate
    return dict(
        id=sector.id,
        region_id=sector.region_id,
        number=sector.number,
        x=sector.x,
        y=sector.y,
        z=sector.z,
        cluster=sector.cluster,
        hazard=str(sector.hazard) if sector.hazard else None,
        district=sector.district,
        piracy=sector.piracy,
        warps=warps,
        port=port_summary_data(port) if port else None,
        planets=planets,
        pirates=pirates,
        ships=ships,
        gate=dict(to_region_id=gate.to_region_id, to_sector_id=gate.to_sector_id, toll=gate.toll)
        if gate
        else None,
    )


def port_out(port: Port, state: RegionState, now: float) -> s.PortOut:
    """A port with the current quantity and unit price of each commodity it trades.

    Args:
        port: the port.
        state: its region.
        now: unix seconds.

    Returns:
        The response object.
    """
    pc = PORT_CLASSES[port.port_class]
    policy = state.region.policy
    stock = economy.settled_stock(port, now, policy.regen_multiplier, state.rules)
    rows = []
    for direction, side, keys in (("sells", Side.BUY, pc.sells), ("buys", Side.SELL, pc.buys)):
        for key in keys:
            holding = port.stock.get(key)
            if holding is None:
                continue
            qty = stock.get(key, holding.quantity)
            price = economy.unit_price(
                key,
                side,
                qty / holding.capacity if holding.capacity else 0.0,
                policy.price_multipliers.get(key, 1.0),
                state.rules,
            )
            rows.append(
                s.PortCommodityOut(
                    commodity=key,
                    name=COMMODITIES[key].name,
                    direction=direction,
                    side=str(side),
                    quantity=int(qty),
                    capacity=holding.capacity,
                    unit_price=round(price, 2),
                )
            )
    return s.PortOut(
        id=port.id,
        sector_id=port.sector_id,
        region_id=port.region_id,
        name=port.name,
        port_class=port.port_class,
        class_code=pc.code,
        class_name=pc.name,
        stardock=pc.stardock,
        commodities=rows,
    )


def catalog_out(ship: Ship, state: RegionState) -> s.StardockCatalog:
    """What a StarDock sells, and the caller's trade-in value.

    Args:
        ship: the caller's current ship.
        state: the region (for the rule numbers).

    Returns:
        The response object.
    """
    rules = state.rules
    ships = [
        s.ShipTypeOut(
            key=t.key,
            name=t.name,
            cost=t.cost,
            holds=t.holds,
            shields=t.shields,
            hull=t.hull,
            fighters=t.fighters,
            max_fighters=t.max_fighters,
            max_holds=t.max_holds,
            move_turns=t.move_turns,
            citizens_only=t.citizens_only,
        )
        for t in SHIP_TYPES.values()
        if t.purchasable
    ]
    hardware = [
        s.HardwareOut(item="fighters", unit_price=rules.fighter_price),
        s.HardwareOut(item="holds", unit_price=rules.hold_price),
        s.HardwareOut(item="shields", unit_price=rules.shield_price),
        s.HardwareOut(item="hull_repair", unit_price=rules.hull_repair_price),
    ]
    return s.StardockCatalog(ships=ships, hardware=hardware, trade_in=trade_in_value(ship, rules))


def region_out(region: Region) -> s.RegionOut:
    """A region's summary.

    Args:
        region: the region.

    Returns:
        The response object.
    """
    p = region.policy
    return s.RegionOut(
        id=region.id,
        kind=str(region.kind),
        name=region.name,
        description=region.description,
        sector_count=region.sector_count,
        first_sector_id=region.first_sector_id,
        governor_id=region.governor_id,
        policies=s.RegionPolicyOut(
            tax_rate=p.tax_rate,
            regen_multiplier=p.regen_multiplier,
            price_multipliers=dict(p.price_multipliers),
            immigration=str(p.immigration),
            pvp=p.pvp,
            gate_toll=p.gate_toll,
            starting_credits=p.starting_credits,
        ),
        active=region.active,
        opened_at=region.opened_at,
    )


def map_sector(sector: Sector, state: RegionState) -> s.MapSector:
    """A sector as a map entry.

    Args:
        sector: the sector.
        state: its region.

    Returns:
        The response object.
    """
    port = state.ports.get(sector.id)
    return s.MapSector(
        id=sector.id,
        number=sector.number,
        x=sector.x,
        y=sector.y,
        z=sector.z,
        cluster=sector.cluster,
        hazard=str(sector.hazard) if sector.hazard else None,
        port_class=port.port_class if port else None,
        warps=[
            s.MapWarp(
                to_sector_id=w,
                turn_cost=routes.warp_cost(state, sector.id, w) if w in state.sectors else 1,
            )
            for w in sector.warps
        ],
    )
