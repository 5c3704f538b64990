"""Hostile JSON: bodies and WebSocket messages nested past ``security.json_max_depth`` are a
400 ``json_too_deep`` problem (REST) or an error reply that keeps the socket (WebSocket), and
no traceback is logged for a client's mistake."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from starlane.api.inputs import check_json_depth, json_depth
from starlane.config import SecuritySettings
from tests.api.conftest import PASSWORD, assert_problem, register


def _nested(depth: int) -> bytes:
    return b'{"username":' + b"[" * depth + b"]" * depth + b',"password":"x"}'


@pytest.mark.parametrize("depth", [33, 5_000, 60_000])
async def test_deeply_nested_json_is_a_400_problem(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str], depth: int
) -> None:
    alice = await register(client, "alice")
    h = {"content-type": "application/json"}
    for path in ("/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/refresh"):
        r = await client.post(path, content=_nested(depth), headers=h)
        if r.status_code == 413:  # 60,000 levels are over the body limit: refused unread
            assert depth * 2 > 65_536
            continue
        body = assert_problem(r, 400, "json_too_deep")
        assert body["context"] == {"max_depth": 32}
    r = await client.post(
        "/api/v1/me/move",
        content=b'{"to_sector_id":' + b"[" * 40 + b"]" * 40 + b"}",
        headers={**h, **alice["headers"]},
    )
    assert_problem(r, 400, "json_too_deep")
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    assert "unhandled_error" not in out.out + out.err


async def test_nesting_up_to_the_limit_is_parsed_as_usual(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/auth/login", content=_nested(31), headers={"content-type": "application/json"}
    )
    assert_problem(r, 422, "validation_error")  # parsed, then refused for its type
    # brackets inside strings do not count
    r = await client.post("/api/v1/auth/login", json={"username": "[" * 24, "password": "{" * 200})
    assert_problem(r, 401, "invalid_credentials")


def test_json_depth_counts_structure_not_strings() -> None:
    assert json_depth(b"1") == 0
    assert json_depth('{"a": "[[[[", "b": [[1], {"c": {}}]}') == 4
    assert json_depth(b'["\\"[[[", [2]]') == 2
    check_json_depth(b"[" * 32 + b"]" * 32, 32)
    with pytest.raises(Exception, match="at most 32 levels"):
        check_json_depth(b"[" * 33 + b"]" * 33, 32)


def test_deeply_nested_websocket_frame_gets_an_error_and_keeps_the_socket(
    app_factory: Callable[..., FastAPI], capsys: pytest.CaptureFixture[str]
) -> None:
    app = app_factory(security=SecuritySettings(json_max_depth=16))
    with TestClient(app) as tc:
        r = tc.post("/api/v1/auth/register", json={"username": "alice", "password": PASSWORD})
        token = r.json()["tokens"]["access_token"]
        with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
            assert ws.receive_json()["type"] == "hello"
            ws.send_text('{"id":"d","op":"ping","args":{"x":' + "[" * 1_000 + "]" * 1_000 + "}}")
            reply = ws.receive_json()
            assert reply["ok"] is False and reply["error"]["code"] == "json_too_deep"
            ws.send_json({"id": "p", "op": "ping"})
            reply = ws.receive_json()
            assert reply["id"] == "p" and reply["ok"] is True
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err


def test_websocket_args_are_strictly_typed(app_factory: Callable[..., FastAPI]) -> None:
    app = app_factory()
    with TestClient(app) as tc:
        r = tc.post("/api/v1/auth/register", json={"username": "alice", "password": PASSWORD})
        token = r.json()["tokens"]["access_token"]
        with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
            assert ws.receive_json()["type"] == "hello"
            quote = {"port_id": 1, "commodity": "fuel", "side": "buy", "quantity": "5"}
            for i, (op, args, field) in enumerate(
                [
                    ("quote", quote, "quantity"),
                    ("move", {"to_sector_id": True}, "to_sector_id"),
                    ("autopilot", {"to_sector_id": 2, "execute": 1}, "execute"),
                ]
            ):
                ws.send_json({"id": str(i), "op": op, "args": args})
                reply = ws.receive_json()
                assert reply["ok"] is False, reply
                assert reply["error"]["code"] == "validation_error"
                assert reply["error"]["errors"][0]["loc"] == ["args", field]
            ws.send_json({"id": "ok", "op": "quote", "args": {**quote, "quantity": 5}})
            assert ws.receive_json()["ok"] is True
