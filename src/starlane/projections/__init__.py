"""Read models (projections) built from the event stream.

- :class:`Projection`, :class:`ProjectionRunner` (``projections.base``): the framework.
- :class:`PlayerViewProjection` (``player_view`` table): each player's current state.
- :class:`ActivityProjection` (``activity`` table): recent activity, one row per event.
- :class:`RegionHourlyProjection` (``region_hourly`` table): each region's traffic and trade
  per clock hour.
"""

from __future__ import annotations

from starlane.projections.activity import ActivityProjection
from starlane.projections.base import Projection, ProjectionRunner
from starlane.projections.player_view import (
    PLAYER_VIEW_HANDLERS,
    PlayerViewProjection,
    register_player_view_handler,
)
from starlane.projections.region_hourly import RegionHourlyProjection

__all__ = [
    "PLAYER_VIEW_HANDLERS",
    "ActivityProjection",
    "PlayerViewProjection",
    "Projection",
    "ProjectionRunner",
    "RegionHourlyProjection",
    "register_player_view_handler",
]
