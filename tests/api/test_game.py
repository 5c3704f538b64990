"""End-to-end game play over HTTP: me, sectors, moves, autopilot, ports, trades, StarDock,
combat, regions and maps, with fog of war and the refusals of each route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from starlane.api.auth import Principal
from starlane.api.errors import ApiError
from starlane.domain.commands import Move
from tests.api.conftest import PASSWORD, assert_problem, register

STARDOCK = 72  # the Terran StarDock of the test galaxy (seed 2002)
PIRATE_SECTOR, PIRATE = 32, 320


async def _fly(client: httpx.AsyncClient, headers: dict[str, str], to: int) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/me/autopilot", json={"to_sector_id": to, "execute": True}, headers=headers
    )
    assert r.status_code == 200, r.text
    return r.json()


async def test_me_shows_credits_turns_ship_and_place(client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    me = (await client.get("/api/v1/me", headers=alice["headers"])).json()
    assert me["name"] == "alice" and me["membership"] == "free"
    assert me["region_id"] == 1 and me["region_name"] == "Terran Space"
    assert me["sector_id"] == 1 and me["sector_number"] == 1
    assert me["turns"] == {
        "available": 1000,
        "max": 2000,
        "per_day": 1000,
        "next_at": pytest.approx(me["turns"]["next_at"]),
    }
    assert me["turns"]["next_at"] is not None
    ship = me["ship"]
    assert ship["type"] == "light_freighter" and ship["holds"] == 500 and ship["cargo"] == {}


async def test_sector_fog_of_war(client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    h = alice["headers"]
    sol = (await client.get("/api/v1/sectors/1", headers=h)).json()
    assert sol["port"]["name"] == "Sol" and sol["planets"]
    assert all(w["turn_cost"] >= 1 for w in sol["warps"])
    assert_problem(await client.get(f"/api/v1/sectors/{STARDOCK}", headers=h), 404, "not_found")
    assert_problem(await client.get("/api/v1/sectors/999999", headers=h), 404, "not_found")
    # a scan discovers the neighbours
    r = await client.post("/api/v1/me/scan", headers=h)
    assert r.status_code == 200
    scanned = r.json()
    assert {n["id"] for n in scanned["neighbours"]} == {w["to_sector_id"] for w in sol["warps"]}
    first = sol["warps"][0]["to_sector_id"]
    assert (await client.get(f"/api/v1/sectors/{first}", headers=h)).status_code == 200


async def test_move_and_the_other_player_sees_only_their_own_state(
    client: httpx.AsyncClient,
) -> None:
    alice = await register(client, "alice")
    bob = await register(client, "bob")
    sol = (await client.get("/api/v1/sectors/1", headers=alice["headers"])).json()
    assert [s["player_name"] for s in sol["ships"]] == ["bob"]
    to = sol["warps"][0]["to_sector_id"]
    r = await client.post("/api/v1/me/move", json={"to_sector_id": to}, headers=alice["headers"])
    assert r.status_code == 200, r.text
    moved = r.json()
    assert moved["from_sector_id"] == 1 and moved["sector_id"] == to
    assert moved["turns_left"] == 1000 - moved["turns_spent"] and moved["first_visit"]
    assert moved["sector"]["id"] == to
    me_bob = (await client.get("/api/v1/me", headers=bob["headers"])).json()
    assert me_bob["sector_id"] == 1 and me_bob["turns"]["available"] == 1000


async def test_move_refusals(client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    h = alice["headers"]
    r = await client.post("/api/v1/me/move", json={"to_sector_id": STARDOCK}, headers=h)
    assert_problem(r, 409, "not_adjacent")
    r = await client.post("/api/v1/me/move", json={"to_sector_id": 0}, headers=h)
    body = assert_problem(r, 422, "validation_error")
    assert "to_sector_id" in body["detail"]
    r = await client.post("/api/v1/me/move", json={"to_sector_id": "north"}, headers=h)
    assert_problem(r, 422, "validation_error")
    r = await client.post("/api/v1/me/move", json={"to": 2}, headers=h)
    body = assert_problem(r, 422, "validation_error")
    assert {tuple(e["loc"]) for e in body["errors"]} >= {("body", "to"), ("body", "to_sector_id")}


async def test_autopilot_plans_then_flies(client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    h = alice["headers"]
    r = await client.post("/api/v1/me/autopilot", json={"to_sector_id": STARDOCK}, headers=h)
    plan = r.json()
    assert r.status_code == 200 and not plan["executed"] and plan["moves"] == []
    assert plan["path"][0] == 1 and plan["path"][-1] == STARDOCK
    assert plan["turn_cost"] >= len(plan["path"]) - 1
    assert (await client.get("/api/v1/me", headers=h)).json()["sector_id"] == 1
    flown = await _fly(client, h, STARDOCK)
    assert flown["executed"] and flown["sector_id"] == STARDOCK
    assert [m["sector_id"] for m in flown["moves"]] == plan["path"][1:]
    assert flown["turns_left"] == 1000 - plan["turn_cost"]
    # discovered on the way: visible now
    assert (await client.get(f"/api/v1/sectors/{STARDOCK}", headers=h)).status_code == 200


async def test_autopilot_refusals(client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    h = alice["headers"]
    r = await client.post("/api/v1/me/autopilot", json={"to_sector_id": 99_999_999}, headers=h)
    assert_problem(r, 404, "unknown_sector")
    r = await client.post(
        "/api/v1/me/autopilot", json={"to_sector_id": 1, "execute": True}, headers=h
    )
    assert r.status_code in (200, 409)
    if r.status_code == 409:
        assert r.json()["code"] == "already_there"


async def test_port_quote_and_trade(client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    h = alice["headers"]
    port = (await client.get("/api/v1/ports/1", headers=h)).json()
    fuel = next(c for c in port["commodities"] if c["commodity"] == "fuel")
    assert fuel["direction"] == "sells" and fuel["side"] == "buy" and fuel["unit_price"] > 0
    r = await client.get(
        "/api/v1/ports/1/quote",
        params={"commodity": "fuel", "side": "buy", "quantity": 10},
        headers=h,
    )
    quote = r.json()
    assert r.status_code == 200 and quote["quantity"] == 10
    assert quote["credits_change"] == -(quote["total"] + quote["tax"])
    r = await client.post(
        "/api/v1/ports/1/trade",
        json={"commodity": "fuel", "side": "buy", "quantity": 10, "max_unit_price": 1000},
        headers=h,
    )
    receipt = r.json()
    assert r.status_code == 200, r.text
    assert receipt["units"] == 10 and receipt["cargo"] == {"fuel": 10}
    assert receipt["credits_after"] == 10_000 + quote["credits_change"]
    assert receipt["unit_price"] == pytest.approx(quote["unit_price"], rel=0.05)
    me = (await client.get("/api/v1/me", headers=h)).json()
    assert me["credits"] == receipt["credits_after"] and me["ship"]["cargo"] == {"fuel": 10}


async def test_trade_refusals(client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    h = alice["headers"]
    trade = "/api/v1/ports/1/trade"
    r = await client.post(
        trade,
        json={"commodity": "fuel", "side": "buy", "quantity": 10, "max_unit_price": 0.5},
        headers=h,
    )
    body = assert_problem(r, 409, "price_moved")
    assert body["context"]
    r = await client.post(
        trade, json={"commodity": "luxuries", "side": "sell", "quantity": 5}, headers=h
    )
    assert_problem(r, 409, "insufficient_cargo")
    r = await client.post(trade, json={"commodity": "ore", "side": "buy", "quantity": 5}, headers=h)
    assert_problem(r, 409, "port_does_not_trade")
    r = await client.post(
        trade, json={"commodity": "unobtainium", "side": "buy", "quantity": 5}, headers=h
    )
    problem = assert_problem(r, 422, "validation_error")  # the schema lists the commodities
    assert problem["errors"][0]["loc"] == ["body", "commodity"]
    r = await client.post(
        trade, json={"commodity": "fuel", "side": "steal", "quantity": 5}, headers=h
    )
    assert "side" in assert_problem(r, 422, "validation_error")["detail"]
    r = await client.post(
        trade, json={"commodity": "fuel", "side": "buy", "quantity": 10**9}, headers=h
    )
    assert "quantity" in assert_problem(r, 422, "validation_error")["detail"]
    me = (await client.get("/api/v1/me", headers=h)).json()
    assert me["credits"] == 10_000 and me["ship"]["cargo"] == {}  # nothing half-applied
    # a port elsewhere: not discovered (404), or not in the player's sector (409)
    r = await client.get(f"/api/v1/ports/{STARDOCK}", headers=h)
    assert_problem(r, 404, "not_found")
    r = await client.get(
        f"/api/v1/ports/{STARDOCK}/quote",
        params={"commodity": "fuel", "side": "buy", "quantity": 1},
        headers=h,
    )
    assert_problem(r, 404, "not_found")
    await _fly(client, h, STARDOCK)
    r = await client.post(
        trade, json={"commodity": "fuel", "side": "buy", "quantity": 1}, headers=h
    )
    assert_problem(r, 409, "not_in_sector")


async def test_stardock_catalog_and_purchases(client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    h = alice["headers"]
    catalog = (await client.get("/api/v1/stardock", headers=h)).json()
    keys = {s["key"] for s in catalog["ships"]}
    assert "scout" in keys and "escape_pod" not in keys
    assert {x["item"] for x in catalog["hardware"]} >= {"fighters", "holds", "shields"}
    assert catalog["trade_in"] == 40_000
    r = await client.post("/api/v1/stardock/ship", json={"ship_type": "scout"}, headers=h)
    assert_problem(r, 409, "not_a_stardock")
    await _fly(client, h, STARDOCK)
    r = await client.post(
        "/api/v1/stardock/ship", json={"ship_type": "scout", "ship_name": "Dart"}, headers=h
    )
    assert r.status_code == 200, r.text
    bought = r.json()
    assert bought["ship"]["type"] == "scout" and bought["ship"]["name"] == "Dart"
    assert bought["credits_after"] == 10_000 - 30_000 + 40_000
    before = bought["ship"]
    r = await client.post("/api/v1/stardock/fighters", json={"count": 5}, headers=h)
    assert r.status_code == 200 and r.json()["after"] == before["fighters"] + 5
    assert r.json()["credits_after"] == bought["credits_after"] - 5 * 100
    r = await client.post("/api/v1/stardock/holds", json={"count": 5}, headers=h)
    assert r.status_code == 200 and r.json()["after"] == before["holds"] + 5
    me = (await client.get("/api/v1/me", headers=h)).json()
    assert me["ship"]["fighters"] == before["fighters"] + 5
    assert me["ship"]["holds"] == before["holds"] + 5
    r = await client.post("/api/v1/stardock/ship", json={"ship_type": "carrier"}, headers=h)
    assert_problem(r, 409, "insufficient_credits")
    r = await client.post("/api/v1/stardock/ship", json={"ship_type": "warp_jumper"}, headers=h)
    assert_problem(r, 403, "citizens_only")
    r = await client.post("/api/v1/stardock/ship", json={"ship_type": "yacht"}, headers=h)
    problem = assert_problem(r, 422, "validation_error")  # the schema lists the ship types
    assert problem["errors"][0]["loc"] == ["body", "ship_type"]
    r = await client.post("/api/v1/stardock/fighters", json={"count": 0}, headers=h)
    assert_problem(r, 422, "validation_error")


async def test_attack_a_pirate_and_no_pvp_in_terran_space(client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    bob = await register(client, "bob")
    h = alice["headers"]
    r = await client.post(
        "/api/v1/me/attack",
        json={"target_kind": "player", "target_id": bob["account"]["id"]},
        headers=h,
    )
    assert_problem(r, 403, "pvp_forbidden")
    r = await client.post(
        "/api/v1/me/attack", json={"target_kind": "pirate", "target_id": PIRATE}, headers=h
    )
    assert r.status_code in (404, 409)  # the pirate is elsewhere
    await _fly(client, h, PIRATE_SECTOR)
    sector = (await client.get(f"/api/v1/sectors/{PIRATE_SECTOR}", headers=h)).json()
    assert PIRATE in [p["id"] for p in sector["pirates"]]
    r = await client.post(
        "/api/v1/me/attack", json={"target_kind": "pirate", "target_id": PIRATE}, headers=h
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["target_id"] == PIRATE and 1 <= len(report["rounds"]) <= 10
    assert report["winner"] in ("attacker", "target", "none")
    assert report["target_destroyed"] == (report["winner"] == "attacker")
    r = await client.post(
        "/api/v1/me/attack", json={"target_kind": "dragon", "target_id": 1}, headers=h
    )
    assert_problem(r, 422, "validation_error")


async def test_regions_pages_and_maps_with_fog_of_war(
    client: httpx.AsyncClient, app_factory: Callable[..., FastAPI]
) -> None:
    alice = await register(client, "alice")
    h = alice["headers"]
    page = (await client.get("/api/v1/regions", params={"limit": 1}, headers=h)).json()
    assert [r["id"] for r in page["items"]] == [1] and page["next_cursor"]
    page2 = (
        await client.get("/api/v1/regions", params={"cursor": page["next_cursor"]}, headers=h)
    ).json()
    assert [r["id"] for r in page2["items"]] == [2] and page2["next_cursor"] is None
    terran = (await client.get("/api/v1/regions/1", headers=h)).json()
    assert terran["kind"] == "terran" and terran["sector_count"] == 300
    assert terran["policies"]["pvp"] is False
    assert_problem(await client.get("/api/v1/regions/99", headers=h), 404, "not_found")
    r = await client.get("/api/v1/regions", params={"cursor": "!!nonsense"}, headers=h)
    problem = assert_problem(r, 422, "validation_error")  # the schema says what a cursor is
    assert problem["errors"][0]["loc"] == ["query", "cursor"]
    r = await client.get("/api/v1/regions", params={"limit": 0}, headers=h)
    assert "limit" in assert_problem(r, 422, "validation_error")["detail"]
    m = (await client.get("/api/v1/regions/1/map", headers=h)).json()
    assert [s["id"] for s in m["items"]] == [1] and m["total_visible"] == 1
    await _fly(client, h, STARDOCK)
    m = (await client.get("/api/v1/regions/1/map", params={"limit": 2}, headers=h)).json()
    assert m["total_visible"] > 2 and len(m["items"]) == 2 and m["next_cursor"]
    assert all(w["turn_cost"] >= 1 for s in m["items"] for w in s["warps"])
    nexus = (await client.get("/api/v1/regions/2/map", headers=h)).json()
    assert nexus["items"] == [] and nexus["total_visible"] == 0
    assert_problem(await client.get("/api/v1/regions/99/map", headers=h), 404, "not_found")


async def test_admin_sees_every_sector(app_factory: Callable[..., FastAPI]) -> None:
    app = app_factory(admin_username="root", admin_password="a very long secret")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.post(
                "/api/v1/auth/login", json={"username": "root", "password": "a very long secret"}
            )
            h = {"Authorization": f"Bearer {r.json()['access_token']}"}
            assert (await c.get(f"/api/v1/sectors/{STARDOCK}", headers=h)).status_code == 200
            assert (await c.get("/api/v1/sectors/2000", headers=h)).status_code == 200
            m = (await c.get("/api/v1/regions/1/map", params={"limit": 500}, headers=h)).json()
            assert m["total_visible"] == 300 and len(m["items"]) == 300
            player = await c.post(
                "/api/v1/auth/register", json={"username": "pleb", "password": PASSWORD}
            )
            ph = {"Authorization": f"Bearer {player.json()['tokens']['access_token']}"}
            assert (await c.get("/api/v1/sectors/2000", headers=ph)).status_code == 404


async def test_a_player_cannot_act_as_another(app: FastAPI, client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    bob = await register(client, "bob")
    principal = Principal(alice["account"]["id"], "alice", ("player",), "jti", 1e12)
    with pytest.raises(ApiError) as err:
        await app.state.services.game.execute(principal, Move(bob["account"]["id"], 2))
    assert err.value.status == 403


async def test_player_not_in_galaxy(app: FastAPI, client: httpx.AsyncClient) -> None:
    account = await app.state.services.accounts.create("ghost", "x", roles=("player",), now=0.0)
    token, _ = app.state.services.tokens.issue_access(account)
    h = {"Authorization": f"Bearer {token}"}
    assert_problem(await client.get("/api/v1/me", headers=h), 404, "player_not_in_galaxy")
    assert_problem(await client.get("/api/v1/sectors/1", headers=h), 404, "player_not_in_galaxy")
    r = await client.post("/api/v1/me/move", json={"to_sector_id": 2}, headers=h)
    assert_problem(r, 404, "player_not_in_galaxy")


async def test_shields_and_hull_repair_at_the_stardock(client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    h = alice["headers"]
    catalog = (await client.get("/api/v1/stardock", headers=h)).json()
    prices = {x["item"]: x["unit_price"] for x in catalog["hardware"]}
    assert set(prices) == {"fighters", "holds", "shields", "hull_repair"}
    r = await client.post("/api/v1/stardock/repair", headers=h)
    assert_problem(r, 409, "not_a_stardock")
    # take damage from the pirate, then mend at the StarDock
    await _fly(client, h, PIRATE_SECTOR)
    r = await client.post(
        "/api/v1/me/attack", json={"target_kind": "pirate", "target_id": PIRATE}, headers=h
    )
    assert r.status_code == 200, r.text
    await _fly(client, h, STARDOCK)
    me = (await client.get("/api/v1/me", headers=h)).json()
    ship = me["ship"]
    spec = next(t for t in catalog["ships"] if t["key"] == ship["type"])
    missing_shields = spec["shields"] - ship["shields"]
    if missing_shields > 0:
        r = await client.post(
            "/api/v1/stardock/shields", json={"count": missing_shields}, headers=h
        )
        assert r.status_code == 200, r.text
        receipt = r.json()
        assert receipt["after"] == spec["shields"]
        assert receipt["price"] == missing_shields * prices["shields"]
    r = await client.post("/api/v1/stardock/shields", json={"count": 1}, headers=h)
    assert_problem(r, 409, "capacity_exceeded")
    if ship["hull"] < spec["hull"]:
        r = await client.post("/api/v1/stardock/repair", headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["hull_after"] == spec["hull"]
    r = await client.post("/api/v1/stardock/repair", headers=h)
    assert_problem(r, 409, "nothing_to_repair")
