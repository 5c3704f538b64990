"""The event store port: what the region engines, the galaxy service and the projections need.

:class:`EventStore` is a :class:`typing.Protocol`. ``starlane.store.eventstore.EventStore(engine)``
builds the adapter of the database's backend, which satisfies it:
:class:`~starlane.store.sqlite_events.SqliteEventStore` or
:class:`~starlane.store.postgres_events.PostgresEventStore`. The engines write through
:meth:`EventStore.commit` only: each adapter completes a group commit the fastest way its
backend allows and answers the same way, through the callback, once the batch is durable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Protocol

from starlane.domain.events import Event, RecordedEvent
from starlane.store.catalogue import RegionRow

__all__ = ["CommitCallback", "CommitOutcome", "EventItem", "EventStore", "Snapshot"]

EventItem = tuple[Event, int | None]
"""An event to append and its actor (the acting player's id, or None for the platform)."""

Snapshot = tuple[int, bytes]
"""``(seq, data)``: a region's encoded state after the event numbered ``seq``."""

CommitOutcome = list[RecordedEvent] | Exception
"""What a group commit ends with: the recorded events (durable), or why nothing is known
stored."""

CommitCallback = Callable[[CommitOutcome], None]
"""Called once per :meth:`EventStore.commit`, on the event loop's thread; must not raise."""


class EventStore(Protocol):
    """Per-region event streams with a global position, snapshots and the region catalogue.

    A region's stream is numbered ``seq`` = 1, 2, 3, ... without gaps; every event also gets
    a global ``position`` that increases in commit order (a consumer reading ``position > p``
    never later sees a smaller one appear).
    """

    def commit(
        self,
        region_id: int,
        expected_seq: int,
        items: Sequence[EventItem],
        snapshot: Snapshot | None,
        done: CommitCallback,
    ) -> None:
        """Append a batch of events (a group commit) in one transaction, then call ``done``.

        ``done`` gets the recorded events once they are committed and durable, or the
        exception that stopped the commit (nothing written, or the outcome is unknown: a
        connection lost during ``COMMIT``). It may be called before ``commit`` returns (the
        SQLite adapter, on the loop's thread) or later from a task (PostgreSQL, or SQLite
        while another connection writes). It is called exactly once and never raises.

        Args:
            region_id: the region whose stream grows.
            expected_seq: the stream's last seq as the caller knows it; the events get
                ``expected_seq + 1`` onwards (:class:`~starlane.store.eventstore.ConcurrencyError`
                when the stream ends elsewhere).
            items: ``(event, actor_id)`` pairs in order; every event of ``region_id``.
            snapshot: a snapshot written in the same transaction, its seq at most the new
                last seq; or None.
            done: the callback.
        """
        ...

    async def append(
        self,
        region_id: int,
        expected_seq: int,
        items: Sequence[EventItem],
        *,
        snapshot: Snapshot | None = None,
    ) -> list[RecordedEvent]:
        """:meth:`commit`, awaited: the recorded events, or the exception raised."""
        ...

    async def save_snapshot(self, region_id: int, seq: int, data: bytes) -> None:
        """Store a snapshot of a region at ``seq``, keeping only the latest few."""
        ...

    async def load_snapshot(self, region_id: int) -> Snapshot | None:
        """The latest snapshot of a region, or None."""
        ...

    def read_region(
        self, region_id: int, after_seq: int = 0, *, batch: int = 10_000
    ) -> AsyncIterator[RecordedEvent]:
        """A region's events after ``after_seq`` in seq order."""
        ...

    async def read_all(self, after_position: int = 0, limit: int = 1_000) -> list[RecordedEvent]:
        """Up to ``limit`` events of every region after ``after_position``, by position."""
        ...

    async def head_position(self) -> int:
        """The position of the last stored event (0 for an empty store)."""
        ...

    async def last_seq(self, region_id: int) -> int:
        """The seq of a region's last stored event (0 for an empty stream)."""
        ...

    async def add_regions(self, rows: Sequence[RegionRow]) -> None:
        """Add regions to the catalogue in one transaction (all or none)."""
        ...

    async def list_regions(self) -> list[RegionRow]:
        """Every region of the catalogue, by id."""
        ...

    def close(self) -> None:
        """Release what the adapter holds besides the database engine's pool."""
        ...
