"""Verify an audit log against its signed checkpoints, independently of where it is stored.

:func:`verify_log` reads the entries in index order (from a database, an export, anything
that yields ``(index, leaf bytes)``), recomputes the RFC 9162 Merkle tree as it goes
(:class:`starlane.audit.merkle.CompactRange`, constant memory) and checks:

1. every checkpoint's signed note verifies with the log's verifier key and carries the log's
   origin (C2SP signed-note and tlog-checkpoint), and checkpoints never shrink;
2. the entries are numbered ``0, 1, 2, ...`` with no gap or repeat (a deleted or inserted row);
3. when the caller passes the leaf hash recorded with each entry, it equals
   ``SHA-256(0x00 || leaf)`` (an edited row whose stored hash was left alone);
4. each checkpoint's root equals ``MTH`` of the first ``size`` entries (RFC 9162 2.1.1), and
   the log holds at least that many entries (a truncated log).

Checkpoints are numbered ``0, 1, 2, ...`` in the order given (the checkpoint file's order).
The first failure ends the run and is reported with the first entry index it implicates and
the checkpoint it concerns, e.g. ``entry 42 does not match checkpoint 3: ...``. When only a
root differs, the entries before the previous matching checkpoint are proven intact and the
change lies between the two; the message names that range and its first index.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from starlane.audit.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from starlane.audit.merkle import EMPTY_ROOT, CompactRange, leaf_hashes
from starlane.audit.note import (
    InvalidSignatureError,
    NoteError,
    NoteVerifier,
    UnverifiedNoteError,
)

BATCH = 4096
"""How many entries are hashed together (the tree is extended a batch at a time)."""

Entry = tuple[int, bytes] | tuple[int, bytes, bytes | None]
"""``(index, leaf bytes)`` or ``(index, leaf bytes, recorded leaf hash or None)``."""


class FailureKind(StrEnum):
    """Why verification failed (stable codes)."""

    BAD_SIGNATURE = "bad_signature"
    """A checkpoint is not validly signed by the log's key."""
    MALFORMED_CHECKPOINT = "malformed_checkpoint"
    """A checkpoint is not a well-formed signed checkpoint of this log's origin."""
    CHECKPOINT_ORDER = "checkpoint_order"
    """A checkpoint is smaller than the one before it."""
    MISSING_ENTRY = "missing_entry"
    """An index is skipped (a row deleted or renumbered)."""
    REPEATED_ENTRY = "repeated_entry"
    """An index appears again or out of order (a row inserted or renumbered)."""
    LEAF_HASH_MISMATCH = "leaf_hash_mismatch"
    """An entry's bytes do not hash to the leaf hash recorded with it (a row edited)."""
    ROOT_MISMATCH = "root_mismatch"
    """The entries up to a checkpoint's size do not hash to its root."""
    LOG_TRUNCATED = "log_truncated"
    """A checkpoint covers more entries than the log holds."""


@dataclass(frozen=True)
class Failure:
    """The first thing found wrong.

    Attributes:
        kind: the failure's stable code.
        message: one line for a person, naming the entry and the checkpoint.
        entry: the first entry index implicated, or ``None`` (a checkpoint's own fault).
        last_entry: the last entry index the fault may lie in (``entry`` when exact).
        checkpoint: the checkpoint number concerned, or ``None`` when no checkpoint covers
            the entry yet.
    """

    kind: FailureKind
    message: str
    entry: int | None = None
    last_entry: int | None = None
    checkpoint: int | None = None


