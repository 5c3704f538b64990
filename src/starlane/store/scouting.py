"""Scouting reports in the database: the presence query over the event store, and the reports.

- :func:`presence_marks` reads a player's presence events in one region over a window (types
  from :data:`starlane.domain.scouting.PRESENCE_EVENT_TYPES`) through the index
  ``ix_events_actor_id_region_id_at``; :func:`observed_events` reads all of that player's
  events there (the report's observations), :func:`policy_changes_since` the region's policy
  changes from a stream position on (through the ``(region_id, seq)`` index).
- ``scouting_reports`` rows: :func:`insert_report` (in the caller's unit of work),
  :func:`mark_paid`, :func:`unpaid_reports`, :func:`last_report_at`, :func:`list_reports`
  (newest first, cursor = the last id seen).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from starlane.domain.codec import decode_event
from starlane.domain.events import RecordedEvent
from starlane.domain.policies import RegionPolicyChanged
from starlane.domain.scouting import PRESENCE_EVENT_TYPES, PresenceMark
from starlane.store.db import WRITE_TRANSACTION, write_lock
from starlane.store.schema import events, scouting_reports

__all__ = [
    "ReportRow",
    "get_report",
    "insert_report",
    "last_report_at",
    "list_reports",
    "mark_paid",
    "observed_events",
    "policy_changes_since",
    "presence_marks",
    "unpaid_reports",
]

_PRESENCE_TYPES = sorted(PRESENCE_EVENT_TYPES)


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One stored scouting report.

    Attributes:
        id: the report id.
        region_id: the region reported on.
        author_id: the author's player id.
        kind: economy, politics, military or opportunities.
        created_at: unix seconds.
        scouted_seconds: game time the author spent in the region over the window.
        coverage, freshness, breadth: the score's parts, 0..1.
        quality: the score, 0..100.
        sections: the report's sections.
        ports_visited: the ports the author visited.
        reward: credits owed.
        paid_at: unix seconds the reward was recorded as paid (None: not yet).
    """

    id: int
    region_id: int
    author_id: int
    kind: str
    created_at: float
    scouted_seconds: float
    coverage: float
    freshness: float
    breadth: float
    quality: int
    sections: dict[str, Any]
    ports_visited: list[int]
    reward: int
    paid_at: float | None


def _row(r: Any) -> ReportRow:
    return ReportRow(
        id=r.id,
        region_id=r.region_id,
        author_id=r.author_id,
        kind=r.kind,
        created_at=r.created_at,
        scouted_seconds=r.scouted_seconds,
        coverage=r.coverage,
        freshness=r.freshness,
        breadth=r.breadth,
        quality=r.quality,
        sections=msgspec.json.decode(r.body),
        ports_visited=msgspec.json.decode(r.ports_visited),
        reward=r.reward,
        paid_at=r.paid_at,
    )


# --- the event store ---------------------------------------------------------------------------
async def presence_marks(
    db: AsyncEngine, player_id: int, region_id: int, since: float
) -> list[PresenceMark]:
    """A player's presence events in a region from ``since`` on, oldest first.

    Args:
        db: the event store's database.
        player_id: the player (the events' actor).
        region_id: the region.
        since: unix seconds (the window's start).

    Returns:
        The marks (time and type), ordered by time then position.
    """
    query = (
        select(events.c.at, events.c.type)
        .where(
            events.c.actor_id == player_id,
            events.c.region_id == region_id,
            events.c.at >= since,
            events.c.type.in_(_PRESENCE_TYPES),
        )
        .order_by(events.c.at, events.c.position)
    )
    async with db.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [PresenceMark(at, type_) for at, type_ in rows]


async def observed_events(
    db: AsyncEngine, player_id: int, region_id: int, since: float
) -> list[RecordedEvent]:
    """Every event a player's commands recorded in a region from ``since`` on, oldest first.

    Args:
        db: the event store's database.
        player_id: the player.
        region_id: the region.
        since: unix seconds.

    Returns:
        The recorded events, in stream order.
    """
    query = (
        select(
            events.c.position,
            events.c.seq,
            events.c.type,
            events.c.version,
            events.c.payload,
        )
        .where(
            events.c.actor_id == player_id,
            events.c.region_id == region_id,
            events.c.at >= since,
        )
        .order_by(events.c.seq)
    )
    async with db.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        RecordedEvent(position, region_id, seq, player_id, decode_event(type_, version, payload))
        for position, seq, type_, version, payload in rows
    ]


