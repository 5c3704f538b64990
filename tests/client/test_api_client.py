"""The API client against the real app in-process: every call a client needs, and refusals."""

from __future__ import annotations

import httpx
import pytest

from starlane.client.api import ApiError, StarlaneClient, problem_from_response

PASSWORD = "a long password"


async def test_register_then_play_a_turn(transport: httpx.ASGITransport) -> None:
    async with StarlaneClient("http://test", transport=transport) as api:
        await api.register("alice", PASSWORD)
        me = await api.me()
        assert me["name"] == "alice" and me["sector_id"] == 1 and me["credits"] == 10_000
        sol = await api.sector(1)
        assert sol["port"]["name"] == "Sol"
        port = await api.port(1)
        fuel = next(c for c in port["commodities"] if c["commodity"] == "fuel")
        quote = await api.quote(1, "fuel", "buy", 10)
        assert quote["unit_price"] == pytest.approx(fuel["unit_price"], rel=0.05)
        receipt = await api.trade(1, "fuel", "buy", 10, max_unit_price=quote["unit_price"] * 1.1)
        assert receipt["units"] == 10 and receipt["cargo"] == {"fuel": 10}
        assert (await api.me())["credits"] == receipt["credits_after"]
        to = sol["warps"][0]["to_sector_id"]
        moved = await api.move(to)
        assert moved["sector_id"] == to and moved["sector"]["id"] == to
        plan = await api.autopilot(1, execute=False)
        assert plan["path"][-1] == 1 and not plan["executed"]
        flown = await api.autopilot(1)
        assert flown["sector_id"] == 1
        regions = await api.regions()
        assert {r["name"] for r in regions["items"]} >= {"Terran Space", "Central Nexus"}
        catalogue = await api.stardock()
        assert any(s["key"] == "scout" for s in catalogue["ships"])


async def test_login_refresh_and_logout(transport: httpx.ASGITransport) -> None:
    async with StarlaneClient("http://test", transport=transport) as api:
        await api.register("bob_2", PASSWORD)
    async with StarlaneClient("http://test", transport=transport) as api:
        await api.login("bob_2", PASSWORD)
        first_refresh = api.refresh_token
        await api.refresh()
        assert api.refresh_token != first_refresh
        api.access_token = "forged"  # an invalid access token is refreshed transparently
        assert (await api.me())["name"] == "bob_2"
        await api.logout()
        with pytest.raises(ApiError) as info:
            await api.me()
        assert info.value.status == 401


async def test_register_or_login_registers_once(transport: httpx.ASGITransport) -> None:
    async with StarlaneClient("http://test", transport=transport) as api:
        await api.register_or_login("carol", PASSWORD)
        await api.register_or_login("carol", PASSWORD)
        assert (await api.me())["name"] == "carol"


@pytest.mark.parametrize(
    ("call", "status", "code"),
    [
        (lambda api: api.move(99_999), 404, "unknown_sector"),
        (lambda api: api.trade(1, "fuel", "sell", 5), 409, "port_does_not_trade"),
        (lambda api: api.trade(1, "fuel", "buy", 5, max_unit_price=1.0), 409, "price_moved"),
        (lambda api: api.trade(1, "fuel", "buy", 0), 422, "validation_error"),
        (lambda api: api.sector(250), 404, None),
        (lambda api: api.buy_fighters(1), 409, "not_a_stardock"),
    ],
)
async def test_refusals_carry_the_problem_code(
    transport: httpx.ASGITransport, call, status: int, code: str | None
) -> None:
    async with StarlaneClient("http://test", transport=transport) as api:
        await api.register("dave", PASSWORD)
        with pytest.raises(ApiError) as info:
            await call(api)
        assert info.value.status == status
        if code:
            assert info.value.code == code
        assert info.value.detail


async def test_wrong_password_is_refused(transport: httpx.ASGITransport) -> None:
    async with StarlaneClient("http://test", transport=transport) as api:
        await api.register("erin", PASSWORD)
        with pytest.raises(ApiError) as info:
            await api.login("erin", "not the password")
        assert info.value.status == 401


def test_rate_limited_problem_carries_retry_after() -> None:
    response = httpx.Response(
        429,
        headers={"Retry-After": "3"},
        json={"type": "x", "title": "t", "status": 429, "detail": "slow", "code": "rate_limited"},
    )
    error = problem_from_response(response)
    assert error.rate_limited and error.retry_after == 3.0 and error.code == "rate_limited"
    bare = problem_from_response(httpx.Response(500, text="boom"))
    assert bare.code == "http_500" and bare.retry_after is None


async def test_unreachable_server_is_a_connection_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with StarlaneClient("http://test", transport=httpx.MockTransport(refuse)) as api:
        with pytest.raises(ApiError) as info:
            await api.me()
        assert info.value.code == "connection_error" and info.value.status == 0
        assert not await api.healthz()
