"""Operational endpoints: liveness, readiness and Prometheus metrics (no authentication)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from starlane.api.deps import ServicesDep
from starlane.api.metrics import CONTENT_TYPE
from starlane.api.schemas import HealthOut

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=HealthOut, summary="Liveness: the process answers")
async def healthz() -> HealthOut:
    """Liveness probe: 200 as long as the process serves requests."""
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    response_model=HealthOut,
    summary="Readiness: database reachable and engines started",
    responses={503: {"model": HealthOut, "description": "not ready"}},
)
async def readyz(services: ServicesDep) -> Response:
    """Readiness probe: the database answers and every region engine is running."""
    checks = {"database": False, "engines": False}
    try:
        async with services.db.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = True
    except Exception:
        checks["database"] = False
    engines = services.galaxy.engines
    checks["engines"] = bool(engines) and all(
        e.status == "running" or e.state.region.closed  # a closed region's engine is not run
        for e in engines.values()
    )
    ok = all(checks.values())
    body = HealthOut(status="ok" if ok else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
async def metrics(services: ServicesDep) -> Response:
    """Every metric of this app in the Prometheus text format."""
    return Response(services.metrics.render(), media_type=CONTENT_TYPE)
