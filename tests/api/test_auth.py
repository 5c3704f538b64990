"""Accounts and authentication: register, login, refresh rotation, logout, token refusals."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import httpx
import jwt
import pytest
from fastapi import FastAPI

from tests.api.conftest import PASSWORD, FakeClock, assert_problem, register

PROTECTED = [
    ("GET", "/api/v1/me", None),
    ("GET", "/api/v1/auth/me", None),
    ("POST", "/api/v1/me/move", {"to_sector_id": 2}),
    ("POST", "/api/v1/me/autopilot", {"to_sector_id": 2}),
    ("POST", "/api/v1/me/scan", None),
    ("POST", "/api/v1/me/attack", {"target_kind": "pirate", "target_id": 320}),
    ("GET", "/api/v1/sectors/1", None),
    ("GET", "/api/v1/ports/1", None),
    ("GET", "/api/v1/ports/1/quote?commodity=fuel&side=buy&quantity=1", None),
    ("POST", "/api/v1/ports/1/trade", {"commodity": "fuel", "side": "buy", "quantity": 1}),
    ("GET", "/api/v1/stardock", None),
    ("POST", "/api/v1/stardock/ship", {"ship_type": "scout"}),
    ("POST", "/api/v1/stardock/fighters", {"count": 1}),
    ("POST", "/api/v1/stardock/holds", {"count": 1}),
    ("GET", "/api/v1/regions", None),
    ("GET", "/api/v1/regions/1", None),
    ("GET", "/api/v1/regions/1/map", None),
    ("POST", "/api/v1/auth/logout", {"refresh_token": "x" * 32}),
]


async def test_register_logs_in_and_spawns_at_sol(client: httpx.AsyncClient) -> None:
    body = await register(client, "alice")
    assert body["account"]["username"] == "alice"
    assert body["account"]["roles"] == ["player"]
    assert body["tokens"]["token_type"] == "bearer"
    me = (await client.get("/api/v1/me", headers=body["headers"])).json()
    assert me["sector_id"] == 1 and me["credits"] == 10_000 and me["turns"]["available"] == 1000


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "ab", "password": PASSWORD}, "username"),
        ({"username": "x" * 25, "password": PASSWORD}, "username"),
        ({"username": "bad name!", "password": PASSWORD}, "username"),
        ({"username": "bob", "password": "short"}, "password"),
        ({"username": "bob", "password": PASSWORD, "admin": True}, "admin"),
    ],
)
async def test_register_validates_username_and_password(
    client: httpx.AsyncClient, payload: dict[str, object], field: str
) -> None:
    r = await client.post("/api/v1/auth/register", json=payload)
    body = assert_problem(r, 422, "validation_error")
    assert field in body["detail"]
    assert any(e["loc"][-1] == field for e in body["errors"])


async def test_register_twice_is_a_conflict(client: httpx.AsyncClient) -> None:
    await register(client, "alice")
    r = await client.post("/api/v1/auth/register", json={"username": "ALICE", "password": PASSWORD})
    assert_problem(r, 409, "username_taken")


async def test_password_is_stored_as_argon2_hash(app: FastAPI, client: httpx.AsyncClient) -> None:
    await register(client, "alice")
    account = await app.state.services.accounts.get_by_username("alice")
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash


async def test_registration_is_undone_when_the_spawn_fails(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlane.engine.errors import EngineUnavailableError

    async def broken(command: object) -> list[object]:
        raise EngineUnavailableError("region 1 is recovering")

    monkeypatch.setattr(app.state.services.galaxy, "execute", broken)
    r = await client.post("/api/v1/auth/register", json={"username": "carol", "password": PASSWORD})
    assert_problem(r, 503, "engine_unavailable")
    assert r.headers["Retry-After"] == "1"
    assert await app.state.services.accounts.get_by_username("carol") is None
    monkeypatch.undo()
    await register(client, "carol")  # the name is free again


async def test_login_with_json_and_oauth2_form(client: httpx.AsyncClient) -> None:
    await register(client, "alice")
    r = await client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["access_token"]
    # the OAuth2 password form has its own operation; /login is JSON only
    form = {"grant_type": "password", "username": "alice", "password": PASSWORD}
    r = await client.post("/api/v1/auth/login", data=form)
    assert_problem(r, 422, "validation_error")
    r = await client.post("/api/v1/auth/token", data=form)
    assert r.status_code == 200
    token = r.json()["access_token"]
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["name"] == "alice"


async def test_login_refusals(client: httpx.AsyncClient) -> None:
    await register(client, "alice")
    r = await client.post(
        "/api/v1/auth/login", json={"username": "alice", "password": "wrong one!"}
    )
    assert_problem(r, 401, "invalid_credentials")
    assert r.headers["WWW-Authenticate"] == "Bearer"
    r = await client.post("/api/v1/auth/login", json={"username": "nobody", "password": PASSWORD})
    assert_problem(r, 401, "invalid_credentials")
    r = await client.post("/api/v1/auth/login", json={"username": "alice"})
    body = assert_problem(r, 422, "validation_error")
    assert "password" in body["detail"]
    r = await client.post(
        "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(r, 422, "validation_error")


async def test_disabled_account_cannot_log_in(app: FastAPI, client: httpx.AsyncClient) -> None:
    body = await register(client, "alice")
    await app.state.services.accounts.set_disabled(body["account"]["id"], True)
    r = await client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert_problem(r, 403, "account_disabled")


async def test_refresh_rotates_and_reuse_revokes_the_family(client: httpx.AsyncClient) -> None:
    body = await register(client, "alice")
    first = body["tokens"]["refresh_token"]
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert r.status_code == 200
    second = r.json()["refresh_token"]
    assert second != first
    # the rotated token is refused, and its reuse closes the whole session
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert_problem(r, 401, "invalid_refresh_token")
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": second})
    assert_problem(r, 401, "invalid_refresh_token")
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": "z" * 43})
    assert_problem(r, 401, "invalid_refresh_token")


async def test_refresh_token_expires(client: httpx.AsyncClient, clock: FakeClock) -> None:
    body = await register(client, "alice")
    clock.advance(14 * 86_400 + 1)
    r = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": body["tokens"]["refresh_token"]}
    )
    assert_problem(r, 401, "invalid_refresh_token")


async def test_logout_revokes_refresh_and_access_token(client: httpx.AsyncClient) -> None:
    body = await register(client, "alice")
    refresh = body["tokens"]["refresh_token"]
    r = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": refresh}, headers=body["headers"]
    )
    assert r.status_code == 204
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    assert_problem(r, 401, "invalid_refresh_token")
    r = await client.get("/api/v1/me", headers=body["headers"])
    assert_problem(r, 401, "token_revoked")


async def test_logout_refuses_someone_elses_refresh_token(client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    bob = await register(client, "bob")
    r = await client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": bob["tokens"]["refresh_token"]},
        headers=alice["headers"],
    )
    assert_problem(r, 401, "invalid_refresh_token")
    r = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": bob["tokens"]["refresh_token"]}
    )
    assert r.status_code == 200


@pytest.mark.parametrize(("method", "path", "payload"), PROTECTED)
async def test_protected_routes_refuse_bad_tokens(
    client: httpx.AsyncClient,
    clock: FakeClock,
    method: str,
    path: str,
    payload: dict[str, object] | None,
) -> None:
    body = await register(client, "alice")
    token = body["tokens"]["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(
        claims, "not the server secret, but long enough for HS256 keys", algorithm="HS256"
    )
    none_alg = jwt.encode(claims, None, algorithm="none")
    cases = {
        "not_authenticated": {},
        "invalid_token": {"Authorization": f"Bearer {forged}"},
    }
    for code, headers in cases.items():
        r = await client.request(method, path, json=payload, headers=headers)
        assert_problem(r, 401, code)
        assert r.headers["WWW-Authenticate"] == "Bearer"
    r = await client.request(
        method, path, json=payload, headers={"Authorization": f"Bearer {none_alg}"}
    )
    assert_problem(r, 401, "invalid_token")
    r = await client.request(
        method, path, json=payload, headers={"Authorization": "Bearer garbage"}
    )
    assert_problem(r, 401, "invalid_token")
    clock.advance(901)
    r = await client.request(method, path, json=payload, headers=body["headers"])
    assert_problem(r, 401, "token_expired")


async def test_a_token_cannot_be_altered_to_act_as_another_player(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    alice = await register(client, "alice")
    bob = await register(client, "bob")
    token = alice["tokens"]["access_token"]
    header, _payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["sub"] = str(bob["account"]["id"])
    tampered_payload = jwt.encode(claims, "y" * 48, algorithm="HS256").split(".")[1]
    tampered = f"{header}.{tampered_payload}.{signature}"
    r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {tampered}"})
    assert_problem(r, 401, "invalid_token")


async def test_jwt_secret_is_generated_once_with_private_mode(
    app_factory: Callable[..., FastAPI], data_dir: Path
) -> None:
    app_factory()
    path = data_dir / "jwt_secret"
    assert path.exists()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    secret = path.read_text()
    app_factory()
    assert path.read_text() == secret


async def test_admin_account_from_settings(app_factory: Callable[..., FastAPI]) -> None:
    app = app_factory(admin_username="root", admin_password="a very long secret")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.post(
                "/api/v1/auth/login", json={"username": "root", "password": "a very long secret"}
            )
            assert r.status_code == 200
            token = r.json()["access_token"]
            claims = jwt.decode(token, options={"verify_signature": False})
            assert "admin" in claims["roles"]
            me = await c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200


async def test_no_admin_without_configured_password(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    assert await app.state.services.accounts.count() == 0


def _changes(app: FastAPI):
    from starlane.domain.envelope import REGION_EVENT

    return app.state.services.bus.subscribe(
        "test", kinds=None, predicate=lambda m: m.kind != REGION_EVENT
    )


async def test_registration_publishes_its_relational_changes(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlane.engine.errors import EngineUnavailableError

    changes = _changes(app)
    body = await register(client, "alice")
    pid = body["account"]["id"]
    seen = [changes.get_nowait() for _ in range(changes.pending)]
    assert [(m.kind, m.subject) for m in seen] == [
        ("account.created", f"account.{pid}"),
        ("account.updated", f"account.{pid}"),  # the region it spawned in
    ]
    assert seen[1].payload == {"account_id": pid, "region_id": 1}

    async def broken(command: object) -> list[object]:
        raise EngineUnavailableError("region 1 is recovering")

    monkeypatch.setattr(app.state.services.galaxy, "execute", broken)
    r = await client.post("/api/v1/auth/register", json={"username": "dan", "password": PASSWORD})
    assert_problem(r, 503, "engine_unavailable")
    undone = [changes.get_nowait() for _ in range(changes.pending)]
    assert [m.kind for m in undone] == ["account.created", "account.deleted"]
    assert undone[0].subject == undone[1].subject


async def test_a_disabled_account_cannot_refresh_and_the_change_is_published(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    changes = _changes(app)
    body = await register(client, "erin")
    pid = body["account"]["id"]
    assert await app.state.services.accounts.set_disabled(pid, True)
    last = [changes.get_nowait() for _ in range(changes.pending)][-1]
    assert (last.kind, last.payload) == ("account.updated", {"account_id": pid, "disabled": True})
    r = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": body["tokens"]["refresh_token"]}
    )
    assert_problem(r, 401, "invalid_refresh_token")
