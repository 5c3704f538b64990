"""Regions: their summaries, a page at a time, and a region's map under fog of war.

Pages are ordered by id and resume "after" the last id of the previous page; the API wraps
that id in its opaque cursor.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict

from starlane.domain.model import Player, Region, RegionState, Sector
from starlane.domain.reads.diplomacy import DiplomacyView
from starlane.domain.reads.fog import visible_sector_ids
from starlane.domain.routes import warp_cost


class RegionPolicyView(TypedDict):
    """A region's governor-set policies (tax and multipliers as fractions and factors)."""

    tax_rate: float
    regen_multiplier: float
    price_multipliers: dict[str, float]
    immigration: str
    pvp: bool
    gate_toll: int
    starting_credits: int


class RegionView(TypedDict):
    """A region's summary.

    Attributes:
        id, kind, name, description: identity (``kind``: ``terran``, ``nexus``, ``player``).
        sector_count, first_sector_id: its sectors are ``first_sector_id`` onwards.
        governor_id: the governing player, None for platform regions.
        policies: the governor's rules.
        active: False while an operator has suspended it.
        opened_at: unix seconds it opened.
        status: ``active``, ``suspended`` or ``closed``.
        treasury: credits from taxes and tolls; None unless the viewer is an admin or its
            governor.
        population: players in the region now (0 for a closed region whose engine no
            longer runs).
        gate_toll: credits charged for entering through one of its gates (the policy's
            ``gate_toll``); None for a closed region whose engine no longer runs.
        diplomacy: its stances and open trade agreements (:mod:`starlane.domain.reads.diplomacy`),
            in the one-region view only; None in lists.
    """

    id: int
    kind: str
    name: str
    description: str
    sector_count: int
    first_sector_id: int
    governor_id: int | None
    policies: RegionPolicyView | None
    active: bool
    opened_at: float
    status: str
    treasury: int | None
    population: int
    gate_toll: int | None
    diplomacy: DiplomacyView | None


class RegionPage(TypedDict):
    """One page of region summaries; ``next_after`` is the id to resume after, or None."""

    items: list[RegionView]
    next_after: int | None


class MapWarpView(TypedDict):
    """A warp on a region map (``turn_cost`` as in a sector's warps)."""

    to_sector_id: int
    turn_cost: int


class MapSectorView(TypedDict):
    """A sector as a map entry: place, hazard, port class (None without a port) and warps."""

    id: int
    number: int
    x: float
    y: float
    z: float
    cluster: int
    hazard: str | None
    port_class: int | None
    warps: list[MapWarpView]


class RegionMapPage(TypedDict):
    """One page of the sectors of a region a viewer may see.

    Attributes:
        region_id: the region.
        total_visible: how many of its sectors the viewer may see in all.
        items: this page's sectors, by id.
        next_after: the sector id to resume after, or None on the last page.
    """

    region_id: int
    total_visible: int
    items: list[MapSectorView]
    next_after: int | None


def region_view(region: Region, *, show_treasury: bool = False, population: int = 0) -> RegionView:
    """A region's summary.

    Args:
        region: the region.
        show_treasury: include the treasury (credits): for platform admins and the region's
            governor only; others see None.
        population: players in the region now (``len(RegionState.players)``).

    Returns:
        The summary.
    """
    p = region.policy
    return {
        "id": region.id,
        "kind": str(region.kind),
        "name": region.name,
        "description": region.description,
        "sector_count": region.sector_count,
        "first_sector_id": region.first_sector_id,
        "governor_id": region.governor_id,
        "policies": {
            "tax_rate": p.tax_rate,
            "regen_multiplier": p.regen_multiplier,
            "price_multipliers": dict(p.price_multipliers),
            "immigration": str(p.immigration),
            "pvp": p.pvp,
            "gate_toll": p.gate_toll,
            "starting_credits": p.starting_credits,
        },
        "active": region.active,
        "opened_at": region.opened_at,
        "status": region.status,
        "treasury": region.treasury if show_treasury else None,
        "population": population,
        "gate_toll": p.gate_toll,
        "diplomacy": None,
    }


def closed_region_view(
    region_id: int, kind: str, name: str, sector_count: int, first_sector_id: int, opened_at: float
) -> RegionView:
    """The summary of a closed region whose engine no longer runs (from the catalogue only).

    Its governance died with it: no governor, no policies, no toll, nobody inside.

    Args:
        region_id, kind, name: the catalogue's identity of the region.
        sector_count, first_sector_id: its sectors.
        opened_at: unix seconds it was created.

    Returns:
        The summary, status ``closed``.
    """
    return {
        "id": region_id,
        "kind": kind,
        "name": name,
        "description": "",
        "sector_count": sector_count,
        "first_sector_id": first_sector_id,
        "governor_id": None,
        "policies": None,
        "active": False,
        "opened_at": opened_at,
        "status": "closed",
        "treasury": None,
        "population": 0,
        "gate_toll": None,
        "diplomacy": None,
    }


def region_page(regions: Iterable[Region], *, after: int, limit: int) -> RegionPage:
    """A page of region summaries, by id.

    Args:
        regions: every region, in any order.
        after: list regions with an id above this (0 for the first page).
        limit: most regions on the page (at least 1).

    Returns:
        The page.
    """
    return region_views_page((region_view(r) for r in regions), after=after, limit=limit)


def region_views_page(views: Iterable[RegionView], *, after: int, limit: int) -> RegionPage:
    """A page of region summaries already built (e.g. filtered), by id.

    Args:
        views: the summaries, in any order.
        after: list regions with an id above this (0 for the first page).
        limit: most regions on the page (at least 1).

    Returns:
        The page.
    """
    rest = sorted((v for v in views if v["id"] > after), key=lambda v: v["id"])
    page = rest[:limit]
    return {"items": page, "next_after": page[-1]["id"] if len(rest) > limit else None}


def map_sector(state: RegionState, sector: Sector) -> MapSectorView:
    """A sector as a map entry.

    Args:
        state: the region holding the sector.
        sector: the sector.

    Returns:
        The map entry.
    """
    sid = sector.id
    sectors = state.sectors
    port = state.ports.get(sid)
    return {
        "id": sid,
        "number": sector.number,
        "x": sector.x,
        "y": sector.y,
        "z": sector.z,
        "cluster": sector.cluster,
        "hazard": None if sector.hazard is None else str(sector.hazard),
        "port_class": None if port is None else port.port_class,
        "warps": [
            {"to_sector_id": w, "turn_cost": warp_cost(state, sid, w) if w in sectors else 1}
            for w in sector.warps
        ],
    }


def region_map_page(
    state: RegionState, viewer: Player | None, *, admin: bool, after: int, limit: int
) -> RegionMapPage:
    """A page of the sectors of a region a viewer may see (fog of war), by id.

    Args:
        state: the region.
        viewer: the viewing player, or None.
        admin: the viewer is an admin (sees every sector).
        after: list sectors with an id above this (0 for the first page).
        limit: most sectors on the page (at least 1).

    Returns:
        The page: a non-admin sees exactly the region's sectors among those they discovered
        and the one they are in.
    """
    ids = visible_sector_ids(state, viewer, admin=admin)
    rest = [sid for sid in ids if sid > after]
    page = rest[:limit]
    return {
        "region_id": state.region.id,
        "total_visible": len(ids),
        "items": [map_sector(state, state.sectors[sid]) for sid in page],
        "next_after": page[-1] if len(rest) > limit else None,
    }
