"""The operator's region controls over HTTP: suspend, resume, transfer, close, and refusals."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from starlane.api.app import create_app
from starlane.config import GalaxySettings
from starlane.domain.commands import Autopilot
from starlane.domain.model import NEXUS_REGION_ID, TERRAN_REGION_ID
from starlane.domain.region_closure import refugee_sectors
from starlane.store.catalogue import get_region
from tests.api.conftest import PASSWORD, FakeClock, assert_problem, make_settings, register

A = "/api/v1/admin"
WHY = {"justification": "ticket 19"}
ROOT_PASSWORD = "a very long secret"
R = 3  # the one player region of this galaxy
GALAXY = GalaxySettings(nexus_sectors=2000, player_regions=1, region_sectors=100)


@pytest.fixture(scope="module")
def region_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with a galaxy holding one player region (generated once)."""
    template = tmp_path_factory.mktemp("regions-template")
    app = create_app(make_settings(template, galaxy=GALAXY))

    async def _boot() -> None:
        async with app.router.lifespan_context(app):
            pass

    asyncio.run(_boot())
    return template


class World:
    """An app with two admins and a player."""

    def __init__(self, app: FastAPI, c: httpx.AsyncClient) -> None:
        self.app, self.c = app, c
        self.root: dict[str, str] = {}
        self.second: dict[str, str] = {}
        self.player: dict[str, str] = {}
        self.player_id = 0

    @property
    def services(self) -> Any:
        return self.app.state.services


