"""The SQLite append path: one statement per plain group commit, atomic however it is split."""

from __future__ import annotations

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


async def _trace(engine: AsyncEngine, statements: list[str]) -> None:
    """Record every statement the pooled connection's driver runs (the store's only one)."""
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        await raw.driver_connection.set_trace_callback(statements.append)


async def test_a_plain_group_commit_is_one_insert_returning_statement(sqlite_engine):
    store = EventStore(sqlite_engine)
    await store.append(1, 0, [(moved(1, 0), None)])  # first append: checks the last seq
    statements: list[str] = []
    await _trace(sqlite_engine, statements)
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


# --- append_now: the group commit on the event loop's own thread -----------------------------


async def test_append_now_stores_like_append_once_the_stream_end_is_known(sqlite_engine):
    store = EventStore(sqlite_engine)
    assert store.can_append_now
    assert store.append_now(1, 0, [(moved(1, 0), None)]) is None  # stream end not known yet
    await store.append(1, 0, [(moved(1, 0), None)])
    recorded = store.append_now(1, 1, [(moved(1, i), 7) for i in range(1, 40)])
    assert recorded is not None
    assert [r.seq for r in recorded] == list(range(2, 41))
    assert [r.position for r in recorded] == list(range(2, 41))
    assert [r.actor_id for r in recorded] == [7] * 39
    assert await _rows(sqlite_engine) == [(1, seq, seq) for seq in range(1, 41)]
    read = [r async for r in store.read_region(1)]
    assert [r.event for r in read] == [moved(1, i) for i in range(40)]
    store.close()
    assert not store.can_append_now and store.append_now(1, 40, [(moved(1, 40), None)]) is None


async def test_append_now_gives_way_to_another_writer_and_writes_nothing(sqlite_engine, tmp_path):
    store = EventStore(sqlite_engine)
    await store.append(1, 0, [(moved(1, 0), None)])
    other = sqlite3.connect(tmp_path / "starlane.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process or connection is writing
        assert store.append_now(1, 1, [(moved(1, 1), None)]) is None
        assert store.inline_yields == 1
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert await _rows(sqlite_engine) == [(1, 1, 1)]
    recorded = store.append_now(1, 1, [(moved(1, 1), None)])
    assert recorded is not None and recorded[0].seq == 2


async def test_append_now_writes_the_snapshot_in_the_same_transaction(sqlite_engine):
    store = EventStore(sqlite_engine)
    await store.append(1, 0, [(moved(1, 0), None)])
    recorded = store.append_now(1, 1, [(moved(1, 1), None)], snapshot=(2, b"state at 2"))
    assert recorded is not None
    assert await store.load_snapshot(1) == (2, b"state at 2")
    with pytest.raises(ValueError, match="ahead"):
        store.append_now(1, 2, [(moved(1, 2), None)], snapshot=(9, b"future"))
    assert await store.last_seq(1) == 2


async def test_a_failing_row_of_append_now_writes_nothing(sqlite_engine):
    store = EventStore(sqlite_engine)
    await store.append(1, 0, [(moved(1, 0), None)])
    await _fail_inserting_seq(sqlite_engine, 5)
    with pytest.raises(SQLAlchemyError, match="disk on fire"):
        store.append_now(1, 1, [(moved(1, i), None) for i in range(1, 10)])
    with pytest.raises(SQLAlchemyError, match="disk on fire"):  # and with a snapshot
        store.append_now(1, 1, [(moved(1, i), None) for i in range(1, 10)], snapshot=(3, b"s"))
    assert await _rows(sqlite_engine) == [(1, 1, 1)]
    assert await store.load_snapshot(1) is None


async def test_append_now_refuses_a_seq_another_writer_took(sqlite_engine):
    writer_a, writer_b = EventStore(sqlite_engine), EventStore(sqlite_engine)
    await writer_a.append(1, 0, [(moved(1, 0), None)])
    await writer_b.append(1, 1, [(moved(1, 1), None)])  # b moved the stream on
    with pytest.raises(ConcurrencyError):
        writer_a.append_now(1, 1, [(moved(1, 1), None)])
    assert writer_a.append_now(1, 1, [(moved(1, 1), None)]) is None  # end unknown again
    assert await writer_a.last_seq(1) == 2


async def test_append_now_is_not_offered_without_a_shared_file(tmp_path):
    memory = create_db_engine("sqlite:///:memory:")
    try:
        store = EventStore(memory)
        assert store.append_now(1, 0, [(moved(1, 0), None)]) is None
        assert not store.can_append_now
    finally:
        await memory.dispose()


async def test_append_now_can_be_turned_off(sqlite_engine):
    store = EventStore(sqlite_engine, commit_on_loop=False)
    await store.append(1, 0, [(moved(1, 0), None)])
    assert not store.can_append_now
    assert store.append_now(1, 1, [(moved(1, 1), None)]) is None
    assert await store.last_seq(1) == 1
