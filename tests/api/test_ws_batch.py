"""What is ready together reaches a WebSocket as one ``batch`` message; the send counters."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from starlane.api.schemas import WsEvent
from tests.api.conftest import PASSWORD

EVENT_KEYS = ["type", "channel", "position", "region_id", "seq", "actor_id", "event"]
REPLY_KEYS = ["type", "id", "ok", "result"]


def _register(tc: TestClient, name: str) -> tuple[int, str]:
    r = tc.post("/api/v1/auth/register", json={"username": name, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return r.json()["account"]["id"], r.json()["tokens"]["access_token"]


def _counters(tc: TestClient) -> dict[str, float]:
    text = tc.get("/metrics").text
    found: dict[str, float] = {}
    pattern = (
        r"(starlane_websocket_(?:messages_sent|events_pushed|batched_messages)_total\S*) (\S+)"
    )
    for line in text.splitlines():
        m = re.match(pattern, line)
        if m:
            found[m.group(1)] = float(m.group(2))
    return found


def _autopilot_execute(tc: TestClient, token: str) -> tuple[list[int], dict[str, Any]]:
    """Plan a several-move autopilot, execute it; the path and the first pushed message."""
    with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
        assert ws.receive_json()["type"] == "hello"
        ws.send_json({"id": "a", "op": "autopilot", "args": {"to_sector_id": 72}})
        reply = ws.receive_json()
        assert reply["type"] == "reply" and reply["result"]["executed"] is False
        path: list[int] = reply["result"]["path"]
        ws.send_json({"id": "go", "op": "autopilot", "args": {"to_sector_id": 72, "execute": True}})
        return path, ws.receive_json()


def test_a_commands_reply_and_its_events_arrive_as_one_batch_in_order(
    app_factory: Callable[..., FastAPI],
) -> None:
    with TestClient(app_factory()) as tc:
        pid, token = _register(tc, "alice")
        path, batch = _autopilot_execute(tc, token)
    assert len(path) - 1 >= 2  # several moves in one command, so one commit
    assert batch["type"] == "batch" and list(batch) == ["type", "messages"]
    items = batch["messages"]
    *events, reply = items  # the reply comes after the events its commit pushed
    assert list(reply) == REPLY_KEYS and reply["id"] == "go" and reply["ok"] is True
    assert reply["result"]["executed"] is True and reply["result"]["path"] == path
    assert len(events) == len(path) - 1
    for item in events:
        assert list(item) == EVENT_KEYS and item["type"] == "event"
        WsEvent.model_validate(item)
        assert item["channel"] == "player" and item["actor_id"] == pid
        assert item["event"]["type"] == "player_moved"
    assert [i["event"]["sector_id"] for i in events] == path[1:]
    positions = [i["position"] for i in events]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)


def test_a_lone_event_is_sent_as_a_single_event_message(
    app_factory: Callable[..., FastAPI],
) -> None:
    with TestClient(app_factory()) as tc:
        _, alice = _register(tc, "alice")
        _, bob = _register(tc, "bob")
        with tc.websocket_connect(f"/api/v1/ws?token={bob}") as ws:
            assert ws.receive_json()["type"] == "hello"
            r = tc.post(
                "/api/v1/ports/1/trade",
                json={"commodity": "fuel", "side": "buy", "quantity": 3},
                headers={"Authorization": f"Bearer {alice}"},
            )
            assert r.status_code == 200
            msg = ws.receive_json()
    assert msg["type"] == "event" and list(msg) == EVENT_KEYS
    assert msg["event"]["type"] == "port_traded"


def test_a_lone_reply_is_sent_as_a_single_reply_message(
    app_factory: Callable[..., FastAPI],
) -> None:
    with TestClient(app_factory()) as tc:
        _, token = _register(tc, "alice")
        with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
            assert ws.receive_json()["type"] == "hello"
            ws.send_json({"id": "p", "op": "ping"})
            msg = ws.receive_json()
    assert msg["type"] == "reply" and msg["id"] == "p" and "pong" in msg["result"]


def test_sent_messages_batches_and_pushed_events_are_counted(
    app_factory: Callable[..., FastAPI],
) -> None:
    with TestClient(app_factory()) as tc:
        _, token = _register(tc, "alice")
        before = _counters(tc)
        path, batch = _autopilot_execute(tc, token)
        assert batch["type"] == "batch"
        after = _counters(tc)

    def grew(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    moves = len(path) - 1
    sent = 'starlane_websocket_messages_sent_total{kind="%s"}'
    batched = 'starlane_websocket_batched_messages_total{kind="%s"}'
    assert grew(sent % "other") == 1  # hello
    assert grew(sent % "reply") == 1  # the plan, alone
    assert grew(sent % "batch") == 1  # the moves and the reply to execute
    assert grew(sent % "event") == 0
    assert grew(batched % "reply") == 1
    assert grew(batched % "event") == moves
    assert grew(batched % "other") == 0
    assert grew("starlane_websocket_events_pushed_total") == moves
