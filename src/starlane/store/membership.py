"""An account's membership terms (tier, paid period's end, grace period, source) and the
billing deliveries applied.

The tier lives on the account row; its end, a failed payment's grace period and who set them
last (``manual`` or ``webhook``) in ``membership_terms``. :func:`membership_status` reads both
and applies :func:`starlane.domain.membership.effective_tier`; :func:`read_terms` and
:func:`write_terms` are the unit of work's side of a change (the tier itself is written
through the account repository, so ``account.updated`` reaches the bus). ``billing_events``
holds every webhook delivery applied, by its ``webhook-id`` (:func:`record_billing_event`), so
a second delivery of it is recognised (:func:`billing_event_seen`).

Nothing here writes that a membership lapsed: lapse is computed from the terms and the time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from starlane.domain.data import Membership
from starlane.domain.membership import API_TIERS, MembershipTerms, TermsSource, effective_tier
from starlane.store.schema import accounts, billing_events, membership_terms, outbox

__all__ = [
    "MembershipStatus",
    "all_terms",
    "billing_event_seen",
    "billing_events_since",
    "citizens_count",
    "membership_status",
    "read_terms",
    "record_billing_event",
    "terms_of",
    "write_terms",
]


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
    def terms(self) -> MembershipTerms:
        """The stored terms."""
        return MembershipTerms(self.stored, self.expires_at, self.grace_until, _source(self.source))

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


def _source(value: str | None) -> TermsSource:
    try:
        return TermsSource(value or TermsSource.MANUAL)
    except ValueError:
        return TermsSource.MANUAL


def _terms_query() -> Select[Any]:
    return select(
        accounts.c.id,
        accounts.c.membership,
        membership_terms.c.expires_at,
        membership_terms.c.grace_until,
        membership_terms.c.source,
    ).select_from(
        accounts.outerjoin(membership_terms, membership_terms.c.account_id == accounts.c.id)
    )


def _terms_of(row: Any) -> MembershipTerms:
    return MembershipTerms(
        Membership(row.membership), row.expires_at, row.grace_until, _source(row.source)
    )


async def read_terms(conn: AsyncConnection, account_id: int) -> MembershipTerms | None:
    """An account's stored terms, in an open transaction (a unit of work's).

    Args:
        conn: the open connection.
        account_id: the account.

    Returns:
        The terms, or None when no account has this id.
    """
    row = (await conn.execute(_terms_query().where(accounts.c.id == account_id))).first()
    return None if row is None else _terms_of(row)


async def write_terms(conn: AsyncConnection, account_id: int, terms: MembershipTerms) -> None:
    """Store an account's end of membership, grace period and source (the tier itself is the
    account row's: set it through ``uow.accounts.set_membership`` in the same transaction).

    Args:
        conn: the open connection (a unit of work's).
        account_id: the account.
        terms: the terms to store.
    """
    await conn.execute(delete(membership_terms).where(membership_terms.c.account_id == account_id))
    await conn.execute(
        insert(membership_terms).values(
            account_id=account_id,
            expires_at=terms.expires_at,
            grace_until=terms.grace_until,
            source=str(terms.source),
        )
    )


async def terms_of(db: AsyncEngine, account_ids: Sequence[int]) -> dict[int, MembershipTerms]:
    """The stored terms of some accounts.

    Args:
        db: the database.
        account_ids: the accounts.

    Returns:
        Account id -> terms (the ids no account has are left out).
    """
    if not account_ids:
        return {}
    query = _terms_query().where(accounts.c.id.in_(list(account_ids)))
    async with db.connect() as conn:
        rows = (await conn.execute(query)).all()
    return {int(r.id): _terms_of(r) for r in rows}


async def all_terms(db: AsyncEngine) -> tuple[dict[int, MembershipTerms], int]:
    """The terms of every account that is (or was) more than plainly free: a stored citizen
    tier or a terms row. Every other account is free with no end.

    Args:
        db: the database.

    Returns:
        ``(account id -> terms, outbox position)``: every outbox message at or below the
        position was committed before the terms were read (so they reflect it).
    """
    query = _terms_query().where(
        or_(
            accounts.c.membership != str(Membership.FREE),
            membership_terms.c.account_id.is_not(None),
        )
    )
    async with db.connect() as conn:
        position = (await conn.execute(select(func.max(outbox.c.position)))).scalar()
        rows = (await conn.execute(query)).all()
    return {int(r.id): _terms_of(r) for r in rows}, int(position or 0)


async def citizens_count(db: AsyncEngine | AsyncConnection, now: float) -> int:
    """How many accounts are Galactic Citizens at ``now`` (the stored tier, its end and the
    grace period all agree; see :func:`~starlane.domain.membership.effective_tier`).

    Args:
        db: the database, or an open connection.
        now: unix seconds.

    Returns:
        The count.
    """
    query = (
        select(func.count())
        .select_from(
            accounts.outerjoin(membership_terms, membership_terms.c.account_id == accounts.c.id)
        )
        .where(
            and_(
                accounts.c.membership == str(Membership.CITIZEN),
                or_(membership_terms.c.expires_at.is_(None), membership_terms.c.expires_at > now),
                or_(membership_terms.c.grace_until.is_(None), membership_terms.c.grace_until > now),
            )
        )
    )
    if isinstance(db, AsyncConnection):
        return int((await db.execute(query)).scalar_one())
    async with db.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def billing_event_seen(conn: AsyncConnection, webhook_id: str) -> bool:
    """Whether a delivery with this ``webhook-id`` was applied already.

    Args:
        conn: an open connection (the unit of work's that would apply it).
        webhook_id: the Standard Webhooks message id.

    Returns:
        True when it was.
    """
    query = select(billing_events.c.webhook_id).where(billing_events.c.webhook_id == webhook_id)
    return (await conn.execute(query)).first() is not None


async def record_billing_event(
    conn: AsyncConnection,
    *,
    webhook_id: str,
    type: str,
    account_id: int,
    period_end: float | None,
    received_at: float,
    payload: str,
) -> None:
    """Record an applied delivery, in the transaction that applies it.

    Args:
        conn: the open connection (a unit of work's).
        webhook_id: the Standard Webhooks message id (the primary key: a second insert of it
            fails, so a race of two deliveries commits one).
        type: the event type (``subscription.renewed``...).
        account_id: the account it is about.
        period_end: its ``current_period_end`` (unix seconds).
        received_at: unix seconds it was applied.
        payload: the body as received.
    """
    await conn.execute(
        insert(billing_events).values(
            webhook_id=webhook_id,
            type=type,
            account_id=account_id,
            period_end=period_end,
            received_at=received_at,
            payload=payload,
        )
    )


async def billing_events_since(db: AsyncEngine | AsyncConnection, since: float) -> int:
    """How many billing deliveries were applied since ``since`` (unix seconds).

    Args:
        db: the database, or an open connection.
        since: unix seconds.

    Returns:
        The count.
    """
    query = select(func.count()).where(billing_events.c.received_at >= since)
    if isinstance(db, AsyncConnection):
        return int((await db.execute(query)).scalar_one())
    async with db.connect() as conn:
        return int((await conn.execute(query)).scalar_one())
