"""The event store's SQLite adapter: group commits on the event loop's own thread.

SQLite admits one writer at a time and a process of Starlane is that writer, so the quickest
durable group commit is one statement on the loop's thread, on a connection of the store's own
(:func:`starlane.store.db.open_writer`): ``INSERT ... RETURNING`` of the whole batch, synced by
SQLite before it returns (``synchronous=FULL``), with no trip through a driver thread that a
busy loop would answer milliseconds later. :meth:`SqliteEventStore.commit` therefore calls back
before it returns, and the region engines answer their callers in the next loop turn.

It waits instead, in a task, only when the write lock is taken: by a writer of this process
(the per-database :func:`starlane.store.db.write_lock`, held e.g. by a projection batch), or by
another connection (an admin command), whose ``SQLITE_BUSY`` makes the statement give way at
once; the task then retries with a short back-off, holding the in-process lock so this
process's writers queue behind it. Either way the callback comes once the batch is durable.

With ``checkpoint_off_loop`` (the server's default) no WAL checkpoint runs in a commit on the
loop: the writer connection's automatic ones are off and a
:class:`~starlane.store.walcheckpoint.WalCheckpointer` thread copies the log into the database
file (see that module); without it, SQLite checkpoints inside the commit that takes the log
past its threshold.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable, Sequence

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from starlane.store.appenders import ConflictDetected, append_sqlite, sqlite_last_seq
from starlane.store.db import SQLITE_BUSY_TIMEOUT_MS, open_writer, sqlite_file, write_lock
from starlane.store.eventstore import (
    SNAPSHOTS_KEPT,
    ConcurrencyError,
    EventStore,
    PreparedBatch,
    is_unique_violation,
)
from starlane.store.ports import CommitCallback, CommitOutcome, EventItem, Snapshot
from starlane.store.walcheckpoint import CHECKPOINT_INTERVAL_SECONDS, WalCheckpointer

__all__ = ["SqliteEventStore"]

_FIRST_RETRY_SECONDS = 0.001
_LAST_RETRY_SECONDS = 0.05


class SqliteEventStore(EventStore):
    """The event store on a SQLite file (see the module).

    Args:
        engine: a SQLite engine made by :func:`starlane.store.db.create_db_engine`, migrated.
        clock: source of ``recorded_at``, unix seconds.
        snapshots_kept: snapshots kept per region.
        checkpoint_off_loop: checkpoint in a thread (see the module).
        checkpoint_interval: seconds between two checks of the write-ahead log by the
            checkpointer thread.

    Attributes:
        busy_waits: group commits that found the write lock taken and waited in a task.
        checkpointer: the WAL checkpointer, started with the writer connection at the first
            commit when ``checkpoint_off_loop`` (else None), stopped by :meth:`close`.

    Raises:
        ValueError: the database is not a SQLite file (a ``file:`` URI).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        clock: Callable[[], float] = time.time,
        snapshots_kept: int = SNAPSHOTS_KEPT,
        checkpoint_off_loop: bool = False,
        checkpoint_interval: float = CHECKPOINT_INTERVAL_SECONDS,
    ) -> None:
        super().__init__(
            engine,
            clock=clock,
            snapshots_kept=snapshots_kept,
            checkpoint_off_loop=checkpoint_off_loop,
        )
        found = sqlite_file(engine)
        lock = write_lock(engine)
        if found is None or lock is None:
            raise ValueError("the SQLite event store needs a database file (a path or :memory:)")
        self._path, self._synchronous = found
        self._lock = lock
        self._interval = checkpoint_interval
        self._conn: sqlite3.Connection | None = None
        self._closed = False
        self.busy_waits = 0
        self.checkpointer: WalCheckpointer | None = None

    def commit(
        self,
        region_id: int,
        expected_seq: int,
        items: Sequence[EventItem],
        snapshot: Snapshot | None,
        done: CommitCallback,
    ) -> None:
        """A group commit on the loop's thread, or in a task while the write lock is taken
        (see :meth:`starlane.store.ports.EventStore.commit`)."""
        try:
            batch = self._prepare(region_id, expected_seq, items, snapshot)
        except Exception as exc:
            done(exc)
            return
        if batch is None:
            done([])
            return
        if not self._lock.locked():
            outcome = self._write(batch)
            if outcome is not None:
                done(outcome)
                return
        self.busy_waits += 1
        self._spawn(self._write_when_free(batch, done))

    async def _write_when_free(self, batch: PreparedBatch, done: CommitCallback) -> None:
        outcome: CommitOutcome | None = None
        try:
            async with self._lock:
                deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
                delay = _FIRST_RETRY_SECONDS
                while (outcome := self._write(batch)) is None:
                    if time.monotonic() > deadline:
                        locked = sqlite3.OperationalError("database is locked")
                        outcome = DBAPIError.instance(None, None, locked, sqlite3.Error)
                        break
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, _LAST_RETRY_SECONDS)
        except BaseException as exc:  # cancelled (shutdown): nothing written by this task
            done(exc if isinstance(exc, Exception) else ConnectionAbortedError(str(exc)))
            raise
        assert outcome is not None
        done(outcome)

    def _write(self, batch: PreparedBatch) -> CommitOutcome | None:
        """One attempt at the batch: its recorded events, the error, or None when another
        connection held the write lock (nothing written)."""
        try:
            conn = self._writer_connection()
            positions = append_sqlite(
                conn,
                batch.region_id,
                batch.expected_seq,
                batch.rows,
                batch.snapshot,
                check=batch.check,
                kept=self._kept,
            )
        except ConflictDetected as conflict:
            self._known_last[batch.region_id] = conflict.actual
            return ConcurrencyError(batch.region_id, batch.expected_seq, conflict.actual)
        except sqlite3.IntegrityError as exc:
            if not is_unique_violation(exc):
                return DBAPIError.instance(None, None, exc, sqlite3.Error)
            self._known_last.pop(batch.region_id, None)
            actual: int | None = None
            with contextlib.suppress(sqlite3.Error):
                actual = sqlite_last_seq(self._writer_connection(), batch.region_id)
            error = ConcurrencyError(batch.region_id, batch.expected_seq, actual)
            error.__cause__ = exc
            return error
        except sqlite3.Error as exc:
            return DBAPIError.instance(None, None, exc, sqlite3.Error)
        except Exception as exc:
            return exc
        if positions is None:
            return None
        return self._stored(batch, positions)

    def _writer_connection(self) -> sqlite3.Connection:
        if self._conn is None:
            if self._closed:
                raise sqlite3.ProgrammingError("the event store is closed")
            self._conn = open_writer(self.engine)
            if self._checkpoint_off_loop:
                self._conn.execute("PRAGMA wal_autocheckpoint=0")
                self.checkpointer = WalCheckpointer(
                    self._path, synchronous=self._synchronous, interval=self._interval
                )
        return self._conn

    def close(self) -> None:
        """Stop the checkpointer and close the writer connection; later commits fail."""
        self._closed = True
        if self.checkpointer is not None:
            self.checkpointer.close()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
