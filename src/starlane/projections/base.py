"""The projection framework: read models fed by the event stream, checkpointed by position.

A :class:`Projection` turns batches of committed events into rows of its own tables. A
:class:`ProjectionRunner` feeds one or more projections:

1. on :meth:`~ProjectionRunner.start` it subscribes to the bus, then catches up from each
   projection's checkpoint by reading the store in position order
   (:meth:`EventStore.read_all`);
2. it then follows the bus: a run of events whose positions continue the checkpoint exactly is
   applied directly; anything else (a gap, events published out of position order by two
   regions, a dropped slow subscription, a failed batch) makes it catch up from the store
   again, so the store stays the single source of truth and nothing is skipped or applied
   twice.

Each batch is applied and the checkpoints are written in ONE transaction, so after a crash a
projection resumes exactly after the last batch it committed.

Without a bus (``bus=None``: the ``starlane projector`` process, which shares no memory with
the server) the runner polls the store instead: it catches up, sleeps ``poll_seconds``, and
catches up again.

Relational changes (accounts, roles...: :class:`~starlane.domain.envelope.Envelope`) reach a
projection that lists their kinds in ``change_kinds``, through :meth:`Projection.apply_changes`.
The ``outbox`` table is their store: each such projection has a second checkpoint (its name
plus ``@outbox``) on outbox positions, which follow commit order; the runner reads the table on
from it at start, whenever the bus (the same subscription, which then takes those kinds too)
hands it a change, and at each poll. At start the events are caught up before the changes.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from starlane.bus import SLOW_CONSUMER, BusPort, Subscription, SubscriptionClosed
from starlane.domain.envelope import REGION_EVENT, Envelope
from starlane.domain.events import RecordedEvent
from starlane.store.db import WRITE_TRANSACTION, write_lock
from starlane.store.outbox import read_outbox
from starlane.store.schema import projection_checkpoints

CHANGES_SUFFIX = "@outbox"
"""Appended to a projection's name to name its checkpoint on outbox positions."""

_log = structlog.get_logger("starlane.projections")


class Projection(ABC):
    """A read model built from events.

    Subclasses set ``name`` (the checkpoint key, stable forever) and implement :meth:`apply`.
    """

    name: ClassVar[str] = "projection"
    change_kinds: ClassVar[frozenset[str]] = frozenset()
    """The relational change kinds :meth:`apply_changes` takes (none by default)."""

    async def apply_changes(self, conn: AsyncConnection, changes: Sequence[Envelope]) -> None:
        """Apply relational changes inside the runner's transaction (only kinds listed in
        ``change_kinds`` are passed).

        Args:
            conn: the connection of the open transaction (also used for the checkpoint).
            changes: changes in outbox position order, each newer than this projection's
                outbox checkpoint.
        """
        return None

    @abstractmethod
    async def apply(self, conn: AsyncConnection, events: Sequence[RecordedEvent]) -> None:
        """Apply a batch of events inside the runner's transaction.

        Args:
            conn: the connection of the open transaction (also used for the checkpoint).
            events: events in position order, each newer than this projection's checkpoint.
        """


