"""Guilds over HTTP: founding, search, join requests, invitations, roles, leaving, the treasury.

Players spawn in Terran Space; a member moved to the Nexus (on the live state, test set-up
only) shows that members come from any region and that deposits and withdrawals reach them
there.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from starlane.engine.guilds import GuildTreasury
from starlane.store.schema import audit_entries
from tests.api.conftest import assert_problem, register

G = "/api/v1/guilds"


async def found(c: httpx.AsyncClient, h: dict[str, str], name: str, tag: str) -> dict[str, Any]:
    r = await c.post(G, json={"name": name, "tag": tag}, headers=h)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def credits(c: httpx.AsyncClient, h: dict[str, str]) -> int:
    r = await c.get("/api/v1/me", headers=h)
    assert r.status_code == 200, r.text
    return int(r.json()["credits"])


async def test_found_search_and_unique_names(client: httpx.AsyncClient) -> None:
    alice, bob = await register(client, "alice"), await register(client, "bob")
    ha, hb = alice["headers"], bob["headers"]
    guild = await found(client, ha, "Iron Traders", "IRON")
    assert guild["my_role"] == "leader" and guild["treasury"] == 0
    assert guild["member_count"] == 1 and guild["leader_id"] == alice["account"]["id"]
    # names and tags are unique, case and spacing aside
    r = await client.post(G, json={"name": "iron  traders", "tag": "XX"}, headers=hb)
    assert_problem(r, 409, "guild_name_taken")
    r = await client.post(G, json={"name": "Other", "tag": "iron"}, headers=hb)
    assert_problem(r, 409, "guild_tag_taken")
    r = await client.post(G, json={"name": "Second", "tag": "SEC"}, headers=ha)
    assert_problem(r, 409, "already_in_guild")
    r = await client.post(G, json={"name": "<script>", "tag": "X"}, headers=hb)
    assert_problem(r, 422, "validation_error")
    # non-members see no treasury
    r = await client.get(f"{G}/{guild['id']}", headers=hb)
    assert r.status_code == 200 and r.json()["treasury"] is None and r.json()["my_role"] is None
    assert_problem(await client.get(f"{G}/999", headers=hb), 404, "guild_not_found")
    # search and cursor pages
    for i, name in enumerate(["Copper Guild", "Star Ironworks", "Nebula"]):
        await found(client, (await register(client, f"player{i}"))["headers"], name, f"T{i}")
    r = await client.get(G, params={"q": "iron"}, headers=hb)
    assert [g["name"] for g in r.json()["items"]] == ["Iron Traders", "Star Ironworks"]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(G, params=params, headers=hb)).json()
        seen += [g["tag"] for g in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["IRON", "T0", "T1", "T2"]
    assert all(g["treasury"] is None for g in page["items"])


async def test_requests_invitations_roles_and_leaving(client: httpx.AsyncClient) -> None:
    alice, bob, carol = [await register(client, n) for n in ("alice", "bob", "carol")]
    ha, hb, hc = alice["headers"], bob["headers"], carol["headers"]
    bob_id, carol_id = bob["account"]["id"], carol["account"]["id"]
    gid = (await found(client, ha, "Iron Traders", "IRON"))["id"]
    # bob asks; the leader accepts
    r = await client.post(f"{G}/{gid}/join", headers=hb)
    assert r.json()["outcome"] == "requested"
    r = await client.get(f"{G}/{gid}/requests", headers=ha)
    assert [(q["player_id"], q["kind"]) for q in r.json()["requests"]] == [(bob_id, "request")]
    r = await client.post(f"{G}/{gid}/requests/{bob_id}/accept", headers=ha)
    assert r.status_code == 200 and r.json()["outcome"] == "joined", r.text
    r = await client.post(f"{G}/{gid}/requests/{bob_id}/accept", headers=ha)
    assert_problem(r, 404, "guild_request_not_found")
    # promoted, bob (officer) invites carol, who accepts
    r = await client.post(f"{G}/{gid}/members/{bob_id}/promote", headers=ha)
    assert r.json()["outcome"] == "officer"
    r = await client.post(f"{G}/{gid}/invite", json={"player_id": carol_id}, headers=hb)
    assert r.json()["outcome"] == "invited"
    mine = (await client.get("/api/v1/me/guild", headers=hc)).json()
    assert mine["guild"] is None and mine["invitations"][0]["guild_id"] == gid
    r = await client.post(f"{G}/{gid}/invitation/accept", headers=hc)
    assert r.json()["outcome"] == "joined"
    members = (await client.get(f"{G}/{gid}/members", headers=hc)).json()["members"]
    assert [m["role"] for m in members] == ["leader", "officer", "member"]
    # the leader cannot leave while others remain; transfers leadership to bob, then leaves
    assert_problem(await client.post(f"{G}/{gid}/leave", headers=ha), 409, "leader_must_transfer")
    r = await client.post(f"{G}/{gid}/leader", json={"player_id": bob_id}, headers=ha)
    assert r.status_code == 200 and r.json()["leader_id"] == bob_id
    r = await client.post(f"{G}/{gid}/leave", headers=ha)
    assert r.json()["outcome"] == "left"
    # bob bans carol: out, and she cannot ask again until unbanned
    r = await client.post(f"{G}/{gid}/members/{carol_id}/ban", headers=hb)
    assert r.json()["outcome"] == "banned"
    assert_problem(await client.post(f"{G}/{gid}/join", headers=hc), 403, "guild_banned")
    r = await client.delete(f"{G}/{gid}/bans/{carol_id}", headers=hb)
    assert r.json()["outcome"] == "unbanned"
    assert (await client.post(f"{G}/{gid}/join", headers=hc)).json()["outcome"] == "requested"
    # the last member leaving disbands the guild
    assert (await client.post(f"{G}/{gid}/leave", headers=hb)).json()["outcome"] == "disbanded"
    assert_problem(await client.get(f"{G}/{gid}", headers=hb), 404, "guild_not_found")


async def test_deposit_and_withdraw_across_regions(app: FastAPI, client: httpx.AsyncClient) -> None:
    alice, bob = await register(client, "alice"), await register(client, "bob")
    ha, hb = alice["headers"], bob["headers"]
    bob_id = bob["account"]["id"]
    gid = (await found(client, ha, "Iron Traders", "IRON"))["id"]
    await client.post(f"{G}/{gid}/join", headers=hb)
    await client.post(f"{G}/{gid}/requests/{bob_id}/accept", headers=ha)
    a0, b0 = await credits(client, ha), await credits(client, hb)
    r = await client.post(f"{G}/{gid}/deposit", json={"amount": 400}, headers=ha)
    assert r.status_code == 200, r.text
    assert r.json() | {"transfer_id": ""} == {
        "transfer_id": "",
        "guild_id": gid,
        "player_id": alice["account"]["id"],
        "kind": "deposit",
        "amount": 400,
        "status": "done",
        "error_code": None,
        "treasury": 400,
    }
    assert await credits(client, ha) == a0 - 400
    r = await client.post(f"{G}/{gid}/deposit", json={"amount": a0}, headers=ha)
    assert_problem(r, 409, "insufficient_credits")
    r = await client.post(
        f"{G}/{gid}/withdraw", json={"amount": 150, "to_player_id": bob_id}, headers=ha
    )
    assert r.status_code == 200 and r.json()["status"] == "done", r.text
    assert r.json()["treasury"] == 250 and await credits(client, hb) == b0 + 150
    query = select(audit_entries).where(audit_entries.c.action == "guild.treasury.withdraw")
    async with app.state.services.db.connect() as conn:
        [entry] = (await conn.execute(query)).mappings().all()
    assert (entry["actor_id"], entry["actor_role"]) == (alice["account"]["id"], "leader")
    assert (entry["target_kind"], entry["target_id"]) == ("guild", str(gid))
    assert json.loads(entry["before"]) == {"treasury": 400}
    after = json.loads(entry["after"])
    assert after | {"transfer_id": ""} == {
        "treasury": 250,
        "amount": 150,
        "player_id": bob_id,
        "transfer_id": "",
    }
    assert after["transfer_id"] == r.json()["transfer_id"]
    r = await client.post(
        f"{G}/{gid}/withdraw", json={"amount": 251, "to_player_id": bob_id}, headers=ha
    )
    assert_problem(r, 409, "guild_treasury_insufficient")
    r = await client.post(
        f"{G}/{gid}/withdraw", json={"amount": 1, "to_player_id": 999}, headers=ha
    )
    assert_problem(r, 409, "not_guild_member")
    assert (await client.get(f"{G}/{gid}", headers=ha)).json()["treasury"] == 250
    history = (await client.get(f"{G}/{gid}/transfers", headers=hb)).json()["items"]
    assert [(t["kind"], t["amount"], t["status"]) for t in history] == [
        ("withdraw", 150, "done"),
        ("deposit", 400, "done"),
    ]
    # the last member cannot disband a guild holding credits
    await client.post(f"{G}/{gid}/members/{bob_id}/kick", headers=ha)
    r = await client.post(f"{G}/{gid}/leave", headers=ha)
    assert_problem(r, 409, "guild_treasury_not_empty")


async def test_a_deposit_refused_by_the_region_moves_nothing(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await register(client, "alice")
    ha = alice["headers"]
    gid = (await found(client, ha, "Iron Traders", "IRON"))["id"]
    a0 = await credits(client, ha)
    # the credits are spent between the pre-check and the region's debit
    monkeypatch.setattr(GuildTreasury, "_credits_of", lambda self, player_id: None)
    r = await client.post(f"{G}/{gid}/deposit", json={"amount": a0 + 1}, headers=ha)
    body = assert_problem(r, 409, "insufficient_credits")
    [failed] = (await client.get(f"{G}/{gid}/transfers", headers=ha)).json()["items"]
    assert failed["transfer_id"] == body["context"]["transfer_id"]
    assert (failed["status"], failed["error_code"]) == ("failed", "insufficient_credits")
    assert await credits(client, ha) == a0
    assert (await client.get(f"{G}/{gid}", headers=ha)).json()["treasury"] == 0
