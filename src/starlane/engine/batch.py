"""A group commit being formed or in flight: its commands, their answers and their events.

A region engine decides every command into the batch being formed (:meth:`Batch.decide`: the
events are applied to the live state at once, or the refusal kept), hands the events to the
store, and then answers the whole batch at once: :meth:`Batch.answer` once it is committed,
:meth:`Batch.fail` when nothing of it is known stored.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import structlog

from starlane.domain.codec import encode_state
from starlane.domain.commands import Command
from starlane.domain.errors import DomainError
from starlane.domain.events import Event, RecordedEvent
from starlane.domain.model import RegionState
from starlane.engine.directory import PlayerDirectory
from starlane.engine.errors import EngineUnavailableError
from starlane.engine.metrics import EngineMetrics
from starlane.engine.recovery import Decide, Evolve, default_rules_functions
from starlane.store.ports import Snapshot

__all__ = ["Answer", "Batch", "Rules", "fail_all"]

_log = structlog.get_logger("starlane.engine")

Answer = asyncio.Future[list[RecordedEvent]]
"""Where a command's caller waits: its recorded events, or the error it is answered with."""


@dataclass(frozen=True, slots=True)
class Rules:
    """What deciding a command takes: the region's rules and the engine's sources of time
    and randomness, and the directory to keep.

    Attributes:
        decide: ``decide(state, command, now, rng) -> events``.
        evolve: ``evolve(state, event)``.
        clock: unix-seconds clock (``now``).
        rng: the random generator.
        directory: the player directory.
    """

    decide: Decide
    evolve: Evolve
    clock: Callable[[], float]
    rng: random.Random
    directory: PlayerDirectory

    @classmethod
    def make(
        cls,
        decide: Decide | None,
        evolve: Evolve | None,
        clock: Callable[[], float],
        rng: random.Random | None,
        directory: PlayerDirectory,
    ) -> Rules:
        """The rules, with the game's ``decide``/``evolve`` and a new generator by default."""
        game_decide, game_evolve = default_rules_functions()
        generator = rng if rng is not None else random.Random()
        return cls(decide or game_decide, evolve or game_evolve, clock, generator, directory)


@dataclass(slots=True)
class _Item:
    command: Command
    answer: Answer
    count: int = 0  # events it recorded
    error: BaseException | None = None


@dataclass(slots=True)
class Batch:
    """The commands of one group commit, in decision order, and their events.

    Attributes:
        events: ``(event, actor_id)`` of the accepted commands, in order.
        expected_seq: the stream's last seq before the batch (set by :meth:`seal`).
        snapshot: the snapshot committed with the batch, if any (set by :meth:`seal`).
        sealed_at: ``time.perf_counter()`` when it was sealed, to time its commit.
    """

    _items: list[_Item] = field(default_factory=list)
    events: list[tuple[Event, int | None]] = field(default_factory=list)
    expected_seq: int = 0
    snapshot: Snapshot | None = None
    sealed_at: float = 0.0

    def seal(self, state: RegionState, committed_seq: int, snapshot_every: int) -> None:
        """Close the batch for its commit: the live state is the state after its events.

        Args:
            state: the region's live state.
            committed_seq: the stream's last committed seq, the batch's ``expected_seq``.
            snapshot_every: a snapshot goes with the batch when the seq crosses a multiple of
                this (0: never).
        """
        self.expected_seq = committed_seq
        every = snapshot_every
        if self.events and every > 0 and state.seq // every > committed_seq // every:
            self.snapshot = (state.seq, encode_state(state))
        self.sealed_at = time.perf_counter()

    def __len__(self) -> int:
        """Commands in the batch (accepted and refused)."""
        return len(self._items)

    def decide(self, rules: Rules, state: RegionState, command: Command, answer: Answer) -> bool:
        """Decide a command on the live state and add it to the batch: its events, applied to
        the state at once (``state.seq`` follows them, the directory too), or the refusal it
        will be answered with (a :class:`~starlane.domain.errors.DomainError`, or what a
        crashing ``decide`` raised).

        Args:
            rules: the engine's decide and evolve functions, clock, generator and directory.
            state: the region's live state.
            command: the command.
            answer: where its caller waits.

        Returns:
            False when ``evolve`` crashed: the state is half-changed and must be reloaded;
            the command was not added.
        """
        try:
            events = rules.decide(state, command, rules.clock(), rules.rng)
        except Exception as exc:
            if not isinstance(exc, DomainError):
                _log.exception("engine.decide_crashed", player_id=command.player_id)
            self._items.append(_Item(command, answer, 0, exc))
            return True
        try:
            for event in events:
                rules.evolve(state, event)
                state.seq += 1
                rules.directory.observe(state, event)
        except Exception:
            _log.exception("engine.evolve_crashed", player_id=command.player_id)
            return False
        actor = command.player_id if command.player_id > 0 else None
        self._items.append(_Item(command, answer, len(events)))
        self.events.extend((event, actor) for event in events)
        return True

    def answer(self, recorded: list[RecordedEvent], metrics: EngineMetrics) -> None:
        """Answer every caller of the committed batch and count the outcomes.

        Args:
            recorded: the batch's recorded events, in order.
            metrics: the engine's counters.
        """
        commands = metrics.commands
        index = 0
        for item in self._items:
            if item.error is not None:
                outcome = "refused" if isinstance(item.error, DomainError) else "error"
                commands[(item.command.name, outcome)] += 1
                if not item.answer.done():
                    item.answer.set_exception(item.error)
                continue
            commands[(item.command.name, "ok")] += 1
            if not item.answer.done():
                item.answer.set_result(recorded[index : index + item.count])
            index += item.count
        metrics.last_batch_size = len(self._items)
        metrics.max_batch_size = max(metrics.max_batch_size, len(self._items))

    def fail(self, detail: str, metrics: EngineMetrics) -> None:
        """Answer every caller with :class:`EngineUnavailableError` (nothing stored).

        Args:
            detail: the error's explanation.
            metrics: the engine's counters.
        """
        fail_all(((item.command, item.answer) for item in self._items), detail, metrics)


def fail_all(
    waiting: Iterable[tuple[Command, Answer]], detail: str, metrics: EngineMetrics
) -> None:
    """Answer commands with :class:`EngineUnavailableError`, counted as ``unavailable``.

    Args:
        waiting: ``(command, answer)`` pairs.
        detail: the error's explanation.
        metrics: the engine's counters.
    """
    for command, answer in waiting:
        metrics.commands[(command.name, "unavailable")] += 1
        if not answer.done():
            answer.set_exception(EngineUnavailableError(detail))