class ProjectionRunner:
    """Feeds projections from the store and the bus, one transaction per batch.

    Attributes:
        batches: batches applied.
        events: events applied.
        catch_ups: times the runner read the store instead of the bus.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        store: Any,
        bus: BusPort | None,
        projections: Sequence[Projection],
        *,
        batch_size: int = 1_000,
        bus_maxsize: int = 10_000,
        retry_seconds: float = 1.0,
        batch_window: float = 0.05,
        poll_seconds: float = 0.05,
        outbox: AsyncEngine | None = None,
    ) -> None:
        """Create a runner (call :meth:`start`).

        Args:
            engine: the database engine the projections write to.
            store: the event store to catch up from.
            bus: the bus to follow (its region events); None polls the store instead.
            projections: the projections (distinct names).
            batch_size: events per transaction at most.
            bus_maxsize: the runner's bus buffer; overflowing it makes it catch up.
            retry_seconds: delay before retrying after a failed batch, seconds.
            batch_window: after applying a batch, seconds to let events accumulate before the
                next one (0: apply as soon as events arrive). Under load this bounds the
                transactions to about one per window, whatever the commit rate; an event
                arriving after a quiet spell is applied at once.
            poll_seconds: without a bus, seconds between two reads of the store once caught
                up (the projections' lag behind the game under a steady load).
            outbox: the database holding the ``outbox`` table (the main database), for the
                projections with ``change_kinds``; None feeds them no changes.

        Raises:
            ValueError: two projections share a name.
        """
        names = [p.name for p in projections]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate projection names: {names}")
        self._engine = engine
        self._store = store
        self._bus = bus
        self.projections = tuple(projections)
        self._batch_size = batch_size
        self._bus_maxsize = bus_maxsize
        self._retry = retry_seconds
        self._window = batch_window
        self._poll_seconds = poll_seconds
        self._checkpoints: dict[str, int] = {}
        self._outbox = outbox
        self._changed = [p for p in self.projections if p.change_kinds] if outbox else []
        self._kinds = frozenset({REGION_EVENT}.union(*(p.change_kinds for p in self._changed)))
        self._sub: Subscription | None = None
        self._task: asyncio.Task[None] | None = None
        self._advanced = asyncio.Event()
        self.batches = 0
        self.events = 0
        self.catch_ups = 0
        self.changes = 0

    @property
    def position(self) -> int:
        """The position every projection has reached (the smallest checkpoint)."""
        return min(self._checkpoints.values(), default=0)

    @property
    def checkpoints(self) -> dict[str, int]:
        """Projection name -> last position applied."""
        return dict(self._checkpoints)

    async def start(self) -> None:
        """Load the checkpoints, catch up from the store and start following the bus."""
        if self._task is not None:
            return
        await self._load_checkpoints()
        if self._bus is None:
            await self._catch_up()
            await self._catch_up_changes()
            follow = self._poll()
        else:
            self._sub = self._subscribe()
            await self._catch_up()
            await self._catch_up_changes()
            follow = self._follow()
        self._task = asyncio.get_running_loop().create_task(follow, name="projections")
        _log.info("projections.started", checkpoints=self._checkpoints, polling=self._bus is None)

    async def stop(self) -> None:
        """Stop following the bus (the checkpoints are already stored)."""
        if self._sub is not None:
            self._sub.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def wait_until(self, position: int, timeout: float = 10.0) -> None:
        """Wait until every projection has applied the events up to ``position``.

        Args:
            position: a global position (e.g. of the last event a test committed).
            timeout: seconds to wait at most.

        Raises:
            TimeoutError: the position was not reached in time.
        """
        async with asyncio.timeout(timeout):
            while self.position < position:
                self._advanced.clear()
                await self._advanced.wait()

    # --- internals -----------------------------------------------------------------------
    def _subscribe(self) -> Subscription:
        assert self._bus is not None
        return self._bus.subscribe("projections", maxsize=self._bus_maxsize, kinds=self._kinds)

    async def _load_checkpoints(self) -> None:
        async with self._engine.execution_options(**WRITE_TRANSACTION).begin() as conn:
            rows = (await conn.execute(select(projection_checkpoints))).all()
            stored = {name: int(position) for name, position in rows}
            names = [p.name for p in self.projections]
            names += [p.name + CHANGES_SUFFIX for p in self._changed]
            missing = [name for name in names if name not in stored]
            if missing:
                await conn.execute(
                    projection_checkpoints.insert(),
                    [{"name": name, "position": 0} for name in missing],
                )
        self._checkpoints = {p.name: stored.get(p.name, 0) for p in self.projections}
        self._change_checkpoints = {
            p.name: stored.get(p.name + CHANGES_SUFFIX, 0) for p in self._changed
        }

    async def _catch_up_changes(self) -> None:
        """Apply the outbox rows after the change checkpoints, a batch per transaction."""
        if not self._changed or self._outbox is None:
            return
        while True:
            after = min(self._change_checkpoints.values())
            batch = await read_outbox(self._outbox, after=after, limit=self._batch_size)
            if not batch:
                return
            await self._apply_changes(batch)
            if len(batch) < self._batch_size:
                return

    async def _apply_changes(self, batch: Sequence[Envelope]) -> None:
        last = batch[-1].position
        lock = write_lock(self._engine)
        async with contextlib.AsyncExitStack() as stack:
            if lock is not None:
                await stack.enter_async_context(lock)
            conn = await stack.enter_async_context(
                self._engine.execution_options(**WRITE_TRANSACTION).begin()
            )
            for projection in self._changed:
                checkpoint = self._change_checkpoints[projection.name]
                if last <= checkpoint:
                    continue
                kinds = projection.change_kinds
                fresh = [e for e in batch if e.position > checkpoint and e.kind in kinds]
                if fresh:
                    await projection.apply_changes(conn, fresh)
                await conn.execute(
                    update(projection_checkpoints)
                    .where(projection_checkpoints.c.name == projection.name + CHANGES_SUFFIX)
                    .values(position=last)
                )
        for projection in self._changed:
            if self._change_checkpoints[projection.name] < last:
                self._change_checkpoints[projection.name] = last
        self.changes += len(batch)

    async def _catch_up(self) -> None:
        self.catch_ups += 1
        while True:
            batch = await self._store.read_all(self.position, self._batch_size)
            if not batch:
                return
            await self._apply(batch)
            if len(batch) < self._batch_size:
                return

    async def _apply(self, batch: Sequence[RecordedEvent]) -> None:
        last = batch[-1].position
        lock = write_lock(self._engine)
        async with contextlib.AsyncExitStack() as stack:
            if lock is not None:  # queue behind the engines' commits in the loop, not in SQLite
                await stack.enter_async_context(lock)
            conn = await stack.enter_async_context(
                self._engine.execution_options(**WRITE_TRANSACTION).begin()
            )
            for projection in self.projections:
                checkpoint = self._checkpoints[projection.name]
                if last <= checkpoint:
                    continue
                fresh = [r for r in batch if r.position > checkpoint]
                await projection.apply(conn, fresh)
                await conn.execute(
                    update(projection_checkpoints)
                    .where(projection_checkpoints.c.name == projection.name)
                    .values(position=last)
                )
        for projection in self.projections:
            if self._checkpoints[projection.name] < last:
                self._checkpoints[projection.name] = last
        self.batches += 1
        self.events += len(batch)
        self._advanced.set()

    async def _poll(self) -> None:
        """Without a bus: catch up from the store, sleep, repeat."""
        while True:
            try:
                await self._catch_up()
                await self._catch_up_changes()
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("projections.batch_failed", position=self.position)
                await asyncio.sleep(self._retry)
                continue
            await asyncio.sleep(self._poll_seconds)

    async def _follow(self) -> None:
        assert self._sub is not None and self._bus is not None
        while True:
            try:
                try:
                    first = await self._sub.get()
                except SubscriptionClosed as closed:
                    if closed.reason != SLOW_CONSUMER:
                        return
                    _log.warning("projections.dropped_by_bus", position=self.position)
                    self._sub = self._subscribe()
                    await self._catch_up()
                    continue
                batch: list[RecordedEvent] = []
                changed = False
                if isinstance(first, RecordedEvent):
                    batch.append(first)
                else:
                    changed = True
                while len(batch) < self._batch_size:
                    item = self._sub.get_nowait() if not self._sub.closed else None
                    if item is None:
                        break
                    if isinstance(item, RecordedEvent):
                        batch.append(item)
                    else:
                        changed = True
                if changed:  # the outbox table is the changes' store: read on from it
                    await self._catch_up_changes()
                position = self.position
                fresh = [r for r in batch if r.position > position]
                if not fresh:
                    continue
                contiguous = all(r.position == position + i for i, r in enumerate(fresh, start=1))
                if contiguous:
                    await self._apply(fresh)
                else:
                    await self._catch_up()
                if self._window > 0:
                    await asyncio.sleep(self._window)
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("projections.batch_failed", position=self.position)
                await self._recover()

    async def _recover(self) -> None:
        """After a failed batch: catch up from the store, retrying until it works."""
        while True:
            await asyncio.sleep(self._retry)
            try:
                await self._catch_up()
                await self._catch_up_changes()
                return
            except Exception as exc:
                _log.error("projections.catch_up_failed", error=f"{type(exc).__name__}: {exc}")
