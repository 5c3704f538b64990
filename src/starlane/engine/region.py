"""The region engine: a single-writer, event-sourced state machine for one region.

Commands are processed strictly one at a time, in arrival order: ``decide`` (with the injected
clock and random generator) then ``evolve`` on the live state. A command submitted while
nothing waits is processed at once in the submitting task (asyncio runs one thing at a time
and processing never awaits, so this is still a single writer); otherwise it waits in a
bounded queue that the engine's task works through. The events of every command decided
during one turn of the event loop, or while the previous commit was in flight, form the next
batch, written in ONE group commit carrying a snapshot when the region's seq crosses a
multiple of ``snapshot_every``: once the loop iteration's ready callbacks have run (from its
I/O phase, :class:`~starlane.engine.selfpipe.SelfPipeCaller`) with
:meth:`EventStore.append_now` when the store can (SQLite: one statement on the loop's thread,
no trip to a driver thread; with ``sync_off_loop`` its ``fsync`` in a thread of its own:
:meth:`EventStore.when_durable`), else awaited with :meth:`EventStore.append` in a task.
Each caller is answered only after its events are committed and durable; then the batch is
published on the bus. Batches are answered and published in seq order; the next batch may be
written while the previous one is being synced.

- A refused command (:class:`~starlane.domain.errors.DomainError`) writes nothing; its answer is
  given with the batch it was decided in, so a refusal never reports on state not yet stored.
- If a commit fails, the engine stops taking commands, answers every caller of that batch, of
  the batch being formed and of the queue with :class:`EngineUnavailableError` (nothing they
  asked was stored, as far as the engine knows), reloads its state from the store (snapshot +
  tail: the decided-but-unstored events are thereby rolled back) and resumes. A commit whose
  outcome is unknown (connection lost during COMMIT) is also answered as unavailable; the
  reload then shows what the store really holds.
- ``state.seq`` is always the seq of the last event applied to the live state; the store's
  seq of the last *committed* event is :attr:`RegionEngine.committed_seq`.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from starlane.bus import Bus
from starlane.domain.codec import encode_state
from starlane.domain.commands import Command
from starlane.domain.errors import DomainError
from starlane.domain.events import Event, RecordedEvent
from starlane.domain.model import RegionState
from starlane.engine.errors import EngineBusyError, EngineUnavailableError
from starlane.engine.metrics import EngineMetrics
from starlane.engine.recovery import (
    Decide,
    Evolve,
    LoadedRegion,
    default_rules_functions,
    load_region_state,
)
from starlane.engine.selfpipe import SelfPipeCaller
from starlane.engine.timers import TimerRule, TimerScheduler

__all__ = [
    "Decide",
    "EngineMetrics",
    "Evolve",
    "LoadedRegion",
    "RegionEngine",
    "default_rules_functions",
    "load_region_state",
]

_log = structlog.get_logger("starlane.engine")
_STOP: Any = object()


@dataclass(slots=True)
class _Item:
    command: Command
    future: asyncio.Future[list[RecordedEvent]]
    events: list[Event] = field(default_factory=list)
    error: BaseException | None = None


@dataclass(slots=True)
class _Batch:
    items: list[_Item]
    events: list[tuple[Event, int | None]]
    expected_seq: int
    snapshot: tuple[int, bytes] | None


class RegionEngine:
    """The single writer of one region.

    Attributes:
        region_id: the region.
        metrics: the engine's counters.
        timers: the timer scheduler of the region.
    """

    def __init__(
        self,
        state: RegionState,
        store: Any,
        bus: Bus,
        *,
        snapshot_every: int = 1000,
        queue_size: int = 10_000,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        decide: Decide | None = None,
        evolve: Evolve | None = None,
        timer_rules: Sequence[TimerRule] = (),
        max_batch: int = 5_000,
        snapshot_seq: int | None = None,
        on_commit: Callable[[Sequence[RecordedEvent]], None] | None = None,
        commit_lock: asyncio.Lock | None = None,
    ) -> None:
        """Create an engine around a recovered state (call :meth:`start` to run it).

        Args:
            state: the region's state, with ``seq`` = the last stored event applied.
            store: the event store (``starlane.store.eventstore.EventStore``).
            bus: where committed events are published.
            snapshot_every: write a snapshot each time the seq crosses a multiple of this.
            queue_size: commands waiting at most; more are refused with ``engine_busy``.
            clock: unix-seconds clock given to ``decide`` as ``now``.
            rng: random generator given to ``decide`` (default: a new ``random.Random()``).
            decide: the decide function (default: the game's rules).
            evolve: the evolve function (default: the game's rules).
            timer_rules: timer rules of the region.
            max_batch: commands per batch at most; the engine stops deciding until the
                in-flight commit is done when a batch is this large.
            snapshot_seq: seq of the latest stored snapshot (None: assume ``state.seq``).
            on_commit: called with every committed batch of events, before the bus.
            commit_lock: a lock held around each append, shared by the engines of one SQLite
                database: its writers then queue in the event loop (and batch up meanwhile)
                instead of in SQLite's sleeping busy handler.
        """
        if decide is None or evolve is None:
            d, e = default_rules_functions()
            decide = decide or d
            evolve = evolve or e
        self._state = state
        self._store = store
        self._bus = bus
        self._decide = decide
        self._evolve = evolve
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self.snapshot_every = snapshot_every
        self.max_batch = max_batch
        self.region_id = state.region_id
        self._queue: asyncio.Queue[Any] = asyncio.Queue(queue_size)
        self._batch: list[_Item] = []
        self._batch_events: list[tuple[Event, int | None]] = []
        self._committed_seq = state.seq
        self._durable_pending = 0  # batches stored by append_now, not yet known durable
        self._all_durable = asyncio.Event()
        self._all_durable.set()
        self._snapshot_seq = state.seq if snapshot_seq is None else snapshot_seq
        self._status = "stopped"
        self._task: asyncio.Task[None] | None = None
        self._inflight: asyncio.Task[None] | None = None
        self._commit_scheduled = False
        self._commit_caller: SelfPipeCaller | None = None  # runs _commit_now (see start)
        self._room = asyncio.Event()
        self._has_work = asyncio.Event()
        self._needs_reload = False
        self._on_commit = on_commit
        self._commit_lock = commit_lock
        self.metrics = EngineMetrics()
        self._log = _log.bind(region_id=self.region_id)
        self.timers = TimerScheduler(timer_rules, self.submit, clock, region_id=self.region_id)

    # --- read-only views ---------------------------------------------------------------
    @property
    def state(self) -> RegionState:
        """The live state (read it between commands; never change it)."""
        return self._state

    @property
    def status(self) -> str:
        """``stopped``, ``running``, ``recovering`` or ``stopping``."""
        return self._status

    @property
    def queue_depth(self) -> int:
        """Commands waiting in the queue."""
        return self._queue.qsize()

    @property
    def committed_seq(self) -> int:
        """Seq of the last event known to be stored (written; its sync may still be running,
        see :meth:`EventStore.when_durable`)."""
        return self._committed_seq

    # --- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        """Start the engine's task and arm the timers found in its state."""
        if self._task is not None:
            return
        self._status = "running"
        loop = asyncio.get_running_loop()
        try:
            self._commit_caller = SelfPipeCaller(loop)
        except NotImplementedError:  # a loop that cannot watch a pipe: call_soon
            self._commit_caller = None
        self._task = loop.create_task(self._run(), name=f"region-engine-{self.region_id}")
        self.timers.rearm(self._state)
        self._log.info("engine.started", seq=self._state.seq)

    async def stop(self, *, snapshot: bool = True) -> None:
        """Stop taking commands, finish those queued, and write a final snapshot.

        Args:
            snapshot: write a snapshot of the final state (if it moved since the last one).
        """
        if self._task is None:
            return
        self._status = "stopping"
        self.timers.cancel_all()
        await self._queue.put(_STOP)
        self._has_work.set()
        await self._task
        self._task = None
        if self._commit_caller is not None:
            self._commit_caller.close()
            self._commit_caller = None
        if snapshot and self._state.seq > self._snapshot_seq:
            try:
                await self._store.save_snapshot(
                    self.region_id, self._state.seq, encode_state(self._state)
                )
                self._snapshot_seq = self._state.seq
                self.metrics.snapshots += 1
            except Exception:
                self._log.exception("engine.final_snapshot_failed", seq=self._state.seq)
        self._status = "stopped"
        self._log.info("engine.stopped", seq=self._state.seq)

    # --- commands ------------------------------------------------------------------------
    async def submit(self, command: Command) -> list[RecordedEvent]:
        """Process a command and wait until its events are committed.

        Args:
            command: the command.

        Returns:
            The recorded events (empty for a command that records nothing).

        Raises:
            DomainError: the rules refused the command; nothing was written.
            EngineBusyError: the queue is full.
            EngineUnavailableError: the engine is stopped or recovering, or the commit failed.
        """
        if self._status != "running":
            self.metrics.commands[(command.name, "unavailable")] += 1
            raise EngineUnavailableError(f"region {self.region_id} engine is {self._status}")
        future: asyncio.Future[list[RecordedEvent]] = asyncio.get_running_loop().create_future()
        if self._queue.empty() and len(self._batch) < self.max_batch and not self._needs_reload:
            # Nothing waits before it: decide now, in the caller's task (asyncio runs one thing
            # at a time and _process never awaits, so this is still one command at a time, in
            # arrival order), and commit with this loop turn's other decisions.
            self._process(command, future)
            self._schedule_commit()
            return await future
        try:
            self._queue.put_nowait((command, future))
            self._has_work.set()
        except asyncio.QueueFull:
            self.metrics.busy_rejections += 1
            self.metrics.commands[(command.name, "busy")] += 1
            raise EngineBusyError(f"region {self.region_id} command queue is full") from None
        return await future

    # --- the engine task -----------------------------------------------------------------
    async def _run(self) -> None:
        stopping = False
        while not stopping:
            while self._queue.empty():
                self._has_work.clear()
                await self._has_work.wait()
            # Commands stay queued (and count against queue_size) until the batch has room;
            # callers deciding inline may have filled it meanwhile.
            while len(self._batch) >= self.max_batch:
                self._schedule_commit()
                self._room.clear()
                await self._room.wait()
            while len(self._batch) < self.max_batch:
                try:
                    entry = self._queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
                if entry is _STOP:
                    stopping = True
                    break
                self._process(*entry)
            self._schedule_commit()
        # drain: commit what was decided, wait for the last commit and its sync
        while self._inflight is not None or self._batch or self._durable_pending:
            self._kick()
            if self._inflight is not None:
                await self._inflight
            else:
                await self._all_durable.wait()

    def _process(self, command: Command, future: asyncio.Future[list[RecordedEvent]]) -> None:
        if self._status not in ("running", "stopping"):
            self._fail_item(_Item(command, future), "engine recovering")
            return
        item = _Item(command, future)
        state = self._state
        try:
            events = self._decide(state, command, self._clock(), self._rng)
        except DomainError as exc:
            item.error = exc
            self._batch.append(item)
            return
        except Exception as exc:
            self._log.exception("engine.decide_crashed", player_id=command.player_id)
            item.error = exc
            self._batch.append(item)
            return
        actor = command.player_id if command.player_id > 0 else None
        seq = state.seq
        try:
            for event in events:
                self._evolve(state, event)
                seq += 1
                state.seq = seq
        except Exception:
            self._log.exception("engine.evolve_crashed", player_id=command.player_id)
            self._fail_item(item, "evolve failed; reloading region")
            self._abandon_batch_and_reload()
            return
        item.events = events
        self._batch.append(item)
        self._batch_events.extend((event, actor) for event in events)

    def _kick(self) -> None:
        """Start committing the formed batch if no commit is in flight."""
        if self._inflight is None and (self._batch or self._needs_reload):
            self._inflight = asyncio.get_running_loop().create_task(self._commit_loop())

    def _can_commit_now(self) -> bool:
        """Whether the store may take a group commit without waiting (``append_now``)."""
        return bool(getattr(self._store, "can_append_now", False))

    def _schedule_commit(self) -> None:
        """Commit the batch once this loop iteration's ready callbacks have run (see
        :meth:`_commit_now`): every command decided in them joins it. On uvloop that is the
        iteration's I/O phase (:class:`~starlane.engine.selfpipe.SelfPipeCaller`), and the
        callers are answered in the next iteration; through ``call_soon`` they would be
        answered an iteration later."""
        if not self._commit_scheduled and self._inflight is None:
            self._commit_scheduled = True
            if self._commit_caller is not None:
                self._commit_caller.call(self._commit_now)
            else:
                asyncio.get_running_loop().call_soon(self._commit_now)

    def _commit_now(self) -> None:
        """Commit the formed batch without leaving this callback when the store can
        (``append_now``: SQLite, no other writer), else in a task.

        A commit through a task or a database driver's thread answers its callers a few loop
        turns later, and under load a turn is milliseconds long; this one answers them in the
        next turn (or, with the sync in a thread, the turn after the sync ends).
        """
        self._commit_scheduled = False
        if self._inflight is not None or not (self._batch or self._needs_reload):
            return  # an in-flight commit takes the batch when it is done
        locked = self._commit_lock is not None and self._commit_lock.locked()
        if self._needs_reload or locked or not self._can_commit_now():
            self._kick()
            return
        batch = self._seal()
        started = time.perf_counter()
        if not batch.events:  # only refusals: nothing to store
            if self._durable_pending:  # they were decided on state not yet durable
                self._await_durable(batch, [], started)
            else:
                self._committed(batch, [], 0.0)
            return
        try:
            recorded = self._store.append_now(
                self.region_id, batch.expected_seq, batch.events, snapshot=batch.snapshot
            )
        except Exception as exc:
            self._commit_failed(batch, exc)
            self._abandon_batch_and_reload()
            return
        if recorded is None:  # another writer: wait for it in a task
            self._inflight = asyncio.get_running_loop().create_task(self._commit_loop(batch))
            return
        self._committed_seq = recorded[-1].seq  # stored: the next batch follows it
        self._await_durable(batch, recorded, started)

    def _await_durable(self, batch: _Batch, recorded: list[RecordedEvent], started: float) -> None:
        """Answer a batch once what :meth:`_commit_now` stored up to it is durable."""
        self._durable_pending += 1
        self._all_durable.clear()
        self._store.when_durable(functools.partial(self._durable, batch, recorded, started))

    def _durable(
        self,
        batch: _Batch,
        recorded: list[RecordedEvent],
        started: float,
        error: BaseException | None,
    ) -> None:
        self._durable_pending -= 1
        if not self._durable_pending:
            self._all_durable.set()
        if error is None:
            self._committed(batch, recorded, time.perf_counter() - started)
            return
        # The batch is in the store but may not survive a power cut: its callers are told it
        # failed (the outcome is unknown) and the state is reloaded from what the store holds.
        self._commit_failed(batch, error)
        self._abandon_batch_and_reload()

    def _seal(self) -> _Batch:
        items, events = self._batch, self._batch_events
        self._batch, self._batch_events = [], []
        self._room.set()
        snapshot = None
        last_seq = self._state.seq
        every = self.snapshot_every
        if events and every > 0 and last_seq // every > self._committed_seq // every:
            snapshot = (last_seq, encode_state(self._state))
        return _Batch(items, events, self._committed_seq, snapshot)

    async def _commit_loop(self, sealed: _Batch | None = None) -> None:
        try:
            while True:
                if self._needs_reload:
                    await self._recover()
                    break
                if sealed is not None:
                    batch, sealed = sealed, None
                elif self._batch:
                    batch = self._seal()
                else:
                    break
                if not await self._commit(batch):
                    await self._recover()
                    break
                if self._can_commit_now():
                    break  # the next batch goes the quick way (_commit_now)
        finally:
            self._inflight = None
        if self._batch:  # decided while the reload or last commit finished
            self._schedule_commit()

    async def _commit(self, batch: _Batch) -> bool:
        recorded: list[RecordedEvent] = []
        seconds = 0.0
        if batch.events:
            started = time.perf_counter()
            try:
                if self._commit_lock is None:
                    recorded = await self._append(batch)
                else:
                    async with self._commit_lock:
                        recorded = await self._append(batch)
            except Exception as exc:
                self._commit_failed(batch, exc)
                return False
            seconds = time.perf_counter() - started
            self.metrics.waited_commits += 1
        # Answer in seq order: after the batches stored before this one, still being synced.
        await self._all_durable.wait()
        self._committed(batch, recorded, seconds)
        return True

    def _commit_failed(self, batch: _Batch, exc: BaseException) -> None:
        """Answer every caller of a batch whose append failed (the caller then reloads)."""
        self.metrics.failed_commits += 1
        self._log.error(
            "engine.commit_failed",
            expected_seq=batch.expected_seq,
            events=len(batch.events),
            error=f"{type(exc).__name__}: {exc}",
        )
        for item in batch.items:
            self._fail_item(item, "commit failed; nothing was stored")

    def _committed(self, batch: _Batch, recorded: list[RecordedEvent], seconds: float) -> None:
        """Count a stored batch, answer its callers and publish its events."""
        if batch.events:
            self.metrics.commit_seconds += seconds
            self.metrics.commits += 1
            self.metrics.events += len(recorded)
            stored = recorded[-1].seq if recorded else batch.expected_seq
            self._committed_seq = max(self._committed_seq, stored)
            if batch.snapshot is not None:
                self._snapshot_seq = batch.snapshot[0]
                self.metrics.snapshots += 1
        self.metrics.last_batch_size = len(batch.items)
        self.metrics.max_batch_size = max(self.metrics.max_batch_size, len(batch.items))
        commands = self.metrics.commands
        index = 0
        for item in batch.items:
            if item.error is not None:
                outcome = "refused" if isinstance(item.error, DomainError) else "error"
                commands[(item.command.name, outcome)] += 1
                if not item.future.done():
                    item.future.set_exception(item.error)
                continue
            count = len(item.events)
            commands[(item.command.name, "ok")] += 1
            if not item.future.done():
                item.future.set_result(recorded[index : index + count])
            index += count
        if recorded:
            if self._on_commit is not None:
                try:
                    self._on_commit(recorded)
                except Exception:
                    self._log.exception("engine.on_commit_failed")
            self._bus.publish(recorded)
            self.timers.observe(r.event for r in recorded)

    async def _append(self, batch: _Batch) -> list[RecordedEvent]:
        result: list[RecordedEvent] = await self._store.append(
            self.region_id, batch.expected_seq, batch.events, snapshot=batch.snapshot
        )
        return result

    def _fail_item(self, item: _Item, reason: str) -> None:
        self.metrics.commands[(item.command.name, "unavailable")] += 1
        if not item.future.done():
            item.future.set_exception(EngineUnavailableError(f"region {self.region_id}: {reason}"))

    def _abandon_batch_and_reload(self) -> None:
        """Fail the batch being formed and the queue, and schedule a reload of the state."""
        if self._status == "running":
            self._status = "recovering"
        for item in self._batch:
            self._fail_item(item, "region reloading; nothing was stored")
        self._batch, self._batch_events = [], []
        self._room.set()
        self._drain_queue()
        self._needs_reload = True
        self._kick()

    def _drain_queue(self) -> None:
        put_back_stop = False
        while True:
            try:
                entry = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            if entry is _STOP:
                put_back_stop = True
                continue
            self._fail_item(_Item(*entry), "region reloading; nothing was stored")
        if put_back_stop:
            self._queue.put_nowait(_STOP)
            self._has_work.set()

    async def _recover(self) -> None:
        """Reload the state from the store after a failure, retrying until it succeeds."""
        if self._status == "running":
            self._status = "recovering"
        self.timers.cancel_all()
        for item in self._batch:
            self._fail_item(item, "commit failed; region reloading")
        self._batch, self._batch_events = [], []
        self._room.set()
        self._drain_queue()
        self._needs_reload = False
        delay = 0.05
        while True:
            try:
                loaded = await load_region_state(
                    self._store, self.region_id, rules=self._state.rules, evolve=self._evolve
                )
                break
            except Exception as exc:
                self._log.error("engine.reload_failed", error=f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
        self._state = loaded.state
        self._committed_seq = loaded.state.seq
        self._snapshot_seq = loaded.snapshot_seq
        self.metrics.recoveries += 1
        if self._status == "recovering":
            self._status = "running"
            self.timers.rearm(self._state)
        self._log.warning("engine.recovered", seq=self._state.seq, replayed=loaded.replayed)
