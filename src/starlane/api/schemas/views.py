"""The governors' and the operators' views: a region's stats and the platform's overview."""

from __future__ import annotations

from pydantic import Field

from starlane.api.schemas.common import ApiModel, Id


class RegionStatsOut(ApiModel):
    """``GET /api/v1/regions/{id}/stats``: a region now and over the last 24 hours.

    The 24-hour figures come from the ``region_hourly`` read model: the 24 clock hours up to
    now, the current one included (``since`` is the first hour's start), so they cover between
    23 and 24 hours and may lag the game by the projections' batch window.
    """

    region_id: Id
    name: str
    status: str = Field(description="`active`, `suspended` or `closed`")
    population: int = Field(ge=0, description="players in the region now")
    treasury: int = Field(description="credits in the region's treasury now")
    since: int = Field(description="unix seconds: start of the first clock hour counted")
    arrivals: int = Field(ge=0, description="players admitted through its gates")
    departures: int = Field(ge=0, description="players who left through its gates")
    trades: int = Field(ge=0, description="trades at its ports")
    trade_value: int = Field(ge=0, description="value of those trades, credits, before tax")
    tax: int = Field(ge=0, description="tax collected into the treasury, credits")
    tolls: int = Field(ge=0, description="gate tolls collected into the treasury, credits")


class RegionOnlineOut(ApiModel):
    """Players online in one region (see :class:`PlatformOut`)."""

    region_id: Id
    name: str
    status: str
    online: int = Field(ge=0)


class GateTrafficOut(ApiModel):
    """Passages through the gates over the last 24 clock hours, every region together."""

    departures: int = Field(ge=0)
    arrivals: int = Field(ge=0)
    tolls: int = Field(ge=0, description="credits paid into treasuries as gate tolls")


class BillingSummaryOut(ApiModel):
    """Billing webhook events received over the last 30 days."""

    since: float = Field(description="unix seconds: start of the window")
    total: int = Field(ge=0)
    by_type: dict[str, int] = Field(description="event type -> deliveries applied")


class PlatformOut(ApiModel):
    """``GET /api/v1/admin/platform``: the operator's overview.

    ``online``: a player is online when they hold an open WebSocket to this server or their
    commands produced an event in the last ``online_window_seconds`` (5 minutes); each online
    player counts in the region they are in now (``in_transit``: mid-passage between two
    regions).
    """

    at: float = Field(description="unix seconds the view was taken")
    regions_by_status: dict[str, int] = Field(
        description="`active`, `suspended`, `closed` -> number of regions"
    )
    online_window_seconds: int
    online: list[RegionOnlineOut] = Field(description="regions with their online players")
    online_total: int = Field(ge=0)
    in_transit: int = Field(ge=0, description="online players between two regions")
    gate_traffic: GateTrafficOut
    galactic_citizens: int = Field(
        ge=0, description="accounts whose Galactic Citizen membership is in force now"
    )
    billing: BillingSummaryOut
