"""Verify the audit log stored in the database against the checkpoint file.

:func:`verify_stored_log` streams ``(index, leaf, recorded leaf hash)`` from ``audit_entries``
in index order into :func:`starlane.audit.verify.verify_log`, with the checkpoints of the
checkpoint file in the data directory (the witness kept outside the database) and the verifier
key published there. It adds one check the generic verifier cannot make: each row's index must
be the index written inside its leaf, so a row inserted in the middle (the later rows
renumbered, their stored hashes left valid) is named by its index rather than only by the
checkpoint whose root no longer matches.

The top-level ``"index"`` member is found as the *last* ``"index":`` in the leaf: RFC 8785
sorts the members, the only members after ``index`` are strings, numbers and ``null``, and a
quote inside a string is always escaped.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from starlane.audit.checkpoint import (
    CHECKPOINT_FILE,
    Checkpoint,
    read_checkpoint_file,
    read_verifier_key,
)
from starlane.audit.note import parse_note
from starlane.audit.verify import Failure, FailureKind, VerifyResult, verify_log
from starlane.store.audit_reads import iter_entries

_MARK = b'"index":'
_END = object()


def leaf_index(leaf: bytes) -> int | None:
    """The ``index`` member written in a canonical leaf, or None when there is none.

    Args:
        leaf: the leaf bytes.

    Returns:
        The index.
    """
    at = leaf.rfind(_MARK)
    if at < 0:
        return None
    start = end = at + len(_MARK)
    while end < len(leaf) and 48 <= leaf[end] <= 57:
        end += 1
    return int(leaf[start:end]) if end > start else None


class _Renumbered(Exception):
    def __init__(self, index: int, written: int | None) -> None:
        super().__init__(index)
        self.index = index
        self.written = written


def _covering(notes: list[str], index: int) -> int | None:
    for number, note in enumerate(notes):
        try:
            if Checkpoint.parse(parse_note(note).text).size > index:
                return number
        except ValueError:
            return None
    return None


async def verify_stored_log(engine: AsyncEngine, data_dir: Path) -> VerifyResult:
    """Recompute the stored log's tree and check it against every checkpoint of the file.

    Args:
        engine: the database.
        data_dir: the data directory (verifier key and checkpoint file).

    Returns:
        The result (``ok`` and ``summary``; the first failure names an entry index and a
        checkpoint number).

    Raises:
        KeyFileError: the verifier key is missing or malformed.
        CheckpointFileError: the checkpoint file is malformed.
    """
    verifier = read_verifier_key(data_dir)
    notes = read_checkpoint_file(data_dir / CHECKPOINT_FILE)
    rows: queue.Queue[object] = queue.Queue(maxsize=16)
    loop = asyncio.get_running_loop()

    async def produce() -> None:
        batch: list[tuple[int, bytes, bytes]] = []
        try:
            async for row in iter_entries(
                engine, chunk=10_000, columns=("idx", "leaf", "leaf_hash")
            ):
                batch.append((int(row.idx), bytes(row.leaf), bytes(row.leaf_hash)))
                if len(batch) >= 10_000:
                    await asyncio.to_thread(rows.put, batch)
                    batch = []
            if batch:
                await asyncio.to_thread(rows.put, batch)
        finally:
            await asyncio.to_thread(rows.put, _END)

    def entries() -> Iterator[tuple[int, bytes, bytes]]:
        while True:
            item = rows.get()
            if item is _END:
                return
            assert isinstance(item, list)
            for index, leaf, recorded in item:
                written = leaf_index(leaf)
                if written != index:
                    raise _Renumbered(index, written)
                yield index, leaf, recorded

    def run() -> VerifyResult:
        return verify_log(entries(), notes, verifier)

    producer = loop.create_task(produce())
    try:
        result = await asyncio.to_thread(run)
    except _Renumbered as exc:
        number = _covering(notes, exc.index)
        against = (
            f"does not match checkpoint {number}"
            if number is not None
            else "(no checkpoint covers it yet)"
        )
        failure = Failure(
            FailureKind.REPEATED_ENTRY,
            f"entry {exc.index} {against}: the row's leaf records index {exc.written}"
            " (a row inserted or renumbered)",
            entry=exc.index,
            last_entry=exc.index,
            checkpoint=number,
        )
        result = VerifyResult(exc.index, b"\x00" * 32, 0, None, failure)
    finally:
        producer.cancel()
        while not rows.empty():  # let a producer blocked on a full queue finish
            rows.get_nowait()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await producer
    return result
