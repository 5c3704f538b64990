"""Durability of on-loop SQLite commits, with the ``fsync`` in a thread of its own.

A group commit made on the event loop's thread (:meth:`EventStore.append_now
<starlane.store.eventstore.EventStore.append_now>`) with ``synchronous=FULL`` blocks the loop
in ``fsync`` of the write-ahead log: ~0.2 ms on an idle SSD, 1-2 ms under load (issue 5's
benchmark: a quarter of the loop's time). With ``synchronous=NORMAL`` SQLite writes the WAL and
does not sync it; the commit is visible at once, and durable after the next ``fsync`` of the
WAL file. :class:`WalSyncer` runs that ``fsync`` in a dedicated thread, so the loop goes on
serving while the disk works, and tells the caller when the commit is durable; the engine
answers players and publishes events only then, so what a player is told was stored survives a
power cut, exactly as with ``FULL``.

One ``fsync`` covers every write made to the file before it started, so syncs are grouped: a
request made while a sync runs is answered by the next one, started as soon as the running one
ends. At most one sync runs and one waits, whatever the commit rate; requests are answered in
the order they were made.

Readers in another process (the projector) see a commit before it is durable; they make what
they read durable themselves with :func:`sync_wal_file` before building on it.

The price is a loop turn: the engine's callers are answered from the loop callback that sees
the sync end, a turn after the one that wrote the commit, whereas a commit that syncs itself
answers them in the same callback. On a local SSD under issue 5's benchmark (fresh servers,
alternating runs) the syncing commit did as well or better (REST game mix higher in 4 of 5
pairs, WebSocket even), so this is the setting ``sqlite_sync_off_loop`` (default off), for
disks whose ``fsync`` is slow enough that blocking the loop on it costs more than a turn.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import structlog

__all__ = ["DurabilityCallback", "WalSyncError", "WalSyncer", "sync_wal_file", "wal_path"]

_log = structlog.get_logger("starlane.store")

DurabilityCallback = Callable[[BaseException | None], None]
"""Called with None once a commit is durable, or with the error that prevented it."""


class WalSyncError(OSError):
    """The write-ahead log could not be synced: commits not yet synced may be lost."""


def wal_path(database: Path) -> Path:
    """The write-ahead log of a SQLite database file (``<file>-wal``, SQLite's naming).

    Args:
        database: the database file.

    Returns:
        The path of its WAL file (which may not exist yet).
    """
    return database.with_name(database.name + "-wal")


def sync_wal_file(path: Path) -> bool:
    """``fdatasync`` a SQLite WAL file: every frame written to it before the call is durable
    when it returns (on Linux, syncing through any descriptor flushes the file's pages).

    Args:
        path: the WAL file (:func:`wal_path`).

    Returns:
        True when the file was synced; False when it does not exist (no WAL: nothing
        unsynced; SQLite removes the WAL only after checkpointing it into the synced
        database file).

    Raises:
        OSError: the file could not be opened or synced.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        os.fdatasync(fd)
    finally:
        os.close(fd)
    return True


class WalSyncer:
    """Groups the ``fsync`` of one SQLite WAL file in a dedicated thread (see the module).

    Args:
        path: the WAL file (:func:`wal_path` of the database).
        sync: the blocking sync function, called in the syncer's thread with ``path``
            (default :func:`sync_wal_file`; tests inject failures and delays).

    Attributes:
        syncs: syncs done (each may answer many commits).
        sync_seconds: seconds spent in them, summed (in the syncer's thread).
        error: the error of the first failed sync, None while none failed.
    """

    def __init__(self, path: Path, *, sync: Callable[[Path], object] = sync_wal_file) -> None:
        self.path = path
        self._sync = sync
        self._go = threading.Semaphore(0)  # released once per sync to run, and by close()
        self._requested = 0  # syncs asked of the thread (on the loop's thread)
        self._served = 0  # syncs the thread made (on its own thread)
        self._thread: threading.Thread | None = None  # started by the first sync
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running: list[DurabilityCallback] | None = None  # callbacks of the running sync
        self._waiting: list[DurabilityCallback] = []  # callbacks for the next sync
        self._closed = False
        self.syncs = 0
        self.sync_seconds = 0.0
        self.error: BaseException | None = None

    @property
    def usable(self) -> bool:
        """False once a sync failed or the syncer was closed: commit the slow, synced way."""
        return self.error is None and not self._closed

    @property
    def pending(self) -> int:
        """Commits waiting to be made durable."""
        return len(self._waiting) + (len(self._running) if self._running else 0)

    def request(self, callback: DurabilityCallback) -> None:
        """Call ``callback`` on the event loop's thread once everything written to the WAL
        before this call is durable (``callback(None)``), or with a :class:`WalSyncError` when
        it could not be made so (that sync failed, an earlier one did, or the syncer closed).

        Callbacks run in the order of the requests, from the loop's callback that sees the
        sync end; they must not raise.

        Args:
            callback: the function to call, with None or the error.

        Raises:
            RuntimeError: called with no running event loop.
        """
        loop = asyncio.get_running_loop()
        if not self.usable:
            loop.call_soon(callback, self._refusal())
            return
        self._loop = loop
        if self._running is None:
            self._running = [callback]
            self._start()
        else:
            self._waiting.append(callback)

    def _refusal(self) -> WalSyncError:
        if self.error is not None:
            error = WalSyncError(f"{self.path}: an earlier sync failed: {self.error}")
            error.__cause__ = self.error
            return error
        return WalSyncError(f"{self.path}: the syncer is closed")

    def _start(self) -> None:
        self._requested += 1
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._serve, name="starlane-wal-sync", daemon=True
            )
            self._thread.start()
        self._go.release()

    def _serve(self) -> None:
        """The syncer's thread: one sync per release of ``_go``, its outcome posted to the
        loop. Kept to the fewest steps that need the GIL (each may wait for the busy loop's
        thread to let go of it), hence no executor and its futures."""
        while True:
            self._go.acquire()
            if self._closed and self._served >= self._requested:
                return  # close()'s wake-up, with no sync left to make
            started = time.perf_counter()
            error: BaseException | None = None
            try:
                self._sync(self.path)
            except BaseException as exc:  # reported on the loop, to every waiting caller
                error = exc
            seconds = time.perf_counter() - started
            self._served += 1
            loop = self._loop
            try:
                assert loop is not None
                loop.call_soon_threadsafe(self._finished, seconds, error)
            except RuntimeError:  # the loop is closed: nobody is left to answer
                return

    def _finished(self, seconds: float, exc: BaseException | None) -> None:
        done, self._running = self._running or [], None
        outcome: BaseException | None = None
        if exc is None:
            self.syncs += 1
            self.sync_seconds += seconds
        else:
            if self.error is None:
                self.error = exc
                _log.error("store.wal_sync_failed", path=str(self.path), error=repr(exc))
            outcome = self._refusal()
        answers = [(callback, outcome) for callback in done]
        if self._waiting:
            if self.usable:
                self._running, self._waiting = self._waiting, []
                self._start()
            elif self.error is None:  # closed meanwhile: one last sync, here
                waiting, self._waiting = self._waiting, []
                last: BaseException | None = None
                try:
                    self._sync(self.path)
                except OSError as error:
                    self.error = error
                    last = self._refusal()
                answers.extend((callback, last) for callback in waiting)
            else:  # this sync failed: nothing written since can be vouched for
                answers.extend((callback, outcome) for callback in self._waiting)
                self._waiting = []
        for callback, result in answers:
            callback(result)

    def close(self) -> None:
        """Stop taking requests and wait for the running sync, if any; its callbacks, and
        those of requests made while it ran (after one more sync, on the loop's thread), are
        called when the loop runs its callbacks. Later requests get :class:`WalSyncError`.
        """
        self._closed = True
        thread, self._thread = self._thread, None
        if thread is not None:
            self._go.release()  # wakes the thread once the running sync, if any, is done
            thread.join()
