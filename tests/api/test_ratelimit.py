"""Rate limits trigger at the configured numbers (defaults: login/register 5/min per address and
per (address, username), game commands 20 per 2 s per player) and answer 429 with
``Retry-After``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from starlane.config import RateLimits
from tests.api.conftest import PASSWORD, assert_problem


@asynccontextmanager
async def _started(app: FastAPI, ip: str = "10.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(ip, 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            yield c


def _client(app: FastAPI, ip: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(ip, 1234)), base_url="http://t"
    )


async def test_login_limited_per_ip_at_five_per_minute(app_factory: Callable[..., FastAPI]) -> None:
    app = app_factory(rate=RateLimits())
    async with _started(app) as c:
        for i in range(5):
            r = await c.post("/api/v1/auth/login", json={"username": f"u{i}", "password": "x"})
            assert r.status_code == 401
        r = await c.post("/api/v1/auth/login", json={"username": "u9", "password": "x"})
        body = assert_problem(r, 429, "rate_limited")
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        assert body["context"]["limit"] == "login"
        # another address is not affected
        async with _client(app, "10.0.0.2") as other:
            r = await other.post("/api/v1/auth/login", json={"username": "u9", "password": "x"})
            assert r.status_code == 401


async def test_a_stranger_cannot_lock_a_player_out_of_login(
    app_factory: Callable[..., FastAPI],
) -> None:
    """Failed logins are limited per address and per (address, username), never per username
    alone: the attacker's address is refused, the owner elsewhere still logs in."""
    app = app_factory(rate=RateLimits(trusted_networks=[]))
    async with _started(app, "10.0.1.1") as owner:
        r = await owner.post(
            "/api/v1/auth/register", json={"username": "Bob", "password": PASSWORD}
        )
        assert r.status_code == 201
        for i in range(5):
            async with _client(app, f"10.0.2.{i}") as c:  # a botnet: one failure per address
                r = await c.post("/api/v1/auth/login", json={"username": "bob", "password": "x"})
                assert r.status_code == 401
        async with _client(app, "10.0.2.0") as c:
            for _ in range(4):
                await c.post("/api/v1/auth/login", json={"username": "bob", "password": "x"})
            r = await c.post("/api/v1/auth/login", json={"username": "bob", "password": "x"})
            assert_problem(r, 429, "rate_limited")
        r = await owner.post("/api/v1/auth/login", json={"username": "bob", "password": PASSWORD})
        assert r.status_code == 200


async def test_trusted_networks_are_still_limited_per_address_and_username(
    app_factory: Callable[..., FastAPI],
) -> None:
    app = app_factory(rate=RateLimits(trusted_networks=["10.0.0.0/8"]))
    async with _started(app) as c:
        for i in range(5):
            r = await c.post("/api/v1/auth/login", json={"username": f"u{i}", "password": "x"})
            assert r.status_code == 401  # the address is exempt from the per-address limit
        for _ in range(5):
            await c.post("/api/v1/auth/login", json={"username": "u9", "password": "x"})
        r = await c.post("/api/v1/auth/login", json={"username": "u9", "password": "x"})
        assert_problem(r, 429, "rate_limited")  # guessing one password is still limited


async def test_register_limited_per_ip(app_factory: Callable[..., FastAPI]) -> None:
    app = app_factory(rate=RateLimits())
    async with _started(app) as c:
        for i in range(5):
            r = await c.post(
                "/api/v1/auth/register", json={"username": f"user{i}", "password": PASSWORD}
            )
            assert r.status_code == 201
        r = await c.post("/api/v1/auth/register", json={"username": "user9", "password": PASSWORD})
        assert_problem(r, 429, "rate_limited")
        assert await app.state.services.accounts.get_by_username("user9") is None


async def test_default_command_limit_is_a_burst_of_twenty_per_two_seconds() -> None:
    from starlane.api.errors import ApiError
    from starlane.api.ratelimit import RateLimiter

    limiter = RateLimiter(RateLimits())
    for _ in range(20):
        await limiter.hit("command", "player:1")
    with pytest.raises(ApiError) as err:
        await limiter.hit("command", "player:1")
    assert err.value.status == 429 and 1 <= int(err.value.headers["Retry-After"]) <= 2
    await limiter.hit("command", "player:2")  # per player


