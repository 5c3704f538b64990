"""Reads of the audit tables on connections of their own: search, entries, proofs' hashes,
checkpoints, approvals (the API, the checkpointer and ``starlane audit verify`` use them
outside units of work; appends are :mod:`starlane.store.audit`'s).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import Row, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from starlane.store.audit import (
    Approval,
    AuditFilter,
    StoredEntry,
    approval_from_row,
    entry_from_row,
)
from starlane.store.schema import (
    audit_approvals,
    audit_checkpoints,
    audit_entries,
    audit_nodes,
)


def _where(query: Any, f: AuditFilter) -> Any:
    c = audit_entries.c
    if f.actor_id is not None:
        query = query.where(c.actor_id == f.actor_id)
    if f.action is not None:
        query = query.where(c.action == f.action)
    if f.target_kind is not None:
        query = query.where(c.target_kind == f.target_kind)
    if f.target_id is not None:
        query = query.where(c.target_id == f.target_id)
    if f.since is not None:
        query = query.where(c.at >= f.since)
    if f.until is not None:
        query = query.where(c.at < f.until)
    if f.q:
        escaped = f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(c.justification).like(f"%{escaped.lower()}%", escape="\\"))
    return query


async def search_entries(
    engine: AsyncEngine, f: AuditFilter, *, before: int | None = None, limit: int = 50
) -> list[StoredEntry]:
    """Entries matching a filter, newest first, one page.

    Args:
        engine: the database.
        f: the criteria.
        before: only entries with a lower index (the cursor of the previous page).
        limit: at most this many.

    Returns:
        The entries, highest index first.
    """
    query = _where(select(audit_entries), f)
    if before is not None:
        query = query.where(audit_entries.c.idx < before)
    query = query.order_by(audit_entries.c.idx.desc()).limit(limit)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [entry_from_row(r) for r in rows]


async def get_entry(engine: AsyncEngine, index: int) -> StoredEntry | None:
    """One entry by index.

    Args:
        engine: the database.
        index: the index.

    Returns:
        The entry, or None.
    """
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(audit_entries).where(audit_entries.c.idx == index))
        ).first()
    return None if row is None else entry_from_row(row)


async def reverted_by(engine: AsyncEngine, index: int) -> int | None:
    """The index of the entry that reverted entry ``index``, if any.

    Args:
        engine: the database.
        index: the original entry.

    Returns:
        The reverting entry's index, or None.
    """
    async with engine.connect() as conn:
        found = await conn.execute(
            select(audit_entries.c.idx).where(audit_entries.c.reverts == index)
        )
        value = found.scalar()
    return None if value is None else int(value)


async def credit_event_positions(engine: AsyncEngine) -> set[int]:
    """The event positions the ``credits.adjust`` entries record (``after.event_position``).

    Args:
        engine: the database.

    Returns:
        The global event-store positions of the ``CreditsAdjusted`` events that have an entry.
    """
    return await event_positions(engine, "credits.adjust")


async def event_positions(engine: AsyncEngine, action: str) -> set[int]:
    """The event positions the entries of one action record (``after.event_position``).

    Args:
        engine: the database.
        action: the entries' action (``credits.adjust``, ``region.treasury.withdraw``...).

    Returns:
        The global event-store positions of the events that have an entry of that action.
    """
    query = select(audit_entries.c.after).where(audit_entries.c.action == action)
    positions: set[int] = set()
    async with engine.connect() as conn:
        for (after,) in (await conn.execute(query)).all():
            value = json.loads(after)
            if isinstance(value, dict) and isinstance(value.get("event_position"), int):
                positions.add(value["event_position"])
    return positions


async def log_size(engine: AsyncEngine) -> int:
    """The number of entries (the highest index plus one; indexes are gap-free).

    Args:
        engine: the database.

    Returns:
        The tree size.
    """
    async with engine.connect() as conn:
        top = (await conn.execute(select(func.max(audit_entries.c.idx)))).scalar()
    return 0 if top is None else int(top) + 1


async def read_leaf_hashes(conn: AsyncConnection, start: int, end: int) -> list[bytes]:
    """The recorded leaf hashes of entries ``start .. end - 1``.

    Args:
        conn: a connection.
        start: first index.
        end: one past the last.

    Returns:
        The hashes in index order (fewer when rows are missing).
    """
    rows = await conn.execute(
        select(audit_entries.c.leaf_hash)
        .where(audit_entries.c.idx >= start, audit_entries.c.idx < end)
        .order_by(audit_entries.c.idx)
    )
    return [bytes(h) for h in rows.scalars()]


async def read_block_roots(conn: AsyncConnection, start: int, end: int) -> list[bytes]:
    """The stored roots of 256-leaf blocks ``start .. end - 1``.

    Args:
        conn: a connection.
        start: first block.
        end: one past the last.

    Returns:
        The roots in block order.
    """
    rows = await conn.execute(
        select(audit_nodes.c.root)
        .where(audit_nodes.c.block >= start, audit_nodes.c.block < end)
        .order_by(audit_nodes.c.block)
    )
    return [bytes(h) for h in rows.scalars()]


async def iter_entries(
    engine: AsyncEngine, *, chunk: int = 5_000, columns: Sequence[str] | None = None
) -> AsyncIterator[Row[Any]]:
    """Every entry row in index order, read in chunks (for export and verification).

    Args:
        engine: the database.
        chunk: rows per query.
        columns: the columns to read (default all).

    Yields:
        The rows.
    """
    cols = (
        [audit_entries.c[name] for name in columns]
        if columns is not None
        else list(audit_entries.c)
    )
    if audit_entries.c.idx not in cols:
        cols.insert(0, audit_entries.c.idx)
    after = -1
    while True:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(*cols)
                    .where(audit_entries.c.idx > after)
                    .order_by(audit_entries.c.idx)
                    .limit(chunk)
                )
            ).all()
        for row in rows:
            yield row
        if len(rows) < chunk:
            return
        after = int(rows[-1].idx)


def stored_entry(row: Row[Any]) -> StoredEntry:
    """A full ``audit_entries`` row as a :class:`StoredEntry`.

    Args:
        row: the row.

    Returns:
        The entry.
    """
    return entry_from_row(row)


async def add_checkpoint(
    engine: AsyncEngine, size: int, root_hash: bytes, note: str, now: float
) -> None:
    """Store a signed checkpoint.

    Args:
        engine: the database.
        size: tree size.
        root_hash: 32-byte root.
        note: the signed note.
        now: unix seconds.
    """
    from starlane.store.db import WRITE_TRANSACTION, write_lock

    lock = write_lock(engine)
    if lock is not None:
        await lock.acquire()
    try:
        async with engine.execution_options(**WRITE_TRANSACTION).begin() as conn:
            await conn.execute(
                insert(audit_checkpoints).values(
                    size=size, root_hash=root_hash, note=note, created_at=now
                )
            )
    finally:
        if lock is not None:
            lock.release()


async def latest_checkpoint(engine: AsyncEngine) -> tuple[int, str] | None:
    """The latest stored checkpoint.

    Args:
        engine: the database.

    Returns:
        ``(size, signed note)``, or None before the first.
    """
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(audit_checkpoints.c.size, audit_checkpoints.c.note)
                .order_by(audit_checkpoints.c.id.desc())
                .limit(1)
            )
        ).first()
    return None if row is None else (int(row.size), row.note)


async def stored_checkpoints(engine: AsyncEngine) -> list[str]:
    """Every stored checkpoint's signed note, oldest first.

    Args:
        engine: the database.

    Returns:
        The notes.
    """
    async with engine.connect() as conn:
        rows = await conn.execute(select(audit_checkpoints.c.note).order_by(audit_checkpoints.c.id))
        return list(rows.scalars())


async def list_approvals(
    engine: AsyncEngine, *, status: str | None = None, after: str | None = None, limit: int = 50
) -> list[Approval]:
    """Two-person-rule requests, oldest first.

    Args:
        engine: the database.
        status: only this status.
        after: cursor: only requests made after this one's audit index (a decimal string).
        limit: at most this many.

    Returns:
        The requests in the order they were made.
    """
    query = select(audit_approvals)
    if status is not None:
        query = query.where(audit_approvals.c.status == status)
    if after is not None:
        query = query.where(audit_approvals.c.request_entry > int(after))
    query = query.order_by(audit_approvals.c.request_entry).limit(limit)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [approval_from_row(r) for r in rows]
