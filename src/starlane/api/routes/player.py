"""The caller's player: status, movement, autopilot, scan and combat (``/api/v1/me``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from starlane.api.deps import CurrentPrincipal
from starlane.api.inputs import json_body, json_body_openapi
from starlane.api.routes import DataResponse
from starlane.api.schemas import (
    AttackRequest,
    AutopilotRequest,
    AutopilotResponse,
    CombatReport,
    MeOut,
    MoveRequest,
    MoveResponse,
    Problem,
    ScanResponse,
)

router = APIRouter(prefix="/api/v1/me", tags=["player"])

PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "missing, invalid or expired access token"},
    403: {"model": Problem, "description": "not allowed"},
    404: {"model": Problem, "description": "not found"},
    409: {"model": Problem, "description": "refused in the current state"},
    422: {"model": Problem, "description": "invalid input"},
    429: {"model": Problem, "description": "rate limited"},
    503: {"model": Problem, "description": "engine busy or unavailable: retry"},
}


@router.get("", response_model=MeOut, responses=PROBLEMS, summary="Your player")
async def me(request: Request, principal: CurrentPrincipal) -> Response:
    """Credits, turns (and when the next one regenerates), region, sector, ship and cargo."""
    return DataResponse(request.app.state.game.me_data(principal))


@router.post(
    "/move",
    response_model=MoveResponse,
    responses=PROBLEMS,
    summary="Move one warp",
    openapi_extra=json_body_openapi(MoveRequest),
)
async def move(request: Request, principal: CurrentPrincipal) -> Response:
    """Move along one warp to an adjacent sector."""
    body = await json_body(request, MoveRequest)  # a MoveRequest, validated in one call
    return DataResponse(await request.app.state.game.move_data(principal, body.to_sector_id))


@router.post(
    "/autopilot",
    response_model=AutopilotResponse,
    responses=PROBLEMS,
    summary="Plan (and fly) the cheapest route",
)
async def autopilot(
    body: AutopilotRequest, request: Request, principal: CurrentPrincipal
) -> AutopilotResponse:
    """Plan the least-turn route to a sector; with ``execute`` fly it (refused up front when
    turns do not cover it)."""
    result: AutopilotResponse = await request.app.state.game.autopilot(
        principal, body.to_sector_id, body.execute
    )
    return result


@router.post(
    "/scan", response_model=ScanResponse, responses=PROBLEMS, summary="Scan the neighbours"
)
async def scan(request: Request, principal: CurrentPrincipal) -> ScanResponse:
    """Discover the sectors one warp away."""
    result: ScanResponse = await request.app.state.game.scan(principal)
    return result


@router.post(
    "/attack", response_model=CombatReport, responses=PROBLEMS, summary="Attack in your sector"
)
async def attack(
    body: AttackRequest, request: Request, principal: CurrentPrincipal
) -> CombatReport:
    """Attack an NPC pirate or another player's ship in your sector."""
    result: CombatReport = await request.app.state.game.attack(principal, body)
    return result
