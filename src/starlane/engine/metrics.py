"""The counters a region engine keeps (exported to Prometheus by the API, ``/metrics``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

__all__ = ["EngineMetrics"]


@dataclass(slots=True)
class EngineMetrics:
    """Counters of one engine (the API exports them to Prometheus).

    Attributes:
        commits: batches committed.
        events: events committed.
        failed_commits: batches whose commit failed.
        recoveries: reloads from the store after a failure.
        snapshots: snapshots written.
        last_batch_size: commands in the last committed batch.
        max_batch_size: most commands in one committed batch.
        busy_rejections: submits refused because the queue was full.
        commit_seconds: total seconds from the start of each commit until it was durable.
        waited_commits: commits the store answered later, from a task (PostgreSQL; on
            SQLite those that found the write lock taken), rather than before its ``commit``
            returned (SQLite, on the event loop's thread).
        commands: (command name, outcome) -> count; outcome is ``ok``, ``refused``,
            ``unavailable`` or ``error``.
    """

    commits: int = 0
    events: int = 0
    failed_commits: int = 0
    recoveries: int = 0
    snapshots: int = 0
    last_batch_size: int = 0
    max_batch_size: int = 0
    busy_rejections: int = 0
    commit_seconds: float = 0.0
    waited_commits: int = 0
    commands: Counter[tuple[str, str]] = field(default_factory=Counter)

    def record_commit(self, events: int, seconds: float, *, waited: bool, snapshot: bool) -> None:
        """Count a committed batch.

        Args:
            events: events it stored.
            seconds: from handing it to the store until the store answered.
            waited: answered later than the store's ``commit`` returned.
            snapshot: it carried a snapshot.
        """
        self.commits += 1
        self.events += events
        self.commit_seconds += seconds
        self.waited_commits += waited
        self.snapshots += snapshot
