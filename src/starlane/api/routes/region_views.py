"""The governors' and the operators' views: ``GET /api/v1/regions/{id}/stats`` and
``GET /api/v1/admin/platform``.

The region's stats are for its governor and the platform's admins (the region-scoped action
``region.stats.read``, decided by :func:`starlane.api.region_access.region_caller`); the
platform view for admins only (the admin API's stored-admin check). The live figures
(population, treasury, players' regions) come from the region engines; the figures over a
window from the read models (``region_hourly``, ``activity``) and the relational tables
(``accounts``/``membership_terms``, ``billing_events``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from starlane.api.region_access import RegionCaller, region_caller
from starlane.api.routes.admin import PROBLEMS as ADMIN_PROBLEMS
from starlane.api.routes.admin import AdminCaller
from starlane.api.routes.game import PROBLEMS as GAME_PROBLEMS
from starlane.api.schemas.views import (
    BillingSummaryOut,
    GateTrafficOut,
    PlatformOut,
    RegionOnlineOut,
    RegionStatsOut,
)
from starlane.api.services import Services
from starlane.projections.region_hourly import COUNTERS, HOUR, hour_of
from starlane.store.catalogue import get_region, list_regions
from starlane.store.region_views import (
    billing_summary,
    citizen_count,
    hourly_totals,
    recently_active,
)

router = APIRouter(prefix="/api/v1", tags=["views"])

ONLINE_WINDOW_SECONDS = 300
"""A player whose commands produced an event this recently counts as online (seconds)."""
STATS_HOURS = 24
"""Clock hours the 24-hour figures sum, the current one included."""
BILLING_WINDOW_SECONDS = 30 * 86_400
"""The platform view's billing window (30 days)."""

StatsReader = Annotated[RegionCaller, region_caller("region.stats.read")]
"""The region's governor or a platform admin."""


def stats_since(now: float) -> int:
    """The first clock hour the 24-hour figures count.

    Args:
        now: unix seconds.

    Returns:
        Unix seconds of the start of the hour 23 hours before the current one.
    """
    return hour_of(now) - (STATS_HOURS - 1) * HOUR


async def region_status(services: Services, region_id: int, live: str) -> str:
    """A region's status: ``closed`` when the catalogue says so, else the engine's.

    Args:
        services: the app's services.
        region_id: the region.
        live: the status its engine holds (``active``, ``suspended`` or ``closed``).

    Returns:
        The status.
    """
    row = await get_region(services.db, region_id)
    return "closed" if row is not None and row.status == "closed" else live


@router.get(
    "/regions/{region_id}/stats",
    response_model=RegionStatsOut,
    responses={**GAME_PROBLEMS, 404: {"description": "``unknown_region``"}},
    summary="A region's stats (its governor and admins)",
)
async def region_stats(caller: StatsReader) -> RegionStatsOut:
    """Population and treasury now; arrivals, departures, trades, trade value, tax and tolls
    over the last 24 clock hours (the current one included; ``since`` says from when)."""
    services, region = caller.services, caller.region
    since = stats_since(services.clock())
    totals = await hourly_totals(services.read_db, since, region.id)
    counts = totals.get(region.id, dict.fromkeys(COUNTERS, 0))
    state = services.galaxy.region_state(region.id)
    return RegionStatsOut(
        region_id=region.id,
        name=region.name,
        status=await region_status(services, region.id, region.status),
        population=len(state.players),
        treasury=region.treasury,
        since=since,
        **counts,
    )


@router.get(
    "/admin/platform",
    response_model=PlatformOut,
    responses=ADMIN_PROBLEMS,
    tags=["admin"],
    summary="The platform's overview (admins)",
)
async def platform(caller: AdminCaller) -> PlatformOut:
    """Regions by status, players online per region, gate traffic over 24 clock hours,
    Galactic Citizens now and billing events over 30 days.

    A player is online when they hold an open WebSocket to this server or their commands
    produced an event in the last 5 minutes."""
    services = caller[1]
    now = services.clock()
    galaxy = services.galaxy
    catalogue = await list_regions(services.db)
    names = {row.id: row.name for row in catalogue}
    statuses = {row.id: row.status for row in catalogue if row.status == "closed"}
    for state in galaxy.regions():
        region = state.region
        names[region.id] = region.name
        statuses.setdefault(region.id, region.status)
    by_status = dict.fromkeys(("active", "suspended", "closed"), 0)
    for status in statuses.values():
        by_status[status] = by_status.get(status, 0) + 1
    online_ids = set(services.ws_counts.by_account)
    online_ids |= await recently_active(services.read_db, now - ONLINE_WINDOW_SECONDS)
    per_region = dict.fromkeys(statuses, 0)
    in_transit = 0
    for player_id in online_ids:
        region_id = galaxy.directory.region_of(player_id)
        if region_id is not None:
            per_region[region_id] = per_region.get(region_id, 0) + 1
        elif _in_flight(services, player_id):
            in_transit += 1
    traffic = dict.fromkeys(COUNTERS, 0)
    for counts in (await hourly_totals(services.read_db, stats_since(now))).values():
        for name, value in counts.items():
            traffic[name] += value
    billing_since = now - BILLING_WINDOW_SECONDS
    billing = await billing_summary(services.db, billing_since)
    return PlatformOut(
        at=now,
        regions_by_status=by_status,
        online_window_seconds=ONLINE_WINDOW_SECONDS,
        online=[
            RegionOnlineOut(
                region_id=rid,
                name=names.get(rid, ""),
                status=statuses.get(rid, "active"),
                online=n,
            )
            for rid, n in sorted(per_region.items())
        ],
        online_total=sum(per_region.values()) + in_transit,
        in_transit=in_transit,
        gate_traffic=GateTrafficOut(
            departures=traffic["departures"], arrivals=traffic["arrivals"], tolls=traffic["tolls"]
        ),
        galactic_citizens=await citizen_count(services.db, now),
        billing=BillingSummaryOut(
            since=billing_since, total=billing.total, by_type=billing.by_type
        ),
    )


def _in_flight(services: Services, player_id: int) -> bool:
    """Whether a player is mid-passage (held by a region's departures in flight)."""
    return any(
        any(p.player.id == player_id for p in state.transfers_out.values())
        for state in services.galaxy.regions()
    )
