"""The billing webhook's answer (``POST /api/v1/billing/webhook``); its body is
:class:`starlane.billing.webhook.BillingEvent`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from starlane.api.schemas.common import ApiModel


class BillingMembershipOut(ApiModel):
    """An account's membership after a delivery."""

    tier: str = Field(description="the tier in force now: `free` or `galactic_citizen`")
    expires_at: str | None = Field(description="when the paid period ends (RFC 3339)")
    grace_until: str | None = Field(
        description="when a failed payment's grace period ends (RFC 3339), null if none"
    )


class BillingReceiptOut(ApiModel):
    """What became of a delivery: every authentic, well-formed delivery answers 200 (a
    provider retries anything else)."""

    status: Literal["applied", "duplicate", "ignored"] = Field(
        description="`applied`; `duplicate`: this `webhook-id` was applied before, nothing "
        "changed; `ignored`: see `reason`"
    )
    webhook_id: str
    type: str
    account_id: int | None
    reason: Literal["unknown_event_type", "unknown_account"] | None = Field(
        description="why it was ignored: an event type Starlane does not use, or an account id "
        "no account has (logged for the operator)"
    )
    changed: bool = Field(description="whether the account's membership terms changed")
    audit_index: int | None = Field(description="the audit entry recording the change")
    membership: BillingMembershipOut | None
