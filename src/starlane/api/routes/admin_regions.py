"""The operator's region controls (``/api/v1/admin/regions``): list, suspend, resume, transfer,
close.

Same rules as :mod:`starlane.api.routes.admin` (admins only, read from the database on every
request; every change audited with a required justification; 202 with an ``approval_id`` for
an action under the two-person rule, ``region.transfer`` and ``region.close`` by default).
Each change is an event of the region's own stream
(:mod:`starlane.domain.region_admin`); a closure answers once it has started (``closing``)
and evacuates the region in the background.

Refusals: 404 ``unknown_region`` (or ``account_not_found`` for a transfer to no account),
409 ``already_suspended``, ``not_suspended``, ``region_closed`` (closing or closed),
``platform_region`` (Terran Space and the Nexus are never closed or transferred),
``already_governor``; 403 ``forbidden`` for non-admins; 422 ``justification_required``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from starlane.api.auth import Principal
from starlane.api.errors import ApiError
from starlane.api.routes.admin import ACTION_RESPONSES, PROBLEMS, AdminCaller, actor_of, answer
from starlane.api.schemas.admin import JUSTIFICATION, ActionDone, Justified
from starlane.api.schemas.common import ApiModel
from starlane.api.services import Services
from starlane.audit.region_actions import RegionActions

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

RegionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the region's id")]
"""A region id as a path parameter."""


class AdminRegionOut(ApiModel):
    """A region as operators see it."""

    id: int
    name: str
    kind: str
    status: Literal["active", "suspended", "closing", "closed"]
    governor_id: int | None
    players: int = Field(description="players in the region now")
    treasury: int = Field(description="credits")


class AdminRegionList(ApiModel):
    """Every region of the galaxy, by id (closed ones included)."""

    items: list[AdminRegionOut]


class TransferRequest(ApiModel):
    """The new governor (an existing account) and the reason."""

    governor_id: int = Field(ge=1, le=2**31 - 1)
    justification: str = JUSTIFICATION


def _regions_of(services: Services) -> RegionActions:
    actions = services.region_admin
    if actions is None:
        raise ApiError(503, "engine_unavailable", "the server is starting")
    return actions


def _caller(caller: tuple[Principal, Services]) -> tuple[Principal, RegionActions]:
    return caller[0], _regions_of(caller[1])


@router.get("/regions", response_model=AdminRegionList, responses=PROBLEMS)
async def regions_list(caller: AdminCaller) -> AdminRegionList:
    """Every region with its status, governor, population and treasury."""
    items = [
        AdminRegionOut(
            id=s.region.id,
            name=s.region.name,
            kind=str(s.region.kind),
            status=s.region.status,
            governor_id=s.region.governor_id,
            players=len(s.players),
            treasury=s.region.treasury,
        )
        for s in caller[1].galaxy.regions()
    ]
    return AdminRegionList(items=items)


@router.post("/regions/{region_id}/suspend", response_model=ActionDone, responses=ACTION_RESPONSES)
async def regions_suspend(
    request: Request, caller: AdminCaller, region_id: RegionId, body: Justified
) -> ActionDone | JSONResponse:
    """Suspend a region: arrivals refused with ``region_suspended``; players inside may
    leave (warps, autopilot, the gate); trade and policy changes there are refused."""
    principal, regions = _caller(caller)
    outcome = await regions.suspend(actor_of(request, principal), region_id, body.justification)
    return answer(outcome)


@router.post("/regions/{region_id}/resume", response_model=ActionDone, responses=ACTION_RESPONSES)
async def regions_resume(
    request: Request, caller: AdminCaller, region_id: RegionId, body: Justified
) -> ActionDone | JSONResponse:
    """Resume a suspended region."""
    principal, regions = _caller(caller)
    outcome = await regions.resume(actor_of(request, principal), region_id, body.justification)
    return answer(outcome)


@router.post("/regions/{region_id}/transfer", response_model=ActionDone, responses=ACTION_RESPONSES)
async def regions_transfer(
    request: Request, caller: AdminCaller, region_id: RegionId, body: TransferRequest
) -> ActionDone | JSONResponse:
    """Give a region to another governor (needs a second admin by default)."""
    principal, regions = _caller(caller)
    outcome = await regions.transfer(
        actor_of(request, principal), region_id, body.governor_id, body.justification
    )
    return answer(outcome)


@router.post("/regions/{region_id}/close", response_model=ActionDone, responses=ACTION_RESPONSES)
async def regions_close(
    request: Request, caller: AdminCaller, region_id: RegionId, body: Justified
) -> ActionDone | JSONResponse:
    """Close a region (needs a second admin by default): every player in it or on the way to
    it is relocated with ship, cargo and credits to the Nexus refugee-assistance district,
    the treasury is paid to the governor, the Nexus terminal closes and the region stays in
    the catalogue as ``closed``. Answers once the closure started (``status`` ``closing``)."""
    principal, regions = _caller(caller)
    outcome = await regions.close(actor_of(request, principal), region_id, body.justification)
    return answer(outcome)
