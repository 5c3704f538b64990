"""The server's edges end to end: a real uvicorn server on loopback, configured with
:func:`starlane.api.serving.uvicorn_options`, attacked from several 127.0.0.x addresses (rate
limits apply to loopback here: ``rate.trusted_networks`` is empty)."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from fastapi import FastAPI
from websockets.exceptions import ConnectionClosed

from starlane.api.serving import uvicorn_options
from starlane.config import RateLimits, SecuritySettings
from tests.api.conftest import PASSWORD, make_settings


@asynccontextmanager
async def _serve(app_factory: Callable[..., FastAPI], **overrides: Any) -> AsyncIterator[int]:
    """Serve an app with uvicorn on 127.0.0.1 (a free port); yields the port."""
    overrides.setdefault("rate", RateLimits(trusted_networks=[]))
    app = app_factory(**overrides)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="on",
        log_level="warning",
        access_log=False,
        **uvicorn_options(make_settings(Path("unused"), **overrides)),
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        server.should_exit = True
        await task


def _http(port: int, source: str) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=source)
    return httpx.AsyncClient(transport=transport, base_url=f"http://127.0.0.1:{port}")


async def _register(port: int, name: str, source: str = "127.0.0.9") -> str:
    async with _http(port, source) as c:
        r = await c.post("/api/v1/auth/register", json={"username": name, "password": PASSWORD})
        assert r.status_code == 201, r.text
        return str(r.json()["tokens"]["access_token"])


def _ws(port: int, source: str, token: str | None = None, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    return websockets.connect(
        f"ws://127.0.0.1:{port}/api/v1/ws",
        additional_headers=headers,
        local_addr=(source, 0),
        open_timeout=5,
        **kwargs,
    )


async def _closed_with(ws: Any) -> tuple[int, str, list[dict[str, Any]]]:
    """Read until the server closes; the close code, reason and the messages received."""
    received = []
    try:
        while True:
            received.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
    except ConnectionClosed as closed:
        assert closed.rcvd is not None
        return closed.rcvd.code, closed.rcvd.reason, received


async def test_unauthenticated_ws_frames_are_capped(app_factory: Callable[..., FastAPI]) -> None:
    security = SecuritySettings(ws_auth_timeout_seconds=0.5)
    async with _serve(app_factory, security=security) as port:
        # a big first frame from a socket that has not authenticated: refused, 1009
        async with _ws(port, "127.0.0.2", max_size=None) as ws:
            await ws.send("x" * 16 * 1_048_576)
            code, reason, _ = await _closed_with(ws)
            assert code == 1009
        async with _ws(port, "127.0.0.2") as ws:
            await ws.send(json.dumps({"op": "auth", "args": {"token": "y" * 5_000}}))
            code, reason, _ = await _closed_with(ws)  # over the 4 KiB first-frame cap
            assert (code, reason) == (1009, "message too big")
        # silence: closed once the authentication delay is over
        started = time.monotonic()
        async with _ws(port, "127.0.0.2") as ws:
            code, reason, received = await _closed_with(ws)
        assert (code, reason) == (1008, "not_authenticated")
        assert received[0]["error"]["code"] == "not_authenticated"
        assert 0.4 < time.monotonic() - started < 5
        # an authenticated socket: frames over 64 KiB close it with 1009 too
        token = await _register(port, "alice")
        async with _ws(port, "127.0.0.2", token, max_size=None) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            await ws.send("x" * 70_000)
            code, _, _ = await _closed_with(ws)
            assert code == 1009


async def test_websocket_sockets_are_capped_per_account_and_per_address(
    app_factory: Callable[..., FastAPI],
) -> None:
    security = SecuritySettings(ws_max_connections_per_ip=10)
    async with _serve(app_factory, security=security) as port:
        token = await _register(port, "alice")
        sockets = []
        for _ in range(8):
            ws = await _ws(port, "127.0.0.3", token).__aenter__()
            assert json.loads(await ws.recv())["type"] == "hello"
            sockets.append(ws)
        async with _ws(port, "127.0.0.4", token) as ninth:
            code, reason, received = await _closed_with(ninth)
        assert (code, reason) == (1008, "too many sockets for this account")
        assert received[0]["error"]["code"] == "too_many_connections"
        await sockets.pop().close()  # a slot is free again
        await asyncio.sleep(0.2)
        async with _ws(port, "127.0.0.4", token) as again:
            assert json.loads(await again.recv())["type"] == "hello"
        # per address: 10 sockets from 127.0.0.3 (7 open, 3 unauthenticated), the 11th refused
        idle = [await _ws(port, "127.0.0.3").__aenter__() for _ in range(4)]
        code, reason, _ = await _closed_with(idle[-1])
        assert (code, reason) == (1008, "too many connections from this address")
        bob = await _register(port, "bob")
        async with _ws(port, "127.0.0.5", bob) as other:  # another address is not affected
            assert json.loads(await other.recv())["type"] == "hello"
        for ws in sockets + idle:
            await ws.close()


async def test_slow_clients_cannot_hold_connections(app_factory: Callable[..., FastAPI]) -> None:
    security = SecuritySettings(http_header_timeout_seconds=0.5, http_keep_alive_seconds=0.5)
    async with _serve(app_factory, security=security) as port:
        loop = asyncio.get_running_loop()
        for first in (b"", b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: "):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(first)
            started = loop.time()
            assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the server
            assert 0.4 < loop.time() - started < 3
            writer.close()
        # an idle keep-alive connection is closed too
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await reader.readline()).startswith(b"HTTP/1.1 ")
        started = loop.time()
        while await asyncio.wait_for(reader.read(65_536), 5):
            pass
        assert loop.time() - started < 3
        writer.close()


async def test_a_stranger_cannot_lock_the_owner_out_over_loopback(
    app_factory: Callable[..., FastAPI],
) -> None:
    async with _serve(app_factory) as port:
        await _register(port, "bob", source="127.0.0.3")
        wrong = {"username": "bob", "password": "not the password"}
        async with _http(port, "127.0.0.2") as attacker:
            statuses = [
                (await attacker.post("/api/v1/auth/login", json=wrong)).status_code
                for _ in range(8)
            ]
        assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
        async with _http(port, "127.0.0.3") as owner:
            ok = {"username": "bob", "password": PASSWORD}
            assert (await owner.post("/api/v1/auth/login", json=ok)).status_code == 200


async def test_forwarded_headers_are_ignored_unless_from_a_configured_proxy(
    app_factory: Callable[..., FastAPI],
) -> None:
    wrong = {"username": "bob", "password": "not the password"}
    # 127.0.0.1 is the address uvicorn believes forwarded headers from unless told otherwise
    async with _serve(app_factory) as port, _http(port, "127.0.0.1") as attacker:
        statuses = [
            (
                await attacker.post(
                    "/api/v1/auth/login", json=wrong, headers={"X-Forwarded-For": f"10.9.0.{i}"}
                )
            ).status_code
            for i in range(7)
        ]
        assert statuses[5:] == [429, 429]  # picking an address in the header changed nothing
    security = SecuritySettings(forwarded_allow_ips=["127.0.0.4"])
    async with _serve(app_factory, security=security) as port, _http(port, "127.0.0.4") as proxy:
        statuses = [
            (
                await proxy.post(
                    "/api/v1/auth/login", json=wrong, headers={"X-Forwarded-For": f"10.9.0.{i}"}
                )
            ).status_code
            for i in range(7)
        ]
        assert statuses == [401] * 7  # the proxy's clients are told apart by the header


@pytest.fixture(autouse=True)
def _loopback_aliases() -> None:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.2", 0))
        except OSError:
            pytest.skip("this system cannot bind 127.0.0.2")
