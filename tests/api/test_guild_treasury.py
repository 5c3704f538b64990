"""Guild treasury conservation: concurrent transfers, and a crash between the saga's steps.

The credits counted are every player's (in every region), every guild's treasury and the
transfers in flight (:meth:`GuildTreasury.in_flight`); their sum never changes. A crash is
simulated by making a step of the saga fail (the drive stops there, as a killed process
would), stopping the app and starting a new one over the same database: its start-up
recovery finishes each pending transfer exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from starlane.api.app import create_app
from starlane.engine.guilds import GuildTreasury
from starlane.store.schema import guild_transfers, guilds
from tests.api.conftest import FakeClock, make_settings, register
from tests.conftest import postgres_unavailable_reason

G = "/api/v1/guilds"


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def total_credits(app: FastAPI) -> int:
    """Players' credits in every region + guild treasuries + transfers in flight."""
    services = app.state.services
    async with services.db.connect() as conn:
        treasuries = await conn.execute(select(func.coalesce(func.sum(guilds.c.treasury), 0)))
        treasury = int(treasuries.scalar_one())
    players = sum(
        p.credits for e in services.galaxy.engines.values() for p in e.state.players.values()
    )
    return players + treasury + await services.guilds.in_flight()


async def statuses(app: FastAPI) -> list[str]:
    async with app.state.services.db.connect() as conn:
        rows = await conn.execute(select(guild_transfers.c.status).order_by(guild_transfers.c.id))
        return [str(r[0]) for r in rows]


async def guild_with_members(
    c: httpx.AsyncClient, names: list[str]
) -> tuple[int, list[dict[str, Any]]]:
    """A guild led by ``names[0]``, every other name a member; returns (id, players)."""
    players = [await register(c, n) for n in names]
    r = await c.post(G, json={"name": "Conservators", "tag": "CONS"}, headers=players[0]["headers"])
    gid = r.json()["id"]
    for p in players[1:]:
        await c.post(f"{G}/{gid}/join", headers=p["headers"])
        r = await c.post(
            f"{G}/{gid}/requests/{p['account']['id']}/accept", headers=players[0]["headers"]
        )
        assert r.json()["outcome"] == "joined", r.text
    return gid, players


async def test_concurrent_deposits_and_withdrawals_conserve_credits(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await _concurrent(app, client)


_PG = postgres_unavailable_reason()


@pytest.mark.postgres
@pytest.mark.skipif(_PG is not None, reason=_PG or "")
async def test_concurrent_transfers_conserve_credits_on_postgresql(
    postgres_url: str, tmp_path: Path
) -> None:
    app = create_app(make_settings(tmp_path, database_url=postgres_url), clock=FakeClock())
    async with running(app) as c:
        await _concurrent(app, c)


async def _concurrent(app: FastAPI, client: httpx.AsyncClient) -> None:
    gid, players = await guild_with_members(client, ["leader", "member1", "member2", "member3"])
    ids = [p["account"]["id"] for p in players]
    before = await total_credits(app)
    seed = await client.post(
        f"{G}/{gid}/deposit", json={"amount": 500}, headers=players[0]["headers"]
    )
    assert seed.json()["status"] == "done"

    async def deposit(i: int, amount: int) -> httpx.Response:
        return await client.post(
            f"{G}/{gid}/deposit", json={"amount": amount}, headers=players[i]["headers"]
        )

    async def withdraw(to: int, amount: int) -> httpx.Response:
        return await client.post(
            f"{G}/{gid}/withdraw",
            json={"amount": amount, "to_player_id": ids[to]},
            headers=players[0]["headers"],
        )

    calls = [deposit(i % 4, 37 + i) for i in range(24)] + [
        withdraw(i % 4, 90 + i) for i in range(24)
    ]
    answers = await asyncio.gather(*calls)
    codes = {
        (r.status_code, r.json()["status" if r.status_code == 200 else "code"]) for r in answers
    }
    assert codes <= {(200, "done"), (409, "guild_treasury_insufficient")}, codes
    assert (200, "done") in codes
    assert await total_credits(app) == before
    assert set(await statuses(app)) == {"done"}
    r = await client.get(f"{G}/{gid}", headers=players[0]["headers"])
    deposited = 500 + sum(37 + i for i in range(24))
    withdrawn = sum(90 + i for i, a in enumerate(answers[24:]) if a.status_code == 200)
    assert r.json()["treasury"] == deposited - withdrawn


@pytest.mark.parametrize(
    ("kind", "crash_at"),
    [("deposit", "_step"), ("deposit", "_finish"), ("withdraw", "_step"), ("withdraw", "_finish")],
)
async def test_a_crash_between_steps_is_finished_once_by_recovery(
    app_factory: Callable[..., FastAPI],
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    crash_at: str,
) -> None:
    app = app_factory()
    async with running(app) as c:
        gid, (leader, member) = await guild_with_members(c, ["leader", "member"])
        r = await c.post(f"{G}/{gid}/deposit", json={"amount": 1_000}, headers=leader["headers"])
        assert r.json()["treasury"] == 1_000
        before = await total_credits(app)
        services = app.state.services
        member_id = member["account"]["id"]
        credits0 = services.galaxy.player(member_id).credits

        async def crash(self: GuildTreasury, *args: Any, **kwargs: Any) -> str:
            raise RuntimeError("the process died here")

        monkeypatch.setattr(GuildTreasury, crash_at, crash)
        with pytest.raises(RuntimeError, match="died"):
            if kind == "deposit":
                await services.guilds.deposit(gid, member_id, 300)
            else:
                await services.guilds.withdraw(gid, leader["account"]["id"], member_id, 300)
        monkeypatch.undo()
        assert sorted(await statuses(app)) == ["done", "pending"]  # the seed, the crashed one
        assert await total_credits(app) == before  # in flight, counted once
        crashed_credits = services.galaxy.player(member_id).credits
        step2_done = crash_at == "_finish"
        delta = 0 if not step2_done else (-300 if kind == "deposit" else 300)
        assert crashed_credits == credits0 + delta
    app = app_factory()  # restart: recovery drives the pending transfer to its end
    async with running(app) as c:
        services = app.state.services
        assert set(await statuses(app)) == {"done"}
        assert await total_credits(app) == before
        expected = credits0 + (-300 if kind == "deposit" else 300)
        assert services.galaxy.player(member_id).credits == expected
        r = await c.get(f"{G}/{gid}", headers=leader["headers"])
        assert r.json()["treasury"] == (1_300 if kind == "deposit" else 700)
    app = app_factory()  # and a second restart changes nothing
    async with running(app):
        assert app.state.services.galaxy.player(member_id).credits == expected
        assert await total_credits(app) == before
