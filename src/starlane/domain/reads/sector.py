"""What a viewer sees of a sector: warps, port, planets, pirates, other ships, gate.

:func:`sector_view` applies fog of war (:mod:`starlane.domain.reads.fog`) and answers None for
a sector the viewer may not see; :func:`sector_contents` builds the view of a sector the
caller already knows the viewer may see (the sector a player has just moved into).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict

from starlane.domain.combat import pirate_present, pirate_strength
from starlane.domain.data import PORT_CLASSES, GameRules
from starlane.domain.model import GateLink, Pirate, Player, Port, Region, RegionState, Sector
from starlane.domain.reads.fog import can_see_sector
from starlane.domain.routes import warp_cost


class WarpView(TypedDict):
    """A warp out of a sector.

    Attributes:
        to_sector_id: the sector it leads to.
        turn_cost: turns for a ship of 1 move turn (1, +1 per hazard end; 1 for a sector
            outside the region); the ship's ``move_turns`` multiplies it.
        discovered: the viewer has discovered the destination.
    """

    to_sector_id: int
    turn_cost: int
    discovered: bool


class PortSummaryView(TypedDict):
    """A port seen from its sector: identity and what it buys and sells.

    Attributes:
        id, name: the port (its id is its sector's id).
        port_class, class_code: class number 0-12 and its TradeWars code (``"BBS"``).
        buys, sells: commodity keys the port buys from and sells to players.
        stardock: the port is a StarDock.
    """

    id: int
    name: str
    port_class: int
    class_code: str
    buys: list[str]
    sells: list[str]
    stardock: bool


class PlanetView(TypedDict):
    """A planet: id, name and class letter."""

    id: int
    name: str
    kind: str


class PirateView(TypedDict):
    """An NPC pirate present in a sector, with its strength now."""

    id: int
    name: str
    fighters: int
    shields: int
    hull: int


class ShipPresentView(TypedDict):
    """Another player's ship in the sector: names, and the player id to target it."""

    player_id: int
    player_name: str
    ship_name: str
    ship_type: str


class GateView(TypedDict):
    """A warp gate to another region.

    Attributes:
        to_region_id, to_sector_id: where it leads.
        toll: credits a passage costs in all (the destination's toll plus the gate's own).
        turn_cost: turns a passage costs.
        to_region_name: the destination region's name (None when unknown to the reader).
        immigration: the destination's policy, ``open``, ``permit`` or ``closed`` (None when
            unknown).
    """

    to_region_id: int
    to_sector_id: int
    toll: int
    turn_cost: int
    to_region_name: str | None
    immigration: str | None


Destinations = Callable[[int], Region | None]
"""``destinations(region_id)``: a region's identity and policy, for gate views (None: unknown)."""


def gate_view(gate: GateLink, rules: GameRules, destinations: Destinations | None) -> GateView:
    """What a gate shows: where it leads, what a passage costs, whom the other side admits.

    Args:
        gate: the gate.
        rules: the rule numbers in force (the passage's turns).
        destinations: looks up the destination region (None: only the gate's own toll known).

    Returns:
        The gate's view.
    """
    dest = None if destinations is None else destinations(gate.to_region_id)
    return {
        "to_region_id": gate.to_region_id,
        "to_sector_id": gate.to_sector_id,
        "toll": gate.toll + (0 if dest is None else dest.policy.gate_toll),
        "turn_cost": rules.gate_turns,
        "to_region_name": None if dest is None else dest.name,
        "immigration": None if dest is None else str(dest.policy.immigration),
    }


class DiscovererView(TypedDict):
    """Who discovered a sector (the first player to enter it).

    Attributes:
        player_id, player_name: the player.
        at: unix seconds of the discovery.
    """

    player_id: int
    player_name: str
    at: float


class SectorView(TypedDict):
    """A sector as a viewer sees it.

    Attributes:
        id, region_id, number: global id, region, number inside the region.
        x, y, z, cluster: coordinates and navigation cluster.
        hazard: ``nebula``, ``asteroids`` or None.
        district: the Nexus district, or None.
        piracy: NPC piracy level 0-5.
        warps: the warps out, in the sector's order.
        port: the port summary, or None.
        planets: planets in the sector.
        pirates: pirates present now (destroyed ones until they respawn are left out).
        ships: the other players' ships in the sector (the viewer's own left out).
        gate: the warp gate here, or None.
        discovered_by: the first player who entered it, or None while nobody has.
    """

    id: int
    region_id: int
    number: int
    x: float
    y: float
    z: float
    cluster: int
    hazard: str | None
    district: str | None
    piracy: int
    warps: list[WarpView]
    port: PortSummaryView | None
    planets: list[PlanetView]
    pirates: list[PirateView]
    ships: list[ShipPresentView]
    gate: GateView | None
    discovered_by: DiscovererView | None


def pirate_in_sight(pirate: Pirate, now: float, rules: GameRules) -> bool:
    """Whether a pirate shows in its sector (and can be attacked) at ``now``.

    Args:
        pirate: the pirate.
        now: unix seconds.
        rules: the rule numbers in force (respawn delay).

    Returns:
        True for a pirate with hull left that was never destroyed, or one respawned since
        its destruction.
    """
    if pirate.destroyed_at is None:
        return pirate.hull > 0
    return pirate_present(pirate, now, rules)


def port_summary(port: Port) -> PortSummaryView:
    """A port in short, as its sector shows it.

    Args:
        port: the port.

    Returns:
        The summary.
    """
    pc = PORT_CLASSES[port.port_class]
    return {
        "id": port.id,
        "name": port.name,
        "port_class": port.port_class,
        "class_code": pc.code,
        "buys": list(pc.buys),
        "sells": list(pc.sells),
        "stardock": pc.stardock,
    }


def sector_contents(
    state: RegionState,
    sector: Sector,
    viewer: Player | None,
    now: float,
    destinations: Destinations | None = None,
) -> SectorView:
    """A sector's view, without the fog-of-war check (see :func:`sector_view`).

    Args:
        state: the region holding the sector.
        sector: the sector.
        viewer: the viewing player (discovered warps, their own ship left out), or None.
        now: unix seconds (pirate respawns).
        destinations: looks up the region a gate leads to (its name, toll and policy).

    Returns:
        The sector view.
    """
    sid = sector.id
    sectors = state.sectors
    explored = viewer.explored if viewer is not None else ()
    viewer_id = viewer.id if viewer is not None else None
    rules = state.rules
    warps: list[WarpView] = [
        {
            "to_sector_id": w,
            "turn_cost": warp_cost(state, sid, w) if w in sectors else 1,
            "discovered": w in explored,
        }
        for w in sector.warps
    ]
    port = state.ports.get(sid)
    planets: list[PlanetView] = [
        {"id": p.id, "name": p.name, "kind": p.kind}
        for pid in sector.planet_ids
        if (p := state.planets.get(pid)) is not None
    ]
    pirates: list[PirateView] = [
        {
            "id": p.id,
            "name": p.name,
            "fighters": strength.fighters,
            "shields": strength.shields,
            "hull": strength.hull,
        }
        for p in state.pirates_in(sid)
        if pirate_in_sight(p, now, rules)
        for strength in (pirate_strength(p, now, rules),)
    ]
    ships: list[ShipPresentView] = [
        {
            "player_id": p.id,
            "player_name": p.name,
            "ship_name": p.ship.name,
            "ship_type": p.ship.type,
        }
        for p in state.players_in(sid)
        if p.id != viewer_id
    ]
    gate = sector.gate
    return {
        "id": sid,
        "region_id": sector.region_id,
        "number": sector.number,
        "x": sector.x,
        "y": sector.y,
        "z": sector.z,
        "cluster": sector.cluster,
        "hazard": None if sector.hazard is None else str(sector.hazard),
        "district": sector.district,
        "piracy": sector.piracy,
        "warps": warps,
        "port": None if port is None else port_summary(port),
        "planets": planets,
        "pirates": pirates,
        "ships": ships,
        "gate": None if gate is None else gate_view(gate, rules, destinations),
        "discovered_by": None
        if (found := state.region.discoveries.get(sid)) is None
        else {"player_id": found.player_id, "player_name": found.player_name, "at": found.at},
    }


def sector_view(
    state: RegionState,
    sector_id: int,
    viewer: Player | None,
    *,
    admin: bool,
    now: float,
    destinations: Destinations | None = None,
) -> SectorView | None:
    """A sector as a viewer sees it, under fog of war.

    Args:
        state: the region holding the sector.
        sector_id: global sector id.
        viewer: the viewing player, or None (an admin who has not entered the galaxy).
        admin: the viewer is an admin (sees every sector).
        now: unix seconds (pirate respawns).
        destinations: looks up the region a gate leads to (its name, toll and policy).

    Returns:
        The sector view; None when the sector is not in ``state`` or the viewer may not see
        it (the two are not told apart, so fog hides which sectors exist).
    """
    sector = state.sectors.get(sector_id)
    if sector is None or not can_see_sector(viewer, sector_id, admin=admin):
        return None
    return sector_contents(state, sector, viewer, now, destinations)


def scan_neighbours(state: RegionState, player: Player, now: float) -> list[SectorView]:
    """The sectors next to a player's sector that the player may see, as a scan lists them.

    Args:
        state: the region the player is in.
        player: the player (after the scan: every neighbour is discovered).
        now: unix seconds.

    Returns:
        One view per warp out of the player's sector, in the sector's warp order; warps to
        sectors outside the region or not discovered are left out.
    """
    here = state.sectors[player.sector_id]
    out: list[SectorView] = []
    for w in here.warps:
        view = sector_view(state, w, player, admin=False, now=now)
        if view is not None:
            out.append(view)
    return out
