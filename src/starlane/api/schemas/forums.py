"""The forums' request and response bodies (``/api/v1/forums``)."""

from __future__ import annotations

from pydantic import Field

from starlane.api.schemas.common import ApiModel, RequestModel

MAX_TITLE = 200
"""Longest thread title (characters)."""
MAX_BODY = 20_000
"""Longest post source (characters of Markdown)."""
MAX_REASON = 500
"""Longest moderation reason (characters)."""


class NewThread(RequestModel):
    """``POST /forums/{board}/threads``: a title and the first post's Markdown."""

    title: str = Field(min_length=1, max_length=MAX_TITLE, pattern=r"\S")
    body: str = Field(min_length=1, max_length=MAX_BODY, pattern=r"\S")


class NewPost(RequestModel):
    """``POST /forums/threads/{id}/posts`` and ``PATCH /forums/posts/{id}``: the Markdown."""

    body: str = Field(min_length=1, max_length=MAX_BODY, pattern=r"\S")


class ThreadModeration(RequestModel):
    """``PATCH /forums/threads/{id}/moderation``: the flags to set, and why.

    A reason is required to hide (it is shown in the thread's place and audited).
    """

    pinned: bool | None = None
    locked: bool | None = None
    hidden: bool | None = None
    reason: str = Field(default="", max_length=MAX_REASON)


class PostModeration(RequestModel):
    """``PATCH /forums/posts/{id}/moderation``: hide or show a post, and why."""

    hidden: bool
    reason: str = Field(default="", max_length=MAX_REASON)


class BoardOut(ApiModel):
    """A board: ``galaxy`` or ``region-{id}``.

    Attributes:
        name: the board's name (the ``{board}`` of the routes).
        title: a human title (the region's name).
        region_id: its region, None for the galaxy board.
        channel: the WebSocket channel pushing its new posts (``forum:<name>``).
    """

    name: str
    title: str
    region_id: int | None
    channel: str


class BoardList(ApiModel):
    """``GET /forums/boards``."""

    items: list[BoardOut]


class ThreadOut(ApiModel):
    """A thread's summary (times in unix seconds)."""

    id: int
    board: str
    title: str
    author_id: int
    author: str
    created_at: float
    last_post_at: float
    post_count: int
    pinned: bool
    locked: bool
    hidden: bool
    hidden_reason: str | None


class PostOut(ApiModel):
    """A post. ``body`` (Markdown) and ``body_html`` (sanitised) are null once it was deleted
    by its author or hidden by a moderator (``hidden_reason`` says why)."""

    id: int
    thread_id: int
    thread_title: str
    board: str
    author_id: int
    author: str
    body: str | None
    body_html: str | None
    created_at: float
    edited_at: float | None
    deleted: bool
    hidden: bool
    hidden_reason: str | None


class ThreadPage(ApiModel):
    """A thread with a page of its posts, oldest first; ``next_cursor`` pages on."""

    thread: ThreadOut
    posts: list[PostOut]
    next_cursor: str | None = None


class ThreadList(ApiModel):
    """A page of a board's threads: pinned first, then by newest post."""

    board: str
    items: list[ThreadOut]
    next_cursor: str | None = None


class PostList(ApiModel):
    """A page of search results, newest first."""

    items: list[PostOut]
    next_cursor: str | None = None
