"""Player-built warp gates through the API: a site, deliveries, construction on a durable
timer (across a restart, and at recovery when it fell due while the server was down), passage
with the toll to the owner, abandoning with the credits back, and the refusals' problems."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI

from starlane.domain.data import PORT_CLASSES
from starlane.domain.model import RegionState
from tests.api.conftest import PASSWORD, FakeClock, assert_problem, register

CHEAP = {"gate_credits": 2_000, "gate_equipment": 3, "gate_ore": 2}


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def _terran(app: FastAPI) -> RegionState:
    state: RegionState = app.state.services.galaxy.engines[1].state
    return state


def _distances(state: RegionState, start: int) -> dict[int, int]:
    seen = {start: 0}
    frontier = deque([start])
    while frontier:
        here = frontier.popleft()
        for nxt in state.sectors[here].warps:
            if nxt in state.sectors and nxt not in seen:
                seen[nxt] = seen[here] + 1
                frontier.append(nxt)
    return seen


def _seller(state: RegionState, start: int, commodity: str) -> int:
    """The nearest sector whose port sells ``commodity``."""
    dist = _distances(state, start)
    for sector_id in sorted(dist, key=lambda s: (dist[s], s)):
        port = state.ports.get(sector_id)
        if port is not None and commodity in PORT_CLASSES[port.port_class].sells:
            return sector_id
    raise AssertionError(f"no port sells {commodity}")


ROOT = {"admin_username": "root", "admin_password": "a very long secret"}


async def _citizen(app: FastAPI, c: httpx.AsyncClient, name: str) -> dict[str, Any]:
    """Register a player and have an operator grant them Galactic Citizen membership."""
    body = await register(c, name)
    r = await c.post(
        "/api/v1/auth/login", json={"username": "root", "password": ROOT["admin_password"]}
    )
    root = {"Authorization": f"Bearer {r.json()['access_token']}"}
    r = await c.post(
        f"/api/v1/admin/accounts/{body['account']['id']}/membership",
        json={"tier": "galactic_citizen", "justification": "gate tests"},
        headers=root,
    )
    assert r.status_code == 200, r.text
    return body


async def _fly(c: httpx.AsyncClient, who: dict[str, Any], to: int) -> None:
    me = (await c.get("/api/v1/me", headers=who["headers"])).json()
    if me["sector_id"] == to:
        return
    r = await c.post(
        "/api/v1/me/autopilot", json={"to_sector_id": to, "execute": True}, headers=who["headers"]
    )
    assert r.status_code == 200, r.text


async def _buy(app: FastAPI, c: httpx.AsyncClient, who: dict[str, Any], key: str, n: int) -> None:
    me = (await c.get("/api/v1/me", headers=who["headers"])).json()
    port = _seller(_terran(app), me["sector_id"], key)
    await _fly(c, who, port)
    r = await c.post(
        f"/api/v1/ports/{port}/trade",
        json={"commodity": key, "side": "buy", "quantity": n},
        headers=who["headers"],
    )
    assert r.status_code == 200, r.text


async def _build(
    c: httpx.AsyncClient, who: dict[str, Any], frm: int, to: int, toll: int = 0
) -> httpx.Response:
    return await c.post(
        "/api/v1/gates",
        json={"from_sector_id": frm, "to_sector_id": to, "toll": toll},
        headers=who["headers"],
    )


def _far_and_near(state: RegionState, start: int) -> tuple[int, int]:
    dist = _distances(state, start)
    far = min(s for s, d in dist.items() if d >= 10)
    near = min(s for s, d in dist.items() if d == 3)
    return far, near


async def _credits(c: httpx.AsyncClient, who: dict[str, Any]) -> int:
    me = (await c.get("/api/v1/me", headers=who["headers"])).json()
    credits: int = me["credits"]
    return credits


async def test_build_deliver_construct_across_a_restart_then_pass_with_the_toll(
    app_factory: Callable[..., FastAPI],
) -> None:
    settings = {"rules": CHEAP, "gate_build_seconds": 0.6, **ROOT}
    first = app_factory(**settings)
    async with first.router.lifespan_context(first), _client(first) as c:
        alice = await _citizen(first, c, "alice")
        bob = await register(c, "bob")
        await _buy(first, c, alice, "equipment", 2)  # not all: the rest comes on a later trip
        site = (await c.get("/api/v1/me", headers=alice["headers"])).json()["sector_id"]
        far, _ = _far_and_near(_terran(first), site)
        credits = await _credits(c, alice)
        r = await _build(c, alice, site, far, toll=150)
        assert r.status_code == 200, r.text
        gate = r.json()
        gid = gate["id"]
        assert gate["state"] == "site" and gate["credits"] == 2_000
        assert gate["delivered"] == {"equipment": 2}
        assert gate["missing"] == {"equipment": 1, "ore": 2}
        assert await _credits(c, alice) == credits - 2_000
        await _buy(first, c, alice, "ore", 2)
        await _buy(first, c, alice, "equipment", 1)
        await _fly(c, alice, far)
        r = await c.post(f"/api/v1/gates/{gid}/deliver", headers=alice["headers"])
        assert_problem(r, 409, "not_at_site")
        await _fly(c, alice, site)
        r = await c.post(f"/api/v1/gates/{gid}/deliver", headers=alice["headers"])
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "building" and 0 < r.json()["seconds_left"] <= 0.6
        listed = (await c.get("/api/v1/gates", headers=bob["headers"])).json()
        assert [g["id"] for g in listed["items"]] == [gid]
    # the server stops before the construction is due, and starts again
    second = app_factory(**settings)
    async with second.router.lifespan_context(second), _client(second) as c:
        r = await c.get(f"/api/v1/gates/{gid}", headers=bob["headers"])
        assert r.json()["state"] == "building"
        for _ in range(40):
            await asyncio.sleep(0.05)
            if (await c.get(f"/api/v1/gates/{gid}", headers=bob["headers"])).json()[
                "state"
            ] == "open":
                break
        assert (await c.get(f"/api/v1/gates/{gid}", headers=bob["headers"])).json()[
            "state"
        ] == "open"
        # bob flies to the gate and passes it; the toll goes to alice
        await _fly(c, bob, site)
        bob_before, alice_before = await _credits(c, bob), await _credits(c, alice)
        r = await c.post("/api/v1/me/move", json={"to_sector_id": far}, headers=bob["headers"])
        assert r.status_code == 200, r.text
        assert r.json()["sector_id"] == far and r.json()["toll_paid"] == 150
        assert await _credits(c, bob) == bob_before - 150
        assert await _credits(c, alice) == alice_before + 150
        # only the owner closes it; then it is no link any more
        r = await c.post(f"/api/v1/gates/{gid}/close", headers=bob["headers"])
        assert_problem(r, 403, "not_gate_owner")
        r = await c.post(f"/api/v1/gates/{gid}/close", headers=alice["headers"])
        assert r.status_code == 200 and r.json()["state"] == "closed"
        await _fly(c, bob, site)
        r = await c.post("/api/v1/me/move", json={"to_sector_id": far}, headers=bob["headers"])
        assert_problem(r, 409, "not_adjacent")


async def test_a_construction_due_while_the_server_was_down_completes_at_recovery(
    app_factory: Callable[..., FastAPI], clock: FakeClock
) -> None:
    rules = {"gate_credits": 2_000, "gate_equipment": 0, "gate_ore": 0}
    first = app_factory(rules=rules, gate_build_seconds=3_600, **ROOT)
    async with first.router.lifespan_context(first), _client(first) as c:
        alice = await _citizen(first, c, "alice")
        far, _ = _far_and_near(_terran(first), 1)
        r = await _build(c, alice, 1, far)
        assert r.status_code == 200 and r.json()["state"] == "building", r.text
        gid = r.json()["id"]
        assert r.json()["seconds_left"] == 3_600
        # a gate into another region (the Nexus): no warp distance, built the same way
        nexus = first.state.services.galaxy.region_state(2)
        to_nexus = nexus.region.first_sector_id + 7
        r = await _build(c, alice, 1, to_nexus, toll=40)
        assert r.status_code == 200 and r.json()["to_region_id"] == 2, r.text
        other_gid = r.json()["id"]
    clock.advance(7_200)  # down for two hours
    second = app_factory(rules=rules, gate_build_seconds=3_600, **ROOT)
    async with second.router.lifespan_context(second), _client(second) as c:
        r = await c.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
        h = {"Authorization": f"Bearer {r.json()['access_token']}"}  # the old token expired
        for _ in range(40):
            gate = (await c.get(f"/api/v1/gates/{gid}", headers=h)).json()
            if gate["state"] == "open":
                break
            await asyncio.sleep(0.02)
        assert gate["state"] == "open" and gate["seconds_left"] is None
        gate = (await c.get(f"/api/v1/gates/{other_gid}", headers=h)).json()
        assert gate["state"] == "open"
        # a player at Sol passes into the Nexus through it; the owner gets the toll
        bob = await register(c, "bob")
        alice_before = (await c.get("/api/v1/me", headers=h)).json()["credits"]
        r = await c.post("/api/v1/me/move", json={"to_sector_id": to_nexus}, headers=bob["headers"])
        assert r.status_code == 200, r.text
        assert r.json()["region_id"] == 2 and r.json()["sector_id"] == to_nexus
        assert r.json()["toll_paid"] >= 40
        assert (await c.get("/api/v1/me", headers=h)).json()["credits"] == alice_before + 40


async def test_refusals_and_abandoning_with_the_credits_back(
    app_factory: Callable[..., FastAPI],
) -> None:
    app = app_factory(rules={**CHEAP, "gate_credits": 9_000}, gate_build_seconds=60, **ROOT)
    async with app.router.lifespan_context(app), _client(app) as c:
        free = await register(c, "freddy")
        alice = await _citizen(app, c, "alice")
        bob = await _citizen(app, c, "bob")
        far, near = _far_and_near(_terran(app), 1)
        assert_problem(await _build(c, free, 1, far), 403, "not_a_citizen")
        assert_problem(await _build(c, alice, 2, far), 422, "invalid_endpoints")
        assert_problem(await _build(c, alice, 1, 1), 422, "invalid_endpoints")
        assert_problem(await _build(c, alice, 1, near), 422, "endpoints_too_close")
        r = await _build(c, alice, 1, far, toll=10_001)
        assert_problem(r, 422, "validation_error")
        credits = await _credits(c, alice)
        r = await _build(c, alice, 1, far)
        assert r.status_code == 200, r.text
        gid = r.json()["id"]
        assert await _credits(c, alice) == credits - 9_000
        # a second site on the same link, and a builder without the credits
        assert_problem(await _build(c, alice, 1, far), 409, "gate_exists")
        dist = _distances(_terran(app), 1)
        others = sorted(s for s, d in dist.items() if d >= 10 and s != far)
        assert (await _build(c, bob, 1, others[0])).status_code == 200
        assert_problem(await _build(c, bob, 1, others[1]), 409, "insufficient_resources")
        r = await c.post(f"/api/v1/gates/{gid}/deliver", headers=alice["headers"])
        assert_problem(r, 409, "nothing_to_deliver")
        r = await c.post(f"/api/v1/gates/{gid}/abandon", headers=bob["headers"])
        assert_problem(r, 403, "not_gate_owner")
        r = await c.post("/api/v1/gates/1999999/abandon", headers=alice["headers"])
        assert_problem(r, 404, "unknown_gate")
        assert_problem(
            await c.get("/api/v1/gates/1999999", headers=alice["headers"]), 404, "unknown_gate"
        )
        r = await c.post(f"/api/v1/gates/{gid}/close", headers=alice["headers"])
        assert_problem(r, 409, "gate_state")
        r = await c.post(f"/api/v1/gates/{gid}/abandon", headers=alice["headers"])
        assert r.status_code == 200 and r.json()["state"] == "abandoned", r.text
        assert await _credits(c, alice) == credits  # every credit back
        mine = (await c.get("/api/v1/gates?mine=true", headers=bob["headers"])).json()
        assert all(g["owner_id"] == bob["account"]["id"] for g in mine["items"])
