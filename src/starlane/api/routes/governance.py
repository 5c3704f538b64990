"""A region's governor and moderators: policies, permits, moderators (``/api/v1/regions/{id}``).

=======  ==========================================  ============================  =========
method   path                                        who (``REGION_RIGHTS``)       answers
=======  ==========================================  ============================  =========
PATCH    ``/regions/{id}/policies``                  governor                      the region
PUT      ``/regions/{id}/permits/{player_id}``       governor, moderators          the permit
DELETE   ``/regions/{id}/permits/{player_id}``       governor, moderators          the permit
GET      ``/regions/{id}/permits``                   governor, moderators          a page
PUT      ``/regions/{id}/moderators/{player_id}``    governor                      moderator
DELETE   ``/regions/{id}/moderators/{player_id}``    governor                      moderator
GET      ``/regions/{id}/moderators``                governor, moderators          the list
=======  ==========================================  ============================  =========

Every route takes its caller from the one dependency
:func:`~starlane.api.region_access.region_caller` with its action; none checks roles by hand.
Policy changes and permits are commands to the region's engine
(:meth:`~starlane.engine.router.GalaxyService.execute_in`), so a change is effective for the
next command the region decides and a suspended region refuses it (403
``region_suspended``); their audit entries follow the committed events
(:func:`~starlane.audit.governance.audit_region_events`). Moderators are relational rows
written with their audit entry in one unit of work.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from starlane.api.errors import ApiError, problem_responses
from starlane.api.region_access import RegionCaller, RegionId, region_caller
from starlane.api.routes.admin import actor_of
from starlane.api.schemas.governance import (
    ModeratorList,
    ModeratorOut,
    PermitOut,
    PermitPage,
    PolicyChange,
)
from starlane.api.schemas.world import RegionOut
from starlane.audit.governance import audit_region_events, change_moderator
from starlane.domain.errors import RegionSuspendedError
from starlane.domain.governance import acting_role
from starlane.domain.policies import ChangePolicy, GrantPermit, RevokePermit
from starlane.domain.reads import region_view
from starlane.store.region_moderators import moderators_of

router = APIRouter(prefix="/api/v1", tags=["governance"])

PolicyGovernor = Annotated[RegionCaller, region_caller("region.policies.change")]
PermitStaff = Annotated[RegionCaller, region_caller("region.permits.change")]
PermitReader = Annotated[RegionCaller, region_caller("region.permits.list")]
ModeratorGovernor = Annotated[RegionCaller, region_caller("region.moderators.change")]
ModeratorReader = Annotated[RegionCaller, region_caller("region.moderators.list")]

PlayerId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the player's (account) id")]
"""The ``{player_id}`` path parameter."""

PROBLEMS: dict[int | str, dict[str, Any]] = problem_responses(401, 403, 404, 409, 422, 429)
"""401 no token; 403 ``forbidden`` (no right in this region) or ``region_suspended``; 404
``unknown_region`` or ``account_not_found``; 409 ``name_taken``; 422 ``policy_out_of_bounds``
or ``validation_error``; 429 ``rate_limited``."""


async def _limit(caller: RegionCaller) -> None:
    await caller.services.limiter.hit("command", f"player:{caller.principal.account_id}")


def _active(caller: RegionCaller) -> None:
    region = caller.region
    if region.status != "active":
        raise RegionSuspendedError(
            f"region {region.name} is {region.status}", region_id=region.id, status=region.status
        )


async def _known_account(caller: RegionCaller, player_id: int) -> None:
    if await caller.services.accounts.get(player_id) is None:
        raise ApiError(404, "account_not_found", f"no account {player_id}")


def _region_out(caller: RegionCaller, region_id: int) -> RegionOut:
    region = caller.services.galaxy.region_info(region_id) or caller.region
    return RegionOut.model_validate(region_view(region, show_treasury=True))


# --- policies --------------------------------------------------------------------------------
@router.patch("/regions/{region_id}/policies", response_model=RegionOut, responses=PROBLEMS)
async def change_policies(
    request: Request, caller: PolicyGovernor, region_id: RegionId, body: PolicyChange
) -> RegionOut:
    """Change any of the region's policies within their bounds (the governor).

    Each field out of its bounds answers 422 ``policy_out_of_bounds`` naming the field in the
    problem's ``context``; a name another region has answers 409 ``name_taken``. The change
    is a region event (effective for the next command there) and an audit entry with the
    values before and after. Answers the region with its policies after the change.
    """
    await _limit(caller)
    changes = body.model_dump(exclude_none=True)
    name = changes.get("name")
    if isinstance(name, str):
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
    recorded = await caller.services.galaxy.execute_in(
        region_id, ChangePolicy(caller.principal.account_id, changes)
    )
    await audit_region_events(
        caller.services.uow, recorded, actor_of(request, caller.principal, "governor")
    )
    return _region_out(caller, region_id)


# --- permits ---------------------------------------------------------------------------------
async def _permit(
    request: Request, caller: RegionCaller, region_id: int, player_id: int, grant: bool
) -> PermitOut:
    await _limit(caller)
    role = acting_role(caller.roles)
    actor = caller.principal.account_id
    command = GrantPermit(actor, player_id, role) if grant else RevokePermit(actor, player_id, role)
    recorded = await caller.services.galaxy.execute_in(region_id, command)
    await audit_region_events(
        caller.services.uow, recorded, actor_of(request, caller.principal, role)
    )
    region = caller.services.galaxy.region_info(region_id) or caller.region
    return PermitOut(region_id=region_id, player_id=player_id, permit=player_id in region.permits)


@router.put(
    "/regions/{region_id}/permits/{player_id}", response_model=PermitOut, responses=PROBLEMS
)
async def grant_permit(
    request: Request, caller: PermitStaff, region_id: RegionId, player_id: PlayerId
) -> PermitOut:
    """Give a player a permit to enter the region under ``permit`` immigration (the governor
    or a moderator). Granting a permit held already changes nothing."""
    await _known_account(caller, player_id)
    return await _permit(request, caller, region_id, player_id, True)


@router.delete(
    "/regions/{region_id}/permits/{player_id}", response_model=PermitOut, responses=PROBLEMS
)
async def revoke_permit(
    request: Request, caller: PermitStaff, region_id: RegionId, player_id: PlayerId
) -> PermitOut:
    """Take a player's permit away (the governor or a moderator); revoking a permit not held
    changes nothing. Players already inside stay."""
    return await _permit(request, caller, region_id, player_id, False)


@router.get("/regions/{region_id}/permits", response_model=PermitPage, responses=PROBLEMS)
async def list_permits(
    caller: PermitReader,
    region_id: RegionId,
    cursor: Annotated[
        str | None, Query(pattern=r"^[0-9]{1,10}$", description="next_cursor of the last page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> PermitPage:
    """The region's permit holders by player id, a page at a time (the governor and the
    moderators)."""
    await _limit(caller)
    after = int(cursor) if cursor else 0
    holders = sorted(p for p in caller.region.permits if p > after)
    page = holders[:limit]
    more = len(holders) > limit
    return PermitPage(
        region_id=region_id, items=page, next_cursor=str(page[-1]) if more and page else None
    )


# --- moderators ------------------------------------------------------------------------------
async def _moderator(
    request: Request, caller: RegionCaller, region_id: int, player_id: int, appoint: bool
) -> ModeratorOut:
    await _limit(caller)
    _active(caller)
    services = caller.services
    await change_moderator(
        services.uow,
        region_id,
        player_id,
        appoint,
        actor_of(request, caller.principal, "governor"),
        services.clock(),
    )
    return ModeratorOut(region_id=region_id, player_id=player_id, moderator=appoint)


@router.put(
    "/regions/{region_id}/moderators/{player_id}", response_model=ModeratorOut, responses=PROBLEMS
)
async def appoint_moderator(
    request: Request, caller: ModeratorGovernor, region_id: RegionId, player_id: PlayerId
) -> ModeratorOut:
    """Appoint a moderator of the region (the governor); appointing one twice changes
    nothing."""
    await _known_account(caller, player_id)
    return await _moderator(request, caller, region_id, player_id, True)


@router.delete(
    "/regions/{region_id}/moderators/{player_id}", response_model=ModeratorOut, responses=PROBLEMS
)
async def dismiss_moderator(
    request: Request, caller: ModeratorGovernor, region_id: RegionId, player_id: PlayerId
) -> ModeratorOut:
    """Dismiss a moderator of the region (the governor); dismissing a player who is not one
    changes nothing."""
    return await _moderator(request, caller, region_id, player_id, False)


@router.get("/regions/{region_id}/moderators", response_model=ModeratorList, responses=PROBLEMS)
async def list_moderators(caller: ModeratorReader, region_id: RegionId) -> ModeratorList:
    """The region's moderators by player id (the governor and the moderators)."""
    await _limit(caller)
    found = await moderators_of(caller.services.db, region_id)
    return ModeratorList(region_id=region_id, moderators=sorted(found))
