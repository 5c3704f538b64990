"""The governor's treasury withdrawal and citizenship of a region, over HTTP.

The governed region is the Central Nexus of the test galaxy; its governor, treasury and
policies are set on the live state (test set-up only; the engine's final snapshot at shutdown
keeps them across a restart). Players spawn in Terran Space, so every payout crosses regions.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from starlane.api.app import create_app
from starlane.domain.data import Immigration
from starlane.domain.model import NEXUS_REGION_ID, TERRAN_REGION_ID, Region
from starlane.domain.treasury import StartPayout
from starlane.store.schema import audit_entries
from tests.api.conftest import FakeClock, assert_problem, make_settings, register
from tests.conftest import postgres_unavailable_reason

NEXUS = NEXUS_REGION_ID
WITHDRAW = f"/api/v1/regions/{NEXUS}/treasury/withdraw"
CITIZENSHIP = f"/api/v1/regions/{NEXUS}/citizenship"


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


def region(app: FastAPI, region_id: int = NEXUS) -> Region:
    return app.state.services.galaxy.region_state(region_id).region  # type: ignore[no-any-return]


async def credits(client: httpx.AsyncClient, h: dict[str, str]) -> int:
    r = await client.get("/api/v1/me", headers=h)
    assert r.status_code == 200, r.text
    return int(r.json()["credits"])


async def withdrawals(app: FastAPI) -> list[dict[str, Any]]:
    query = select(audit_entries).where(audit_entries.c.action == "region.treasury.withdraw")
    async with app.state.services.db.connect() as conn:
        rows = (await conn.execute(query.order_by(audit_entries.c.idx))).mappings().all()
    return [
        {**row, "before": json.loads(row["before"]), "after": json.loads(row["after"])}
        for row in rows
    ]


# --- the whole story, on SQLite and on PostgreSQL ----------------------------------------------
async def _story(make_app: Callable[[], FastAPI]) -> None:
    app = make_app()
    async with running(app) as c:
        alice = await register(c, "alice")
        bob = await register(c, "bob")
        ha, hb = alice["headers"], bob["headers"]
        alice_id, bob_id = alice["account"]["id"], bob["account"]["id"]
        nexus = region(app)
        nexus.governor_id = alice_id
        nexus.treasury = 10_000
        nexus.policy.starting_credits = 1_000
        a0, b0 = await credits(c, ha), await credits(c, hb)
        # the governor withdraws, paid in Terran Space where she is
        r = await c.post(WITHDRAW, json={"amount": 2_500}, headers=ha)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["outcome"] == "paid" and body["amount"] == 2_500
        assert (body["treasury_before"], body["treasury_after"]) == (10_000, 7_500)
        assert await credits(c, ha) == a0 + 2_500
        view = await c.get(f"/api/v1/regions/{NEXUS}", headers=ha)
        assert view.json()["treasury"] == 7_500
        [entry] = await withdrawals(app)
        assert entry["idx"] == body["audit_index"]
        assert (entry["actor_id"], entry["actor_role"]) == (alice_id, "governor")
        assert (entry["target_kind"], entry["target_id"]) == ("region", str(NEXUS))
        assert entry["before"] == {"treasury": 10_000}
        assert entry["after"]["treasury"] == 7_500 and entry["after"]["amount"] == 2_500
        # bob becomes a citizen of the Nexus: starting credits from its treasury, once
        r = await c.post(CITIZENSHIP, headers=hb)
        assert r.status_code == 200, r.text
        assert r.json() | {"player_id": 0} == {
            "region_id": NEXUS,
            "player_id": 0,
            "citizen": True,
            "changed": True,
            "home_region_id": NEXUS,
            "previous_region_id": None,
            "starting_credits": 1_000,
            "payout_outcome": "paid",
        }
        assert await credits(c, hb) == b0 + 1_000
        assert nexus.treasury == 6_500 and bob_id in nexus.citizens
        again = await c.post(CITIZENSHIP, headers=hb)
        assert again.status_code == 200 and again.json()["changed"] is False
        assert again.json()["starting_credits"] == 0 and nexus.treasury == 6_500
    # a restart keeps the treasury, the credits, the citizens and the one audit entry
    app = make_app()
    async with running(app) as c:
        nexus = region(app)
        assert nexus.treasury == 6_500 and nexus.citizens == [bob_id]
        assert nexus.welcomed == [bob_id]
        assert await credits(c, ha) == a0 + 2_500 and await credits(c, hb) == b0 + 1_000
        assert len(await withdrawals(app)) == 1
        # bob moves home to Terran Space (no starting credits there) and back: none again
        r = await c.post(f"/api/v1/regions/{TERRAN_REGION_ID}/citizenship", headers=hb)
        assert r.status_code == 200, r.text
        assert r.json()["previous_region_id"] == NEXUS
        assert r.json()["home_region_id"] == TERRAN_REGION_ID
        assert bob_id not in nexus.citizens and not region(app, TERRAN_REGION_ID).joining
        r = await c.post(CITIZENSHIP, headers=hb)
        assert r.json()["starting_credits"] == 0 and r.json()["previous_region_id"] == 1
        assert bob_id not in region(app, TERRAN_REGION_ID).citizens
        assert await credits(c, hb) == b0 + 1_000 and nexus.treasury == 6_500


async def test_withdraw_and_citizenship_survive_a_restart(
    app_factory: Callable[..., FastAPI],
) -> None:
    await _story(app_factory)


_PG = postgres_unavailable_reason()


@pytest.mark.postgres
@pytest.mark.skipif(_PG is not None, reason=_PG or "")
async def test_withdraw_and_citizenship_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, database_url=postgres_url)
    clock = FakeClock()
    await _story(lambda: create_app(settings, clock=clock))


# --- refusals ------------------------------------------------------------------------------------
async def test_withdraw_refusals_change_nothing(app: FastAPI, client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    bob = await register(client, "bob")
    ha, hb = alice["headers"], bob["headers"]
    nexus = region(app)
    nexus.governor_id = alice["account"]["id"]
    nexus.treasury = 1_000
    a0 = await credits(client, ha)
    assert_problem(await client.post(WITHDRAW, json={"amount": 10}), 401, "not_authenticated")
    body = assert_problem(
        await client.post(WITHDRAW, json={"amount": 10}, headers=hb), 403, "forbidden"
    )
    assert body["context"]["allowed_roles"] == ["governor"]
    other = f"/api/v1/regions/{TERRAN_REGION_ID}/treasury/withdraw"
    assert_problem(await client.post(other, json={"amount": 10}, headers=ha), 403, "forbidden")
    missing = "/api/v1/regions/99/treasury/withdraw"
    assert_problem(
        await client.post(missing, json={"amount": 10}, headers=ha), 404, "unknown_region"
    )
    for bad in (
        {"amount": 0},
        {"amount": -5},
        {"amount": "10"},
        {"amount": 1.5},
        {},
        {"amount": 1, "x": 1},
    ):
        assert_problem(await client.post(WITHDRAW, json=bad, headers=ha), 422, "validation_error")
    body = assert_problem(
        await client.post(WITHDRAW, json={"amount": 1_001}, headers=ha),
        409,
        "treasury_insufficient",
    )
    assert body["context"]["available"] == 1_000
    nexus.active = False
    assert_problem(
        await client.post(WITHDRAW, json={"amount": 10}, headers=ha), 403, "region_suspended"
    )
    nexus.active = True
    assert nexus.treasury == 1_000 and await credits(client, ha) == a0
    assert await withdrawals(app) == []


async def test_citizenship_follows_the_immigration_policy(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    carol = await register(client, "carol")
    h, carol_id = carol["headers"], carol["account"]["id"]
    nexus = region(app)
    nexus.treasury = 500
    nexus.policy.immigration = Immigration.PERMIT
    body = assert_problem(await client.post(CITIZENSHIP, headers=h), 403, "citizenship_refused")
    assert body["context"]["immigration"] == "permit"
    nexus.policy.immigration = Immigration.CLOSED
    nexus.permits.append(carol_id)
    assert_problem(await client.post(CITIZENSHIP, headers=h), 403, "citizenship_refused")
    nexus.active = False
    nexus.policy.immigration = Immigration.OPEN
    assert_problem(await client.post(CITIZENSHIP, headers=h), 403, "region_suspended")
    nexus.active = True
    # a treasury that cannot pay the welcome refuses it, and nothing changes
    c0 = await credits(client, h)
    nexus.policy.starting_credits = 501
    body = assert_problem(await client.post(CITIZENSHIP, headers=h), 409, "treasury_insufficient")
    assert carol_id not in nexus.citizens and carol_id not in nexus.welcomed
    assert nexus.treasury == 500 and await credits(client, h) == c0
    # with a permit, under permit
    nexus.policy.immigration = Immigration.PERMIT
    nexus.policy.starting_credits = 500
    r = await client.post(CITIZENSHIP, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["starting_credits"] == 500 and r.json()["payout_outcome"] == "paid"
    assert nexus.treasury == 0 and await credits(client, h) == c0 + 500
    # giving it up, twice
    r = await client.delete(CITIZENSHIP, headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["citizen"], r.json()["changed"], r.json()["home_region_id"]) == (
        False,
        True,
        None,
    )
    r = await client.delete(CITIZENSHIP, headers=h)
    assert r.status_code == 200 and r.json()["changed"] is False
    # coming back: a citizen again, never welcomed twice (the empty treasury is no obstacle)
    r = await client.post(CITIZENSHIP, headers=h)
    assert r.status_code == 200 and r.json()["starting_credits"] == 0
    assert_problem(
        await client.post("/api/v1/regions/99/citizenship", headers=h), 404, "unknown_region"
    )
    assert_problem(await client.post(CITIZENSHIP), 401, "not_authenticated")


async def test_a_withdrawal_without_its_entry_is_audited_at_the_next_start(
    app_factory: Callable[..., FastAPI],
) -> None:
    app = app_factory()
    async with running(app) as c:
        alice = await register(c, "alice")
        alice_id = alice["account"]["id"]
        nexus = region(app)
        nexus.governor_id = alice_id
        nexus.treasury = 900
        c0 = await credits(c, alice["headers"])
        # the engine commits the debit, then the process dies before the audit entry
        galaxy = app.state.services.galaxy
        await galaxy.execute_in(NEXUS, StartPayout(alice_id, "w-lost", 400, "withdraw"))
        await galaxy.execute_in(NEXUS, StartPayout(alice_id, "c-1", 100, "closure"))
        assert await withdrawals(app) == []
    app = app_factory()
    async with running(app) as c:
        [entry] = await withdrawals(app)
        assert entry["request_id"] == "recovered" and entry["actor_role"] == "governor"
        assert entry["before"] == {"treasury": 900} and entry["after"]["treasury"] == 500
        assert entry["after"]["transfer_id"] == "w-lost"
        state = app.state.services.galaxy.region_state(NEXUS)
        assert state.payouts_out == {} and state.region.treasury == 400
        assert await credits(c, alice["headers"]) == c0 + 500
    app = app_factory()
    async with running(app):
        assert len(await withdrawals(app)) == 1  # idempotent
