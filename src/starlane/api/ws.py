"""The WebSocket feed and command channel at ``/api/v1/ws``.

Connect with the access token in the upgrade (``Authorization: Bearer <token>`` or
``?token=<token>``), or send ``{"op": "auth", "args": {"token": ...}}`` as the first message:
within ``security.ws_auth_timeout_seconds`` (5 s) and at most
``security.ws_max_auth_frame_bytes`` (4 KiB), else the socket is closed (1008, or 1009 when
too big). Every later message is capped at ``security.ws_max_frame_bytes`` (64 KiB; larger:
closed with 1009 ``message too big``); the server itself (uvicorn's ``ws_max_size``,
:func:`starlane.api.serving.uvicorn_options`) refuses larger frames before buffering them.
One account holds at most ``security.ws_max_sockets_per_account`` sockets (8) and one client
address ``security.ws_max_connections_per_ip`` (64; trusted networks exempt): past either,
the new socket gets an error message and is closed with 1008 and a reason naming the limit.

The server then sends ``{"type": "hello", ...}`` and pushes
events ``{"type": "event", "channel": ..., "event": {...}}`` of the subscribed channels:

- ``player`` (default on): the player's own events, and attacks on them;
- ``sector`` (default on): events in the player's current sector (arrivals, departures,
  trades at the port, combat), following the player as they move;
- ``region`` (default on): region-wide announcements of the player's current region (events
  not tied to a sector);
- ``admin`` (admins only, default off): every event of the galaxy;
- ``forum:<board>`` (default off; ``forum:galaxy``, ``forum:region-<id>``): a forum board's
  new threads and posts, edits, deletions and moderation, as ``{"type": "change", ...}``
  messages (:mod:`starlane.forums.service`).

Clients send ``{"id": "...", "op": "...", "args": {...}}`` and get
``{"type": "reply", "id": ..., "ok": true, "result": ...}`` or ``"ok": false`` with an
``error`` problem document. Besides the connection's own ops (``auth``, ``ping``,
``subscribe``, ``unsubscribe``), the ops are those of the app's declared game commands
(:class:`~starlane.api.commands.CommandTable`), answered as over REST and under the same rate
limit.

One writer task per connection sends everything: replies (queued by the reader), notices
(hello, ping) and events (from the connection's outbox). When it wakes it takes all that is
ready and sends it as one message: a lone message as itself, several as
``{"type": "batch", "messages": [<message>, ...]}`` whose items are exactly the messages that
would otherwise have been sent one by one, in the order they became ready. A command's reply
and the events it caused leave as one message: one frame and one socket write instead of two
or more per game action. This needs no waiting: the region engine resolves a command's future
and then publishes its events in one step, so in the next loop iteration the reader (woken
first) queues the reply before the writer (woken by the events) runs. Events that arrive while
the reader is answering a command (other players' moves in the sector, under load) wait for
that reply and leave with it (:data:`HOLD_EVENTS_SECONDS` at most, checked when the writer
wakes), which spares most event-only messages under load.

Order, per connection: events in the order they were published; replies in the order of the
requests; a reply after the events that its command's commit pushed to this connection.

Each connection has a bounded event buffer (``settings.subscriber_queue_size``); a client that
cannot keep up is closed with code 1013 and the reason ``slow consumer``. Authentication
failures close with 1008. The server sends ``{"type": "ping"}`` every
``settings.ws_heartbeat_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import msgspec
import structlog
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from starlane.api import schemas as s
from starlane.api.auth import Principal
from starlane.api.deps import ServicesDep, client_ip
from starlane.api.errors import ApiError, error_to_problem, problem
from starlane.api.inputs import check_json_depth
from starlane.api.services import Services
from starlane.api.wsfeed import Connection, Outbox, is_forum_channel
from starlane.api.wsmessages import (
    Request,
    decode_json,
    parse_request,
    reply_text,
    validation_problem,
)
from starlane.api.wspush import compose

router = APIRouter()
_log = structlog.get_logger("starlane.api.ws")

CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_TRY_AGAIN = 1013


class _Connection(Connection):
    """One authenticated WebSocket client (see :class:`~starlane.api.wsfeed.Connection`).

    Only the writer task (:func:`_writer`) sends once the connection is open; the reader and
    the heartbeat queue their messages with :meth:`queue`.

    Attributes:
        queued: ``(text, kind, mark)`` messages waiting for the writer: JSON text, the counter
            kind (``reply`` or ``other``) and the outbox's ``offered`` count when it was queued
            (the events offered before it go before it).
        drained: set whenever the writer took the queued messages (the reader waits on it when
            :data:`MAX_QUEUED` messages are waiting, so a client that does not read is slowed
            down as before instead of piling up replies).
    """

    def __init__(self, ws: WebSocket, principal: Principal, services: Services) -> None:
        super().__init__(ws, principal, services)
        self.queued: list[tuple[str, str, int]] = []
        self.drained = asyncio.Event()
        self.answering_since: float | None = None

    def queue(self, text: str, kind: str) -> None:
        """Hand one message to the writer (never waits).

        Args:
            text: the message, as JSON text.
            kind: its counter kind: ``reply`` or ``other``.
        """
        outbox = self.outbox
        self.queued.append((text, kind, 0 if outbox is None else outbox.offered))
        if outbox is not None:
            outbox.wake()

    def send_notice(self, message: dict[str, Any]) -> None:
        """Queue a notice (hello, ping), counted as ``other``.

        Args:
            message: the notice.
        """
        self.queue(_json.encode(message).decode(), "other")


_json = msgspec.json.Encoder()

HOLD_EVENTS_SECONDS = 0.05
"""Longest, in seconds, a connection's events wait for the reply to the command being
answered for it (they then leave in the same message: one socket write instead of two)."""


class _Refused(Exception):
    """The socket must be closed with ``code`` and ``reason`` (a protocol or policy breach)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


