"""The moderators a region's governor appointed (relational, not event-sourced).

A moderator helps govern one region (permits today; forum moderation later). The governor
appoints and dismisses them; the rows are read by the region-scoped permission dependency
(:mod:`starlane.api.region_access`) on every governance request.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from starlane.store.schema import region_moderators

__all__ = ["add_moderator", "moderators_of", "remove_moderator"]


async def moderators_of(engine: AsyncEngine, region_id: int) -> frozenset[int]:
    """The account ids of a region's moderators.

    Args:
        engine: the database.
        region_id: the region.

    Returns:
        Their account ids (empty when none).
    """
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(region_moderators.c.account_id).where(region_moderators.c.region_id == region_id)
        )
        return frozenset(int(r[0]) for r in rows)


async def add_moderator(
    conn: AsyncConnection, region_id: int, account_id: int, appointed_by: int, now: float
) -> bool:
    """Appoint a moderator (inside the caller's transaction, e.g. a unit of work's).

    Args:
        conn: an open write transaction.
        region_id: the region.
        account_id: the new moderator.
        appointed_by: the governor's account id.
        now: unix seconds.

    Returns:
        True when appointed, False when they already were.
    """
    exists = await conn.execute(
        select(region_moderators.c.account_id).where(
            region_moderators.c.region_id == region_id,
            region_moderators.c.account_id == account_id,
        )
    )
    if exists.first() is not None:
        return False
    await conn.execute(
        region_moderators.insert().values(
            region_id=region_id, account_id=account_id, appointed_by=appointed_by, appointed_at=now
        )
    )
    return True


async def remove_moderator(conn: AsyncConnection, region_id: int, account_id: int) -> bool:
    """Dismiss a moderator (inside the caller's transaction).

    Args:
        conn: an open write transaction.
        region_id: the region.
        account_id: the moderator.

    Returns:
        True when dismissed, False when they were not a moderator.
    """
    result = await conn.execute(
        region_moderators.delete().where(
            region_moderators.c.region_id == region_id,
            region_moderators.c.account_id == account_id,
        )
    )
    return bool(result.rowcount)
