"""Warp Jumper jumps and discovery over HTTP: jump, refusals, cooldown, bonus, scan, restart."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI

from starlane.domain.data import Immigration
from starlane.domain.model import NEXUS_REGION_ID, TERRAN_REGION_ID, RegionState, Ship
from tests.api.conftest import PASSWORD, FakeClock, assert_problem, register
from tests.api.regions import REGION_A, REGION_B, ROOT, ROOT_PASSWORD, client_of, login

pytest_plugins = ["tests.api.region_fixtures"]


def equip(app: FastAPI, player_id: int, fuel: int = 200) -> None:
    """Give a player a Warp Jumper with fuel (the purchase is the StarDock's tests)."""
    player = app.state.services.galaxy.player(player_id)
    player.ship = Ship.new("warp_jumper", "Leap")
    player.ship.cargo["fuel"] = fuel


def nearest(state: RegionState, frm: int, *, within: float, beyond: float = 0.0) -> int:
    """A sector of ``state`` whose distance from sector ``frm`` is in (beyond, within]."""
    here = state.sectors[frm]
    for sector in state.sectors.values():
        d = math.dist((here.x, here.y, here.z), (sector.x, sector.y, sector.z))
        if beyond < d <= within and sector.id != frm:
            return sector.id
    raise AssertionError("no sector at that distance")


def closest_in(app: FastAPI, frm: int, region_id: int) -> tuple[int, float]:
    galaxy = app.state.services.galaxy
    here = galaxy.region_state(TERRAN_REGION_ID).sectors[frm]
    best = min(
        galaxy.region_state(region_id).sectors.values(),
        key=lambda s: math.dist((here.x, here.y, here.z), (s.x, s.y, s.z)),
    )
    return best.id, math.dist((here.x, here.y, here.z), (best.x, best.y, best.z))


async def set_tier(c: httpx.AsyncClient, account_id: int, tier: str = "galactic_citizen") -> None:
    """Set an account's membership tier through the admin route."""
    root = await login(c, ROOT, ROOT_PASSWORD)
    r = await c.post(
        f"/api/v1/admin/accounts/{account_id}/membership",
        json={"tier": tier, "justification": "jump test"},
        headers=root,
    )
    assert r.status_code == 200, r.text


async def jump(c: httpx.AsyncClient, h: dict[str, str], to: int) -> httpx.Response:
    return await c.post("/api/v1/me/jump", json={"to_sector_id": to}, headers=h)


async def test_jump_in_region_fuel_cooldown_and_discovery(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = regions_factory()
    async with app.router.lifespan_context(app), client_of(app) as c:
        alice = await register(c, "alice")
        h, aid = alice["headers"], alice["account"]["id"]
        await set_tier(c, aid)
        equip(app, aid, fuel=0)
        r = await c.post(
            "/api/v1/ports/1/trade",
            json={"commodity": "fuel", "side": "buy", "quantity": 100},
            headers=h,
        )
        assert r.status_code == 200, r.text  # Sol sells fuel
        terran = app.state.services.galaxy.region_state(TERRAN_REGION_ID)
        to = nearest(terran, 1, within=25.0, beyond=5.0)
        r = await jump(c, h, to)
        assert r.status_code == 200, r.text
        body = r.json()
        here, there = terran.sectors[1], terran.sectors[to]
        distance = round(math.dist((here.x, here.y, here.z), (there.x, there.y, there.z)), 3)
        assert body["distance"] == distance and body["fuel_burned"] == math.ceil(distance * 2)
        assert body["fuel_left"] == 100 - body["fuel_burned"]
        assert (body["sector_id"], body["region_id"], body["from_sector_id"]) == (to, 1, 1)
        assert body["first_visit"] and body["discovery_bonus"] == 0
        assert body["sector"]["discovered_by"]["player_name"] == "alice"
        view = (await c.get(f"/api/v1/sectors/{to}", headers=h)).json()
        assert view["discovered_by"]["player_id"] == aid
        # the drive cools down for an hour, to the second
        clock: FakeClock = app.state.services.clock
        start = clock.now
        clock.advance(600)
        body = assert_problem(await jump(c, h, 1), 409, "jump_cooldown")
        assert body["context"]["seconds_left"] == math.ceil(start + 3_600 - clock.now)
        # alice discovered the sector she jumped to (and Sol, unless someone spawned first)
        sol_mine = terran.region.discoveries[1].player_id == aid
        seen, cursor = [], ""
        for _ in range(3):
            r = await c.get(f"/api/v1/me/discoveries?limit=1{cursor}", headers=h)
            seen += [i["sector_id"] for i in r.json()["items"]]
            if r.json()["next_cursor"] is None:
                break
            cursor = f"&cursor={r.json()['next_cursor']}"
        assert seen == sorted({to} | ({1} if sol_mine else set()))
    # a restart keeps the discovery and the cooldown
    again = regions_factory()
    async with again.router.lifespan_context(again), client_of(again) as c:
        assert (await c.get(f"/api/v1/sectors/{to}", headers=h)).json()["discovered_by"]
        assert_problem(await jump(c, h, 1), 409, "jump_cooldown")
        clock.advance(3_000)
        h = await login(c, "alice", PASSWORD)  # the access token has expired meanwhile
        assert (await jump(c, h, 1)).status_code == 200


async def test_jump_refusals(regions_app: FastAPI, regions_client: httpx.AsyncClient) -> None:
    c = regions_client
    bob = await register(c, "bob")
    h, bid = bob["headers"], bob["account"]["id"]
    terran = regions_app.state.services.galaxy.region_state(TERRAN_REGION_ID)
    near = nearest(terran, 1, within=3.0)
    assert_problem(await jump(c, h, near), 409, "not_a_jumper")
    # the StarDock sells Warp Jumpers to Galactic Citizens only
    dock = next(p.sector_id for p in terran.ports.values() if p.port_class == 9)
    r = await c.post(
        "/api/v1/me/autopilot", json={"to_sector_id": dock, "execute": True}, headers=h
    )
    assert r.status_code == 200, r.text
    regions_app.state.services.galaxy.player(bid).credits = 2_000_000
    buy = {"ship_type": "warp_jumper", "ship_name": "Leap"}
    assert_problem(await c.post("/api/v1/stardock/ship", json=buy, headers=h), 403, "citizens_only")
    await set_tier(c, bid)
    r = await c.post("/api/v1/stardock/ship", json=buy, headers=h)
    assert r.status_code == 200 and r.json()["ship"]["type"] == "warp_jumper", r.text
    assert_problem(await jump(c, h, 1), 409, "insufficient_fuel")  # no fuel bought yet
    equip(regions_app, bid, fuel=1)
    await c.post("/api/v1/me/autopilot", json={"to_sector_id": 1, "execute": True}, headers=h)
    assert_problem(await jump(c, h, 1), 409, "already_there")
    assert_problem(await jump(c, h, 2_000_000_000), 404, "unknown_sector")
    assert_problem(await jump(c, h, 0), 422, "validation_error")
    nexus_sector, distance = closest_in(regions_app, 1, NEXUS_REGION_ID)
    assert distance > 25
    body = assert_problem(await jump(c, h, nexus_sector), 409, "out_of_jump_range")
    assert body["context"]["range"] == 25.0
    far = nearest(terran, 1, within=25.0, beyond=3.0)
    body = assert_problem(await jump(c, h, far), 409, "insufficient_fuel")
    assert body["context"]["available"] == 1
    # a lapsed membership locks the drive (the ship stays)
    await set_tier(c, bid, "free")
    assert_problem(await jump(c, h, far), 403, "not_a_citizen")


async def test_jump_across_regions_pays_the_first_visitor_and_the_scan_follows(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = regions_factory(rules={"jump_range": 200.0})
    async with app.router.lifespan_context(app), client_of(app) as c:
        galaxy = app.state.services.galaxy
        alice, bob = await register(c, "alice"), await register(c, "bob")
        scan = (await c.get("/api/v1/discovery/scan", headers=bob["headers"])).json()
        assert [(i["region_id"], i["bonus"]) for i in scan["items"]] == [
            (REGION_A, 1_000),
            (REGION_B, 1_000),
        ]
        first = (await c.get("/api/v1/discovery/scan?limit=1", headers=bob["headers"])).json()
        assert len(first["items"]) == 1 and first["next_cursor"] == str(REGION_A)
        for person in (alice, bob):
            await set_tier(c, person["account"]["id"])
            equip(app, person["account"]["id"], fuel=1_000)
        target, _ = closest_in(app, 1, REGION_A)
        credits = galaxy.player(alice["account"]["id"]).credits
        r = await jump(c, alice["headers"], target)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["region_id"], body["sector_id"], body["discovery_bonus"]) == (
            REGION_A,
            target,
            1_000,
        )
        assert body["credits"] == credits + 1_000
        assert galaxy.directory.locate(alice["account"]["id"]) == (REGION_A, target)
        scan = (await c.get("/api/v1/discovery/scan", headers=bob["headers"])).json()
        assert [(i["region_id"], i["bonus"]) for i in scan["items"]] == [
            (REGION_A, 0),
            (REGION_B, 1_000),
        ]
        mine = (await c.get("/api/v1/discovery/scan", headers=alice["headers"])).json()
        assert [i["region_id"] for i in mine["items"]] == [REGION_B]
        # the destination's immigration policy applies
        galaxy.region_info(REGION_B).policy.immigration = Immigration.CLOSED
        target_b, _ = closest_in(app, 1, REGION_B)
        assert_problem(await jump(c, bob["headers"], target_b), 403, "immigration_refused")
        assert galaxy.directory.locate(bob["account"]["id"])[0] == TERRAN_REGION_ID
        # bob's first jump into A: no bonus left there
        r = await jump(c, bob["headers"], nearest_other(galaxy.region_state(REGION_A), target))
        assert r.status_code == 200 and r.json()["discovery_bonus"] == 0


def nearest_other(state: RegionState, taken: int) -> int:
    """Any sector of ``state`` but ``taken`` (jump range 200 covers the region)."""
    return next(s for s in sorted(state.sectors) if s != taken)


def test_jump_over_the_websocket(app_factory: Callable[..., FastAPI]) -> None:
    from fastapi.testclient import TestClient

    from starlane.domain.data import Membership
    from tests.api.test_ws import _register, _reply, _until

    with TestClient(app_factory()) as tc:
        pid, token = _register(tc, "wsjumper")
        app: Any = tc.app
        player = app.state.services.galaxy.player(pid)
        player.membership = Membership.CITIZEN  # as created: the book holds no other terms
        equip(app, pid, fuel=100)
        terran = app.state.services.galaxy.region_state(TERRAN_REGION_ID)
        to = nearest(terran, 1, within=25.0, beyond=2.0)
        with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
            ws.receive_json()
            ws.send_json({"id": "j", "op": "jump", "args": {"to_sector_id": to}})
            seen: list[dict[str, Any]] = []
            reply = _until(ws, lambda m: seen.append(m) or m.get("type") == "reply")
            assert reply["ok"] is True and reply["result"]["sector_id"] == to
            if not any(m["type"] == "event" for m in seen):
                seen.append(_until(ws, lambda m: m.get("type") == "event"))
            event = next(m for m in seen if m["type"] == "event")
            assert event["event"]["type"] == "player_jumped"
            ws.send_json({"id": "k", "op": "jump", "args": {"to_sector_id": 1}})
            assert _reply(ws, "k")["error"]["code"] == "jump_cooldown"


async def test_a_hostile_region_refuses_a_jump_from_the_others_citizens(
    regions_factory: Callable[..., FastAPI],
) -> None:
    from tests.api.regions import cast

    app = regions_factory(rules={"jump_range": 200.0})
    async with app.router.lifespan_context(app), client_of(app) as c:
        galaxy = app.state.services.galaxy
        people = await cast(app, c)
        pid, h = people["player"]["id"], people["player"]["headers"]
        r = await c.post(f"/api/v1/regions/{REGION_B}/citizenship", headers=h)
        assert r.status_code == 200, r.text
        await set_tier(c, pid)
        equip(app, pid, fuel=1_000)
        stance = f"/api/v1/regions/{REGION_A}/stances/{REGION_B}"
        gov_a = people["gov_a"]["headers"]
        r = await c.put(stance, json={"stance": "hostile", "refuse_entry": True}, headers=gov_a)
        assert r.status_code == 200, r.text
        target, _ = closest_in(app, 1, REGION_A)
        before = galaxy.player(pid)
        where, fuel = galaxy.directory.locate(pid), before.ship.cargo["fuel"]
        body = assert_problem(await jump(c, h, target), 403, "hostile_region")
        assert body["context"]["home_region_id"] == REGION_B
        # refused before anything moved: same place, same fuel, no cooldown started
        assert galaxy.directory.locate(pid) == where
        assert galaxy.player(pid).ship.cargo["fuel"] == fuel
        r = await c.put(stance, json={"stance": "neutral"}, headers=gov_a)
        assert r.status_code == 200, r.text
        r = await jump(c, h, target)
        assert r.status_code == 200, r.text
        assert galaxy.directory.locate(pid) == (REGION_A, target)
