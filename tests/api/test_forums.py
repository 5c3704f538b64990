"""Forums end to end: boards, threads, posts, the edit window, moderation and its audit,
rate limits, search, persistence across a restart, and pushes on the WebSocket."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from starlane.config import RateLimits
from starlane.store.schema import audit_entries
from tests.api.conftest import assert_problem
from tests.api.regions import REGION_A, REGION_B, cast, client_of

pytest_plugins = ("tests.api.region_fixtures",)

BOARD_A = f"region-{REGION_A}"


async def _thread(
    c: httpx.AsyncClient, headers: dict[str, str], board: str = "galaxy", title: str = "Hello"
) -> dict[str, Any]:
    r = await c.post(
        f"/api/v1/forums/{board}/threads",
        json={"title": title, "body": f"first post of *{title}*"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def _reply(
    c: httpx.AsyncClient, headers: dict[str, str], thread_id: int, text: str
) -> httpx.Response:
    return await c.post(
        f"/api/v1/forums/threads/{thread_id}/posts", json={"body": text}, headers=headers
    )


async def test_threads_posts_pages_and_pinned_first(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = regions_factory()
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)
        alice, admin = people["player"]["headers"], people["admin"]["headers"]
        r = await c.get("/api/v1/forums/boards", headers=alice)
        names = [b["name"] for b in r.json()["items"]]
        assert names[0] == "galaxy" and BOARD_A in names and f"region-{REGION_B}" in names
        ids = [(await _thread(c, alice, title=f"t{i}"))["thread"]["id"] for i in range(5)]
        opened = await c.get(f"/api/v1/forums/threads/{ids[0]}", headers=alice)
        first = opened.json()
        assert first["thread"]["title"] == "t0" and first["thread"]["author"] == "player"
        assert first["posts"][0]["body_html"] == "<p>first post of <em>t0</em></p>\n"
        # a reply bumps its thread to the top; a pinned thread stays above everything
        assert (await _reply(c, alice, ids[1], "bump")).status_code == 201
        r = await c.patch(
            f"/api/v1/forums/threads/{ids[3]}/moderation", json={"pinned": True}, headers=admin
        )
        assert r.status_code == 200 and r.json()["pinned"] is True
        seen: list[int] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = (
                await c.get("/api/v1/forums/galaxy/threads", params=params, headers=alice)
            ).json()
            seen += [t["id"] for t in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [ids[3], ids[1], ids[4], ids[2], ids[0]]
        # posts page oldest first
        for i in range(4):
            assert (await _reply(c, alice, ids[0], f"reply {i}")).status_code == 201
        bodies: list[str] = []
        cursor = None
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = (
                await c.get(f"/api/v1/forums/threads/{ids[0]}", params=params, headers=alice)
            ).json()
            bodies += [p["body"] for p in page["posts"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert bodies == ["first post of *t0*", "reply 0", "reply 1", "reply 2", "reply 3"]
        # refusals: unknown boards and threads, unauthenticated, invalid bodies
        assert_problem(
            await c.get("/api/v1/forums/region-999/threads", headers=alice), 404, "unknown_board"
        )
        assert_problem(
            await c.get("/api/v1/forums/lobby/threads", headers=alice), 404, "unknown_board"
        )
        assert_problem(
            await c.get("/api/v1/forums/threads/9999", headers=alice), 404, "thread_not_found"
        )
        assert_problem(await _reply(c, alice, 9999, "x"), 404, "thread_not_found")
        assert_problem(await c.get("/api/v1/forums/galaxy/threads"), 401, "not_authenticated")
        r = await c.post(
            "/api/v1/forums/galaxy/threads", json={"title": " ", "body": "x"}, headers=alice
        )
        assert_problem(r, 422, "validation_error")


async def test_edit_window_and_delete_own_post(regions_factory: Callable[..., FastAPI]) -> None:
    app = regions_factory(forums={"edit_seconds": 900}, access_token_seconds=3600)
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)
        alice, bob = people["player"]["headers"], people["cit_a"]["headers"]
        thread = await _thread(c, alice)
        post_id = thread["posts"][0]["id"]
        r = await c.patch(
            f"/api/v1/forums/posts/{post_id}", json={"body": "**fixed**"}, headers=alice
        )
        assert r.status_code == 200, r.text
        assert r.json()["body_html"] == "<p><strong>fixed</strong></p>\n"
        assert r.json()["edited_at"] is not None
        r = await c.patch(f"/api/v1/forums/posts/{post_id}", json={"body": "mine"}, headers=bob)
        assert_problem(r, 403, "forbidden")
        assert_problem(
            await c.delete(f"/api/v1/forums/posts/{post_id}", headers=bob), 403, "forbidden"
        )
        clock = app.state.services.clock
        clock.advance(901)  # type: ignore[attr-defined]
        r = await c.patch(f"/api/v1/forums/posts/{post_id}", json={"body": "late"}, headers=alice)
        body = assert_problem(r, 409, "edit_window_closed")
        assert body["context"]["edit_seconds"] == 900
        r = await c.delete(f"/api/v1/forums/posts/{post_id}", headers=alice)
        assert r.status_code == 200 and r.json()["deleted"] is True and r.json()["body"] is None
        assert_problem(
            await c.delete(f"/api/v1/forums/posts/{post_id}", headers=alice), 409, "post_gone"
        )
        page = (await c.get(f"/api/v1/forums/threads/{thread['thread']['id']}", headers=bob)).json()
        assert page["posts"][0]["deleted"] is True and page["posts"][0]["body_html"] is None
        assert_problem(
            await c.patch("/api/v1/forums/posts/9999", json={"body": "x"}, headers=alice),
            404,
            "post_not_found",
        )


async def _audit_rows(app: FastAPI) -> list[Any]:
    async with app.state.services.db.connect() as conn:
        rows = await conn.execute(
            select(audit_entries).where(audit_entries.c.action.like("forum.%"))
        )
        return list(rows.all())


async def test_moderation_roles_lock_pin_hide_and_audit(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = regions_factory()
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)
        author = people["player"]["headers"]
        on_a = await _thread(c, author, board=BOARD_A)
        on_galaxy = await _thread(c, author)
        tid_a, tid_g = on_a["thread"]["id"], on_galaxy["thread"]["id"]
        # who moderates which board: A's governor and moderator and the admins on A's
        # board; only the admins on the galaxy board
        allowed = {
            tid_a: {"gov_a", "mod_a", "admin"},
            tid_g: {"admin"},
        }
        for tid, who in allowed.items():
            pinned = False
            for caller in ("gov_a", "gov_b", "mod_a", "cit_a", "player", "admin"):
                r = await c.patch(
                    f"/api/v1/forums/threads/{tid}/moderation",
                    json={"pinned": not pinned},  # each allowed call changes the flag
                    headers=people[caller]["headers"],
                )
                if caller in who:
                    assert r.status_code == 200, (caller, tid, r.text)
                    pinned = not pinned
                    assert r.json()["pinned"] is pinned
                else:
                    assert_problem(r, 403, "forbidden")
        # lock: replies and edits refused with thread_locked
        mod = people["mod_a"]["headers"]
        r = await c.patch(
            f"/api/v1/forums/threads/{tid_a}/moderation",
            json={"locked": True, "reason": "flame war"},
            headers=mod,
        )
        assert r.json()["locked"] is True
        assert_problem(await _reply(c, author, tid_a, "more"), 409, "thread_locked")
        first_post = on_a["posts"][0]["id"]
        r = await c.patch(f"/api/v1/forums/posts/{first_post}", json={"body": "x"}, headers=author)
        assert_problem(r, 409, "thread_locked")
        # hiding needs a reason; a hidden thread is gone for players, visible to moderators
        r = await c.patch(
            f"/api/v1/forums/threads/{tid_a}/moderation", json={"hidden": True}, headers=mod
        )
        assert_problem(r, 422, "reason_required")
        r = await c.patch(
            f"/api/v1/forums/threads/{tid_a}/moderation",
            json={"hidden": True, "reason": "spam"},
            headers=mod,
        )
        assert r.json()["hidden"] is True and r.json()["hidden_reason"] == "spam"
        assert_problem(
            await c.get(f"/api/v1/forums/threads/{tid_a}", headers=author), 404, "thread_not_found"
        )
        assert (await c.get(f"/api/v1/forums/threads/{tid_a}", headers=mod)).status_code == 200
        listed = await c.get(f"/api/v1/forums/{BOARD_A}/threads", headers=author)
        assert listed.json()["items"] == []
        listed = await c.get(f"/api/v1/forums/{BOARD_A}/threads", headers=mod)
        assert [t["id"] for t in listed.json()["items"]] == [tid_a]
        # hide a post on the galaxy board (admins only)
        post_g = on_galaxy["posts"][0]["id"]
        r = await c.patch(
            f"/api/v1/forums/posts/{post_g}/moderation",
            json={"hidden": True, "reason": "doxxing"},
            headers=people["gov_a"]["headers"],
        )
        assert_problem(r, 403, "forbidden")
        r = await c.patch(
            f"/api/v1/forums/posts/{post_g}/moderation",
            json={"hidden": True, "reason": "doxxing"},
            headers=people["admin"]["headers"],
        )
        assert r.json()["hidden"] is True and r.json()["body"] is None
        assert r.json()["hidden_reason"] == "doxxing"
        assert_problem(
            await c.patch(
                "/api/v1/forums/posts/9999/moderation",
                json={"hidden": True, "reason": "x"},
                headers=people["admin"]["headers"],
            ),
            404,
            "post_not_found",
        )
        # every change is one audit entry, with the role acted in and the reason
        rows = await _audit_rows(app)
        actions = [(r.action, r.actor_role, r.justification) for r in rows]
        assert ("forum.thread.moderate", "moderator", "flame war") in actions
        assert ("forum.thread.moderate", "moderator", "spam") in actions
        assert ("forum.post.moderate", "admin", "doxxing") in actions
        assert sum(1 for a in actions if a[1] == "governor") == 1  # gov_a pinned A's thread
        # pins: gov_a, mod_a and admin on A, admin on the galaxy; lock, hide, hide a post
        assert len(rows) == 3 + 1 + 1 + 1 + 1


async def test_posting_rate_limit(regions_factory: Callable[..., FastAPI]) -> None:
    app = regions_factory(rate=RateLimits(forum_posts_per_minute=3, login_per_minute=100))
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)
        alice, bob = people["player"]["headers"], people["cit_a"]["headers"]
        tid = (await _thread(c, alice))["thread"]["id"]
        assert (await _reply(c, alice, tid, "two")).status_code == 201
        assert (await _reply(c, alice, tid, "three")).status_code == 201
        r = await _reply(c, alice, tid, "four")
        body = assert_problem(r, 429, "rate_limited")
        assert int(r.headers["Retry-After"]) >= 1 and body["context"]["limit"] == "forum_post"
        assert (await _reply(c, bob, tid, "bob is not limited by alice")).status_code == 201


async def test_search_and_restart(regions_factory: Callable[..., FastAPI]) -> None:
    app = regions_factory()
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)
        alice, mod = people["player"]["headers"], people["mod_a"]["headers"]
        t1 = await _thread(c, alice, board=BOARD_A, title="Ore prices in Terran space")
        t2 = await _thread(c, alice, title="Looking for a guild")
        await _reply(c, alice, t2["thread"]["id"], "We are trading equipment near the Nexus")
        secret = await _reply(c, alice, t1["thread"]["id"], "trading secrets: buy ore cheap")
        r = await c.get("/api/v1/forums/search", params={"q": "trade"}, headers=alice)
        hits = r.json()["items"]
        assert len(hits) == 2 and hits[0]["id"] > hits[1]["id"]  # stemmed, newest first
        r = await c.get(
            "/api/v1/forums/search", params={"q": "trade", "board": BOARD_A}, headers=alice
        )
        assert [h["id"] for h in r.json()["items"]] == [secret.json()["id"]]
        r = await c.get("/api/v1/forums/search", params={"q": "ore prices"}, headers=alice)
        assert [h["thread_title"] for h in r.json()["items"]] == ["Ore prices in Terran space"]
        r = await c.get("/api/v1/forums/search", params={"q": 'ore" OR "x NEAR(*'}, headers=alice)
        assert r.status_code == 200  # query syntax is never interpreted
        page = await c.get(
            "/api/v1/forums/search", params={"q": "trading", "limit": 1}, headers=alice
        )
        rest = await c.get(
            "/api/v1/forums/search",
            params={"q": "trading", "limit": 1, "cursor": page.json()["next_cursor"]},
            headers=alice,
        )
        assert rest.json()["items"][0]["id"] < page.json()["items"][0]["id"]
        await c.patch(
            f"/api/v1/forums/posts/{secret.json()['id']}/moderation",
            json={"hidden": True, "reason": "exploit"},
            headers=mod,
        )
        r = await c.get("/api/v1/forums/search", params={"q": "secrets"}, headers=alice)
        assert r.json()["items"] == []
        assert_problem(
            await c.get("/api/v1/forums/search", params={"q": "x", "board": "nope"}, headers=alice),
            404,
            "unknown_board",
        )
    again = regions_factory()
    async with again.router.lifespan_context(again), client_of(again) as c:
        login = await c.post(
            "/api/v1/auth/login", json={"username": "player", "password": "correct horse battery"}
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        r = await c.get("/api/v1/forums/search", params={"q": "equipment"}, headers=headers)
        assert len(r.json()["items"]) == 1
        r = await c.get(f"/api/v1/forums/threads/{t1['thread']['id']}", headers=headers)
        posts = r.json()["posts"]
        assert [p["hidden"] for p in posts] == [False, True] and posts[1]["body"] is None
        assert posts[1]["hidden_reason"] == "exploit"
        mod_login = await c.post(
            "/api/v1/auth/login", json={"username": "mod_a", "password": "correct horse battery"}
        )
        mod = {"Authorization": f"Bearer {mod_login.json()['access_token']}"}
        r = await c.get(f"/api/v1/forums/threads/{t1['thread']['id']}", headers=mod)
        assert (
            r.json()["posts"][1]["body"] == "trading secrets: buy ore cheap"
        )  # moderators read it
