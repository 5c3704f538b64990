"""Fixtures: a real Starlane app in-process (httpx ASGITransport) and on a local port (uvicorn).

The app runs on a temporary SQLite database with a small galaxy (Terran Space and a
2,000-sector Nexus), cheap password hashing and, unless a test asks otherwise, rate limits off.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from starlane.config import GalaxySettings, RateLimits, Settings, load_settings


def small_settings(data_dir: Path, *, rate_limits: bool = False, **overrides: Any) -> Settings:
    """Settings of a fast test server in ``data_dir``."""
    settings = load_settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'starlane.db'}",
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
        log_level="warning",
        projector="inline",
        **overrides,
    )
    settings.galaxy = GalaxySettings(seed=2002, nexus_sectors=2000, player_regions=0)
    settings.rate = RateLimits(enabled=rate_limits)
    return settings


@contextlib.asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[Any]:
    """Start an app's lifespan; yield the app."""
    from starlane.api.app import create_app

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def served_app(settings: Settings) -> AsyncIterator[str]:
    """Serve an app with uvicorn in this event loop; yield its base URL."""
    import uvicorn

    from starlane.api.app import create_app

    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(400):
            if server.started:
                break
            if task.done():
                await task
            await asyncio.sleep(0.025)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 20)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[Any]:
    """A started app on a temporary database."""
    async with running_app(small_settings(tmp_path)) as started:
        yield started


@pytest.fixture
def transport(app: Any) -> httpx.ASGITransport:
    """An httpx transport into the started app."""
    return httpx.ASGITransport(app=app)
