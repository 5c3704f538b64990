"""Timers: commands a region submits to itself when a due time recorded in its state arrives.

A game rule with a due time (a gate under construction completes at ``t``, a cooldown ends at
``t``) records that time in an event, so it is part of the region's state. A
:class:`TimerRule` says how to find those due times:

- :meth:`TimerRule.from_event` looks at one committed event and returns the timer it starts,
  if any (the live path, after each commit);
- :meth:`TimerRule.pending` scans a recovered state and returns every timer still due (the
  recovery path: state rebuilt from snapshot + tail knows about timers started long before
  the snapshot).

A :class:`TimerScheduler` (one per region engine) sleeps until each due time, then submits the
timer's completion command to its engine like any other command. The completion command is
decided by the rules against the current state, so a timer that fires twice (re-armed at
recovery while its first completion was in flight) is simply refused the second time: the
scheduler logs the refusal and forgets the timer. A busy or recovering engine is retried after
``retry_seconds``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Protocol

import structlog

from starlane.domain.commands import Command
from starlane.domain.errors import DomainError
from starlane.domain.events import Event
from starlane.domain.model import RegionState
from starlane.engine.errors import EngineError

_log = structlog.get_logger("starlane.engine.timers")


@dataclass(frozen=True, slots=True)
class Timer:
    """A command to submit when its due time arrives.

    Attributes:
        key: identifies what the timer completes (``("gate", 1234)``); arming a key again
            replaces the earlier timer with that key.
        due_at: unix seconds at which to submit the command.
        command: the completion command.
    """

    key: Hashable
    due_at: float
    command: Command


class TimerRule(Protocol):
    """How one kind of due time is found in events and in a recovered state."""

    def from_event(self, event: Event) -> Timer | None:
        """The timer a committed event starts, or None."""
        ...

    def pending(self, state: RegionState) -> Iterable[Timer]:
        """Every timer still due in a (recovered) region state."""
        ...


Submit = Callable[[Command], Awaitable[object]]


class TimerScheduler:
    """Arms timers and submits their completion commands when due.

    Attributes:
        fired: completion commands submitted and accepted so far.
    """

    def __init__(
        self,
        rules: Iterable[TimerRule],
        submit: Submit,
        clock: Callable[[], float],
        *,
        region_id: int,
        retry_seconds: float = 1.0,
    ) -> None:
        """Create a scheduler for one region.

        Args:
            rules: the timer rules in force.
            submit: the engine's submit coroutine function.
            clock: unix-seconds clock used to compute the delays.
            region_id: the region (for logs).
            retry_seconds: delay before retrying a completion the engine could not take, s.
        """
        self.rules = tuple(rules)
        self._submit = submit
        self._clock = clock
        self._retry = retry_seconds
        self._tasks: dict[Hashable, tuple[float, asyncio.Task[None]]] = {}
        self._log = _log.bind(region_id=region_id)
        self.fired = 0

    @property
    def armed(self) -> dict[Hashable, float]:
        """Key -> due time of every timer waiting to fire."""
        return {key: due for key, (due, _task) in self._tasks.items()}

    def arm(self, timer: Timer) -> None:
        """Arm a timer, replacing an armed timer with the same key.

        Args:
            timer: the timer.
        """
        old = self._tasks.pop(timer.key, None)
        if old is not None:
            old[1].cancel()
        task = asyncio.get_running_loop().create_task(self._fire(timer))
        self._tasks[timer.key] = (timer.due_at, task)
        task.add_done_callback(functools.partial(self._done, timer.key))

    def observe(self, events: Iterable[Event]) -> None:
        """Arm the timers started by committed events.

        Args:
            events: events just committed.
        """
        if not self.rules:
            return
        for event in events:
            for rule in self.rules:
                timer = rule.from_event(event)
                if timer is not None:
                    self.arm(timer)

    def rearm(self, state: RegionState) -> int:
        """Cancel every armed timer and arm those still due in a recovered state.

        Args:
            state: the region state just rebuilt.

        Returns:
            Timers armed.
        """
        self.cancel_all()
        count = 0
        for rule in self.rules:
            for timer in rule.pending(state):
                self.arm(timer)
                count += 1
        if count:
            self._log.info("timers.rearmed", count=count)
        return count

    def cancel_all(self) -> None:
        """Cancel every armed timer (engine stopping or recovering)."""
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for _due, task in tasks:
            task.cancel()

    def _done(self, key: Hashable, task: asyncio.Task[None]) -> None:
        entry = self._tasks.get(key)
        if entry is not None and entry[1] is task:
            del self._tasks[key]

    async def _fire(self, timer: Timer) -> None:
        delay = timer.due_at - self._clock()
        while True:
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                await self._submit(timer.command)
            except DomainError as exc:
                self._log.info("timer.refused", key=repr(timer.key), code=exc.code)
                return
            except EngineError as exc:
                self._log.warning("timer.retry", key=repr(timer.key), code=exc.code)
                delay = self._retry
                continue
            self.fired += 1
            self._log.debug("timer.fired", key=repr(timer.key))
            return
