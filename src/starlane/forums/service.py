"""The forums' operations: each write is one unit of work with its outbox message.

:class:`Forums` opens threads, writes, edits and deletes posts, and moderates (lock, pin, hide).
Each write runs in one unit of work (:mod:`starlane.store.uow`): the rows, the search index,
the outbox message that pushes the change to the board's WebSocket channel and, for a
moderator's action, its audit entry commit together or not at all.

Outbox messages: subject ``forum.<board>`` (``forum-hidden.<board>`` for the posts of a hidden
thread, which only the admin feed carries); kinds ``forum.thread.created``,
``forum.post.created``, ``forum.post.edited``, ``forum.post.deleted``,
``forum.thread.moderated``, ``forum.post.moderated``; payload the post (:func:`post_payload`)
or the thread (:func:`thread_payload`).

Audit entries (moderation only): action ``forum.thread.moderate`` or ``forum.post.moderate``,
``target_kind`` ``forum_thread`` / ``forum_post``, the flags before and after, the reason as
the justification, the actor's regional role (``admin``, ``governor`` or ``moderator``).

Who may moderate is decided by the caller (the API resolves the caller's roles on the
board's region) and checked here with :func:`starlane.domain.forums.may_moderate`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from starlane.domain.forums import (
    ForumForbiddenError,
    ModerationReasonRequiredError,
    PostNotFoundError,
    ThreadNotFoundError,
    check_delete,
    check_edit,
    check_reply,
    may_moderate,
    parse_board,
)
from starlane.domain.governance import RegionRole
from starlane.forums.markup import render_markdown
from starlane.store import forums as store
from starlane.store.forums import PostRow, ThreadRow
from starlane.store.uow import UnitOfWork

if TYPE_CHECKING:
    from starlane.audit.actions import Actor

__all__ = ["Forums", "board_subject", "post_payload", "thread_payload"]


def board_subject(board: str, *, hidden: bool = False) -> str:
    """The outbox subject of a board's changes.

    Args:
        board: the board's name.
        hidden: the change is inside a hidden thread (only the admin feed carries it).

    Returns:
        ``forum.<board>`` (pushed on the board's channel), or ``forum-hidden.<board>``.
    """
    return f"forum-hidden.{board}" if hidden else f"forum.{board}"


def post_payload(post: PostRow, *, moderator: bool = False) -> dict[str, Any]:
    """A post as pushed and answered (no source or HTML once deleted, nor once hidden except
    to the board's moderators).

    Args:
        post: the post.
        moderator: the reader moderates the post's board (sees a hidden post's text).

    Returns:
        JSON-able fields: ``id``, ``thread_id``, ``thread_title``, ``board``, ``author_id``,
        ``author``,
        ``body``, ``body_html``, ``created_at``, ``edited_at``, ``deleted``, ``hidden``,
        ``hidden_reason``.
    """
    gone = post.deleted or (post.hidden and not moderator)
    return {
        "id": post.id,
        "thread_id": post.thread_id,
        "thread_title": post.title,
        "board": post.board,
        "author_id": post.author_id,
        "author": post.author_name,
        "body": None if gone else post.body,
        "body_html": None if gone else post.body_html,
        "created_at": post.created_at,
        "edited_at": post.edited_at,
        "deleted": post.deleted,
        "hidden": post.hidden,
        "hidden_reason": post.hidden_reason if post.hidden else None,
    }


def thread_payload(thread: ThreadRow) -> dict[str, Any]:
    """A thread's summary as pushed and answered.

    Args:
        thread: the thread.

    Returns:
        JSON-able fields: ``id``, ``board``, ``title``, ``author_id``, ``author``,
        ``created_at``, ``last_post_at``, ``post_count``, ``pinned``, ``locked``, ``hidden``,
        ``hidden_reason``.
    """
    return {
        "id": thread.id,
        "board": thread.board,
        "title": thread.title,
        "author_id": thread.author_id,
        "author": thread.author_name,
        "created_at": thread.created_at,
        "last_post_at": thread.last_post_at,
        "post_count": thread.post_count,
        "pinned": thread.pinned,
        "locked": thread.locked,
        "hidden": thread.hidden,
        "hidden_reason": thread.hidden_reason if thread.hidden else None,
    }


def _flags(thread: ThreadRow) -> dict[str, Any]:
    return {"pinned": thread.pinned, "locked": thread.locked, "hidden": thread.hidden}


class Forums:
    """The forums' writes (see the module docstring).

    Args:
        uow: makes units of work.
        clock: unix seconds now.
        edit_seconds: the authors' edit window (seconds).
    """

    def __init__(
        self, uow: Callable[[], UnitOfWork], clock: Callable[[], float], edit_seconds: float
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.edit_seconds = edit_seconds

    async def open_thread(
        self, board: str, author_id: int, title: str, body: str
    ) -> tuple[ThreadRow, PostRow]:
        """Open a thread with its first post.

        Args:
            board: the board's name (checked by the caller to exist).
            author_id: who opens it.
            title: its title.
            body: the first post's Markdown.

        Returns:
            The thread and its first post.
        """
        html = render_markdown(body)
        async with self._uow() as work:
            conn = work.connection
            now = self._clock()
            thread_id = await store.insert_thread(conn, board, author_id, title, now)
            thread = await store.get_thread(conn, thread_id)
            assert thread is not None
            post_id = await store.insert_post(conn, thread, author_id, body, html, now, first=True)
            thread = await store.get_thread(conn, thread_id)
            post = await store.get_post(conn, post_id)
            assert thread is not None and post is not None
            subject = board_subject(board)
            work.add_message("forum.thread.created", subject, thread_payload(thread))
            work.add_message("forum.post.created", subject, post_payload(post))
        return thread, post

    async def reply(self, thread_id: int, author_id: int, body: str, *, moderator: bool) -> PostRow:
        """Write a post in a thread.

        Args:
            thread_id: the thread.
            author_id: who writes.
            body: the Markdown.
            moderator: whether the author moderates the thread's board (sees hidden threads).

        Returns:
            The post.

        Raises:
            ThreadNotFoundError: no such thread, or hidden from the author.
            ThreadLockedError: the thread is locked.
        """
        html = render_markdown(body)
        async with self._uow() as work:
            conn = work.connection
            thread = await store.get_thread(conn, thread_id)
            if thread is None or (thread.hidden and not moderator):
                raise ThreadNotFoundError(f"no thread {thread_id}", thread_id=thread_id)
            check_reply(thread.locked, thread_id)
            post_id = await store.insert_post(conn, thread, author_id, body, html, self._clock())
            post = await store.get_post(conn, post_id)
            assert post is not None
            subject = board_subject(thread.board, hidden=thread.hidden)
            work.add_message("forum.post.created", subject, post_payload(post))
        return post

    async def edit(self, post_id: int, caller_id: int, body: str) -> PostRow:
        """An author's edit of their post, within the edit window.

        Args:
            post_id: the post.
            caller_id: who edits.
            body: the new Markdown.

        Returns:
            The post after the edit.

        Raises:
            PostNotFoundError: no such post.
            ForumForbiddenError, PostGoneError, ThreadLockedError, EditWindowClosedError: see
                :func:`starlane.domain.forums.check_edit`.
        """
        html = render_markdown(body)
        async with self._uow() as work:
            conn = work.connection
            post = await self._post(work, post_id)
            now = self._clock()
            check_edit(
                caller_id=caller_id,
                author_id=post.author_id,
                created_at=post.created_at,
                now=now,
                edit_seconds=self.edit_seconds,
                thread_locked=post.thread_locked,
                gone=post.deleted or post.hidden,
                post_id=post_id,
            )
            await store.update_post_body(conn, post, body, html, now)
            after = await self._post(work, post_id)
            subject = board_subject(post.board, hidden=post.thread_hidden)
            work.add_message("forum.post.edited", subject, post_payload(after))
        return after

    async def delete(self, post_id: int, caller_id: int) -> PostRow:
        """An author deletes their post (a placeholder stays in the thread).

        Args:
            post_id: the post.
            caller_id: who deletes.

        Returns:
            The post after deletion.

        Raises:
            PostNotFoundError: no such post.
            ForumForbiddenError: not the author.
            PostGoneError: deleted already.
        """
        async with self._uow() as work:
            post = await self._post(work, post_id)
            check_delete(
                caller_id=caller_id, author_id=post.author_id, deleted=post.deleted, post_id=post_id
            )
            await store.set_post_deleted(work.connection, post_id, self._clock())
            after = await self._post(work, post_id)
            subject = board_subject(post.board, hidden=post.thread_hidden)
            work.add_message("forum.post.deleted", subject, post_payload(after))
        return after

    async def moderate_thread(
        self,
        thread_id: int,
        actor: Actor,
        roles: Collection[RegionRole],
        changes: dict[str, bool],
        reason: str,
    ) -> ThreadRow:
        """Lock, pin or hide a thread (or undo it), audited in the same transaction.

        Args:
            thread_id: the thread.
            actor: the moderator (account, role acted in, request origin).
            roles: the actor's roles in the board's region.
            changes: any of ``pinned``, ``locked``, ``hidden`` with the new value.
            reason: why (required to hide; the audit entry's justification).

        Returns:
            The thread after the change (unchanged, and no audit entry, when nothing changed).

        Raises:
            ThreadNotFoundError: no such thread.
            ForumForbiddenError: the actor does not moderate its board.
            ModerationReasonRequiredError: hiding without a reason.
        """
        async with self._uow() as work:
            conn = work.connection
            thread = await store.get_thread(conn, thread_id)
            if thread is None:
                raise ThreadNotFoundError(f"no thread {thread_id}", thread_id=thread_id)
            self._check_moderator(thread.board, roles)
            if changes.get("hidden") and not reason.strip():
                raise ModerationReasonRequiredError("hiding a thread needs a reason")
            before = _flags(thread)
            wanted = {k: v for k, v in changes.items() if before.get(k) != v}
            if not wanted:
                work.rollback()
                return thread
            columns: dict[str, Any] = dict(wanted)
            if "hidden" in wanted:
                columns["hidden_reason"] = reason.strip() if wanted["hidden"] else None
            await store.set_thread_flags(conn, thread_id, **columns)
            after = await store.get_thread(conn, thread_id)
            assert after is not None
            await work.audit.append(
                actor_id=actor.account_id,
                actor_role=actor.role,
                action="forum.thread.moderate",
                target_kind="forum_thread",
                target_id=str(thread_id),
                before={"board": thread.board, **before},
                after={"board": thread.board, **_flags(after)},
                justification=reason.strip(),
                client_address=actor.client_address,
                user_agent=actor.user_agent,
                request_id=actor.request_id,
            )
            work.add_message(
                "forum.thread.moderated", board_subject(thread.board), thread_payload(after)
            )
        return after

    async def moderate_post(
        self,
        post_id: int,
        actor: Actor,
        roles: Collection[RegionRole],
        hidden: bool,
        reason: str,
    ) -> PostRow:
        """Hide a post (or show it again), audited in the same transaction.

        Args:
            post_id: the post.
            actor: the moderator.
            roles: the actor's roles in the board's region.
            hidden: True to hide, False to show again.
            reason: why (required to hide; shown in the post's place and audited).

        Returns:
            The post after the change (unchanged, and no audit entry, when nothing changed).

        Raises:
            PostNotFoundError: no such post.
            ForumForbiddenError: the actor does not moderate its board.
            ModerationReasonRequiredError: hiding without a reason.
        """
        async with self._uow() as work:
            post = await self._post(work, post_id)
            self._check_moderator(post.board, roles)
            if hidden and not reason.strip():
                raise ModerationReasonRequiredError("hiding a post needs a reason")
            if post.hidden == hidden:
                work.rollback()
                return post
            await store.set_post_hidden(
                work.connection, post_id, hidden, reason.strip() if hidden else None
            )
            after = await self._post(work, post_id)
            await work.audit.append(
                actor_id=actor.account_id,
                actor_role=actor.role,
                action="forum.post.moderate",
                target_kind="forum_post",
                target_id=str(post_id),
                before={"board": post.board, "thread_id": post.thread_id, "hidden": post.hidden},
                after={"board": post.board, "thread_id": post.thread_id, "hidden": hidden},
                justification=reason.strip(),
                client_address=actor.client_address,
                user_agent=actor.user_agent,
                request_id=actor.request_id,
            )
            subject = board_subject(post.board, hidden=post.thread_hidden)
            work.add_message("forum.post.moderated", subject, post_payload(after))
        return after

    @staticmethod
    def _check_moderator(board: str, roles: Collection[RegionRole]) -> None:
        if not may_moderate(parse_board(board), roles):
            raise ForumForbiddenError(
                f"only the moderators of board {board} may do this", board=board
            )

    @staticmethod
    async def _post(work: UnitOfWork, post_id: int) -> PostRow:
        post = await store.get_post(work.connection, post_id)
        if post is None:
            raise PostNotFoundError(f"no post {post_id}", post_id=post_id)
        return post
