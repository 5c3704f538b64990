"""The views over HTTP: a region's stats (governor, admin, others 403), the platform overview
(admins only) and the filtered regions list (with population, toll and closed regions), on
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert

from starlane.api.app import create_app
from starlane.domain.model import NEXUS_REGION_ID, TERRAN_REGION_ID
from starlane.store.catalogue import RegionRow, add_region, set_region_status
from starlane.store.schema import billing_events, membership_terms
from tests.api.conftest import FakeClock, assert_problem, make_settings, register
from tests.api.test_admin import _login
from tests.api.test_travel import terran_gate, to_gate
from tests.conftest import postgres_unavailable_reason

ROOT_PASSWORD = "a very long secret"
DAY = 86_400.0


class Views:
    """A started app with an admin, the Nexus's governor and two players."""

    def __init__(self, app: FastAPI, c: httpx.AsyncClient, clock: FakeClock) -> None:
        self.app, self.c, self.clock = app, c, clock
        self.admin: dict[str, str] = {}
        self.gov: dict[str, str] = {}
        self.alice: dict[str, str] = {}
        self.bob: dict[str, str] = {}
        self.ids: dict[str, int] = {}

    @property
    def services(self) -> Any:
        return self.app.state.services

    async def projected(self) -> None:
        """Wait until the read models have every committed event."""
        head = await self.services.event_store.head_position()
        await self.services.projections.wait_until(head)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_url(request: pytest.FixtureRequest) -> str | None:
    """None for the SQLite test galaxy, or a fresh PostgreSQL database URL (probed here,
    outside the event loop)."""
    if request.param == "sqlite":
        return None
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def views(
    backend_url: str | None,
    app_factory: Callable[..., FastAPI],
    tmp_path: Path,
    clock: FakeClock,
) -> AsyncIterator[Views]:
    admin = {"admin_username": "root", "admin_password": ROOT_PASSWORD}
    if backend_url is None:
        app = app_factory(**admin)
    else:
        settings = make_settings(tmp_path / "pg", database_url=backend_url, **admin)
        app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            v = Views(app, c, clock)
            v.admin = await _login(c, "root", ROOT_PASSWORD)
            for name in ("gov", "alice", "bob"):
                body = await register(c, name)
                v.ids[name] = body["account"]["id"]
                setattr(v, name, body["headers"])
            # no governance route on this branch: the Nexus gets its governor in its live state
            v.services.galaxy.region_state(NEXUS_REGION_ID).region.governor_id = v.ids["gov"]
            clock.advance(400)  # their arrival in the galaxy is no longer "online" activity
            yield v


async def _trade_and_cross(v: Views) -> None:
    """Alice buys fuel at port 1 (Terran Space), then crosses to the Nexus (toll 120)."""
    r = await v.c.post(
        "/api/v1/ports/1/trade",
        json={"commodity": "fuel", "side": "buy", "quantity": 4},
        headers=v.alice,
    )
    assert r.status_code == 200, r.text
    nexus = v.services.galaxy.region_state(NEXUS_REGION_ID).region
    nexus.policy.gate_toll = 120
    gate, there = terran_gate(v.app)
    await to_gate(v.c, v.alice, gate)
    r = await v.c.post("/api/v1/me/move", json={"to_sector_id": there}, headers=v.alice)
    assert r.status_code == 200 and r.json()["toll_paid"] == 120, r.text
    await v.projected()


