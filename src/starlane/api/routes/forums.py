"""Forums: a board per region and one galaxy-wide (``/api/v1/forums``).

=======  ===========================================  ==============================  ======
method   path                                         who                             answers
=======  ===========================================  ==============================  ======
GET      ``/forums/boards``                           any player                      boards
GET      ``/forums/{board}/threads``                  any player                      a page
POST     ``/forums/{board}/threads``                  any player (rate limited)       201
GET      ``/forums/threads/{id}``                     any player                      posts
POST     ``/forums/threads/{id}/posts``               any player (rate limited)       201
PATCH    ``/forums/posts/{id}``                       its author, within 15 minutes   post
DELETE   ``/forums/posts/{id}``                       its author                      post
PATCH    ``/forums/threads/{id}/moderation``          the board's moderators          thread
PATCH    ``/forums/posts/{id}/moderation``            the board's moderators          post
GET      ``/forums/search?q=``                        any player                      a page
=======  ===========================================  ==============================  ======

A board is ``galaxy`` or ``region-{id}``; its moderators are the platform's admins and, on a
region's board, the region's governor and moderators: the caller's roles come from
:func:`starlane.domain.governance.region_roles` (as for every region-scoped right) and
:func:`starlane.domain.forums.may_moderate` decides. Writes are units of work with their
outbox message (pushed on the board's WebSocket channel ``forum:<board>``) and, for
moderation, their audit entry (:class:`starlane.forums.service.Forums`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from starlane.api.auth import Principal
from starlane.api.deps import CurrentPrincipal, get_services
from starlane.api.errors import problem_responses
from starlane.api.routes.admin import actor_of
from starlane.api.schemas.common import MAX_PAGE
from starlane.api.schemas.forums import (
    BoardList,
    BoardOut,
    NewPost,
    NewThread,
    PostList,
    PostModeration,
    PostOut,
    ThreadList,
    ThreadModeration,
    ThreadOut,
    ThreadPage,
)
from starlane.api.services import Services
from starlane.domain.forums import (
    GALAXY_BOARD,
    Board,
    PostNotFoundError,
    ThreadNotFoundError,
    UnknownBoardError,
    board_channel,
    may_moderate,
    parse_board,
)
from starlane.domain.governance import RegionRole, acting_role, region_roles
from starlane.forums.service import Forums, post_payload, thread_payload
from starlane.store import forums as store
from starlane.store.region_moderators import moderators_of

router = APIRouter(prefix="/api/v1/forums", tags=["forums"])

BoardName = Annotated[
    str, Path(min_length=1, max_length=40, description="``galaxy`` or ``region-{id}``")
]
ThreadId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the thread's id")]
PostId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the post's id")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="items per page")]

PROBLEMS: dict[int | str, dict[str, Any]] = problem_responses(401, 403, 404, 409, 422, 429)
"""401 no token; 403 ``forbidden`` (not the author; not a moderator of the board); 404
``unknown_board``, ``thread_not_found`` or ``post_not_found``; 409 ``thread_locked``,
``edit_window_closed`` or ``post_gone``; 422 ``reason_required`` or ``validation_error``; 429
``rate_limited`` (with ``Retry-After``: the posting limit, or the per-player request limit)."""


def _forums(services: Services) -> Forums:
    return Forums(services.uow, services.clock, services.settings.forums.edit_seconds)


def _board(services: Services, name: str) -> Board:
    board = parse_board(name)
    if board.region_id is not None and services.galaxy.region_info(board.region_id) is None:
        raise UnknownBoardError(f"no board {name!r}: no region {board.region_id}", board=name)
    return board


async def _roles(services: Services, principal: Principal, board: Board) -> frozenset[RegionRole]:
    """The caller's roles on a board's region (on the galaxy board: player, and admin)."""
    region = None if board.region_id is None else services.galaxy.region_info(board.region_id)
    if region is None:
        roles = {RegionRole.PLAYER}
        if principal.is_admin:
            roles.add(RegionRole.ADMIN)
        return frozenset(roles)
    moderators = await moderators_of(services.db, region.id)
    return region_roles(principal.account_id, principal.roles, region, moderators)


async def _thread_board(services: Services, thread_id: int) -> tuple[store.ThreadRow, Board]:
    async with services.db.connect() as conn:
        thread = await store.get_thread(conn, thread_id)
    if thread is None:
        raise ThreadNotFoundError(f"no thread {thread_id}", thread_id=thread_id)
    return thread, parse_board(thread.board)


async def _post_limit(services: Services, principal: Principal) -> None:
    await services.limiter.hit("forum_post", f"account:{principal.account_id}")


async def _request_limit(services: Services, principal: Principal) -> None:
    """Every forum request counts against the player's request limit (as game commands)."""
    await services.limiter.hit("command", f"player:{principal.account_id}")