async def policy_changes_since(
    db: AsyncEngine, region_id: int, from_seq: int
) -> list[RegionPolicyChanged]:
    """A region's policy changes recorded at or after a stream position, oldest first.

    Args:
        db: the event store's database.
        region_id: the region.
        from_seq: the first seq to look at.

    Returns:
        The changes.
    """
    query = (
        select(events.c.type, events.c.version, events.c.payload)
        .where(
            events.c.region_id == region_id,
            events.c.seq >= from_seq,
            events.c.type == RegionPolicyChanged.type,
        )
        .order_by(events.c.seq)
    )
    async with db.connect() as conn:
        rows = (await conn.execute(query)).all()
    out = []
    for type_, version, payload in rows:
        event = decode_event(type_, version, payload)
        if isinstance(event, RegionPolicyChanged):
            out.append(event)
    return out


# --- reports -----------------------------------------------------------------------------------
async def insert_report(conn: AsyncConnection, values: dict[str, Any]) -> int:
    """Insert a report in the caller's transaction.

    Args:
        conn: the open unit of work's connection.
        values: the columns; ``body`` and ``ports_visited`` as Python values (stored as JSON).

    Returns:
        The new report's id.
    """
    row = dict(values)
    row["body"] = msgspec.json.encode(row["body"], order="sorted").decode()
    row["ports_visited"] = msgspec.json.encode(row["ports_visited"]).decode()
    result = await conn.execute(insert(scouting_reports).values(**row))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


async def last_report_at(conn: AsyncConnection, author_id: int) -> float | None:
    """When an author last filed a report.

    Args:
        conn: a connection (the unit of work's, to decide and insert in one transaction).
        author_id: the author.

    Returns:
        Unix seconds, or None when they never did.
    """
    query = select(func.max(scouting_reports.c.created_at)).where(
        scouting_reports.c.author_id == author_id
    )
    value = (await conn.execute(query)).scalar()
    return None if value is None else float(value)


async def mark_paid(db: AsyncEngine, report_id: int, at: float) -> None:
    """Record that a report's reward was paid (idempotent).

    Args:
        db: the database.
        report_id: the report.
        at: unix seconds.
    """
    stmt = (
        update(scouting_reports)
        .where(scouting_reports.c.id == report_id, scouting_reports.c.paid_at.is_(None))
        .values(paid_at=at)
    )
    lock = write_lock(db)
    async with contextlib.AsyncExitStack() as stack:
        if lock is not None:
            await stack.enter_async_context(lock)
        conn = await stack.enter_async_context(db.execution_options(**WRITE_TRANSACTION).begin())
        await conn.execute(stmt)


async def unpaid_reports(db: AsyncEngine) -> list[ReportRow]:
    """The reports whose reward is owed and not recorded as paid, oldest first.

    Args:
        db: the database.

    Returns:
        The rows.
    """
    query = (
        select(scouting_reports)
        .where(scouting_reports.c.paid_at.is_(None), scouting_reports.c.reward > 0)
        .order_by(scouting_reports.c.id)
    )
    async with db.connect() as conn:
        return [_row(r) for r in (await conn.execute(query)).all()]


async def get_report(db: AsyncEngine, report_id: int) -> ReportRow | None:
    """One report.

    Args:
        db: the database.
        report_id: the report.

    Returns:
        The row, or None.
    """
    query = select(scouting_reports).where(scouting_reports.c.id == report_id)
    async with db.connect() as conn:
        row = (await conn.execute(query)).first()
    return None if row is None else _row(row)


async def list_reports(
    db: AsyncEngine, region_id: int | None, *, before_id: int | None, limit: int
) -> Sequence[ReportRow]:
    """Reports, newest first, optionally of one region.

    Args:
        db: the database.
        region_id: only this region's (None: all).
        before_id: only reports with a smaller id (the page cursor; None: from the newest).
        limit: at most this many.

    Returns:
        The rows.
    """
    query = select(scouting_reports).order_by(scouting_reports.c.id.desc()).limit(limit)
    if region_id is not None:
        query = query.where(scouting_reports.c.region_id == region_id)
    if before_id is not None:
        query = query.where(scouting_reports.c.id < before_id)
    async with db.connect() as conn:
        return [_row(r) for r in (await conn.execute(query)).all()]
