"""Events committed together reach a WebSocket as one ``events`` message; the send counters."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from starlane.api.schemas import WsEvent
from tests.api.conftest import PASSWORD

EVENT_KEYS = ["type", "channel", "position", "region_id", "seq", "actor_id", "event"]


def _register(tc: TestClient, name: str) -> tuple[int, str]:
    r = tc.post("/api/v1/auth/register", json={"username": name, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return r.json()["account"]["id"], r.json()["tokens"]["access_token"]


def _counters(tc: TestClient) -> dict[str, float]:
    text = tc.get("/metrics").text
    found: dict[str, float] = {}
    for line in text.splitlines():
        m = re.match(r"(starlane_websocket_(?:messages_sent|events_pushed)_total\S*) (\S+)", line)
        if m:
            found[m.group(1)] = float(m.group(2))
    return found


def test_an_autopilot_commit_arrives_as_one_events_message_in_order(
    app_factory: Callable[..., FastAPI],
) -> None:
    with TestClient(app_factory()) as tc:
        pid, token = _register(tc, "alice")
        with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
            assert ws.receive_json()["type"] == "hello"
            ws.send_json({"id": "a", "op": "autopilot", "args": {"to_sector_id": 72}})
            reply = ws.receive_json()
            assert reply["type"] == "reply" and reply["result"]["executed"] is False
            path = reply["result"]["path"]
            ws.send_json(
                {"id": "go", "op": "autopilot", "args": {"to_sector_id": 72, "execute": True}}
            )
            pushed: list[dict[str, Any]] = []
            while not pushed:
                msg = ws.receive_json()
                if msg["type"] in ("event", "events"):
                    pushed.append(msg)
    assert len(path) - 1 >= 2  # several moves in one command, so one commit
    batch = pushed[0]
    assert batch["type"] == "events" and list(batch) == ["type", "events"]
    items = batch["events"]
    assert len(items) == len(path) - 1
    for item in items:
        assert list(item) == EVENT_KEYS and item["type"] == "event"
        WsEvent.model_validate(item)
        assert item["channel"] == "player" and item["actor_id"] == pid
        assert item["event"]["type"] == "player_moved"
    assert [i["event"]["sector_id"] for i in items] == path[1:]
    positions = [i["position"] for i in items]
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


def test_sent_messages_and_pushed_events_are_counted(
    app_factory: Callable[..., FastAPI],
) -> None:
    with TestClient(app_factory()) as tc:
        _, token = _register(tc, "alice")
        before = _counters(tc)
        with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
            assert ws.receive_json()["type"] == "hello"
            ws.send_json(
                {"id": "go", "op": "autopilot", "args": {"to_sector_id": 72, "execute": True}}
            )
            kinds = set()
            while not {"reply", "events"} <= kinds:
                kinds.add(ws.receive_json()["type"])
            ws.send_json({"id": "p", "op": "ping"})
            while ws.receive_json().get("id") != "p":
                pass
        after = _counters(tc)

    def grew(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    assert grew('starlane_websocket_messages_sent_total{kind="reply"}') == 2
    assert grew('starlane_websocket_messages_sent_total{kind="events"}') >= 1
    assert grew('starlane_websocket_messages_sent_total{kind="other"}') >= 1  # hello
    assert grew("starlane_websocket_events_pushed_total") >= 2
