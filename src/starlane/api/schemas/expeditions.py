"""Request and answer models of the trade expedition routes (``/api/v1/expeditions``).

The waypoint list's length is the domain's to judge (422 ``too_few_waypoints`` or
``too_many_waypoints``, ``duplicate_waypoint``), so the model accepts up to :data:`MAX_LISTED`
ids before its own ``validation_error``; the OpenAPI document states the contract (2-10
distinct ids).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from starlane.api.schemas.common import MAX_ID, ApiModel, Id, RequestModel, _whole_number

MAX_LISTED = 64
"""Longest waypoint list the model takes (longer: ``validation_error``)."""

SectorId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_whole_number)]
Turns = Annotated[int, Field(ge=1, le=1_000_000), BeforeValidator(_whole_number)]


class PlanRequest(RequestModel):
    """``POST /api/v1/expeditions/plan`` and ``POST /api/v1/expeditions``."""

    waypoints: list[SectorId] = Field(
        max_length=MAX_LISTED,
        description="2-10 distinct sector ids to visit, in any order",
        # the contract; the domain refuses the rest with its own codes (too_few_waypoints,
        # too_many_waypoints, duplicate_waypoint), so the model itself takes up to 64 ids
        json_schema_extra={"minItems": 2, "maxItems": 10, "uniqueItems": True},
    )
    max_turns: Turns | None = Field(
        default=None, description="the expedition's turn limit (route and trades), if any"
    )


class TradeOut(ApiModel):
    """One trade of a leg: ``credits`` received (a sale) or paid (a purchase, negative)."""

    commodity: str
    side: str = Field(description="buy or sell, the player's side")
    units: int
    credits: int
    refused: str | None = Field(
        default=None, description="actual trades only: the refusal code when it was not made"
    )


class RiskOut(ApiModel):
    """What may go wrong on a leg (or on the whole expedition)."""

    level: str = Field(description="low, medium or high")
    max_piracy: int = Field(description="highest piracy level (0-5) on the path")
    pirate_sectors: int = Field(description="sectors with pirates on the path")
    tolls: int = Field(description="gate tolls on the path, credits")
    closed_regions: list[int] = Field(description="regions entered that are closed or suspended")
    hostile_regions: list[int] = Field(
        description="regions entered whose immigration policy does not admit you"
    )


class LegFigures(ApiModel):
    """A leg's turns, tolls, trade credits and trades (projected, or actual once flown)."""

    turns: int
    tolls: int
    credits: int = Field(description="credits the trades brought (sales minus purchases)")
    trades: list[TradeOut]
    flown_at: float | None = Field(default=None, description="actual only: unix seconds")


class LegOut(ApiModel):
    """One leg: the route to a waypoint and the trades there."""

    leg: int = Field(description="0-based position in flying order")
    sector_id: Id
    region_id: Id
    port_id: Id | None
    path: list[int] = Field(description="sectors flown, from the previous stop")
    risk: RiskOut
    projected: LegFigures
    actual: LegFigures | None = Field(default=None, description="None until the leg is flown")


class PlanOut(ApiModel):
    """``POST /api/v1/expeditions/plan``: the best order and its projection (nothing saved)."""

    waypoints: list[int] = Field(description="the waypoints as listed")
    order: list[int] = Field(description="the waypoints in flying order")
    exact: bool = Field(description="whether the order is the proven best (up to 8 waypoints)")
    start_sector_id: Id
    budget: int = Field(description="credits one purchase may cost (your credits when planned)")
    max_turns: int | None
    projected_profit: int = Field(description="credits from trades minus tolls")
    projected_turns: int
    turns_available: int | None = Field(default=None, description="your turns when planned")
    real_duration_seconds: float = Field(
        description="real time until your turns cover the expedition (0: they do now)"
    )
    risk: RiskOut
    legs: list[LegOut]


class ExpeditionOut(PlanOut):
    """A saved expedition: the plan, how far it was flown, actual against projected."""

    id: Id
    status: str = Field(description="planned, flying or finished")
    created_at: float
    finished_at: float | None
    next_leg: int = Field(description="legs flown so far (the next leg's position)")
    actual_profit: int = Field(description="credits gained over the legs flown (tolls included)")
    actual_turns: int = Field(description="turns spent over the legs flown")


class ExpeditionSummary(ApiModel):
    """An expedition in the list."""

    id: Id
    status: str
    created_at: float
    finished_at: float | None
    next_leg: int
    legs: int
    projected_profit: int
    projected_turns: int


class ExpeditionPage(ApiModel):
    """``GET /api/v1/expeditions``: your expeditions, newest first."""

    items: list[ExpeditionSummary]
    next_cursor: str | None = None
