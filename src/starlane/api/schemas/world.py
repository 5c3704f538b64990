"""Regions, region maps and health checks."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from starlane.api.schemas.common import (
    ApiModel,
    CommodityKey,
    Id,
    Page,
)


# --- regions ------------------------------------------------------------------------------
class RegionPolicyOut(ApiModel):
    """A region's governor-set policies."""

    tax_rate: float
    regen_multiplier: float
    price_multipliers: dict[CommodityKey, float]
    immigration: str
    pvp: bool
    gate_toll: int
    starting_credits: int


class RegionOut(ApiModel):
    """``GET /api/v1/regions/{id}`` (and entries of ``GET /api/v1/regions``)."""

    id: Id
    kind: str
    name: str
    description: str
    sector_count: int
    first_sector_id: Id
    governor_id: Id | None
    policies: RegionPolicyOut
    active: bool
    opened_at: float
    status: str = "active"
    treasury: int | None = Field(
        default=None,
        description="credits from taxes and tolls; shown to admins and the region's governor",
    )


class MapWarp(ApiModel):
    """A warp on a region map (``turn_cost`` as in :class:`WarpOut`)."""

    to_sector_id: Id
    turn_cost: int


class MapSector(ApiModel):
    """A sector on a region map."""

    id: Id
    number: int
    x: float
    y: float
    z: float
    cluster: int
    hazard: str | None
    port_class: int | None
    warps: list[MapWarp]


class RegionMap(Page[MapSector]):
    """``GET /api/v1/regions/{id}/map``: one page of the discovered sectors of a region."""

    region_id: Id
    total_visible: int


# --- health -------------------------------------------------------------------------------
class HealthOut(ApiModel):
    """``/healthz`` and ``/readyz``."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, bool] = Field(default_factory=dict)
