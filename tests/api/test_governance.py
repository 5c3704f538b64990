"""A governor's controls over HTTP: policies and their effects, permits at the gate,
moderators, refusals, persistence across a restart, and the audit entries of every action."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from starlane.api.app import create_app
from starlane.audit.stored_verify import verify_stored_log
from starlane.config import RateLimits
from starlane.domain.data import PORT_CLASSES
from starlane.domain.model import NEXUS_REGION_ID, TERRAN_REGION_ID
from starlane.domain.policies import ChangePolicy, GrantPermit
from starlane.store.db import create_db_engine
from starlane.store.region_moderators import moderators_of
from tests.api.conftest import FakeClock, assert_problem
from tests.api.regions import (
    REGION_A,
    REGION_B,
    ROOT,
    ROOT_PASSWORD,
    cast,
    client_of,
    login,
    region_settings,
)

pytest_plugins = ("tests.api.region_fixtures",)  # the two-region galaxy's fixtures

POLICIES = f"/api/v1/regions/{REGION_A}/policies"


def _port_selling(app: FastAPI, region_id: int) -> tuple[int, str]:
    """A port of the region and a commodity it sells."""
    state = app.state.services.galaxy.region_state(region_id)
    for port_id in sorted(state.ports):
        sells = PORT_CLASSES[state.ports[port_id].port_class].sells
        if sells:
            return port_id, sells[0]
    raise AssertionError("no selling port")


def _terminal(app: FastAPI, region_id: int) -> tuple[int, int]:
    """(the Nexus terminal sector leading to a region, the region's gate sector)."""
    nexus = app.state.services.galaxy.region_state(NEXUS_REGION_ID)
    for sector in nexus.sectors.values():
        if sector.gate is not None and sector.gate.to_region_id == region_id:
            return sector.id, sector.gate.to_sector_id
    raise AssertionError("no terminal")


async def _autopilot(c: httpx.AsyncClient, h: dict[str, str], to: int) -> None:
    r = await c.post("/api/v1/me/autopilot", json={"to_sector_id": to, "execute": True}, headers=h)
    assert r.status_code == 200, r.text


async def _audit(c: httpx.AsyncClient, headers: dict[str, str], **query: Any) -> list[dict]:
    r = await c.get("/api/v1/admin/audit", params=query | {"limit": 500}, headers=headers)
    assert r.status_code == 200, r.text
    return sorted(r.json()["items"], key=lambda e: e["index"])


async def test_a_quote_right_after_a_tax_change_shows_the_new_tax(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = regions_factory()
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)
        gov, pilot = people["gov_a"]["headers"], people["player"]["headers"]
        port_id, commodity = _port_selling(app, REGION_A)
        await _autopilot(c, pilot, port_id)
        query = {"commodity": commodity, "side": "buy", "quantity": 10}
        before = (await c.get(f"/api/v1/ports/{port_id}/quote", params=query, headers=pilot)).json()
        assert before["tax"] == round(before["total"] * 0.10)
        r = await c.patch(
            POLICIES,
            json={"tax_rate": 0.25, "price_multipliers": {commodity: 1.25}},
            headers=gov,
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["id"] == REGION_A and body["policies"]["tax_rate"] == 0.25
        assert body["policies"]["price_multipliers"] == {commodity: 1.25}
        after = (await c.get(f"/api/v1/ports/{port_id}/quote", params=query, headers=pilot)).json()
        assert after["tax"] == round(after["total"] * 0.25) > before["tax"]
        assert abs(after["unit_price"] - before["unit_price"] * 1.25) < 1e-6
        assert after["credits_change"] == -(after["total"] + after["tax"])
        # everyone reads the policies; an unchanged value records nothing
        seen = (await c.get(f"/api/v1/regions/{REGION_A}", headers=pilot)).json()
        assert seen["policies"]["tax_rate"] == 0.25
        r = await c.patch(POLICIES, json={"tax_rate": 0.25}, headers=gov)
        assert r.status_code == 200
        root = await login(c, ROOT, ROOT_PASSWORD)
        changes = await _audit(c, root, action="region.policies.change")
        assert len(changes) == 1
        entry = changes[0]
        assert (entry["actor_id"], entry["actor_role"]) == (people["gov_a"]["id"], "governor")
        assert (entry["target_kind"], entry["target_id"]) == ("region", str(REGION_A))
        assert entry["before"] == {"tax_rate": 0.1, "price_multipliers": {}}
        assert entry["after"]["tax_rate"] == 0.25
        assert entry["after"]["price_multipliers"] == {commodity: 1.25}
        assert isinstance(entry["after"]["event_position"], int)


BAD_VALUES: tuple[tuple[str, Any], ...] = (
    ("tax_rate", 0.26),
    ("tax_rate", -0.01),
    ("regen_multiplier", 0.49),
    ("regen_multiplier", 2.01),
    ("price_multipliers", {"ore": 0.79}),
    ("price_multipliers", {"ore": 1.26}),
    ("price_multipliers", {"unobtainium": 1.0}),
    ("immigration", "ajar"),
    ("gate_toll", 10_001),
    ("gate_toll", -1),
    ("starting_credits", 50_001),
    ("name", "   "),
    ("name", "x" * 41),
    ("description", "x" * 2_001),
)


async def test_values_out_of_bounds_are_refused_naming_the_field(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = regions_factory()
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)
        gov = people["gov_a"]["headers"]
        policies = (await c.get(f"/api/v1/regions/{REGION_A}", headers=gov)).json()
        for name, value in BAD_VALUES:
            r = await c.patch(POLICIES, json={name: value}, headers=gov)
            body = assert_problem(r, 422, "policy_out_of_bounds")
            assert body["context"]["field"] == name, (name, value)
        # nothing half-applied: a good value beside a bad one changes nothing either
        r = await c.patch(POLICIES, json={"tax_rate": 0.2, "gate_toll": 99_999}, headers=gov)
        assert assert_problem(r, 422, "policy_out_of_bounds")["context"]["field"] == "gate_toll"
        assert (await c.get(f"/api/v1/regions/{REGION_A}", headers=gov)).json() == policies
        # the wrong type is a validation error, not a bound
        for bad in ({"tax_rate": "0.1"}, {"pvp": 1}, {"gate_toll": "5"}, {"mayor": "me"}):
            assert_problem(await c.patch(POLICIES, json=bad, headers=gov), 422, "validation_error")
        # PvP never on in Terran Space, whoever governs it
        terran = app.state.services.galaxy.region_info(TERRAN_REGION_ID)
        terran.governor_id = people["gov_b"]["id"]
        r = await c.patch(
            f"/api/v1/regions/{TERRAN_REGION_ID}/policies",
            json={"pvp": True},
            headers=people["gov_b"]["headers"],
        )
        assert assert_problem(r, 422, "policy_out_of_bounds")["context"]["field"] == "pvp"
        r = await c.patch(POLICIES, json={"pvp": False}, headers=gov)
        assert r.status_code == 200 and r.json()["policies"]["pvp"] is False
        # names are unique among regions
        other = app.state.services.galaxy.region_info(REGION_B).name
        r = await c.patch(POLICIES, json={"name": f" {other.upper()} "}, headers=gov)
        assert_problem(r, 409, "name_taken")
        r = await c.patch(POLICIES, json={"name": "  Vega Reach ", "description": "a"}, headers=gov)
        assert r.status_code == 200 and r.json()["name"] == "Vega Reach"
        # a permit for no account
        r = await c.put(f"/api/v1/regions/{REGION_A}/permits/99999", headers=gov)
        assert_problem(r, 404, "account_not_found")
        r = await c.put(f"/api/v1/regions/{REGION_A}/moderators/99999", headers=gov)
        assert_problem(r, 404, "account_not_found")


async def test_a_suspended_region_refuses_its_governor(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = regions_factory()
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)
        gov, subject = people["gov_a"]["headers"], people["subject"]["id"]
        region = app.state.services.galaxy.region_info(REGION_A)
        region.active = False
        base = f"/api/v1/regions/{REGION_A}"
        assert_problem(
            await c.patch(POLICIES, json={"tax_rate": 0.2}, headers=gov), 403, "region_suspended"
        )
        for method in ("PUT", "DELETE"):
            for what in ("permits", "moderators"):
                r = await c.request(method, f"{base}/{what}/{subject}", headers=gov)
                assert_problem(r, 403, "region_suspended")
        region.active = True
        r = await c.patch(POLICIES, json={"tax_rate": 0.2}, headers=gov)
        assert r.status_code == 200


async def test_a_permit_admits_a_player_through_a_permit_regions_gate(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = regions_factory()
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)
        gov, mod = people["gov_a"]["headers"], people["mod_a"]["headers"]
        pilot, pid = people["player"]["headers"], people["player"]["id"]
        r = await c.patch(POLICIES, json={"immigration": "permit", "gate_toll": 250}, headers=gov)
        assert r.status_code == 200, r.text
        terminal, gate = _terminal(app, REGION_A)
        await _autopilot(c, pilot, terminal)
        r = await c.post("/api/v1/me/move", json={"to_sector_id": gate}, headers=pilot)
        assert_problem(r, 403, "immigration_refused")
        # a moderator grants the permit; granting twice changes nothing
        base = f"/api/v1/regions/{REGION_A}/permits"
        for _ in range(2):
            r = await c.put(f"{base}/{pid}", headers=mod)
            assert r.status_code == 200 and r.json() == {
                "region_id": REGION_A,
                "player_id": pid,
                "permit": True,
            }
        r = await c.get(base, headers=gov)
        assert r.json() == {"region_id": REGION_A, "items": [pid], "next_cursor": None}
        credits = (await c.get("/api/v1/me", headers=pilot)).json()["credits"]
        treasury = app.state.services.galaxy.region_info(REGION_A).treasury
        r = await c.post("/api/v1/me/move", json={"to_sector_id": gate}, headers=pilot)
        assert r.status_code == 200, r.text
        assert (r.json()["region_id"], r.json()["toll_paid"]) == (REGION_A, 250)
        # the toll, and the bonus for being region A's first visitor (it opened just now)
        bonus = app.state.services.galaxy.rules.discovery_bonus
        assert (await c.get("/api/v1/me", headers=pilot)).json()["credits"] == credits - 250 + bonus
        assert app.state.services.galaxy.region_info(REGION_A).treasury == treasury + 250
        # revoked: the player stays, but the gate refuses them the next time
        r = await c.delete(f"{base}/{pid}", headers=gov)
        assert r.status_code == 200 and r.json()["permit"] is False
        assert (await c.delete(f"{base}/{pid}", headers=gov)).json()["permit"] is False
        await _autopilot(c, pilot, terminal)
        r = await c.post("/api/v1/me/move", json={"to_sector_id": gate}, headers=pilot)
        assert_problem(r, 403, "immigration_refused")
        root = await login(c, ROOT, ROOT_PASSWORD)
        permits = await _audit(c, root, target_kind="region", target_id=str(REGION_A))
        actions = [(e["action"], e["actor_role"]) for e in permits]
        assert actions == [
            ("region.moderator.appoint", "governor"),
            ("region.policies.change", "governor"),
            ("region.permit.grant", "moderator"),
            ("region.permit.revoke", "governor"),
        ]


async def test_governance_survives_a_restart_and_lost_entries_are_recovered(
    regions_factory: Callable[..., FastAPI],
) -> None:
    await _restart_scenario(regions_factory)


@pytest.mark.postgres
async def test_governance_survives_a_restart_on_postgresql(
    tmp_path: Path, postgres_url: str
) -> None:
    clock = FakeClock()
    await _restart_scenario(
        lambda: create_app(region_settings(tmp_path, database_url=postgres_url), clock=clock)
    )


async def _restart_scenario(regions_factory: Callable[[], FastAPI]) -> None:
    first = regions_factory()
    async with first.router.lifespan_context(first), client_of(first) as c:
        people = await cast(first, c)
        gov, gov_id = people["gov_a"]["headers"], people["gov_a"]["id"]
        subject = people["subject"]["id"]
        r = await c.patch(
            POLICIES,
            json={"tax_rate": 0.2, "immigration": "closed", "name": "Vega Reach"},
            headers=gov,
        )
        assert r.status_code == 200, r.text
        assert (
            await c.put(f"/api/v1/regions/{REGION_A}/permits/{subject}", headers=gov)
        ).is_success
        # the crash: the engine committed these, the entries were never written
        galaxy = first.state.services.galaxy
        await galaxy.execute_in(REGION_A, ChangePolicy(gov_id, {"gate_toll": 75}))
        await galaxy.execute_in(REGION_A, GrantPermit(people["mod_a"]["id"], gov_id, "moderator"))
        root = await login(c, ROOT, ROOT_PASSWORD)
        assert len(await _audit(c, root, target_kind="region")) == 3

    for _ in range(2):  # the second start finds nothing missing
        again = regions_factory()
        async with again.router.lifespan_context(again), client_of(again) as c:
            region = again.state.services.galaxy.region_info(REGION_A)
            assert (region.name, region.policy.tax_rate, region.policy.gate_toll) == (
                "Vega Reach",
                0.2,
                75,
            )
            assert str(region.policy.immigration) == "closed"
            assert sorted(region.permits) == sorted([subject, gov_id])
            assert await moderators_of(again.state.services.db, REGION_A) == {people["mod_a"]["id"]}
            root = await login(c, ROOT, ROOT_PASSWORD)
            entries = await _audit(c, root, target_kind="region", target_id=str(REGION_A))
            assert [e["action"] for e in entries] == [
                "region.moderator.appoint",
                "region.policies.change",
                "region.permit.grant",
                "region.policies.change",
                "region.permit.grant",
            ]
            recovered = entries[3:]
            assert all(e["request_id"] == "recovered" for e in recovered)
            assert recovered[0]["before"] == {"gate_toll": 0}
            assert recovered[0]["after"]["gate_toll"] == 75
            assert (recovered[0]["actor_id"], recovered[0]["actor_role"]) == (gov_id, "governor")
            assert (recovered[1]["actor_id"], recovered[1]["actor_role"]) == (
                people["mod_a"]["id"],
                "moderator",
            )
            settings = again.state.services.settings
        # ``starlane audit verify``'s check on the stopped server: the log is intact
        engine = create_db_engine(settings.resolved_database_url())
        try:
            result = await verify_stored_log(engine, settings.data_dir)
        finally:
            await engine.dispose()
        assert result.ok, result.summary


async def test_governor_commands_share_the_players_command_rate_limit(
    regions_factory: Callable[..., FastAPI],
) -> None:
    limits = RateLimits(commands_burst=3, login_per_minute=100, trusted_networks=[])
    app = regions_factory(rate=limits)
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)  # the moderator's appointment is one command
        gov = people["gov_a"]["headers"]
        for rate in (0.11, 0.12):
            r = await c.patch(POLICIES, json={"tax_rate": rate}, headers=gov)
            assert r.status_code == 200, r.text
        r = await c.get(f"/api/v1/regions/{REGION_A}/permits", headers=gov)
        body = assert_problem(r, 429, "rate_limited")
        assert "retry-after" in r.headers and body["status"] == 429
        assert app.state.services.galaxy.region_info(REGION_A).policy.tax_rate == 0.12
