"""End to end: concurrent guild deposits and withdrawals, the server SIGKILLed mid-way.

Credits are counted from the store itself (each region's latest snapshot plus the events after
it, the guild rows), not from the server's answers: every player's credits, every treasury, and
the guild transfers in flight (a pending deposit already debited in some region, a pending
withdrawal credited in none). Their total is the same before the load, right after the kill,
and after a restart whose recovery has finished every pending transfer. Runs on SQLite and on
PostgreSQL (skipped with the reason when no server answers).
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from starlane.domain.guild_transfers import CREDITED, DEBITED
from starlane.engine.recovery import load_region_state
from starlane.store.db import create_db_engine
from starlane.store.eventstore import EventStore
from starlane.store.schema import guild_transfers, guilds
from tests.e2e.test_crossing_crash import db_url  # noqa: F401 (the fixture)
from tests.e2e.test_serve_bots_restart import BOT_PASSWORD, Server

pytestmark = pytest.mark.slow

MEMBERS = 8
G = "/api/v1/guilds"


async def _census(url: str) -> tuple[int, int]:
    """(credits of players + region and guild treasuries + transfers in flight, pending rows)."""
    engine = create_db_engine(url)
    try:
        store = EventStore(engine)
        states = [
            (await load_region_state(store, row.id)).state for row in await store.list_regions()
        ]
        total = sum(s.region.treasury + sum(p.credits for p in s.players.values()) for s in states)
        async with engine.connect() as conn:
            total += int(
                (
                    await conn.execute(select(func.coalesce(func.sum(guilds.c.treasury), 0)))
                ).scalar_one()
            )
            pending = (
                await conn.execute(
                    select(
                        guild_transfers.c.id, guild_transfers.c.kind, guild_transfers.c.amount
                    ).where(guild_transfers.c.status == "pending")
                )
            ).all()
        for tid, kind, amount in pending:
            marks = {s.transfers_in.get(tid) for s in states}
            if (kind == "deposit" and DEBITED in marks) or (
                kind == "withdraw" and CREDITED not in marks
            ):
                total += int(amount)
        return total, len(pending)
    finally:
        await engine.dispose()


async def test_sigkill_during_concurrent_guild_transfers(
    tmp_path: Path,
    db_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STARLANE_RATE__ENABLED", "false")
    if not db_url.startswith("sqlite"):
        monkeypatch.setenv("STARLANE_DATABASE_URL", db_url)
    server = Server(tmp_path)
    server.start()
    try:
        await server.wait_ready()
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            players = []
            for i in range(MEMBERS):
                r = await http.post(
                    "/api/v1/auth/register",
                    json={"username": f"guildie{i}", "password": BOT_PASSWORD},
                )
                assert r.status_code == 201, r.text
                body = r.json()
                h = {"Authorization": f"Bearer {body['tokens']['access_token']}"}
                players.append((body["account"]["id"], h))
            leader = players[0][1]
            r = await http.post(G, json={"name": "Crash Guild", "tag": "CRSH"}, headers=leader)
            gid = r.json()["id"]
            for pid, h in players[1:]:
                await http.post(f"{G}/{gid}/join", headers=h)
                r = await http.post(f"{G}/{gid}/requests/{pid}/accept", headers=leader)
                assert r.json()["outcome"] == "joined", r.text
            r = await http.post(f"{G}/{gid}/deposit", json={"amount": 2_000}, headers=leader)
            assert r.json()["status"] == "done", r.text
        before, pending = await _census(db_url)
        assert pending == 0

        answered = 0
        killed = asyncio.Event()

        async def send(path: str, body: dict[str, int], h: dict[str, str]) -> None:
            nonlocal answered
            try:
                r = await load.post(path, json=body, headers=h)
            except httpx.HTTPError:
                return  # the server died under the request
            if r.status_code == 200:
                answered += 1
                if answered >= 8 and not killed.is_set():
                    killed.set()
                    assert server.proc is not None
                    server.proc.send_signal(signal.SIGKILL)

        calls = []
        for round_ in range(6):
            for i, (pid, h) in enumerate(players):
                calls.append(send(f"{G}/{gid}/deposit", {"amount": 10 + i + round_}, h))
                calls.append(
                    send(f"{G}/{gid}/withdraw", {"amount": 15 + i, "to_player_id": pid}, leader)
                )
        async with httpx.AsyncClient(
            base_url=server.url, timeout=30, limits=httpx.Limits(max_connections=len(calls))
        ) as load:
            await asyncio.gather(*calls)
        assert killed.is_set(), "every transfer finished before the kill"
        assert server.proc is not None
        server.proc.wait(10)
        assert server.proc.returncode == -signal.SIGKILL
    finally:
        server.stop()

    at_kill, in_flight_rows = await _census(db_url)
    assert at_kill == before, (at_kill, before)
    print("pending transfers at the kill:", in_flight_rows)

    restarted = Server(tmp_path)
    restarted.start()
    try:
        await restarted.wait_ready()  # ready once recovery has driven the pending transfers
    finally:
        restarted.stop()
    assert restarted.proc is not None and restarted.proc.returncode == 0
    after, pending = await _census(db_url)
    assert (after, pending) == (before, 0)
