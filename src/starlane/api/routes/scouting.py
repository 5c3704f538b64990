"""Scouting reports: ``POST /api/v1/scouting/reports``, ``GET /api/v1/scouting/reports`` and
``GET /api/v1/scouting/reports/{report_id}``.

Filing is the scouting desk's (:class:`starlane.engine.scouting.ScoutingDesk`): refusals 422
``unknown_report_kind``, 404 ``unknown_region``, 409 ``insufficient_scouting_hours``, 409
``scouting_report_too_soon`` (with ``retry_after_seconds``), 429 ``rate_limited``. Any player
may list and read reports (``docs/scouting.md``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from starlane.api.deps import GameCaller
from starlane.api.errors import ApiError
from starlane.api.routes.admin import cursor_value
from starlane.api.routes.game import PROBLEMS as GAME_PROBLEMS
from starlane.api.schemas import Problem
from starlane.api.schemas.scouting import (
    ScoutingReportIn,
    ScoutingReportOut,
    ScoutingReportPage,
    ScoutingReportSummary,
)
from starlane.api.services import Services
from starlane.engine.scouting import ScoutingDesk
from starlane.store.scouting import ReportRow, get_report, list_reports

router = APIRouter(prefix="/api/v1", tags=["scouting"])

PROBLEMS: dict[int | str, dict[str, Any]] = {
    **GAME_PROBLEMS,
    404: {"model": Problem, "description": "`unknown_region`, `report_not_found`"},
    409: {
        "model": Problem,
        "description": "`insufficient_scouting_hours`, `scouting_report_too_soon`",
    },
    422: {"model": Problem, "description": "`unknown_report_kind`, `validation_error`"},
    429: {"model": Problem, "description": "rate limited (the game commands' limit)"},
    503: {"model": Problem, "description": "scouting is not running"},
}


def _desk(services: Services) -> ScoutingDesk:
    if services.scouting is None:
        raise ApiError(503, "scouting_unavailable", "scouting reports are not running")
    return services.scouting


def _summary(services: Services, row: ReportRow) -> dict[str, Any]:
    author = services.galaxy.player(row.author_id)
    return {
        "id": row.id,
        "region_id": row.region_id,
        "author_id": row.author_id,
        "author_name": None if author is None else author.name,
        "kind": row.kind,
        "created_at": row.created_at,
        "age_seconds": round(max(services.clock() - row.created_at, 0.0), 3),
        "quality": row.quality,
        "reward": row.reward,
    }


def _report_out(services: Services, row: ReportRow) -> ScoutingReportOut:
    return ScoutingReportOut(
        **_summary(services, row),
        scouted_hours=round(row.scouted_seconds / 3600, 3),
        coverage=round(row.coverage, 4),
        freshness=round(row.freshness, 4),
        breadth=round(row.breadth, 4),
        sections=row.sections,
        ports_visited=row.ports_visited,
        paid=row.paid_at is not None,
    )


@router.post(
    "/scouting/reports",
    status_code=201,
    response_model=ScoutingReportOut,
    responses=PROBLEMS,
    summary="File a scouting report on a region",
)
async def file_report(
    caller: GameCaller, body: ScoutingReportIn, response: Response
) -> ScoutingReportOut:
    """File a report built from what the caller observed in the region over the last 7 days;
    answered once its reward (quality x credits per point) is paid, or with ``paid`` false
    when the payment is still under way (it completes in the background)."""
    principal, services = caller
    desk = _desk(services)
    await services.limiter.hit("command", f"player:{principal.account_id}")
    filed = await desk.file(principal.account_id, body.region_id, body.kind)
    response.headers["Location"] = f"/api/v1/scouting/reports/{filed.report.id}"
    return _report_out(services, filed.report)


@router.get(
    "/scouting/reports",
    response_model=ScoutingReportPage,
    responses=PROBLEMS,
    summary="List scouting reports (newest first)",
)
async def reports(
    caller: GameCaller,
    region_id: int | None = None,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ScoutingReportPage:
    """Reports with author, age and score, newest first, of one region or all."""
    services = caller.services
    if region_id is not None and region_id not in services.galaxy.engines:
        raise ApiError(404, "unknown_region", f"no region {region_id}")
    rows = await list_reports(
        services.db, region_id, before_id=cursor_value(cursor), limit=limit + 1
    )
    items = [ScoutingReportSummary(**_summary(services, r)) for r in rows[:limit]]
    more = len(rows) > limit
    return ScoutingReportPage(items=items, next_cursor=str(items[-1].id) if more else None)


@router.get(
    "/scouting/reports/{report_id}",
    response_model=ScoutingReportOut,
    responses=PROBLEMS,
    summary="Read a scouting report",
)
async def report(caller: GameCaller, report_id: int) -> ScoutingReportOut:
    """The whole report: its sections, the ports its author visited and its score's parts."""
    services = caller.services
    row = await get_report(services.db, report_id)
    if row is None:
        raise ApiError(404, "report_not_found", f"no scouting report {report_id}")
    return _report_out(services, row)
