"""The forums' rules: boards, who moderates them, the author's edit window, their refusals.

Forums are relational data (``ARCHITECTURE.md``, "What is not event-sourced"); this module
holds the rules that do not depend on storage, so they are tested without a database:

- a **board** is named ``galaxy`` (one, galaxy-wide) or ``region-{id}`` (one per region):
  :func:`parse_board`;
- a board's **moderators** are the platform's admins, and for a region's board its governor
  and the moderators the governor appointed: :func:`may_moderate`;
- an **author** edits their post within the edit window (15 minutes by default) and deletes
  it at any time; nobody writes in a locked thread, and hidden or deleted posts are not
  edited: :func:`check_edit`, :func:`check_delete`, :func:`check_reply`.

Every refusal is a :class:`~starlane.domain.errors.DomainError` with a stable ``code``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from starlane.domain.errors import DomainError
from starlane.domain.governance import RegionRole

__all__ = [
    "DEFAULT_EDIT_SECONDS",
    "GALAXY_BOARD",
    "MODERATOR_ROLES",
    "Board",
    "EditWindowClosedError",
    "ForumForbiddenError",
    "ModerationReasonRequiredError",
    "PostGoneError",
    "PostNotFoundError",
    "ThreadLockedError",
    "ThreadNotFoundError",
    "UnknownBoardError",
    "board_channel",
    "check_delete",
    "check_edit",
    "check_reply",
    "may_moderate",
    "parse_board",
]

GALAXY_BOARD = "galaxy"
"""The galaxy-wide board's name."""

DEFAULT_EDIT_SECONDS = 900.0
"""How long an author may edit a post after writing it (seconds): 15 minutes."""

MODERATOR_ROLES: frozenset[RegionRole] = frozenset(
    {RegionRole.ADMIN, RegionRole.GOVERNOR, RegionRole.MODERATOR}
)
"""The regional roles that moderate a region's board (the galaxy board: admins only)."""

_REGION_BOARD = re.compile(r"^region-([1-9][0-9]{0,9})$")


class UnknownBoardError(DomainError):
    """A board name that is neither ``galaxy`` nor ``region-{id}`` of an existing region."""

    code = "unknown_board"
    kind = "not_found"


class ThreadNotFoundError(DomainError):
    """No such thread (or it is hidden and the caller does not moderate its board)."""

    code = "thread_not_found"
    kind = "not_found"


class PostNotFoundError(DomainError):
    """No such post."""

    code = "post_not_found"
    kind = "not_found"


class ForumForbiddenError(DomainError):
    """The caller may not do this (not the author, or not a moderator of the board)."""

    code = "forbidden"
    kind = "forbidden"


class ThreadLockedError(DomainError):
    """The thread is locked: no new posts, no edits."""

    code = "thread_locked"
    kind = "conflict"


class EditWindowClosedError(DomainError):
    """The author's edit window (``forums.edit_seconds`` after writing) has passed."""

    code = "edit_window_closed"
    kind = "conflict"


class PostGoneError(DomainError):
    """The post was deleted by its author or hidden by a moderator: it cannot be edited."""

    code = "post_gone"
    kind = "conflict"


class ModerationReasonRequiredError(DomainError):
    """Hiding a thread or a post needs a reason (it is shown and audited)."""

    code = "reason_required"
    kind = "invalid"


@dataclass(frozen=True)
class Board:
    """A forum board.

    Attributes:
        name: ``galaxy`` or ``region-{id}``.
        region_id: the region of a region's board; None for the galaxy board.
    """

    name: str
    region_id: int | None


def parse_board(name: str) -> Board:
    """The board a name denotes (its region is not checked here: the caller knows the regions).

    Args:
        name: ``galaxy`` or ``region-{id}`` (id a positive integer without leading zeros).

    Returns:
        The board.

    Raises:
        UnknownBoardError: any other name.
    """
    if name == GALAXY_BOARD:
        return Board(GALAXY_BOARD, None)
    match = _REGION_BOARD.match(name)
    if match is None or int(match.group(1)) > 2**31 - 1:
        raise UnknownBoardError(
            f"no board {name!r}: boards are 'galaxy' and 'region-<id>'", board=name
        )
    return Board(name, int(match.group(1)))


def board_channel(board: str) -> str:
    """The WebSocket channel that pushes a board's new posts and moderation.

    Args:
        board: the board's name.

    Returns:
        ``forum:<board>``.
    """
    return f"forum:{board}"


def may_moderate(board: Board, roles: Collection[RegionRole]) -> bool:
    """Whether holders of ``roles`` moderate a board (lock, pin, hide).

    Args:
        board: the board.
        roles: the caller's roles in the board's region
            (:func:`starlane.domain.governance.region_roles`); for the galaxy board, only
            whether ``admin`` is among them matters.

    Returns:
        True for the platform's admins on every board, and for a region's governor and its
        moderators on that region's board.
    """
    if RegionRole.ADMIN in roles:
        return True
    if board.region_id is None:
        return False
    return not MODERATOR_ROLES.isdisjoint(roles)


def check_reply(locked: bool, thread_id: int) -> None:
    """Refuse a new post in a locked thread.

    Args:
        locked: whether the thread is locked.
        thread_id: the thread (for the problem's context).

    Raises:
        ThreadLockedError: it is locked.
    """
    if locked:
        raise ThreadLockedError(f"thread {thread_id} is locked", thread_id=thread_id)


def check_edit(
    *,
    caller_id: int,
    author_id: int,
    created_at: float,
    now: float,
    edit_seconds: float,
    thread_locked: bool,
    gone: bool,
    post_id: int,
) -> None:
    """Refuse an edit that is not the author's own, too late, in a locked thread or of a
    deleted or hidden post.

    Args:
        caller_id: who edits.
        author_id: who wrote the post.
        created_at: when it was written (unix seconds).
        now: unix seconds now.
        edit_seconds: the edit window (seconds after ``created_at``; inclusive).
        thread_locked: whether its thread is locked.
        gone: whether it was deleted or hidden.
        post_id: the post (for the problems' context).

    Raises:
        ForumForbiddenError: the caller is not the author.
        PostGoneError: the post was deleted or hidden.
        ThreadLockedError: the thread is locked.
        EditWindowClosedError: more than ``edit_seconds`` have passed.
    """
    if caller_id != author_id:
        raise ForumForbiddenError("only its author edits a post", post_id=post_id)
    if gone:
        raise PostGoneError(f"post {post_id} was deleted or hidden", post_id=post_id)
    if thread_locked:
        raise ThreadLockedError("the thread is locked", post_id=post_id)
    closes_at = created_at + edit_seconds
    if now > closes_at:
        raise EditWindowClosedError(
            f"post {post_id} could be edited for {edit_seconds:g} s after it was written",
            post_id=post_id,
            closed_at=closes_at,
            edit_seconds=edit_seconds,
        )


def check_delete(*, caller_id: int, author_id: int, deleted: bool, post_id: int) -> None:
    """Refuse deleting someone else's post or a post deleted already.

    Args:
        caller_id: who deletes.
        author_id: who wrote the post.
        deleted: whether it was deleted already.
        post_id: the post.

    Raises:
        ForumForbiddenError: the caller is not the author (moderators hide instead).
        PostGoneError: deleted already.
    """
    if caller_id != author_id:
        raise ForumForbiddenError(
            "only its author deletes a post; moderators hide it", post_id=post_id
        )
    if deleted:
        raise PostGoneError(f"post {post_id} was deleted already", post_id=post_id)
