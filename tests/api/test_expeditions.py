"""Trade expeditions over HTTP: plan, save, fly leg by leg across regions, refusals, restart."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI

from starlane.domain.model import TERRAN_REGION_ID
from starlane.domain.routes import plan_route
from tests.api.conftest import assert_problem, register
from tests.api.regions import REGION_A, client_of

pytest_plugins = ("tests.api.region_fixtures",)  # the two-region galaxy's fixtures


def _waypoints(app: FastAPI, start: int) -> list[int]:
    """Two Terran ports near the start and one port of region A (3)."""
    galaxy = app.state.services.galaxy
    terran = galaxy.region_state(TERRAN_REGION_ID)
    near = sorted((plan_route(terran, start, p, 1).turns, p) for p in terran.ports if p != start)
    region = galaxy.region_state(REGION_A)
    return [near[0][1], near[1][1], sorted(region.ports)[0]]


async def _alice(app: FastAPI, client: httpx.AsyncClient) -> tuple[dict[str, str], list[int]]:
    alice = await register(client, "alice")
    h = alice["headers"]
    me = (await client.get("/api/v1/me", headers=h)).json()
    return h, _waypoints(app, me["sector_id"])


async def test_an_expedition_is_planned_saved_and_flown_as_projected(
    regions_app: FastAPI, regions_client: httpx.AsyncClient
) -> None:
    app, client = regions_app, regions_client
    h, waypoints = await _alice(app, client)
    app.state.services.galaxy.region_state(REGION_A).region.policy.gate_toll = 150
    r = await client.post("/api/v1/expeditions/plan", json={"waypoints": waypoints}, headers=h)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert sorted(plan["order"]) == sorted(waypoints) and plan["exact"] is True
    assert plan["projected_profit"] == sum(
        leg["projected"]["credits"] - leg["projected"]["tolls"] for leg in plan["legs"]
    )
    assert plan["projected_turns"] == sum(leg["projected"]["turns"] for leg in plan["legs"])
    assert plan["risk"]["tolls"] == 150 and plan["real_duration_seconds"] == 0
    into_a = [leg for leg in plan["legs"] if leg["region_id"] == REGION_A]
    assert into_a[0]["projected"]["tolls"] == 150
    assert all(leg["actual"] is None for leg in plan["legs"])

    r = await client.post("/api/v1/expeditions", json={"waypoints": waypoints}, headers=h)
    assert r.status_code == 201, r.text
    saved = r.json()
    assert saved["status"] == "planned" and saved["next_leg"] == 0
    assert saved["order"] == plan["order"] and saved["legs"] == plan["legs"]
    eid = saved["id"]
    before = (await client.get("/api/v1/me", headers=h)).json()
    for n in range(3):
        r = await client.post(f"/api/v1/expeditions/{eid}/next", headers=h)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["next_leg"] == n + 1
        leg = body["legs"][n]
        # nothing moved since planning (a fixed clock, no other trader): actual == projected
        assert leg["actual"]["turns"] == leg["projected"]["turns"], leg
        assert leg["actual"]["tolls"] == leg["projected"]["tolls"], leg
        assert leg["actual"]["credits"] == leg["projected"]["credits"], leg
        assert [t["units"] for t in leg["actual"]["trades"]] == [
            t["units"] for t in leg["projected"]["trades"]
        ]
        me = (await client.get("/api/v1/me", headers=h)).json()
        assert me["sector_id"] == leg["sector_id"] and me["region_id"] == leg["region_id"]
    assert body["status"] == "finished" and body["finished_at"] is not None
    assert body["actual_profit"] == plan["projected_profit"]
    assert body["actual_turns"] == plan["projected_turns"]
    after = (await client.get("/api/v1/me", headers=h)).json()
    # on top of the trades: the bonus for being region A's first visitor (it opened just now)
    bonus = app.state.services.galaxy.rules.discovery_bonus
    assert after["credits"] - before["credits"] == plan["projected_profit"] + bonus
    r = await client.post(f"/api/v1/expeditions/{eid}/next", headers=h)
    assert_problem(r, 409, "expedition_finished")
    shown = (await client.get(f"/api/v1/expeditions/{eid}", headers=h)).json()
    assert shown == body


async def test_each_refusal_has_its_code(
    regions_app: FastAPI, regions_client: httpx.AsyncClient
) -> None:
    app, client = regions_app, regions_client
    h, waypoints = await _alice(app, client)
    bob = (await register(client, "bob"))["headers"]
    url = "/api/v1/expeditions/plan"

    async def plan(body: dict[str, Any], headers: dict[str, str] = h) -> httpx.Response:
        return await client.post(url, json=body, headers=headers)

    assert_problem(await plan({"waypoints": waypoints[:1]}), 422, "too_few_waypoints")
    many = sorted(app.state.services.galaxy.region_state(REGION_A).ports)[:11]
    assert_problem(await plan({"waypoints": many}), 422, "too_many_waypoints")
    twice = [waypoints[0], waypoints[1], waypoints[0]]
    assert_problem(await plan({"waypoints": twice}), 422, "duplicate_waypoint")
    assert_problem(await plan({"waypoints": [waypoints[0], 99_999]}), 404, "unknown_sector")
    r = await plan({"waypoints": waypoints, "max_turns": 1})
    assert_problem(r, 409, "expedition_infeasible")
    assert_problem(await plan({"waypoints": ["1", 2]}), 422, "validation_error")
    assert_problem(await client.post(url, json={"waypoints": waypoints}), 401, "not_authenticated")
    r = await client.post("/api/v1/expeditions", json={"waypoints": waypoints}, headers=h)
    eid = r.json()["id"]
    assert_problem(
        await client.get(f"/api/v1/expeditions/{eid}", headers=bob), 403, "not_your_expedition"
    )
    r = await client.post(f"/api/v1/expeditions/{eid}/next", headers=bob)
    assert_problem(r, 403, "not_your_expedition")
    r = await client.get(f"/api/v1/expeditions/{eid + 100}", headers=h)
    assert_problem(r, 404, "expedition_not_found")
    # no turns left: the autopilot is refused up front, nothing flies, the leg stays next
    player = app.state.services.galaxy.player(
        (await client.get("/api/v1/me", headers=h)).json()["id"]
    )
    player.turns, player.turns_at = 0, app.state.services.clock()
    r = await client.post(f"/api/v1/expeditions/{eid}/next", headers=h)
    assert_problem(r, 409, "insufficient_turns")
    assert (await client.get(f"/api/v1/expeditions/{eid}", headers=h)).json()["next_leg"] == 0


async def test_my_expeditions_page_newest_first(
    regions_app: FastAPI, regions_client: httpx.AsyncClient
) -> None:
    app, client = regions_app, regions_client
    h, waypoints = await _alice(app, client)
    bob = (await register(client, "bob"))["headers"]
    ids = []
    for _ in range(3):
        r = await client.post("/api/v1/expeditions", json={"waypoints": waypoints}, headers=h)
        ids.append(r.json()["id"])
    first = (await client.get("/api/v1/expeditions?limit=2", headers=h)).json()
    assert [e["id"] for e in first["items"]] == ids[::-1][:2] and first["next_cursor"]
    r = await client.get(f"/api/v1/expeditions?limit=2&cursor={first['next_cursor']}", headers=h)
    assert [e["id"] for e in r.json()["items"]] == ids[:1] and r.json()["next_cursor"] is None
    assert r.json()["items"][0]["legs"] == 3 and r.json()["items"][0]["status"] == "planned"
    assert (await client.get("/api/v1/expeditions", headers=bob)).json()["items"] == []


async def test_an_expedition_survives_a_restart(regions_factory: Callable[..., FastAPI]) -> None:
    first = regions_factory()
    async with first.router.lifespan_context(first), client_of(first) as client:
        h, waypoints = await _alice(first, client)
        r = await client.post("/api/v1/expeditions", json={"waypoints": waypoints}, headers=h)
        eid = r.json()["id"]
        flown = (await client.post(f"/api/v1/expeditions/{eid}/next", headers=h)).json()
        assert flown["next_leg"] == 1
    second = regions_factory()
    async with second.router.lifespan_context(second), client_of(second) as client:
        shown = (await client.get(f"/api/v1/expeditions/{eid}", headers=h)).json()
        assert shown == flown
        r = await client.post(f"/api/v1/expeditions/{eid}/next", headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["next_leg"] == 2 and r.json()["legs"][0] == flown["legs"][0]


async def test_a_hostile_region_is_a_risk_and_its_gate_refuses_the_leg(
    regions_app: FastAPI, regions_client: httpx.AsyncClient
) -> None:
    from starlane.domain.data import Immigration

    app, client = regions_app, regions_client
    h, waypoints = await _alice(app, client)
    region = app.state.services.galaxy.region_state(REGION_A).region
    region.policy.immigration = Immigration.CLOSED
    r = await client.post("/api/v1/expeditions", json={"waypoints": waypoints}, headers=h)
    assert r.status_code == 201, r.text
    saved = r.json()
    assert saved["risk"]["level"] == "high" and saved["risk"]["hostile_regions"] == [REGION_A]
    into_a = next(leg for leg in saved["legs"] if leg["region_id"] == REGION_A)
    assert into_a["risk"]["hostile_regions"] == [REGION_A]
    eid = saved["id"]
    for _ in range(into_a["leg"]):
        assert (await client.post(f"/api/v1/expeditions/{eid}/next", headers=h)).status_code == 200
    r = await client.post(f"/api/v1/expeditions/{eid}/next", headers=h)
    assert r.status_code == 403 and r.json()["code"] == "immigration_refused", r.text
    shown = (await client.get(f"/api/v1/expeditions/{eid}", headers=h)).json()
    assert shown["next_leg"] == into_a["leg"] and shown["legs"][into_a["leg"]]["actual"] is None
