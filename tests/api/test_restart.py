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


async def test_configured_rules_apply_to_what_is_decided_after_a_restart(
    app_factory: Callable[..., FastAPI],
) -> None:
    """``[rules]`` overrides: new players get the configured turns and credits; a restart with
    other rules leaves what was recorded alone and applies the new numbers from then on."""
    first = app_factory(rules={"start_turns": 5_000, "start_credits": 777})
    async with first.router.lifespan_context(first), _client(first) as c:
        r = await c.post("/api/v1/auth/register", json={"username": "alice", "password": PASSWORD})
        alice = {"Authorization": f"Bearer {r.json()['tokens']['access_token']}"}
        me = (await c.get("/api/v1/me", headers=alice)).json()
        assert (me["turns"]["available"], me["credits"]) == (5_000, 777)
        # 777 credits do not buy 100 units of fuel: refused by the configured numbers
        r = await c.post(
            "/api/v1/ports/1/trade",
            json={"commodity": "fuel", "side": "buy", "quantity": 100},
            headers=alice,
        )
        assert r.status_code == 409 and r.json()["code"] == "insufficient_credits"

    second = app_factory(rules={"start_turns": 300})
    async with second.router.lifespan_context(second), _client(second) as c:
        me = (await c.get("/api/v1/me", headers=alice)).json()
        assert (me["turns"]["available"], me["credits"]) == (5_000, 777)  # recorded: unchanged
        r = await c.post("/api/v1/auth/register", json={"username": "bob", "password": PASSWORD})
        bob = {"Authorization": f"Bearer {r.json()['tokens']['access_token']}"}
        me = (await c.get("/api/v1/me", headers=bob)).json()
        assert (me["turns"]["available"], me["credits"]) == (300, 10_000)
