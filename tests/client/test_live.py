"""The WebSocket client against a real server on a local port: commands and live events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from starlane.client.api import ApiError, StarlaneClient
from starlane.client.live import LiveConnection, ws_url
from tests.client.conftest import served_app, small_settings

PASSWORD = "a long password"


def test_ws_url() -> None:
    assert ws_url("http://h:8000/") == "ws://h:8000/api/v1/ws"
    assert ws_url("https://h") == "wss://h/api/v1/ws"


async def test_commands_and_sector_events_over_the_websocket(tmp_path: Path) -> None:
    async with (
        served_app(small_settings(tmp_path)) as base,
        StarlaneClient(base) as alice,
        StarlaneClient(base) as bob,
    ):
        await alice.register("alice", PASSWORD)
        await bob.register("bob_b", PASSWORD)
        async with LiveConnection.connect(base, alice.access_token) as live:
            me = await live.request("me")
            assert me["name"] == "alice"
            await bob.trade(1, "fuel", "buy", 3)
            seen = []
            for _ in range(10):
                message = await live.next_event(timeout=3)
                assert message is not None
                seen.append(message)
                if message.get("type") == "event":
                    break
            event = seen[-1]
            assert event["channel"] == "sector"
            assert event["event"]["type"] == "port_traded"
            assert event["actor_id"] != me["id"]
            sol = await live.request("sector", sector_id=1)
            to = sol["warps"][0]["to_sector_id"]
            moved = await live.request("move", to_sector_id=to)
            assert moved["sector_id"] == to
            with pytest.raises(ApiError) as info:
                await live.request("move", to_sector_id=99_999)
            assert info.value.code == "unknown_sector" and info.value.status == 404


async def test_a_bad_token_is_refused(tmp_path: Path) -> None:
    async with served_app(small_settings(tmp_path)) as base:
        with pytest.raises(ApiError):
            await LiveConnection.open(base, "not-a-token", timeout=5)


class _FakeSocket:
    """Replays server messages to a LiveConnection, then ends as a normal close.

    With ``after_send``, the messages are held until the client has sent that many messages.
    """

    close_reason = None

    def __init__(self, messages: list[str], *, after_send: int = 0) -> None:
        self._messages = messages
        self.sent: list[dict[str, Any]] = []
        self._after_send = after_send
        self._sent_enough = asyncio.Event()
        if after_send == 0:
            self._sent_enough.set()

    def __aiter__(self) -> AsyncIterator[str]:
        return self._replay()

    async def _replay(self) -> AsyncIterator[str]:
        await self._sent_enough.wait()
        for message in self._messages:
            yield message

    async def send(self, text: str) -> None:
        self.sent.append(json.loads(text))
        if len(self.sent) >= self._after_send:
            self._sent_enough.set()

    async def close(self) -> None:
        return None


def _event(position: int, sector_id: int) -> dict[str, Any]:
    return {
        "type": "event",
        "channel": "sector",
        "position": position,
        "region_id": 1,
        "seq": position,
        "actor_id": 7,
        "event": {"type": "player_moved", "sector_id": sector_id},
    }


def _reply(request_id: str, result: Any) -> dict[str, Any]:
    return {"type": "reply", "id": request_id, "ok": True, "result": result}


async def test_a_batch_is_unpacked_into_single_messages_in_order() -> None:
    batch = {"type": "batch", "messages": [_event(5, 2), _event(6, 3), {"type": "ping"}]}
    messages = [json.dumps(_event(4, 1)), json.dumps(batch), json.dumps(_event(7, 4))]
    live = LiveConnection(_FakeSocket(messages))  # type: ignore[arg-type]
    seen = [await live.next_event(timeout=1) for _ in range(5)]
    assert [m["type"] for m in seen if m] == ["event", "event", "event", "ping", "event"]
    assert [m.get("position") for m in seen if m] == [4, 5, 6, None, 7]
    assert seen[1] == _event(5, 2)
    assert await live.next_event(timeout=0.1) is None
    await live.close()


async def test_a_reply_inside_a_batch_resolves_its_request() -> None:
    batch = {"type": "batch", "messages": [_event(5, 2), _reply("1", {"sector_id": 2})]}
    socket = _FakeSocket([json.dumps(batch)], after_send=1)
    live = LiveConnection(socket)  # type: ignore[arg-type]
    assert await live.request("move", timeout=1, to_sector_id=2) == {"sector_id": 2}
    assert socket.sent == [{"id": "1", "op": "move", "args": {"to_sector_id": 2}}]
    event = await live.next_event(timeout=1)
    assert event == _event(5, 2)
    assert await live.next_event(timeout=0.1) is None  # the reply is not an event
    await live.close()


async def test_a_batch_larger_than_the_queue_keeps_the_newest_events() -> None:
    batch = {"type": "batch", "messages": [_event(p, p) for p in range(1, 6)]}
    live = LiveConnection(_FakeSocket([json.dumps(batch)]), event_queue_size=2)  # type: ignore[arg-type]
    await asyncio.sleep(0.01)
    first, second = await live.next_event(timeout=1), await live.next_event(timeout=1)
    assert first is not None and second is not None
    assert [first["position"], second["position"]] == [4, 5]
    assert live.dropped_events == 3
    await live.close()