async def test_region_stats_for_its_governor_and_admins(views: Views) -> None:
    v = views
    await _trade_and_cross(v)
    trade = next(
        e.event
        for e in await v.services.event_store.read_all(0, 10_000)
        if e.event.type == "port_traded"
    )
    nexus = f"/api/v1/regions/{NEXUS_REGION_ID}/stats"
    r = await v.c.get(nexus, headers=v.gov)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["population"] == 1  # alice, now in the Nexus
    assert (body["arrivals"], body["departures"], body["tolls"], body["treasury"]) == (
        1,
        0,
        120,
        120,
    )
    assert (body["trades"], body["trade_value"], body["tax"]) == (0, 0, 0)
    assert body["status"] == "active" and body["since"] <= v.clock.now - 23 * 3600
    # an admin reads any region; Terran Space saw the trade and the departure
    r = await v.c.get(f"/api/v1/regions/{TERRAN_REGION_ID}/stats", headers=v.admin)
    assert r.status_code == 200, r.text
    terran = r.json()
    assert (terran["trades"], terran["trade_value"], terran["tax"]) == (1, trade.total, trade.tax)
    assert (terran["departures"], terran["arrivals"], terran["tolls"]) == (1, 0, 0)
    assert terran["population"] == 3  # root (the admin), gov and bob
    # refusals: another player, the governor elsewhere, no token, no such region
    body = assert_problem(await v.c.get(nexus, headers=v.bob), 403, "forbidden")
    assert body["context"]["action"] == "region.stats.read"
    assert_problem(
        await v.c.get(f"/api/v1/regions/{TERRAN_REGION_ID}/stats", headers=v.gov), 403, "forbidden"
    )
    assert (await v.c.get(nexus)).status_code == 401
    r = await v.c.get("/api/v1/regions/77/stats", headers=v.admin)
    assert_problem(r, 404, "unknown_region")
    # a day later the 24-hour figures are empty; population and treasury stay
    v.clock.advance(DAY + 3600)
    later = (await v.c.get(nexus, headers=await _login(v.c, "gov"))).json()
    assert (later["arrivals"], later["tolls"], later["population"], later["treasury"]) == (
        0,
        0,
        1,
        120,
    )


