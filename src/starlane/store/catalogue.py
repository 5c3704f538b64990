"""The galaxy catalogue: one row per region (kind, name, seed, sector range, parameters).

The catalogue says which regions exist so the engine registry can start them; each region's
state itself lives in the event store. :class:`~starlane.store.eventstore.EventStore` exposes
these queries as ``add_region``, ``list_regions`` and ``get_region``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import Row, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from starlane.store.db import WRITE_TRANSACTION
from starlane.store.schema import regions


@dataclass(frozen=True)
class RegionRow:
    """A region of the galaxy catalogue.

    Attributes:
        id: region id (1 Terran Space, 2 Central Nexus, 3.. player regions).
        kind: the region kind (``model.RegionKind`` value, e.g. ``"terran"``).
        name: display name.
        seed: generation seed of the region's sectors.
        sector_count: number of sectors.
        first_sector_id: global id of the region's first sector (ids are contiguous).
        created_at: unix seconds of creation.
        params: further generation parameters (JSON object).
        status: ``active``, or ``closed`` for a region an operator closed (kept in the
            catalogue; its engine is not run).
        owner_id: the Galactic Citizen who requested a provisioned region, None for the
            generated galaxy's regions.
    """

    id: int
    kind: str
    name: str
    seed: int
    sector_count: int
    first_sector_id: int
    created_at: float
    params: dict[str, Any] = field(default_factory=dict)
    status: str = "active"
    owner_id: int | None = None


def _row(row: Row[Any]) -> RegionRow:
    return RegionRow(
        id=row.id,
        kind=row.kind,
        name=row.name,
        seed=row.seed,
        sector_count=row.sector_count,
        first_sector_id=row.first_sector_id,
        created_at=row.created_at,
        params=msgspec.json.decode(row.params) if row.params else {},
        status=row.status,
        owner_id=row.owner_id,
    )


async def add_region(engine: AsyncEngine, row: RegionRow) -> None:
    """Insert a region into the catalogue.

    Args:
        engine: the database engine.
        row: the region.

    Raises:
        ValueError: a region with that id already exists.
    """
    await add_regions(engine, [row])


async def add_regions(engine: AsyncEngine, rows: Sequence[RegionRow]) -> None:
    """Insert several regions into the catalogue in one transaction: all of them or none.

    Args:
        engine: the database engine.
        rows: the regions.

    Raises:
        ValueError: a region with one of those ids already exists (nothing was inserted).
    """
    values = [
        {
            "id": row.id,
            "kind": row.kind,
            "name": row.name,
            "seed": row.seed,
            "sector_count": row.sector_count,
            "first_sector_id": row.first_sector_id,
            "created_at": row.created_at,
            "params": msgspec.json.encode(row.params).decode(),
            "status": row.status,
            "owner_id": row.owner_id,
        }
        for row in rows
    ]
    if not values:
        return
    try:
        async with engine.execution_options(**WRITE_TRANSACTION).begin() as conn:
            await conn.execute(regions.insert(), values)
    except IntegrityError as exc:
        ids = ", ".join(str(row.id) for row in rows)
        raise ValueError(f"a region among {ids} already exists") from exc


async def list_regions(engine: AsyncEngine) -> list[RegionRow]:
    """Every region of the catalogue, by id.

    Args:
        engine: the database engine.

    Returns:
        The regions in id order (empty for a new database).
    """
    async with engine.connect() as conn:
        rows = (await conn.execute(select(regions).order_by(regions.c.id))).all()
    return [_row(r) for r in rows]


async def get_region(engine: AsyncEngine, region_id: int) -> RegionRow | None:
    """One region of the catalogue.

    Args:
        engine: the database engine.
        region_id: the region id.

    Returns:
        The region, or None when the catalogue has no such region.
    """
    async with engine.connect() as conn:
        row = (await conn.execute(select(regions).where(regions.c.id == region_id))).first()
    return None if row is None else _row(row)


async def set_region_status(engine: AsyncEngine, region_id: int, status: str) -> bool:
    """Set a region's catalogue status (``active`` or ``closed``).

    Args:
        engine: the database engine.
        region_id: the region id.
        status: the new status.

    Returns:
        True when the catalogue had the region.

    Raises:
        ValueError: a status other than ``active`` or ``closed``.
    """
    if status not in ("active", "closed"):
        raise ValueError(f"a catalogue status is active or closed, not {status!r}")
    async with engine.execution_options(**WRITE_TRANSACTION).begin() as conn:
        result = await conn.execute(
            regions.update().where(regions.c.id == region_id).values(status=status)
        )
    return bool(result.rowcount)
