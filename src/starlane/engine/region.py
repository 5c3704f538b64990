"""The region engine: the single writer of one region's event-sourced state.

Every command of a region goes through one loop, one command at a time, in arrival order:

1. **decide** on the live state, and apply the events at once with ``evolve``, so the next
   command is decided on the state this one leaves (a refusal changes nothing);
2. **group-commit** the events of every command decided during one turn of the event loop, or
   while the previous commit was in flight, as one batch through the store port
   (:meth:`starlane.store.ports.EventStore.commit`), with a snapshot when the seq crosses a
   multiple of ``snapshot_every``; one commit is in flight at a time;
3. **answer** each caller of the batch once the store says it is committed (durable): its
   recorded events, or the refusal it was decided with;
4. **publish** the batch on the bus, and show it to the timers.

So batches are stored, answered and published in seq order, and an answer means "committed".
A command is decided at once in the caller's task when nothing waits before it (deciding never
awaits), else it waits in a bounded queue for room in a batch. If a commit fails, or ``evolve``
crashes, the callers of that batch, of the one being formed and of the queue are answered
:class:`EngineUnavailableError`, and the state is reloaded from the store (rolling the unstored
decisions back) before the engine takes commands again.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from collections import deque
from collections.abc import Callable, Sequence

import structlog

from starlane.bus import Bus
from starlane.domain.commands import Command
from starlane.domain.events import RecordedEvent
from starlane.domain.model import RegionState
from starlane.engine.batch import Answer, Batch, Rules, fail_all
from starlane.engine.directory import PlayerDirectory
from starlane.engine.errors import EngineBusyError, EngineUnavailableError
from starlane.engine.metrics import EngineMetrics
from starlane.engine.recovery import (
    Decide,
    Evolve,
    load_region_state,
    reload_region_state,
    save_final_snapshot,
)
from starlane.engine.selfpipe import TurnEndCaller
from starlane.engine.timers import TimerRule, TimerScheduler
from starlane.store.ports import CommitOutcome, EventStore

__all__ = ["RegionEngine", "load_region_state"]

_log = structlog.get_logger("starlane.engine")


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
        directory: PlayerDirectory | None = None,
    ) -> None:
        self.directory = directory if directory is not None else PlayerDirectory()
        self.directory.load_region(state)
        self._rules = Rules.make(decide, evolve, clock, rng, self.directory)
        self._state = state
        self._store = store
        self._bus = bus
        self.snapshot_every = snapshot_every
        self.max_batch = max_batch
        self._queue_size = queue_size
        self.region_id = state.region_id
        self._batch = Batch()  # being formed
        self._queue: deque[tuple[Command, Answer]] = deque()
        self._committed_seq = state.seq
        self._snapshot_seq = state.seq if snapshot_seq is None else snapshot_seq
        self._status = "stopped"
        self._committing = False  # a batch is with the store
        self._in_commit_call = False  # inside store.commit (its answer is then immediate)
        self._reload: asyncio.Task[None] | None = None
        self._reload_wanted = False
        self._quiet = asyncio.Event()
        # commits the batch once the loop turn's ready callbacks have run, so every command
        # decided in them joins it (see starlane.engine.selfpipe)
        self._commit_caller = TurnEndCaller(self._flush)
        self.metrics = EngineMetrics()
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
        self._commit_caller.open(asyncio.get_running_loop())
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
        self._commit_caller.request()
        while self._busy():
            self._quiet.clear()
            await self._quiet.wait()
        self._commit_caller.close()
        moved = snapshot and self._state.seq > self._snapshot_seq
        if moved and await save_final_snapshot(self._store, self._state):
            self._snapshot_seq = self._state.seq
            self.metrics.snapshots += 1
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
        if self._queue or len(self._batch) >= self.max_batch:
            if len(self._queue) >= self._queue_size:
                self.metrics.busy_rejections += 1
                self.metrics.commands[(command.name, "busy")] += 1
                raise EngineBusyError(f"region {self.region_id} command queue is full")
            self._queue.append((command, answer))
        else:
            self._take(command, answer)
            self._commit_caller.request()
        return await answer

    # --- 1. decide (and evolve the live state) -----------------------------------------------
    def _take(self, command: Command, answer: Answer) -> None:
        if not self._batch.decide(self._rules, self._state, command, answer):
            reason = f"region {self.region_id}: evolve failed; reloading region"
            fail_all([(command, answer)], reason, self.metrics)
            self._start_reload()

    # --- 2. group-commit --------------------------------------------------------------------
    def _flush(self) -> None:
        batch = self._batch
        if self._committing or self._reload_wanted or not batch:
            self._settle()
            return
        self._batch = Batch()
        batch.seal(self._state, self._committed_seq, self.snapshot_every)
        if not batch.events:  # refusals only: nothing to store
            self._committed(batch, [])
        else:
            self._committing, self._in_commit_call = True, True
            done = functools.partial(self._committed, batch)
            try:
                self._store.commit(
                    self.region_id, batch.expected_seq, batch.events, batch.snapshot, done
                )
            finally:
                self._in_commit_call = False
        # the queue's commands are decided now, and committed with the next batch
        while self._queue and len(self._batch) < self.max_batch and not self._reload_wanted:
            self._take(*self._queue.popleft())
        if self._batch:
            self._commit_caller.request()

    # --- 3. answer and 4. publish -----------------------------------------------------------
    def _committed(self, batch: Batch, outcome: CommitOutcome) -> None:
        self._committing = False
        metrics, snapshot = self.metrics, batch.snapshot
        if isinstance(outcome, BaseException):
            metrics.failed_commits += 1
            error = f"{type(outcome).__name__}: {outcome}"
            self._log.error("engine.commit_failed", expected_seq=batch.expected_seq, error=error)
            batch.fail(f"region {self.region_id}: commit failed; nothing was stored", metrics)
            self._start_reload()
            return
        if batch.events:
            seconds, waited = time.perf_counter() - batch.sealed_at, not self._in_commit_call
            metrics.record_commit(len(outcome), seconds, waited=waited, snapshot=bool(snapshot))
            self._committed_seq = outcome[-1].seq if outcome else batch.expected_seq
            self._snapshot_seq = snapshot[0] if snapshot else self._snapshot_seq
        batch.answer(outcome, metrics)
        if outcome:
            self._bus.publish(outcome)
            self.timers.observe(r.event for r in outcome)
        if self._reload_wanted:
            self._start_reload()
        elif self._batch and not self._in_commit_call:
            self._flush()  # decided while this commit was in flight: its turn has come
        self._settle()

    # --- failures -----------------------------------------------------------------------------
    def _start_reload(self) -> None:
        """Fail the batch being formed and the queue, and reload the state once no commit
        is in flight."""
        if self._status == "running":
            self._status = "recovering"
        self.timers.cancel_all()
        reason = f"region {self.region_id}: region reloading; nothing was stored"
        self._batch.fail(reason, self.metrics)
        fail_all(self._queue, reason, self.metrics)
        self._batch, self._queue = Batch(), deque()
        self._reload_wanted = True
        if not self._committing and self._reload is None:
            self._reload = asyncio.get_running_loop().create_task(self._reload_state())

    async def _reload_state(self) -> None:
        loaded = await reload_region_state(self._store, self._state, self._rules.evolve)
        self._state = loaded.state
        self._committed_seq = loaded.state.seq
        self._snapshot_seq = loaded.snapshot_seq
        self.directory.load_region(loaded.state)
        self.metrics.recoveries += 1
        self._reload, self._reload_wanted = None, False
        if self._status == "recovering":
            self._status = "running"
            self.timers.rearm(self._state)
        self._settle()

    def _busy(self) -> bool:
        waiting = self._batch or self._queue or self._commit_caller.pending
        return bool(waiting or self._committing or self._reload_wanted)

    def _settle(self) -> None:
        if not self._busy():
            self._quiet.set()
