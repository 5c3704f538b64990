"""Callbacks run from the event loop's I/O phase, through a self-pipe.

A region engine commits the commands decided during a loop iteration at the end of that
iteration, and the callers wait for the answer. ``loop.call_soon`` is the usual way to say
"after what runs now", but on uvloop (libuv) a ready callback scheduled during an iteration's
ready phase runs in the *next* iteration's ready phase, and the futures it resolves wake their
tasks in the one after: commands were answered two iterations after they were decided. I/O
callbacks run in the I/O (poll) phase, which in libuv comes after the ready phase of the same
iteration; a byte written to a pipe the loop watches makes the commit such a callback, and its
callers wake in the next iteration's ready phase, one iteration sooner. Under load an iteration
runs all the ready requests of every client, so that is one iteration's length off every
command's latency (``docs/performance.md``).

On asyncio's own loop the I/O callbacks of an iteration run after its ready callbacks too, but
are collected before them, so a pipe gives the same order as ``call_soon``: this only costs
two system calls per commit there.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import weakref
from collections.abc import Callable

import structlog

__all__ = ["SelfPipeCaller"]

_log = structlog.get_logger("starlane.engine")


def _close_fds(read_fd: int, write_fd: int) -> None:
    for fd in (read_fd, write_fd):
        with contextlib.suppress(OSError):
            os.close(fd)


class SelfPipeCaller:
    """Calls callbacks from the event loop's I/O phase (see the module).

    Args:
        loop: the running event loop.

    Raises:
        NotImplementedError: the loop cannot watch file descriptors (``add_reader``), e.g.
            asyncio's proactor loop on Windows; use ``loop.call_soon`` instead.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        os.set_blocking(write_fd, False)
        try:
            loop.add_reader(read_fd, self._fire)
        except BaseException:
            _close_fds(read_fd, write_fd)
            raise
        self._loop = loop
        self._read_fd, self._write_fd = read_fd, write_fd
        self._callbacks: list[Callable[[], object]] = []
        self._armed = False
        self._closed = False
        self._finalizer = weakref.finalize(self, _close_fds, read_fd, write_fd)

    def call(self, callback: Callable[[], object]) -> None:
        """Run ``callback()`` from the loop's next I/O phase (the current iteration's, on
        uvloop), after the callbacks given before it. After :meth:`close` it is given to
        ``loop.call_soon``.

        Args:
            callback: a callable without arguments; an exception it raises is logged.
        """
        if self._closed:
            self._loop.call_soon(callback)
            return
        self._callbacks.append(callback)
        if not self._armed:
            self._armed = True
            # a full pipe (cannot happen: one byte per firing) would be readable anyway
            with contextlib.suppress(BlockingIOError):
                os.write(self._write_fd, b"\0")

    def _fire(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.read(self._read_fd, 4096)
        self._armed = False
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:
                _log.exception("engine.pipe_callback_failed")

    def close(self) -> None:
        """Stop watching the pipe and close it; callbacks still waiting go to
        ``loop.call_soon``."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):  # the loop may be closed already
            self._loop.remove_reader(self._read_fd)
        self._finalizer()
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            self._loop.call_soon(callback)


class TurnEndCaller:
    """Calls one callback once the current loop iteration's ready callbacks have run, at most
    once per request however often it is requested meanwhile: through a
    :class:`SelfPipeCaller` while :meth:`open`, else with ``loop.call_soon``.

    Args:
        callback: the callable to run.

    Attributes:
        pending: a call was requested and has not run yet.
    """

    def __init__(self, callback: Callable[[], object]) -> None:
        self._callback = callback
        self._pipe: SelfPipeCaller | None = None
        self.pending = False

    def open(self, loop: asyncio.AbstractEventLoop) -> None:
        """Watch a pipe of the running loop (unless it cannot watch file descriptors)."""
        with contextlib.suppress(NotImplementedError):
            self._pipe = SelfPipeCaller(loop)

    def close(self) -> None:
        """Close the pipe; later requests go through ``call_soon``."""
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None

    def request(self) -> None:
        """Run the callback at the end of this iteration, unless that is already asked."""
        if self.pending:
            return
        self.pending = True
        if self._pipe is not None:
            self._pipe.call(self._run)
        else:
            asyncio.get_running_loop().call_soon(self._run)

    def _run(self) -> None:
        self.pending = False
        self._callback()
