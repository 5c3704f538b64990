"""Account ids are never reused: deleting the newest account does not block registration."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.api.conftest import register


async def test_registration_after_deleting_the_newest_account_gets_a_new_id(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    first = await register(client, "first")
    newest = await register(client, "newest")
    assert await app.state.services.accounts.delete(newest["account"]["id"])
    again = await register(client, "again")  # was 409 player_exists: the id was reused
    assert again["account"]["id"] > newest["account"]["id"] > first["account"]["id"]
    r = await client.get("/api/v1/me", headers=again["headers"])
    assert r.status_code == 200 and r.json()["name"] == "again"
