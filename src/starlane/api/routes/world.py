"""The map: sectors (with fog of war) and regions (``/api/v1/sectors``, ``/api/v1/regions``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from starlane.api.deps import CurrentPrincipal
from starlane.api.routes import DataResponse
from starlane.api.routes.player import PROBLEMS
from starlane.api.schemas import (
    DEFAULT_PAGE,
    MAX_ID,
    MAX_PAGE,
    Page,
    RegionMap,
    RegionOut,
    SectorOut,
)

router = APIRouter(prefix="/api/v1", tags=["world"])

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of a page")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="items per page")]


@router.get(
    "/sectors/{sector_id}",
    response_model=SectorOut,
    responses=PROBLEMS,
    summary="A sector you are in or have discovered",
)
async def sector(sector_id: IdPath, request: Request, principal: CurrentPrincipal) -> Response:
    """Warps (with turn cost), port, planets, pirates and ships present; 404 for a sector you
    have not discovered (admins see every sector)."""
    return DataResponse(request.app.state.game.sector_data(principal, sector_id))


@router.get("/regions", response_model=Page[RegionOut], responses=PROBLEMS, summary="All regions")
async def regions(
    request: Request,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> Page[RegionOut]:
    """Every region's summary, by id, a page at a time."""
    result: Page[RegionOut] = request.app.state.game.regions(cursor, limit)
    return result


@router.get(
    "/regions/{region_id}", response_model=RegionOut, responses=PROBLEMS, summary="One region"
)
async def region(region_id: IdPath, request: Request, principal: CurrentPrincipal) -> RegionOut:
    """Kind, name, sector count, governor and policies of a region."""
    result: RegionOut = request.app.state.game.region(region_id)
    return result


@router.get(
    "/regions/{region_id}/map",
    response_model=RegionMap,
    responses=PROBLEMS,
    summary="The sectors of a region you have discovered",
)
async def region_map(
    region_id: IdPath,
    request: Request,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> RegionMap:
    """Sectors with number, coordinates, cluster, hazard, port class and warps with turn cost:
    the ones you have discovered (fog of war; admins see all)."""
    result: RegionMap = request.app.state.game.region_map(principal, region_id, cursor, limit)
    return result
