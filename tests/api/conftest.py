"""Fixtures of the API tests: a small galaxy, a fast clock, apps and clients.

The galaxy (Nexus of 2,000 sectors, no player region) is generated once per session into a
template SQLite file; each test copies it into its own data directory, so an app starts in a
fraction of a second. Password hashing uses cheap argon2 parameters.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from starlane.api.app import create_app
from starlane.config import GalaxySettings, RateLimits, Settings

PASSWORD = "correct horse battery"


class FakeClock:
    """A clock tests can move forward (unix seconds)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Test settings: small galaxy, fast hashes, data under ``data_dir``."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": "",
        "jwt_secret": "",
        "galaxy": GalaxySettings(nexus_sectors=2000, player_regions=0, region_sectors=100),
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 1024,
        "rate": RateLimits(enabled=False),
        "admin_username": "",
        "admin_password": "",
        "projector": "inline",
    }
    values.update(overrides)
    return Settings(**values)


def boot_once(settings: Settings) -> None:
    """Start and stop an app once over ``settings`` (migrates and generates its galaxy)."""
    app = create_app(settings)

    async def _boot() -> None:
        async with app.router.lifespan_context(app):
            pass

    asyncio.run(_boot())


def copy_files(source: Path, target: Path, pattern: str = "*") -> Path:
    """Copy the files of ``source`` matching ``pattern`` into a new directory ``target``."""
    target.mkdir()
    for f in source.glob(pattern):
        if f.is_file():
            shutil.copy(f, target / f.name)
    return target


@pytest.fixture(scope="session")
def galaxy_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding a migrated database with the test galaxy (generated once)."""
    template = tmp_path_factory.mktemp("galaxy-template")
    boot_once(make_settings(template))
    return template


@pytest.fixture
def data_dir(tmp_path: Path, galaxy_template: Path) -> Path:
    """A fresh data directory with a copy of the template galaxy."""
    return copy_files(galaxy_template, tmp_path / "data", "starlane.db*")


@pytest.fixture
def clock() -> FakeClock:
    """The app's clock."""
    return FakeClock()


@pytest.fixture
def app_factory(data_dir: Path, clock: FakeClock) -> Callable[..., FastAPI]:
    """Build an app over the test data directory, with setting overrides."""

    def _make(**overrides: Any) -> FastAPI:
        return create_app(make_settings(data_dir, **overrides), clock=clock)

    return _make


@pytest.fixture
async def app(app_factory: Callable[..., FastAPI]) -> AsyncIterator[FastAPI]:
    """A started app (rate limits off)."""
    application = app_factory()
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def register(client: httpx.AsyncClient, username: str) -> dict[str, Any]:
    """Register a player; returns the register response with an ``headers`` entry added."""
    r = await client.post(
        "/api/v1/auth/register", json={"username": username, "password": PASSWORD}
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    body["headers"] = {"Authorization": f"Bearer {body['tokens']['access_token']}"}
    return body


def assert_problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Check a problem-details response and return its body."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["type"].endswith(code)
    assert body["title"] and isinstance(body["detail"], str)
    assert "Traceback" not in r.text
    return body
