"""Shapes of a region's treasury withdrawal and of citizenship (``/api/v1/regions/{id}/...``).

Credits are whole credits; a payout's ``outcome`` is ``paid`` (credited to the player),
``pending`` (the player is passing a gate: paid when they land) or ``returned`` (the player
was in no region: the amount went back to the treasury).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from starlane.api.schemas.common import ApiModel, Id, RequestModel, WholeNumber

MAX_WITHDRAWAL = 2**53 - 1
"""Largest amount accepted at the edge (the treasury refuses more than it holds)."""

PayoutOutcome = Literal["paid", "pending", "returned"]


class WithdrawRequest(RequestModel):
    """Credits to move from the treasury to the governor's own credits."""

    amount: WholeNumber = Field(gt=0, le=MAX_WITHDRAWAL, description="credits, > 0")


class WithdrawalOut(ApiModel):
    """A withdrawal done (audited).

    Attributes:
        region_id: the region.
        amount: credits withdrawn.
        treasury_before: the treasury before, credits.
        treasury_after: the treasury after, credits.
        transfer_id: the payout's id.
        outcome: where the credits are (see the module).
        audit_index: the audit entry recording it.
    """

    region_id: Id
    amount: int
    treasury_before: int
    treasury_after: int
    transfer_id: str
    outcome: PayoutOutcome
    audit_index: int


class CitizenshipOut(ApiModel):
    """A player's citizenship of a region after a request or a renunciation.

    Attributes:
        region_id: the region.
        player_id: the player.
        citizen: whether the player is its citizen now.
        changed: False when nothing had to change.
        home_region_id: the player's home region now (None: no home region).
        previous_region_id: the home region left by this request, if any.
        starting_credits: credits paid from the region's treasury to the new citizen (0
            when none, or when they were welcomed here before).
        payout_outcome: the starting credits' payout (None when nothing was paid).
    """

    region_id: Id
    player_id: Id
    citizen: bool
    changed: bool
    home_region_id: Id | None
    previous_region_id: Id | None = None
    starting_credits: int = 0
    payout_outcome: PayoutOutcome | None = None
