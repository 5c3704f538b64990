"""Full-text search of forum posts, one implementation per backend.

- **PostgreSQL**: ``forum_posts.search`` = ``setweight(to_tsvector('english', title), 'A') ||
  to_tsvector('english', body)`` (the title only with a thread's first post), under a GIN
  index; matched with ``plainto_tsquery('english', words)``: every word, stemmed, English stop
  words ignored.
- **SQLite**: the FTS5 table ``forum_posts_fts(title, body)`` (rowid = post id, Porter
  stemming, created by revision ``0011_forums``); matched with every word of the query quoted,
  all of them required, so no FTS5 syntax (``OR``, ``NEAR``, ``*``, column filters) is ever
  interpreted.

:func:`index_post` and :func:`unindex_post` run in the caller's transaction (the unit of work
that writes the post), so the index never disagrees with a committed post;
:func:`matching` is the WHERE clause of a search.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, func, literal_column, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from starlane.store.schema import FORUM_FTS_TABLE, forum_posts

__all__ = ["index_post", "matching", "search_words", "unindex_post"]

_WORD = re.compile(r"\w+", re.UNICODE)
_MAX_WORDS = 16


def search_words(query: str) -> list[str]:
    """The words of a search query (what both backends match; punctuation is ignored).

    Args:
        query: the user's text.

    Returns:
        At most 16 words, case-folded.
    """
    return [w.casefold() for w in _WORD.findall(query)][:_MAX_WORDS]


async def index_post(conn: AsyncConnection, post_id: int, title: str, body: str) -> None:
    """Index a post (it must not be indexed already: :func:`unindex_post` first).

    Args:
        conn: an open write transaction.
        post_id: the post.
        title: its thread's title when it opens the thread, else "".
        body: its Markdown source.
    """
    params = {"title": title, "body": body, "id": post_id}
    if conn.dialect.name == "postgresql":
        await conn.execute(
            text(
                "UPDATE forum_posts SET search = setweight(to_tsvector('english', :title), 'A')"
                " || to_tsvector('english', :body) WHERE id = :id"
            ),
            params,
        )
    else:
        await conn.execute(
            text(f"INSERT INTO {FORUM_FTS_TABLE}(rowid, title, body) VALUES (:id, :title, :body)"),
            params,
        )


async def unindex_post(conn: AsyncConnection, post_id: int) -> None:
    """Take a post out of the index (nothing happens if it is not in it).

    Args:
        conn: an open write transaction.
        post_id: the post.
    """
    if conn.dialect.name == "postgresql":
        await conn.execute(
            update(forum_posts).where(forum_posts.c.id == post_id).values(search=None)
        )
    else:
        await conn.execute(
            text(f"DELETE FROM {FORUM_FTS_TABLE} WHERE rowid = :id"), {"id": post_id}
        )


def matching(conn: AsyncConnection, words: list[str]) -> ColumnElement[bool]:
    """The condition on ``forum_posts`` of posts containing every word.

    Args:
        conn: the connection the query runs on (its backend decides the form).
        words: :func:`search_words` of the query (at least one).

    Returns:
        A WHERE clause.
    """
    if conn.dialect.name == "postgresql":
        query = func.plainto_tsquery(literal_column("'english'"), " ".join(words))
        return forum_posts.c.search.op("@@")(query)
    match = " ".join('"' + w.replace('"', '""') + '"' for w in words)
    return forum_posts.c.id.in_(
        select(literal_column("rowid"))
        .select_from(text(FORUM_FTS_TABLE))
        .where(text(f"{FORUM_FTS_TABLE} MATCH :match").bindparams(match=match))
    )
