"""The ``activity`` read model: one row per committed event, the source of the live feed.

Each row names the player (the acting player, or the destroyer of a pirate), the region, the
sector and the event type and time. The live activity feed and the heat maps read it by
time and by ``(region_id, sector_id)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncConnection

from starlane.domain.events import RecordedEvent
from starlane.projections.base import Projection
from starlane.store.schema import activity


class ActivityProjection(Projection):
    """Appends one ``activity`` row per event.

    Args:
        keep_seconds: when set, rows older than this (by event time, relative to the newest
            event of each batch) are deleted as batches arrive; None keeps everything.
    """

    name: ClassVar[str] = "activity"

    def __init__(self, keep_seconds: float | None = None) -> None:
        self.keep_seconds = keep_seconds

    async def apply(self, conn: AsyncConnection, events: Sequence[RecordedEvent]) -> None:
        """Insert the batch's rows (and prune old ones when ``keep_seconds`` is set).

        Args:
            conn: the runner's transaction.
            events: the batch.
        """
        if not events:
            return
        rows: list[dict[str, Any]] = []
        for recorded in events:
            event = recorded.event
            player_id = getattr(event, "player_id", None)
            if player_id is None:
                player_id = getattr(event, "by_player_id", None)
            rows.append(
                {
                    "position": recorded.position,
                    "player_id": player_id,
                    "region_id": recorded.region_id,
                    "sector_id": getattr(event, "sector_id", None),
                    "type": event.type,
                    "at": event.at,
                }
            )
        await conn.execute(activity.insert(), rows)
        if self.keep_seconds is not None:
            horizon = max(r.event.at for r in events) - self.keep_seconds
            await conn.execute(delete(activity).where(activity.c.at < horizon))
