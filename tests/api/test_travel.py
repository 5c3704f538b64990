"""Gate passage over HTTP and WebSocket: move, answers, reads, treasury, live feeds."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from starlane.api.app import create_app
from starlane.domain.commands import Depart
from starlane.domain.data import Immigration
from starlane.domain.model import NEXUS_REGION_ID, TERRAN_REGION_ID
from tests.api.conftest import PASSWORD, FakeClock, assert_problem, make_settings, register
from tests.api.test_wsfeed import _recv, _until
from tests.conftest import postgres_unavailable_reason


def terran_gate(app: FastAPI) -> tuple[int, int]:
    """(gate sector in Terran Space, the sector it leads to in the Nexus)."""
    state = app.state.services.galaxy.region_state(TERRAN_REGION_ID)
    for sector in state.sectors.values():
        if sector.gate is not None and sector.gate.to_region_id == NEXUS_REGION_ID:
            return sector.id, sector.gate.to_sector_id
    raise AssertionError("no gate to the Nexus")


async def to_gate(client: httpx.AsyncClient, h: dict[str, str], gate: int) -> None:
    r = await client.post(
        "/api/v1/me/autopilot", json={"to_sector_id": gate, "execute": True}, headers=h
    )
    assert r.status_code == 200, r.text


async def _play_crossing(app: FastAPI, client: httpx.AsyncClient) -> None:
    galaxy = app.state.services.galaxy
    gate, there = terran_gate(app)
    nexus = galaxy.region_state(NEXUS_REGION_ID).region
    nexus.policy.gate_toll = 120
    alice = await register(client, "alice")
    h = alice["headers"]
    await to_gate(client, h, gate)
    view = (await client.get(f"/api/v1/sectors/{gate}", headers=h)).json()
    assert view["gate"] == {
        "to_region_id": NEXUS_REGION_ID,
        "to_sector_id": there,
        "toll": 120,
        "turn_cost": 3,
        "to_region_name": nexus.name,
        "immigration": "open",
    }
    me = (await client.get("/api/v1/me", headers=h)).json()
    r = await client.post("/api/v1/me/move", json={"to_sector_id": there}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["region_id"], body["sector_id"], body["from_sector_id"]) == (2, there, gate)
    assert (body["turns_spent"], body["toll_paid"]) == (3, 120)
    assert body["sector"]["id"] == there and body["sector"]["region_id"] == 2
    after = (await client.get("/api/v1/me", headers=h)).json()
    assert after["region_id"] == NEXUS_REGION_ID and after["sector_id"] == there
    assert after["credits"] == me["credits"] - 120
    assert galaxy.directory.locate(alice["account"]["id"]) == (2, there)
    assert (await client.get(f"/api/v1/sectors/{there}", headers=h)).status_code == 200
    # the treasury is the governor's and the admins' business
    r = await client.get(f"/api/v1/regions/{NEXUS_REGION_ID}", headers=h)
    assert r.json()["treasury"] is None and r.json()["status"] == "active"
    nexus.governor_id = alice["account"]["id"]
    r = await client.get(f"/api/v1/regions/{NEXUS_REGION_ID}", headers=h)
    assert r.json()["treasury"] == 120
    nexus.governor_id = None
    # and back through the same gate, by autopilot
    r = await client.post(
        "/api/v1/me/autopilot", json={"to_sector_id": gate, "execute": True}, headers=h
    )
    assert r.status_code == 200, r.text
    assert (r.json()["region_id"], r.json()["sector_id"]) == (TERRAN_REGION_ID, gate)
    # refusals: immigration closed, then in transit
    nexus.policy.immigration = Immigration.CLOSED
    r = await client.post("/api/v1/me/move", json={"to_sector_id": there}, headers=h)
    assert_problem(r, 403, "immigration_refused")
    nexus.policy.immigration = Immigration.OPEN
    pid = alice["account"]["id"]
    await galaxy.engine(TERRAN_REGION_ID).submit(Depart(pid, there, "held", 2, 120))
    assert_problem(await client.post("/api/v1/me/scan", headers=h), 409, "in_transit")
    await galaxy.saga.recover()
    me = (await client.get("/api/v1/me", headers=h)).json()
    assert (me["region_id"], me["sector_id"]) == (NEXUS_REGION_ID, there)


async def test_gate_passage_over_http_on_sqlite(app: FastAPI, client: httpx.AsyncClient) -> None:
    await _play_crossing(app, client)


@pytest.mark.postgres
async def test_gate_passage_over_http_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    app = create_app(make_settings(tmp_path, database_url=postgres_url), clock=FakeClock())
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as c,
    ):
        await _play_crossing(app, c)


def test_feeds_follow_the_crossing(app_factory: Callable[..., FastAPI]) -> None:
    """Watchers at the gate see the departure, watchers at the arrival sector see the arrival,
    and the traveller's sector subscription moves with them."""
    app = app_factory()
    with TestClient(app) as tc:
        gate, there = terran_gate(app)
        tokens: dict[str, str] = {}
        for name in ("carol", "dave"):
            r = tc.post("/api/v1/auth/register", json={"username": name, "password": PASSWORD})
            tokens[name] = r.json()["tokens"]["access_token"]
            h = {"Authorization": f"Bearer {tokens[name]}"}
            r = tc.post(
                "/api/v1/me/autopilot", json={"to_sector_id": gate, "execute": True}, headers=h
            )
            assert r.status_code == 200, r.text
        hc = {"Authorization": f"Bearer {tokens['carol']}"}
        hd = {"Authorization": f"Bearer {tokens['dave']}"}
        with (
            tc.websocket_connect(f"/api/v1/ws?token={tokens['carol']}") as carol_ws,
            tc.websocket_connect(f"/api/v1/ws?token={tokens['dave']}") as dave_ws,
        ):
            for ws in (carol_ws, dave_ws):
                _recv(ws)
                ws.send_json({"id": "s", "op": "subscribe", "args": {"channel": "sector"}})
                _until(ws, lambda m: m.get("id") == "s")
            # carol crosses by WebSocket; dave, still at the gate, sees her leave
            carol_ws.send_json({"id": "m", "op": "move", "args": {"to_sector_id": there}})
            reply = _until(carol_ws, lambda m: m.get("id") == "m")
            assert reply["ok"], reply
            assert (reply["result"]["region_id"], reply["result"]["sector_id"]) == (2, there)
            seen = _until(dave_ws, lambda m: _about(m, "transfer_departed"))
            assert seen["channel"] == "sector"
            # dave follows; carol, now watching the arrival sector, sees him arrive
            r = tc.post("/api/v1/me/move", json={"to_sector_id": there}, headers=hd)
            assert r.status_code == 200, r.text
            arrived = _until(
                carol_ws, lambda m: _about(m, "transfer_arrived") and m.get("channel") == "sector"
            )
            assert arrived
            assert tc.get("/api/v1/me", headers=hc).json()["region_id"] == 2


def _about(message: dict[str, Any], event_type: str) -> bool:
    return message.get("type") == "event" and event_type in json.dumps(message)


_ = postgres_unavailable_reason
