"""A credit adjustment whose audit entry was lost in a crash gets the entry at the next start."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from starlane.audit.leaf import decode_leaf
from starlane.audit.reconcile import RECOVERED, credit_entry, reconcile_credit_entries
from starlane.audit.stored_verify import verify_stored_log
from starlane.domain.commands import AdjustCredits
from starlane.domain.events import CreditsAdjusted
from starlane.store.db import create_db_engine
from tests.api.conftest import register

ROOT_PASSWORD = "a very long secret"
A = "/api/v1/admin"


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def _root(c: httpx.AsyncClient) -> dict[str, str]:
    r = await c.post("/api/v1/auth/login", json={"username": "root", "password": ROOT_PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _credit_entries(c: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    r = await c.get(f"{A}/audit?action=credits.adjust", headers=headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return sorted(items, key=lambda e: e["index"])


async def _verify(url: str, data_dir: Path) -> None:
    """``starlane audit verify``'s check, on the stopped server's database and data dir."""
    engine = create_db_engine(url)
    try:
        result = await verify_stored_log(engine, data_dir)
    finally:
        await engine.dispose()
    assert result.ok, result.summary
    assert result.checkpoints >= 1


def _make(app_factory: Callable[..., FastAPI]) -> FastAPI:
    return app_factory(admin_username="root", admin_password=ROOT_PASSWORD)


async def test_a_lost_credit_entry_is_recovered_once_at_start(
    app_factory: Callable[..., FastAPI], data_dir: Path
) -> None:
    first = _make(app_factory)
    async with first.router.lifespan_context(first), _client(first) as c:
        services = first.state.services
        url = services.settings.resolved_database_url()
        root = await services.accounts.get_by_username("root")
        pid = (await register(c, "pilot"))["account"]["id"]
        # the crash: the engine commits the event, the server dies before the entry is written
        recorded = await services.galaxy.execute(
            AdjustCredits(pid, 750, root.id, "refund for ticket 12")
        )
        lost = next(r for r in recorded if isinstance(r.event, CreditsAdjusted))
        headers = await _root(c)
        assert await _credit_entries(c, headers) == []

    second = _make(app_factory)
    async with second.router.lifespan_context(second), _client(second) as c:
        headers = await _root(c)
        entries = await _credit_entries(c, headers)
        assert len(entries) == 1
        entry = entries[0]
        assert entry["actor_id"] == root.id and entry["actor_role"] == "admin"
        assert entry["target_kind"] == "account" and entry["target_id"] == str(pid)
        assert entry["before"] == {"credits": 10_000}
        assert entry["after"] == {
            "credits": 10_750,
            "delta": 750,
            "event_position": lost.position,
        }
        assert entry["justification"] == "refund for ticket 12"
        assert entry["request_id"] == RECOVERED
        # the entry has the shape the normal path writes, leaf bytes included
        r = await c.get(f"{A}/audit/{entry['index']}", headers=headers)
        leaf = decode_leaf(base64.b64decode(r.json()["leaf"]))
        fields = credit_entry(lost)
        assert (leaf.action, leaf.before, leaf.after) == (
            fields["action"],
            fields["before"],
            fields["after"],
        )
    await _verify(url, data_dir)

    third = _make(app_factory)
    async with third.router.lifespan_context(third), _client(third) as c:
        headers = await _root(c)
        assert [e["index"] for e in await _credit_entries(c, headers)] == [entry["index"]]
        services = third.state.services
        again = await reconcile_credit_entries(services.event_store, services.db, services.uow)
        assert again == []
    await _verify(url, data_dir)


async def test_adjustments_with_their_entry_are_not_recovered_again(
    app_factory: Callable[..., FastAPI], data_dir: Path
) -> None:
    first = _make(app_factory)
    async with first.router.lifespan_context(first), _client(first) as c:
        url = first.state.services.settings.resolved_database_url()
        headers = await _root(c)
        pid = (await register(c, "pilot"))["account"]["id"]
        for delta in (300, -100):
            r = await c.post(
                f"{A}/accounts/{pid}/credits",
                json={"delta": delta, "justification": "support ticket 9"},
                headers={**headers, "X-Request-ID": f"req-{delta}"},
            )
            assert r.status_code == 200, r.text
        r = await c.post(
            f"{A}/audit/{r.json()['index']}/revert",
            json={"justification": "wrong account"},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        before = await _credit_entries(c, headers)
        assert len(before) == 3

    second = _make(app_factory)
    async with second.router.lifespan_context(second), _client(second) as c:
        headers = await _root(c)
        after = await _credit_entries(c, headers)
        assert after == before
        assert all(e["request_id"] != RECOVERED for e in after)
        me = await c.get(f"{A}/accounts/{pid}", headers=headers)
        assert me.json()["player"]["credits"] == 10_300
    await _verify(url, data_dir)
