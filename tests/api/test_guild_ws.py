"""The WebSocket ``guild`` channel: a guild's changes reach its members, and only them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.test_ws import _recv, _register, _reply, _until

G = "/api/v1/guilds"


def _change(ws: Any, kind: str) -> dict[str, Any]:
    return _until(ws, lambda m: m.get("type") == "change" and m.get("kind") == kind)


def test_guild_changes_reach_subscribed_members_only(app_factory: Callable[..., FastAPI]) -> None:
    with TestClient(app_factory()) as tc:
        alice, ta = _register(tc, "alice")
        bob, tb = _register(tc, "bob")
        _carol, tcarol = _register(tc, "carol")
        ha, hb = {"Authorization": f"Bearer {ta}"}, {"Authorization": f"Bearer {tb}"}
        gid = tc.post(G, json={"name": "Wired Guild", "tag": "WIRE"}, headers=ha).json()["id"]
        with (
            tc.websocket_connect(f"/api/v1/ws?token={ta}") as wa,
            tc.websocket_connect(f"/api/v1/ws?token={tcarol}") as wc,
        ):
            for ws in (wa, wc):
                ws.receive_json()
                ws.send_json({"id": "s", "op": "subscribe", "args": {"channel": "guild"}})
                assert "guild" in _reply(ws, "s")["result"]["channels"]
            tc.post(f"{G}/{gid}/join", headers=hb)
            msg = _change(wa, "guild.join_requested")
            assert msg["channel"] == "guild" and msg["subject"] == f"guild.{gid}"
            assert msg["payload"]["player_id"] == bob
            tc.post(f"{G}/{gid}/requests/{bob}/accept", headers=ha)
            assert _change(wa, "guild.member_joined")["payload"]["player_id"] == bob
            r = tc.post(f"{G}/{gid}/deposit", json={"amount": 25}, headers=hb)
            assert r.status_code == 200, r.text
            msg = _change(wa, "guild.treasury_changed")
            assert msg["payload"] | {"transfer_id": ""} == {
                "transfer_id": "",
                "kind": "deposit",
                "amount": 25,
                "status": "done",
                "player_id": bob,
                "treasury": 25,
                "guild_id": gid,
                "recipients": sorted([alice, bob]),
            }
            # carol, not a member, got none of it (up to the reply to her ping)
            wc.send_json({"id": "p", "op": "ping"})
            seen = []
            while (msg := _recv(wc)).get("id") != "p":
                seen.append(msg)
            assert not [m for m in seen if m["type"] == "change"], seen
