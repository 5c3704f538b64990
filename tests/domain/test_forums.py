"""The forums' rules: board names, who moderates a board, the author's edit window."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from starlane.domain.forums import (
    Board,
    EditWindowClosedError,
    ForumForbiddenError,
    PostGoneError,
    ThreadLockedError,
    UnknownBoardError,
    check_delete,
    check_edit,
    check_reply,
    may_moderate,
    parse_board,
)
from starlane.domain.governance import RegionRole


def test_board_names() -> None:
    assert parse_board("galaxy") == Board("galaxy", None)
    assert parse_board("region-3") == Board("region-3", 3)
    for bad in ("Galaxy", "region-0", "region-03", "region-", "region-x", "region-99999999999", ""):
        with pytest.raises(UnknownBoardError) as caught:
            parse_board(bad)
        assert caught.value.code == "unknown_board"


@given(st.integers(min_value=1, max_value=2**31 - 1))
def test_every_region_id_has_a_board(region_id: int) -> None:
    assert parse_board(f"region-{region_id}").region_id == region_id


@given(st.sets(st.sampled_from(list(RegionRole))))
def test_who_moderates(roles: set[RegionRole]) -> None:
    region, galaxy = parse_board("region-5"), parse_board("galaxy")
    staff = {RegionRole.ADMIN, RegionRole.GOVERNOR, RegionRole.MODERATOR}
    assert may_moderate(region, roles) == bool(roles & staff)
    assert may_moderate(galaxy, roles) == (RegionRole.ADMIN in roles)


def _edit(**changes: object) -> None:
    args: dict[str, object] = {
        "caller_id": 1,
        "author_id": 1,
        "created_at": 1_000.0,
        "now": 1_000.0,
        "edit_seconds": 900.0,
        "thread_locked": False,
        "gone": False,
        "post_id": 7,
    }
    args.update(changes)
    check_edit(**args)  # type: ignore[arg-type]


@given(st.floats(min_value=0, max_value=10_000, allow_nan=False))
def test_edit_window(elapsed: float) -> None:
    if elapsed <= 900:
        _edit(now=1_000.0 + elapsed)
    else:
        with pytest.raises(EditWindowClosedError) as caught:
            _edit(now=1_000.0 + elapsed)
        assert caught.value.code == "edit_window_closed" and caught.value.kind == "conflict"


def test_edit_and_delete_refusals() -> None:
    with pytest.raises(ForumForbiddenError):
        _edit(caller_id=2)
    with pytest.raises(PostGoneError):
        _edit(gone=True)
    with pytest.raises(ThreadLockedError) as locked:
        _edit(thread_locked=True)
    assert locked.value.code == "thread_locked"
    with pytest.raises(ThreadLockedError):
        check_reply(True, 3)
    check_reply(False, 3)
    check_delete(caller_id=1, author_id=1, deleted=False, post_id=7)
    with pytest.raises(ForumForbiddenError):
        check_delete(caller_id=2, author_id=1, deleted=False, post_id=7)
    with pytest.raises(PostGoneError):
        check_delete(caller_id=1, author_id=1, deleted=True, post_id=7)
