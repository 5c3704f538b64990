"""State changed through the API survives closing the app and starting a new one on the same
SQLite file (and the same generated JWT secret keeps tokens valid)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi import FastAPI

from tests.api.conftest import PASSWORD


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_state_survives_a_restart(app_factory: Callable[..., FastAPI]) -> None:
    first = app_factory()
    async with first.router.lifespan_context(first), _client(first) as c:
        r = await c.post("/api/v1/auth/register", json={"username": "alice", "password": PASSWORD})
        tokens = r.json()["tokens"]
        h = {"Authorization": f"Bearer {tokens['access_token']}"}
        r = await c.post(
            "/api/v1/ports/1/trade",
            json={"commodity": "fuel", "side": "buy", "quantity": 7},
            headers=h,
        )
        assert r.status_code == 200
        r = await c.post(
            "/api/v1/me/autopilot", json={"to_sector_id": 72, "execute": True}, headers=h
        )
        assert r.status_code == 200
        before = (await c.get("/api/v1/me", headers=h)).json()
        port_before = (await c.get("/api/v1/ports/1", headers=h)).json()

    second = app_factory()
    async with second.router.lifespan_context(second), _client(second) as c:
        # the old access token is still valid (same secret), and so is the refresh token
        after = (await c.get("/api/v1/me", headers=h)).json()
        assert after == before
        assert after["sector_id"] == 72 and after["ship"]["cargo"] == {"fuel": 7}
        port_after = (await c.get("/api/v1/ports/1", headers=h)).json()
        assert port_after == port_before
        r = await c.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert r.status_code == 200
        r = await c.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
        assert r.status_code == 200
        # the name stays taken
        r = await c.post("/api/v1/auth/register", json={"username": "alice", "password": PASSWORD})
        assert r.status_code == 409
