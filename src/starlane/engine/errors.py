"""Errors of the engine layer: the command could not be processed (not a game-rule refusal).

Game-rule refusals are :class:`~starlane.domain.errors.DomainError` subclasses and mean the
rules said no. An :class:`EngineError` means the server could not take or finish the command
right now; each has a stable ``code`` that the API maps to an HTTP status (busy and
unavailable to 503, unknown region and player to 404). A command answered with an
``EngineError`` was *not* stored, so the caller may retry it.
"""

from __future__ import annotations

from typing import ClassVar


class EngineError(Exception):
    """Base class of engine errors.

    Attributes:
        code: stable machine-readable error code.
        kind: the HTTP-ish category (``unavailable`` or ``not_found``).
        detail: a human-readable explanation.
    """

    code: ClassVar[str] = "engine_error"
    kind: ClassVar[str] = "unavailable"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class EngineBusyError(EngineError):
    """The region's command queue is full: retry a little later."""

    code = "engine_busy"


class EngineUnavailableError(EngineError):
    """The region engine is stopped, or recovering after a failed commit: nothing was stored."""

    code = "engine_unavailable"


class UnknownRegionError(EngineError):
    """No region with that id is in the galaxy catalogue."""

    code = "unknown_region"
    kind = "not_found"


class PlayerNotFoundError(EngineError):
    """The player has not entered the galaxy (no region holds them)."""

    code = "player_not_in_galaxy"
    kind = "not_found"
