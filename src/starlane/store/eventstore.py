"""The durable event store: per-region event streams, a global position, and snapshots.

Each region is one stream of events numbered ``seq`` = 1, 2, 3, ... with no gaps; every event
also gets a global ``position`` (assigned by the database, increasing in commit order) that
projections and other consumers checkpoint on. :meth:`EventStore.append` writes a whole group
commit (the events of many commands, plus optionally a snapshot) in one transaction, with an
optimistic concurrency check on the region's last ``seq``.

:meth:`EventStore.append_now` makes the same group commit without awaiting, on the calling
(event loop) thread, when the database is a SQLite file and no other connection is writing;
the region engines use it first and await :meth:`EventStore.append` otherwise. With
``sync_off_loop`` such a commit is visible at once but durable only when the ``fsync`` of the
write-ahead log that :meth:`EventStore.when_durable` waits for has run in a thread of its own
(see :mod:`starlane.store.walsync`); :meth:`EventStore.read_all` returns only durable events.

Commit order equals position order: on SQLite the write transaction (``BEGIN IMMEDIATE``) holds
the database's single write lock; on PostgreSQL an advisory transaction lock serializes appends
so that a consumer reading ``position > p`` can never later see a smaller position appear.

Usage::

    store = EventStore(engine)
    recorded = await store.append(region_id, state.seq, [(event, player_id), ...])
    async for rec in store.read_region(region_id, after_seq=snapshot_seq):
        evolve(state, rec.event)
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from starlane.domain.codec import decode_event, encode_event
from starlane.domain.events import Event, RecordedEvent
from starlane.store import catalogue
from starlane.store.appenders import (
    SQLITE_ROWS_PER_STATEMENT,
    ConflictDetected,
    append_postgres,
    append_sqlite,
    append_sqlite_now,
    write_snapshot,
)
from starlane.store.catalogue import RegionRow
from starlane.store.db import WRITE_TRANSACTION, open_inline_writer, sqlite_file
from starlane.store.schema import events, snapshots
from starlane.store.walcheckpoint import WalCheckpointer
from starlane.store.walsync import DurabilityCallback, WalSyncer, sync_wal_file, wal_path

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
    region_id: int, expected_seq: int, items: Sequence[tuple[Event, int | None]], now: float
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
    items: Sequence[tuple[Event, int | None]],
    positions: dict[int, int],
) -> list[RecordedEvent]:
    return [
        RecordedEvent(positions[row[1]], region_id, row[1], actor_id, event)
        for row, (event, actor_id) in zip(rows, items, strict=True)
    ]


def _is_unique_violation(exc: Exception) -> bool:
    orig = getattr(exc, "orig", exc)
    message = f"{orig!r} {orig}".lower()
    return "unique" in message


class EventStore:
    """Event streams per region, global positions, snapshots and the region catalogue.

    Args:
        engine: the database engine (:func:`starlane.store.db.create_db_engine`), migrated.
        clock: source of ``recorded_at``, unix seconds.
        snapshots_kept: how many snapshots per region :meth:`save_snapshot` keeps.
        commit_on_loop: let :meth:`append_now` store group commits on the calling thread
            (SQLite files only); False makes it always answer None (the setting
            ``sqlite_commit_on_loop``).
        sync_off_loop: with ``commit_on_loop``, on a database whose ``synchronous`` level is
            ``FULL``: :meth:`append_now` writes the WAL without syncing it and a
            :class:`~starlane.store.walsync.WalSyncer` syncs it in a thread;
            :meth:`when_durable` tells when. False: the commit syncs on the calling thread
            (the setting ``sqlite_sync_off_loop``).
        checkpoint_off_loop: with ``commit_on_loop``, turn the inline writer's automatic WAL
            checkpoints off and run them in a
            :class:`~starlane.store.walcheckpoint.WalCheckpointer` thread, so no on-loop
            commit copies the log into the database (the setting
            ``sqlite_checkpoint_off_loop``).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        clock: Callable[[], float] = time.time,
        snapshots_kept: int = SNAPSHOTS_KEPT,
        commit_on_loop: bool = True,
        sync_off_loop: bool = False,
        checkpoint_off_loop: bool = False,
    ) -> None:
        if snapshots_kept < 1:
            raise ValueError("snapshots_kept must be at least 1")
        self.engine = engine
        self._writer = engine.execution_options(**WRITE_TRANSACTION)
        self._clock = clock
        self._kept = snapshots_kept
        self._append = append_postgres if engine.dialect.name == "postgresql" else append_sqlite
        self._inline: sqlite3.Connection | None = None  # opened by the first append_now
        self._file = sqlite_file(engine)
        self._inline_possible = commit_on_loop and self._file is not None
        self._sync_off_loop = sync_off_loop and self._file is not None and self._file[1] == "FULL"
        self.syncer: WalSyncer | None = None
        """Syncs the WAL of :meth:`append_now`'s commits (opened with the inline writer)."""
        self._checkpoint_off_loop = checkpoint_off_loop
        self.checkpointer: WalCheckpointer | None = None
        """Checkpoints the WAL in a thread (started with the inline writer)."""
        self.inline_yields = 0
        """Group commits :meth:`append_now` left to :meth:`append` because another
        connection was writing."""
        # A lower bound of each region's stored last seq (streams only grow). When the caller's
        # expected_seq equals it, the SELECT of the concurrency check is skipped: if another
        # writer appended meanwhile, seq expected_seq + 1 exists and the unique constraint
        # refuses the insert.
        self._known_last: dict[int, int] = {}

    # --- writing -----------------------------------------------------------------------------
    async def append(
        self,
        region_id: int,
        expected_seq: int,
        items: Sequence[tuple[Event, int | None]],
        *,
        snapshot: tuple[int, bytes] | None = None,
    ) -> list[RecordedEvent]:
        """Append events to a region's stream in one transaction (one group commit).

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
        new_last = expected_seq + len(items)
        if snapshot is not None and snapshot[0] > new_last:
            raise ValueError(f"snapshot at seq {snapshot[0]} is ahead of the stream ({new_last})")
        now = self._clock()
        rows = _rows(region_id, expected_seq, items, now)
        if not rows and snapshot is None:
            return []
        check = self._known_last.get(region_id) != expected_seq or not rows
        snap = None if snapshot is None else (snapshot[0], snapshot[1], now)
        try:
            positions = await self._append(
                self._writer, region_id, expected_seq, rows, snap, check=check, kept=self._kept
            )
        except ConflictDetected as conflict:
            self._known_last[region_id] = conflict.actual
            raise ConcurrencyError(region_id, expected_seq, conflict.actual) from None
        except (IntegrityError, sqlite3.Error) as exc:
            if isinstance(exc, IntegrityError | sqlite3.IntegrityError) and _is_unique_violation(
                exc
            ):
                self._known_last.pop(region_id, None)
                actual = await self.last_seq(region_id)
                raise ConcurrencyError(region_id, expected_seq, actual) from exc
            if isinstance(exc, sqlite3.Error):  # the SQLite path runs on the driver directly
                raise DBAPIError.instance(None, None, exc, sqlite3.Error) from exc
            raise
        self._known_last[region_id] = new_last
        return _recorded_events(region_id, rows, items, positions)

    @property
    def can_append_now(self) -> bool:
        """Whether :meth:`append_now` can store a batch (SQLite with a file, not closed, and
        no failed WAL sync)."""
        return self._inline_possible and (self.syncer is None or self.syncer.usable)

    def append_now(
        self,
        region_id: int,
        expected_seq: int,
        items: Sequence[tuple[Event, int | None]],
        *,
        snapshot: tuple[int, bytes] | None = None,
    ) -> list[RecordedEvent] | None:
        """:meth:`append` without waiting, when it can be done so: on a SQLite file, a group
        commit whose stream is known to end at ``expected_seq``, while no other connection
        writes. It then runs on the calling (event loop) thread: ONE ``INSERT`` (a transaction
        with the snapshot, if any), blocking the thread for ~0.7 ms (40 events,
        ``synchronous=FULL``, ``benchmarks/bench_store.py``) instead of trips through
        aiosqlite's thread that a busy event loop answers ~10 ms later each (see
        :func:`starlane.store.db.open_inline_writer`). With ``sync_off_loop`` the WAL is not
        synced by the statement: call :meth:`when_durable` after each stored batch, and tell
        nobody about it before its callback.

        Args:
            region_id: the region whose stream grows.
            expected_seq: the last seq the caller's state reflects.
            items: 1 to :data:`~starlane.store.appenders.SQLITE_ROWS_PER_STATEMENT`
                ``(event, actor_id)`` pairs in order.
            snapshot: optional ``(seq, data)`` snapshot written in the same transaction.

        Returns:
            The recorded events, as :meth:`append` returns them; None when it cannot be done
            without waiting (PostgreSQL, an in-memory database, no events, too many, a stream
            not known to end at ``expected_seq``, or another writer holding the lock): nothing
            was written, call :meth:`append`.

        Raises:
            ConcurrencyError: another writer appended to the stream (a duplicate seq); nothing
                written.
            ValueError: an event belongs to another region, or the snapshot is ahead of the
                stream.
            sqlalchemy.exc.DBAPIError: the database failed; nothing written.
        """
        if snapshot is not None and snapshot[0] > expected_seq + len(items):
            raise ValueError(f"snapshot at seq {snapshot[0]} is ahead of the stream")
        if (
            not self.can_append_now
            or not 0 < len(items) <= SQLITE_ROWS_PER_STATEMENT
            or self._known_last.get(region_id) != expected_seq
        ):
            return None
        if self._inline is None and not self._open_inline():
            return None
        assert self._inline is not None
        now = self._clock()
        rows = _rows(region_id, expected_seq, items, now)
        snap = None if snapshot is None else (snapshot[0], snapshot[1], now)
        try:
            positions = append_sqlite_now(self._inline, region_id, rows, snap, kept=self._kept)
        except sqlite3.IntegrityError as exc:
            if _is_unique_violation(exc):
                self._known_last.pop(region_id, None)
                raise ConcurrencyError(region_id, expected_seq, None) from exc
            raise DBAPIError.instance(None, None, exc, sqlite3.Error) from exc
        except sqlite3.Error as exc:
            raise DBAPIError.instance(None, None, exc, sqlite3.Error) from exc
        if positions is None:
            self.inline_yields += 1
            return None
        self._known_last[region_id] = expected_seq + len(rows)
        return _recorded_events(region_id, rows, items, positions)

    def _open_inline(self) -> bool:
        assert self._file is not None
        if self._sync_off_loop:
            self._inline = open_inline_writer(self.engine, synchronous="NORMAL")
            if self._inline is not None:
                self.syncer = WalSyncer(wal_path(self._file[0]), sync=sync_wal_file)
        else:
            self._inline = open_inline_writer(self.engine)
        if self._inline is None:
            self._inline_possible = False
            return False
        if self._checkpoint_off_loop:
            self._inline.execute("PRAGMA wal_autocheckpoint=0")
            self.checkpointer = WalCheckpointer(self._file[0], synchronous=self._file[1])
        return True

    def when_durable(self, callback: DurabilityCallback) -> None:
        """Call ``callback(None)`` once every batch :meth:`append_now` stored so far is durable,
        or ``callback(error)`` (a :class:`~starlane.store.walsync.WalSyncError`) when that
        could not be made sure. Without an off-loop sync the batches already are: the
        callback is called at once.

        Callbacks run on the event loop's thread in the order of the calls, and must not raise.

        Args:
            callback: the function to call with None or the error.
        """
        if self.syncer is None:
            callback(None)
        else:
            self.syncer.request(callback)

    def close(self) -> None:
        """Close the inline writer connection, its syncer and its checkpointer, if any (the
        engine's pool is the caller's); commits still waiting for a sync are synced first."""
        if self.checkpointer is not None:
            self.checkpointer.close()
        if self.syncer is not None:
            self.syncer.close()
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        self._inline_possible = False

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

        Only durable events are returned: on a SQLite file, the write-ahead log is synced
        (in a thread) after a read that found events, since a server's on-loop commit is
        visible before its off-loop sync (:mod:`starlane.store.walsync`); a read model built
        on an event a power cut then erased would skip the event later stored at its position.

        Args:
            after_position: only events with a greater position (a consumer's checkpoint).
            limit: at most this many events.

        Returns:
            Up to ``limit`` recorded events, positions increasing.

        Raises:
            OSError: the WAL could not be synced (the events are not returned).
        """
        async with self.engine.connect() as conn:
            result = await conn.execute(_READ_ALL, {"after": after_position, "limit": limit})
            rows = result.all()
        if rows and self._file is not None:
            await asyncio.to_thread(sync_wal_file, wal_path(self._file[0]))
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
