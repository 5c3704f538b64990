"""Request and answer of ``POST /api/v1/regions``: a Galactic Citizen's region request."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from starlane.api.schemas.common import ApiModel, Id, RequestModel, WholeNumber
from starlane.domain.provisioning import (
    DESCRIPTION_MAX,
    NAME_MAX,
    NAME_MIN,
    SECTORS_DEFAULT,
    SECTORS_MAX,
    SECTORS_MIN,
)

_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"

RegionName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=NAME_MIN, max_length=NAME_MAX, pattern=_PRINTABLE
    ),
]
"""A region name: 3-40 characters once trimmed, no control characters."""


class RegionRequest(RequestModel):
    """``POST /api/v1/regions``: the region a Galactic Citizen asks for."""

    name: RegionName = Field(
        description="3-40 characters (trimmed); unique among all regions, ignoring case"
    )
    description: Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=DESCRIPTION_MAX, pattern=_PRINTABLE),
    ] = ""
    sector_count: WholeNumber = Field(
        default=SECTORS_DEFAULT,
        ge=SECTORS_MIN,
        le=SECTORS_MAX,
        description="sectors of the region, 100-1,500",
    )


class ProvisionedRegionOut(ApiModel):
    """The region just provisioned, running and reachable through its Nexus terminal."""

    id: Id
    name: str
    description: str
    kind: str
    status: str = "active"
    sector_count: int
    first_sector_id: Id = Field(description="global id of the region's sector number 1")
    gate_sector_id: Id = Field(description="the region's sector whose gate leads to the Nexus")
    terminal_sector_id: Id = Field(
        description="the Nexus transit-authority sector whose gate leads to the region"
    )
    governor_id: Id = Field(description="the requester, who governs the region")
    opened_at: float = Field(description="unix seconds")
