"""WalCheckpointer: WAL checkpoints in a thread, none inside the on-loop commits."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from starlane.store.db import create_db_engine, upgrade_database
from starlane.store.eventstore import EventStore
from starlane.store.walcheckpoint import WalCheckpointer
from starlane.store.walsync import wal_path
from tests.store.conftest import moved


@pytest.fixture
async def sqlite_db(tmp_path: Path):
    db = create_db_engine(f"sqlite:///{tmp_path / 'c.db'}")
    await upgrade_database(db)
    yield db, tmp_path / "c.db"
    await db.dispose()


def log_frames(path: Path) -> tuple[int, int]:
    """``(frames in the log, frames already copied)`` as a passive checkpoint of another
    connection sees them (it copies what it can: call it only to look)."""
    conn = sqlite3.connect(path)
    try:
        _busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return frames, copied
    finally:
        conn.close()


def plain_wal_db(path: Path) -> sqlite3.Connection:
    """A WAL database whose automatic checkpoints are off, with one table."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (x BLOB)")
    return conn


def checkpointer_at_rest(path: Path) -> WalCheckpointer:
    """A checkpointer whose thread will not run a step during the test (tests call run_once)."""
    return WalCheckpointer(path, interval=3600)


async def test_the_inline_writer_stops_checkpointing_and_the_thread_does_it(sqlite_db):
    db, path = sqlite_db
    store = EventStore(db, checkpoint_off_loop=True)
    await store.append(1, 0, [(moved(1, 0), None)])
    seq = 1
    for _ in range(120):  # 12,000 events: ~1,400 pages of log, past the 1,000 of SQLite
        items = [(moved(1, seq + i), None) for i in range(100)]
        assert store.append_now(1, seq, items) is not None
        seq += 100
    assert store._inline is not None
    assert store._inline.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    checkpointer = store.checkpointer
    assert checkpointer is not None and checkpointer.running
    assert checkpointer.database == path and checkpointer.wal == wal_path(path)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        assert checkpointer.run_once(conn)
    finally:
        conn.close()
    assert checkpointer.checkpoints == 1
    assert checkpointer.log_frames > 1_000  # the commits had left the whole log to it
    assert checkpointer.copied_frames == checkpointer.log_frames
    frames, copied = log_frames(path)
    assert frames == copied  # everything copied into the database file
    store.close()
    assert not checkpointer.running
    reopened = EventStore(db)
    events = await reopened.read_all(0, limit=100_000)
    assert [r.seq for r in events] == list(range(1, seq + 1))


async def test_without_the_setting_the_inline_writer_checkpoints_as_sqlite_does(sqlite_db):
    db, _path = sqlite_db
    store = EventStore(db)
    await store.append(1, 0, [(moved(1, 0), None)])
    assert store.append_now(1, 1, [(moved(1, 1), None)]) is not None
    assert store.checkpointer is None
    assert store._inline is not None
    assert store._inline.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    store.close()


def test_a_checkpoint_runs_only_when_the_log_changed(tmp_path):
    path = tmp_path / "p.db"
    writer = plain_wal_db(path)
    checkpointer = checkpointer_at_rest(path)
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("INSERT INTO t VALUES (randomblob(20000))")
        assert checkpointer.run_once(reader)
        assert checkpointer.copied_frames == checkpointer.log_frames > 0
        assert not checkpointer.run_once(reader)  # nothing written since
        assert checkpointer.checkpoints == 1
        time.sleep(0.01)  # a later modification time, whatever the clock's granularity
        writer.execute("INSERT INTO t VALUES (randomblob(20000))")
        assert checkpointer.run_once(reader)
        assert checkpointer.checkpoints == 2
        assert checkpointer.copied_frames == checkpointer.log_frames > 0
    finally:
        reader.close()
        writer.close()
        checkpointer.close()


def test_a_reader_holding_the_log_makes_the_checkpoint_partial_and_it_is_tried_again(tmp_path):
    path = tmp_path / "r.db"
    writer = plain_wal_db(path)
    checkpointer = checkpointer_at_rest(path)
    conn = sqlite3.connect(path, isolation_level=None)
    old_reader = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("INSERT INTO t VALUES (randomblob(20000))")
        old_reader.execute("BEGIN")
        old_reader.execute("SELECT count(*) FROM t").fetchone()  # holds this snapshot
        writer.execute("INSERT INTO t VALUES (randomblob(20000))")
        assert checkpointer.run_once(conn)
        assert checkpointer.copied_frames < checkpointer.log_frames
        frames, copied = log_frames(path)
        assert copied < frames  # the frames after the reader's snapshot stay in the log
        assert checkpointer.run_once(conn)  # not marked done: tried again, log unchanged
        old_reader.execute("COMMIT")
        assert checkpointer.run_once(conn)
        frames, copied = log_frames(path)
        assert copied == frames
        assert not checkpointer.run_once(conn)  # now all copied: nothing more to do
    finally:
        old_reader.close()
        conn.close()
        writer.close()
        checkpointer.close()


