"""Request and response models of the scouting report routes (``docs/scouting.md``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from starlane.api.schemas.common import ApiModel, RequestModel, WholeNumber
from starlane.domain.scouting import REPORT_KINDS

__all__ = ["ScoutingReportIn", "ScoutingReportOut", "ScoutingReportPage", "ScoutingReportSummary"]


class ScoutingReportIn(RequestModel):
    """A report to file.

    Attributes:
        region_id: the region reported on.
        kind: ``economy``, ``politics``, ``military`` or ``opportunities`` (another value:
            422 ``unknown_report_kind``).
    """

    region_id: WholeNumber = Field(ge=0)
    # The schema lists the kinds; any other text is refused by the desk with 422
    # ``unknown_report_kind`` (the stable code clients match on), not ``validation_error``.
    kind: str = Field(min_length=1, max_length=40, json_schema_extra={"enum": list(REPORT_KINDS)})


class ScoutingReportSummary(ApiModel):
    """A report in a list: author, age and score.

    Attributes:
        id: the report id.
        region_id: the region reported on.
        author_id: the author's player id.
        author_name: the author's name (None when they are no longer in the galaxy).
        kind: the report kind.
        created_at: unix seconds.
        age_seconds: seconds since it was filed.
        quality: the score, 0-100.
        reward: credits the author earned.
    """

    id: int
    region_id: int
    author_id: int
    author_name: str | None
    kind: str
    created_at: float
    age_seconds: float
    quality: int
    reward: int


class ScoutingReportOut(ScoutingReportSummary):
    """A whole report.

    Attributes:
        scouted_hours: game time the author spent in the region over the 7 days before.
        coverage: ports visited / ports in the region, 0-1.
        freshness: 0-1.
        breadth: share of the kind's sections with data, 0-1.
        sections: section name -> what the author observed (empty: nothing observed).
        ports_visited: the ports the author visited there.
        paid: whether the reward is recorded as paid (a report that earned nothing: true).
    """

    scouted_hours: float
    coverage: float
    freshness: float
    breadth: float
    sections: dict[str, Any]
    ports_visited: list[int]
    paid: bool


class ScoutingReportPage(ApiModel):
    """A page of reports, newest first; pass ``next_cursor`` back as ``cursor``.

    Attributes:
        items: the reports.
        next_cursor: the next page's cursor; None on the last page.
    """

    items: list[ScoutingReportSummary]
    next_cursor: str | None = None
