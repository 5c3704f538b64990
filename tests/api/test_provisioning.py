"""``POST /api/v1/regions``: a Galactic Citizen's region, end to end over HTTP.

The region answers 201 once it runs: a player flies from Terran Space through the Nexus to its
terminal and crosses into it; it survives a restart; every refusal has its code; concurrent
requests take distinct ids and sector ranges. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from starlane.api.app import create_app
from starlane.domain.model import NEXUS_REGION_ID
from tests.api.conftest import FakeClock, assert_problem, make_settings, register

RULES = {"start_turns": 5_000}  # enough turns to fly from Sol to any Nexus terminal


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def citizen(app: FastAPI, client: httpx.AsyncClient, username: str) -> dict[str, Any]:
    """Register a player and make them a Galactic Citizen (as an operator's grant would)."""
    body = await register(client, username)
    await app.state.services.accounts.set_membership(body["account"]["id"], "citizen")
    return body


async def request_region(
    client: httpx.AsyncClient, who: dict[str, Any], name: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        "/api/v1/regions", json={"name": name, **extra}, headers=who["headers"]
    )


async def cross_into(
    app: FastAPI, client: httpx.AsyncClient, who: dict[str, Any], region: dict[str, Any]
) -> None:
    """Fly ``who`` to the region's Nexus terminal and cross its gate into the region."""
    h = who["headers"]
    terminal, gate = region["terminal_sector_id"], region["gate_sector_id"]
    r = await client.post(
        "/api/v1/me/autopilot", json={"to_sector_id": terminal, "execute": True}, headers=h
    )
    assert r.status_code == 200, r.text
    me = (await client.get("/api/v1/me", headers=h)).json()
    assert (me["region_id"], me["sector_id"]) == (NEXUS_REGION_ID, terminal)
    view = (await client.get(f"/api/v1/sectors/{terminal}", headers=h)).json()
    assert view["gate"]["to_region_id"] == region["id"]
    assert view["gate"]["to_sector_id"] == gate
    assert view["gate"]["to_region_name"] == region["name"]
    r = await client.post("/api/v1/me/move", json={"to_sector_id": gate}, headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["region_id"], r.json()["sector_id"]) == (region["id"], gate)
    me = (await client.get("/api/v1/me", headers=h)).json()
    assert (me["region_id"], me["sector_id"]) == (region["id"], gate)
    pid = who["account"]["id"]
    assert app.state.services.galaxy.directory.locate(pid) == (region["id"], gate)


async def _provision_cross_and_restart(make_app: Callable[[], FastAPI], clock: FakeClock) -> None:
    first = make_app()
    async with first.router.lifespan_context(first), _client(first) as c:
        alice = await citizen(first, c, "alice")
        r = await request_region(
            c, alice, "  Vega Reach ", description="Quiet lanes.", sector_count=300
        )
        assert r.status_code == 201, r.text
        region = r.json()
        galaxy = first.state.services.galaxy
        last = max(
            (
                s.region.first_sector_id + s.region.sector_count
                for s in galaxy.regions()
                if s.region.id != region["id"]
            ),
        )
        assert region == {
            "id": region["id"],
            "name": "Vega Reach",
            "description": "Quiet lanes.",
            "kind": "player",
            "status": "active",
            "sector_count": 300,
            "first_sector_id": last,
            "gate_sector_id": last,
            "terminal_sector_id": region["terminal_sector_id"],
            "governor_id": alice["account"]["id"],
            "opened_at": pytest.approx(clock.now),
        }
        assert r.headers["location"] == f"/api/v1/regions/{region['id']}"
        row = await first.state.services.event_store.get_region(region["id"])
        assert row is not None
        owner = alice["account"]["id"]
        assert (row.owner_id, row.status, row.name) == (owner, "active", "Vega Reach")
        shown = (await c.get(f"/api/v1/regions/{region['id']}", headers=alice["headers"])).json()
        assert shown["governor_id"] == alice["account"]["id"]
        assert shown["treasury"] == 0  # the governor sees it
        listed = (await c.get("/api/v1/regions", headers=alice["headers"])).json()["items"]
        assert region["id"] in [item["id"] for item in listed]
        bob = await register(c, "bob")
        await cross_into(first, c, bob, region)

    second = make_app()
    async with second.router.lifespan_context(second), _client(second) as c:
        h = bob["headers"]
        me = (await c.get("/api/v1/me", headers=h)).json()
        assert me["region_id"] == region["id"]
        # back to the Nexus and across again: both ends of the gate were rebuilt
        r = await c.post(
            "/api/v1/me/move", json={"to_sector_id": region["terminal_sector_id"]}, headers=h
        )
        assert r.status_code == 200, r.text
        carol = await register(c, "carol")
        await cross_into(second, c, carol, region)
        # the limit and the name hold after the restart too
        assert_problem(await request_region(c, alice, "Another"), 409, "region_limit")


async def test_a_citizen_provisions_a_region_players_cross_to_it_and_it_survives_a_restart(
    app_factory: Callable[..., FastAPI], clock: FakeClock
) -> None:
    await _provision_cross_and_restart(lambda: app_factory(rules=RULES), clock)


@pytest.mark.postgres
async def test_provisioning_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    clock = FakeClock()
    await _provision_cross_and_restart(
        lambda: create_app(
            make_settings(tmp_path, database_url=postgres_url, rules=RULES), clock=clock
        ),
        clock,
    )


# --- refusals ---------------------------------------------------------------------------------
@pytest.fixture
async def limited_app(app_factory: Callable[..., FastAPI]) -> AsyncIterator[FastAPI]:
    app = app_factory(regions_per_citizen=1)
    async with app.router.lifespan_context(app):
        yield app


async def test_refusals(limited_app: FastAPI) -> None:
    app = limited_app
    async with _client(app) as c:
        count = len(app.state.services.galaxy.engines)
        # not authenticated, not a citizen
        r = await c.post("/api/v1/regions", json={"name": "Vega Reach"})
        assert_problem(r, 401, "not_authenticated")
        free = await register(c, "freeloader")
        assert_problem(await request_region(c, free, "Vega Reach"), 403, "not_a_citizen")
        services = app.state.services
        # out-of-range and malformed bodies: 422, nothing provisioned
        alice = await citizen(app, c, "alice")
        for body in (
            {"name": "Vega Reach", "sector_count": 99},
            {"name": "Vega Reach", "sector_count": 1_501},
            {"name": "Vega Reach", "sector_count": "500"},
            {"name": "Vega Reach", "sector_count": True},
            {"name": "  ab  "},
            {"name": "x" * 41},
            {"name": "Vega\nReach"},
            {"name": "Vega Reach", "description": "d" * 2_001},
            {"name": "Vega Reach", "owner_id": 1},
            {"sector_count": 500},
        ):
            r = await c.post("/api/v1/regions", json=body, headers=alice["headers"])
            assert_problem(r, 422, "validation_error")
        assert len(services.galaxy.engines) == count
        # the first request succeeds (default size); the second runs into the limit
        r = await request_region(c, alice, "Vega Reach")
        assert r.status_code == 201, r.text
        assert r.json()["sector_count"] == 500
        assert_problem(await request_region(c, alice, "Other Reach"), 409, "region_limit")
        # names are unique ignoring case and spacing, including the generated regions'
        bob = await citizen(app, c, "bob")
        assert_problem(await request_region(c, bob, "vega   REACH"), 409, "name_taken")
        nexus = services.galaxy.region_state(NEXUS_REGION_ID).region.name
        assert_problem(await request_region(c, bob, nexus.upper()), 409, "name_taken")
        assert len(services.galaxy.engines) == count + 1
        # a closed region frees its owner's slot but keeps its name taken
        rid = r.json()["id"]
        from starlane.store.catalogue import set_region_status

        assert await set_region_status(services.db, rid, "closed")
        assert_problem(await request_region(c, alice, "VEGA REACH"), 409, "name_taken")
        r = await request_region(c, alice, "Other Reach", sector_count=100)
        assert r.status_code == 201, r.text
        assert r.json()["id"] == rid + 1


async def test_a_lapsed_membership_is_refused(
    app_factory: Callable[..., FastAPI], clock: FakeClock
) -> None:
    app = app_factory()
    async with app.router.lifespan_context(app), _client(app) as c:
        alice = await citizen(app, c, "alice")
        from starlane.store.schema import membership_terms

        async with app.state.services.db.begin() as conn:  # a paid period ending in a minute
            await conn.execute(
                membership_terms.insert().values(
                    account_id=alice["account"]["id"], expires_at=clock.now + 60
                )
            )
        clock.advance(61)
        assert_problem(await request_region(c, alice, "Vega Reach"), 403, "not_a_citizen")


async def test_concurrent_requests_take_distinct_ids_and_ranges(
    app_factory: Callable[..., FastAPI],
) -> None:
    app = app_factory()
    async with app.router.lifespan_context(app), _client(app) as c:
        people = [await citizen(app, c, f"cit{i}") for i in range(4)]
        names = ["Alpha Reach", "Beta Reach", "Gamma Reach", "alpha reach"]
        answers = await asyncio.gather(
            *(
                request_region(c, who, name, sector_count=100)
                for who, name in zip(people, names, strict=True)
            )
        )
        made = [r.json() for r in answers if r.status_code == 201]
        refused = [r for r in answers if r.status_code != 201]
        assert len(made) == 3 and len(refused) == 1
        assert_problem(refused[0], 409, "name_taken")
        assert len({m["id"] for m in made}) == 3
        assert len({m["terminal_sector_id"] for m in made}) == 3
        spans = sorted((m["first_sector_id"], m["first_sector_id"] + 99) for m in made)
        assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))
        galaxy = app.state.services.galaxy
        for m in made:
            assert galaxy.sector_region(m["gate_sector_id"]).region.id == m["id"]