async def _receive_text(ws: WebSocket, limit: int) -> str:
    """The next message as text, refused when over ``limit`` bytes (UTF-8).

    Raises:
        WebSocketDisconnect: the client went away.
        _Refused: 1009 ``message too big``.
    """
    message = await ws.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    if text is None:
        data = message.get("bytes") or b""
        if len(data) > limit:
            raise _Refused(CLOSE_TOO_BIG, "message too big")
        text = data.decode("utf-8", "replace")
    elif len(text) > limit // 4 and len(text.encode()) > limit:
        raise _Refused(CLOSE_TOO_BIG, "message too big")
    return str(text)


def _upgrade_token(ws: WebSocket) -> str | None:
    """The access token sent with the upgrade: ``Authorization: Bearer`` or ``?token=``."""
    scheme, _, token = (ws.headers.get("authorization") or "").partition(" ")
    if token and scheme.lower() == "bearer":
        return token.strip()
    return ws.query_params.get("token")


async def _authenticate(
    ws: WebSocket, token: str | None, services: Services
) -> tuple[Principal, str | None]:
    """The principal of the connection: the upgrade's token, or a small first ``auth``
    message sent within ``security.ws_auth_timeout_seconds``."""
    tokens = services.tokens
    security = services.settings.security
    request_id = None
    if not token:
        raw = await asyncio.wait_for(
            _receive_text(ws, security.ws_max_auth_frame_bytes), security.ws_auth_timeout_seconds
        )
        try:
            check_json_depth(raw, security.json_max_depth)
            msg = services.commands.request_model.model_validate_json(raw)
        except (ValidationError, ApiError) as exc:
            raise ApiError(401, "not_authenticated", "send an auth message first") from exc
        request_id = msg.id
        token = msg.args.get("token") if msg.op == "auth" else None
        if not isinstance(token, str) or not token:
            raise ApiError(401, "not_authenticated", "the first message must be an auth op")
    if len(token) > 4096:
        token = "invalid"
    return await tokens.verify_access(token), request_id


async def _refuse(ws: WebSocket, error: ApiError, code: int, reason: str) -> None:
    """Send the error message, then close the socket with ``code`` and ``reason``."""
    body, _ = error_to_problem(error)
    with contextlib.suppress(Exception):
        await ws.send_json({"type": "error", "error": body})
        await ws.close(code, reason)