async def test_platform_overview_for_admins_only(views: Views) -> None:
    v = views
    await _trade_and_cross(v)
    db, now = v.services.db, v.clock.now
    # Galactic Citizens now: root (the bootstrap admin: no end) and alice (paid to next
    # month); not gov (period ended a second ago) nor bob (grace period over)
    accounts = v.services.accounts
    for name in ("gov", "alice", "bob"):
        await accounts.set_membership(v.ids[name], "citizen")
    async with db.begin() as conn:
        await conn.execute(
            insert(membership_terms),
            [
                {
                    "account_id": v.ids["alice"],
                    "expires_at": now + 30 * DAY,
                    "grace_until": None,
                    "source": "webhook",
                },
                {
                    "account_id": v.ids["gov"],
                    "expires_at": now - 1,
                    "grace_until": None,
                    "source": "manual",
                },
                {
                    "account_id": v.ids["bob"],
                    "expires_at": now + 30 * DAY,
                    "grace_until": now - 1,
                    "source": "webhook",
                },
            ],
        )
        await conn.execute(
            insert(billing_events),
            [
                {
                    "webhook_id": f"msg_{i}",
                    "type": kind,
                    "account_id": v.ids["alice"],
                    "period_end": None,
                    "received_at": at,
                    "payload": "{}",
                }
                for i, (kind, at) in enumerate(
                    [
                        ("subscription.activated", now - DAY),
                        ("subscription.renewed", now - 2 * DAY),
                        ("subscription.renewed", now - 3 * DAY),
                        ("payment.failed", now - 40 * DAY),  # outside the 30 days
                    ]
                )
            ],
        )
    # bob holds a WebSocket (counted as the socket handler counts it) but sent no command
    v.services.ws_counts.take_account(v.ids["bob"], 5)
    await set_region_status(db, NEXUS_REGION_ID, "closed")
    r = await v.c.get("/api/v1/admin/platform", headers=v.admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["regions_by_status"] == {"active": 1, "suspended": 0, "closed": 1}
    online = {o["region_id"]: o["online"] for o in body["online"]}
    # alice (commands a moment ago, now in the Nexus); bob by his socket; gov is idle
    assert online == {TERRAN_REGION_ID: 1, NEXUS_REGION_ID: 1}
    assert (body["online_total"], body["in_transit"], body["online_window_seconds"]) == (2, 0, 300)
    assert body["gate_traffic"] == {"departures": 1, "arrivals": 1, "tolls": 120}
    assert body["galactic_citizens"] == 2
    assert body["billing"]["total"] == 3
    assert body["billing"]["by_type"] == {"subscription.activated": 1, "subscription.renewed": 2}
    # six minutes later alice is no longer online; bob's socket still counts
    v.clock.advance(360)
    later = (await v.c.get("/api/v1/admin/platform", headers=v.admin)).json()
    assert {o["region_id"]: o["online"] for o in later["online"]} == {
        TERRAN_REGION_ID: 1,
        NEXUS_REGION_ID: 0,
    }
    # players, the governor and anonymous callers are refused
    for headers in (v.bob, v.gov):
        assert_problem(await v.c.get("/api/v1/admin/platform", headers=headers), 403, "forbidden")
    assert (await v.c.get("/api/v1/admin/platform")).status_code == 401


async def test_regions_list_filters_and_shows_population_toll_and_closed(views: Views) -> None:
    v = views
    nexus = v.services.galaxy.region_state(NEXUS_REGION_ID).region
    nexus.policy.gate_toll = 75
    r = await v.c.get("/api/v1/regions", headers=v.bob)
    assert r.status_code == 200, r.text
    items = {i["id"]: i for i in r.json()["items"]}
    assert items[TERRAN_REGION_ID]["population"] == 4  # root, gov, alice, bob
    assert (items[NEXUS_REGION_ID]["gate_toll"], items[NEXUS_REGION_ID]["population"]) == (75, 0)
    assert items[NEXUS_REGION_ID]["governor_id"] == v.ids["gov"]
    # a closed region whose engine is gone (catalogue only), and the Nexus closed in the catalogue
    await add_region(
        v.services.db,
        RegionRow(
            id=9,
            kind="player",
            name="Old Vega",
            seed=1,
            sector_count=100,
            first_sector_id=900_000,
            created_at=v.clock.now - DAY,
            status="closed",
        ),
    )
    await set_region_status(v.services.db, NEXUS_REGION_ID, "closed")
    r = await v.c.get("/api/v1/regions?status=closed", headers=v.bob)
    closed = r.json()["items"]
    assert [i["id"] for i in closed] == [NEXUS_REGION_ID, 9]
    old = closed[1]
    assert (old["status"], old["population"], old["policies"], old["gate_toll"]) == (
        "closed",
        0,
        None,
        None,
    )
    assert closed[0]["active"] is False
    r = await v.c.get("/api/v1/regions?status=active", headers=v.bob)
    assert [i["id"] for i in r.json()["items"]] == [TERRAN_REGION_ID]
    r = await v.c.get("/api/v1/regions?kind=player", headers=v.bob)
    assert [i["id"] for i in r.json()["items"]] == [9]
    r = await v.c.get("/api/v1/regions?kind=nexus&status=closed", headers=v.bob)
    assert [i["id"] for i in r.json()["items"]] == [NEXUS_REGION_ID]
    assert (await v.c.get("/api/v1/regions?status=suspended", headers=v.bob)).json() == {
        "items": [],
        "next_cursor": None,
    }
    # paging keeps its contract, with the filter applied before the page is cut
    first = (await v.c.get("/api/v1/regions?limit=1", headers=v.bob)).json()
    assert [i["id"] for i in first["items"]] == [TERRAN_REGION_ID] and first["next_cursor"]
    rest = await v.c.get(f"/api/v1/regions?limit=5&cursor={first['next_cursor']}", headers=v.bob)
    assert [i["id"] for i in rest.json()["items"]] == [NEXUS_REGION_ID, 9]
    # unknown filter values are refused
    for query in ("kind=moon", "status=open", "kind=", "status=CLOSED"):
        body = assert_problem(
            await v.c.get(f"/api/v1/regions?{query}", headers=v.bob), 422, "validation_error"
        )
        assert body["errors"][0]["loc"][0] == "query", body
