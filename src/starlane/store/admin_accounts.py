"""Account reads for operators: search by name, role and membership, and the disabled set.

Roles are stored as one comma-separated column (see :mod:`starlane.store.accounts_sql`); a role
filter matches a whole name between commas.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from starlane.store.accounts import Account, username_key
from starlane.store.schema import accounts, membership_terms


def _account(row: Row[Any]) -> Account:
    return Account(
        id=row.id,
        username=row.username,
        password_hash=row.password_hash,
        roles=tuple(r for r in row.roles.split(",") if r),
        membership=row.membership,
        region_id=row.region_id,
        created_at=row.created_at,
        disabled=bool(row.disabled),
    )


async def search_accounts(
    engine: AsyncEngine,
    *,
    name: str | None = None,
    role: str | None = None,
    membership: str | None = None,
    after_id: int = 0,
    limit: int = 50,
    now: float | None = None,
) -> list[Account]:
    """A page of accounts matching the criteria, in id order.

    Args:
        engine: the database.
        name: a substring of the username (case-insensitive).
        role: a role the account has.
        membership: the tier in force at ``now``: ``galactic_citizen`` (or ``citizen``) for
            Galactic Citizens, ``free`` for the others (a lapsed citizen is free); with
            ``now`` None, the stored tier.
        after_id: cursor: only ids above this.
        limit: at most this many.
        now: unix seconds (for the tier in force).

    Returns:
        The accounts.
    """
    query = select(accounts).where(accounts.c.id > after_id)
    if name:
        escaped = username_key(name).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(accounts.c.username_key.like(f"%{escaped}%", escape="\\"))
    if role:
        roles = accounts.c.roles
        query = query.where(
            or_(
                roles == role,
                roles.like(f"{role},%"),
                roles.like(f"%,{role}"),
                roles.like(f"%,{role},%"),
            )
        )
    if membership:
        stored = "citizen" if membership == "galactic_citizen" else membership
        if now is None:
            query = query.where(accounts.c.membership == stored)
        else:
            citizen = accounts.c.id.in_(
                select(accounts.c.id)
                .select_from(
                    accounts.outerjoin(
                        membership_terms, membership_terms.c.account_id == accounts.c.id
                    )
                )
                .where(
                    accounts.c.membership == "citizen",
                    or_(
                        membership_terms.c.expires_at.is_(None), membership_terms.c.expires_at > now
                    ),
                    or_(
                        membership_terms.c.grace_until.is_(None),
                        membership_terms.c.grace_until > now,
                    ),
                )
            )
            if stored == "citizen":
                query = query.where(citizen)
            elif stored == "free":
                query = query.where(~citizen)
            else:
                query = query.where(accounts.c.membership == stored)
    query = query.order_by(accounts.c.id).limit(limit)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [_account(r) for r in rows]


async def membership_expiry(engine: AsyncEngine, account_id: int) -> float | None:
    """When an account's membership ends (unix seconds), None for no end.

    Args:
        engine: the database.
        account_id: the account.

    Returns:
        The end, or None.
    """
    async with engine.connect() as conn:
        value = (
            await conn.execute(
                select(func.max(membership_terms.c.expires_at)).where(
                    membership_terms.c.account_id == account_id
                )
            )
        ).scalar()
    return None if value is None else float(value)