@router.websocket("/api/v1/ws")
async def websocket_feed(ws: WebSocket, services: ServicesDep) -> None:
    """The live event feed and command channel (see the module docstring)."""
    st = services
    address = client_ip(ws)
    await ws.accept()
    try:
        await st.limiter.hit("ws", f"ip:{address}")
    except ApiError as exc:
        await _refuse(ws, exc, CLOSE_TRY_AGAIN, "rate limited")
        return
    security = st.settings.security
    cap = None if st.limiter.is_trusted(address) else security.ws_max_connections_per_ip
    if not st.ws_counts.take_address(address, cap):
        reason = "too many connections from this address"
        error = ApiError(429, "too_many_connections", f"{reason} (at most {cap})")
        await _refuse(ws, error, CLOSE_POLICY, reason)
        return
    try:
        await _serve(ws, st)
    finally:
        st.ws_counts.release_address(address)


async def _serve(ws: WebSocket, st: Services) -> None:
    """Authenticate the accepted socket, then run its writer, reader and heartbeat."""
    try:
        principal, auth_id = await _authenticate(ws, _upgrade_token(ws), st)
    except _Refused as exc:
        await _refuse(ws, ApiError(413, "too_large", exc.reason), exc.code, exc.reason)
        return
    except (ApiError, TimeoutError) as exc:
        err = exc if isinstance(exc, ApiError) else ApiError(401, "not_authenticated", "timeout")
        await _refuse(ws, err, CLOSE_POLICY, err.code)
        return
    except WebSocketDisconnect:
        return
    security = st.settings.security
    account_id = principal.account_id
    if not st.ws_counts.take_account(account_id, security.ws_max_sockets_per_account):
        cap = security.ws_max_sockets_per_account
        reason = "too many sockets for this account"
        error = ApiError(429, "too_many_connections", f"{reason} (at most {cap})")
        await _refuse(ws, error, CLOSE_POLICY, reason)
        return
    try:
        await _run(ws, st, principal, auth_id)
    finally:
        st.ws_counts.release_account(account_id)


async def _run(ws: WebSocket, st: Services, principal: Principal, auth_id: str | None) -> None:
    conn = _Connection(ws, principal, st)
    hello = {
        "type": "hello",
        "player_id": principal.account_id,
        "roles": list(principal.roles),
        "channels": sorted(conn.channels),
        "heartbeat_seconds": st.settings.ws_heartbeat_seconds,
    }
    conn.send_notice(hello)  # queued before the outbox opens: no event goes before it
    if auth_id is not None:
        conn.queue(reply_text(auth_id, True, "result", hello), "reply")
    outbox = st.feed.register(conn, st.settings.subscriber_queue_size)
    outbox.wake()
    st.metrics.ws_open.inc()
    st.metrics.ws_total.inc()
    st.ws_connections.add(conn)
    tasks: list[asyncio.Task[Any]] = []
    refused: _Refused | None = None
    try:
        tasks = [
            asyncio.create_task(_writer(conn, outbox)),
            asyncio.create_task(_reader(conn)),
            asyncio.create_task(_heartbeat(conn)),
        ]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            try:
                task.result()
            except _Refused as exc:
                refused = exc
            except (WebSocketDisconnect, asyncio.CancelledError, RuntimeError):
                pass
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        st.feed.unregister(conn)
        st.ws_connections.discard(conn)
        st.metrics.ws_open.dec()
    if refused is not None:
        with contextlib.suppress(Exception):
            await ws.close(refused.code, refused.reason)


MAX_QUEUED = 64
"""Replies and notices waiting for the writer at most before the reader stops reading."""


async def _writer(conn: _Connection, outbox: Outbox) -> None:
    """Send everything ready for the connection as one message (see the module docstring).

    Woken by the outbox (an event, a queued reply or notice, or its closing). Events alone,
    while the reader is answering a command for less than :data:`HOLD_EVENTS_SECONDS`, are
    left in the outbox: the reply's wake-up sends them with it (a commit takes more than one
    loop iteration, so yielding once instead would not catch the reply).
    """
    from starlane.bus import SLOW_CONSUMER

    st = conn.services
    bodies = st.event_json
    sends = st.metrics.ws_sends
    queued = conn.queued
    while True:
        await outbox.wait()
        if outbox.close_reason == SLOW_CONSUMER:
            break
        since = conn.answering_since
        if (
            since is not None
            and not queued
            and outbox.close_reason is None
            and time.monotonic() - since < HOLD_EVENTS_SECONDS
        ):
            continue  # events only, while a command is answered: they leave with its reply
        events = outbox.take()
        if queued or events:
            text = compose(queued, events, outbox.offered - len(events), bodies, sends)
            queued.clear()
            conn.drained.set()
            await conn.ws.send_text(text)
        if outbox.close_reason is not None and not queued:
            break
    if outbox.close_reason == SLOW_CONSUMER:
        await conn.ws.close(CLOSE_TRY_AGAIN, "slow consumer")
    else:
        await conn.ws.close(1001, "server shutting down")


