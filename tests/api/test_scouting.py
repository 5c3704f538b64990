"""Scouting reports end to end: eligibility from the event store, every refusal, a report that
names only ports its author visited, the reward paid once (also across a crash), the list."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from starlane.domain.model import TERRAN_REGION_ID
from starlane.domain.scouting import PayScoutingReward, quality_score, reward_id
from starlane.store import scouting as scouting_store
from tests.api.conftest import FakeClock, assert_problem, register

URL = "/api/v1/scouting/reports"
LONG_TOKENS = 10 * 86_400
STEP = 1_200.0  # seconds between moves: under the 1,800 s cap, so every interval counts


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def _scout(
    app: FastAPI, c: httpx.AsyncClient, h: dict[str, str], clock: FakeClock, moves: int
) -> set[int]:
    """Wander Terran Space, preferring port sectors, one move every STEP seconds, buying one
    unit where a port sells something; returns the sectors entered."""
    state = app.state.services.galaxy.region_state(TERRAN_REGION_ID)
    me = (await c.get("/api/v1/me", headers=h)).json()
    here, entered = me["sector_id"], {me["sector_id"]}
    for _ in range(moves):
        clock.advance(STEP)
        warps = state.sectors[here].warps
        fresh = [s for s in warps if s not in entered]
        ports = [s for s in fresh if s in state.ports]
        here = (ports or fresh or warps)[0]
        r = await c.post("/api/v1/me/move", json={"to_sector_id": here}, headers=h)
        assert r.status_code == 200, r.text
        entered.add(here)
        port = state.ports.get(here)
        if port is not None:
            for commodity in sorted(port.stock):
                r = await c.post(
                    f"/api/v1/ports/{here}/trade",
                    json={"commodity": commodity, "side": "buy", "quantity": 1},
                    headers=h,
                )
                if r.status_code == 200:
                    break
    return entered


def _named_ports(value: Any, key: str = "") -> set[int]:
    found: set[int] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            found |= _named_ports(v, str(k))
    elif isinstance(value, list):
        for v in value:
            found |= _named_ports(v, key)
    elif isinstance(value, int) and key in ("port_id", "buy_at", "sell_at", "sold_at", "bought_at"):
        found.add(value)
    return found


@pytest.fixture
async def app(app_factory: Callable[..., FastAPI]) -> AsyncIterator[FastAPI]:
    """A started app whose access tokens outlive the hours of game time the tests fly."""
    application = app_factory(access_token_seconds=LONG_TOKENS)
    async with application.router.lifespan_context(application):
        yield application


async def test_filing_refusals_a_report_and_its_reward(
    app: FastAPI, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    alice = await register(client, "alice")
    h = alice["headers"]
    body = {"region_id": TERRAN_REGION_ID, "kind": "economy"}
    p = assert_problem(
        await client.post(URL, json=body, headers=h), 409, "insufficient_scouting_hours"
    )
    assert p["context"]["needed_hours"] == 2.0 and p["context"]["scouted_hours"] == 0.0
    bad = {"region_id": TERRAN_REGION_ID, "kind": "gossip"}
    assert_problem(await client.post(URL, json=bad, headers=h), 422, "unknown_report_kind")
    nowhere = {"region_id": 9_999, "kind": "economy"}
    assert_problem(await client.post(URL, json=nowhere, headers=h), 404, "unknown_region")
    assert (await client.post(URL, json=body)).status_code == 401

    entered = await _scout(app, client, h, clock, moves=5)  # 5 x 20 min: 1 h 40 min
    p = assert_problem(
        await client.post(URL, json=body, headers=h), 409, "insufficient_scouting_hours"
    )
    assert 1.6 < p["context"]["scouted_hours"] < 2.0
    entered |= await _scout(app, client, h, clock, moves=2)  # 2 h 20 min

    credits = (await client.get("/api/v1/me", headers=h)).json()["credits"]
    r = await client.post(URL, json=body, headers=h)
    assert r.status_code == 201, r.text
    report = r.json()
    assert r.headers["location"] == f"{URL}/{report['id']}"
    assert report["author_name"] == "alice" and report["kind"] == "economy"
    assert report["scouted_hours"] >= 2.0
    assert report["quality"] == quality_score(
        report["coverage"], report["freshness"], report["breadth"]
    )
    state = app.state.services.galaxy.region_state(TERRAN_REGION_ID)
    assert report["coverage"] == round(len(report["ports_visited"]) / len(state.ports), 4)
    assert report["reward"] == report["quality"] * 50 and report["paid"]
    assert report["ports_visited"] and set(report["ports_visited"]) <= entered
    named = _named_ports(report["sections"])
    assert named and named <= set(report["ports_visited"])
    unvisited = set(state.ports) - entered
    assert not named & unvisited
    after = (await client.get("/api/v1/me", headers=h)).json()["credits"]
    assert after == credits + report["reward"]

    p = assert_problem(
        await client.post(URL, json=body, headers=h), 409, "scouting_report_too_soon"
    )
    assert p["context"]["retry_after_seconds"] > 0

    clock.advance(21_600)
    r = await client.post(URL, json={**body, "kind": "military"}, headers=h)
    assert r.status_code == 201, r.text
    second = r.json()
    assert set(second["sections"]) == {"piracy", "pirates_met", "conflicts", "hazards"}

    page = (await client.get(URL, params={"region_id": 1, "limit": 1}, headers=h)).json()
    assert [i["id"] for i in page["items"]] == [second["id"]]
    item = page["items"][0]
    assert item["author_name"] == "alice" and item["quality"] == second["quality"]
    assert item["age_seconds"] == 0
    page2 = (
        await client.get(
            URL, params={"region_id": 1, "limit": 1, "cursor": page["next_cursor"]}, headers=h
        )
    ).json()
    assert [i["id"] for i in page2["items"]] == [report["id"]] and page2["next_cursor"] is None
    assert page2["items"][0]["age_seconds"] == 21_600
    assert_problem(
        await client.get(URL, params={"region_id": 9_999}, headers=h), 404, "unknown_region"
    )
    full = (await client.get(f"{URL}/{report['id']}", headers=h)).json()
    assert full["sections"] == report["sections"]
    assert_problem(await client.get(f"{URL}/999999", headers=h), 404, "report_not_found")

    # a week later, the hours scouted have left the 7-day window
    clock.advance(7 * 86_400)
    p = assert_problem(
        await client.post(URL, json=body, headers=h), 409, "insufficient_scouting_hours"
    )
    assert p["context"]["scouted_hours"] == 0.0


async def test_an_unpaid_reward_is_paid_once_at_start_up(
    app_factory: Callable[..., FastAPI], clock: FakeClock
) -> None:
    """A crash after the report row and before the credit: the next start pays it. A crash
    after the credit and before the row was marked: the next start marks it, paying nothing."""
    first = app_factory(access_token_seconds=LONG_TOKENS)
    async with first.router.lifespan_context(first), _client(first) as c:
        h = (await register(c, "alice"))["headers"]
        services = first.state.services
        alice = (await c.get("/api/v1/me", headers=h)).json()
        rows = {}
        for kind in ("economy", "politics"):
            async with services.uow() as uow:
                rows[kind] = await scouting_store.insert_report(
                    uow.connection,
                    {
                        "region_id": TERRAN_REGION_ID,
                        "author_id": alice["id"],
                        "kind": kind,
                        "created_at": clock(),
                        "scouted_seconds": 7_200.0,
                        "coverage": 0.0,
                        "freshness": 1.0,
                        "breadth": 0.5,
                        "quality": 40,
                        "body": {},
                        "ports_visited": [],
                        "reward": 2_000,
                        "paid_at": None,
                    },
                )
        # the politics report's credit was recorded before the "crash"; its row was not marked
        key = reward_id(rows["politics"])
        await services.galaxy.execute(PayScoutingReward(alice["id"], key, rows["politics"], 2_000))

    second = app_factory(access_token_seconds=LONG_TOKENS)
    async with second.router.lifespan_context(second), _client(second) as c:
        me = (await c.get("/api/v1/me", headers=h)).json()
        assert me["credits"] == alice["credits"] + 2 * 2_000  # each reward exactly once
        assert await scouting_store.unpaid_reports(second.state.services.db) == []
        for rid in rows.values():
            assert (await c.get(f"{URL}/{rid}", headers=h)).json()["paid"]

    third = app_factory(access_token_seconds=LONG_TOKENS)
    async with third.router.lifespan_context(third), _client(third) as c:
        assert (await c.get("/api/v1/me", headers=h)).json()["credits"] == me["credits"]