def test_the_live_feed_follows_players_into_a_new_region(
    app_factory: Callable[..., FastAPI],
) -> None:
    """A watcher inside the new region sees an arrival on its sector channel and its map:
    the feed and the reads need nothing besides the engine in ``galaxy.engines``."""
    from fastapi.testclient import TestClient

    from tests.api.conftest import PASSWORD
    from tests.api.test_travel import _about
    from tests.api.test_wsfeed import _recv, _until

    app = app_factory(rules=RULES)
    with TestClient(app) as tc:
        tokens: dict[str, str] = {}
        for name in ("alice", "bob", "carol"):
            r = tc.post("/api/v1/auth/register", json={"username": name, "password": PASSWORD})
            tokens[name] = r.json()["tokens"]["access_token"]
            if name == "alice":
                account = r.json()["account"]["id"]
                tc.portal.call(app.state.services.accounts.set_membership, account, "citizen")
        h = {n: {"Authorization": f"Bearer {t}"} for n, t in tokens.items()}
        r = tc.post("/api/v1/regions", json={"name": "Vega Reach"}, headers=h["alice"])
        assert r.status_code == 201, r.text
        region = r.json()
        terminal, gate = region["terminal_sector_id"], region["gate_sector_id"]
        for name in ("bob", "carol"):
            r = tc.post(
                "/api/v1/me/autopilot",
                json={"to_sector_id": terminal, "execute": True},
                headers=h[name],
            )
            assert r.status_code == 200, r.text
        r = tc.post("/api/v1/me/move", json={"to_sector_id": gate}, headers=h["bob"])
        assert r.status_code == 200, r.text
        with tc.websocket_connect(f"/api/v1/ws?token={tokens['bob']}") as ws:
            _recv(ws)
            ws.send_json({"id": "s", "op": "subscribe", "args": {"channel": "sector"}})
            _until(ws, lambda m: m.get("id") == "s")
            r = tc.post("/api/v1/me/move", json={"to_sector_id": gate}, headers=h["carol"])
            assert r.status_code == 200, r.text
            seen = _until(ws, lambda m: _about(m, "transfer_arrived"))
            assert seen["channel"] == "sector"
        r = tc.get(f"/api/v1/regions/{region['id']}/map", headers=h["bob"])
        assert r.status_code == 200, r.text
        assert gate in [s["id"] for s in r.json()["items"]]
