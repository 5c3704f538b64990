"""The SQLite append path: one statement per plain group commit, atomic however it is split."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from starlane.store import (
    ConcurrencyError,
    EventStore,
    appenders,
    create_db_engine,
    upgrade_database,
)
from starlane.store.db import sqlite_file, write_lock
from starlane.store.schema import events
from tests.store.conftest import moved


@pytest.fixture
async def sqlite_engine(tmp_path) -> AsyncIterator[AsyncEngine]:
    eng = create_db_engine(f"sqlite:///{tmp_path / 'starlane.db'}")
    await upgrade_database(eng)
    try:
        yield eng
    finally:
        await eng.dispose()


async def _rows(engine: AsyncEngine) -> list[tuple[int, int, int]]:
    async with engine.connect() as conn:
        result = await conn.execute(
            select(events.c.region_id, events.c.seq, events.c.position).order_by(events.c.position)
        )
        return [tuple(row) for row in result]


async def _fail_inserting_seq(engine: AsyncEngine, seq: int) -> None:
    """Make every insert of an event with this seq fail ("disk on fire"), by a trigger."""
    async with engine.begin() as conn:
        await conn.exec_driver_sql(
            f"CREATE TRIGGER fail_seq BEFORE INSERT ON events FOR EACH ROW WHEN NEW.seq = {seq} "
            "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
        )


def commit_now(store, region_id: int, expected_seq: int, items, snapshot=None):
    """``store.commit``, checking it answered before returning (on the calling thread)."""
    answers: list = []
    store.commit(region_id, expected_seq, items, snapshot, answers.append)
    assert len(answers) == 1, "the commit was not made on the calling thread"
    return answers[0]


async def test_a_plain_group_commit_is_one_insert_returning_statement(sqlite_engine):
    store = EventStore(sqlite_engine)
    await store.append(1, 0, [(moved(1, 0), None)])  # first append: checks the last seq
    statements: list[str] = []
    store._writer_connection().set_trace_callback(statements.append)  # the store's writer
    recorded = await store.append(1, 1, [(moved(1, i), 7) for i in range(1, 40)])
    assert [r.seq for r in recorded] == list(range(2, 41))
    assert len(statements) == 1, statements  # no BEGIN / COMMIT / read-back trips
    assert statements[0].startswith("INSERT INTO events") and "RETURNING" in statements[0]
    positions = [r.position for r in recorded]
    assert positions == sorted(positions) and len(set(positions)) == 39
    assert await _rows(sqlite_engine) == [(1, seq, seq) for seq in range(1, 41)]


async def test_a_failing_row_in_the_single_statement_writes_nothing(sqlite_engine):
    store = EventStore(sqlite_engine)
    await store.append(1, 0, [(moved(1, 0), None)])
    await _fail_inserting_seq(sqlite_engine, 5)
    with pytest.raises(SQLAlchemyError, match="disk on fire"):
        await store.append(1, 1, [(moved(1, i), None) for i in range(1, 10)])
    assert await _rows(sqlite_engine) == [(1, 1, 1)]  # rows 2-4, before the failing one: gone
    assert await store.last_seq(1) == 1


async def test_a_batch_split_into_several_statements_is_one_transaction(sqlite_engine, monkeypatch):
    monkeypatch.setattr(appenders, "SQLITE_ROWS_PER_STATEMENT", 4)
    store = EventStore(sqlite_engine)
    recorded = await store.append(1, 0, [(moved(1, i), None) for i in range(10)])
    assert [r.seq for r in recorded] == list(range(1, 11))
    assert [r.position for r in recorded] == list(range(1, 11))
    await _fail_inserting_seq(sqlite_engine, 19)
    # seq 11-18 go in the first two statements, seq 19 fails in the third: all rolled back
    with pytest.raises(SQLAlchemyError, match="disk on fire"):
        await store.append(1, 10, [(moved(1, i), None) for i in range(10, 20)])
    async with sqlite_engine.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(events))).scalar_one()
    assert count == 10
    assert await store.last_seq(1) == 10


# --- commit: the group commit on the event loop's own thread --------------------------------


async def test_a_group_commit_is_made_on_the_calling_thread_even_a_streams_first(sqlite_engine):
    store = EventStore(sqlite_engine)
    first = commit_now(store, 1, 0, [(moved(1, 0), None)])  # checks the stream's end too
    assert [(r.seq, r.position) for r in first] == [(1, 1)]
    recorded = commit_now(store, 1, 1, [(moved(1, i), 7) for i in range(1, 40)])
    assert [r.seq for r in recorded] == list(range(2, 41))
    assert [r.position for r in recorded] == list(range(2, 41))
    assert [r.actor_id for r in recorded] == [7] * 39
    assert await _rows(sqlite_engine) == [(1, seq, seq) for seq in range(1, 41)]
    read = [r async for r in store.read_region(1)]
    assert [r.event for r in read] == [moved(1, i) for i in range(40)]
    assert store.busy_waits == 0
    store.close()
    closed = commit_now(store, 1, 40, [(moved(1, 40), None)])
    assert isinstance(closed, SQLAlchemyError) and "closed" in str(closed)
    assert await store.last_seq(1) == 40


async def test_a_commit_waits_in_a_task_for_another_connection_writing(sqlite_engine, tmp_path):
    store = EventStore(sqlite_engine)
    await store.append(1, 0, [(moved(1, 0), None)])
    answer: asyncio.Future = asyncio.get_running_loop().create_future()
    other = sqlite3.connect(tmp_path / "starlane.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process or connection is writing
        store.commit(1, 1, [(moved(1, 1), None)], None, answer.set_result)
        assert not answer.done() and store.busy_waits == 1
        await asyncio.sleep(0.05)
        assert not answer.done()  # not answered before it is stored
        assert await _rows(sqlite_engine) == [(1, 1, 1)]
        other.execute("ROLLBACK")
    finally:
        other.close()
    recorded = await asyncio.wait_for(answer, 5)
    assert recorded[0].seq == 2
    assert [r.seq for r in commit_now(store, 1, 2, [(moved(1, 2), None)])] == [3]


async def test_a_commit_queues_behind_a_writer_of_this_process(sqlite_engine):
    store = EventStore(sqlite_engine)
    await store.append(1, 0, [(moved(1, 0), None)])
    answer: asyncio.Future = asyncio.get_running_loop().create_future()
    async with write_lock(sqlite_engine):  # e.g. a projection batch on the same database
        store.commit(1, 1, [(moved(1, 1), None)], None, answer.set_result)
        await asyncio.sleep(0.02)
        assert not answer.done()
    assert (await asyncio.wait_for(answer, 5))[0].seq == 2


async def test_a_commit_writes_the_snapshot_in_the_same_transaction(sqlite_engine):
    store = EventStore(sqlite_engine)
    await store.append(1, 0, [(moved(1, 0), None)])
    recorded = commit_now(store, 1, 1, [(moved(1, 1), None)], snapshot=(2, b"state at 2"))
    assert [r.seq for r in recorded] == [2]
    assert await store.load_snapshot(1) == (2, b"state at 2")
    ahead = commit_now(store, 1, 2, [(moved(1, 2), None)], snapshot=(9, b"future"))
    assert isinstance(ahead, ValueError) and "ahead" in str(ahead)
    assert await store.last_seq(1) == 2


async def test_a_failing_row_of_a_commit_writes_nothing(sqlite_engine):
    store = EventStore(sqlite_engine)
    await store.append(1, 0, [(moved(1, 0), None)])
    await _fail_inserting_seq(sqlite_engine, 5)
    failed = commit_now(store, 1, 1, [(moved(1, i), None) for i in range(1, 10)])
    assert isinstance(failed, SQLAlchemyError) and "disk on fire" in str(failed)
    failed = commit_now(store, 1, 1, [(moved(1, i), None) for i in range(1, 10)], (3, b"s"))
    assert isinstance(failed, SQLAlchemyError) and "disk on fire" in str(failed)
    assert await _rows(sqlite_engine) == [(1, 1, 1)]
    assert await store.load_snapshot(1) is None


async def test_a_commit_refuses_a_seq_another_writer_took(sqlite_engine):
    writer_a, writer_b = EventStore(sqlite_engine), EventStore(sqlite_engine)
    await writer_a.append(1, 0, [(moved(1, 0), None)])
    await writer_b.append(1, 1, [(moved(1, 1), None)])  # b moved the stream on
    refused = commit_now(writer_a, 1, 1, [(moved(1, 1), None)])  # the unique seq refuses it
    assert isinstance(refused, ConcurrencyError) and refused.actual_seq == 2
    refused = commit_now(writer_a, 1, 1, [(moved(1, 1), None)])  # end unknown: checked first
    assert isinstance(refused, ConcurrencyError) and refused.actual_seq == 2
    assert await writer_a.last_seq(1) == 2
    writer_a.close()
    writer_b.close()


async def test_an_in_memory_database_is_a_temporary_file_gone_with_its_engine():
    memory = create_db_engine("sqlite:///:memory:")
    await upgrade_database(memory)
    found = sqlite_file(memory)
    assert found is not None and found[0].exists()
    store = EventStore(memory)
    assert [r.seq for r in commit_now(store, 1, 0, [(moved(1, 0), None)])] == [1]
    assert [r.seq async for r in store.read_region(1)] == [1]
    store.close()
    await memory.dispose()
    del memory, store
    gc.collect()
    assert not found[0].parent.exists()
