"""The ``region_hourly`` read model: each region's traffic and trade per clock hour.

One row per region and clock hour (``hour``: unix seconds of the hour's start, from the event's
time) counts, for the governors' stats and the operators' platform view:

- ``arrivals``: ``TransferArrived`` recorded by the region (players admitted through a gate);
- ``departures``: ``TransferDeparted`` recorded by the region (players who left through a
  gate; a passage the destination later refused still counts as a departure);
- ``trades``, ``trade_value``, ``tax``: ``PortTraded`` in the region (``total``, before tax,
  and the ``tax`` paid into the region's treasury);
- ``tolls``: the ``toll`` of each ``TransferArrived``, which the destination's treasury
  receives (the destination's own toll plus the gate's).

A batch is summed in memory and written with one upsert that ADDS to the stored counters
(``INSERT ... ON CONFLICT DO UPDATE``, on SQLite and PostgreSQL alike). The runner applies a
batch and moves the checkpoint in one transaction and never hands an event twice, so a replay
from the checkpoint counts each event exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from starlane.domain.events import PortTraded, RecordedEvent, TransferArrived, TransferDeparted
from starlane.projections.base import Projection
from starlane.store.schema import region_hourly

HOUR = 3600
"""Seconds in a bucket of ``region_hourly``."""

COUNTERS = ("arrivals", "departures", "trades", "trade_value", "tax", "tolls")
"""The additive columns of ``region_hourly``."""


def hour_of(at: float) -> int:
    """The start of the clock hour holding a time.

    Args:
        at: unix seconds.

    Returns:
        Unix seconds of the hour's start (a multiple of 3,600).
    """
    return int(at // HOUR) * HOUR


def hourly_counts(events: Sequence[RecordedEvent]) -> dict[tuple[int, int], dict[str, int]]:
    """Sum a batch of events into per-region, per-hour counters.

    Args:
        events: recorded events (other types are ignored).

    Returns:
        ``(region_id, hour)`` -> counters (every name of :data:`COUNTERS`), only for the
        buckets the batch touches.
    """
    sums: dict[tuple[int, int], dict[str, int]] = {}

    def bucket(region_id: int, at: float) -> dict[str, int]:
        key = (region_id, hour_of(at))
        found = sums.get(key)
        if found is None:
            found = sums[key] = dict.fromkeys(COUNTERS, 0)
        return found

    for recorded in events:
        event = recorded.event
        if isinstance(event, PortTraded):
            row = bucket(recorded.region_id, event.at)
            row["trades"] += 1
            row["trade_value"] += event.total
            row["tax"] += event.tax
        elif isinstance(event, TransferArrived):
            row = bucket(recorded.region_id, event.at)
            row["arrivals"] += 1
            row["tolls"] += event.toll
        elif isinstance(event, TransferDeparted):
            bucket(recorded.region_id, event.at)["departures"] += 1
    return sums


class RegionHourlyProjection(Projection):
    """Keeps ``region_hourly`` up to date (see the module's docstring)."""

    name: ClassVar[str] = "region_hourly"

    async def apply(self, conn: AsyncConnection, events: Sequence[RecordedEvent]) -> None:
        """Add the batch's counts to the stored rows (inserting the new ones).

        Args:
            conn: the runner's transaction.
            events: the batch.
        """
        sums = hourly_counts(events)
        if not sums:
            return
        rows: list[dict[str, Any]] = [
            {"region_id": region_id, "hour": hour, **counts}
            for (region_id, hour), counts in sorted(sums.items())
        ]
        dialect = conn.dialect.name
        insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(region_hourly)
        stmt = stmt.on_conflict_do_update(
            index_elements=[region_hourly.c.region_id, region_hourly.c.hour],
            set_={name: region_hourly.c[name] + stmt.excluded[name] for name in COUNTERS},
        )
        await conn.execute(stmt, rows)
