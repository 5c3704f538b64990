"""The projector: the read-model projections in a process of their own.

The server's event loop runs the game; the projections (``player_view``, ``activity``,
``region_hourly``) only need the committed events, which the event store holds in position
order (and the relational changes, which the ``outbox`` table holds). Run in the server's
process they take CPU from the game under load, so by default (``projector = "process"``) the
server starts ``starlane projector`` as a child process (:class:`ProjectorProcess`) and stops
it on shutdown. The projector polls the store from its checkpoints (:class:`ProjectionRunner`
without a bus) and writes the read-model database (``read_database_url``: for SQLite a file of
its own, so its transactions never hold the event store's write lock).

A projector started by the server exits by itself when the server process goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

import structlog

from starlane.config import Settings
from starlane.projections.activity import ActivityProjection
from starlane.projections.base import Projection, ProjectionRunner
from starlane.projections.player_view import PlayerViewProjection
from starlane.projections.region_hourly import RegionHourlyProjection

_log = structlog.get_logger("starlane.projections")

PARENT_CHECK_SECONDS = 1.0
"""How often a projector started by a server checks that the server is still there."""


def default_projections() -> list[Projection]:
    """The read models every Starlane server keeps.

    Returns:
        New instances: the player view, the activity feed and the regions' hourly counts.
    """
    return [PlayerViewProjection(), ActivityProjection(), RegionHourlyProjection()]


async def run_projector(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    parent_pid: int | None = None,
    projections: Sequence[Projection] | None = None,
) -> None:
    """Follow the event store and keep the read models up to date until asked to stop.

    Migrates the read-model database first (the main database must already exist: the
    server, or ``starlane db upgrade``, creates it).

    Args:
        settings: database URLs (``database_url``, ``read_database_url``).
        stop: set it to stop (default: SIGINT/SIGTERM stop the projector).
        parent_pid: stop when this process is no longer our parent (the server died).
        projections: the projections to run (default: :func:`default_projections`).

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the main database has no event store yet.
    """
    from starlane.store.db import create_db_engine, upgrade_database
    from starlane.store.eventstore import EventStore

    stop = stop or _stop_on_signals()
    main_url = settings.resolved_database_url()
    read_url = settings.resolved_read_database_url()
    main = create_db_engine(main_url)
    read = main if read_url == main_url else create_db_engine(read_url)
    runner: ProjectionRunner | None = None
    try:
        await upgrade_database(read)
        runner = ProjectionRunner(
            read,
            EventStore(main),
            None,
            list(projections or default_projections()),
            outbox=main,
        )
        await runner.start()
        _log.info("projector.started", pid=os.getpid(), parent_pid=parent_pid)
        while not stop.is_set():
            if parent_pid is not None and os.getppid() != parent_pid:
                _log.warning("projector.parent_gone", parent_pid=parent_pid)
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), PARENT_CHECK_SECONDS)
    finally:
        if runner is not None:
            await runner.stop()
            _log.info("projector.stopped", checkpoints=runner.checkpoints)
        if read is not main:
            await read.dispose()
        await main.dispose()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop


class ProjectorProcess:
    """A ``starlane projector`` child process, restarted if it fails while the server runs.

    A child that exits with status 0 was asked to stop (SIGINT/SIGTERM) and is not restarted.

    Args:
        settings: the server's settings; the child gets the same database URLs, log level and
            environment (so the same configuration file and ``STARLANE_*`` variables).
        restart_seconds: delay before restarting a projector that exited.
    """

    def __init__(self, settings: Settings, *, restart_seconds: float = 1.0) -> None:
        self._settings = settings
        self._restart = restart_seconds
        self._proc: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.starts = 0

    @property
    def pid(self) -> int | None:
        """The current (or last) child's process id, or None before the first start."""
        return None if self._proc is None else self._proc.pid

    @property
    def running(self) -> bool:
        """Whether a child process runs now."""
        return self._proc is not None and self._proc.returncode is None

    def command(self) -> list[str]:
        """The child's command line.

        Returns:
            ``python -m starlane.cli projector --db ... --read-db ... --parent-pid ...``.
        """
        s = self._settings
        return [
            sys.executable,
            "-m",
            "starlane.cli",
            "projector",
            "--db",
            s.resolved_database_url(),
            "--read-db",
            s.resolved_read_database_url(),
            "--log-level",
            s.log_level,
            "--parent-pid",
            str(os.getpid()),
        ]

    async def start(self) -> None:
        """Start the child and its supervisor (returns at once)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._supervise(), name="projector")

    async def stop(self, timeout: float = 10.0) -> None:
        """Ask the child to stop (SIGTERM), wait for it, kill it after ``timeout`` seconds.

        Args:
            timeout: seconds to wait for a clean exit.
        """
        self._stopping = True
        proc = self._proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _supervise(self) -> None:
        while not self._stopping:
            self._proc = await asyncio.create_subprocess_exec(
                *self.command(), stdin=subprocess.DEVNULL
            )
            self.starts += 1
            _log.info("projector.spawned", pid=self._proc.pid)
            code = await self._proc.wait()
            if self._stopping:
                return
            if code == 0:  # it was asked to stop (Ctrl-C reaches the whole process group)
                _log.info("projector.stopped_by_signal")
                return
            _log.error("projector.exited", code=code, restart_in=self._restart)
            await asyncio.sleep(self._restart)
