"""Saved trade expeditions and their legs (relational, not event-sourced).

An expedition row holds the plan's totals and how many legs were flown (``next_leg``); each
leg row holds its projected figures from the plan and, once flown, its actual ones. JSON
values (paths, trades, risk) are stored as text. Writes go through the caller's transaction
(a unit of work's connection), reads through the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from starlane.store.schema import expedition_legs, expeditions

__all__ = [
    "ExpeditionRecord",
    "get_expedition",
    "insert_expedition",
    "list_expeditions",
    "record_leg",
]

_JSON_COLUMNS = ("path", "risk", "projected_trades", "actual_trades", "waypoints")


def _dump(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _row(mapping: Mapping[Any, Any]) -> dict[str, Any]:
    out = dict(mapping)
    for key in _JSON_COLUMNS:
        if key in out and isinstance(out[key], str):
            out[key] = msgspec.json.decode(out[key])
    return out


class ExpeditionRecord(dict[str, Any]):
    """An expedition row as a dict (its columns, JSON decoded) with ``legs``: the leg rows in
    flying order."""


async def insert_expedition(
    conn: AsyncConnection, head: Mapping[str, Any], legs: Sequence[Mapping[str, Any]]
) -> int:
    """Save an expedition and its legs (inside the caller's transaction).

    Args:
        conn: an open write transaction.
        head: the ``expeditions`` columns but ``id``; ``waypoints`` as a list.
        legs: the ``expedition_legs`` columns but ``expedition_id``, in flying order; JSON
            columns as Python values.

    Returns:
        The new expedition's id.
    """
    values = dict(head)
    values["waypoints"] = _dump(values["waypoints"])
    result = await conn.execute(expeditions.insert().values(**values))
    key = result.inserted_primary_key
    assert key is not None
    expedition_id = int(key[0])
    rows = []
    for leg in legs:
        row = dict(leg)
        for name in ("path", "risk", "projected_trades"):
            row[name] = _dump(row[name])
        row["expedition_id"] = expedition_id
        rows.append(row)
    if rows:
        await conn.execute(expedition_legs.insert(), rows)
    return expedition_id


async def get_expedition(engine: AsyncEngine, expedition_id: int) -> ExpeditionRecord | None:
    """An expedition with its legs.

    Args:
        engine: the database.
        expedition_id: the expedition.

    Returns:
        The record, or None when there is no such expedition.
    """
    async with engine.connect() as conn:
        head = (
            await conn.execute(select(expeditions).where(expeditions.c.id == expedition_id))
        ).first()
        if head is None:
            return None
        legs = await conn.execute(
            select(expedition_legs)
            .where(expedition_legs.c.expedition_id == expedition_id)
            .order_by(expedition_legs.c.leg)
        )
        record = ExpeditionRecord(_row(head._mapping))
        record["legs"] = [_row(r._mapping) for r in legs]
        return record


async def list_expeditions(
    engine: AsyncEngine, player_id: int, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """A player's expeditions, newest first, without their legs.

    Args:
        engine: the database.
        player_id: the player.
        before_id: only expeditions with a smaller id (the page cursor); None from the newest.
        limit: rows at most.

    Returns:
        The expedition rows (JSON decoded).
    """
    query = select(expeditions).where(expeditions.c.player_id == player_id)
    if before_id is not None:
        query = query.where(expeditions.c.id < before_id)
    query = query.order_by(expeditions.c.id.desc()).limit(limit)
    async with engine.connect() as conn:
        return [_row(r._mapping) for r in await conn.execute(query)]


async def record_leg(
    conn: AsyncConnection,
    expedition_id: int,
    leg: int,
    actual: Mapping[str, Any],
    *,
    legs_total: int,
    now: float,
) -> bool:
    """Record a flown leg and advance the expedition (inside the caller's transaction).

    The expedition advances only from ``leg`` to ``leg + 1`` (a compare-and-set), so a leg is
    recorded once even if two requests raced.

    Args:
        conn: an open write transaction.
        expedition_id: the expedition.
        leg: the leg flown (0-based).
        actual: ``actual_turns``, ``actual_tolls``, ``actual_credits`` and ``actual_trades``
            (a list).
        legs_total: the expedition's number of legs (the last one finishes it).
        now: unix seconds.

    Returns:
        True when recorded, False when the expedition was not at that leg any more.
    """
    finished = leg + 1 >= legs_total
    moved = await conn.execute(
        update(expeditions)
        .where(expeditions.c.id == expedition_id, expeditions.c.next_leg == leg)
        .values(
            next_leg=leg + 1,
            status="finished" if finished else "flying",
            finished_at=now if finished else None,
        )
    )
    if moved.rowcount != 1:
        return False
    values = dict(actual)
    values["actual_trades"] = _dump(values["actual_trades"])
    await conn.execute(
        update(expedition_legs)
        .where(expedition_legs.c.expedition_id == expedition_id, expedition_legs.c.leg == leg)
        .values(flown_at=now, **values)
    )
    return True
