"""Access tokens stop working at once when something revokes them, and after a restart: the
account's persisted token version is checked on every request (REST and WebSocket)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from starlane.config import SecuritySettings
from tests.api.conftest import assert_problem, register


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def _logout(app: FastAPI, c: httpx.AsyncClient, body: dict[str, Any]) -> None:
    r = await c.post(
        "/api/v1/auth/logout",
        json={"refresh_token": body["tokens"]["refresh_token"]},
        headers=body["headers"],
    )
    assert r.status_code == 204


async def _reuse_refresh(app: FastAPI, c: httpx.AsyncClient, body: dict[str, Any]) -> None:
    first = body["tokens"]["refresh_token"]
    assert (await c.post("/api/v1/auth/refresh", json={"refresh_token": first})).is_success
    r = await c.post("/api/v1/auth/refresh", json={"refresh_token": first})  # stolen copy
    assert_problem(r, 401, "invalid_refresh_token")


async def _password(app: FastAPI, c: httpx.AsyncClient, body: dict[str, Any]) -> None:
    accounts = app.state.services.accounts
    assert await accounts.set_password_hash(body["account"]["id"], "new-hash")


async def _disable(app: FastAPI, c: httpx.AsyncClient, body: dict[str, Any]) -> None:
    assert await app.state.services.accounts.set_disabled(body["account"]["id"], True)


async def _delete(app: FastAPI, c: httpx.AsyncClient, body: dict[str, Any]) -> None:
    assert await app.state.services.accounts.delete(body["account"]["id"])


async def _demote(app: FastAPI, c: httpx.AsyncClient, body: dict[str, Any]) -> None:
    accounts = app.state.services.accounts
    account_id = body["account"]["id"]
    assert await accounts.set_roles(account_id, ("player", "admin"))
    body["promoted"] = (await c.post("/api/v1/auth/login", json=body["login"])).json()
    body["headers"] = {"Authorization": f"Bearer {body['promoted']['access_token']}"}
    assert (await c.get("/api/v1/me", headers=body["headers"])).status_code == 200
    assert await accounts.set_roles(account_id, ("player",))


Revocation = Callable[[FastAPI, httpx.AsyncClient, dict[str, Any]], Awaitable[None]]


@pytest.mark.parametrize(
    "revoke",
    [_logout, _reuse_refresh, _password, _disable, _delete, _demote],
    ids=["logout", "refresh_reuse", "password_change", "disabled", "deleted", "demoted"],
)
async def test_access_tokens_do_not_outlive_what_revoked_them(
    app_factory: Callable[..., FastAPI], revoke: Revocation
) -> None:
    # the store-level changes stand for another process (``starlane admin``): they are seen
    # once the cached token version is older than the configured delay (0 here)
    settings = SecuritySettings(token_check_cache_seconds=0)
    first = app_factory(security=settings)
    async with first.router.lifespan_context(first), _client(first) as c:
        body = await register(c, "alice")
        body["login"] = {"username": "alice", "password": "correct horse battery"}
        assert (await c.get("/api/v1/me", headers=body["headers"])).status_code == 200
        await revoke(first, c, body)
        # a disabled account says so; every other revocation is token_revoked
        code = "account_disabled" if revoke is _disable else "token_revoked"
        assert_problem(await c.get("/api/v1/me", headers=body["headers"]), 401, code)
        r = await c.post("/api/v1/me/scan", headers=body["headers"])
        assert_problem(r, 401, code)
    second = app_factory()  # a restart: still refused
    async with second.router.lifespan_context(second), _client(second) as c:
        assert_problem(await c.get("/api/v1/me", headers=body["headers"]), 401, code)


async def test_revocations_through_the_api_are_seen_at_once_despite_the_cache(
    app_factory: Callable[..., FastAPI],
) -> None:
    app = app_factory(security=SecuritySettings(token_check_cache_seconds=60))
    async with app.router.lifespan_context(app), _client(app) as c:
        body = await register(c, "alice")
        assert (await c.get("/api/v1/me", headers=body["headers"])).status_code == 200
        await _logout(app, c, body)  # cached a moment ago, forgotten by the logout
        assert_problem(await c.get("/api/v1/me", headers=body["headers"]), 401, "token_revoked")
        # a fresh login works again (new token version)
        r = await c.post(
            "/api/v1/auth/login", json={"username": "alice", "password": "correct horse battery"}
        )
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        assert (await c.get("/api/v1/me", headers=headers)).status_code == 200


async def test_changes_from_another_process_are_seen_within_the_cache_delay(
    app_factory: Callable[..., FastAPI],
) -> None:
    app = app_factory(security=SecuritySettings(token_check_cache_seconds=0.2))
    async with app.router.lifespan_context(app), _client(app) as c:
        body = await register(c, "alice")
        assert (await c.get("/api/v1/me", headers=body["headers"])).status_code == 200
        await _password(app, c, body)
        await asyncio.sleep(0.25)
        assert_problem(await c.get("/api/v1/me", headers=body["headers"]), 401, "token_revoked")


def test_an_open_websocket_stops_accepting_commands_after_a_revocation(
    app_factory: Callable[..., FastAPI],
) -> None:
    app = app_factory(security=SecuritySettings(token_check_cache_seconds=0))
    with TestClient(app) as tc:
        r = tc.post(
            "/api/v1/auth/register",
            json={"username": "alice", "password": "correct horse battery"},
        )
        body = r.json()
        token = body["tokens"]["access_token"]
        with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
            assert ws.receive_json()["type"] == "hello"
            ws.send_json({"id": "1", "op": "scan", "args": {}})
            assert _reply(ws, "1")["ok"] is True
            tc.portal.call(app.state.services.accounts.set_disabled, body["account"]["id"], True)
            ws.send_json({"id": "2", "op": "scan", "args": {}})
            reply = _reply(ws, "2")
            assert reply["ok"] is False
            assert reply["error"]["code"] == "account_disabled"


def _reply(ws: Any, request_id: str) -> dict[str, Any]:
    while True:
        msg = ws.receive_json()
        messages = msg["messages"] if msg["type"] == "batch" else [msg]
        for m in messages:
            if m.get("type") == "reply" and m.get("id") == request_id:
                return m
