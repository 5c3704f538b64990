"""Request and answer models of diplomacy: stances and trade agreements between regions.

The answer models document the views of :mod:`starlane.domain.reads.diplomacy`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool

from starlane.api.schemas.common import ApiModel, Id, Page, RequestModel, WholeNumber

__all__ = [
    "AgreementOut",
    "AgreementPage",
    "AgreementRequest",
    "DiplomacyOut",
    "StanceOut",
    "StanceRequest",
]

Percent = Annotated[WholeNumber, Field(ge=0, le=100)]


class StanceRequest(RequestModel):
    """``PUT /api/v1/regions/{id}/stances/{other_id}``: the region's stance towards another."""

    stance: Literal["allied", "neutral", "hostile"] = Field(description="the stance")
    refuse_entry: StrictBool = Field(
        default=False,
        description="refuse entry through the gates to the other region's citizens (only "
        "with `hostile`: otherwise 422 `invalid_stance`)",
    )


class StanceOut(ApiModel):
    """A stance between two regions, as one of them holds it."""

    region_id: Id = Field(description="the region holding the stance")
    other_region_id: Id = Field(description="the region it is held towards")
    stance: str = Field(description="allied, neutral or hostile")
    refuse_entry: bool = Field(description="the holder refuses the other's citizens entry")
    set_at: float = Field(description="unix seconds it was set")


class AgreementRequest(RequestModel):
    """``POST /api/v1/regions/{id}/agreements``: propose a trade agreement to another region."""

    other_region_id: Annotated[WholeNumber, Field(ge=1, le=2**31 - 1)] = Field(
        description="the region asked to accept"
    )
    toll_discount_pct: Percent = Field(
        description="percent off each region's gate toll for the other's citizens, 0-100"
    )
    tax_discount_pct: Percent = Field(
        description="percent off each region's trade tax for the other's citizens, 0-100"
    )
    days: Annotated[WholeNumber, Field(ge=1, le=3650)] = Field(
        description="how long it runs once accepted, days (1-3650)"
    )


class AgreementOut(ApiModel):
    """A trade agreement between two regions."""

    id: str = Field(description="`{owner_region_id}-{n}`")
    owner_region_id: Id = Field(description="the proposing region (it decides every change)")
    other_region_id: Id = Field(description="the region asked to accept")
    toll_discount_pct: int
    tax_discount_pct: int
    days: int
    status: str = Field(description="proposed, active, expired or cancelled (now)")
    proposed_by: Id
    proposed_at: float
    accepted_by: Id | None = None
    accepted_at: float | None = None
    expires_at: float | None = Field(default=None, description="unix seconds, once accepted")
    cancelled_by: Id | None = None
    cancelled_at: float | None = None


class AgreementPage(Page[AgreementOut]):
    """``GET /api/v1/regions/{id}/agreements``: the region's agreements, by id."""

    region_id: Id


class DiplomacyOut(ApiModel):
    """A region's relations, in its view."""

    stances: list[StanceOut] = Field(description="the region's stances towards others")
    stances_towards: list[StanceOut] = Field(description="other regions' stances towards it")
    agreements: list[AgreementOut] = Field(
        description="its agreements proposed or in force (not cancelled or expired)"
    )
