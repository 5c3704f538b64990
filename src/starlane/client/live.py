"""The WebSocket side of the API client: live events and low-overhead game commands.

Protocol (``api/schemas.py``: ``WsRequest``, ``WsReply``, ``WsEvent``): the client sends
``{"id": "7", "op": "move", "args": {"to_sector_id": 12}}`` and gets
``{"type": "reply", "id": "7", "ok": true, "result": {...}}`` (or ``ok: false`` with an RFC 9457
``error``); the server pushes ``{"type": "event", "channel": "sector", "event": {...}, ...}``
for the subscribed channels. Messages ready together arrive as one ``{"type": "batch",
"messages": [<message>, ...]}`` message; this client handles each item exactly as if it had
arrived alone, in order (a reply resolves its request, anything else goes to
:meth:`next_event`), so callers never see a batch. The first message authenticates:
``{"op": "auth", "args": {"token": ...}}``.

Usage::

    async with LiveConnection.connect("http://127.0.0.1:8000", token) as live:
        result = await live.request("move", to_sector_id=12)
        event = await live.next_event(timeout=1.0)
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from starlane.client.api import API_PREFIX, JSON, ApiError

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def ws_url(base_url: str) -> str:
    """The WebSocket URL of a server.

    Args:
        base_url: the server's HTTP root (``http://host:port``).

    Returns:
        ``ws://host:port/api/v1/ws`` (``wss://`` for ``https://``).
    """
    base = base_url.rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base[len("https://") :]
    elif base.startswith("http://"):
        base = "ws://" + base[len("http://") :]
    return f"{base}{API_PREFIX}/ws"


def reply_error(error: object) -> ApiError:
    """The :class:`ApiError` of a refused operation's problem (a reply's ``error``).

    Args:
        error: the RFC 9457 problem (``status``, ``code``, ``detail``, ``context``) or None.

    Returns:
        The error to raise, ``ws_error`` when the problem has no code.
    """
    error = error if isinstance(error, dict) else {}
    return ApiError(
        int(error.get("status") or 0),
        str(error.get("code") or "ws_error"),
        str(error.get("detail") or ""),
        retry_after=(error.get("context") or {}).get("retry_after"),
        body=error,
    )


class LiveConnection:
    """One authenticated WebSocket connection.

    Replies are matched to requests by id; every other message (events, notices) goes to a
    bounded queue read with :meth:`next_event`. The items of a ``batch`` message are handled
    one by one, in order, as if each had arrived alone. When that queue is full the oldest
    message is dropped (a client that does not read events must not stall its own replies).

    Args:
        ws: an open WebSocket connection.
        event_queue_size: most undelivered events kept.
    """

    def __init__(self, ws: ClientConnection, *, event_queue_size: int = 1_000) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self._pending: dict[str, asyncio.Future[JSON]] = {}
        self.events: asyncio.Queue[JSON] = asyncio.Queue(maxsize=event_queue_size)
        self.dropped_events = 0
        self.close_reason: str | None = None
        self._reader = asyncio.create_task(self._read_loop())

    @classmethod
    async def open(
        cls, base_url: str, token: str, *, event_queue_size: int = 1_000, timeout: float = 10.0
    ) -> LiveConnection:
        """Connect and authenticate.

        Args:
            base_url: the server's HTTP root.
            token: a JWT access token.
            event_queue_size: most undelivered events kept.
            timeout: seconds to wait for the connection and the auth reply.

        Returns:
            The authenticated connection.

        Raises:
            ApiError: the server refused the connection or the token.
        """
        try:
            ws = await asyncio.wait_for(
                connect(ws_url(base_url), max_size=2**22, open_timeout=timeout), timeout
            )
        except (OSError, TimeoutError) as exc:
            raise ApiError(0, "connection_error", str(exc)) from exc
        except Exception as exc:  # websockets' handshake errors (e.g. 429 on connect)
            status = getattr(getattr(exc, "response", None), "status_code", 0) or 0
            code = "rate_limited" if status == 429 else "ws_handshake_failed"
            raise ApiError(status, code, str(exc)) from exc
        live = cls(ws, event_queue_size=event_queue_size)
        try:
            await live.request("auth", timeout=timeout, token=token)
        except BaseException:
            await live.close()
            raise
        return live

    @classmethod
    def connect(cls, base_url: str, token: str, **kwargs: Any) -> _LiveContext:
        """Context-manager form of :meth:`open` (closes the connection on exit).

        Args:
            base_url: the server's HTTP root.
            token: a JWT access token.
            **kwargs: passed to :meth:`open`.

        Returns:
            An async context manager yielding the connection.
        """
        return _LiveContext(cls.open(base_url, token, **kwargs))

    async def request(self, op: str, *, timeout: float = 10.0, **args: Any) -> Any:
        """Send one operation and wait for its reply.

        Args:
            op: an operation of ``WS_OPS`` (``"move"``, ``"trade"``, ``"subscribe"``...).
            timeout: seconds to wait for the reply.
            **args: the operation's arguments (the fields of the matching REST body).

        Returns:
            The reply's ``result``.

        Raises:
            ApiError: the server refused the operation (``code`` from its problem), the
                connection closed (``connection_closed``) or no reply came in time
                (``timeout``).
        """
        request_id = str(next(self._ids))
        future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await self._ws.send(_encode({"id": request_id, "op": op, "args": args}).decode())
            reply = await asyncio.wait_for(future, timeout)
        except ConnectionClosed as exc:
            raise ApiError(0, "connection_closed", self.close_reason or str(exc)) from exc
        except TimeoutError as exc:
            raise ApiError(0, "timeout", f"no reply to {op} within {timeout} s") from exc
        finally:
            self._pending.pop(request_id, None)
        if reply.get("ok"):
            return reply.get("result")
        raise reply_error(reply.get("error"))

    async def subscribe(self, channel: str) -> Any:
        """Subscribe to a channel (``player``, ``sector``, ``region``, ``admin``).

        Args:
            channel: the channel name.

        Returns:
            The server's reply result.
        """
        return await self.request("subscribe", channel=channel)

    async def next_event(self, timeout: float | None = None) -> JSON | None:
        """The next pushed message.

        Args:
            timeout: seconds to wait; None waits forever.

        Returns:
            The message, or None when none came in time or the connection closed.
        """
        if self._reader.done() and self.events.empty():
            return None
        try:
            return await asyncio.wait_for(self.events.get(), timeout)
        except TimeoutError:
            return None

    @property
    def closed(self) -> bool:
        """Whether the connection is closed."""
        return self._reader.done()

    async def close(self) -> None:
        """Close the connection and fail every pending request."""
        with contextlib.suppress(Exception):
            await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader

    async def _read_loop(self) -> None:
        try:
            async for raw in self._ws:
                message = _decode(raw)
                if not isinstance(message, dict):
                    continue
                if message.get("type") == "batch" and isinstance(message.get("messages"), list):
                    for item in message["messages"]:
                        if isinstance(item, dict):
                            self._dispatch(item)
                    continue
                self._dispatch(message)
        except ConnectionClosed as exc:
            self.close_reason = exc.rcvd.reason if exc.rcvd else None
        finally:
            if self._ws.close_reason and not self.close_reason:
                self.close_reason = self._ws.close_reason
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(
                        ApiError(0, "connection_closed", self.close_reason or "closed")
                    )

    def _dispatch(self, message: JSON) -> None:
        """Resolve a reply's request, or queue any other message for :meth:`next_event`."""
        if message.get("type") == "reply":
            future = self._pending.get(str(message.get("id")))
            if future is not None and not future.done():
                future.set_result(message)
            return
        self._queue_event(message)

    def _queue_event(self, message: JSON) -> None:
        if self.events.full():
            self.events.get_nowait()
            self.dropped_events += 1
        self.events.put_nowait(message)


class _LiveContext:
    def __init__(self, opener: Any) -> None:
        self._opener = opener
        self._live: LiveConnection | None = None

    async def __aenter__(self) -> LiveConnection:
        self._live = await self._opener
        return self._live

    async def __aexit__(self, *exc: object) -> None:
        if self._live is not None:
            await self._live.close()
