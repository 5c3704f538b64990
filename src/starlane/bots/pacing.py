"""Turn pacing: a bot spends turns no faster than they regenerate, and never runs dry.

Turns regenerate slowly (``per_day`` turns per 86,400 s, shown in ``GET /me``), so a bot that
acts as fast as the rate limit allows empties its turns in minutes and then collects
``insufficient_turns`` refusals. A :class:`TurnPacing` keeps a reserve of turns and spreads
the turns above it over a horizon: the bot may spend at

    rate = per_day / 86,400 + max(0, available - reserve) / horizon     (turns per second)

and an action that would take the bot below its reserve waits until regeneration has paid for
it. By default the reserve is the turns the bot had when it started, so it spends exactly what
regenerates and can play for ever; a lower reserve lets it spend the turns above it too, the
rate falling smoothly toward the regeneration rate as that bank runs down. Actions that cost no
turns (looking at a port, quoting) are never held back.

A *committed* action (one leg of a trade haul the bot has already paid turns for: the trip to
the buyer and the sale) is not spread over time: it goes as soon as the turns above the reserve
cover it. A trader saves those turns before it buys (:func:`surplus`), so it never waits for
turns while holding cargo, and its spending still never runs ahead of regeneration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SECONDS_PER_DAY = 86_400.0
"""Unit conversion for ``turns.per_day``."""

MIN_WAIT = 0.001
"""Waits shorter than this are not worth a sleep, seconds."""


@dataclass(frozen=True, slots=True)
class TurnPacing:
    """How fast a bot may spend its turns.

    Attributes:
        reserve: turns the bot keeps back; an action that would leave fewer waits for
            regeneration (turns). None: the turns it had when it started (``start``).
        horizon: seconds over which the turns above the reserve are spread; a smaller horizon
            spends the bank faster (seconds).
        max_wait: the longest single wait, after which the bot looks at the world again
            (seconds).
    """

    reserve: int | None = None
    horizon: float = 3_600.0
    max_wait: float = 60.0

    def reserve_for(self, start: int) -> int:
        """The reserve in force for a bot that started with ``start`` turns.

        Args:
            start: the turns the bot had when it started.

        Returns:
            Turns kept back.
        """
        return self.reserve if self.reserve is not None else start

    def wait_before(
        self,
        turns: dict[str, Any],
        cost: int,
        since_last_spend: float,
        *,
        start: int = 0,
        committed: bool = False,
    ) -> float:
        """Seconds to wait before an action costing ``cost`` turns may be sent.

        At the maximum, where regeneration stops, the reserve gives way: a bot there spends
        rather than waiting for turns that cannot come.

        Args:
            turns: the ``turns`` document of ``GET /me`` (``available``, ``max``,
                ``per_day``).
            cost: turns the action costs (0 for free actions).
            since_last_spend: seconds since the bot last spent turns.
            start: the turns the bot had when it started (the default reserve).
            committed: the action is a leg of a haul whose turns the bot saved: it goes as
                soon as the turns above the reserve cover it, without spreading.

        Returns:
            0.0 when the action may go now, else the seconds to wait (at most ``max_wait``).
        """
        if cost <= 0:
            return 0.0
        available = int(turns.get("available", 0))
        regen = regen_per_second(turns)
        reserve = self.reserve_for(start)
        if "max" in turns:
            reserve = min(reserve, max(int(turns["max"]) - cost, 0))
        short = reserve + cost - available
        if short > 0:
            return self.max_wait if regen <= 0 else min(self.max_wait, short / regen)
        if committed:
            return 0.0
        rate = regen + (available - reserve) / self.horizon
        wait = cost / rate - since_last_spend
        return 0.0 if wait < MIN_WAIT else min(self.max_wait, wait)


def regen_per_second(turns: dict[str, Any]) -> float:
    """Turns regenerated per second.

    Args:
        turns: the ``turns`` document of ``GET /me``.

    Returns:
        ``per_day / 86,400`` (turns per second, at least 0).
    """
    return max(float(turns.get("per_day", 0)), 0.0) / SECONDS_PER_DAY


def surplus(turns: dict[str, Any] | int, reserve: int | None) -> int:
    """Turns a bot may spend now without going below its reserve.

    With the default reserve (the turns it started with) this is what has regenerated since the
    start minus what it spent: spending it never runs ahead of regeneration.

    Args:
        turns: the ``turns`` document of ``GET /me`` (or the bare number available).
        reserve: turns kept back (None: no reserve, every turn may be spent).

    Returns:
        Turns above the reserve (0 when at or below it).
    """
    available = int(turns["available"] if isinstance(turns, dict) else turns)
    return max(available - (reserve or 0), 0)
