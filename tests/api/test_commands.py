"""Declared game commands: one declaration gives the REST route, the WebSocket op, the Python
client method and the docs row; the general hardware purchase and its per-item aliases."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import Field

from starlane.api import codegen
from starlane.api.app import create_app
from starlane.api.commands import CommandTable, GameCommand
from starlane.api.game_commands import GAME_COMMANDS
from starlane.api.schemas import ApiModel
from starlane.client.api import ApiError, StarlaneClient
from starlane.domain import rules
from starlane.domain.commands import Command
from starlane.domain.events import Event, SectorsScanned
from starlane.domain.model import RegionState
from starlane.domain.movement import require_player
from tests.api.conftest import PASSWORD, FakeClock, assert_problem, make_settings, register
from tests.api.test_game import STARDOCK, _fly


# --- a toy command, declared once here ----------------------------------------------------
@dataclass(frozen=True, slots=True)
class Hail(Command):
    """Hail the sector: a toy domain command (it records an empty scan)."""

    name: ClassVar[str] = "hail"
    message: str


def _decide_hail(state: RegionState, command: Hail, now: float, rng: random.Random) -> list[Event]:
    player = require_player(state, command.player_id)
    return [
        SectorsScanned(
            region_id=state.region.id,
            at=now,
            player_id=player.id,
            sector_id=player.sector_id,
            discovered=(),
        )
    ]


class HailRequest(ApiModel):
    message: str = Field(min_length=1, max_length=20)
    loud: bool = False


HAIL = GameCommand(
    name="hail",
    method="POST",
    path="/api/v1/sectors/{sector_id}/hail",
    summary="Hail a sector",
    description="Hail the sector you are in.",
    input=HailRequest,
    command=Hail,
    build=lambda pid, a: Hail(pid, a.input.message.upper() if a.input.loud else a.input.message),
    answer=lambda g, p, a, events: {
        "sector_id": a.path["sector_id"],
        "heard": [e.type for e in events],
        "player": g.player(p)[0].name,
    },
    response=dict[str, Any],
    answer_doc="who heard it",
    ws_op="hail",
    tag="toy",
)


@pytest.fixture
def hail_app(data_dir: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setitem(rules._DECIDERS, Hail, _decide_hail)
    return create_app(make_settings(data_dir), clock=clock, commands=(*GAME_COMMANDS, HAIL))


@pytest.fixture
async def started_hail_app(hail_app: FastAPI) -> AsyncIterator[FastAPI]:
    async with hail_app.router.lifespan_context(hail_app):
        yield hail_app


async def test_a_command_declared_once_is_reached_over_rest_and_the_python_client(
    started_hail_app: FastAPI,
) -> None:
    transport = httpx.ASGITransport(app=started_hail_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        alice = await register(client, "alice")
        r = await client.post(
            "/api/v1/sectors/1/hail",
            json={"message": "ahoy", "loud": True},
            headers=alice["headers"],
        )
        assert r.status_code == 200, r.text
        assert r.json() == {"sector_id": 1, "heard": ["sectors_scanned"], "player": "alice"}
        body = assert_problem(
            await client.post("/api/v1/sectors/1/hail", json={}, headers=alice["headers"]),
            422,
            "validation_error",
        )
        assert body["errors"][0]["loc"] == ["body", "message"]
        assert_problem(
            await client.post(
                "/api/v1/sectors/0/hail", json={"message": "x"}, headers=alice["headers"]
            ),
            422,
            "validation_error",
        )
        assert_problem(
            await client.post("/api/v1/sectors/1/hail", json={"message": "x"}),
            401,
            "not_authenticated",
        )
        schema = (await client.get("/openapi.json")).json()
        operation = schema["paths"]["/api/v1/sectors/{sector_id}/hail"]["post"]
        assert operation["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/HailRequest"
        }
        assert operation["security"] == [{"OAuth2PasswordBearer": []}]
    async with StarlaneClient("http://t", transport=transport) as api:
        await api.login("alice", PASSWORD)
        answer = await api.send_command(codegen.client_command(HAIL), sector_id=1, message="hi")
        assert answer == {"sector_id": 1, "heard": ["sectors_scanned"], "player": "alice"}
        with pytest.raises(ApiError) as refused:
            await api.send_command(codegen.client_command(HAIL), sector_id=1, message="")
        assert refused.value.code == "validation_error"


def test_a_command_declared_once_is_reached_over_the_websocket(hail_app: FastAPI) -> None:
    with TestClient(hail_app) as tc:
        r = tc.post("/api/v1/auth/register", json={"username": "bob", "password": PASSWORD})
        token = r.json()["tokens"]["access_token"]
        with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
            ws.receive_json()  # hello
            ws.send_json({"id": "h", "op": "hail", "args": {"sector_id": 1, "message": "hey"}})
            reply = _reply(ws, "h")
            assert reply["ok"], reply
            assert reply["result"] == {
                "sector_id": 1,
                "heard": ["sectors_scanned"],
                "player": "bob",
            }
            ws.send_json(
                {"id": "x", "op": "hail", "args": {"sector_id": 1, "message": "hey", "x": 1}}
            )
            assert _reply(ws, "x")["error"]["code"] == "validation_error"
            ws.send_json({"id": "y", "op": "hail", "args": {"message": "hey"}})
            assert "args.sector_id" in _reply(ws, "y")["error"]["detail"]


def test_an_op_the_app_does_not_declare_is_refused(app_factory: Callable[..., FastAPI]) -> None:
    with TestClient(app_factory()) as tc:
        r = tc.post("/api/v1/auth/register", json={"username": "carol", "password": PASSWORD})
        token = r.json()["tokens"]["access_token"]
        with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
            ws.receive_json()
            ws.send_json({"id": "h", "op": "hail", "args": {"sector_id": 1, "message": "hey"}})
            error = _reply(ws, "h")["error"]
            assert error["code"] == "validation_error" and error["errors"][0]["loc"] == [
                "args",
                "op",
            ]


def _reply(ws: Any, rid: str) -> dict[str, Any]:
    for _ in range(50):
        msg = ws.receive_json()
        items = msg["messages"] if msg.get("type") == "batch" else [msg]
        for item in items:
            if item.get("type") == "reply" and item.get("id") == rid:
                return item  # type: ignore[no-any-return]
    raise AssertionError("no reply")


# --- the table itself ---------------------------------------------------------------------
def test_the_client_methods_and_the_docs_table_are_generated_from_the_declarations() -> None:
    for path, expected in codegen.render(GAME_COMMANDS).items():
        assert path.read_text() == expected, f"run python -m starlane.api.codegen ({path.name})"


def test_the_present_ops_and_routes_are_all_declared() -> None:
    table = CommandTable(GAME_COMMANDS)
    assert set(table.by_op) == {
        "me", "sector", "move", "autopilot", "scan", "port", "quote", "trade", "attack",
        "buy_ship", "buy_fighters", "buy_holds", "buy_shields", "buy_hardware", "repair_hull",
        "gates", "gate", "build_gate", "deliver_gate", "abandon_gate", "close_gate",
        "jump",
    }  # fmt: skip
    routes = {(c.method, c.path) for c in GAME_COMMANDS}
    for item in ("fighters", "holds", "shields", "hardware", "ship", "repair"):
        assert ("POST", f"/api/v1/stardock/{item}") in routes


def test_a_declaration_table_refuses_duplicates() -> None:
    move = next(c for c in GAME_COMMANDS if c.name == "move")
    with pytest.raises(ValueError, match="declared twice"):
        CommandTable((*GAME_COMMANDS, HAIL, HAIL))
    from dataclasses import replace

    with pytest.raises(ValueError, match="declared twice"):
        CommandTable((*GAME_COMMANDS, replace(move, name="move2")))
    with pytest.raises(ValueError, match="declared twice"):
        CommandTable((*GAME_COMMANDS, replace(HAIL, ws_op="move")))
    with pytest.raises(ValueError, match="go together"):
        replace(HAIL, build=None)


# --- hardware: one command, four routes ---------------------------------------------------
async def test_hardware_general_route_and_aliases(client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    h = alice["headers"]
    r = await client.post(
        "/api/v1/stardock/hardware", json={"item": "fighters", "quantity": 2}, headers=h
    )
    assert_problem(r, 409, "not_a_stardock")
    await _fly(client, h, STARDOCK)
    me = (await client.get("/api/v1/me", headers=h)).json()
    r = await client.post(
        "/api/v1/stardock/hardware", json={"item": "holds", "quantity": 3}, headers=h
    )
    assert r.status_code == 200, r.text
    receipt = r.json()
    assert receipt == {
        "item": "holds",
        "count": 3,
        "price": 3 * 500,
        "credits_after": me["credits"] - 1_500,
        "after": me["ship"]["holds"] + 3,
    }
    r = await client.post("/api/v1/stardock/fighters", json={"count": 2}, headers=h)
    assert r.json()["item"] == "fighters" and r.json()["after"] == me["ship"]["fighters"] + 2
    for body in (
        {"item": "torpedoes", "quantity": 1},
        {"item": "holds", "quantity": 0},
        {"item": "holds"},
        {"item": "holds", "count": 1},
    ):
        r = await client.post("/api/v1/stardock/hardware", json=body, headers=h)
        assert_problem(r, 422, "validation_error")
    r = await client.post(
        "/api/v1/stardock/hardware", json={"item": "shields", "quantity": 1}, headers=h
    )
    assert_problem(r, 409, "capacity_exceeded")
    after = (await client.get("/api/v1/me", headers=h)).json()
    assert after["credits"] == me["credits"] - 1_500 - 200
    assert after["ship"]["holds"] == me["ship"]["holds"] + 3


def test_hardware_over_the_websocket(app_factory: Callable[..., FastAPI]) -> None:
    with TestClient(app_factory()) as tc:
        r = tc.post("/api/v1/auth/register", json={"username": "dave", "password": PASSWORD})
        token = r.json()["tokens"]["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        tc.post(
            "/api/v1/me/autopilot", json={"to_sector_id": STARDOCK, "execute": True}, headers=auth
        )
        with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
            ws.receive_json()
            ws.send_json(
                {"id": "a", "op": "buy_hardware", "args": {"item": "fighters", "quantity": 4}}
            )
            a = _reply(ws, "a")["result"]
            ws.send_json({"id": "b", "op": "buy_shields", "args": {"count": 1}})
            assert _reply(ws, "b")["error"]["code"] == "capacity_exceeded"
        assert a["item"] == "fighters" and a["count"] == 4 and a["price"] == 400
        assert tc.get("/api/v1/me", headers=auth).json()["ship"]["fighters"] == a["after"]
