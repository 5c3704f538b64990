"""The WebSocket client against a real server on a local port: commands and live events."""

from __future__ import annotations

from pathlib import Path

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
