"""SQLite WAL checkpoints in a thread of their own, never in a commit made on the event loop.

In WAL mode SQLite appends every commit to the write-ahead log, and a *checkpoint* copies the
log's pages back into the database file and ``fsync``\\ s it. By default the connection whose
commit takes the log past ``wal_autocheckpoint`` pages (1,000, ~4 MB) runs that checkpoint
inside its commit. For the event store that connection is its writer on the event loop's thread
(:func:`starlane.store.db.open_writer`), so one group commit in every ~4 MB of events would
block the whole server while 4 MB are written and synced, tens to hundreds of milliseconds
(``docs/performance.md``).

SQLite's documentation names the remedy (https://sqlite.org/wal.html, "Application-Initiated
Checkpoints"): turn automatic checkpoints off on that connection (``PRAGMA
wal_autocheckpoint=0``) and run them from another thread. :class:`WalCheckpointer` does so:
every ``interval`` seconds, if the log file changed since its last checkpoint, it runs
``PRAGMA wal_checkpoint(PASSIVE)`` on a connection of its own. A passive checkpoint copies
what no reader still needs and never waits for (nor blocks) readers or writers; SQLite's
``sqlite3`` module releases the GIL while it runs, so the event loop goes on serving. Once a
checkpoint has copied the whole log, the next commit starts the log over from its beginning, as
after an automatic checkpoint.

Durability is unchanged: a commit is durable when its log frames are synced (by the commit),
and a checkpoint syncs the log before copying it and the database file after. A failed
checkpoint is logged (``store.wal_checkpoint_failed``) and counted, and the next one is tried
an interval later: the log then only grows meanwhile.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import structlog

from starlane.store.db import wal_path

__all__ = ["CHECKPOINT_INTERVAL_SECONDS", "WalCheckpointer"]

_log = structlog.get_logger("starlane.store")

CHECKPOINT_INTERVAL_SECONDS = 1.0
"""Seconds between two checks of the write-ahead log (a checkpoint runs when it changed). Under
a load that writes ~4 MB of log a second each checkpoint copies about what an automatic one
would, so the database file is synced about as often as with automatic checkpoints."""


class WalCheckpointer:
    """Runs passive checkpoints of one SQLite database in a daemon thread (see the module).

    The thread starts with the object; :meth:`close` stops it. Use it with a connection whose
    automatic checkpoints are off (``PRAGMA wal_autocheckpoint=0``).

    Args:
        database: the database file (its log is ``<file>-wal``).
        synchronous: the ``synchronous`` level of the checkpoint connection (``FULL`` or
            ``NORMAL``: either syncs the log before a checkpoint and the file after one).
        interval: seconds between two checks of the log.

    Attributes:
        checkpoints: checkpoints run.
        checkpoint_seconds: seconds spent in them, summed (in the checkpointer's thread).
        log_frames: frames (pages) in the log at the last checkpoint: a log that keeps growing
            means checkpoints cannot keep up (or a reader holds the log).
        copied_frames: of those, the frames the last checkpoint left copied into the database
            file (all of them, unless a reader still needed the rest).
        failures: checkpoints that failed (a run of failures is logged once, as
            ``store.wal_checkpoint_failed``, and its end as ``store.wal_checkpoint_recovered``).

    Raises:
        ValueError: ``interval`` is not positive.
    """

    def __init__(
        self,
        database: Path,
        *,
        synchronous: str = "FULL",
        interval: float = CHECKPOINT_INTERVAL_SECONDS,
    ) -> None:
        if not interval > 0:
            raise ValueError("interval must be positive")
        self.database = database
        self.wal = wal_path(database)
        self.interval = interval
        self._synchronous = synchronous
        self._stop = threading.Event()
        self._last_seen: tuple[int, int] | None = None  # the log's (mtime_ns, size) last copied
        self.checkpoints = 0
        self.checkpoint_seconds = 0.0
        self.log_frames = 0
        self.copied_frames = 0
        self.failures = 0
        self._failing = False  # the last attempt failed (logged once per run of failures)
        self._thread = threading.Thread(target=self._serve, name="starlane-wal-checkpoint")
        self._thread.daemon = True
        self._thread.start()

    @property
    def running(self) -> bool:
        """Whether the thread runs (until :meth:`close`)."""
        return self._thread.is_alive()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the thread, waiting for a checkpoint in progress to end.

        Args:
            timeout: seconds to wait for the thread at most.
        """
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _serve(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while not self._stop.wait(self.interval):
                if conn is None:
                    conn = self._connect()
                    if conn is None:
                        continue
                try:
                    self.run_once(conn)
                except Exception as exc:  # keep the thread: the next interval tries again
                    self._failed(exc)
        finally:
            if conn is not None:
                conn.close()

    def _connect(self) -> sqlite3.Connection | None:
        try:
            # mode=rw: never create an empty database where the server's one went away
            conn = sqlite3.connect(
                f"{self.database.resolve().as_uri()}?mode=rw",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute("PRAGMA busy_timeout=0")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
        except sqlite3.Error as exc:
            self._failed(exc)
            return None
        return conn

    def run_once(self, conn: sqlite3.Connection) -> bool:
        """Checkpoint if the log changed since the last checkpoint (the thread's step; tests
        call it directly).

        Args:
            conn: a connection to the database (in autocommit mode).

        Returns:
            True when a checkpoint was attempted (it copied all, part or, failing, none of the
            log); False when there was nothing to do.
        """
        try:
            stat = self.wal.stat()
        except FileNotFoundError:
            return False  # no log (yet, or any more): nothing to copy
        except OSError as exc:
            self._failed(exc)
            return False
        seen = (stat.st_mtime_ns, stat.st_size)
        if seen == self._last_seen:
            return False
        started = time.perf_counter()
        try:
            row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:
            self._failed(exc)
            return True
        self.checkpoint_seconds += time.perf_counter() - started
        self.checkpoints += 1
        _busy, log_frames, copied = row
        self.log_frames, self.copied_frames = max(log_frames, 0), max(copied, 0)
        if copied == log_frames:
            self._last_seen = seen  # all copied: nothing to do until the log changes again
        if self._failing:
            _log.info("store.wal_checkpoint_recovered", database=str(self.database))
            self._failing = False
        return True

    def _failed(self, exc: BaseException) -> None:
        self.failures += 1
        if not self._failing:  # once per run of failures, not every interval
            _log.warning("store.wal_checkpoint_failed", database=str(self.database), error=str(exc))
        self._failing = True
