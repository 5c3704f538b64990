"""The outbox: relational changes committed with the data they describe, then published.

A unit of work (:mod:`starlane.store.uow`) writes one ``outbox`` row per message in the same
transaction as its relational changes (:func:`append_outbox`), so a change and the message
announcing it commit together or not at all. After the commit the :class:`OutboxPublisher`
hands the rows, as :class:`~starlane.domain.envelope.Envelope` objects, to the bus and marks
them published (``published_at``).

Positions follow commit order on both backends, so a consumer can checkpoint on the last
position it applied and read on from there without skipping a row: on SQLite the writers
take turns anyway; on PostgreSQL the rows are written under an advisory lock held until the
commit (:data:`OUTBOX_LOCK_KEY`; only the end of a unit of work that has messages waits for
it).

Delivery is at least once: a crash between the commit and the mark leaves rows unpublished,
and a publisher sweeps the table for such rows when it starts and every ``poll_seconds``
(rows committed by another process, e.g. ``starlane admin``, are published that way too).
Consumers that must not see a change twice skip positions they have seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

import msgspec
import structlog
from sqlalchemy import Row, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from starlane.domain.envelope import Envelope
from starlane.store.db import WRITE_TRANSACTION, write_lock
from starlane.store.schema import outbox

_log = structlog.get_logger("starlane.store.outbox")

OUTBOX_LOCK_KEY = 0x5354_4C4E_4F55_5442
"""PostgreSQL advisory lock id ("STLNOUTB") held from a unit of work's outbox insert to its
commit, so outbox positions follow commit order."""

_PG_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_MARKS_PER_STATEMENT = 500


class OutboxMessage(NamedTuple):
    """A message a unit of work will write to the outbox when it commits.

    Attributes:
        kind: e.g. ``role.granted``.
        subject: e.g. ``account.42``.
        payload: JSON-able data.
    """

    kind: str
    subject: str
    payload: Mapping[str, Any]


class EnvelopeSink(Protocol):
    """Where published envelopes go (the bus: :meth:`starlane.bus.Bus.publish_envelopes`)."""

    def publish_envelopes(self, envelopes: Sequence[Envelope]) -> None:
        """Take committed envelopes, without waiting."""


async def append_outbox(
    conn: AsyncConnection, messages: Sequence[OutboxMessage], now: float
) -> list[Envelope]:
    """Write messages to the outbox inside the caller's transaction.

    On PostgreSQL this takes :data:`OUTBOX_LOCK_KEY` until the transaction ends: commit
    right after.

    Args:
        conn: a connection in an open transaction.
        messages: the messages, in order.
        now: unix seconds, the commit time recorded with them.

    Returns:
        Their envelopes, with the positions the rows received, in the same order.

    Raises:
        TypeError: a payload is not JSON-able.
    """
    if not messages:
        return []
    rows = [
        {
            "kind": m.kind,
            "subject": m.subject,
            "payload": msgspec.json.encode(m.payload).decode(),
            "created_at": now,
        }
        for m in messages
    ]
    if conn.dialect.name == "postgresql":
        await conn.execute(_PG_LOCK, {"key": OUTBOX_LOCK_KEY})
    query = outbox.insert().returning(outbox.c.position, sort_by_parameter_order=True)
    positions = [int(p) for p in (await conn.execute(query, rows)).scalars()]
    return [
        Envelope(m.kind, m.subject, m.payload, position, now)
        for m, position in zip(messages, positions, strict=True)
    ]


def _envelope(row: Row[Any]) -> Envelope:
    return Envelope(
        row.kind, row.subject, msgspec.json.decode(row.payload), int(row.position), row.created_at
    )


async def read_outbox(
    engine: AsyncEngine, *, after: int = 0, limit: int = 500, unpublished_only: bool = False
) -> list[Envelope]:
    """Outbox rows in position order (the catch-up read of a consumer, or the sweep).

    Args:
        engine: the database.
        after: only rows with a greater position.
        limit: at most this many.
        unpublished_only: only rows not yet marked published.

    Returns:
        The envelopes.
    """
    query = select(outbox).where(outbox.c.position > after)
    if unpublished_only:
        query = query.where(outbox.c.published_at.is_(None))
    async with engine.connect() as conn:
        rows = (await conn.execute(query.order_by(outbox.c.position).limit(limit))).all()
    return [_envelope(r) for r in rows]


async def mark_published(engine: AsyncEngine, positions: Sequence[int], now: float) -> int:
    """Mark outbox rows published (the rows already marked keep their time).

    Args:
        engine: the database.
        positions: the rows.
        now: unix seconds.

    Returns:
        How many rows were marked now.
    """
    if not positions:
        return 0
    marked = 0
    lock = write_lock(engine)
    async with contextlib.AsyncExitStack() as stack:
        if lock is not None:
            await stack.enter_async_context(lock)
        conn = await stack.enter_async_context(
            engine.execution_options(**WRITE_TRANSACTION).begin()
        )
        for start in range(0, len(positions), _MARKS_PER_STATEMENT):
            chunk = list(positions[start : start + _MARKS_PER_STATEMENT])
            result = await conn.execute(
                update(outbox)
                .where(outbox.c.position.in_(chunk), outbox.c.published_at.is_(None))
                .values(published_at=now)
            )
            marked += int(result.rowcount)
    return marked


class OutboxPublisher:
    """Publishes committed outbox rows on the bus and marks them published.

    :meth:`committed` (called by each unit of work right after its commit) publishes at once;
    the marks are written by a background task every ``poll_seconds`` (all the commits of that
    time in one transaction, so the marks never compete with the region engines' commits
    more than once a period), which then sweeps the table for rows nobody published (left by
    a crash, or committed by another process). The sweep also runs at start-up.

    Args:
        engine: the database holding the outbox.
        sink: the bus.
        clock: unix seconds now.
        poll_seconds: seconds between two rounds of marks and sweep; 0 writes the marks after
            each commit and sweeps at start-up only.
        batch_size: rows read per sweep query.

    Attributes:
        published: envelopes handed to the bus so far (after commits and by sweeps).
        swept: of those, envelopes found by a sweep.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        sink: EnvelopeSink,
        *,
        clock: Callable[[], float] = time.time,
        poll_seconds: float = 1.0,
        batch_size: int = 500,
    ) -> None:
        self._engine = engine
        self._sink = sink
        self._clock = clock
        self._poll = poll_seconds
        self._batch = batch_size
        self._unmarked: set[int] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        self.swept = 0

    def committed(self, envelopes: Sequence[Envelope]) -> None:
        """Publish envelopes a unit of work has just committed (never waits).

        Args:
            envelopes: the committed rows' envelopes, in position order.
        """
        if not envelopes:
            return
        self._sink.publish_envelopes(envelopes)
        self.published += len(envelopes)
        self._unmarked.update(e.position for e in envelopes)
        self._wake.set()

    async def start(self) -> None:
        """Publish what an earlier run left unpublished, then start the background task."""
        if self._task is not None:
            return
        await self.sweep()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox")

    async def stop(self) -> None:
        """Stop the background task and write the pending marks."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def flush(self) -> int:
        """Mark the rows published since the last flush.

        Returns:
            How many rows were marked.
        """
        if not self._unmarked:
            return 0
        positions = sorted(self._unmarked)
        marked = await mark_published(self._engine, positions, self._clock())
        self._unmarked.difference_update(positions)
        return marked

    async def sweep(self) -> int:
        """Publish (and mark) every row not marked published, oldest first.

        Returns:
            How many rows were published.
        """
        await self.flush()
        total = 0
        after = 0
        while True:
            found = await read_outbox(
                self._engine, after=after, limit=self._batch, unpublished_only=True
            )
            fresh = [e for e in found if e.position not in self._unmarked]
            if fresh:
                self._sink.publish_envelopes(fresh)
                self.published += len(fresh)
                self.swept += len(fresh)
                total += len(fresh)
                self._unmarked.update(e.position for e in fresh)
                await self.flush()
            if len(found) < self._batch:
                return total
            after = found[-1].position

    async def _run(self) -> None:
        while True:
            try:
                if self._poll > 0:
                    await asyncio.sleep(self._poll)
                    await self.sweep()  # writes the pending marks first
                else:
                    await self._wake.wait()
                    self._wake.clear()
                    await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away: the marks wait, the rows stay findable
                _log.exception("outbox.publisher_failed", unmarked=len(self._unmarked))
                await asyncio.sleep(max(self._poll, 0.5))
