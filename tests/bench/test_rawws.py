"""The load generator's lean WebSocket client, against a real uvicorn server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from websockets.http11 import Request
from websockets.server import ServerProtocol

from starlane.bench.placement import register_many
from starlane.bench.rawws import RawWebSocket
from starlane.client.api import ApiError
from tests.client.conftest import free_port, served_app, small_settings


async def test_requests_refusals_events_and_close(tmp_path: Path) -> None:
    async with served_app(small_settings(tmp_path)) as base:
        mover, watcher = await register_many(base, "raw", 2)
        ws = await RawWebSocket.open(base, mover)
        other = await RawWebSocket.open(base, watcher)
        me = await ws.request("me")
        assert me["sector_id"] == 1 and me["turns"]["available"] == 1_000
        # a refusal of the rules comes back as an ApiError with the problem's code
        with pytest.raises(ApiError) as refused:
            await ws.request("move", to_sector_id=1)
        assert refused.value.code == "already_there" and refused.value.status == 409
        # requests in flight together are each matched to their reply (by id)
        sector, quote = await asyncio.gather(
            ws.request("sector", sector_id=1),
            ws.request("quote", port_id=1, commodity="fuel", side="buy", quantity=1),
        )
        assert sector["id"] == 1 and quote["quantity"] == 1
        # the watcher sits in Sol: the mover's departure is pushed to it, counted, not kept
        warp = sector["warps"][0]["to_sector_id"]
        before = other.events
        await ws.request("move", to_sector_id=warp)
        for _ in range(100):
            if other.events > before:
                break
            await asyncio.sleep(0.02)
        assert other.events > before
        await ws.close()
        with pytest.raises(ApiError) as closed:
            await ws.request("me")
        assert closed.value.code == "connection_closed" and closed.value.status == 0
        assert (await other.request("me"))["sector_id"] == 1  # the other one is unaffected
        await other.close()


async def test_a_bad_token_or_no_server_is_an_api_error(tmp_path: Path) -> None:
    async with served_app(small_settings(tmp_path)) as base:
        with pytest.raises(ApiError) as bad:
            await RawWebSocket.open(base, "not-a-token", timeout=5.0)
        assert bad.value.code == "invalid_token"
        with pytest.raises(ApiError) as handshake:  # not a WebSocket endpoint: 404
            await RawWebSocket.open(base + "/nowhere", "t", timeout=5.0)
        assert handshake.value.code == "ws_handshake_failed"
    with pytest.raises(ApiError) as refused:
        await RawWebSocket.open(f"http://127.0.0.1:{free_port()}", "t", timeout=5.0)
    assert refused.value.code == "connection_error" and refused.value.status == 0
    with pytest.raises(ApiError, match="plain ws://"):
        await RawWebSocket.open("https://example.invalid", "t")


class _SilentServer(asyncio.Protocol):
    """Completes the WebSocket handshake, then never answers."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.protocol = ServerProtocol()

    def data_received(self, data: bytes) -> None:
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Request):
                self.protocol.send_response(self.protocol.accept(event))
        self.transport.write(b"".join(self.protocol.data_to_send()))  # type: ignore[attr-defined]


async def test_a_server_that_does_not_answer_times_out() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_SilentServer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(ApiError) as auth:
            await RawWebSocket.open(f"http://127.0.0.1:{port}", "t", timeout=0.3)
        assert auth.value.code == "timeout" and "auth" in str(auth.value)
    finally:
        server.close()
