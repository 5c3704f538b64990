"""The admin API's shapes (``/api/v1/admin``): audit entries, proofs, accounts, approvals.

Every request that changes something carries a ``justification``; an empty one is refused
with 422 ``justification_required`` (checked by the action, so the refusal is the same on the
command line). Hashes are base64 (RFC 4648, padded); times are RFC 3339 UTC strings in audit
entries (as in their leaves) and unix seconds elsewhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from starlane.api.schemas.common import ApiModel

JUSTIFICATION = Field(max_length=2_000, description="why (required, non-empty)")
MAX_CREDITS_DELTA = 2**53 - 1


class AuditEntryOut(ApiModel):
    """One audit entry (the leaf's fields) with its exact leaf bytes.

    Attributes:
        index: position in the log.
        time: RFC 3339 UTC with six fractional digits.
        leaf: base64 of the entry's exact leaf bytes (RFC 8785 JSON).
        leaf_hash: base64 of ``SHA-256(0x00 || leaf)``.
        reverted_by: the index of the entry that reverted this one, if any.
    """

    index: int
    time: str
    actor_id: int | None
    actor_role: str
    action: str
    target_kind: str
    target_id: str
    before: Any
    after: Any
    justification: str
    client_address: str | None
    user_agent: str | None
    request_id: str | None
    reverts: int | None
    leaf: str
    leaf_hash: str
    reverted_by: int | None = None


class AuditPage(ApiModel):
    """A page of entries, newest first; pass ``next_cursor`` back as ``cursor``."""

    items: list[AuditEntryOut]
    next_cursor: str | None = None


class InclusionProofOut(ApiModel):
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``tree_size`` entries."""

    index: int
    tree_size: int
    hashes: list[str]


class ConsistencyProofOut(ApiModel):
    """RFC 9162 consistency proof between tree sizes ``first`` and ``second``."""

    first: int
    second: int
    hashes: list[str]


class Justified(ApiModel):
    """A request that only needs a reason (disable, enable, revert, approve, reject)."""

    justification: str = JUSTIFICATION


class RolesRequest(ApiModel):
    """Roles to grant and to revoke."""

    grant: list[str] = Field(default_factory=list, max_length=8)
    revoke: list[str] = Field(default_factory=list, max_length=8)
    justification: str = JUSTIFICATION


class MembershipRequest(ApiModel):
    """A membership tier and when it ends (None: never)."""

    tier: Literal["galactic_citizen", "free"]
    expires_at: datetime | None = None
    justification: str = JUSTIFICATION


class CreditsRequest(ApiModel):
    """Credits to add (negative: to remove), never 0."""

    delta: int = Field(ge=-MAX_CREDITS_DELTA, le=MAX_CREDITS_DELTA)
    justification: str = JUSTIFICATION


class ActionDone(ApiModel):
    """An action that ran: its audit entry and the values before and after."""

    status: Literal["done"] = "done"
    index: int
    before: Any
    after: Any


class ActionPending(ApiModel):
    """An action waiting for a second admin (answered with 202)."""

    approval_id: str
    status: Literal["pending"] = "pending"
    index: int


class ApprovalOut(ApiModel):
    """A two-person-rule request."""

    approval_id: str
    action: str
    target_kind: str
    target_id: str
    params: dict[str, Any]
    justification: str
    requested_by: int
    requested_at: float
    status: str
    decided_by: int | None
    decided_at: float | None
    decision_justification: str | None
    request_entry: int


class ApprovalPage(ApiModel):
    """A page of requests, oldest first."""

    items: list[ApprovalOut]
    next_cursor: str | None = None


class AdminAccountOut(ApiModel):
    """An account as an operator sees it.

    Attributes:
        membership: the tier in force now (``free``, ``galactic_citizen``; a lapsed Galactic
            Citizen is ``free``).
        membership_stored: the stored tier (``free``, ``citizen``), which lapses by time.
        membership_expires_at: unix seconds the paid period ends (None: no end).
        membership_grace_until: unix seconds a failed payment's grace period ends (None).
        membership_source: who set the terms last (``manual``: an operator, ``webhook``: the
            billing provider).
    """

    id: int
    username: str
    roles: list[str]
    membership: str
    membership_stored: str = "free"
    membership_expires_at: float | None = None
    membership_grace_until: float | None = None
    membership_source: str = "manual"
    region_id: int | None
    created_at: float
    disabled: bool


class AdminAccountPage(ApiModel):
    """A page of accounts in id order."""

    items: list[AdminAccountOut]
    next_cursor: str | None = None


class AdminPlayerOut(ApiModel):
    """The player's state as their region holds it."""

    region_id: int | None
    sector_id: int
    credits: int
    turns: int
    ship_type: str
    membership: str


class AdminAccountDetail(ApiModel):
    """An account and its player's state (None before the player entered the galaxy)."""

    account: AdminAccountOut
    player: AdminPlayerOut | None
