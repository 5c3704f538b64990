"""End to end: 200 players cross a gate at once, the server is SIGKILLed mid-way, restarted,
and every player is in exactly one region with credits and cargo conserved.

Counts are read from the event store itself (latest snapshot plus the events after it, as the
server recovers), not from the server's answers: players in every region, departures still in
flight, treasuries. Runs on SQLite (the embedded file) and on PostgreSQL (a database of its own,
dropped after; skipped with the reason when no server answers).
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import pytest

from starlane.domain.model import NEXUS_REGION_ID, TERRAN_REGION_ID
from starlane.engine.recovery import load_region_state
from starlane.store.db import create_db_engine
from starlane.store.eventstore import EventStore
from tests.conftest import postgres_unavailable_reason
from tests.e2e.test_serve_bots_restart import BOT_PASSWORD, Server

pytestmark = pytest.mark.slow

PLAYERS = 200


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The server's database: its default SQLite file under tmp_path, or a new PostgreSQL one."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'starlane.db'}"
    reason = postgres_unavailable_reason()  # outside the event loop, as the shared probe needs
    if reason:
        pytest.skip(reason)
    return request.getfixturevalue("postgres_url")


async def _census(db_url: str) -> tuple[dict[int, int], int, int, dict[int, int]]:
    """(player -> places holding them, credits, cargo units, region -> treasury) from the store."""
    engine = create_db_engine(db_url)
    try:
        store = EventStore(engine)
        places: dict[int, int] = {}
        credits = cargo = 0
        treasuries: dict[int, int] = {}
        states = {}
        for row in await store.list_regions():
            states[row.id] = (await load_region_state(store, row.id)).state
        for rid, state in states.items():
            treasuries[rid] = state.region.treasury
            credits += state.region.treasury
            for p in state.players.values():
                places[p.id] = places.get(p.id, 0) + 1
                credits += p.credits
                cargo += p.ship.cargo_units
            for tid, t in state.transfers_out.items():
                if states[t.to_region_id].transfers_in.get(tid) == "arrived":
                    continue
                places[t.player.id] = places.get(t.player.id, 0) + 1
                credits += t.player.credits + t.toll
                cargo += t.player.ship.cargo_units
        return places, credits, cargo, treasuries
    finally:
        await engine.dispose()


async def _gate(db_url: str) -> tuple[int, int]:
    engine = create_db_engine(db_url)
    try:
        state = (await load_region_state(EventStore(engine), TERRAN_REGION_ID)).state
    finally:
        await engine.dispose()
    for sector in sorted(state.sectors.values(), key=lambda s: s.id):
        if sector.gate is not None and sector.gate.to_region_id == NEXUS_REGION_ID:
            return sector.id, sector.gate.to_sector_id
    raise AssertionError("no Terran gate")


async def test_sigkill_during_200_concurrent_crossings(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STARLANE_RATE__ENABLED", "false")  # 200 registrations from one address
    if not db_url.startswith("sqlite"):
        monkeypatch.setenv("STARLANE_DATABASE_URL", db_url)  # the server's environment
    server = Server(tmp_path)
    server.start()
    headers: list[dict[str, str]] = []
    try:
        await server.wait_ready()
        gate, there = await _gate(db_url)
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as http:
            sem = asyncio.Semaphore(16)

            async def prepare(i: int) -> dict[str, str]:
                async with sem:
                    r = await http.post(
                        "/api/v1/auth/register",
                        json={"username": f"crosser{i}", "password": BOT_PASSWORD},
                    )
                    assert r.status_code == 201, r.text
                    h = {"Authorization": f"Bearer {r.json()['tokens']['access_token']}"}
                    r = await http.post(
                        "/api/v1/ports/1/trade",
                        json={"commodity": "fuel", "side": "buy", "quantity": 1 + i % 5},
                        headers=h,
                    )
                    assert r.status_code == 200, r.text
                    r = await http.post(
                        "/api/v1/me/autopilot",
                        json={"to_sector_id": gate, "execute": True},
                        headers=h,
                    )
                    assert r.status_code == 200, r.text
                    return h

            headers = list(await asyncio.gather(*(prepare(i) for i in range(PLAYERS))))
        # the state before: read from the store while the server is idle
        places, credits, cargo, _ = await _census(db_url)
        assert len(places) == PLAYERS and set(places.values()) == {1}
        assert cargo == sum(1 + i % 5 for i in range(PLAYERS))

        answered = 0
        killed = asyncio.Event()

        async def cross(h: dict[str, str]) -> None:
            nonlocal answered
            try:
                r = await http2.post("/api/v1/me/move", json={"to_sector_id": there}, headers=h)
            except httpx.HTTPError:
                return  # the server died under the request
            if r.status_code == 200:
                answered += 1
                if answered >= 1 and not killed.is_set():  # the first answer: most in flight
                    killed.set()
                    assert server.proc is not None
                    server.proc.send_signal(signal.SIGKILL)

        limits = httpx.Limits(max_connections=PLAYERS)
        async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as http2:
            await asyncio.gather(*(cross(h) for h in headers))
        assert killed.is_set(), "every crossing finished before the kill"
        assert server.proc is not None
        server.proc.wait(10)
        assert server.proc.returncode == -signal.SIGKILL
    finally:
        server.stop()

    restarted = Server(tmp_path)
    restarted.start()
    try:
        await restarted.wait_ready()
        async with httpx.AsyncClient(base_url=restarted.url, timeout=30) as http:
            regions = set()
            for h in headers:
                me = (await http.get("/api/v1/me", headers=h)).json()
                assert me["region_id"] in (TERRAN_REGION_ID, NEXUS_REGION_ID), me
                assert me["sector_id"] == (gate if me["region_id"] == 1 else there), me
                regions.add(me["region_id"])
                r = await http.post("/api/v1/me/scan", headers=h)  # not stuck in transit
                assert r.status_code == 200, r.text
            assert NEXUS_REGION_ID in regions  # some crossed before the kill
            print("regions after restart:", sorted(regions), "log:", _recovered(restarted))
    finally:
        restarted.stop()
    assert restarted.proc is not None and restarted.proc.returncode == 0
    after_places, after_credits, after_cargo, _ = await _census(db_url)
    assert len(after_places) == PLAYERS and set(after_places.values()) == {1}
    assert (after_credits, after_cargo) == (credits, cargo)


def _recovered(server: Server) -> str:
    lines = [ln for ln in server.log.read_text().splitlines() if "saga.recovered" in ln]
    return lines[-1] if lines else "no transfer pending at restart"
