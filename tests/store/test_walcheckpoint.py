"""WalCheckpointer: WAL checkpoints in a thread, none inside the commits made on the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from starlane.store.db import create_db_engine, upgrade_database, wal_path
from starlane.store.eventstore import EventStore
from starlane.store.walcheckpoint import WalCheckpointer
from tests.store.conftest import moved
from tests.store.test_sqlite_append import commit_now


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


class WalDb:
    """A WAL database whose writer's automatic checkpoints are off, a checkpointer at rest
    (its thread will not run a step during a test: tests call ``run_once``), and every
    connection a test opens; all closed after the test."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conns: list[sqlite3.Connection] = []
        self.writer = self.connect()
        self.writer.execute("PRAGMA journal_mode=WAL")
        self.writer.execute("PRAGMA wal_autocheckpoint=0")
        self.writer.execute("CREATE TABLE t (x BLOB)")
        self.checkpointer = WalCheckpointer(path, interval=3600)

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None)
        self._conns.append(conn)
        return conn

    def write(self) -> None:
        """Commit ~5 pages of log."""
        self.writer.execute("INSERT INTO t VALUES (randomblob(20000))")

    def close(self) -> None:
        self.checkpointer.close()
        for conn in self._conns:
            conn.close()


@pytest.fixture
def wal_db(tmp_path: Path):
    db = WalDb(tmp_path / "w.db")
    yield db
    db.close()


async def test_the_stores_writer_never_checkpoints_and_the_thread_does_it(sqlite_db):
    db, path = sqlite_db
    store = EventStore(db, checkpoint_off_loop=True)
    await store.append(1, 0, [(moved(1, 0), None)])
    seq = 1
    for _ in range(120):  # 12,000 events: ~1,400 pages of log, past the 1,000 of SQLite
        items = [(moved(1, seq + i), None) for i in range(100)]
        assert len(commit_now(store, 1, seq, items)) == 100
        seq += 100
    assert store._conn is not None
    assert store._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
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


def test_a_checkpoint_runs_only_when_the_log_changed(wal_db):
    checkpointer, reader = wal_db.checkpointer, wal_db.connect()
    wal_db.write()
    assert checkpointer.run_once(reader)
    assert checkpointer.copied_frames == checkpointer.log_frames > 0
    assert not checkpointer.run_once(reader)  # nothing written since
    assert checkpointer.checkpoints == 1
    time.sleep(0.01)  # a later modification time, whatever the clock's granularity
    wal_db.write()
    assert checkpointer.run_once(reader)
    assert checkpointer.checkpoints == 2
    assert checkpointer.copied_frames == checkpointer.log_frames > 0


def test_a_reader_holding_the_log_makes_the_checkpoint_partial_and_it_is_tried_again(wal_db):
    checkpointer, conn, old_reader = wal_db.checkpointer, wal_db.connect(), wal_db.connect()
    wal_db.write()
    old_reader.execute("BEGIN")
    old_reader.execute("SELECT count(*) FROM t").fetchone()  # holds this snapshot
    wal_db.write()
    assert checkpointer.run_once(conn)
    assert checkpointer.copied_frames < checkpointer.log_frames
    frames, copied = log_frames(wal_db.path)
    assert copied < frames  # the frames after the reader's snapshot stay in the log
    assert checkpointer.run_once(conn)  # not marked done: tried again, log unchanged
    old_reader.execute("COMMIT")
    assert checkpointer.run_once(conn)
    frames, copied = log_frames(wal_db.path)
    assert copied == frames
    assert not checkpointer.run_once(conn)  # now all copied: nothing more to do


def test_no_log_no_checkpoint(tmp_path):
    checkpointer = WalCheckpointer(tmp_path / "none.db", interval=3600)
    conn = sqlite3.connect(":memory:")
    try:
        assert not checkpointer.run_once(conn)
        assert checkpointer.checkpoints == 0 and checkpointer.failures == 0
    finally:
        conn.close()
        checkpointer.close()


