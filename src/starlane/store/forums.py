"""The forums' tables: threads, posts and their full-text search, on SQLite and PostgreSQL.

Writes take the connection of the caller's transaction (a unit of work's, so the change, its
outbox messages and any audit entry commit together); reads take one too, or the engine.

Search is kept by this module in the same transaction as the post it indexes, through
:mod:`starlane.store.forum_search` (FTS5 on SQLite, ``tsvector`` on PostgreSQL). Deleted and
hidden posts leave the index; posts of hidden threads stay in it but are not returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from starlane.store.forum_search import index_post, matching, search_words, unindex_post
from starlane.store.schema import accounts, forum_posts, forum_threads

__all__ = [
    "PostRow",
    "ThreadRow",
    "get_post",
    "get_thread",
    "insert_post",
    "insert_thread",
    "list_posts",
    "list_threads",
    "reindex_post",
    "search_posts",
    "search_words",
    "set_post_deleted",
    "set_post_hidden",
    "set_thread_flags",
    "update_post_body",
]


@dataclass(frozen=True)
class ThreadRow:
    """A thread as stored.

    Attributes:
        id: the thread id.
        board: ``galaxy`` or ``region-{id}``.
        author_id: who opened it.
        title: its title.
        created_at: unix seconds.
        last_post_id: its newest post's id.
        last_post_at: its newest post's time (unix seconds).
        post_count: posts written in it (deleted and hidden ones included).
        pinned: listed first on its board.
        locked: no new posts or edits.
        hidden: hidden by a moderator (listed to the board's moderators only).
        hidden_reason: the moderator's reason.
        author_name: the author's username.
    """

    id: int
    board: str
    author_id: int
    title: str
    created_at: float
    last_post_id: int
    last_post_at: float
    post_count: int
    pinned: bool
    locked: bool
    hidden: bool
    hidden_reason: str | None
    author_name: str = ""


@dataclass(frozen=True)
class PostRow:
    """A post as stored, with its thread's board, title and lock.

    Attributes:
        id: the post id.
        thread_id: its thread.
        board: its thread's board.
        title: its thread's title.
        author_id: who wrote it.
        body: the Markdown source ("" once deleted).
        body_html: the sanitised HTML ("" once deleted).
        created_at: unix seconds.
        edited_at: the last edit (unix seconds), None if never.
        deleted: deleted by its author.
        hidden: hidden by a moderator.
        hidden_reason: the moderator's reason.
        thread_locked: whether its thread is locked.
        thread_hidden: whether its thread is hidden.
        author_name: the author's username.
    """

    id: int
    thread_id: int
    board: str
    title: str
    author_id: int
    body: str
    body_html: str
    created_at: float
    edited_at: float | None
    deleted: bool
    hidden: bool
    hidden_reason: str | None
    thread_locked: bool
    thread_hidden: bool
    author_name: str = ""


def _thread(row: Row[Any]) -> ThreadRow:
    return ThreadRow(
        int(row.id),
        row.board,
        int(row.author_id),
        row.title,
        float(row.created_at),
        int(row.last_post_id),
        float(row.last_post_at),
        int(row.post_count),
        bool(row.pinned),
        bool(row.locked),
        bool(row.hidden),
        row.hidden_reason,
        row.author_name,
    )


_THREADS = forum_threads.join(accounts, accounts.c.id == forum_threads.c.author_id)
_THREAD_COLUMNS = (*forum_threads.c, accounts.c.username.label("author_name"))

_POST_COLUMNS = (
    forum_posts.c.id,
    forum_posts.c.thread_id,
    forum_threads.c.board,
    forum_threads.c.title,
    forum_posts.c.author_id,
    forum_posts.c.body,
    forum_posts.c.body_html,
    forum_posts.c.created_at,
    forum_posts.c.edited_at,
    forum_posts.c.deleted,
    forum_posts.c.hidden,
    forum_posts.c.hidden_reason,
    forum_threads.c.locked.label("thread_locked"),
    forum_threads.c.hidden.label("thread_hidden"),
    accounts.c.username.label("author_name"),
)
_POSTS = forum_posts.join(forum_threads, forum_threads.c.id == forum_posts.c.thread_id).join(
    accounts, accounts.c.id == forum_posts.c.author_id
)


def _post(row: Any) -> PostRow:
    return PostRow(
        int(row.id),
        int(row.thread_id),
        row.board,
        row.title,
        int(row.author_id),
        row.body,
        row.body_html,
        float(row.created_at),
        None if row.edited_at is None else float(row.edited_at),
        bool(row.deleted),
        bool(row.hidden),
        row.hidden_reason,
        bool(row.thread_locked),
        bool(row.thread_hidden),
        row.author_name,
    )


# --- writes ----------------------------------------------------------------------------------
async def insert_thread(
    conn: AsyncConnection, board: str, author_id: int, title: str, now: float
) -> int:
    """Open a thread (its first post is :func:`insert_post`, in the same transaction).

    Args:
        conn: an open write transaction.
        board: the board's name.
        author_id: who opens it.
        title: its title.
        now: unix seconds.

    Returns:
        The new thread's id.
    """
    result = await conn.execute(
        forum_threads.insert()
        .values(board=board, author_id=author_id, title=title, created_at=now, last_post_at=now)
        .returning(forum_threads.c.id)
    )
    return int(result.scalar_one())


async def insert_post(
    conn: AsyncConnection,
    thread: ThreadRow,
    author_id: int,
    body: str,
    body_html: str,
    now: float,
    *,
    first: bool = False,
) -> int:
    """Write a post, bump its thread and index it for search.

    Args:
        conn: an open write transaction.
        thread: its thread.
        author_id: who writes it.
        body: the Markdown source.
        body_html: the sanitised HTML.
        now: unix seconds.
        first: whether it opens the thread (its title is indexed with it).

    Returns:
        The new post's id.
    """
    result = await conn.execute(
        forum_posts.insert()
        .values(
            thread_id=thread.id,
            author_id=author_id,
            body=body,
            body_html=body_html,
            created_at=now,
        )
        .returning(forum_posts.c.id)
    )
    post_id = int(result.scalar_one())
    t = forum_threads.c
    newer = t.last_post_id < post_id  # concurrent replies may commit out of id order
    await conn.execute(
        update(forum_threads)
        .where(t.id == thread.id)
        .values(
            last_post_id=case((newer, post_id), else_=t.last_post_id),
            last_post_at=case((newer, now), else_=t.last_post_at),
            post_count=t.post_count + 1,
        )
    )
    await index_post(conn, post_id, thread.title if first else "", body)
    return post_id


async def update_post_body(
    conn: AsyncConnection, post: PostRow, body: str, body_html: str, now: float
) -> None:
    """Replace a post's source and HTML (an author's edit) and re-index it.

    Args:
        conn: an open write transaction.
        post: the post as it was.
        body: the new Markdown source.
        body_html: the new sanitised HTML.
        now: unix seconds (``edited_at``).
    """
    await conn.execute(
        update(forum_posts)
        .where(forum_posts.c.id == post.id)
        .values(body=body, body_html=body_html, edited_at=now)
    )
    await reindex_post(conn, post.id)


async def set_post_deleted(conn: AsyncConnection, post_id: int, now: float) -> None:
    """Delete a post: its source and HTML are erased, a placeholder stays in the thread.

    Args:
        conn: an open write transaction.
        post_id: the post.
        now: unix seconds (``edited_at``).
    """
    await conn.execute(
        update(forum_posts)
        .where(forum_posts.c.id == post_id)
        .values(body="", body_html="", deleted=True, edited_at=now)
    )
    await unindex_post(conn, post_id)


async def set_post_hidden(
    conn: AsyncConnection, post_id: int, hidden: bool, reason: str | None
) -> None:
    """Hide a post (or show it again), with the moderator's reason.

    Args:
        conn: an open write transaction.
        post_id: the post.
        hidden: True to hide, False to show.
        reason: the reason shown in its place (None when shown).
    """
    await conn.execute(
        update(forum_posts)
        .where(forum_posts.c.id == post_id)
        .values(hidden=hidden, hidden_reason=reason if hidden else None)
    )
    await reindex_post(conn, post_id)


async def set_thread_flags(conn: AsyncConnection, thread_id: int, **flags: Any) -> None:
    """Set a thread's ``pinned``, ``locked``, ``hidden`` and ``hidden_reason``.

    Args:
        conn: an open write transaction.
        thread_id: the thread.
        **flags: the columns to set.
    """
    if flags:
        await conn.execute(
            update(forum_threads).where(forum_threads.c.id == thread_id).values(**flags)
        )


async def reindex_post(conn: AsyncConnection, post_id: int) -> None:
    """Bring a post's search entry in line with the post (none when deleted or hidden).

    Args:
        conn: an open write transaction.
        post_id: the post.
    """
    post = await get_post(conn, post_id)
    await unindex_post(conn, post_id)
    if post is None or post.deleted or post.hidden:
        return
    first = await conn.scalar(
        select(func.min(forum_posts.c.id)).where(forum_posts.c.thread_id == post.thread_id)
    )
    await index_post(conn, post_id, post.title if first == post_id else "", post.body)


# --- reads -----------------------------------------------------------------------------------
async def get_thread(conn: AsyncConnection, thread_id: int) -> ThreadRow | None:
    """A thread by id.

    Args:
        conn: a connection.
        thread_id: the thread.

    Returns:
        The thread, or None.
    """
    row = (
        await conn.execute(
            select(*_THREAD_COLUMNS).select_from(_THREADS).where(forum_threads.c.id == thread_id)
        )
    ).first()
    return None if row is None else _thread(row)


async def get_post(conn: AsyncConnection, post_id: int) -> PostRow | None:
    """A post by id, with its thread's board, title and flags.

    Args:
        conn: a connection.
        post_id: the post.

    Returns:
        The post, or None.
    """
    row = (
        await conn.execute(
            select(*_POST_COLUMNS).select_from(_POSTS).where(forum_posts.c.id == post_id)
        )
    ).first()
    return None if row is None else _post(row)


async def list_threads(
    conn: AsyncConnection,
    board: str,
    *,
    after: tuple[bool, int] | None,
    limit: int,
    include_hidden: bool,
) -> list[ThreadRow]:
    """A page of a board's threads: pinned first, then by newest post.

    Args:
        conn: a connection.
        board: the board's name.
        after: ``(pinned, last_post_id)`` of the previous page's last thread, or None.
        limit: at most this many.
        include_hidden: list hidden threads too (the board's moderators).

    Returns:
        The threads, in order.
    """
    t = forum_threads.c
    query = select(*_THREAD_COLUMNS).select_from(_THREADS).where(t.board == board)
    if not include_hidden:
        query = query.where(t.hidden.is_(False))
    if after is not None:
        pinned, last = after
        later = and_(t.pinned == pinned, t.last_post_id < last)
        query = query.where(or_(later, t.pinned.is_(False)) if pinned else later)
    query = query.order_by(t.pinned.desc(), t.last_post_id.desc()).limit(limit)
    return [_thread(r) for r in (await conn.execute(query)).all()]


async def list_posts(
    conn: AsyncConnection, thread_id: int, *, after: int, limit: int
) -> list[PostRow]:
    """A page of a thread's posts, oldest first.

    Args:
        conn: a connection.
        thread_id: the thread.
        after: only posts with a greater id.
        limit: at most this many.

    Returns:
        The posts (deleted and hidden ones included: the caller shows placeholders).
    """
    query = (
        select(*_POST_COLUMNS)
        .select_from(_POSTS)
        .where(forum_posts.c.thread_id == thread_id, forum_posts.c.id > after)
        .order_by(forum_posts.c.id)
        .limit(limit)
    )
    return [_post(r) for r in (await conn.execute(query)).all()]


async def search_posts(
    conn: AsyncConnection,
    query: str,
    *,
    board: str | None,
    before: int | None,
    limit: int,
) -> list[PostRow]:
    """Visible posts matching every word of ``query``, newest first.

    Args:
        conn: a connection.
        query: the user's text (words are matched stemmed; punctuation is ignored).
        board: only this board, or every board (None).
        before: only posts with a smaller id (the cursor), or None.
        limit: at most this many.

    Returns:
        The matching posts, neither deleted nor hidden, of threads not hidden.
    """
    words = search_words(query)
    if not words:
        return []
    p, t = forum_posts.c, forum_threads.c
    stmt = select(*_POST_COLUMNS).select_from(_POSTS).where(matching(conn, words))
    stmt = stmt.where(p.deleted.is_(False), p.hidden.is_(False), t.hidden.is_(False))
    if board is not None:
        stmt = stmt.where(t.board == board)
    if before is not None:
        stmt = stmt.where(p.id < before)
    stmt = stmt.order_by(p.id.desc()).limit(limit)
    return [_post(r) for r in (await conn.execute(stmt)).all()]
