"""The server's checkpointer: signs the stored log's tree head now and then.

A :class:`Checkpointer` is started and stopped by the app. It watches the log's size (one
``max(idx)`` query per poll) and signs a checkpoint (C2SP tlog-checkpoint as a signed note,
:func:`starlane.audit.checkpoint.sign_checkpoint`) when ``every_entries`` entries were added
since the last one, or when ``every_seconds`` passed since the last one and something was
added, and once more when it stops. Each signed checkpoint is first appended to the checkpoint
file in the data directory (fsynced, outside the database: what verification trusts), then
stored in ``audit_checkpoints``. The key pair is created in the data directory on first start
(:func:`starlane.audit.checkpoint.load_or_create_signer`, mode 0600).

Entries appended by other processes (``starlane admin``) are covered too: the size is read
from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from starlane.audit.checkpoint import (
    CHECKPOINT_FILE,
    Checkpoint,
    CheckpointFile,
    load_or_create_signer,
    sign_checkpoint,
)
from starlane.audit.log import stored_root
from starlane.audit.note import NoteSigner
from starlane.store.audit_reads import add_checkpoint, log_size

_log = structlog.get_logger("starlane.audit")


class Checkpointer:
    """Signs checkpoints of the stored log (see the module docstring).

    Args:
        engine: the database holding the log.
        data_dir: where the key pair and the checkpoint file live.
        origin: the log's origin (the key's name).
        every_entries: sign once this many entries were added since the last checkpoint.
        every_seconds: else sign this many seconds after the last one if anything was added.
        clock: unix seconds now.
        poll_seconds: how often the size is read (default: ``min(1, every_seconds)``).

    Attributes:
        signed: checkpoints signed by this object.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        data_dir: Path,
        origin: str,
        *,
        every_entries: int = 1_000,
        every_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
        poll_seconds: float | None = None,
    ) -> None:
        self._engine = engine
        self._data_dir = data_dir
        self._origin = origin
        self._every_entries = every_entries
        self._every_seconds = every_seconds
        self._clock = clock
        self._poll = min(1.0, every_seconds) if poll_seconds is None else poll_seconds
        self._signer: NoteSigner | None = None
        self._file: CheckpointFile | None = None
        self._last_size: int | None = None
        self._last_at = 0.0
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.signed = 0

    @property
    def verifier_key(self) -> str:
        """The verifier key, ``<origin>+<key id>+<base64(0x01 || public key)>``.

        Raises:
            RuntimeError: before :meth:`open`.
        """
        if self._signer is None:
            raise RuntimeError("the checkpointer is not open")
        return self._signer.verifier.key_string

    def open(self) -> None:
        """Load (or create) the key pair and open the checkpoint file.

        Raises:
            KeyFileError: the key file is too widely readable, malformed or of another log.
            CheckpointFileError: the checkpoint file is malformed.
        """
        if self._signer is None:
            self._signer = load_or_create_signer(self._data_dir, self._origin)
            self._file = CheckpointFile(self._data_dir / CHECKPOINT_FILE)
            last = self._file.last
            self._last_size = None if last is None else last.size
            self._last_at = self._clock()

    async def start(self) -> None:
        """Open, then watch the log in a background task."""
        self.open()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="audit")

    async def stop(self) -> None:
        """Stop watching and sign a last checkpoint if anything was added."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._signer is not None:
            try:
                await self.checkpoint()
            except Exception:
                _log.exception("audit.final_checkpoint_failed")

    async def checkpoint(self, *, force: bool = False) -> Checkpoint | None:
        """Sign a checkpoint of the log's current size unless the last one has it already.

        Args:
            force: sign even when the size did not change since the last checkpoint.

        Returns:
            The checkpoint signed, or None.

        Raises:
            RuntimeError: before :meth:`open`.
            ProofError: stored rows are missing (the log was truncated under us).
        """
        self.open()
        signer, file = self._signer, self._file
        assert signer is not None and file is not None
        async with self._lock:
            size = await log_size(self._engine)
            if size == (self._last_size or 0) and not force:
                return None  # nothing new (an empty log needs no checkpoint)
            root = await stored_root(self._engine, size)
            head = Checkpoint(self._origin, size, root)
            signed = sign_checkpoint(signer, head)
            await asyncio.to_thread(file.append, signed)  # the file first: it is the witness
            now = self._clock()
            await add_checkpoint(self._engine, size, root, signed, now)
            self._last_size, self._last_at = size, now
            self.signed += 1
            _log.info("audit.checkpoint", size=size)
            return head

    async def _due(self) -> bool:
        size = await log_size(self._engine)
        last = self._last_size or 0
        if size <= last and self._last_size is not None:
            return False
        if size == 0:
            return False
        if size - last >= self._every_entries:
            return True
        return self._clock() - self._last_at >= self._every_seconds

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._poll)
            try:
                if await self._due():
                    await self.checkpoint()
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("audit.checkpoint_failed")
                await asyncio.sleep(max(self._poll, 1.0))
