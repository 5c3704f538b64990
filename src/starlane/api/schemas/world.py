"""Regions, region maps and health checks."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from starlane.api.schemas.common import (
    ApiModel,
    CommodityKey,
    Id,
    Page,
    PageQuery,
)
from starlane.api.schemas.diplomacy import DiplomacyOut


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
    policies: RegionPolicyOut | None = Field(
        description="the governor's rules; None for a closed region whose engine no longer runs"
    )
    active: bool
    opened_at: float
    status: str = "active"
    treasury: int | None = Field(
        default=None,
        description="credits from taxes and tolls; shown to admins and the region's governor",
    )
    population: int = Field(default=0, ge=0, description="players in the region now")
    gate_toll: int | None = Field(
        default=None,
        description="credits charged for entering through one of its gates (the policy's "
        "`gate_toll`); None for a closed region whose engine no longer runs",
    )
    diplomacy: DiplomacyOut | None = Field(
        default=None,
        description="stances and open trade agreements (in `GET /api/v1/regions/{id}`)",
    )


class RegionsQuery(PageQuery):
    """The query parameters of ``GET /api/v1/regions``: a page, optionally filtered.

    Attributes:
        kind: only regions of this kind (``terran``, ``nexus``, ``player``).
        status: only regions in this status (``active``, ``suspended``, ``closed``).
    """

    kind: Literal["terran", "nexus", "player"] | None = Field(
        default=None, description="only regions of this kind"
    )
    status: Literal["active", "suspended", "closed"] | None = Field(
        default=None, description="only regions in this status"
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
