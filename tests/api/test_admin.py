"""The admin API: audited account actions, the audit log's routes, two-person rule, revert."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from starlane.audit.checkpoint import open_checkpoint
from starlane.audit.leaf import decode_leaf
from starlane.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from starlane.audit.note import NoteVerifier
from starlane.domain.events import CreditsAdjusted
from tests.api.conftest import PASSWORD, FakeClock, assert_problem, register

ROOT_PASSWORD = "a very long secret"
A = "/api/v1/admin"
WHY = {"justification": "support ticket 77"}


async def _login(c: httpx.AsyncClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    r = await c.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}", "User-Agent": "admin-test/1"}


class World:
    """An app with two admins, a governor and a player."""

    def __init__(self, app: FastAPI, c: httpx.AsyncClient) -> None:
        self.app, self.c = app, c
        self.root: dict[str, str] = {}
        self.second: dict[str, str] = {}
        self.gov: dict[str, str] = {}
        self.player: dict[str, str] = {}
        self.player_id = 0
        self.second_id = 0

    @property
    def services(self) -> Any:
        return self.app.state.services


@pytest.fixture
async def world(app_factory: Callable[..., FastAPI]) -> AsyncIterator[World]:
    app = app_factory(admin_username="root", admin_password=ROOT_PASSWORD)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            w = World(app, c)
            accounts = app.state.services.accounts
            w.root = await _login(c, "root", ROOT_PASSWORD)
            second = await register(c, "second")
            w.second_id = second["account"]["id"]
            await accounts.set_roles(w.second_id, ("player", "admin"))
            w.second = await _login(c, "second")
            gov = await register(c, "gov")
            await accounts.set_roles(gov["account"]["id"], ("player", "governor"))
            w.gov = await _login(c, "gov")
            player = await register(c, "pilot")
            w.player_id = player["account"]["id"]
            w.player = player["headers"]
            yield w


ROUTES = [
    ("GET", "/audit", None),
    ("GET", "/audit/checkpoint", None),
    ("GET", "/audit/verifier-key", None),
    ("GET", "/audit/0", None),
    ("GET", "/audit/0/proof?tree_size=1", None),
    ("GET", "/audit/consistency?first=0&second=0", None),
    ("GET", "/audit/export?format=jsonl", None),
    ("POST", "/audit/0/revert", WHY),
    ("GET", "/accounts", None),
    ("GET", "/accounts/1", None),
    ("POST", "/accounts/1/disable", WHY),
    ("POST", "/accounts/1/enable", WHY),
    ("POST", "/accounts/1/roles", {"grant": ["governor"], **WHY}),
    ("POST", "/accounts/1/membership", {"tier": "free", **WHY}),
    ("POST", "/accounts/1/credits", {"delta": 5, **WHY}),
    ("GET", "/approvals", None),
    ("POST", "/approvals/x/approve", WHY),
    ("POST", "/approvals/x/reject", WHY),
]


async def test_every_admin_route_refuses_players_governors_and_anonymous(world: World) -> None:
    for method, path, body in ROUTES:
        for who in (world.player, world.gov):
            r = await world.c.request(method, A + path, json=body, headers=who)
            assert_problem(r, 403, "forbidden")
        r = await world.c.request(method, A + path, json=body)
        assert r.status_code == 401, (path, r.text)
    # the governor's refusals changed nothing
    r = await world.c.get(f"{A}/audit", headers=world.root)
    assert r.json()["items"] == []


async def test_an_admin_whose_role_was_revoked_is_refused_at_once(world: World) -> None:
    await world.services.accounts.set_roles(world.second_id, ("player",))
    r = await world.c.get(f"{A}/accounts", headers=world.second)  # the token still says admin
    assert_problem(r, 401, "token_revoked")  # a demotion bumps the account's token version


@pytest.mark.parametrize("justification", ["", "   "])
async def test_every_action_needs_a_justification(world: World, justification: str) -> None:
    pid = world.player_id
    bodies = [
        (f"/accounts/{pid}/disable", {}),
        (f"/accounts/{pid}/enable", {}),
        (f"/accounts/{pid}/roles", {"grant": ["governor"]}),
        (f"/accounts/{pid}/membership", {"tier": "galactic_citizen"}),
        (f"/accounts/{pid}/credits", {"delta": 10}),
        ("/audit/0/revert", {}),
    ]
    for path, body in bodies:
        r = await world.c.post(
            A + path, json={**body, "justification": justification}, headers=world.root
        )
        assert_problem(r, 422, "justification_required")
    assert (await world.c.get(f"{A}/audit", headers=world.root)).json()["items"] == []
    me = (await world.c.get("/api/v1/me", headers=world.player)).json()
    assert me["credits"] == 10_000


async def test_disable_stops_the_tokens_at_once_and_is_audited(world: World) -> None:
    pid = world.player_id
    headers = {**world.root, "X-Request-ID": "req-disable-1"}
    r = await world.c.post(f"{A}/accounts/{pid}/disable", json=WHY, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["before"] == {"disabled": False} and r.json()["after"] == {"disabled": True}
    assert_problem(await world.c.get("/api/v1/me", headers=world.player), 401, "account_disabled")
    r = await world.c.post("/api/v1/auth/login", json={"username": "pilot", "password": PASSWORD})
    assert_problem(r, 403, "account_disabled")
    entries = (await world.c.get(f"{A}/audit", headers=world.root)).json()["items"]
    refused, disabled = entries
    assert refused["action"] == "login.refused_disabled" and refused["target_id"] == str(pid)
    assert disabled["action"] == "account.disable"
    assert disabled["justification"] == "support ticket 77"
    assert disabled["user_agent"] == "admin-test/1"
    assert disabled["request_id"] == "req-disable-1"
    assert disabled["client_address"] == "127.0.0.1"
    assert disabled["actor_role"] == "admin" and disabled["actor_id"] == 1
    r = await world.c.post(f"{A}/accounts/{pid}/enable", json=WHY, headers=world.root)
    assert r.status_code == 200
    # tokens issued before the disable stay revoked; the player logs in again
    assert_problem(await world.c.get("/api/v1/me", headers=world.player), 401, "token_revoked")
    r = await world.c.post("/api/v1/auth/login", json={"username": "pilot", "password": PASSWORD})
    assert r.status_code == 200, r.text
    fresh = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert (await world.c.get("/api/v1/me", headers=fresh)).status_code == 200


async def test_credits_adjustment_goes_through_the_engine_and_reverts_once(world: World) -> None:
    pid = world.player_id
    r = await world.c.post(
        f"{A}/accounts/{pid}/credits", json={"delta": 2_500, **WHY}, headers=world.root
    )
    assert r.status_code == 200, r.text
    index = r.json()["index"]
    assert r.json()["before"]["credits"] == 10_000 and r.json()["after"]["credits"] == 12_500
    me = (await world.c.get("/api/v1/me", headers=world.player)).json()
    assert me["credits"] == 12_500
    # the event store holds the same change
    events = [
        e.event
        async for e in _events(world)
        if isinstance(e.event, CreditsAdjusted) and e.event.player_id == pid
    ]
    assert [(e.delta, e.credits_after, e.actor_id) for e in events] == [(2_500, 12_500, 1)]
    r = await world.c.post(
        f"{A}/accounts/{pid}/credits", json={"delta": -20_000, **WHY}, headers=world.root
    )
    assert_problem(r, 409, "insufficient_credits")
    r = await world.c.post(f"{A}/audit/{index}/revert", json=WHY, headers=world.root)
    assert r.status_code == 200, r.text
    revert = (await world.c.get(f"{A}/audit/{r.json()['index']}", headers=world.root)).json()
    assert revert["reverts"] == index and revert["after"]["credits"] == 10_000
    original = (await world.c.get(f"{A}/audit/{index}", headers=world.root)).json()
    assert original["reverted_by"] == revert["index"]
    assert (await world.c.get("/api/v1/me", headers=world.player)).json()["credits"] == 10_000
    r = await world.c.post(f"{A}/audit/{index}/revert", json=WHY, headers=world.root)
    assert_problem(r, 409, "already_reverted")
    assert (await world.c.get("/api/v1/me", headers=world.player)).json()["credits"] == 10_000


async def _events(world: World) -> AsyncIterator[Any]:
    store = world.services.event_store
    after = 0
    while True:
        batch = await store.read_all(after)
        if not batch:
            return
        for recorded in batch:
            yield recorded
        after = batch[-1].position


async def test_roles_membership_revert_and_refusals(world: World) -> None:
    pid = world.player_id
    r = await world.c.post(
        f"{A}/accounts/{pid}/roles", json={"grant": ["governor"], **WHY}, headers=world.root
    )
    assert r.status_code == 200 and r.json()["after"]["roles"] == ["player", "governor"]
    roles_entry = r.json()["index"]
    r = await world.c.post(
        f"{A}/accounts/{pid}/roles", json={"grant": ["emperor"], **WHY}, headers=world.root
    )
    assert_problem(r, 422, "unknown_role")
    r = await world.c.post(
        f"{A}/accounts/{pid}/membership",
        json={"tier": "galactic_citizen", "expires_at": "2030-01-01T00:00:00Z", **WHY},
        headers=world.root,
    )
    assert r.status_code == 200, r.text
    assert r.json()["after"] == {
        "tier": "galactic_citizen",
        "effective": "galactic_citizen",
        "expires_at": "2030-01-01T00:00:00Z",
        "grace_until": None,
        "source": "manual",
    }
    detail = (await world.c.get(f"{A}/accounts/{pid}", headers=world.root)).json()
    assert detail["account"]["membership"] == "galactic_citizen"
    assert detail["account"]["membership_stored"] == "citizen"
    assert detail["account"]["membership_expires_at"] is not None
    assert detail["player"]["credits"] == 10_000
    r = await world.c.post(f"{A}/audit/{r.json()['index']}/revert", json=WHY, headers=world.root)
    assert r.status_code == 200, r.text
    detail = (await world.c.get(f"{A}/accounts/{pid}", headers=world.root)).json()
    assert detail["account"]["membership"] == "free"
    assert detail["account"]["membership_expires_at"] is None
    r = await world.c.post(f"{A}/audit/{roles_entry}/revert", json=WHY, headers=world.root)
    assert r.status_code == 200
    account = await world.services.accounts.get(pid)
    assert account.roles == ("player",)
    assert_problem(
        await world.c.post(f"{A}/audit/{roles_entry}/revert", json=WHY, headers=world.root),
        409,
        "already_reverted",
    )
    assert_problem(
        await world.c.post(f"{A}/accounts/999999/disable", json=WHY, headers=world.root),
        404,
        "account_not_found",
    )
    assert_problem(
        await world.c.post(f"{A}/audit/99999/revert", json=WHY, headers=world.root),
        404,
        "audit_entry_not_found",
    )


async def test_granting_admin_needs_a_second_admin(world: World) -> None:
    pid = world.player_id
    r = await world.c.post(
        f"{A}/accounts/{pid}/roles", json={"grant": ["admin"], **WHY}, headers=world.root
    )
    assert r.status_code == 202, r.text
    approval_id = r.json()["approval_id"]
    assert r.json()["status"] == "pending"
    assert (await world.services.accounts.get(pid)).roles == ("player",)
    listed = (await world.c.get(f"{A}/approvals", headers=world.second)).json()["items"]
    assert [a["approval_id"] for a in listed] == [approval_id]
    r = await world.c.post(f"{A}/approvals/{approval_id}/approve", json=WHY, headers=world.root)
    assert_problem(r, 403, "self_approval")
    r = await world.c.post(f"{A}/approvals/{approval_id}/approve", json=WHY, headers=world.second)
    assert r.status_code == 200, r.text
    assert (await world.services.accounts.get(pid)).roles == ("player", "admin")
    assert r.json()["after"]["approved_by"] == world.second_id
    r = await world.c.post(f"{A}/approvals/{approval_id}/approve", json=WHY, headers=world.second)
    assert_problem(r, 409, "approval_decided")
    actions = [
        e["action"] for e in (await world.c.get(f"{A}/audit", headers=world.root)).json()["items"]
    ]
    assert actions == ["roles.change", "approval.approve", "approval.request"]


async def test_a_large_credit_adjustment_waits_and_can_be_rejected(world: World) -> None:
    pid = world.player_id
    r = await world.c.post(
        f"{A}/accounts/{pid}/credits", json={"delta": 100_001, **WHY}, headers=world.root
    )
    assert r.status_code == 202
    approval_id = r.json()["approval_id"]
    r = await world.c.post(
        f"{A}/approvals/{approval_id}/reject", json={"justification": ""}, headers=world.second
    )
    assert_problem(r, 422, "justification_required")
    r = await world.c.post(f"{A}/approvals/{approval_id}/reject", json=WHY, headers=world.second)
    assert r.status_code == 200
    assert (await world.c.get("/api/v1/me", headers=world.player)).json()["credits"] == 10_000
    r = await world.c.post(f"{A}/approvals/{approval_id}/approve", json=WHY, headers=world.second)
    assert_problem(r, 409, "approval_decided")
    r = await world.c.post(
        f"{A}/accounts/{pid}/credits", json={"delta": 100_000, **WHY}, headers=world.root
    )
    assert r.status_code == 200  # at the threshold: no second admin needed
    assert (await world.c.get("/api/v1/me", headers=world.player)).json()["credits"] == 110_000
    assert_problem(
        await world.c.post(f"{A}/approvals/nope/approve", json=WHY, headers=world.second),
        404,
        "approval_not_found",
    )


async def test_search_pages_entries_proofs_checkpoint_and_export(
    world: World, clock: FakeClock
) -> None:
    pid = world.player_id
    for i in range(5):
        body = {"delta": i + 1, "justification": f"refund number {i}"}
        r = await world.c.post(f"{A}/accounts/{pid}/credits", json=body, headers=world.root)
        assert r.status_code == 200
    clock.advance(10)
    await world.c.post(f"{A}/accounts/{pid}/disable", json=WHY, headers=world.second)
    page = (await world.c.get(f"{A}/audit?limit=2", headers=world.root)).json()
    assert [e["index"] for e in page["items"]] == [5, 4]
    page2 = (
        await world.c.get(f"{A}/audit?limit=10&cursor={page['next_cursor']}", headers=world.root)
    ).json()
    assert [e["index"] for e in page2["items"]] == [3, 2, 1, 0] and page2["next_cursor"] is None
    by_actor = await world.c.get(f"{A}/audit?actor_id={world.second_id}", headers=world.root)
    assert [e["action"] for e in by_actor.json()["items"]] == ["account.disable"]
    q = (await world.c.get(f"{A}/audit?q=NUMBER%203", headers=world.root)).json()["items"]
    assert [e["index"] for e in q] == [3]
    by_target = await world.c.get(
        f"{A}/audit?action=credits.adjust&target_kind=account&target_id={pid}", headers=world.root
    )
    assert len(by_target.json()["items"]) == 5
    since = page["items"][0]["time"]
    assert [
        e["index"]
        for e in (
            await world.c.get(f"{A}/audit", params={"since": since}, headers=world.root)
        ).json()["items"]
    ] == [5]

    entry = (await world.c.get(f"{A}/audit/2", headers=world.root)).json()
    leaf = base64.b64decode(entry["leaf"])
    assert decode_leaf(leaf).justification == "refund number 2"
    assert base64.b64decode(entry["leaf_hash"]) == leaf_hash(leaf)
    assert_problem(
        await world.c.get(f"{A}/audit/77", headers=world.root), 404, "audit_entry_not_found"
    )

    # a checkpoint over the six entries, signed with the key the API publishes
    await world.services.checkpointer.checkpoint()
    r = await world.c.get(f"{A}/audit/checkpoint", headers=world.root)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    vkey = (await world.c.get(f"{A}/audit/verifier-key", headers=world.root)).text.strip()
    assert vkey.startswith("starlane.local/audit+")
    checkpoint = open_checkpoint(r.text, NoteVerifier.from_key_string(vkey))
    assert checkpoint.size == 6
    proof = (await world.c.get(f"{A}/audit/2/proof?tree_size=6", headers=world.root)).json()
    hashes = [base64.b64decode(h) for h in proof["hashes"]]
    assert verify_inclusion(2, 6, leaf_hash(leaf), hashes, checkpoint.root_hash)
    assert_problem(
        await world.c.get(f"{A}/audit/2/proof?tree_size=7", headers=world.root),
        422,
        "invalid_tree_size",
    )
    await world.services.checkpointer.checkpoint(force=True)
    cons = await world.c.get(f"{A}/audit/consistency?first=3&second=6", headers=world.root)
    leaves = []
    export = await world.c.get(f"{A}/audit/export?format=jsonl", headers=world.root)
    for line in export.text.splitlines():
        row = json.loads(line)
        leaves.append(base64.b64decode(row["leaf"]))
        assert row["index"] == len(leaves) - 1
    from starlane.audit.merkle import merkle_tree_hash

    assert verify_consistency(
        3,
        6,
        merkle_tree_hash(leaves[:3]),
        checkpoint.root_hash,
        [base64.b64decode(h) for h in cons.json()["hashes"]],
    )
    text = (await world.c.get(f"{A}/audit/export?format=csv", headers=world.root)).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(r["index"]) for r in rows] == list(range(6))
    assert json.loads(rows[5]["after"]) == {"disabled": True}


async def test_accounts_are_searched_by_name_role_and_membership(world: World) -> None:
    r = await world.c.get(f"{A}/accounts?role=admin", headers=world.root)
    assert [a["username"] for a in r.json()["items"]] == ["root", "second"]
    r = await world.c.get(f"{A}/accounts?name=PIL", headers=world.root)
    assert [a["username"] for a in r.json()["items"]] == ["pilot"]
    r = await world.c.get(f"{A}/accounts?membership=citizen", headers=world.root)
    assert [a["username"] for a in r.json()["items"]] == ["root"]
    first = (await world.c.get(f"{A}/accounts?limit=2", headers=world.root)).json()
    rest = (
        await world.c.get(f"{A}/accounts?cursor={first['next_cursor']}", headers=world.root)
    ).json()
    names = [a["username"] for a in first["items"] + rest["items"]]
    assert names == ["root", "second", "gov", "pilot"]
    assert_problem(
        await world.c.get(f"{A}/accounts/424242", headers=world.root), 404, "account_not_found"
    )
