"""The WebSocket feed and command channel, through Starlette's TestClient."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from starlane.config import RateLimits
from tests.api.conftest import PASSWORD


@pytest.fixture
def tc(app_factory: Callable[..., FastAPI]) -> Iterator[TestClient]:
    with TestClient(app_factory()) as client:
        yield client


def _register(tc: TestClient, name: str) -> tuple[int, str]:
    r = tc.post("/api/v1/auth/register", json={"username": name, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return r.json()["account"]["id"], r.json()["tokens"]["access_token"]


def _recv(ws: Any) -> dict[str, Any]:
    """The next message, with a ``batch`` flattened into the messages it carries."""
    pending: list[dict[str, Any]] = ws.__dict__.setdefault("_pending_messages", [])
    if pending:
        return pending.pop(0)
    msg: dict[str, Any] = ws.receive_json()
    if msg.get("type") == "batch":
        assert len(msg["messages"]) >= 2 and list(msg) == ["type", "messages"]
        pending.extend(msg["messages"])
        return pending.pop(0)
    return msg


def _until(ws: Any, pred: Callable[[dict[str, Any]], bool], limit: int = 50) -> dict[str, Any]:
    for _ in range(limit):
        msg = _recv(ws)
        if pred(msg):
            return msg
    raise AssertionError("message not received")


def _reply(ws: Any, rid: str) -> dict[str, Any]:
    return _until(ws, lambda m: m.get("type") == "reply" and m.get("id") == rid)


def test_hello_commands_and_own_events(tc: TestClient) -> None:
    pid, token = _register(tc, "alice")
    sol = tc.get("/api/v1/sectors/1", headers={"Authorization": f"Bearer {token}"}).json()
    to = sol["warps"][0]["to_sector_id"]
    with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello" and hello["player_id"] == pid
        assert hello["channels"] == ["player", "region", "sector"]
        ws.send_json({"id": "m1", "op": "move", "args": {"to_sector_id": to}})
        seen: list[dict[str, Any]] = []
        reply = _until(ws, lambda m: seen.append(m) or m.get("type") == "reply")
        assert reply["id"] == "m1" and reply["ok"] is True
        assert reply["result"]["sector_id"] == to
        if not any(m["type"] == "event" for m in seen):
            seen.append(_recv(ws))
        event = next(m for m in seen if m["type"] == "event")
        assert event["channel"] == "player" and event["event"]["type"] == "player_moved"
        assert event["event"]["sector_id"] == to and event["actor_id"] == pid
        ws.send_json({"id": "q", "op": "me"})
        assert _reply(ws, "q")["result"]["sector_id"] == to
        ws.send_json({"id": "p", "op": "ping"})
        assert "pong" in _reply(ws, "p")["result"]


def test_second_player_receives_sector_events(tc: TestClient) -> None:
    _, alice = _register(tc, "alice")
    _, bob = _register(tc, "bob")
    ha = {"Authorization": f"Bearer {alice}"}
    with tc.websocket_connect(f"/api/v1/ws?token={bob}") as ws:
        assert ws.receive_json()["type"] == "hello"
        r = tc.post(
            "/api/v1/ports/1/trade",
            json={"commodity": "fuel", "side": "buy", "quantity": 3},
            headers=ha,
        )
        assert r.status_code == 200
        msg = _until(ws, lambda m: m["type"] == "event")
        assert msg["channel"] == "sector" and msg["event"]["type"] == "port_traded"
        assert msg["event"]["units"] == 3
        to = tc.get("/api/v1/sectors/1", headers=ha).json()["warps"][0]["to_sector_id"]
        tc.post("/api/v1/me/move", json={"to_sector_id": to}, headers=ha)
        msg = _until(ws, lambda m: m["type"] == "event")
        assert msg["channel"] == "sector" and msg["event"]["type"] == "player_moved"
        assert msg["event"]["from_sector_id"] == 1  # a departure from bob's sector
        # unsubscribed from the sector channel: alice's next move there is not pushed
        ws.send_json({"id": "u", "op": "unsubscribe", "args": {"channel": "sector"}})
        assert _reply(ws, "u")["result"]["channels"] == ["player", "region"]
        tc.post("/api/v1/me/move", json={"to_sector_id": 1}, headers=ha)
        ws.send_json({"id": "after", "op": "ping"})
        first = _recv(ws)
        assert first["type"] == "reply" and first["id"] == "after"


def test_auth_by_first_message_and_refusals(tc: TestClient) -> None:
    _, token = _register(tc, "alice")
    with tc.websocket_connect("/api/v1/ws") as ws:
        ws.send_json({"id": "a", "op": "auth", "args": {"token": token}})
        assert _recv(ws)["type"] == "hello"
        assert _reply(ws, "a")["ok"] is True
    for first in ({"op": "auth", "args": {"token": "forged"}}, {"op": "me"}, {"nonsense": 1}):
        with tc.websocket_connect("/api/v1/ws") as ws:
            ws.send_json(first)
            msg = ws.receive_json()
            assert msg["type"] == "error" and msg["error"]["status"] == 401
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 1008
    with tc.websocket_connect("/api/v1/ws?token=forged") as ws:
        assert ws.receive_json()["error"]["code"] == "invalid_token"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1008


def test_errors_are_replies_with_problems(tc: TestClient) -> None:
    _, token = _register(tc, "alice")
    with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
        ws.receive_json()
        ws.send_text("{not json")
        bad = ws.receive_json()
        assert bad["ok"] is False and bad["error"]["code"] == "bad_request"
        ws.send_json({"id": "1", "op": "fly"})
        assert _reply(ws, "1")["error"]["code"] == "validation_error"
        ws.send_json({"id": "2", "op": "move", "args": {"to_sector_id": 72}})
        err = _reply(ws, "2")["error"]
        assert err["status"] == 409 and err["code"] == "not_adjacent"
        ws.send_json({"id": "3", "op": "move", "args": {"to_sector_id": -1}})
        err = _reply(ws, "3")["error"]
        assert err["code"] == "validation_error" and "to_sector_id" in err["detail"]
        ws.send_json({"id": "4", "op": "subscribe", "args": {"channel": "admin"}})
        assert _reply(ws, "4")["error"]["status"] == 403
        ws.send_json({"id": "5", "op": "subscribe", "args": {"channel": "gossip"}})
        assert _reply(ws, "5")["error"]["code"] == "unknown_channel"
        ws.send_json({"id": "6", "op": "trade", "args": {"commodity": "fuel"}})
        assert _reply(ws, "6")["error"]["code"] == "validation_error"
        ws.send_json({"id": "7", "op": "sector", "args": {"sector_id": "x"}})
        assert _reply(ws, "7")["error"]["code"] == "validation_error"
        ws.send_json({"id": "8", "op": "auth", "args": {"token": "nope"}})
        assert _reply(ws, "8")["error"]["code"] == "invalid_token"
        ws.send_text("x" * 70_000)  # over the 64 KiB frame cap: the socket is closed
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1009


def test_game_commands_over_the_socket(tc: TestClient) -> None:
    _, token = _register(tc, "alice")
    with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
        ws.receive_json()
        ws.send_json(
            {
                "id": "q",
                "op": "quote",
                "args": {"port_id": 1, "commodity": "fuel", "side": "buy", "quantity": 2},
            }
        )
        quote = _reply(ws, "q")["result"]
        assert quote["quantity"] == 2
        ws.send_json(
            {
                "id": "t",
                "op": "trade",
                "args": {"port_id": 1, "commodity": "fuel", "side": "buy", "quantity": 2},
            }
        )
        assert _reply(ws, "t")["result"]["cargo"] == {"fuel": 2}
        ws.send_json({"id": "s", "op": "sector", "args": {"sector_id": 1}})
        assert _reply(ws, "s")["result"]["port"]["name"] == "Sol"
        ws.send_json({"id": "port", "op": "port", "args": {"port_id": 1}})
        assert _reply(ws, "port")["result"]["class_code"] == "SOL"
        ws.send_json({"id": "a", "op": "autopilot", "args": {"to_sector_id": 72}})
        plan = _reply(ws, "a")["result"]
        assert plan["path"][-1] == 72 and plan["executed"] is False
        ws.send_json({"id": "sc", "op": "scan"})
        assert _reply(ws, "sc")["ok"] is True
        ws.send_json(
            {"id": "k", "op": "attack", "args": {"target_kind": "pirate", "target_id": 320}}
        )
        assert _reply(ws, "k")["ok"] is False
        ws.send_json({"id": "b", "op": "buy_fighters", "args": {"count": 1}})
        assert _reply(ws, "b")["error"]["code"] == "not_a_stardock"
        ws.send_json({"id": "h", "op": "buy_holds", "args": {"count": 1}})
        assert _reply(ws, "h")["error"]["code"] == "not_a_stardock"
        ws.send_json({"id": "sh", "op": "buy_ship", "args": {"ship_type": "scout"}})
        assert _reply(ws, "sh")["error"]["code"] == "not_a_stardock"
        ws.send_json({"id": "bs", "op": "buy_shields", "args": {"count": 1}})
        assert _reply(ws, "bs")["error"]["code"] == "not_a_stardock"
        ws.send_json({"id": "rh", "op": "repair_hull"})
        assert _reply(ws, "rh")["error"]["code"] == "not_a_stardock"


def test_slow_consumer_is_disconnected(app_factory: Callable[..., FastAPI]) -> None:
    with TestClient(app_factory(subscriber_queue_size=2)) as tc:
        _, token = _register(tc, "alice")
        h = {"Authorization": f"Bearer {token}"}
        plan = tc.post("/api/v1/me/autopilot", json={"to_sector_id": 72}, headers=h).json()
        assert len(plan["path"]) - 1 > 2  # more moves than the queue holds
        with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
            ws.receive_json()
            r = tc.post(
                "/api/v1/me/autopilot", json={"to_sector_id": 72, "execute": True}, headers=h
            )
            assert r.status_code == 200
            with pytest.raises(WebSocketDisconnect) as closed:
                for _ in range(20):
                    ws.receive_json()
            assert closed.value.code == 1013
            assert closed.value.reason == "slow consumer"


def test_heartbeat_pings(app_factory: Callable[..., FastAPI]) -> None:
    with TestClient(app_factory(ws_heartbeat_seconds=0.05)) as tc:
        _, token = _register(tc, "alice")
        with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
            ws.receive_json()
            assert ws.receive_json()["type"] == "ping"


def test_websocket_connects_are_rate_limited(app_factory: Callable[..., FastAPI]) -> None:
    with TestClient(app_factory(rate=RateLimits(ws_connects_per_minute=2))) as tc:
        _, token = _register(tc, "alice")
        for _ in range(2):
            with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
                assert ws.receive_json()["type"] == "hello"
        with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
            msg = ws.receive_json()
            assert msg["type"] == "error" and msg["error"]["code"] == "rate_limited"
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 1013


def test_admin_channel_sees_everything(app_factory: Callable[..., FastAPI]) -> None:
    app = app_factory(admin_username="root", admin_password="a very long secret")
    with TestClient(app) as tc:
        r = tc.post(
            "/api/v1/auth/login", json={"username": "root", "password": "a very long secret"}
        )
        admin = r.json()["access_token"]
        _, alice = _register(tc, "alice")
        ha = {"Authorization": f"Bearer {alice}"}
        tc.post("/api/v1/me/autopilot", json={"to_sector_id": 72, "execute": True}, headers=ha)
        with tc.websocket_connect(f"/api/v1/ws?token={admin}") as ws:
            ws.receive_json()
            ws.send_json({"id": "s", "op": "subscribe", "args": {"channel": "admin"}})
            assert "admin" in _reply(ws, "s")["result"]["channels"]
            tc.post("/api/v1/me/scan", headers=ha)
            msg = _until(ws, lambda m: m["type"] == "event")
            assert msg["channel"] == "admin" and msg["event"]["type"] == "sectors_scanned"


def test_expired_token_on_an_open_socket_is_renewed_with_auth(
    app_factory: Callable[..., FastAPI], clock: Any
) -> None:
    with TestClient(app_factory()) as tc:
        _, token = _register(tc, "alice")
        with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
            ws.receive_json()
            clock.advance(901)
            ws.send_json({"id": "1", "op": "me"})
            assert _reply(ws, "1")["error"]["code"] == "token_expired"
            r = tc.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
            ws.send_json({"id": "2", "op": "auth", "args": {"token": r.json()["access_token"]}})
            renewed = _reply(ws, "2")
            assert renewed["ok"] is True, renewed
            ws.send_json({"id": "3", "op": "me"})
            assert _reply(ws, "3")["result"]["name"] == "alice"
            _, bob = _register(tc, "bob")
            ws.send_json({"id": "4", "op": "auth", "args": {"token": bob}})
            assert _reply(ws, "4")["error"]["status"] == 403


def test_websocket_replies_are_the_rest_responses_field_for_field(tc: TestClient) -> None:
    # me, sector, quote, trade and move are encoded from plain data on both transports, without
    # their response models: the data must be exactly what the models (the OpenAPI schema)
    # describe, and the same on the WebSocket as over REST.
    from starlane.api.schemas import MeOut, MoveResponse, QuoteOut, SectorOut, TradeReceipt

    models: dict[str, Any] = {"me": MeOut, "sector": SectorOut, "quote": QuoteOut}

    _pid, token = _register(tc, "mirror")
    auth = {"Authorization": f"Bearer {token}"}
    sol = tc.get("/api/v1/sectors/1", headers=auth).json()
    port = 1  # Sol's StarDock
    market = tc.get(f"/api/v1/ports/{port}", headers=auth)
    assert market.status_code == 200, market.text
    with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
        ws.receive_json()  # hello
        asks: list[tuple[str, dict[str, Any], str]] = [
            ("me", {}, "/api/v1/me"),
            ("sector", {"sector_id": 1}, "/api/v1/sectors/1"),
        ]
        for item in market.json()["commodities"]:
            side = "buy" if item["direction"] == "sells" else "sell"
            args = {"port_id": port, "commodity": item["commodity"], "side": side, "quantity": 3}
            query = f"commodity={item['commodity']}&side={side}&quantity=3"
            asks.append(("quote", args, f"/api/v1/ports/{port}/quote?{query}"))
        for i, (op, args, path) in enumerate(asks):
            ws.send_json({"id": str(i), "op": op, "args": args})
            reply = _reply(ws, str(i))
            assert reply["ok"], reply
            assert reply["result"] == tc.get(path, headers=auth).json(), op
            assert (
                models[op].model_validate(reply["result"]).model_dump(mode="json")
                == (reply["result"])
            )
        sold = next(c for c in market.json()["commodities"] if c["direction"] == "sells")
        buy = {"commodity": sold["commodity"], "side": "buy", "quantity": 1}
        ws.send_json({"id": "t", "op": "trade", "args": {"port_id": port, **buy}})
        receipt = _reply(ws, "t")
        assert receipt["ok"], receipt
        rest_receipt = tc.post(f"/api/v1/ports/{port}/trade", json=buy, headers=auth)
        assert rest_receipt.status_code == 200, rest_receipt.text
        for got in (receipt["result"], rest_receipt.json()):
            assert TradeReceipt.model_validate(got).model_dump(mode="json") == got
        assert rest_receipt.json()["cargo"][sold["commodity"]] == 2  # one unit each time
        to = sol["warps"][0]["to_sector_id"]
        ws.send_json({"id": "m", "op": "move", "args": {"to_sector_id": to}})
        moved = _reply(ws, "m")["result"]
    assert MoveResponse.model_validate(moved).model_dump(mode="json") == moved
    onward = moved["sector"]["warps"][0]["to_sector_id"]
    back = tc.post("/api/v1/me/move", json={"to_sector_id": onward}, headers=auth)
    assert back.status_code == 200
    assert MoveResponse.model_validate(back.json()).model_dump(mode="json") == back.json()
