"""Views the command replies carry: the read models of :mod:`starlane.domain.reads` as the
API sends them.

The reads themselves (``me``, sectors, ports, quotes, the StarDock, regions and maps) and fog
of war live in :mod:`starlane.domain.reads`; the API only encodes them.
"""

from __future__ import annotations

from starlane.api import schemas as s
from starlane.domain import reads
from starlane.domain.model import Player, RegionState, Sector, Ship


def ship_out(ship: Ship) -> s.ShipOut:
    """A ship with its type's stats, as a response object.

    Args:
        ship: the ship.

    Returns:
        The :class:`~starlane.api.schemas.ShipOut`.
    """
    return s.ShipOut.model_validate(reads.ship_view(ship))


def sector_data(
    sector: Sector, state: RegionState, viewer: Player | None, now: float
) -> reads.SectorView:
    """The sector a player has just moved into, as plain JSON-ready data (every move reply
    carries it, encoded without building the models).

    Args:
        sector: the sector (the viewer is in it, so fog of war lets them see it).
        state: its region.
        viewer: the viewing player.
        now: unix seconds.

    Returns:
        A dict of :class:`~starlane.api.schemas.SectorOut`'s fields.
    """
    return reads.sector_contents(state, sector, viewer, now)
