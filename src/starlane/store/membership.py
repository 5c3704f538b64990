"""Reading an account's membership terms (tier, paid period's end, grace period, source).

The tier lives on the account row; its end, a failed payment's grace period and who set them
last (``manual`` or ``webhook``) in ``membership_terms``. :func:`membership_status` reads both
and applies :func:`starlane.domain.membership.effective_tier`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from starlane.domain.data import Membership
from starlane.domain.membership import API_TIERS, effective_tier
from starlane.store.schema import accounts, membership_terms

__all__ = ["MembershipStatus", "membership_status"]


@dataclass(frozen=True, slots=True)
class MembershipStatus:
    """An account's membership as it stands now.

    Attributes:
        stored: the stored tier (``free`` or ``citizen``).
        tier: the tier in force now, as the API names it (``free``, ``galactic_citizen``).
        expires_at: unix seconds the paid period ends, None for no end.
        grace_until: unix seconds a failed payment's grace period ends, None if none.
        source: who set the terms last (``manual`` or ``webhook``).
    """

    stored: Membership
    tier: str
    expires_at: float | None
    grace_until: float | None
    source: str

    @property
    def is_citizen(self) -> bool:
        """Whether the account is a Galactic Citizen now."""
        return self.tier == API_TIERS[Membership.CITIZEN]


async def membership_status(
    db: AsyncEngine | AsyncConnection, account_id: int, now: float
) -> MembershipStatus | None:
    """An account's membership now.

    Args:
        db: the database, or an open connection (e.g. a unit of work's).
        account_id: the account.
        now: unix seconds.

    Returns:
        The status, or None when no account has this id.
    """
    query = (
        select(
            accounts.c.membership,
            membership_terms.c.expires_at,
            membership_terms.c.grace_until,
            membership_terms.c.source,
        )
        .select_from(
            accounts.outerjoin(membership_terms, membership_terms.c.account_id == accounts.c.id)
        )
        .where(accounts.c.id == account_id)
    )
    if isinstance(db, AsyncConnection):
        row = (await db.execute(query)).first()
    else:
        async with db.connect() as conn:
            row = (await conn.execute(query)).first()
    if row is None:
        return None
    stored = Membership(row.membership)
    tier = effective_tier(stored, row.expires_at, row.grace_until, now)
    return MembershipStatus(
        stored=stored,
        tier=API_TIERS[tier],
        expires_at=row.expires_at,
        grace_until=row.grace_until,
        source=row.source or "manual",
    )
