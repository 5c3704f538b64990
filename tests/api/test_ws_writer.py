"""The WebSocket writer, driven directly: what is ready together leaves as one message."""

from __future__ import annotations

import asyncio
import json
import time
from types import SimpleNamespace
from typing import Any

from starlane.api.auth import Principal
from starlane.api.commands import CommandTable
from starlane.api.game_commands import GAME_COMMANDS
from starlane.api.metrics import WebSocketSends
from starlane.api.ws import (
    HOLD_EVENTS_SECONDS,
    MAX_QUEUED,
    _Connection,
    _reader,
    _writer,
)
from starlane.api.wsfeed import FeedHub, Outbox
from starlane.api.wspush import EventJsonCache
from starlane.bus import Bus
from starlane.config import SecuritySettings
from starlane.domain import events as ev

AT = 1_700_000_000.0


class _Socket:
    """Records what the writer sends; hands the reader the given client messages."""

    def __init__(self, incoming: list[str] | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed: tuple[int, str | None] | None = None
        self.incoming = list(incoming or [])
        self.received = 0

    async def send_text(self, text: str) -> None:
        self.sent.append(json.loads(text))

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed = (code, reason)

    async def receive_text(self) -> str:
        if not self.incoming:
            await asyncio.Event().wait()
        self.received += 1
        return self.incoming.pop(0)

    async def receive(self) -> dict[str, Any]:
        return {"type": "websocket.receive", "text": await self.receive_text()}


class _Service:
    def player(self, pid: int) -> Any:
        return SimpleNamespace(region_id=1, sector_id=5)


def _moved(position: int, pid: int = 1) -> ev.RecordedEvent:
    moved = ev.PlayerMoved(
        at=AT,
        player_id=pid,
        region_id=1,
        from_sector_id=5,
        sector_id=5,
        turns_spent=1,
        turns_left=99,
        turns_at=AT,
        first_visit=False,
    )
    return ev.RecordedEvent(position, 1, position, pid, moved)


def _open(maxsize: int = 100, incoming: list[str] | None = None) -> tuple[Bus, _Connection]:
    bus = Bus()
    hub = FeedHub(bus)
    state = SimpleNamespace(
        galaxy=_Service(),
        commands=CommandTable(GAME_COMMANDS),
        event_json=EventJsonCache(),
        metrics=SimpleNamespace(ws_sends=WebSocketSends()),
        clock=lambda: AT,
        game=None,
        settings=SimpleNamespace(security=SecuritySettings()),
    )
    principal = Principal(1, "p1", ("player",), "jti1", AT + 900)
    conn = _Connection(_Socket(incoming), principal, state)  # type: ignore[arg-type]
    hub.register(conn, maxsize)
    return bus, conn


def _sent(conn: _Connection) -> list[dict[str, Any]]:
    return conn.ws.sent  # type: ignore[attr-defined, no-any-return]


def _flat(message: dict[str, Any]) -> list[Any]:
    """Each carried message as its type and position or id."""
    items = message["messages"] if message["type"] == "batch" else [message]
    return [(m["type"], m.get("position", m.get("id"))) for m in items]


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def _stop(conn: _Connection, task: asyncio.Task[None]) -> None:
    assert conn.hub is not None
    conn.hub.unregister(conn)
    await asyncio.wait_for(task, 1)


async def test_events_and_replies_ready_together_leave_as_one_batch_in_order() -> None:
    bus, conn = _open()
    outbox = conn.outbox
    assert isinstance(outbox, Outbox)
    bus.publish([_moved(1), _moved(2)])
    conn.queue('{"type":"reply","id":"r1","ok":true,"result":{}}', "reply")
    bus.publish([_moved(3)])
    conn.send_notice({"type": "ping", "at": AT})
    writer = asyncio.create_task(_writer(conn, outbox))
    await _settle()
    sent = _sent(conn)
    assert len(sent) == 1 and list(sent[0]) == ["type", "messages"]
    assert _flat(sent[0]) == [
        ("event", 1),
        ("event", 2),
        ("reply", "r1"),
        ("event", 3),
        ("ping", None),
    ]
    sends = conn.services.metrics.ws_sends
    assert (sends.batch, sends.batched_event, sends.batched_reply, sends.batched_other) == (
        1,
        3,
        1,
        1,
    )
    assert sends.events_pushed == 3 and sends.event == sends.reply == sends.other == 0
    # later, a lone event and a lone reply each go as themselves
    bus.publish([_moved(4)])
    await _settle()
    conn.queue('{"type":"reply","id":"r2","ok":true,"result":{}}', "reply")
    await _settle()
    assert [m["type"] for m in sent[1:]] == ["event", "reply"]
    assert (sends.event, sends.reply, sends.events_pushed) == (1, 1, 4)
    await _stop(conn, writer)
    assert conn.ws.closed == (1001, "server shutting down")  # type: ignore[attr-defined]


async def test_a_reply_answered_in_the_step_that_publishes_its_events_joins_them() -> None:
    """The engine resolves a command, then publishes its events, in one step: the reader wakes
    before the writer and its reply leaves with the events. (Published first, they would go
    alone.)"""
    loop = asyncio.get_running_loop()
    for answer_first, expected in ((True, 1), (False, 2)):
        bus, conn = _open()
        assert conn.outbox is not None
        answered: asyncio.Future[None] = loop.create_future()

        async def reader(conn: _Connection = conn, answered: Any = answered) -> None:
            await answered
            conn.queue('{"type":"reply","id":"m","ok":true,"result":{}}', "reply")

        tasks = [asyncio.create_task(reader()), asyncio.create_task(_writer(conn, conn.outbox))]
        await _settle()
        if answer_first:
            answered.set_result(None)
            bus.publish([_moved(1)])
        else:
            bus.publish([_moved(1)])
            answered.set_result(None)
        await _settle()
        sent = _sent(conn)
        assert len(sent) == expected
        assert [item for m in sent for item in _flat(m)] == [("event", 1), ("reply", "m")]
        await tasks[0]
        await _stop(conn, tasks[1])


async def test_the_hello_goes_before_any_event() -> None:
    bus = Bus()
    hub = FeedHub(bus)
    _, conn = _open()
    hub.unregister(conn)
    conn.send_notice({"type": "hello"})  # queued before the outbox opens, as the handler does
    outbox = hub.register(conn, 100)
    bus.publish([_moved(1)])
    writer = asyncio.create_task(_writer(conn, outbox))
    await _settle()
    assert _flat(_sent(conn)[0]) == [("hello", None), ("event", 1)]
    await _stop(conn, writer)


async def test_a_slow_consumer_is_closed_with_1013_and_its_events_dropped() -> None:
    bus, conn = _open(maxsize=2)
    assert conn.outbox is not None
    conn.queue('{"type":"reply","id":"r","ok":true,"result":{}}', "reply")
    bus.publish([_moved(1), _moved(2), _moved(3)])
    writer = asyncio.create_task(_writer(conn, conn.outbox))
    await asyncio.wait_for(writer, 1)
    assert _sent(conn) == []
    assert conn.ws.closed == (1013, "slow consumer")  # type: ignore[attr-defined]


async def test_the_reader_stops_reading_while_too_many_replies_wait() -> None:
    pings = [json.dumps({"id": str(i), "op": "ping"}) for i in range(MAX_QUEUED + 5)]
    _, conn = _open(incoming=pings)
    reader = asyncio.create_task(_reader(conn))
    await _settle()
    assert conn.ws.received == MAX_QUEUED and len(conn.queued) == MAX_QUEUED  # type: ignore[attr-defined]
    assert conn.outbox is not None
    writer = asyncio.create_task(_writer(conn, conn.outbox))
    await _settle()
    assert conn.ws.received == MAX_QUEUED + 5  # type: ignore[attr-defined]
    replies = [m for sent in _sent(conn) for m in sent["messages"]]
    assert [m["id"] for m in replies] == [str(i) for i in range(MAX_QUEUED + 5)]
    assert all(m["ok"] and m["result"] == {"pong": AT} for m in replies)
    reader.cancel()
    await _stop(conn, writer)


async def test_events_wait_for_the_reply_of_the_command_being_answered() -> None:
    bus, conn = _open()
    outbox = conn.outbox
    assert isinstance(outbox, Outbox)
    writer = asyncio.create_task(_writer(conn, outbox))
    await _settle()
    conn.answering_since = time.monotonic()  # the reader is answering a command
    bus.publish([_moved(1)])
    await _settle()
    assert _sent(conn) == []  # held: it will leave with the reply
    bus.publish([_moved(2)])
    await _settle()
    conn.answering_since = None
    conn.queue('{"type":"reply","id":"r1","ok":true,"result":{}}', "reply")
    await _settle()
    assert [_flat(m) for m in _sent(conn)] == [[("event", 1), ("event", 2), ("reply", "r1")]]
    # no command being answered: an event leaves at once, alone
    bus.publish([_moved(3)])
    await _settle()
    assert _flat(_sent(conn)[-1]) == [("event", 3)]
    # a command answered for longer than the hold: the next event goes without waiting
    conn.answering_since = time.monotonic() - HOLD_EVENTS_SECONDS - 0.01
    bus.publish([_moved(4)])
    await _settle()
    assert _flat(_sent(conn)[-1]) == [("event", 4)]
    await _stop(conn, writer)


async def test_the_reader_marks_the_command_it_answers() -> None:
    _bus, conn = _open(incoming=['{"id":"p","op":"ping"}'])
    seen: list[float | None] = []
    original = conn.queue

    def queue(text: str, kind: str) -> None:
        seen.append(conn.answering_since)
        original(text, kind)

    conn.queue = queue  # type: ignore[method-assign]
    reader = asyncio.create_task(_reader(conn))
    await _settle()
    assert seen == [None]  # cleared before the reply is queued, so the writer sends both
    assert conn.answering_since is None
    reader.cancel()
