"""Fog of war: which sectors a viewer may see.

A player sees the sector they are in and every sector they have discovered (entered, or
scanned from a neighbour); an admin sees every sector. What a player may see of a port, a
quote or a region map follows from the sector it lies in. These are the only functions that
decide it: every read in :mod:`starlane.domain.reads` asks them and answers None for what the
viewer may not see, which callers report as "not found" (so fog also hides which sectors exist).
"""

from __future__ import annotations

from starlane.domain.model import Player, RegionState


def can_see_sector(viewer: Player | None, sector_id: int, *, admin: bool) -> bool:
    """Whether a viewer may see a sector's contents.

    Args:
        viewer: the viewing player; None for an account that has not entered the galaxy.
        sector_id: global sector id (also the id of the port in it).
        admin: the viewer is an admin.

    Returns:
        True for an admin, for the viewer's current sector and for a sector the viewer has
        discovered; False otherwise (and always for a non-admin without a player).
    """
    if admin:
        return True
    if viewer is None:
        return False
    return sector_id == viewer.sector_id or sector_id in viewer.explored


def visible_sector_ids(state: RegionState, viewer: Player | None, *, admin: bool) -> list[int]:
    """The sectors of a region a viewer may see, as a region map lists them.

    Args:
        state: the region.
        viewer: the viewing player, or None.
        admin: the viewer is an admin.

    Returns:
        Global sector ids in ascending order: every sector of the region for an admin;
        otherwise the region's sectors among the viewer's discovered sectors and current
        sector (empty for a non-admin without a player).
    """
    if admin:
        return sorted(state.sectors)
    if viewer is None:
        return []
    sectors = state.sectors
    seen = {sid for sid in viewer.explored if sid in sectors}
    if viewer.sector_id in sectors:
        seen.add(viewer.sector_id)
    return sorted(seen)
