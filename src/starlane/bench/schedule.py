"""When each benchmark client sends: closed loop (as fast as answers come) or a fixed offered rate.

A **closed-loop** client sends its next request as soon as the previous answer arrives: the
workload measures the most the server does, but at saturation its latency is queueing by
construction (Little's law: mean latency = clients / throughput), so it says nothing about the
latency at a given load.

An **open-loop** client follows a schedule of *intended* send times, one every
``clients / rate`` seconds from a random phase (so that N clients offering R actions/s together
do not fire at once). It sends at the intended time, or at once when it is late (its previous
answer came after that time); it never skips a send, so a server that falls behind shows up as
latency. Latency is measured from the intended send time, not the actual one, so a stall is not
hidden by the client waiting for it ("coordinated omission", as wrk2 measures). A client still
behind when the window ends makes the sends it owes for the window during a short drain
(:data:`DRAIN_SECONDS`), each measured from its intended time like any other, so the window's
last sends are neither dropped from the latency nor mistaken for failures; intended sends of
the window still waiting when the drain ends are counted as ``unsent``.

Everything here is pure: the caller passes the clock readings, so the logic is tested without
sleeping. Times are seconds on any one clock (the workload uses ``time.perf_counter``).

Usage::

    pacer = OpenLoopPacer(origin=t0, interval=send_interval(100, 2000.0), phase=0.013,
                          start=t0 + 2, end=t0 + 12)
    while (intended := pacer.next_send(clock())) is not None:
        await asyncio.sleep(send_delay(intended, clock()))
        ...send, wait for the answer...
        latency = clock() - intended
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

DRAIN_SECONDS = 2.0
"""How long after the end of its window an open-loop client behind its schedule goes on making
the sends it owes for the window (intended before the end), seconds."""


def send_interval(clients: int, rate: float) -> float:
    """Seconds between one client's intended sends when ``clients`` share ``rate`` actions/s.

    Args:
        clients: concurrent clients sharing the offered rate (>= 1).
        rate: offered actions per second for all clients together (> 0, finite).

    Returns:
        ``clients / rate``, seconds.

    Raises:
        ValueError: ``clients`` < 1, or ``rate`` is not a finite number > 0.
    """
    if clients < 1:
        raise ValueError(f"clients must be >= 1, not {clients}")
    if not (math.isfinite(rate) and rate > 0):
        raise ValueError(f"the offered rate must be a number > 0, not {rate}")
    return clients / rate


def client_phases(clients: int, interval: float, rng: random.Random) -> list[float]:
    """A random phase per client, so that their schedules do not fire together.

    Args:
        clients: how many phases (>= 0).
        interval: seconds between one client's sends (> 0).
        rng: the random source (seeded, for repeatable runs).

    Returns:
        ``clients`` phases, each in ``[0, interval)``, seconds.

    Raises:
        ValueError: ``interval`` <= 0.
    """
    if not interval > 0:
        raise ValueError(f"interval must be > 0, not {interval}")
    return [min(rng.random() * interval, math.nextafter(interval, 0.0)) for _ in range(clients)]


def send_delay(intended: float, now: float) -> float:
    """How long to wait before sending: until the intended time, or not at all when late.

    Args:
        intended: the intended send time, seconds.
        now: the current time on the same clock, seconds.

    Returns:
        ``max(0, intended - now)``, seconds.
    """
    return max(0.0, intended - now)


def open_loop_latency(intended: float, answered: float) -> float:
    """The latency of an open-loop request: from its intended send time to its answer.

    A request sent late (because the client was still waiting for its previous answer) counts
    the time it spent waiting to be sent.

    Args:
        intended: the intended send time, seconds.
        answered: when the answer arrived, same clock, seconds.

    Returns:
        ``answered - intended``, seconds.
    """
    return answered - intended


@dataclass(slots=True)
class ClosedLoopPacer:
    """Closed loop: send at once, until ``end``; the intended send time is the actual one.

    Attributes:
        end: time from which no request is sent.
    """

    end: float

    def next_send(self, now: float) -> float | None:
        """The next send time.

        Args:
            now: the current time.

        Returns:
            ``now``, or None once ``now >= end`` (stop).
        """
        return now if now < self.end else None

    def unsent(self) -> int:
        """Intended sends left behind: none in a closed loop.

        Returns:
            0.
        """
        return 0


@dataclass(slots=True)
class OpenLoopPacer:
    """A client's fixed-rate schedule: send ``k`` is intended at ``origin + phase + k * interval``.

    Sends go out in order, none skipped: :meth:`next_send` hands out the intended times one by
    one, however late the caller asks for them, and stops at the first intended time at or
    after ``end``, or once the clock has reached ``end + drain`` (the remaining intended sends
    of the window are then :meth:`unsent`).

    Attributes:
        origin: start of the schedule (the start of the warm-up), seconds.
        interval: seconds between intended sends (> 0); see :func:`send_interval`.
        phase: this client's offset in ``[0, interval)``, seconds; see :func:`client_phases`.
        start: start of the measured window: sends intended before it are warm-up.
        end: end of the measured window: nothing intended at or after it is sent.
        drain: seconds after ``end`` during which a late client still makes the sends intended
            before ``end`` (default :data:`DRAIN_SECONDS`; 0 stops at ``end``).
        sent: intended sends handed out so far.

    Raises:
        ValueError: ``interval`` <= 0, ``phase`` outside ``[0, interval)`` or ``drain`` < 0.
    """

    origin: float
    interval: float
    phase: float
    start: float
    end: float
    drain: float = DRAIN_SECONDS
    sent: int = field(default=0)

    def __post_init__(self) -> None:
        if not self.drain >= 0:
            raise ValueError(f"drain must be >= 0, not {self.drain}")
        if not self.interval > 0:
            raise ValueError(f"interval must be > 0, not {self.interval}")
        if not 0 <= self.phase < self.interval:
            raise ValueError(f"phase {self.phase} outside [0, {self.interval})")

    def intended(self, k: int) -> float:
        """The intended time of send ``k`` (0-based).

        Args:
            k: the send's index.

        Returns:
            ``origin + phase + k * interval``, seconds.
        """
        return self.origin + self.phase + k * self.interval

    def next_send(self, now: float) -> float | None:
        """The intended time of the next send, or None to stop.

        Args:
            now: the current time. When it is past the returned time the caller is late and
                sends at once (:func:`send_delay` is then 0).

        Returns:
            The next intended send time; None once it is at or after ``end``, or ``now`` has
            reached ``end + drain``.
        """
        intended = self.intended(self.sent)
        if intended >= self.end or now >= self.end + self.drain:
            return None
        self.sent += 1
        return intended

    def unsent(self) -> int:
        """Intended sends of the measured window ``[start, end)`` not handed out (yet).

        Returns:
            How many of the intended times in ``[start, end)`` have index >= :attr:`sent`.
        """
        first = max(self.sent, _first_index_at_or_after(self, self.start))
        last = _first_index_at_or_after(self, self.end)  # exclusive
        return max(0, last - first)


def _first_index_at_or_after(pacer: OpenLoopPacer, t: float) -> int:
    k = max(0, math.ceil((t - pacer.origin - pacer.phase) / pacer.interval))
    # float rounding may put the estimate one off: settle it on the exact formula
    while k > 0 and pacer.intended(k - 1) >= t:
        k -= 1
    while pacer.intended(k) < t:
        k += 1
    return k