async def _heartbeat(conn: _Connection) -> None:
    interval = conn.services.settings.ws_heartbeat_seconds
    clock = conn.services.clock
    while True:
        await asyncio.sleep(interval)
        conn.resync()
        conn.send_notice({"type": "ping", "at": clock()})


async def _reader(conn: _Connection) -> None:
    """Answer the client's messages in order, handing each reply to the writer.

    Raises:
        _Refused: a message over ``security.ws_max_frame_bytes`` (the socket is closed 1009).
    """
    limit = conn.services.settings.security.ws_max_frame_bytes
    while True:
        raw = await _receive_text(conn.ws, limit)
        conn.answering_since = time.monotonic()
        try:
            reply = await handle_message(conn, raw)
        finally:
            conn.answering_since = None
        if reply is not None:
            conn.queue(reply, "reply")
            while len(conn.queued) >= MAX_QUEUED:
                conn.drained.clear()
                await conn.drained.wait()


async def handle_message(conn: _Connection, raw: str) -> str | None:
    """Answer one client message.

    Args:
        conn: the connection.
        raw: the message text.

    Returns:
        The reply message, as JSON text.
    """
    request_id = None
    try:
        check_json_depth(raw, conn.services.settings.security.json_max_depth)
    except ApiError as exc:
        body, _ = error_to_problem(exc)
        return reply_text(None, False, "error", body)
    try:
        data = decode_json(raw)
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            request_id = data["id"][:64]
        msg = parse_request(data, conn.services.commands)
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            body = validation_problem(exc)
        else:
            body = problem(400, "bad_request", "the message is not valid JSON")
        return reply_text(request_id, False, "error", body)
    try:
        result = await _dispatch(conn, msg)
    except ValidationError as exc:
        return reply_text(msg.id, False, "error", validation_problem(exc))
    except Exception as exc:
        body, status = error_to_problem(exc)
        if status == 500:
            _log.exception("ws.internal_error", op=msg.op, error=type(exc).__name__)
        return reply_text(msg.id, False, "error", body)
    return reply_text(msg.id, True, "result", result)


class _ChannelArgs(s.ApiModel):
    channel: str


async def _dispatch(conn: _Connection, msg: Request) -> Any:
    st = conn.services
    args = msg.args
    op = msg.op
    if op == "auth":
        principal = await st.tokens.verify_access(str(args.get("token", "")))
        if principal.account_id != conn.pid:
            raise ApiError(403, "forbidden", "a connection stays with the player it opened with")
        conn.principal = principal
        return {"player_id": principal.account_id, "expires_at": principal.expires_at}
    if op == "ping":
        return {"pong": st.clock()}
    if op in ("subscribe", "unsubscribe"):
        channel = _ChannelArgs.model_validate(args).channel
        if channel not in s.WS_CHANNELS and not is_forum_channel(st, channel):
            raise ApiError(422, "unknown_channel", f"no channel {channel!r}")
        if channel == "admin" and not conn.principal.is_admin:
            raise ApiError(403, "forbidden", "the admin channel needs the admin role")
        if op == "subscribe":
            conn.channels.add(channel)
        else:
            conn.channels.discard(channel)
        st.feed.channels_changed(conn)
        return {"channels": sorted(conn.channels)}
    principal = conn.principal
    if principal.expires_at <= st.clock():
        raise ApiError(401, "token_expired", "the access token expired: send a new one (op auth)")
    await st.tokens.check_account(principal)
    result = await st.commands.dispatch(st.game, principal, op, args)
    conn.resync()
    return result
