"""WalSyncer: grouped fsyncs of the WAL in a thread, answered in order; failures break it."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from starlane.store import eventstore
from starlane.store.db import create_db_engine, upgrade_database
from starlane.store.eventstore import EventStore
from starlane.store.walsync import WalSyncer, WalSyncError, sync_wal_file, wal_path
from tests.store.conftest import moved


class Gate:
    """A sync function that blocks until released, once per call, and records the calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = threading.Semaphore(0)
        self.fail_on: set[int] = set()

    def __call__(self, path: Path) -> bool:
        self.calls += 1
        call = self.calls
        assert self.release.acquire(timeout=10)
        if call in self.fail_on:
            raise OSError(5, "Input/output error")
        return True


async def until(condition, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.002)


def recorder(log: list, name: str):
    return lambda error: log.append((name, error))


async def first_sync_running(tmp_path: Path, gate: Gate) -> tuple[WalSyncer, list]:
    """A syncer whose first request ("a", logged with its outcome) is being synced."""
    syncer = WalSyncer(tmp_path / "x.db-wal", sync=gate)
    log: list = []
    syncer.request(recorder(log, "a"))
    await until(lambda: gate.calls == 1)
    return syncer, log


async def test_requests_made_during_a_sync_share_the_next_one_and_are_answered_in_order(tmp_path):
    gate = Gate()
    syncer, log = await first_sync_running(tmp_path, gate)
    for name in "bcd":  # while a's sync runs
        syncer.request(recorder(log, name))
    assert syncer.pending == 4 and gate.calls == 1
    gate.release.release()
    await until(lambda: gate.calls == 2)  # one sync for b, c and d
    assert log == [("a", None)]
    gate.release.release()
    await until(lambda: len(log) == 4)
    assert log == [("a", None), ("b", None), ("c", None), ("d", None)]
    assert (syncer.syncs, gate.calls, syncer.pending) == (2, 2, 0)
    assert syncer.sync_seconds > 0
    syncer.close()


async def test_a_failed_sync_fails_its_requests_and_every_later_one(tmp_path):
    gate = Gate()
    gate.fail_on = {1}
    syncer, log = await first_sync_running(tmp_path, gate)
    syncer.request(recorder(log, "b"))  # written after a, before the failure was known
    gate.release.release()
    await until(lambda: len(log) == 2)
    assert [name for name, _ in log] == ["a", "b"]
    assert all(isinstance(error, WalSyncError) for _, error in log)
    assert "Input/output error" in str(log[0][1]) and not syncer.usable
    assert gate.calls == 1  # b was not "synced" by a later sync that might find nothing
    syncer.request(recorder(log, "c"))
    await until(lambda: len(log) == 3)
    assert isinstance(log[2][1], WalSyncError) and syncer.syncs == 0
    syncer.close()


async def test_close_syncs_what_waits_and_refuses_later_requests(tmp_path):
    gate = Gate()
    syncer, log = await first_sync_running(tmp_path, gate)
    syncer.request(recorder(log, "b"))
    gate.release.release()
    gate.release.release()  # for the last sync, made by the loop's callback
    thread = syncer._thread
    assert thread is not None and thread.is_alive()
    await asyncio.to_thread(syncer.close)
    assert not thread.is_alive()  # the syncer's thread ends with it
    await until(lambda: len(log) == 2)
    assert log == [("a", None), ("b", None)] and gate.calls == 2
    syncer.request(recorder(log, "c"))
    await until(lambda: len(log) == 3)
    assert isinstance(log[2][1], WalSyncError) and "closed" in str(log[2][1])


async def test_a_sync_started_just_before_close_is_still_made_and_answered(tmp_path):
    gate = Gate()
    syncer = WalSyncer(tmp_path / "x.db-wal", sync=gate)
    log: list = []

    def first_then_close(error: BaseException | None) -> None:
        # called from the loop's callback that has just started the sync for "b": the
        # syncer's thread cannot have picked it up yet (this thread holds the GIL)
        log.append(("a", error))
        gate.release.release()  # b's sync may go through
        syncer.close()

    syncer.request(first_then_close)
    await until(lambda: gate.calls == 1)
    syncer.request(recorder(log, "b"))
    gate.release.release()
    await until(lambda: len(log) == 2)
    assert log == [("a", None), ("b", None)] and gate.calls == 2


