"""The forums' storage on SQLite and PostgreSQL: full-text search (FTS5 / tsvector), the
write path through the unit of work (outbox messages, audit entries), paging."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from starlane.audit.actions import Actor
from starlane.domain.forums import ForumForbiddenError, ThreadLockedError
from starlane.domain.governance import RegionRole
from starlane.forums.service import Forums
from starlane.store import forums as store
from starlane.store.schema import accounts, audit_entries, forum_posts
from starlane.store.uow import UnitOfWorkFactory
from tests.store.conftest import FakeClock

ADMIN = frozenset({RegionRole.ADMIN, RegionRole.PLAYER})
PLAYER = frozenset({RegionRole.PLAYER})


async def _account(engine: AsyncEngine, name: str) -> int:
    async with engine.begin() as conn:
        result = await conn.execute(
            accounts.insert()
            .values(
                username=name, username_key=name, password_hash="x", created_at=0.0, roles="player"
            )
            .returning(accounts.c.id)
        )
        return int(result.scalar_one())


@pytest.fixture
def committed() -> list[Any]:
    return []


@pytest.fixture
def forums(engine: AsyncEngine, clock: FakeClock, committed: list[Any]) -> Forums:
    return Forums(UnitOfWorkFactory(engine, clock=clock, on_commit=committed.extend), clock, 900)


async def _search(engine: AsyncEngine, q: str, **kw: Any) -> list[int]:
    args: dict[str, Any] = {"board": None, "before": None, "limit": 50} | kw
    async with engine.connect() as conn:
        return [p.id for p in await store.search_posts(conn, q, **args)]


async def test_full_text_search(engine: AsyncEngine, forums: Forums, clock: FakeClock) -> None:
    alice = await _account(engine, "alice")
    thread, first = await forums.open_thread(
        "galaxy", alice, "Ore routes", "Where do you buy ore near Sol?"
    )
    equipment = await forums.reply(
        thread.id, alice, "Trading equipment pays best.", moderator=False
    )
    _, other = await forums.open_thread("region-3", alice, "Guild recruiting", "We trade organics.")
    # every word must match, stemmed; the title is searched with the thread's first post
    assert await _search(engine, "ore") == [first.id]
    assert await _search(engine, "routes") == [first.id]
    assert await _search(engine, "trade") == [other.id, equipment.id]
    assert await _search(engine, "trading equipment") == [equipment.id]
    assert await _search(engine, "trading organics") == [other.id]
    assert await _search(engine, "trade", board="galaxy") == [equipment.id]
    assert await _search(engine, "trade", before=other.id) == [equipment.id]
    assert await _search(engine, "nothing-like-this") == []
    assert await _search(engine, '"ore" OR fuel* NEAR(') == []  # words only, never syntax
    assert await _search(engine, "\"'();--") == []
    # an edit re-indexes; a deletion and a hidden post leave the index
    await forums.edit(equipment.id, alice, "Selling fuel cheaply.")
    assert await _search(engine, "equipment") == []
    assert await _search(engine, "fuel") == [equipment.id]
    await forums.delete(equipment.id, alice)
    assert await _search(engine, "fuel") == []
    actor = Actor(None, "admin")
    await forums.moderate_post(first.id, actor, ADMIN, True, "spoiler")
    assert await _search(engine, "ore") == []
    await forums.moderate_post(first.id, actor, ADMIN, False, "")
    assert await _search(engine, "ore") == [first.id]
    await forums.moderate_thread(thread.id, actor, ADMIN, {"hidden": True}, "off topic")
    assert await _search(engine, "ore") == []


async def test_writes_commit_with_outbox_and_audit(
    engine: AsyncEngine, forums: Forums, committed: list[Any]
) -> None:
    alice = await _account(engine, "alice")
    bob = await _account(engine, "bob")
    thread, _ = await forums.open_thread("region-3", alice, "Hi", "hello")
    assert [(e.kind, e.subject) for e in committed] == [
        ("forum.thread.created", "forum.region-3"),
        ("forum.post.created", "forum.region-3"),
    ]
    with pytest.raises(ForumForbiddenError):
        await forums.moderate_thread(thread.id, Actor(bob, "player"), PLAYER, {"locked": True}, "")
    moderator = frozenset({RegionRole.MODERATOR, RegionRole.PLAYER})
    locked = await forums.moderate_thread(
        thread.id, Actor(bob, "moderator"), moderator, {"locked": True, "pinned": True}, "calm"
    )
    assert locked.locked and locked.pinned
    with pytest.raises(ThreadLockedError):
        await forums.reply(thread.id, alice, "more", moderator=False)
    # nothing changed: no entry, no message
    before = len(committed)
    await forums.moderate_thread(
        thread.id, Actor(bob, "moderator"), moderator, {"locked": True}, ""
    )
    assert len(committed) == before
    async with engine.connect() as conn:
        rows = (await conn.execute(select(audit_entries))).all()
        posts = await conn.scalar(select(func.count()).select_from(forum_posts))
    assert [(r.action, r.actor_role, r.justification, r.target_id) for r in rows] == [
        ("forum.thread.moderate", "moderator", "calm", str(thread.id))
    ]
    assert posts == 1  # the refused reply left nothing
    assert committed[-1].kind == "forum.thread.moderated"
    assert committed[-1].payload["locked"] is True
    # a hidden thread's posts go to the admin feed only, not to the board's channel
    await forums.moderate_thread(
        thread.id, Actor(bob, "moderator"), moderator, {"hidden": True, "locked": False}, "spam"
    )
    assert committed[-1].subject == "forum.region-3"  # the thread vanishes from the board
    await forums.reply(thread.id, bob, "moderator's note", moderator=True)
    assert (committed[-1].kind, committed[-1].subject) == (
        "forum.post.created",
        "forum-hidden.region-3",
    )


async def test_board_pages_pinned_first(engine: AsyncEngine, forums: Forums) -> None:
    alice = await _account(engine, "alice")
    ids = [(await forums.open_thread("galaxy", alice, f"t{i}", "x"))[0].id for i in range(5)]
    await forums.moderate_thread(ids[1], Actor(None, "admin"), ADMIN, {"pinned": True}, "")
    seen: list[int] = []
    after: tuple[bool, int] | None = None
    async with engine.connect() as conn:
        while True:
            page = await store.list_threads(
                conn, "galaxy", after=after, limit=2, include_hidden=False
            )
            seen += [t.id for t in page]
            if len(page) < 2:
                break
            after = (page[-1].pinned, page[-1].last_post_id)
    assert seen == [ids[1], ids[4], ids[3], ids[2], ids[0]]


async def test_concurrent_replies_are_all_counted(engine: AsyncEngine, forums: Forums) -> None:
    names = [f"p{i}" for i in range(8)]
    authors = [await _account(engine, name) for name in names]
    thread, _ = await forums.open_thread("galaxy", authors[0], "Busy", "start")
    posts = await asyncio.gather(
        *(
            forums.reply(thread.id, authors[i % len(authors)], f"reply {i}", moderator=False)
            for i in range(24)
        )
    )
    assert len({p.id for p in posts}) == 24
    async with engine.connect() as conn:
        after = await store.get_thread(conn, thread.id)
        listed = await store.list_posts(conn, thread.id, after=0, limit=100)
    assert after is not None and after.post_count == 25 == len(listed)
    assert after.last_post_id == max(p.id for p in listed)
    assert sorted(await _search(engine, "reply")) == sorted(p.id for p in posts)
