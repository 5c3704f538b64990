"""Helpers of the governance tests: a galaxy with two player regions and a cast of callers.

The galaxy (Nexus of 2,000 sectors, player regions 3 and 4 of 100 sectors; the fixtures are in
:mod:`tests.api.region_fixtures`) is generated once per session into a template data
directory; each test copies it. :func:`cast` registers the
callers of the role matrix: the governors of regions A (3) and B (4), a moderator and a
citizen of A, a plain player and the platform admin, plus a ``subject`` player the permits
and moderator routes act on.

Governors and citizens are set on the live region state: provisioning (which makes the
requester governor) and citizenship are built elsewhere; the roles dependency reads exactly
these fields (``Region.governor_id``, ``Region.citizens``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from starlane.config import GalaxySettings, Settings
from tests.api.conftest import make_settings, register

REGION_A = 3
REGION_B = 4
ROOT = "root"
ROOT_PASSWORD = "a very long secret"


def region_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Test settings with two player regions and an admin account ``root``."""
    values: dict[str, Any] = {
        "galaxy": GalaxySettings(nexus_sectors=2000, player_regions=2, region_sectors=100),
        "admin_username": ROOT,
        "admin_password": ROOT_PASSWORD,
    }
    values.update(overrides)
    return make_settings(data_dir, **values)


def client_of(app: FastAPI) -> httpx.AsyncClient:
    """An in-process HTTP client of an app."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    """Log in; returns the Authorization header."""
    r = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def cast(app: FastAPI, client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """Register the role matrix's callers and give them their roles.

    Returns:
        Caller name -> ``{"id": account id, "headers": Authorization header}`` for
        ``gov_a``, ``gov_b``, ``mod_a``, ``cit_a``, ``player``, ``admin`` and ``subject``.
    """
    people: dict[str, dict[str, Any]] = {}
    for name in ("gov_a", "gov_b", "mod_a", "cit_a", "player", "subject"):
        body = await register(client, name)
        people[name] = {"id": body["account"]["id"], "headers": body["headers"]}
    root = await app.state.services.accounts.get_by_username(ROOT)
    people["admin"] = {"id": root.id, "headers": await login(client, ROOT, ROOT_PASSWORD)}
    galaxy = app.state.services.galaxy
    galaxy.region_info(REGION_A).governor_id = people["gov_a"]["id"]
    galaxy.region_info(REGION_B).governor_id = people["gov_b"]["id"]
    galaxy.region_info(REGION_A).citizens.append(people["cit_a"]["id"])
    for region_id in (REGION_A, REGION_B):  # something for a governor to withdraw
        galaxy.region_info(region_id).treasury = 1_000
    r = await client.put(
        f"/api/v1/regions/{REGION_A}/moderators/{people['mod_a']['id']}",
        headers=people["gov_a"]["headers"],
    )
    assert r.status_code == 200, r.text
    return people
