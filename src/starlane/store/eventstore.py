"""The durable event store: per-region event streams, a global position, and snapshots.

Each region is one stream of events numbered ``seq`` = 1, 2, 3, ... with no gaps; every event
also gets a global ``position`` (assigned by the database, increasing in commit order) that
projections and other consumers checkpoint on. A group commit (the events of many commands,
plus optionally a snapshot) is one transaction, with an optimistic concurrency check on the
region's last ``seq``.

``EventStore(engine)`` builds the adapter of the engine's backend, each implementing the
:class:`starlane.store.ports.EventStore` port with one append path:

- :class:`~starlane.store.sqlite_events.SqliteEventStore`: commits on the event loop's own
  thread, on one connection, and runs WAL checkpoints in a thread of their own;
- :class:`~starlane.store.postgres_events.PostgresEventStore`: commits in a task, after an
  advisory lock that makes commit order equal position order.

This module holds what both share: the reads, snapshots and catalogue (SQLAlchemy Core), the
encoding of event rows and the concurrency bookkeeping.

Usage::

    store = EventStore(engine)
    recorded = await store.append(region_id, state.seq, [(event, player_id), ...])
    async for rec in store.read_region(region_id, after_seq=snapshot_seq):
        evolve(state, rec.event)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from starlane.domain.codec import decode_event, encode_event
from starlane.domain.events import RecordedEvent
from starlane.store import catalogue
from starlane.store.appenders import write_snapshot
from starlane.store.catalogue import RegionRow
from starlane.store.db import WRITE_TRANSACTION
from starlane.store.ports import CommitCallback, CommitOutcome, EventItem, Snapshot
from starlane.store.schema import events, snapshots

__all__ = ["ConcurrencyError", "EventStore", "RegionRow"]

SNAPSHOTS_KEPT = 3
"""Snapshots kept per region (older ones are deleted when a new one is written)."""

_LAST_SEQ = select(func.coalesce(func.max(events.c.seq), 0)).where(
    events.c.region_id == bindparam("region_id")
)
_EVENT_COLUMNS = (
    events.c.position,
    events.c.region_id,
    events.c.seq,
    events.c.actor_id,
    events.c.type,
    events.c.version,
    events.c.payload,
)
_READ_REGION = (
    select(*_EVENT_COLUMNS)
    .where(events.c.region_id == bindparam("region_id"), events.c.seq > bindparam("after"))
    .order_by(events.c.seq)
    .limit(bindparam("batch"))
)
_READ_ALL = (
    select(*_EVENT_COLUMNS)
    .where(events.c.position > bindparam("after"))
    .order_by(events.c.position)
    .limit(bindparam("limit"))
)
_READ_TYPE = (
    select(*_EVENT_COLUMNS)
    .where(
        events.c.type.in_(bindparam("types", expanding=True)),
        events.c.position > bindparam("after"),
    )
    .order_by(events.c.position)
    .limit(bindparam("limit"))
)
_HEAD = select(func.coalesce(func.max(events.c.position), 0))


class ConcurrencyError(Exception):
    """The region's stream moved on: another writer appended after ``expected_seq``.

    Nothing was written. The caller must reload the region and decide again.

    Attributes:
        region_id: the region.
        expected_seq: the last seq the caller believed stored.
        actual_seq: the last seq stored when the conflict was detected (None if unknown).
    """

    def __init__(self, region_id: int, expected_seq: int, actual_seq: int | None) -> None:
        super().__init__(
            f"region {region_id}: expected last seq {expected_seq}, found {actual_seq}"
        )
        self.region_id = region_id
        self.expected_seq = expected_seq
        self.actual_seq = actual_seq


def _recorded(row: Sequence[Any]) -> RecordedEvent:
    position, region_id, seq, actor_id, type_, version, payload = row
    return RecordedEvent(position, region_id, seq, actor_id, decode_event(type_, version, payload))


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()  # mark an abandoned prefetch's failure as seen


def _rows(
    region_id: int, expected_seq: int, items: Sequence[EventItem], now: float
) -> list[tuple[Any, ...]]:
    """Event rows in :data:`~starlane.store.appenders.ROW_COLUMNS` order, seq
    ``expected_seq + 1`` onwards, recorded at ``now``.

    Raises:
        ValueError: an event belongs to another region.
    """
    rows: list[tuple[Any, ...]] = []
    for offset, (event, actor_id) in enumerate(items, start=1):
        if event.region_id != region_id:
            raise ValueError(f"{event.type} of region {event.region_id} sent to {region_id}")
        payload = encode_event(event).decode()
        rows.append(
            (
                region_id,
                expected_seq + offset,
                event.type,
                event.version,
                actor_id,
                event.at,
                now,
                payload,
            )
        )
    return rows


def _recorded_events(
    region_id: int,
    rows: Sequence[tuple[Any, ...]],
    items: Sequence[EventItem],
    positions: dict[int, int],
) -> list[RecordedEvent]:
    return [
        RecordedEvent(positions[row[1]], region_id, row[1], actor_id, event)
        for row, (event, actor_id) in zip(rows, items, strict=True)
    ]


def is_unique_violation(exc: BaseException) -> bool:
    """Whether a database error is a unique-constraint violation (a seq another writer took).

    Args:
        exc: a driver error, or a SQLAlchemy error wrapping one.

    Returns:
        True for a unique violation.
    """
    orig = getattr(exc, "orig", exc)
    message = f"{orig!r} {orig}".lower()
    return "unique" in message


@dataclass(slots=True)
class PreparedBatch:
    """A group commit ready for an adapter's append: its rows, in
    :data:`~starlane.store.appenders.ROW_COLUMNS` order, and what to answer with.

    Attributes:
        region_id: the region.
        expected_seq: the stream's expected last seq.
        items: the ``(event, actor_id)`` pairs.
        rows: their rows, seq ``expected_seq + 1`` onwards.
        snapshot: ``(seq, data, created_at)`` to store in the same transaction, or None.
        check: read and compare the stream's last seq first (else the unique constraint on
            ``(region_id, seq)`` is the guard: the stream is known to end at ``expected_seq``).
    """

    region_id: int
    expected_seq: int
    items: Sequence[EventItem]
    rows: list[tuple[Any, ...]]
    snapshot: tuple[int, bytes, float] | None
    check: bool

    def recorded(self, positions: dict[int, int]) -> list[RecordedEvent]:
        """The recorded events, given ``{seq: position}`` of the inserted rows."""
        return _recorded_events(self.region_id, self.rows, self.items, positions)


class EventStore:
    """Event streams per region, global positions, snapshots and the region catalogue.

    ``EventStore(engine)`` returns the backend's adapter (a subclass): see the module.

    Args:
        engine: the database engine (:func:`starlane.store.db.create_db_engine`), migrated.
        clock: source of ``recorded_at``, unix seconds.
        snapshots_kept: how many snapshots per region :meth:`save_snapshot` keeps.
        checkpoint_off_loop: SQLite: WAL checkpoints run in a thread of their own instead of
            inside the commit that takes the log past SQLite's threshold (see
            :mod:`starlane.store.walcheckpoint`; the setting ``sqlite_checkpoint_off_loop``).
            Ignored by PostgreSQL.

    Raises:
        ValueError: ``snapshots_kept`` is below 1, or the SQLite database is not a file.
    """

    def __new__(cls, engine: AsyncEngine, **kwargs: Any) -> EventStore:
        if cls is EventStore:
            if engine.dialect.name == "postgresql":
                from starlane.store.postgres_events import PostgresEventStore

                cls = PostgresEventStore
            else:
                from starlane.store.sqlite_events import SqliteEventStore

                cls = SqliteEventStore
        return object.__new__(cls)

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        clock: Callable[[], float] = time.time,
        snapshots_kept: int = SNAPSHOTS_KEPT,
        checkpoint_off_loop: bool = False,
    ) -> None:
        if snapshots_kept < 1:
            raise ValueError("snapshots_kept must be at least 1")
        self.engine = engine
        self._writer = engine.execution_options(**WRITE_TRANSACTION)
        self._clock = clock
        self._kept = snapshots_kept
        self._checkpoint_off_loop = checkpoint_off_loop
        # A lower bound of each region's stored last seq (streams only grow). When the caller's
        # expected_seq equals it, the SELECT of the concurrency check is skipped: if another
        # writer appended meanwhile, seq expected_seq + 1 exists and the unique constraint
        # refuses the insert.
        self._known_last: dict[int, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # commits in flight in a task

    # --- writing -----------------------------------------------------------------------------
    def commit(
        self,
        region_id: int,
        expected_seq: int,
        items: Sequence[EventItem],
        snapshot: Snapshot | None,
        done: CommitCallback,
    ) -> None:
        """A group commit; see :meth:`starlane.store.ports.EventStore.commit` (the adapters
        implement it)."""
        raise NotImplementedError

    async def append(
        self,
        region_id: int,
        expected_seq: int,
        items: Sequence[EventItem],
        *,
        snapshot: Snapshot | None = None,
    ) -> list[RecordedEvent]:
        """Append events to a region's stream in one transaction (:meth:`commit`, awaited).

        Args:
            region_id: the region whose stream grows.
            expected_seq: the last seq the caller's state reflects; the events get
                ``expected_seq + 1``, ``expected_seq + 2``, ...
            items: ``(event, actor_id)`` pairs in order; ``actor_id`` is the acting player or
                None for the platform.
            snapshot: optional ``(seq, data)`` snapshot written in the same transaction;
                ``seq`` may not exceed the stream's new last seq.

        Returns:
            The recorded events with their seq and global position, in order.

        Raises:
            ConcurrencyError: the stream's last seq is not ``expected_seq``; nothing written.
            ValueError: an event belongs to another region, or the snapshot is ahead of the
                stream.
            sqlalchemy.exc.SQLAlchemyError: the database failed; nothing written.
        """
        future: asyncio.Future[list[RecordedEvent]] = asyncio.get_running_loop().create_future()

        def settle(outcome: CommitOutcome) -> None:
            if future.done():
                return
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

        self.commit(region_id, expected_seq, items, snapshot, settle)
        return await future

    def _prepare(
        self,
        region_id: int,
        expected_seq: int,
        items: Sequence[EventItem],
        snapshot: Snapshot | None,
    ) -> PreparedBatch | None:
        """The rows of a group commit, or None when there is nothing to write.

        Raises:
            ValueError: an event belongs to another region, or the snapshot is ahead of the
                stream.
        """
        new_last = expected_seq + len(items)
        if snapshot is not None and snapshot[0] > new_last:
            raise ValueError(f"snapshot at seq {snapshot[0]} is ahead of the stream ({new_last})")
        now = self._clock()
        rows = _rows(region_id, expected_seq, items, now)
        if not rows and snapshot is None:
            return None
        check = self._known_last.get(region_id) != expected_seq or not rows
        snap = None if snapshot is None else (snapshot[0], snapshot[1], now)
        return PreparedBatch(region_id, expected_seq, items, rows, snap, check)

    def _spawn(self, commit: Coroutine[Any, Any, None]) -> None:
        """Run a commit in a task, keeping a reference until it ends."""
        task = asyncio.get_running_loop().create_task(commit)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _stored(self, batch: PreparedBatch, positions: dict[int, int]) -> list[RecordedEvent]:
        """Note a batch as stored and return its recorded events."""
        self._known_last[batch.region_id] = batch.expected_seq + len(batch.rows)
        return batch.recorded(positions)

    def close(self) -> None:
        """Release what the adapter holds besides the engine's pool (the caller disposes of
        the engine)."""

    async def save_snapshot(self, region_id: int, seq: int, data: bytes) -> None:
        """Store a snapshot of a region's state, keeping only the latest few.

        Args:
            region_id: the region.
            seq: the stream seq the state reflects (last event applied).
            data: the encoded state (:func:`starlane.domain.codec.encode_state`).
        """
        async with self._writer.begin() as conn:
            await write_snapshot(conn, region_id, seq, data, self._clock(), kept=self._kept)

    # --- reading -----------------------------------------------------------------------------
    async def last_seq(self, region_id: int) -> int:
        """The seq of a region's last stored event.

        Args:
            region_id: the region.

        Returns:
            The last seq, 0 for an empty stream.
        """
        async with self.engine.connect() as conn:
            last = int((await conn.execute(_LAST_SEQ, {"region_id": region_id})).scalar_one())
        if last > self._known_last.get(region_id, -1):
            self._known_last[region_id] = last
        return last

    async def read_region(
        self, region_id: int, after_seq: int = 0, *, batch: int = 10_000
    ) -> AsyncIterator[RecordedEvent]:
        """Stream a region's events in seq order, fetched in batches.

        Each batch is read on a connection released before its events are yielded, so a slow
        consumer holds no database resources; the next batch is fetched while the current one
        is consumed.

        Args:
            region_id: the region.
            after_seq: only events with a greater seq (a snapshot's seq; 0 for all).
            batch: events fetched per query.

        Yields:
            Recorded events, seq ``after_seq + 1`` onwards.
        """
        if batch < 1:
            raise ValueError("batch must be at least 1")
        # The next batch is fetched (on the driver's side) while this one is decoded/consumed.
        pending: asyncio.Future[list[Any]] | None = asyncio.ensure_future(
            self._region_batch(region_id, after_seq, batch)
        )
        try:
            while pending is not None:
                rows = await pending
                pending = None
                if len(rows) == batch:
                    pending = asyncio.ensure_future(
                        self._region_batch(region_id, rows[-1][2], batch)
                    )
                for row in rows:
                    yield _recorded(row)
        finally:
            if pending is not None:  # the consumer stopped early: drop the prefetch
                pending.add_done_callback(_retrieve)
                pending.cancel()

    async def _region_batch(self, region_id: int, after: int, batch: int) -> list[Any]:
        async with self.engine.connect() as conn:
            result = await conn.execute(
                _READ_REGION, {"region_id": region_id, "after": after, "batch": batch}
            )
            return list(result.all())

    async def read_all(self, after_position: int = 0, limit: int = 1_000) -> list[RecordedEvent]:
        """Events of every region in global position order (for projections catching up).

        Args:
            after_position: only events with a greater position (a consumer's checkpoint).
            limit: at most this many events.

        Returns:
            Up to ``limit`` recorded events, positions increasing.
        """
        async with self.engine.connect() as conn:
            result = await conn.execute(_READ_ALL, {"after": after_position, "limit": limit})
            rows = result.all()
        return [_recorded(row) for row in rows]

    async def read_of_type(
        self, event_type: str | Sequence[str], after_position: int = 0, limit: int = 1_000
    ) -> list[RecordedEvent]:
        """Events of one type (or of several), of every region, in global position order.

        Args:
            event_type: the events' ``type`` (e.g. ``credits_adjusted``), or several types.
            after_position: only events with a greater position.
            limit: at most this many events.

        Returns:
            Up to ``limit`` recorded events, positions increasing.
        """
        types = [event_type] if isinstance(event_type, str) else list(event_type)
        params = {"types": types, "after": after_position, "limit": limit}
        async with self.engine.connect() as conn:
            rows = (await conn.execute(_READ_TYPE, params)).all()
        return [_recorded(row) for row in rows]

    async def head_position(self) -> int:
        """The position of the last stored event.

        Returns:
            The greatest position, 0 for an empty store.
        """
        async with self.engine.connect() as conn:
            return int((await conn.execute(_HEAD)).scalar_one())

    async def load_snapshot(self, region_id: int) -> tuple[int, bytes] | None:
        """The latest snapshot of a region.

        Args:
            region_id: the region.

        Returns:
            ``(seq, data)`` of the latest snapshot, or None when there is none.
        """
        query = (
            select(snapshots.c.seq, snapshots.c.data)
            .where(snapshots.c.region_id == region_id)
            .order_by(snapshots.c.seq.desc())
            .limit(1)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else (int(row[0]), bytes(row[1]))

    # --- catalogue ---------------------------------------------------------------------------
    async def add_region(self, row: RegionRow) -> None:
        """Add a region to the catalogue (see :func:`starlane.store.catalogue.add_region`)."""
        await catalogue.add_region(self.engine, row)

    async def add_regions(self, rows: Sequence[RegionRow]) -> None:
        """Add several regions in one transaction (see :func:`catalogue.add_regions`)."""
        await catalogue.add_regions(self.engine, rows)

    async def list_regions(self) -> list[RegionRow]:
        """Every region of the catalogue, by id."""
        return await catalogue.list_regions(self.engine)

    async def get_region(self, region_id: int) -> RegionRow | None:
        """One region of the catalogue, or None."""
        return await catalogue.get_region(self.engine, region_id)
