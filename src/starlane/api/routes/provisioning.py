"""``POST /api/v1/regions``: a Galactic Citizen requests a region and governs it.

The route reads the caller's membership (:func:`starlane.store.membership.membership_status`)
and hands the request to the galaxy's provisioner
(:class:`starlane.engine.provisioning.RegionProvisioner`), which checks the rules, generates the
region, opens its Nexus gate terminal and starts its engine before answering 201. Refusals:
403 ``not_a_citizen``, 409 ``region_limit``, 409 ``name_taken``, 409 ``no_free_terminal``,
422 ``validation_error`` (a size outside 100-1,500, a name outside 3-40 characters), 429
``rate_limited`` (the game commands' limit), 503 when the Nexus engine cannot take the
terminal.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from starlane.api.deps import GameCaller
from starlane.api.schemas import Problem
from starlane.api.schemas.provisioning import ProvisionedRegionOut, RegionRequest
from starlane.store.membership import membership_status

router = APIRouter(prefix="/api/v1", tags=["regions"])

PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "`not_a_citizen`: only Galactic Citizens"},
    404: {"model": Problem, "description": "`unknown_region`: the galaxy runs no Central Nexus"},
    409: {
        "model": Problem,
        "description": "`region_limit`, `name_taken` or `no_free_terminal`",
    },
    422: {
        "model": Problem,
        "description": "`validation_error`: a size outside 100-1,500, a name outside 3-40",
    },
    429: {"model": Problem, "description": "rate limited (the game commands' limit)"},
    503: {"model": Problem, "description": "the Nexus engine is busy or unavailable: retry"},
}


@router.post(
    "/regions",
    status_code=201,
    response_model=ProvisionedRegionOut,
    responses=PROBLEMS,
    summary="Request a region (Galactic Citizens)",
)
async def request_region(
    caller: GameCaller, body: RegionRequest, response: Response
) -> ProvisionedRegionOut:
    """Generate a player region for the caller, connect it to the Nexus and make them its
    governor. Answered once the region runs and its gate terminal is open."""
    principal, services = caller
    await services.limiter.hit("command", f"player:{principal.account_id}")
    status = await membership_status(services.db, principal.account_id, services.clock())
    region = await services.galaxy.provisioning.provision(
        principal.account_id,
        body.name,
        body.description,
        body.sector_count,
        is_citizen=status is not None and status.is_citizen,
        limit=services.settings.regions_per_citizen,
    )
    response.headers["Location"] = f"/api/v1/regions/{region.region_id}"
    return ProvisionedRegionOut(
        id=region.region_id,
        name=region.name,
        description=region.description,
        kind=region.kind,
        sector_count=region.sector_count,
        first_sector_id=region.first_sector_id,
        gate_sector_id=region.gate_sector_id,
        terminal_sector_id=region.terminal_sector_id,
        governor_id=region.governor_id,
        opened_at=region.created_at,
    )
