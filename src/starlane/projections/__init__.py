"""Read models (projections) built from the event stream.

- :class:`Projection`, :class:`ProjectionRunner` (``projections.base``): the framework.
- :class:`PlayerViewProjection` (``player_view`` table): each player's current state.
- :class:`ActivityProjection` (``activity`` table): recent activity, one row per event.
"""

from __future__ import annotations

from starlane.projections.activity import ActivityProjection
from starlane.projections.base import Projection, ProjectionRunner
from starlane.projections.player_view import (
    PLAYER_VIEW_HANDLERS,
    PlayerViewProjection,
    register_player_view_handler,
)

__all__ = [
    "PLAYER_VIEW_HANDLERS",
    "ActivityProjection",
    "PlayerViewProjection",
    "Projection",
    "ProjectionRunner",
    "register_player_view_handler",
]
