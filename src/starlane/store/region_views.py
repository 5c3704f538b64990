"""Reads behind the governors' stats and the operators' platform view.

- :func:`hourly_totals`: sums of the ``region_hourly`` read model since an hour (read-model
  database);
- :func:`recently_active`: players whose commands produced an event lately (the ``activity``
  read model);
- :func:`citizen_count`: accounts whose Galactic Citizen membership is in force now (the same
  rule as :func:`starlane.domain.membership.effective_tier`, in SQL);
- :func:`billing_summary`: billing webhook deliveries since a time, by type.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from starlane.domain.data import Membership
from starlane.projections.region_hourly import COUNTERS
from starlane.store.schema import (
    accounts,
    activity,
    billing_events,
    membership_terms,
    region_hourly,
)

__all__ = [
    "BillingSummary",
    "billing_summary",
    "citizen_count",
    "hourly_totals",
    "recently_active",
]


async def hourly_totals(
    read_db: AsyncEngine, since_hour: int, region_id: int | None = None
) -> dict[int, dict[str, int]]:
    """Sum the hourly counters of every region (or one) from an hour on.

    Args:
        read_db: the read-model database.
        since_hour: unix seconds of the first clock hour counted.
        region_id: only this region; None for every region.

    Returns:
        Region id -> counter name (``arrivals``, ``departures``, ``trades``, ``trade_value``,
        ``tax``, ``tolls``) -> sum; regions without a row since then are absent.
    """
    columns = [func.sum(region_hourly.c[name]).label(name) for name in COUNTERS]
    query = (
        select(region_hourly.c.region_id, *columns)
        .where(region_hourly.c.hour >= since_hour)
        .group_by(region_hourly.c.region_id)
    )
    if region_id is not None:
        query = query.where(region_hourly.c.region_id == region_id)
    async with read_db.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return {int(row["region_id"]): {name: int(row[name] or 0) for name in COUNTERS} for row in rows}


async def recently_active(read_db: AsyncEngine, since: float) -> set[int]:
    """Players whose commands produced an event since a time.

    Args:
        read_db: the read-model database.
        since: unix seconds.

    Returns:
        Their player (account) ids.
    """
    query = (
        select(activity.c.player_id)
        .where(activity.c.at >= since, activity.c.player_id.is_not(None))
        .distinct()
    )
    async with read_db.connect() as conn:
        return {int(pid) for (pid,) in (await conn.execute(query)).all()}


async def citizen_count(db: AsyncEngine, now: float) -> int:
    """Accounts that are Galactic Citizens now: stored tier ``citizen``, and neither the paid
    period's end nor a failed payment's grace period has passed.

    Args:
        db: the main database.
        now: unix seconds.

    Returns:
        The number of such accounts.
    """
    query = (
        select(func.count())
        .select_from(
            accounts.outerjoin(membership_terms, membership_terms.c.account_id == accounts.c.id)
        )
        .where(
            accounts.c.membership == str(Membership.CITIZEN),
            or_(membership_terms.c.expires_at.is_(None), membership_terms.c.expires_at > now),
            or_(membership_terms.c.grace_until.is_(None), membership_terms.c.grace_until > now),
        )
    )
    async with db.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


@dataclass(frozen=True, slots=True)
class BillingSummary:
    """Billing webhook deliveries in a window.

    Attributes:
        total: deliveries applied.
        by_type: event type -> deliveries.
    """

    total: int
    by_type: dict[str, int]


async def billing_summary(db: AsyncEngine, since: float) -> BillingSummary:
    """Billing webhook deliveries received since a time, by type.

    Args:
        db: the main database.
        since: unix seconds.

    Returns:
        The summary.
    """
    query = (
        select(billing_events.c.type, func.count())
        .where(billing_events.c.received_at >= since)
        .group_by(billing_events.c.type)
    )
    async with db.connect() as conn:
        by_type = {str(t): int(n) for t, n in (await conn.execute(query)).all()}
    return BillingSummary(total=sum(by_type.values()), by_type=by_type)
