"""The region engine: the single writer of one region's event-sourced state.

Every command of a region goes through one loop, one command at a time, in arrival order:

1. **decide** ``decide(state, command, now, rng)`` on the live state, and apply the events at
   once with ``evolve``, so the next command is decided on the state this one leaves (a refused
   command, :class:`~starlane.domain.errors.DomainError`, changes nothing);
2. **group-commit** the events of every command decided during one turn of the event loop, or
   while the previous commit was in flight, as one batch through the store port
   (:meth:`starlane.store.ports.EventStore.commit`), with a snapshot when the seq crosses a
   multiple of ``snapshot_every``; one commit is in flight at a time;
3. **answer** each caller of the batch once the store says it is committed (durable): its
   recorded events, or the refusal it was decided with;
4. **publish** the batch to ``on_commit``, the bus and the timers.

Batches are thus stored, answered and published in seq order, and "acknowledged" always means
"committed". A command submitted while nothing waits before it is decided at once in the
caller's task (deciding never awaits, so this is still one command at a time); otherwise it
waits in a bounded queue until the batch being formed has room.

If a commit fails, or ``evolve`` crashes, the engine stops taking commands, answers every
caller of that batch, of the batch being formed and of the queue with
:class:`EngineUnavailableError` (nothing they asked is known stored), reloads its state from the
store (snapshot + tail: the decided-but-unstored events are thereby rolled back) and resumes.

``state.seq`` is the seq of the last event applied to the live state; the seq of the last
*committed* event is :attr:`RegionEngine.committed_seq`.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import structlog

from starlane.bus import Bus
from starlane.domain.codec import encode_state
from starlane.domain.commands import Command
from starlane.domain.errors import DomainError
from starlane.domain.events import Event, RecordedEvent
from starlane.domain.model import RegionState
from starlane.engine.directory import PlayerDirectory
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
from starlane.store.ports import CommitOutcome, EventStore, Snapshot

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
Answer = asyncio.Future[list[RecordedEvent]]


@dataclass(slots=True)
class _Item:
    command: Command
    answer: Answer
    count: int = 0  # events it recorded
    error: BaseException | None = None


@dataclass(slots=True)
class _Batch:
    items: list[_Item] = field(default_factory=list)
    events: list[tuple[Event, int | None]] = field(default_factory=list)


class RegionEngine:
    """The single writer of one region (see the module).

    Args:
        state: the region's recovered state, ``seq`` = the last stored event applied.
        store: the event store port.
        bus: where committed events are published.
        snapshot_every: write a snapshot each time the seq crosses a multiple of this.
        queue_size: commands waiting at most; more are refused with ``engine_busy``.
        clock: unix-seconds clock given to ``decide`` as ``now``.
        rng: random generator given to ``decide`` (default: a new ``random.Random()``).
        decide: the decide function (default: the game's rules).
        evolve: the evolve function (default: the game's rules).
        timer_rules: timer rules of the region.
        max_batch: commands per batch at most; later ones queue until the next batch.
        snapshot_seq: seq of the latest stored snapshot (None: assume ``state.seq``).
        on_commit: called with every committed batch of events, before the bus.
        directory: the player directory the engine keeps up to date (default: its own).

    Attributes:
        region_id: the region.
        metrics: the engine's counters.
        timers: the timer scheduler of the region.
        directory: where the region's players are, kept as events are applied.
    """

    def __init__(
        self,
        state: RegionState,
        store: EventStore,
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
        directory: PlayerDirectory | None = None,
    ) -> None:
        rules_decide, rules_evolve = default_rules_functions()
        self._state = state
        self._store = store
        self._bus = bus
        self._decide = decide or rules_decide
        self._evolve = evolve or rules_evolve
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self.snapshot_every = snapshot_every
        self.max_batch = max_batch
        self._queue_size = queue_size
        self.region_id = state.region_id
        self._on_commit = on_commit
        self._batch = _Batch()  # being formed
        self._queue: deque[tuple[Command, Answer]] = deque()
        self._committed_seq = state.seq
        self._snapshot_seq = state.seq if snapshot_seq is None else snapshot_seq
        self._status = "stopped"
        self._committing = False  # a batch is with the store
        self._in_commit_call = False  # inside store.commit (its answer is then immediate)
        self._flush_scheduled = False
        self._reload: asyncio.Task[None] | None = None
        self._reload_wanted = False
        self._quiet = asyncio.Event()
        self._commit_caller: SelfPipeCaller | None = None
        self.metrics = EngineMetrics()
        self.directory = directory if directory is not None else PlayerDirectory()
        self.directory.load_region(state)
        self._log = _log.bind(region_id=self.region_id)
        self.timers = TimerScheduler(timer_rules, self.submit, clock, region_id=self.region_id)

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
        """Commands waiting in the queue for room in a batch."""
        return len(self._queue)

    @property
    def committed_seq(self) -> int:
        """Seq of the last event known to be committed."""
        return self._committed_seq

    async def start(self) -> None:
        """Start taking commands and arm the timers found in the state."""
        if self._status != "stopped":
            return
        self._status = "running"
        loop = asyncio.get_running_loop()
        try:
            self._commit_caller = SelfPipeCaller(loop)
        except NotImplementedError:  # a loop that cannot watch a pipe: call_soon
            self._commit_caller = None
        self.timers.rearm(self._state)
        self._log.info("engine.started", seq=self._state.seq)

    async def stop(self, *, snapshot: bool = True) -> None:
        """Stop taking commands, finish those taken, and write a final snapshot.

        Args:
            snapshot: write a snapshot of the final state (if it moved since the last one).
        """
        if self._status in ("stopped", "stopping"):
            return
        self._status = "stopping"
        self.timers.cancel_all()
        self._schedule_flush()
        while self._busy():
            self._quiet.clear()
            await self._quiet.wait()
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
        answer: Answer = asyncio.get_running_loop().create_future()
        if self._queue or len(self._batch.items) >= self.max_batch:
            if len(self._queue) >= self._queue_size:
                self.metrics.busy_rejections += 1
                self.metrics.commands[(command.name, "busy")] += 1
                raise EngineBusyError(f"region {self.region_id} command queue is full")
            self._queue.append((command, answer))
        else:
            self._take(command, answer)
            self._schedule_flush()
        return await answer

    # --- 1. decide (and evolve the live state) -----------------------------------------------
    def _take(self, command: Command, answer: Answer) -> None:
        item = _Item(command, answer)
        state = self._state
        try:
            events = self._decide(state, command, self._clock(), self._rng)
        except Exception as exc:
            if not isinstance(exc, DomainError):
                self._log.exception("engine.decide_crashed", player_id=command.player_id)
            item.error = exc
            self._batch.items.append(item)
            return
        try:
            for event in events:
                self._evolve(state, event)
                state.seq += 1
                self.directory.observe(state, event)
        except Exception:
            self._log.exception("engine.evolve_crashed", player_id=command.player_id)
            self._fail([item], "evolve failed; reloading region")
            self._start_reload()
            return
        actor = command.player_id if command.player_id > 0 else None
        item.count = len(events)
        self._batch.items.append(item)
        self._batch.events.extend((event, actor) for event in events)

    # --- 2. group-commit --------------------------------------------------------------------
    def _schedule_flush(self) -> None:
        """Commit the batch once this loop iteration's ready callbacks have run, so every
        command decided in them joins it (through the loop's I/O phase on uvloop, see
        :mod:`starlane.engine.selfpipe`)."""
        if self._flush_scheduled or self._committing:
            return
        self._flush_scheduled = True
        if self._commit_caller is not None:
            self._commit_caller.call(self._flush)
        else:
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        batch = self._batch
        if self._committing or self._reload_wanted or not batch.items:
            self._settle()
            return
        self._batch = _Batch()
        expected, state, every = self._committed_seq, self._state, self.snapshot_every
        snapshot: Snapshot | None = None
        if batch.events and every > 0 and state.seq // every > expected // every:
            snapshot = (state.seq, encode_state(state))
        if not batch.events:  # refusals only: nothing to store
            self._committed(batch, expected, None, 0.0, [])
        else:
            self._committing, self._in_commit_call = True, True
            started = time.perf_counter()
            done = functools.partial(self._committed, batch, expected, snapshot, started)
            try:
                self._store.commit(self.region_id, expected, batch.events, snapshot, done)
            finally:
                self._in_commit_call = False
        # the queue's commands are decided now, and committed with the next batch
        while self._queue and len(self._batch.items) < self.max_batch and not self._reload_wanted:
            self._take(*self._queue.popleft())
        if self._batch.items:
            self._schedule_flush()

    # --- 3. answer and 4. publish -----------------------------------------------------------
    def _committed(
        self,
        batch: _Batch,
        expected: int,
        snapshot: Snapshot | None,
        started: float,
        outcome: CommitOutcome,
    ) -> None:
        self._committing = False
        metrics = self.metrics
        if isinstance(outcome, BaseException):
            metrics.failed_commits += 1
            self._log.error(
                "engine.commit_failed",
                expected_seq=expected,
                events=len(batch.events),
                error=f"{type(outcome).__name__}: {outcome}",
            )
            self._fail(batch.items, "commit failed; nothing was stored")
            self._start_reload()
            return
        if batch.events:
            metrics.commits += 1
            metrics.events += len(outcome)
            metrics.commit_seconds += time.perf_counter() - started
            if not self._in_commit_call:
                metrics.waited_commits += 1
            self._committed_seq = outcome[-1].seq if outcome else expected
            if snapshot is not None:
                self._snapshot_seq = snapshot[0]
                metrics.snapshots += 1
        metrics.last_batch_size = len(batch.items)
        metrics.max_batch_size = max(metrics.max_batch_size, len(batch.items))
        index = 0
        for item in batch.items:
            if item.error is not None:
                outcome_name = "refused" if isinstance(item.error, DomainError) else "error"
                metrics.commands[(item.command.name, outcome_name)] += 1
                if not item.answer.done():
                    item.answer.set_exception(item.error)
                continue
            metrics.commands[(item.command.name, "ok")] += 1
            if not item.answer.done():
                item.answer.set_result(outcome[index : index + item.count])
            index += item.count
        if outcome:
            if self._on_commit is not None:
                try:
                    self._on_commit(outcome)
                except Exception:
                    self._log.exception("engine.on_commit_failed")
            self._bus.publish(outcome)
            self.timers.observe(r.event for r in outcome)
        if self._reload_wanted:
            self._start_reload()
        elif self._batch.items and not self._in_commit_call:
            self._flush()  # decided while this commit was in flight: its turn has come
        self._settle()

    # --- failures -----------------------------------------------------------------------------
    def _fail(self, items: Sequence[_Item], reason: str) -> None:
        for item in items:
            self.metrics.commands[(item.command.name, "unavailable")] += 1
            if not item.answer.done():
                error = EngineUnavailableError(f"region {self.region_id}: {reason}")
                item.answer.set_exception(error)

    def _start_reload(self) -> None:
        """Fail the batch being formed and the queue, and reload the state once no commit
        is in flight."""
        if self._status == "running":
            self._status = "recovering"
        self.timers.cancel_all()
        self._fail(self._batch.items, "region reloading; nothing was stored")
        self._batch = _Batch()
        queued = [_Item(command, answer) for command, answer in self._queue]
        self._queue.clear()
        self._fail(queued, "region reloading; nothing was stored")
        self._reload_wanted = True
        if not self._committing and self._reload is None:
            self._reload = asyncio.get_running_loop().create_task(self._reload_state())

    async def _reload_state(self) -> None:
        """Reload the state from the store, retrying until it succeeds."""
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
        self.directory.load_region(loaded.state)
        self.metrics.recoveries += 1
        self._reload, self._reload_wanted = None, False
        if self._status == "recovering":
            self._status = "running"
            self.timers.rearm(self._state)
        self._log.warning("engine.recovered", seq=self._state.seq, replayed=loaded.replayed)
        self._settle()

    def _busy(self) -> bool:
        return bool(
            self._committing
            or self._flush_scheduled
            or self._reload_wanted
            or self._batch.items
            or self._queue
        )

    def _settle(self) -> None:
        if not self._busy():
            self._quiet.set()
