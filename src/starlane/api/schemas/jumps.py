"""Request and response models of Warp Jumper jumps and discovery (``/me/jump``,
``/me/discoveries``, ``/discovery/scan``)."""

from __future__ import annotations

from pydantic import Field

from starlane.api.schemas.common import MAX_ID, ApiModel, Id, RequestModel, WholeNumber
from starlane.api.schemas.player import SectorOut

__all__ = ["DiscoveryOut", "JumpRequest", "JumpResponse", "ScanRegionOut"]


class JumpRequest(RequestModel):
    """``POST /api/v1/me/jump``: the sector to jump to, in any region."""

    to_sector_id: WholeNumber = Field(ge=1, le=MAX_ID)


class JumpResponse(ApiModel):
    """``POST /api/v1/me/jump``: the jump and the sector arrived in."""

    from_sector_id: Id
    sector_id: Id
    region_id: Id = Field(description="the region the player is in after the jump")
    distance: float = Field(description="straight-line distance jumped, coordinate units")
    fuel_burned: int
    fuel_left: int = Field(description="fuel units left in the holds")
    first_visit: bool
    discovery_bonus: int = Field(
        default=0, description="credits paid for being a new region's first visitor"
    )
    next_jump_at: float = Field(description="unix seconds from which the drive may fire again")
    credits: int
    sector: SectorOut


class DiscoveryOut(ApiModel):
    """One sector the player discovered (was the first to enter)."""

    sector_id: Id
    region_id: Id
    region_name: str
    number: int = Field(description="the sector's number in its region")
    discovered_at: float = Field(description="unix seconds")


class ScanRegionOut(ApiModel):
    """A region opened in the discovery window that the player has not visited."""

    region_id: Id
    name: str
    opened_at: float = Field(description="unix seconds")
    bonus: int = Field(description="credits it still pays its first visitor (0 once paid)")
    immigration: str = Field(description="open, permit or closed")
