"""New forum posts are pushed on the board's WebSocket channel (``forum:<board>``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.conftest import PASSWORD


def _register(tc: TestClient, name: str) -> dict[str, str]:
    r = tc.post("/api/v1/auth/register", json={"username": name, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['tokens']['access_token']}"}


def _next(ws: Any, pred: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    pending: list[dict[str, Any]] = ws.__dict__.setdefault("_pending", [])
    for _ in range(50):
        if not pending:
            msg = ws.receive_json()
            pending.extend(msg["messages"] if msg.get("type") == "batch" else [msg])
        msg = pending.pop(0)
        if pred(msg):
            return msg
    raise AssertionError("message not received")


def test_posts_are_pushed_to_the_board_channel(app_factory: Callable[..., FastAPI]) -> None:
    with TestClient(app_factory()) as tc:
        alice = _register(tc, "alice")
        bob = _register(tc, "bob")
        token = bob["Authorization"].split()[1]
        with tc.websocket_connect(f"/api/v1/ws?token={token}") as ws:
            assert ws.receive_json()["type"] == "hello"
            ws.send_json({"id": "s1", "op": "subscribe", "args": {"channel": "forum:galaxy"}})
            reply = _next(ws, lambda m: m.get("id") == "s1")
            assert "forum:galaxy" in reply["result"]["channels"]
            ws.send_json({"id": "s2", "op": "subscribe", "args": {"channel": "forum:region-99"}})
            refused = _next(ws, lambda m: m.get("id") == "s2")
            assert refused["ok"] is False and refused["error"]["code"] == "unknown_channel"
            r = tc.post(
                "/api/v1/forums/galaxy/threads",
                json={"title": "Hi", "body": "hello <script>x</script>"},
                headers=alice,
            )
            assert r.status_code == 201
            post = _next(ws, lambda m: m.get("kind") == "forum.post.created")
            assert post["type"] == "change" and post["channel"] == "forum:galaxy"
            assert post["subject"] == "forum.galaxy"
            assert post["payload"]["author"] == "alice"
            assert post["payload"]["body_html"] == "<p>hello &lt;script&gt;x&lt;/script&gt;</p>\n"
            # after leaving the channel, nothing more comes from it
            ws.send_json({"id": "u1", "op": "unsubscribe", "args": {"channel": "forum:galaxy"}})
            _next(ws, lambda m: m.get("id") == "u1")
            tid = r.json()["thread"]["id"]
            tc.post(f"/api/v1/forums/threads/{tid}/posts", json={"body": "again"}, headers=alice)
            ws.send_json({"id": "p1", "op": "ping"})
            pong = _next(ws, lambda m: m.get("id") == "p1" or m.get("type") == "change")
            assert pong.get("id") == "p1"