@dataclass(frozen=True)
class VerifyResult:
    """What :func:`verify_log` found.

    Attributes:
        entries: how many entries were read (all of them on success).
        root: ``MTH`` of the entries read (32 bytes).
        checkpoints: how many checkpoints were checked and matched.
        latest: the largest verified checkpoint, or ``None``.
        failure: the first failure, or ``None`` when everything matched.
    """

    entries: int
    root: bytes
    checkpoints: int
    latest: Checkpoint | None
    failure: Failure | None

    @property
    def ok(self) -> bool:
        """Whether the log matched every checkpoint."""
        return self.failure is None

    @property
    def summary(self) -> str:
        """One line: the failure's message, or what was verified."""
        if self.failure is not None:
            return self.failure.message
        root = base64.b64encode(self.root).decode("ascii")
        if self.latest is None:
            return (
                f"audit log: {self.entries} entries, root {root}; no checkpoint to verify"
                " them against"
            )
        tail = self.entries - self.latest.size
        after = f", {tail} newer entries not yet in a checkpoint" if tail else ""
        return (
            f"audit log intact: {self.entries} entries match {self.checkpoints} signed"
            f" checkpoints (latest: size {self.latest.size}){after}; root {root}"
        )


class _Stop(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def _open_all(
    notes: Sequence[str | bytes], verifier: NoteVerifier, origin: str | None
) -> list[Checkpoint]:
    checkpoints: list[Checkpoint] = []
    for number, note in enumerate(notes):
        try:
            cp = open_checkpoint(note, verifier, origin)
        except (InvalidSignatureError, UnverifiedNoteError) as exc:
            raise _Stop(
                Failure(
                    FailureKind.BAD_SIGNATURE,
                    f"checkpoint {number} fails its signature check: {exc}",
                    checkpoint=number,
                )
            ) from None
        except (NoteError, CheckpointError) as exc:
            raise _Stop(
                Failure(
                    FailureKind.MALFORMED_CHECKPOINT,
                    f"checkpoint {number} is not a checkpoint of this log: {exc}",
                    checkpoint=number,
                )
            ) from None
        if checkpoints and cp.size < checkpoints[-1].size:
            raise _Stop(
                Failure(
                    FailureKind.CHECKPOINT_ORDER,
                    f"checkpoint {number} (size {cp.size}) is smaller than checkpoint"
                    f" {number - 1} (size {checkpoints[-1].size}): a log never shrinks",
                    checkpoint=number,
                )
            )
        checkpoints.append(cp)
    return checkpoints


class _Walker:
    """Extends the tree entry by entry and checks each checkpoint as its size is reached."""

    def __init__(self, checkpoints: list[Checkpoint]) -> None:
        self.checkpoints = checkpoints
        self.tree = CompactRange()
        self.next = 0  # the next checkpoint to check
        self.proven = 0  # entries below this index match a checkpoint
        self.leaves: list[bytes] = []
        self.recorded: list[bytes | None] = []

    def covering(self, index: int) -> int | None:
        """The number of the first checkpoint that covers entry ``index``."""
        for number in range(self.next, len(self.checkpoints)):
            if self.checkpoints[number].size > index:
                return number
        return None

    def _against(self, index: int) -> tuple[int | None, str]:
        number = self.covering(index)
        if number is None:
            return None, "no checkpoint covers it yet"
        return number, f"does not match checkpoint {number}"

    def fail_index(self, expected: int, got: int) -> None:
        number, against = self._against(expected)
        if got > expected:
            kind = FailureKind.MISSING_ENTRY
            why = f"it is missing (the next entry read is {got})"
        else:
            kind = FailureKind.REPEATED_ENTRY
            why = f"entry {got} was read again in its place (a row inserted or renumbered)"
        raise _Stop(
            Failure(
                kind,
                f"entry {expected} {against}: {why}"
                if number is not None
                else f"entry {expected}: {why}; {against}",
                entry=expected,
                last_entry=expected,
                checkpoint=number,
            )
        )

    def add(self, leaf: bytes, recorded: bytes | None) -> None:
        self.leaves.append(leaf)
        self.recorded.append(recorded)

    def flush(self) -> None:
        if not self.leaves:
            return
        base = self.tree.size
        hashes = leaf_hashes(self.leaves)
        for offset, (got, recorded) in enumerate(zip(hashes, self.recorded, strict=True)):
            if recorded is not None and recorded != got:
                index = base + offset
                number, against = self._against(index)
                why = "its bytes do not hash to the leaf hash recorded with it (row edited)"
                raise _Stop(
                    Failure(
                        FailureKind.LEAF_HASH_MISMATCH,
                        f"entry {index} {against}: {why}"
                        if number is not None
                        else f"entry {index}: {why}; {against}",
                        entry=index,
                        last_entry=index,
                        checkpoint=number,
                    )
                )
        self.tree.extend(hashes)
        self.leaves.clear()
        self.recorded.clear()
        self.check_reached()

    def check_reached(self) -> None:
        size = self.tree.size
        while self.next < len(self.checkpoints) and self.checkpoints[self.next].size == size:
            cp = self.checkpoints[self.next]
            if cp.root_hash != (self.tree.root() if size else EMPTY_ROOT):
                lo, hi = self.proven, size - 1
                where = (
                    f"entries {lo}..{hi} (0..{lo - 1} match checkpoint {self.next - 1})"
                    if lo
                    else f"entries 0..{hi}"
                )
                raise _Stop(
                    Failure(
                        FailureKind.ROOT_MISMATCH,
                        f"entry {lo} does not match checkpoint {self.next}: the root of the"
                        f" first {size} entries differs from the signed root; the change lies"
                        f" in {where}",
                        entry=lo,
                        last_entry=hi,
                        checkpoint=self.next,
                    )
                )
            self.proven = size
            self.next += 1

    def boundary(self) -> int | None:
        if self.next < len(self.checkpoints):
            return self.checkpoints[self.next].size
        return None


def verify_log(
    entries: Iterable[Entry],
    checkpoints: Sequence[str | bytes],
    verifier: NoteVerifier,
    *,
    origin: str | None = None,
) -> VerifyResult:
    """Recompute the Merkle tree of a log and check it against its signed checkpoints.

    Args:
        entries: ``(index, leaf)`` or ``(index, leaf, recorded leaf hash or None)`` in index
            order, from index 0; read once, in a single pass.
        checkpoints: the signed checkpoint notes, oldest first (e.g. the checkpoint file's
            records).
        verifier: the log's verifier key.
        origin: the log's origin; defaults to the verifier's key name.

    Returns:
        The result: ``ok`` with a one-line ``summary``, or the first :class:`Failure`.
    """
    try:
        opened = _open_all(checkpoints, verifier, origin)
    except _Stop as stop:
        return VerifyResult(0, EMPTY_ROOT, 0, None, stop.failure)
    walker = _Walker(opened)
    pos = 0
    try:
        walker.check_reached()
        boundary = walker.boundary()
        for entry in entries:
            index, leaf = entry[0], entry[1]
            if index != pos:
                walker.flush()
                walker.fail_index(pos, index)
            walker.add(leaf, entry[2] if len(entry) > 2 else None)
            pos += 1
            if pos == boundary or len(walker.leaves) >= BATCH:
                walker.flush()
                boundary = walker.boundary()
        walker.flush()
        if walker.next < len(opened):
            number = walker.next
            size = opened[number].size
            raise _Stop(
                Failure(
                    FailureKind.LOG_TRUNCATED,
                    f"entry {pos} does not match checkpoint {number}: the checkpoint covers"
                    f" {size} entries but the log ends after {pos} (entries {pos}..{size - 1}"
                    " are missing)",
                    entry=pos,
                    last_entry=size - 1,
                    checkpoint=number,
                )
            )
    except _Stop as stop:
        latest = opened[walker.next - 1] if walker.next else None
        return VerifyResult(pos, walker.tree.root(), walker.next, latest, stop.failure)
    latest = opened[-1] if opened else None
    return VerifyResult(pos, walker.tree.root(), len(opened), latest, None)