async def test_sustained_command_rate_per_minute() -> None:
    from starlane.api.errors import ApiError
    from starlane.api.ratelimit import RateLimiter

    # a generous burst window, a sustained rate of 1/s: the 61st command in a minute is refused
    limiter = RateLimiter(RateLimits(commands_per_second=1, commands_burst=100, burst_seconds=1))
    for _ in range(60):
        await limiter.hit("command", "player:1")
    with pytest.raises(ApiError) as err:
        await limiter.hit("command", "player:1")
    assert err.value.status == 429 and 1 <= int(err.value.headers["Retry-After"]) <= 60


async def test_commands_over_http_refused_after_the_burst(
    app_factory: Callable[..., FastAPI],
) -> None:
    # the burst of 20 as by default, over a window long enough that a slow machine cannot
    # spread 20 requests past it
    app = app_factory(rate=RateLimits(burst_seconds=60))
    async with _started(app) as c:
        r = await c.post("/api/v1/auth/register", json={"username": "alice", "password": PASSWORD})
        h = {"Authorization": f"Bearer {r.json()['tokens']['access_token']}"}
        trade = {"commodity": "fuel", "side": "buy", "quantity": 1}
        for _ in range(20):
            r = await c.post("/api/v1/ports/1/trade", json=trade, headers=h)
            assert r.status_code == 200, r.text
        r = await c.post("/api/v1/ports/1/trade", json=trade, headers=h)
        assert_problem(r, 429, "rate_limited")
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        me = (await c.get("/api/v1/me", headers=h)).json()  # reads are not commands
        assert me["ship"]["cargo"] == {"fuel": 20}
        text = (await c.get("/metrics")).text
        assert 'starlane_commands_total{command="trade",outcome="rate_limited"} 1.0' in text


async def test_limits_can_be_disabled(app_factory: Callable[..., FastAPI]) -> None:
    app = app_factory(rate=RateLimits(enabled=False))
    async with _started(app) as c:
        for _ in range(12):
            r = await c.post("/api/v1/auth/login", json={"username": "x", "password": "y"})
            assert r.status_code == 401


async def test_redis_storage_is_selectable(app_factory: Callable[..., FastAPI]) -> None:
    import uuid

    import redis.asyncio as aioredis

    probe = aioredis.from_url("redis://127.0.0.1:6379")
    try:
        await probe.ping()
    except Exception as exc:
        pytest.skip(f"no Redis server on 127.0.0.1:6379: {exc}")
    finally:
        await probe.aclose()
    app = app_factory(rate=RateLimits(storage_url="redis://127.0.0.1:6379"))
    ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    async with _started(app, ip) as c:
        for i in range(5):
            user = f"r{uuid.uuid4().hex[:10]}{i}"
            r = await c.post("/api/v1/auth/login", json={"username": user, "password": "x"})
            assert r.status_code == 401
        r = await c.post("/api/v1/auth/login", json={"username": "zz", "password": "x"})
        assert_problem(r, 429, "rate_limited")


async def test_loopback_is_exempt_from_per_ip_limits_only(
    app_factory: Callable[..., FastAPI],
) -> None:
    """Bots of ``serve --bots`` and a local player share 127.0.0.1 without locking out each
    other."""
    app = app_factory(rate=RateLimits())
    async with _started(app, ip="127.0.0.1") as c:
        for i in range(7):
            r = await c.post(
                "/api/v1/auth/register", json={"username": f"local{i}", "password": PASSWORD}
            )
            assert r.status_code == 201
        # the per-username limit still applies to a trusted address
        for _ in range(5):
            r = await c.post("/api/v1/auth/login", json={"username": "carol", "password": "x"})
            assert r.status_code == 401
        r = await c.post("/api/v1/auth/login", json={"username": "carol", "password": "x"})
        assert_problem(r, 429, "rate_limited")


async def test_loopback_is_limited_when_no_network_is_trusted(
    app_factory: Callable[..., FastAPI],
) -> None:
    app = app_factory(rate=RateLimits(trusted_networks=[]))
    async with _started(app, ip="127.0.0.1") as c:
        for i in range(5):
            r = await c.post(
                "/api/v1/auth/register", json={"username": f"local{i}", "password": PASSWORD}
            )
            assert r.status_code == 201
        r = await c.post("/api/v1/auth/register", json={"username": "local9", "password": PASSWORD})
        assert_problem(r, 429, "rate_limited")
