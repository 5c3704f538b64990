"""WebSocket messages (``/api/v1/ws``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from starlane.api.schemas.common import (
    ApiModel,
    Id,
    Problem,
)

# --- WebSocket ----------------------------------------------------------------------------
WS_OPS = (
    "auth",
    "ping",
    "subscribe",
    "unsubscribe",
    "me",
    "sector",
    "move",
    "autopilot",
    "scan",
    "port",
    "quote",
    "trade",
    "attack",
    "buy_ship",
    "buy_fighters",
    "buy_holds",
    "buy_shields",
    "repair_hull",
)
"""Operations a WebSocket client may send (see ``docs/api.md``)."""

WS_CHANNELS = ("player", "sector", "region", "admin")
"""Channels: own events, current sector, current region's announcements, everything (admins)."""


class WsRequest(ApiModel):
    """A client message on the WebSocket: ``{"id": "...", "op": "move", "args": {...}}``.

    ``args`` takes the fields of the matching REST body (``move``: :class:`MoveRequest`;
    ``trade``: :class:`TradeRequest` plus ``port_id``; ``quote``: ``port_id``, ``commodity``,
    ``side``, ``quantity``; ``subscribe``/``unsubscribe``: ``{"channel": ...}``; ``auth``:
    ``{"token": ...}``).
    """

    id: str | None = Field(default=None, max_length=64)
    op: Literal[WS_OPS]  # type: ignore[valid-type]
    args: dict[str, Any] = Field(default_factory=dict)


class WsReply(ApiModel):
    """The server's answer to a :class:`WsRequest`, carrying its ``id``."""

    type: Literal["reply"] = "reply"
    id: str | None
    ok: bool
    result: Any = None
    error: Problem | None = None


class WsEvent(ApiModel):
    """An event pushed by the server.

    Attributes:
        channel: which subscription delivered it.
        position, region_id, seq, actor_id: the event store envelope.
        event: ``{"type": ..., "version": ..., <fields>}`` (see ``domain/events.py``).
    """

    type: Literal["event"] = "event"
    channel: Literal["player", "sector", "region", "admin"]
    position: int
    region_id: Id
    seq: int
    actor_id: Id | None
    event: dict[str, Any]
