"""The event store's PostgreSQL adapter: group commits awaited in a task.

asyncpg never blocks the event loop, so a group commit is a task: one transaction that takes
the advisory lock of appends (commit order = position order), checks the stream's end when it
is not known, inserts the batch with one prepared statement and writes the snapshot, if any
(:func:`starlane.store.appenders.append_postgres`). The callback comes when the transaction has
committed; several regions' commits are in flight at once, queued on the lock.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError

from starlane.store.appenders import ConflictDetected, append_postgres
from starlane.store.eventstore import (
    ConcurrencyError,
    EventStore,
    PreparedBatch,
    is_unique_violation,
)
from starlane.store.ports import CommitCallback, CommitOutcome, EventItem, Snapshot

__all__ = ["PostgresEventStore"]


class PostgresEventStore(EventStore):
    """The event store on PostgreSQL (see the module; arguments as
    :class:`~starlane.store.eventstore.EventStore`)."""

    def commit(
        self,
        region_id: int,
        expected_seq: int,
        items: Sequence[EventItem],
        snapshot: Snapshot | None,
        done: CommitCallback,
    ) -> None:
        """A group commit in a task (see :meth:`starlane.store.ports.EventStore.commit`)."""
        try:
            batch = self._prepare(region_id, expected_seq, items, snapshot)
        except Exception as exc:
            done(exc)
            return
        if batch is None:
            done([])
            return
        self._spawn(self._append(batch, done))

    async def _append(self, batch: PreparedBatch, done: CommitCallback) -> None:
        outcome: CommitOutcome
        try:
            positions = await append_postgres(
                self._writer,
                batch.region_id,
                batch.expected_seq,
                batch.rows,
                batch.snapshot,
                check=batch.check,
                kept=self._kept,
            )
        except ConflictDetected as conflict:
            self._known_last[batch.region_id] = conflict.actual
            outcome = ConcurrencyError(batch.region_id, batch.expected_seq, conflict.actual)
        except IntegrityError as exc:
            outcome = exc
            if is_unique_violation(exc):
                self._known_last.pop(batch.region_id, None)
                actual = await self.last_seq(batch.region_id)
                outcome = ConcurrencyError(batch.region_id, batch.expected_seq, actual)
                outcome.__cause__ = exc
        except Exception as exc:
            outcome = exc
        except BaseException as exc:  # cancelled (shutdown): the outcome is unknown
            done(ConnectionAbortedError(f"commit cancelled: {exc!r}"))
            raise
        else:
            outcome = self._stored(batch, positions)
        done(outcome)