async def _login(c: httpx.AsyncClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    r = await c.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _app(data_dir: Path, **overrides: Any) -> FastAPI:
    settings = make_settings(
        data_dir, galaxy=GALAXY, admin_username="root", admin_password=ROOT_PASSWORD, **overrides
    )
    return create_app(settings, clock=FakeClock())


@pytest.fixture
def data_dir(tmp_path: Path, region_template: Path) -> Path:
    target = tmp_path / "data"
    target.mkdir()
    for f in region_template.glob("starlane.db*"):
        shutil.copy(f, target / f.name)
    return target


@pytest.fixture
async def world(data_dir: Path) -> AsyncIterator[World]:
    app = _app(data_dir)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            w = World(app, c)
            w.root = await _login(c, "root", ROOT_PASSWORD)
            second = await register(c, "second")
            await app.state.services.accounts.set_roles(
                second["account"]["id"], ("player", "admin")
            )
            w.second = await _login(c, "second")
            player = await register(c, "pilot")
            w.player_id = player["account"]["id"]
            w.player = player["headers"]
            yield w


async def _regions(w: World) -> dict[int, dict[str, Any]]:
    r = await w.c.get(f"{A}/regions", headers=w.root)
    assert r.status_code == 200, r.text
    return {item["id"]: item for item in r.json()["items"]}


async def _audit(w: World, action: str) -> list[dict[str, Any]]:
    r = await w.c.get(f"{A}/audit", params={"action": action}, headers=w.root)
    return list(r.json()["items"])


async def test_non_admins_are_refused_and_unknown_regions_are_404(world: World) -> None:
    routes = [
        ("GET", "/regions", None),
        ("POST", f"/regions/{R}/suspend", WHY),
        ("POST", f"/regions/{R}/resume", WHY),
        ("POST", f"/regions/{R}/transfer", {"governor_id": world.player_id, **WHY}),
        ("POST", f"/regions/{R}/close", WHY),
    ]
    for method, path, body in routes:
        r = await world.c.request(method, A + path, json=body, headers=world.player)
        assert_problem(r, 403, "forbidden")
        r = await world.c.request(method, A + path, json=body)
        assert r.status_code == 401
    for verb in ("suspend", "resume", "close"):
        r = await world.c.post(f"{A}/regions/999/{verb}", json=WHY, headers=world.root)
        assert_problem(r, 404, "unknown_region")
    r = await world.c.post(
        f"{A}/regions/999/transfer", json={"governor_id": 1, **WHY}, headers=world.root
    )
    assert_problem(r, 404, "unknown_region")
    r = await world.c.post(
        f"{A}/regions/{R}/suspend", json={"justification": " "}, headers=world.root
    )
    assert_problem(r, 422, "justification_required")
    assert (await _regions(world))[R]["status"] == "active"


async def test_suspend_and_resume_are_audited_refused_twice_and_revertible(world: World) -> None:
    r = await world.c.post(f"{A}/regions/{R}/suspend", json=WHY, headers=world.root)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["before"] == {"status": "active"} and body["after"]["status"] == "suspended"
    assert isinstance(body["after"]["event_position"], int)
    assert (await _regions(world))[R]["status"] == "suspended"
    r = await world.c.post(f"{A}/regions/{R}/suspend", json=WHY, headers=world.root)
    assert_problem(r, 409, "already_suspended")
    entry = (await _audit(world, "region.suspend"))[0]
    assert entry["target_kind"] == "region" and entry["target_id"] == str(R)
    # the revert of a suspension resumes the region
    r = await world.c.post(f"{A}/audit/{entry['index']}/revert", json=WHY, headers=world.root)
    assert r.status_code == 200, r.text
    assert (await _regions(world))[R]["status"] == "active"
    r = await world.c.post(f"{A}/regions/{R}/resume", json=WHY, headers=world.root)
    assert_problem(r, 409, "not_suspended")
    r = await world.c.post(f"{A}/regions/{R}/suspend", json=WHY, headers=world.root)
    r = await world.c.post(f"{A}/regions/{R}/resume", json=WHY, headers=world.root)
    assert r.status_code == 200 and r.json()["after"]["status"] == "active"


async def test_transfer_needs_a_second_admin_and_an_existing_account(world: World) -> None:
    r = await world.c.post(
        f"{A}/regions/{R}/transfer", json={"governor_id": 99_999, **WHY}, headers=world.root
    )
    assert_problem(r, 404, "account_not_found")
    for platform in (TERRAN_REGION_ID, NEXUS_REGION_ID):
        r = await world.c.post(
            f"{A}/regions/{platform}/transfer",
            json={"governor_id": world.player_id, **WHY},
            headers=world.root,
        )
        assert_problem(r, 409, "platform_region")
        r = await world.c.post(f"{A}/regions/{platform}/close", json=WHY, headers=world.root)
        assert_problem(r, 409, "platform_region")
    r = await world.c.post(
        f"{A}/regions/{R}/transfer",
        json={"governor_id": world.player_id, **WHY},
        headers=world.root,
    )
    assert r.status_code == 202, r.text
    approval = r.json()["approval_id"]
    assert (await _regions(world))[R]["governor_id"] != world.player_id  # pending: unchanged
    r = await world.c.post(f"{A}/approvals/{approval}/approve", json=WHY, headers=world.root)
    assert_problem(r, 403, "self_approval")
    r = await world.c.post(f"{A}/approvals/{approval}/approve", json=WHY, headers=world.second)
    assert r.status_code == 200, r.text
    assert r.json()["after"]["governor_id"] == world.player_id
    assert (await _regions(world))[R]["governor_id"] == world.player_id
    assert world.services.galaxy.region_info(R).governor_id == world.player_id
    r = await world.c.post(
        f"{A}/regions/{R}/transfer",
        json={"governor_id": world.player_id, **WHY},
        headers=world.root,
    )
    assert_problem(r, 409, "already_governor")


async def test_close_after_approval_closes_the_region_and_the_catalogue_row(
    data_dir: Path, world: World
) -> None:
    galaxy = world.services.galaxy
    pilots = [world.player_id] + [
        (await register(world.c, f"pilot{i}"))["account"]["id"] for i in (1, 2)
    ]
    region = galaxy.region_state(R)
    gate = next(sid for sid, sector in region.sectors.items() if sector.gate is not None)
    for pid in pilots:  # fly into the region by autopilot, through the Nexus terminal
        await galaxy.execute(Autopilot(pid, gate))
        assert galaxy.locate(pid) == R
    r = await world.c.post(
        f"{A}/regions/{R}/transfer", json={"governor_id": pilots[0], **WHY}, headers=world.root
    )
    r = await world.c.post(
        f"{A}/approvals/{r.json()['approval_id']}/approve", json=WHY, headers=world.second
    )
    assert r.status_code == 200, r.text
    credits = {pid: galaxy.player(pid).credits for pid in pilots}
    treasury = galaxy.region_state(R).region.treasury
    r = await world.c.post(f"{A}/regions/{R}/close", json=WHY, headers=world.root)
    assert r.status_code == 202, r.text
    approval = r.json()["approval_id"]
    assert (await _regions(world))[R]["status"] == "active"
    r = await world.c.post(f"{A}/approvals/{approval}/approve", json=WHY, headers=world.second)
    assert r.status_code == 200, r.text
    assert r.json()["after"]["status"] == "closing"
    await galaxy.closures.wait(R)
    await galaxy.saga.drain()
    assert (await _regions(world))[R]["status"] == "closed"
    refuge = set(refugee_sectors(galaxy.region_state(NEXUS_REGION_ID)))
    for pid in pilots:  # in the refugee district, credits kept (the governor's with the treasury)
        me = galaxy.player(pid)
        assert me.region_id == NEXUS_REGION_ID and me.sector_id in refuge
        assert me.credits == credits[pid] + (treasury if pid == pilots[0] else 0)
    assert galaxy.region_state(R).region.treasury == 0
    row = await get_region(world.services.db, R)
    assert row is not None and row.status == "closed"
    for verb in ("suspend", "resume", "close"):
        r = await world.c.post(f"{A}/regions/{R}/{verb}", json=WHY, headers=world.root)
        assert_problem(r, 409, "region_closed")
    assert len(await _audit(world, "region.close")) == 1
    r = await world.c.get("/readyz")  # a closed region's stopped engine is not a failure
    assert r.status_code == 200, r.text


async def test_a_missing_region_entry_is_appended_at_start_up(data_dir: Path) -> None:
    from starlane.domain.region_admin import SuspendRegion

    app = _app(data_dir)
    async with app.router.lifespan_context(app):
        # the engine commits, the process dies before the audit entry
        await app.state.services.galaxy.execute_in(R, SuspendRegion(0, 1, "crash test"))
    app = _app(data_dir)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            root = await _login(c, "root", ROOT_PASSWORD)
            r = await c.get(f"{A}/audit", params={"action": "region.suspend"}, headers=root)
            items = r.json()["items"]
            assert len(items) == 1 and items[0]["request_id"] == "recovered"
            assert items[0]["justification"] == "crash test"