def test_no_log_no_checkpoint(tmp_path):
    checkpointer = checkpointer_at_rest(tmp_path / "none.db")
    conn = sqlite3.connect(":memory:")
    try:
        assert not checkpointer.run_once(conn)
        assert checkpointer.checkpoints == 0 and checkpointer.failures == 0
    finally:
        conn.close()
        checkpointer.close()


def test_a_failed_checkpoint_is_counted_and_logged_once_per_run_of_failures(tmp_path):
    path = tmp_path / "f.db"
    writer = plain_wal_db(path)
    checkpointer = checkpointer_at_rest(path)
    broken = sqlite3.connect(path, isolation_level=None)
    broken.close()  # any statement on it raises sqlite3.ProgrammingError
    good = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("INSERT INTO t VALUES (randomblob(20000))")
        with capture_logs() as logs:
            assert checkpointer.run_once(broken)
            assert checkpointer.run_once(broken)
            assert checkpointer.failures == 2 and checkpointer.checkpoints == 0
            assert checkpointer.run_once(good)
        events = [entry["event"] for entry in logs]
        assert events == ["store.wal_checkpoint_failed", "store.wal_checkpoint_recovered"]
        assert checkpointer.checkpoints == 1
    finally:
        good.close()
        writer.close()
        checkpointer.close()


def test_the_thread_checkpoints_by_itself_and_stops_on_close(tmp_path):
    path = tmp_path / "t.db"
    writer = plain_wal_db(path)
    writer.execute("INSERT INTO t VALUES (randomblob(20000))")
    checkpointer = WalCheckpointer(path, interval=0.01)
    try:
        deadline = time.monotonic() + 5
        while checkpointer.checkpoints == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert checkpointer.checkpoints >= 1
        frames, copied = log_frames(path)
        assert frames == copied
    finally:
        checkpointer.close()
        writer.close()
    assert not checkpointer.running


def test_the_thread_never_creates_a_database_that_is_not_there(tmp_path):
    missing = tmp_path / "gone.db"
    wal_path(missing).write_bytes(b"")  # a log without its database
    with capture_logs() as logs:
        checkpointer = WalCheckpointer(missing, interval=0.01)
        deadline = time.monotonic() + 5
        while checkpointer.failures == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        checkpointer.close()
    assert checkpointer.failures >= 1 and not missing.exists()
    assert [e["event"] for e in logs][:1] == ["store.wal_checkpoint_failed"]


def test_the_interval_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="interval"):
        WalCheckpointer(tmp_path / "x.db", interval=0)


async def test_a_server_store_checkpoints_while_the_loop_commits(sqlite_db):
    """End to end on the loop: on-loop commits go on while the thread checkpoints."""
    db, _path = sqlite_db
    store = EventStore(db, checkpoint_off_loop=True)
    await store.append(1, 0, [(moved(1, 0), None)])
    assert store.append_now(1, 1, [(moved(1, 1), None)]) is not None
    checkpointer = store.checkpointer
    assert checkpointer is not None
    checkpointer.interval = 0.01  # the next wait of the thread is short
    seq = 2
    deadline = time.monotonic() + 10
    while checkpointer.checkpoints < 3 and time.monotonic() < deadline:
        items = [(moved(1, seq + i), None) for i in range(50)]
        assert store.append_now(1, seq, items) is not None
        seq += 50
        await asyncio.sleep(0.005)
    assert checkpointer.checkpoints >= 3 and checkpointer.failures == 0
    store.close()
    assert len(await EventStore(db).read_all(0, limit=100_000)) == seq


def test_an_unexpected_error_in_a_step_is_counted_and_the_thread_goes_on(tmp_path, monkeypatch):
    path = tmp_path / "u.db"
    writer = plain_wal_db(path)
    writer.execute("INSERT INTO t VALUES (randomblob(20000))")
    calls: list[int] = []

    def broken_once(self, conn):  # the first step raises what no step expects
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("unexpected")
        return real(self, conn)

    real = WalCheckpointer.run_once
    monkeypatch.setattr(WalCheckpointer, "run_once", broken_once)
    checkpointer = WalCheckpointer(path, interval=0.01)
    try:
        deadline = time.monotonic() + 5
        while checkpointer.checkpoints == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert checkpointer.failures == 1 and checkpointer.checkpoints >= 1
        assert checkpointer.running
    finally:
        checkpointer.close()
        writer.close()
