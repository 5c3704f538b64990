"""A region's citizens' proposals and votes (``/api/v1/regions/{id}/proposals``,
``/api/v1/proposals/{id}``).

=======  ==================================  =========================  =======================
method   path                                who (``REGION_RIGHTS``)    answers
=======  ==================================  =========================  =======================
POST     ``/regions/{id}/proposals``         citizens                   201, the proposal
GET      ``/regions/{id}/proposals``         every player               a page, newest first
GET      ``/proposals/{id}``                 every player               the proposal, tally
POST     ``/proposals/{id}/votes``           citizens of the region     the proposal, tally
=======  ==================================  =========================  =======================

Rights come from the one table (:data:`~starlane.domain.governance.REGION_RIGHTS`): the
region routes through :func:`~starlane.api.region_access.region_caller`, the proposal routes
through :func:`proposal_caller`, which finds the proposal's region and asks the same
:func:`~starlane.domain.governance.may`. A caller without the right is refused with 403
``forbidden``. The rules (who votes, quorum, majority, enactment) are in
:mod:`starlane.domain.proposals` and :mod:`starlane.engine.proposals`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NamedTuple

from fastapi import APIRouter, Depends, Path, Query, Request

from starlane.api.auth import Principal
from starlane.api.deps import current_principal, get_services
from starlane.api.errors import ApiError, problem_responses
from starlane.api.region_access import RegionCaller, RegionId, region_caller
from starlane.api.schemas.proposals import (
    ProposalIn,
    ProposalOut,
    ProposalPage,
    TallyOut,
    VoteIn,
)
from starlane.api.services import Services
from starlane.domain.governance import REGION_RIGHTS, RegionRole, may, region_roles
from starlane.engine.proposals import ProposalBoard
from starlane.store.proposals import ProposalRow, list_proposals
from starlane.store.region_moderators import moderators_of

router = APIRouter(prefix="/api/v1", tags=["proposals"])

Proposer = Annotated[RegionCaller, region_caller("region.proposals.create")]
RegionReader = Annotated[RegionCaller, region_caller("region.proposals.read")]

ProposalId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the proposal's id")]
"""The ``{proposal_id}`` path parameter."""

PROBLEMS: dict[int | str, dict[str, Any]] = problem_responses(401, 403, 404, 409, 422, 429)
"""401 no token; 403 ``forbidden`` (not a citizen of the region), ``citizen_too_new`` or
``region_suspended``; 404 ``unknown_region`` or ``unknown_proposal``; 409 ``proposal_closed``,
``proposal_limit``, ``no_governor`` or ``name_taken``; 422 ``policy_out_of_bounds``,
``proposal_changes_nothing``, ``invalid_command`` or ``validation_error``; 429
``rate_limited``."""


class ProposalCaller(NamedTuple):
    """An authenticated caller allowed to take an action on a proposal's region.

    Attributes:
        principal: the caller.
        services: the app's services.
        proposal: the proposal.
        roles: the caller's roles in its region.
    """

    principal: Principal
    services: Services
    proposal: ProposalRow
    roles: frozenset[RegionRole]


def proposal_caller(action: str) -> Any:
    """A FastAPI dependency admitting callers who may take ``action`` in the region of the
    path's proposal (404 ``unknown_proposal``; 403 ``forbidden`` as
    :func:`~starlane.api.region_access.region_caller`).

    Args:
        action: a key of :data:`~starlane.domain.governance.REGION_RIGHTS`.

    Returns:
        ``Depends(...)`` of a dependency returning a :class:`ProposalCaller`.
    """
    allowed = REGION_RIGHTS[action]

    async def dependency(
        request: Request,
        principal: Annotated[Principal, Depends(current_principal)],
        proposal_id: ProposalId,
    ) -> ProposalCaller:
        services = get_services(request)
        proposal = await _board(services).get(proposal_id)
        region = services.galaxy.region_info(proposal.region_id)
        if region is None:
            raise ApiError(404, "unknown_region", f"no region {proposal.region_id}")
        moderators = await moderators_of(services.db, region.id)
        roles = region_roles(principal.account_id, principal.roles, region, moderators)
        if not may(action, roles):
            raise ApiError(
                403,
                "forbidden",
                f"{action} in region {region.name} needs one of these roles: "
                + ", ".join(sorted(allowed)),
                context={"action": action, "allowed_roles": sorted(allowed)},
            )
        return ProposalCaller(principal, services, proposal, roles)

    call: Callable[[Request, Principal, int], Awaitable[ProposalCaller]] = dependency
    return Depends(call)


Voter = Annotated[ProposalCaller, proposal_caller("region.proposals.vote")]
ProposalReader = Annotated[ProposalCaller, proposal_caller("region.proposals.read")]


def _board(services: Services) -> ProposalBoard:
    board = services.proposals
    if board is None:  # pragma: no cover - the lifespan starts it before taking requests
        raise ApiError(503, "engine_unavailable", "the proposal board is not running")
    return board


async def _limit(services: Services, principal: Principal) -> None:
    await services.limiter.hit("command", f"player:{principal.account_id}")


async def _out(board: ProposalBoard, row: ProposalRow, account_id: int) -> ProposalOut:
    tally, mine = await board.tally(row, account_id)
    return ProposalOut(
        id=row.id,
        region_id=row.region_id,
        proposer_id=row.proposer_id,
        kind=row.kind,
        changes=row.changes,
        state=row.state,
        created_at=row.created_at,
        closes_at=row.closes_at,
        closed_at=row.closed_at,
        tally=TallyOut(
            yes=tally.yes,
            no=tally.no,
            votes=tally.votes,
            citizens=tally.citizens,
            quorum_needed=tally.quorum_needed(board.quorum),
        ),
        failure=row.failure,
        event_position=row.event_position,
        my_vote=mine,
    )


def _name_free(caller: RegionCaller, region_id: int, changes: dict[str, Any]) -> None:
    name = changes.get("name")
    if not isinstance(name, str):
        return
    wanted = name.strip().casefold()
    for state in caller.services.galaxy.regions():
        other = state.region
        if other.id != region_id and other.name.strip().casefold() == wanted:
            raise ApiError(
                409,
                "name_taken",
                f"region {other.id} is called {other.name!r} already",
                context={"field": "name", "region_id": other.id},
            )


@router.post(
    "/regions/{region_id}/proposals",
    response_model=ProposalOut,
    status_code=201,
    responses=PROBLEMS,
)
async def create_proposal(caller: Proposer, region_id: RegionId, body: ProposalIn) -> ProposalOut:
    """Propose a policy change within the governor's bounds, or the recall of the governor
    (a citizen of the region; one open proposal per citizen and region).

    The vote lasts ``STARLANE_VOTE_SECONDS`` (``closes_at``); when it closes, a quorum of the
    region's citizens and a simple majority decide. A passed policy change is applied like a
    governor's (a region event, audited with the proposal as the actor); a passed recall
    leaves the region without a governor until an operator appoints one.
    """
    services = caller.services
    await _limit(services, caller.principal)
    changes = body.changes.model_dump(exclude_none=True) if body.changes is not None else {}
    _name_free(caller, region_id, changes)
    board = _board(services)
    row = await board.propose(region_id, caller.principal.account_id, body.kind, changes)
    return await _out(board, row, caller.principal.account_id)


@router.get("/regions/{region_id}/proposals", response_model=ProposalPage, responses=PROBLEMS)
async def region_proposals(
    caller: RegionReader,
    region_id: RegionId,
    cursor: Annotated[
        str | None, Query(pattern=r"^[0-9]{1,10}$", description="next_cursor of the last page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ProposalPage:
    """The region's proposals, newest first, a page at a time (every player)."""
    services = caller.services
    await _limit(services, caller.principal)
    board = _board(services)
    rows = await list_proposals(services.db, region_id, int(cursor) if cursor else None, limit + 1)
    page = rows[:limit]
    items = [await _out(board, row, caller.principal.account_id) for row in page]
    more = len(rows) > limit
    return ProposalPage(
        region_id=region_id, items=items, next_cursor=str(page[-1].id) if more else None
    )


@router.get("/proposals/{proposal_id}", response_model=ProposalOut, responses=PROBLEMS)
async def get_proposal(caller: ProposalReader, proposal_id: ProposalId) -> ProposalOut:
    """A proposal: its changes, its tally, its state and when its vote closes (every
    player)."""
    await _limit(caller.services, caller.principal)
    return await _out(_board(caller.services), caller.proposal, caller.principal.account_id)


@router.post("/proposals/{proposal_id}/votes", response_model=ProposalOut, responses=PROBLEMS)
async def vote(caller: Voter, proposal_id: ProposalId, body: VoteIn) -> ProposalOut:
    """Vote ``yes`` or ``no`` (a citizen of the proposal's region for at least
    ``STARLANE_VOTE_MIN_CITIZEN_DAYS`` days, else 403 ``citizen_too_new``). A second vote
    replaces the first until the close; after it, 409 ``proposal_closed``."""
    services = caller.services
    await _limit(services, caller.principal)
    board = _board(services)
    row = await board.vote(proposal_id, caller.principal.account_id, body.choice)
    return await _out(board, row, caller.principal.account_id)
