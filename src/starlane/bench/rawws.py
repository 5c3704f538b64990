"""A lean WebSocket client for the load generator: the ``websockets`` sans-I/O protocol over an
asyncio transport.

The game client's :class:`~starlane.client.live.LiveConnection` runs on the ``websockets``
asyncio connection: a reader task, an event queue, a lock per send and ``wait_for`` per
request. Fine for a player; on a 2-core machine whose other core runs the server, the load
generator then costs about as much CPU per action as the server and measures itself. This
client keeps the same protocol and library (handshake, framing, masking, ping/pong and close
are ``websockets.client.ClientProtocol``'s) and drops the rest: no task of its own, replies
resolve their request's future straight from ``data_received``, pushed events are counted and
dropped. It is only used by the benchmark.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any, cast

import msgspec
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

from starlane.client.api import ApiError
from starlane.client.live import reply_error, ws_url

_encode = msgspec.json.Encoder().encode
_DATA_OPCODES = (Opcode.TEXT, Opcode.CONT)
_decode = msgspec.json.Decoder().decode


def _expire(future: asyncio.Future[dict[str, Any]], op: str, timeout: float) -> None:
    if not future.done():
        future.set_exception(ApiError(0, "timeout", f"no reply to {op} within {timeout} s"))


class RawWebSocket(asyncio.Protocol):
    """One authenticated WebSocket connection to the game server (benchmark use only).

    Protocol as :class:`~starlane.client.live.LiveConnection`: requests
    ``{"id", "op", "args"}``, replies ``{"type": "reply", "id", "ok", "result"|"error"}``,
    ``batch`` messages unpacked; an ``error`` message (the server refusing the connection)
    fails the pending requests with its code; anything else only bumps :attr:`events`.
    Open it with :meth:`open`.

    Args:
        uri: the ``ws://`` URL of the server's WebSocket endpoint.
    """

    def __init__(self, uri: str) -> None:
        self._protocol = ClientProtocol(parse_uri(uri), max_size=2**22)
        self._transport: asyncio.Transport | None = None
        loop = asyncio.get_running_loop()
        self._opened: asyncio.Future[None] = loop.create_future()
        self._closed: asyncio.Future[None] = loop.create_future()
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._fragments: list[bytes] = []
        self.events = 0
        self.close_reason: str | None = None

    @classmethod
    async def open(cls, base_url: str, token: str, *, timeout: float = 10.0) -> RawWebSocket:
        """Connect, complete the WebSocket handshake and authenticate.

        Args:
            base_url: the server's HTTP root (``http://host:port``, no TLS).
            token: a JWT access token.
            timeout: seconds for the connection, the handshake and the auth reply.

        Returns:
            The authenticated connection.

        Raises:
            ApiError: ``connection_error`` (TCP), ``ws_handshake_failed`` (status in
                ``status``), ``timeout``, or the server's refusal of the token.
        """
        uri = ws_url(base_url)
        parsed = parse_uri(uri)
        if parsed.secure:
            raise ApiError(0, "connection_error", "the benchmark client speaks plain ws:// only")
        loop = asyncio.get_running_loop()
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(lambda: cls(uri), parsed.host, parsed.port), timeout
            )
        except (OSError, TimeoutError) as exc:
            raise ApiError(0, "connection_error", str(exc) or type(exc).__name__) from exc
        try:
            try:
                await asyncio.wait_for(asyncio.shield(conn._opened), timeout)
            except (OSError, TimeoutError) as exc:
                raise ApiError(0, "connection_error", str(exc) or type(exc).__name__) from exc
            await conn.request("auth", timeout=timeout, token=token)
        except BaseException:
            conn.abort()
            raise
        return conn

    # --- requests ---------------------------------------------------------------------------
    async def request(self, op: str, *, timeout: float = 10.0, **args: Any) -> Any:
        """Send one operation and wait for its reply.

        Args:
            op: the operation (``move``, ``trade``, ``me``...).
            timeout: seconds to wait for the reply.
            **args: its arguments.

        Returns:
            The reply's ``result``.

        Raises:
            ApiError: the server refused the operation (its problem's ``code``), the
                connection is closed (``connection_closed``, status 0) or no reply came in time
                (``timeout``, status 0).
        """
        transport = self._transport
        protocol = self._protocol
        if transport is None or transport.is_closing() or protocol.state is not State.OPEN:
            raise ApiError(0, "connection_closed", self.close_reason or "closed")
        request_id = str(next(self._ids))
        loop = self._opened.get_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._pending[request_id] = future
        protocol.send_text(_encode({"id": request_id, "op": op, "args": args}))
        transport.write(b"".join(protocol.data_to_send()))
        # a timer handle, cancelled with the reply: cheaper than wait_for's task machinery
        expiry = loop.call_later(timeout, _expire, future, op, timeout)
        try:
            reply = await future
        finally:
            expiry.cancel()
            self._pending.pop(request_id, None)
        if reply.get("ok"):
            return reply.get("result")
        raise reply_error(reply.get("error"))

    async def close(self, timeout: float = 1.0) -> None:
        """Close: the closing handshake, then the TCP connection (at the latest after
        ``timeout`` seconds).

        Args:
            timeout: seconds to wait for the server's close frame.
        """
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        try:
            self._protocol.send_close(1000)
            transport.write(b"".join(self._protocol.data_to_send()))
            await asyncio.wait_for(asyncio.shield(self._closed), timeout)
        except Exception:  # no answer in time, or the protocol was already closing
            pass
        finally:
            transport.close()

    def abort(self) -> None:
        """Drop the TCP connection at once (no closing handshake)."""
        if self._transport is not None:
            self._transport.abort()

    # --- asyncio.Protocol -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Send the handshake request."""
        # uvloop's transports are not asyncio.Transport subclasses, but have its interface
        self._transport = cast(asyncio.Transport, transport)
        protocol = self._protocol
        protocol.send_request(protocol.connect())
        self._transport.write(b"".join(protocol.data_to_send()))

    def data_received(self, data: bytes) -> None:
        """Feed the protocol; resolve replies; answer pings and closes."""
        protocol = self._protocol
        protocol.receive_data(data)
        for event in protocol.events_received():
            if isinstance(event, Response):
                self._handshake_done(event)
            elif isinstance(event, Frame) and event.opcode in _DATA_OPCODES:
                self._fragments.append(bytes(event.data))
                if event.fin:
                    raw = b"".join(self._fragments)
                    self._fragments = []
                    self._message(raw)
        outgoing = protocol.data_to_send()  # pongs, close frames
        transport = self._transport
        if outgoing and transport is not None and not transport.is_closing():
            transport.write(b"".join(outgoing))
        if protocol.close_expected() and transport is not None:
            if protocol.close_rcvd is not None:
                self.close_reason = protocol.close_rcvd.reason or str(protocol.close_rcvd.code)
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        """Fail the handshake and every pending request."""
        reason = self.close_reason or (str(exc) if exc else "closed")
        self.close_reason = reason
        if not self._opened.done():
            self._opened.set_exception(ConnectionError(reason))
        if not self._closed.done():
            self._closed.set_result(None)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ApiError(0, "connection_closed", reason))

    def _handshake_done(self, response: Response) -> None:
        if self._opened.done():
            return
        failure = self._protocol.handshake_exc
        if failure is None:
            self._opened.set_result(None)
            return
        status = response.status_code
        code = "rate_limited" if status == 429 else "ws_handshake_failed"
        self._opened.set_exception(ApiError(status, code, str(failure)))

    def _message(self, raw: bytes) -> None:
        message = _decode(raw)
        if not isinstance(message, dict):
            return
        kind = message.get("type")
        if kind == "batch":
            for item in message.get("messages") or ():
                if isinstance(item, dict):
                    self._dispatch(item, item.get("type"))
            return
        self._dispatch(message, kind)

    def _dispatch(self, message: dict[str, Any], kind: object) -> None:
        if kind == "reply":
            future = self._pending.get(str(message.get("id")))
            if future is not None and not future.done():
                future.set_result(message)
            return
        if kind == "error":  # the server refuses the connection (bad token...) and closes it
            refusal = reply_error(message.get("error"))
            self.close_reason = refusal.code
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(refusal)
            return
        self.events += 1