def test_a_failed_checkpoint_is_counted_and_logged_once_per_run_of_failures(wal_db):
    checkpointer, broken, good = wal_db.checkpointer, wal_db.connect(), wal_db.connect()
    broken.close()  # any statement on it raises sqlite3.ProgrammingError
    wal_db.write()
    with capture_logs() as logs:
        assert checkpointer.run_once(broken)
        assert checkpointer.run_once(broken)
        assert checkpointer.failures == 2 and checkpointer.checkpoints == 0
        assert checkpointer.run_once(good)
    events = [entry["event"] for entry in logs]
    assert events == ["store.wal_checkpoint_failed", "store.wal_checkpoint_recovered"]
    assert checkpointer.checkpoints == 1


def wait_for(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_the_thread_checkpoints_by_itself_and_stops_on_close(wal_db):
    wal_db.write()
    checkpointer = WalCheckpointer(wal_db.path, interval=0.01)
    try:
        wait_for(lambda: checkpointer.checkpoints >= 1)
        assert checkpointer.checkpoints >= 1
        frames, copied = log_frames(wal_db.path)
        assert frames == copied
    finally:
        checkpointer.close()
    assert not checkpointer.running


def test_the_thread_never_creates_a_database_that_is_not_there(tmp_path):
    missing = tmp_path / "gone.db"
    wal_path(missing).write_bytes(b"")  # a log without its database
    with capture_logs() as logs:
        checkpointer = WalCheckpointer(missing, interval=0.01)
        wait_for(lambda: checkpointer.failures >= 1)
        checkpointer.close()
    assert checkpointer.failures >= 1 and not missing.exists()
    assert [e["event"] for e in logs][:1] == ["store.wal_checkpoint_failed"]


async def test_without_the_setting_the_writer_checkpoints_as_sqlite_does(sqlite_db):
    db, _path = sqlite_db
    store = EventStore(db)
    await store.append(1, 0, [(moved(1, 0), None)])
    assert len(commit_now(store, 1, 1, [(moved(1, 1), None)])) == 1
    assert store.checkpointer is None
    assert store._conn is not None
    assert store._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    store.close()


def test_the_interval_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="interval"):
        WalCheckpointer(tmp_path / "x.db", interval=0)


async def test_a_server_store_checkpoints_while_the_loop_commits(sqlite_db):
    """End to end on the loop: on-loop commits go on while the thread checkpoints."""
    db, _path = sqlite_db
    store = EventStore(db, checkpoint_off_loop=True)
    await store.append(1, 0, [(moved(1, 0), None)])
    assert len(commit_now(store, 1, 1, [(moved(1, 1), None)])) == 1
    checkpointer = store.checkpointer
    assert checkpointer is not None
    checkpointer.interval = 0.01  # the next wait of the thread is short
    seq = 2
    deadline = time.monotonic() + 10
    while checkpointer.checkpoints < 3 and time.monotonic() < deadline:
        items = [(moved(1, seq + i), None) for i in range(50)]
        assert len(commit_now(store, 1, seq, items)) == 50
        seq += 50
        await asyncio.sleep(0.005)
    assert checkpointer.checkpoints >= 3 and checkpointer.failures == 0
    store.close()
    assert len(await EventStore(db).read_all(0, limit=100_000)) == seq


def test_an_unexpected_error_in_a_step_is_counted_and_the_thread_goes_on(wal_db, monkeypatch):
    wal_db.write()
    calls: list[int] = []

    def broken_once(self, conn):  # the first step raises what no step expects
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("unexpected")
        return real(self, conn)

    real = WalCheckpointer.run_once
    monkeypatch.setattr(WalCheckpointer, "run_once", broken_once)
    checkpointer = WalCheckpointer(wal_db.path, interval=0.01)
    try:
        wait_for(lambda: checkpointer.checkpoints >= 1)
        assert checkpointer.failures == 1 and checkpointer.checkpoints >= 1
        assert checkpointer.running
    finally:
        checkpointer.close()