def _after(cursor: str | None) -> int:
    return int(cursor) if cursor else 0


@router.get("/boards", response_model=BoardList, responses=PROBLEMS)
async def list_boards(request: Request, principal: CurrentPrincipal) -> BoardList:
    """The boards: ``galaxy`` first, then one per region by region id."""
    services = get_services(request)
    await _request_limit(services, principal)
    items = [BoardOut(name=GALAXY_BOARD, title="Galaxy", region_id=None, channel="forum:galaxy")]
    for state in sorted(services.galaxy.regions(), key=lambda s: s.region.id):
        name = f"region-{state.region.id}"
        items.append(
            BoardOut(
                name=name,
                title=state.region.name,
                region_id=state.region.id,
                channel=board_channel(name),
            )
        )
    return BoardList(items=items)


@router.get("/search", response_model=PostList, responses=PROBLEMS)
async def search(
    request: Request,
    principal: CurrentPrincipal,
    q: Annotated[str, Query(min_length=1, max_length=200, description="words to find")],
    board: Annotated[str | None, Query(max_length=40, description="only this board")] = None,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,10}$")] = None,
    limit: Limit = 20,
) -> PostList:
    """Posts containing every word of ``q`` (stemmed: "trading" finds "trade"), newest first;
    deleted and hidden posts and hidden threads are never found."""
    services = get_services(request)
    await _request_limit(services, principal)
    if board is not None:
        _board(services, board)
    async with services.db.connect() as conn:
        found = await store.search_posts(
            conn, q, board=board, before=int(cursor) if cursor else None, limit=limit + 1
        )
    page = found[:limit]
    more = len(found) > limit
    return PostList(
        items=[PostOut.model_validate(post_payload(p)) for p in page],
        next_cursor=str(page[-1].id) if more and page else None,
    )


@router.get("/{board}/threads", response_model=ThreadList, responses=PROBLEMS)
async def list_threads(
    request: Request,
    principal: CurrentPrincipal,
    board: BoardName,
    cursor: Annotated[str | None, Query(pattern=r"^[01]:[0-9]{1,10}$")] = None,
    limit: Limit = 50,
) -> ThreadList:
    """A board's threads, a page at a time: pinned ones first, then by newest post. Hidden
    threads are listed to the board's moderators only."""
    services = get_services(request)
    await _request_limit(services, principal)
    found_board = _board(services, board)
    moderator = may_moderate(found_board, await _roles(services, principal, found_board))
    after = None
    if cursor:
        pinned, last = cursor.split(":")
        after = (pinned == "1", int(last))
    async with services.db.connect() as conn:
        threads = await store.list_threads(
            conn, board, after=after, limit=limit + 1, include_hidden=moderator
        )
    page = threads[:limit]
    more = len(threads) > limit
    last_one = page[-1] if page else None
    return ThreadList(
        board=board,
        items=[ThreadOut.model_validate(thread_payload(t)) for t in page],
        next_cursor=(
            f"{int(last_one.pinned)}:{last_one.last_post_id}" if more and last_one else None
        ),
    )


@router.post("/{board}/threads", response_model=ThreadPage, status_code=201, responses=PROBLEMS)
async def open_thread(
    request: Request, principal: CurrentPrincipal, board: BoardName, body: NewThread
) -> ThreadPage:
    """Open a thread on a board with its first post (Markdown; answered with ``body_html``,
    sanitised). Counts against the per-account posting limit (429 ``rate_limited``)."""
    services = get_services(request)
    await _request_limit(services, principal)
    _board(services, board)
    await _post_limit(services, principal)
    thread, post = await _forums(services).open_thread(
        board, principal.account_id, body.title.strip(), body.body
    )
    return ThreadPage(
        thread=ThreadOut.model_validate(thread_payload(thread)),
        posts=[PostOut.model_validate(post_payload(post))],
    )


