"""The JSON shapes of player-built warp gates (``/api/v1/gates``, :mod:`starlane.domain.gates`)."""

from __future__ import annotations

from pydantic import Field

from starlane.api.schemas.common import MAX_ID, ApiModel, Id, PageQuery, RequestModel, WholeNumber


class BuildGateRequest(RequestModel):
    """``POST /api/v1/gates``: open a construction site in your sector.

    Attributes:
        from_sector_id: your current sector (the gate stands there).
        to_sector_id: the sector the gate leads to (same region, at least 10 warps away).
        toll: credits each other player pays you on passage (0-10,000).
    """

    from_sector_id: WholeNumber = Field(ge=1, le=MAX_ID)
    to_sector_id: WholeNumber = Field(ge=1, le=MAX_ID)
    toll: WholeNumber = Field(default=0, ge=0, le=10_000)


class GatesQuery(PageQuery):
    """``GET /api/v1/gates``: a page of gates by id; ``mine`` keeps only your own."""

    mine: bool = False


class GateOut(ApiModel):
    """A player-built gate.

    Attributes:
        id: gate id.
        owner_id: the player who built it (and receives its tolls).
        region_id: the region it stands in.
        from_sector_id: the sector it stands in.
        to_sector_id: the sector it leads to.
        toll: credits per passage.
        state: ``site`` (taking deliveries), ``building``, ``open``, ``closed``, ``abandoned``.
        credits: credits the construction site holds.
        delivered: commodity -> units delivered to the site.
        missing: commodity -> units still to deliver before construction starts.
        opened_at: unix seconds the site opened.
        due_at: unix seconds construction completes (None before it starts).
        seconds_left: seconds until it completes (None when not under construction).
        finished_at: unix seconds it opened, closed or was abandoned (None before).
        to_region_id: the region it leads to when that is another region (passed through
            the travel saga, with that region's toll and immigration policy), else None.
    """

    id: Id
    owner_id: Id
    region_id: Id
    from_sector_id: Id
    to_sector_id: Id
    toll: int
    state: str
    credits: int
    delivered: dict[str, int]
    missing: dict[str, int]
    opened_at: float
    due_at: float | None = None
    seconds_left: float | None = None
    finished_at: float | None = None
    to_region_id: Id | None = None
