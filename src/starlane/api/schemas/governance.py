"""Request and answer models of the governance routes (``/api/v1/regions/{id}/...``).

The request models check types only: the bounds of each policy are the domain's
(:data:`starlane.domain.policies.POLICY_FIELDS`), so a value of the right type out of bounds
is refused with ``policy_out_of_bounds`` naming the field, not with a validation error.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field, StrictBool, StrictStr

from starlane.api.schemas.common import ApiModel, CommodityKey, Id, _whole_number

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
"""A JSON number (an integer is taken as a number; strings are refused)."""
Credits = Annotated[int, BeforeValidator(_whole_number), Field(strict=True)]
"""A whole number of credits (``3`` or ``3.0``; never ``"3"`` or ``true``)."""


class PolicyChange(ApiModel):
    """``PATCH /api/v1/regions/{id}/policies``: any of the governor's controls.

    Absent (or null) fields keep their value. ``price_multipliers`` merges into the region's
    map (a factor of 1 removes a commodity's entry).
    """

    tax_rate: Number | None = Field(
        default=None, description="tax on trade value paid to the treasury, 0-0.25"
    )
    regen_multiplier: Number | None = Field(
        default=None, description="factor on port regeneration, 0.5-2"
    )
    price_multipliers: dict[CommodityKey, Number] | None = Field(
        default=None, description="commodity -> factor on its prices, 0.8-1.25 each"
    )
    immigration: StrictStr | None = Field(default=None, description="open, permit or closed")
    pvp: StrictBool | None = Field(
        default=None, description="player-versus-player combat (never in Terran Space)"
    )
    gate_toll: Credits | None = Field(
        default=None, description="credits charged for entering through a gate, 0-10,000"
    )
    starting_credits: Credits | None = Field(
        default=None, description="credits a new citizen receives once, 0-50,000"
    )
    name: StrictStr | None = Field(default=None, description="3-40 characters, unique")
    description: StrictStr | None = Field(default=None, description="0-2,000 characters")


class PermitOut(ApiModel):
    """``PUT``/``DELETE /api/v1/regions/{id}/permits/{player_id}``: the permit afterwards."""

    region_id: Id
    player_id: Id
    permit: bool = Field(description="whether the player holds a permit now")


class PermitPage(ApiModel):
    """``GET /api/v1/regions/{id}/permits``: one page of permit holders, by player id."""

    region_id: Id
    items: list[Id]
    next_cursor: str | None = None


class ModeratorOut(ApiModel):
    """``PUT``/``DELETE /api/v1/regions/{id}/moderators/{player_id}``: afterwards."""

    region_id: Id
    player_id: Id
    moderator: bool = Field(description="whether the player is a moderator of the region now")


class ModeratorList(ApiModel):
    """``GET /api/v1/regions/{id}/moderators``: the region's moderators, by player id."""

    region_id: Id
    moderators: list[Id]
