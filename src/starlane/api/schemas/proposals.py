"""Request and answer models of the proposal routes (``/api/v1/regions/{id}/proposals``,
``/api/v1/proposals/{id}``).

A policy proposal's ``changes`` is the governor's :class:`PolicyChange` (types only; the
bounds are the domain's, ``policy_out_of_bounds`` naming the field).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from starlane.api.schemas.common import ApiModel, Id
from starlane.api.schemas.governance import PolicyChange


class ProposalIn(ApiModel):
    """``POST /api/v1/regions/{id}/proposals``: ``{"kind": "policy", "changes": {...}}`` or
    ``{"kind": "recall"}``."""

    kind: Literal["policy", "recall"] = Field(
        description="policy: change policies within the governor's bounds; recall: remove "
        "the governor"
    )
    changes: PolicyChange | None = Field(
        default=None, description="the policies to change (a policy proposal only)"
    )

    @model_validator(mode="after")
    def _changes_with_policy(self) -> ProposalIn:
        if self.kind == "policy" and (
            self.changes is None or not self.changes.model_dump(exclude_none=True)
        ):
            raise ValueError("a policy proposal names at least one change")
        if self.kind == "recall" and self.changes is not None:
            raise ValueError("a recall has no changes")
        return self


class VoteIn(ApiModel):
    """``POST /api/v1/proposals/{id}/votes``: a citizen's vote (a second vote replaces the
    first until the close)."""

    choice: Literal["yes", "no"]


class TallyOut(ApiModel):
    """The votes of a proposal (of the region's current citizens while open; as counted at
    the close once closed)."""

    yes: int = Field(ge=0)
    no: int = Field(ge=0)
    votes: int = Field(ge=0, description="yes + no")
    citizens: int = Field(ge=0, description="the region's citizens (the quorum's base)")
    quorum_needed: int = Field(ge=0, description="votes the quorum needs")


class ProposalOut(ApiModel):
    """A proposal, its tally and where it stands."""

    id: Id
    region_id: Id
    proposer_id: Id
    kind: Literal["policy", "recall"]
    changes: dict[str, Any] = Field(description="the policies to change (empty for a recall)")
    state: Literal["open", "passed", "rejected", "no_quorum", "failed"]
    created_at: float
    closes_at: float = Field(description="unix seconds the vote closes")
    closed_at: float | None = None
    tally: TallyOut
    failure: str | None = Field(
        default=None, description="why a passed proposal could not be enacted (an error code)"
    )
    event_position: int | None = Field(
        default=None, description="global position of the region event that enacted it"
    )
    my_vote: Literal["yes", "no"] | None = Field(
        default=None, description="the caller's vote, if any"
    )


class ProposalPage(ApiModel):
    """``GET /api/v1/regions/{id}/proposals``: one page, newest first."""

    region_id: Id
    items: list[ProposalOut]
    next_cursor: str | None = None
