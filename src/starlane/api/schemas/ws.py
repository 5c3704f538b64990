"""WebSocket messages (``/api/v1/ws``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from starlane.api.schemas.common import (
    ApiModel,
    Id,
    Problem,
    RequestModel,
)

# --- WebSocket ----------------------------------------------------------------------------
WS_CHANNELS = ("player", "sector", "region", "admin", "guild")
"""Channels: own events, current sector, current region's announcements, everything (admins),
the changes of one's guild (members, roles, treasury; subscribe to it)."""


class WsRequest(RequestModel):
    """A client message on the WebSocket: ``{"id": "...", "op": "move", "args": {...}}``.

    ``op`` is ``auth``, ``ping``, ``subscribe``, ``unsubscribe`` or the op of a declared game
    command (``docs/api.md``; a server checks it against its own table,
    :class:`starlane.api.commands.CommandTable`). ``args`` takes the command's path parameters
    and the fields of its REST body or query (``move``: :class:`MoveRequest`; ``trade``:
    ``port_id`` and :class:`TradeRequest`; ``quote``: ``port_id`` and :class:`QuoteQuery`);
    ``subscribe``/``unsubscribe``: ``{"channel": ...}``; ``auth``: ``{"token": ...}``.
    """

    id: str | None = Field(default=None, max_length=64)
    op: str
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
