"""The verifier against tampered logs: edits, deletions, insertions, consistent rewrites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlane.audit.checkpoint import (
    CHECKPOINT_FILE,
    Checkpoint,
    CheckpointFile,
    load_or_create_signer,
    read_checkpoint_file,
    sign_checkpoint,
)
from starlane.audit.leaf import AuditEntry, encode_leaf
from starlane.audit.merkle import CompactRange, leaf_hash
from starlane.audit.note import NoteSigner
from starlane.audit.verify import Entry, FailureKind, VerifyResult, verify_log

ORIGIN = "starlane.test/audit"
T0 = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def _entry(index: int, justification: str = "") -> AuditEntry:
    return AuditEntry(
        index=index,
        time=T0 + timedelta(seconds=index),
        actor_id=1,
        actor_role="admin",
        action="credits.adjust",
        target_kind="account",
        target_id=str(100 + index % 7),
        before={"credits": 1000 * index},
        after={"credits": 1000 * index + 5},
        justification=justification or f"correction number {index}",
        client_address="198.51.100.4",
        user_agent="pytest",
        request_id=f"req-{index}",
    )


class _Log:
    """An audit log as a store would keep it: rows of (index, leaf, recorded leaf hash)."""

    def __init__(self, tmp_path: Path, count: int, every: int) -> None:
        self.signer = load_or_create_signer(tmp_path, ORIGIN)
        self.rows: list[tuple[int, bytes, bytes]] = []
        self.file = CheckpointFile(tmp_path / CHECKPOINT_FILE)
        tree = CompactRange()
        for i in range(count):
            leaf = encode_leaf(_entry(i))
            self.rows.append((i, leaf, leaf_hash(leaf)))
            tree.append(leaf_hash(leaf))
            if (i + 1) % every == 0:
                self.file.append(self._sign(tree))
        self.path = tmp_path / CHECKPOINT_FILE

    def _sign(self, tree: CompactRange) -> str:
        return sign_checkpoint(self.signer, Checkpoint(ORIGIN, tree.size, tree.root()))

    def verify(
        self, rows: list[tuple[int, bytes, bytes]] | None = None, with_hashes: bool = True
    ) -> VerifyResult:
        rows = self.rows if rows is None else rows
        entries: list[Entry] = [r if with_hashes else (r[0], r[1]) for r in rows]
        return verify_log(entries, read_checkpoint_file(self.path), self.signer.verifier)


@pytest.fixture
def log(tmp_path: Path) -> _Log:
    return _Log(tmp_path, count=55, every=10)


def test_an_intact_log_verifies_with_a_one_line_summary(log: _Log) -> None:
    result = log.verify()
    assert result.ok and result.failure is None
    assert result.entries == 55 and result.checkpoints == 5
    assert result.latest is not None and result.latest.size == 50
    assert result.summary.startswith("audit log intact: 55 entries match 5 signed checkpoints")
    assert "5 newer entries not yet in a checkpoint" in result.summary
    assert "\n" not in result.summary
    assert log.verify(with_hashes=False).ok


def test_an_edited_row_is_named_exactly_when_its_recorded_hash_was_left(log: _Log) -> None:
    rows = list(log.rows)
    i, _, recorded = rows[42]
    rows[42] = (i, encode_leaf(_entry(42, "nothing to see here")), recorded)
    result = log.verify(rows)
    assert not result.ok and result.failure is not None
    assert result.failure.kind is FailureKind.LEAF_HASH_MISMATCH
    assert result.failure.message.startswith("entry 42 does not match checkpoint 4:")
    assert (result.failure.entry, result.failure.checkpoint) == (42, 4)


def test_an_edited_row_with_its_hash_recomputed_fails_its_checkpoint(log: _Log) -> None:
    rows = list(log.rows)
    leaf = encode_leaf(_entry(42, "nothing to see here"))
    rows[42] = (42, leaf, leaf_hash(leaf))
    result = log.verify(rows)
    assert result.failure is not None
    assert result.failure.kind is FailureKind.ROOT_MISMATCH
    assert result.failure.message.startswith("entry 40 does not match checkpoint 4:")
    assert "entries 40..49 (0..39 match checkpoint 3)" in result.failure.message
    assert (result.failure.entry, result.failure.last_entry) == (40, 49)
    assert result.checkpoints == 4
    # Without recorded hashes the same edit is found the same way.
    assert log.verify(rows, with_hashes=False).failure == result.failure


def test_a_deleted_row_is_named(log: _Log) -> None:
    rows = log.rows[:42] + log.rows[43:]
    result = log.verify(rows)
    assert result.failure is not None
    assert result.failure.kind is FailureKind.MISSING_ENTRY
    assert result.failure.message == (
        "entry 42 does not match checkpoint 4: it is missing (the next entry read is 43)"
    )


def test_an_inserted_row_is_named(log: _Log) -> None:
    forged = encode_leaf(_entry(42, "forged"))
    rows = [*log.rows[:43], (42, forged, leaf_hash(forged)), *log.rows[43:]]
    result = log.verify(rows)
    assert result.failure is not None
    assert result.failure.kind is FailureKind.REPEATED_ENTRY
    assert result.failure.message.startswith("entry 43 does not match checkpoint 4:")


def test_an_insertion_that_renumbers_the_rest_fails_its_checkpoint(log: _Log) -> None:
    rows = list(log.rows[:42])
    for i in range(42, 56):
        leaf = encode_leaf(_entry(i, "forged" if i == 42 else ""))
        rows.append((i, leaf, leaf_hash(leaf)))
    result = log.verify(rows)
    assert result.failure is not None and result.failure.kind is FailureKind.ROOT_MISMATCH
    assert result.failure.message.startswith("entry 40 does not match checkpoint 4:")


def test_a_consistent_rewrite_of_everything_still_fails_the_checkpoint_file(log: _Log) -> None:
    # Every row rewritten and every hash recomputed; only the checkpoint file is left alone.
    rows = []
    for i in range(55):
        leaf = encode_leaf(_entry(i, "rewritten" if i == 7 else ""))
        rows.append((i, leaf, leaf_hash(leaf)))
    result = log.verify(rows)
    assert result.failure is not None and result.failure.kind is FailureKind.ROOT_MISMATCH
    assert result.failure.message.startswith("entry 0 does not match checkpoint 0:")
    assert result.checkpoints == 0


def test_a_truncated_log_is_named(log: _Log) -> None:
    result = log.verify(log.rows[:45])
    assert result.failure is not None and result.failure.kind is FailureKind.LOG_TRUNCATED
    assert result.failure.message.startswith("entry 45 does not match checkpoint 4:")
    assert "entries 45..49 are missing" in result.failure.message


def test_entries_after_the_last_checkpoint_are_still_checked(log: _Log) -> None:
    rows = list(log.rows)
    rows[52] = (52, encode_leaf(_entry(52, "late edit")), rows[52][2])
    result = log.verify(rows)
    assert result.failure is not None and result.failure.kind is FailureKind.LEAF_HASH_MISMATCH
    assert result.failure.checkpoint is None
    assert result.failure.message.startswith("entry 52: ")
    assert "no checkpoint covers it yet" in result.failure.message
    missing = log.verify(log.rows[:52] + log.rows[53:])
    assert missing.failure is not None and missing.failure.kind is FailureKind.MISSING_ENTRY
    assert missing.failure.message.startswith("entry 52: it is missing")


def test_a_checkpoint_with_a_bad_signature_is_named(log: _Log) -> None:
    notes = read_checkpoint_file(log.path)
    root_line = notes[3].split("\n")[2]
    notes[3] = notes[3].replace(root_line, "A" + root_line[1:])
    result = verify_log(log.rows, notes, log.signer.verifier)
    assert result.failure is not None and result.failure.kind is FailureKind.BAD_SIGNATURE
    assert result.failure.checkpoint == 3
    assert result.failure.message.startswith("checkpoint 3 fails its signature check")
    # Signed by another key of the same name: no known signature.
    other = NoteSigner.generate(ORIGIN)
    notes = read_checkpoint_file(log.path)
    notes[1] = sign_checkpoint(other, Checkpoint(ORIGIN, 20, bytes(32)))
    result = verify_log(log.rows, notes, log.signer.verifier)
    assert result.failure is not None and result.failure.kind is FailureKind.BAD_SIGNATURE
    assert result.failure.checkpoint == 1


def test_foreign_or_shrinking_checkpoints_are_refused(log: _Log) -> None:
    notes = read_checkpoint_file(log.path)
    result = verify_log(log.rows, [notes[1], notes[0]], log.signer.verifier)
    assert result.failure is not None and result.failure.kind is FailureKind.CHECKPOINT_ORDER
    assert result.failure.checkpoint == 1
    text_note = log.signer.sign("hello\n")
    result = verify_log(log.rows, [notes[0], text_note], log.signer.verifier)
    assert result.failure is not None
    assert result.failure.kind is FailureKind.MALFORMED_CHECKPOINT
    assert result.failure.message.startswith("checkpoint 1 is not a checkpoint of this log")
    result = verify_log(log.rows, notes, log.signer.verifier, origin="other.log")
    assert result.failure is not None
    assert result.failure.kind is FailureKind.MALFORMED_CHECKPOINT


def test_an_empty_log_and_no_checkpoints(tmp_path: Path) -> None:
    signer = NoteSigner.generate(ORIGIN)
    empty = sign_checkpoint(signer, Checkpoint(ORIGIN, 0, CompactRange().root()))
    assert verify_log([], [empty], signer.verifier).ok
    result = verify_log([(0, b"x")], [], signer.verifier)
    assert result.ok and "no checkpoint" in result.summary
    bad_empty = sign_checkpoint(signer, Checkpoint(ORIGIN, 0, bytes(32)))
    result = verify_log([], [bad_empty], signer.verifier)
    assert result.failure is not None and result.failure.kind is FailureKind.ROOT_MISMATCH


@settings(max_examples=40, deadline=None)
@given(
    count=st.integers(min_value=1, max_value=120),
    every=st.integers(min_value=1, max_value=40),
    data=st.data(),
)
def test_any_tampered_leaf_is_found_within_the_named_range(
    count: int, every: int, data: st.DataObject
) -> None:
    signer = NoteSigner.from_seed(ORIGIN, bytes(range(32)))
    leaves = [b"entry %d" % i for i in range(count)]
    tree = CompactRange()
    notes = []
    for i, leaf in enumerate(leaves):
        tree.append_leaf(leaf)
        if (i + 1) % every == 0:
            notes.append(sign_checkpoint(signer, Checkpoint(ORIGIN, tree.size, tree.root())))
    assert verify_log(enumerate(leaves), notes, signer.verifier).ok
    victim = data.draw(st.integers(min_value=0, max_value=count - 1))
    tampered = list(leaves)
    tampered[victim] = b"tampered"
    result = verify_log(enumerate(tampered), notes, signer.verifier)
    covered = (count // every) * every
    if victim >= covered:
        assert result.ok  # no checkpoint covers it, and no recorded hash was given
        return
    assert result.failure is not None
    assert result.failure.entry is not None and result.failure.last_entry is not None
    assert result.failure.entry <= victim <= result.failure.last_entry
    assert result.failure.checkpoint == victim // every


@settings(max_examples=40, deadline=None)
@given(
    count=st.integers(min_value=2, max_value=120),
    every=st.integers(min_value=1, max_value=40),
    data=st.data(),
)
def test_any_deleted_entry_is_named_exactly(count: int, every: int, data: st.DataObject) -> None:
    signer = NoteSigner.from_seed(ORIGIN, bytes(range(32)))
    leaves = [b"entry %d" % i for i in range(count)]
    tree = CompactRange()
    notes = []
    for i, leaf in enumerate(leaves):
        tree.append_leaf(leaf)
        if (i + 1) % every == 0:
            notes.append(sign_checkpoint(signer, Checkpoint(ORIGIN, tree.size, tree.root())))
    victim = data.draw(st.integers(min_value=0, max_value=count - 1))
    rows = [(i, leaf) for i, leaf in enumerate(leaves) if i != victim]
    result = verify_log(rows, notes, signer.verifier)
    covered = (count // every) * every
    if victim == count - 1 and victim >= covered:
        assert result.ok  # the newest entry, in no checkpoint yet: nothing proves it existed
        return
    assert result.failure is not None and result.failure.entry == victim
    expected = FailureKind.LOG_TRUNCATED if victim == count - 1 else FailureKind.MISSING_ENTRY
    assert result.failure.kind is expected
    assert result.failure.checkpoint == (victim // every if victim < covered else None)
