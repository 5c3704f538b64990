"""The game's REST routes, built from the command declarations (:mod:`starlane.api.commands`).

One route per declared command (:data:`starlane.api.game_commands.GAME_COMMANDS`, or the table
an app is created with): ``/api/v1/me`` (the caller's player: status, movement, autopilot,
scan, combat), ``/api/v1/ports`` and ``/api/v1/stardock`` (markets, trades, the StarDock),
``/api/v1/sectors`` and ``/api/v1/regions`` (the map, with fog of war).
"""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute

from starlane.api.commands import CommandTable, rest_routes
from starlane.api.deps import Caller, GameCaller
from starlane.api.game import GameApi
from starlane.api.schemas import Problem

PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "missing, invalid or expired access token"},
    403: {"model": Problem, "description": "not allowed"},
    404: {"model": Problem, "description": "not found"},
    409: {"model": Problem, "description": "refused in the current state"},
    422: {"model": Problem, "description": "invalid input"},
    429: {"model": Problem, "description": "rate limited"},
    503: {"model": Problem, "description": "engine busy or unavailable: retry"},
}
"""The error responses every game route documents."""


def _game(caller: Caller) -> GameApi:
    return caller.services.game


def game_routes(table: CommandTable) -> list[APIRoute]:
    """The REST routes of the declared commands, in declaration order.

    Args:
        table: the app's declared commands.

    Returns:
        The routes, authenticated by bearer token (:func:`starlane.api.deps.current_caller`).
    """
    return rest_routes(table, caller=GameCaller, game_of=_game, responses=PROBLEMS)