def test_sync_wal_file_syncs_a_file_and_skips_a_missing_one(tmp_path):
    assert wal_path(tmp_path / "s.db") == tmp_path / "s.db-wal"
    assert sync_wal_file(tmp_path / "s.db-wal") is False
    (tmp_path / "s.db-wal").write_bytes(b"frames")
    assert sync_wal_file(tmp_path / "s.db-wal") is True
    with pytest.raises(OSError):
        sync_wal_file(tmp_path / "s.db-wal" / "x")  # a file is not a directory: an error


# --- the event store's side -----------------------------------------------------------------


@pytest.fixture
async def sqlite_db(tmp_path):
    db = create_db_engine(f"sqlite:///{tmp_path / 's.db'}")
    await upgrade_database(db)
    yield db, tmp_path / "s.db"
    await db.dispose()


async def prime(store: EventStore) -> None:
    """Store seq 1 the awaited way: append_now needs the stream's end to be known."""
    await store.append(1, 0, [(moved(1, 0), None)])


async def test_append_now_leaves_the_sync_to_the_syncer_and_when_durable_waits_for_it(sqlite_db):
    db, path = sqlite_db
    store = EventStore(db, sync_off_loop=True)
    await prime(store)
    recorded = store.append_now(1, 1, [(moved(1, 1), None)])
    assert recorded is not None and store.syncer is not None
    assert store.syncer.path == wal_path(path)
    assert store._inline is not None
    assert store._inline.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    done = asyncio.get_running_loop().create_future()
    store.when_durable(done.set_result)
    assert not done.done()  # the sync runs in the syncer's thread
    assert await asyncio.wait_for(done, 5) is None
    assert store.syncer.syncs == 1
    store.close()


async def test_with_sync_off_loop_false_the_commit_syncs_itself(sqlite_db):
    db, _path = sqlite_db
    store = EventStore(db)  # the default: the commit syncs itself
    await prime(store)
    assert store.append_now(1, 1, [(moved(1, 1), None)]) is not None
    assert store.syncer is None
    assert store._inline is not None
    assert store._inline.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    answers: list = []
    store.when_durable(answers.append)
    assert answers == [None]  # at once: already durable
    store.close()


async def test_a_database_not_synced_in_full_gets_no_syncer(tmp_path):
    db = create_db_engine(f"sqlite:///{tmp_path / 'n.db'}", sqlite_synchronous="NORMAL")
    await upgrade_database(db)
    store = EventStore(db, sync_off_loop=True)
    await prime(store)
    assert store.append_now(1, 1, [(moved(1, 1), None)]) is not None
    assert store.syncer is None  # NORMAL was asked for: nothing to make durable
    store.close()
    await db.dispose()


async def test_append_now_declines_once_a_sync_failed(sqlite_db, monkeypatch):
    db, _path = sqlite_db

    def broken(path: Path) -> bool:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(eventstore, "sync_wal_file", broken)
    store = EventStore(db, sync_off_loop=True)
    await prime(store)
    assert store.append_now(1, 1, [(moved(1, 1), None)]) is not None
    done = asyncio.get_running_loop().create_future()
    store.when_durable(done.set_result)
    assert isinstance(await asyncio.wait_for(done, 5), WalSyncError)
    assert not store.can_append_now
    assert store.append_now(1, 2, [(moved(1, 2), None)]) is None  # the engine awaits append
    assert (await store.append(1, 2, [(moved(1, 2), None)]))[0].seq == 3
    store.close()


async def test_read_all_syncs_the_wal_before_returning_events(sqlite_db, monkeypatch):
    db, path = sqlite_db
    synced: list[Path] = []

    def counting(p: Path) -> bool:
        synced.append(p)
        return sync_wal_file(p)

    monkeypatch.setattr(eventstore, "sync_wal_file", counting)
    writer = EventStore(db, sync_off_loop=True)
    await prime(writer)
    assert writer.append_now(1, 1, [(moved(1, 1), None)]) is not None
    reader = EventStore(db)  # e.g. the projector, in its own process
    synced.clear()
    assert await reader.read_all(0) != []
    assert synced == [wal_path(path)]  # what it read is durable before it builds on it
    assert await reader.read_all(99) == [] and len(synced) == 1  # nothing read, no sync
    writer.close()


async def test_the_syncer_is_closed_with_the_store(sqlite_db):
    db, _path = sqlite_db
    store = EventStore(db, sync_off_loop=True)
    await prime(store)
    assert store.append_now(1, 1, [(moved(1, 1), None)]) is not None
    syncer = store.syncer
    assert syncer is not None
    store.close()
    assert not syncer.usable and not store.can_append_now
    assert store.append_now(1, 2, [(moved(1, 2), None)]) is None