@router.get("/threads/{thread_id}", response_model=ThreadPage, responses=PROBLEMS)
async def read_thread(
    request: Request,
    principal: CurrentPrincipal,
    thread_id: ThreadId,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,10}$")] = None,
    limit: Limit = 50,
) -> ThreadPage:
    """A thread and a page of its posts, oldest first. Deleted and hidden posts keep their
    place with no body (the board's moderators still read a hidden post's text); a hidden
    thread is 404 ``thread_not_found`` except to its board's moderators."""
    services = get_services(request)
    await _request_limit(services, principal)
    thread, board = await _thread_board(services, thread_id)
    moderator = may_moderate(board, await _roles(services, principal, board))
    if thread.hidden and not moderator:
        raise ThreadNotFoundError(f"no thread {thread_id}", thread_id=thread_id)
    async with services.db.connect() as conn:
        posts = await store.list_posts(conn, thread_id, after=_after(cursor), limit=limit + 1)
    page = posts[:limit]
    more = len(posts) > limit
    return ThreadPage(
        thread=ThreadOut.model_validate(thread_payload(thread)),
        posts=[PostOut.model_validate(post_payload(p, moderator=moderator)) for p in page],
        next_cursor=str(page[-1].id) if more and page else None,
    )


@router.post(
    "/threads/{thread_id}/posts", response_model=PostOut, status_code=201, responses=PROBLEMS
)
async def reply(
    request: Request, principal: CurrentPrincipal, thread_id: ThreadId, body: NewPost
) -> PostOut:
    """Write a post in a thread (409 ``thread_locked`` when it is locked). Counts against the
    per-account posting limit (429 ``rate_limited``)."""
    services = get_services(request)
    await _request_limit(services, principal)
    thread, board = await _thread_board(services, thread_id)
    moderator = thread.hidden and may_moderate(board, await _roles(services, principal, board))
    await _post_limit(services, principal)
    post = await _forums(services).reply(
        thread_id, principal.account_id, body.body, moderator=moderator
    )
    return PostOut.model_validate(post_payload(post))


@router.patch("/posts/{post_id}", response_model=PostOut, responses=PROBLEMS)
async def edit_post(
    request: Request, principal: CurrentPrincipal, post_id: PostId, body: NewPost
) -> PostOut:
    """Edit your own post within ``forums.edit_seconds`` (15 minutes) of writing it: 409
    ``edit_window_closed`` after that, ``thread_locked`` in a locked thread."""
    services = get_services(request)
    await _request_limit(services, principal)
    post = await _forums(services).edit(post_id, principal.account_id, body.body)
    return PostOut.model_validate(post_payload(post))


@router.delete("/posts/{post_id}", response_model=PostOut, responses=PROBLEMS)
async def delete_post(request: Request, principal: CurrentPrincipal, post_id: PostId) -> PostOut:
    """Delete your own post: its text is erased and a placeholder keeps its place."""
    services = get_services(request)
    await _request_limit(services, principal)
    post = await _forums(services).delete(post_id, principal.account_id)
    return PostOut.model_validate(post_payload(post))


@router.patch("/threads/{thread_id}/moderation", response_model=ThreadOut, responses=PROBLEMS)
async def moderate_thread(
    request: Request, principal: CurrentPrincipal, thread_id: ThreadId, body: ThreadModeration
) -> ThreadOut:
    """Lock, pin or hide a thread, or undo it (the board's moderators). Hiding needs a
    ``reason``; each change is an audit entry in the same transaction."""
    services = get_services(request)
    await _request_limit(services, principal)
    _, board = await _thread_board(services, thread_id)
    roles = await _roles(services, principal, board)
    changes = body.model_dump(exclude_none=True, exclude={"reason"})
    thread = await _forums(services).moderate_thread(
        thread_id,
        actor_of(request, principal, acting_role(roles)),
        roles,
        changes,
        body.reason,
    )
    return ThreadOut.model_validate(thread_payload(thread))


@router.patch("/posts/{post_id}/moderation", response_model=PostOut, responses=PROBLEMS)
async def moderate_post(
    request: Request, principal: CurrentPrincipal, post_id: PostId, body: PostModeration
) -> PostOut:
    """Hide a post, or show it again (the board's moderators). Hiding needs a ``reason``,
    shown in the post's place; each change is an audit entry in the same transaction."""
    services = get_services(request)
    await _request_limit(services, principal)
    async with services.db.connect() as conn:
        found = await store.get_post(conn, post_id)
    if found is None:
        raise PostNotFoundError(f"no post {post_id}", post_id=post_id)
    board = parse_board(found.board)
    roles = await _roles(services, principal, board)
    post = await _forums(services).moderate_post(
        post_id, actor_of(request, principal, acting_role(roles)), roles, body.hidden, body.reason
    )
    return PostOut.model_validate(post_payload(post))
