"""Latency and throughput statistics for the load benchmark and the bots' live summary.

A :class:`Recorder` collects one sample per completed action (its latency in seconds and, for a
refused action, the error code). It is cheap enough to call on every request of a load test:
samples go to a list, percentiles are computed once at the end (nearest-rank method).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


def percentile(sorted_samples: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile of already sorted samples.

    Args:
        sorted_samples: samples in ascending order.
        pct: the percentile, 0-100.

    Returns:
        The smallest sample such that at least ``pct`` % of the samples are <= it; 0.0 when
        there are no samples.

    Raises:
        ValueError: ``pct`` is outside 0-100.
    """
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile {pct} outside 0-100")
    if not sorted_samples:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(sorted_samples)))
    return sorted_samples[rank - 1]


@dataclass(frozen=True, slots=True)
class Summary:
    """The figures of one measured workload.

    Attributes:
        name: workload name (``"rest game mix"``).
        actions: completed actions (successes and refusals).
        seconds: wall-clock duration of the measurement, seconds.
        p50, p95, p99, max: latency percentiles and maximum, seconds.
        errors: error code -> count (refusals and failures).
        by_action: action name -> count.
        offered_rate: actions/s offered by an open-loop workload (latency measured from each
            request's intended send time); None for a closed loop.
        unsent: open loop: sends intended within the measured window that the clients, being
            behind schedule, had not made by the end of the drain after it
            (:data:`~starlane.bench.schedule.DRAIN_SECONDS`).
        latency_by_action: action name -> ``(p50, p99)`` of that action's latencies, seconds
            (which action makes the tail: a move waits for a commit, a quote does not).
    """

    name: str
    actions: int
    seconds: float
    p50: float
    p95: float
    p99: float
    max: float
    errors: dict[str, int] = field(default_factory=dict)
    by_action: dict[str, int] = field(default_factory=dict)
    offered_rate: float | None = None
    unsent: int = 0
    latency_by_action: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        """Completed actions per second."""
        return self.actions / self.seconds if self.seconds > 0 else 0.0

    @property
    def error_count(self) -> int:
        """All errors together."""
        return sum(self.errors.values())

    def to_dict(self) -> dict[str, object]:
        """The summary as JSON-ready data (latencies in milliseconds).

        Returns:
            A dict with name, loop (``closed`` or ``open``), offered_rate (actions/s, None for
            a closed loop), actions, seconds, throughput, p50_ms, p95_ms, p99_ms, max_ms,
            errors, by_action, unsent and latency_by_action (action -> ``{"p50_ms", "p99_ms"}``).
        """
        return {
            "name": self.name,
            "loop": "closed" if self.offered_rate is None else "open",
            "offered_rate": self.offered_rate,
            "actions": self.actions,
            "seconds": round(self.seconds, 3),
            "throughput": round(self.throughput, 1),
            "p50_ms": round(self.p50 * 1000, 2),
            "p95_ms": round(self.p95 * 1000, 2),
            "p99_ms": round(self.p99 * 1000, 2),
            "max_ms": round(self.max * 1000, 2),
            "errors": dict(self.errors),
            "by_action": dict(self.by_action),
            "unsent": self.unsent,
            "latency_by_action": {
                action: {"p50_ms": round(p50 * 1000, 2), "p99_ms": round(p99 * 1000, 2)}
                for action, (p50, p99) in self.latency_by_action.items()
            },
        }


class Recorder:
    """Collects latencies, error codes and action counts of one workload.

    Attributes:
        latencies: action name -> its latencies, one per completed action, seconds.
        errors: error code -> count.
        unsent: open loop: intended sends of the measured window not made by the end of the
            drain after it.
    """

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {}
        self.errors: Counter[str] = Counter()
        self.unsent = 0

    @property
    def by_action(self) -> Counter[str]:
        """Action name -> completed actions."""
        return Counter({action: len(samples) for action, samples in self.latencies.items()})

    def record(self, action: str, seconds: float, error: str | None = None) -> None:
        """Record one completed action.

        Args:
            action: the action's name (``"move"``).
            seconds: its latency, seconds.
            error: the error code when it was refused or failed, else None.
        """
        samples = self.latencies.get(action)
        if samples is None:
            samples = self.latencies[action] = []
        samples.append(seconds)
        if error is not None:
            self.errors[error] += 1

    def merge(self, others: Iterable[Recorder]) -> None:
        """Add the samples of other recorders (e.g. from several client processes).

        Args:
            others: recorders to fold into this one.
        """
        for other in others:
            for action, samples in other.latencies.items():
                self.latencies.setdefault(action, []).extend(samples)
            self.errors.update(other.errors)
            self.unsent += other.unsent

    def summary(self, name: str, seconds: float, offered_rate: float | None = None) -> Summary:
        """Compute the figures.

        Args:
            name: workload name.
            seconds: wall-clock duration of the measurement, seconds.
            offered_rate: actions/s offered by an open-loop workload; None for a closed loop.

        Returns:
            The summary with percentiles over every recorded latency, and per action.
        """
        ordered = sorted(x for samples in self.latencies.values() for x in samples)
        per_action = {}
        for action, samples in sorted(self.latencies.items()):
            own = sorted(samples)
            per_action[action] = (percentile(own, 50), percentile(own, 99))
        return Summary(
            name=name,
            actions=len(ordered),
            seconds=seconds,
            p50=percentile(ordered, 50),
            p95=percentile(ordered, 95),
            p99=percentile(ordered, 99),
            max=ordered[-1] if ordered else 0.0,
            errors=dict(self.errors),
            by_action=dict(self.by_action),
            offered_rate=offered_rate,
            unsent=self.unsent,
            latency_by_action=per_action,
        )

    def to_state(self) -> dict[str, object]:
        """A picklable form for sending results between processes.

        Returns:
            A dict with latencies (action -> seconds), errors and unsent.
        """
        return {"latencies": self.latencies, "errors": dict(self.errors), "unsent": self.unsent}

    @classmethod
    def from_state(cls, state: dict[str, object]) -> Recorder:
        """Rebuild a recorder from :meth:`to_state`.

        Args:
            state: the dict produced by :meth:`to_state`.

        Returns:
            A recorder with the same samples.
        """
        rec = cls()
        latencies, errors = state["latencies"], state["errors"]
        assert isinstance(latencies, dict) and isinstance(errors, dict)
        rec.latencies = {str(k): [float(x) for x in v] for k, v in latencies.items()}
        rec.errors = Counter({str(k): int(v) for k, v in errors.items()})
        unsent = state.get("unsent", 0)
        assert isinstance(unsent, int)
        rec.unsent = unsent
        return rec
