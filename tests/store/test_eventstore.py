"""The event store on SQLite and PostgreSQL: appends, reads, concurrency, snapshots."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import SQLAlchemyError

from starlane.store import ConcurrencyError, EventStore, RegionRow, create_db_engine
from starlane.store.schema import events, snapshots
from tests.store.conftest import assorted_events, moved


async def _count(engine, table) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def test_append_and_read_round_trip_every_field(store, clock):
    items = [(e, 3 if i % 2 else None) for i, e in enumerate(assorted_events(1))]
    recorded = await store.append(1, 0, items)
    assert [r.seq for r in recorded] == [1, 2, 3, 4, 5]
    assert [r.event for r in recorded] == [e for e, _ in items]
    assert [r.actor_id for r in recorded] == [a for _, a in items]
    assert all(r.region_id == 1 for r in recorded)

    read = [r async for r in store.read_region(1)]
    assert read == recorded
    assert await store.read_all() == recorded
    async with store.engine.connect() as conn:
        row = (await conn.execute(select(events).order_by(events.c.seq).limit(1))).one()
    assert (row.type, row.version, row.at, row.recorded_at) == (
        "player_spawned",
        1,
        10.25,
        clock.now,
    )


async def test_seq_is_gapless_per_region_and_position_increases_globally(store):
    expected = {1: 0, 2: 0, 3: 0}
    for round_ in range(6):
        for region_id in (1, 2, 3):
            n = 1 + (round_ + region_id) % 4
            items = [(moved(region_id, i), None) for i in range(n)]
            recorded = await store.append(region_id, expected[region_id], items)
            assert [r.seq for r in recorded] == list(
                range(expected[region_id] + 1, expected[region_id] + n + 1)
            )
            expected[region_id] += n
    everything = await store.read_all(limit=10_000)
    positions = [r.position for r in everything]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert await store.head_position() == positions[-1]
    for region_id, last in expected.items():
        assert await store.last_seq(region_id) == last
        seqs = [r.seq async for r in store.read_region(region_id)]
        assert seqs == list(range(1, last + 1))
    # the positions of one region's stream increase with its seq
    region_two = [r for r in everything if r.region_id == 2]
    assert [r.seq for r in region_two] == list(range(1, expected[2] + 1))


async def test_read_all_pages_by_position(store):
    await store.append(1, 0, [(moved(1, i), None) for i in range(25)])
    pages, after = [], 0
    while page := await store.read_all(after, limit=10):
        pages.append(page)
        after = page[-1].position
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [r.seq for p in pages for r in p] == list(range(1, 26))
    assert await store.read_all(after) == []


@pytest.mark.parametrize("expected_seq", [0, 2, 4])
async def test_stale_or_ahead_expected_seq_is_refused_and_writes_nothing(store, expected_seq):
    await store.append(1, 0, [(moved(1, i), None) for i in range(3)])
    head = await store.head_position()
    with pytest.raises(ConcurrencyError) as info:
        await store.append(
            1, expected_seq, [(moved(1, 9), None)], snapshot=(expected_seq + 1, b"x")
        )
    assert (info.value.region_id, info.value.expected_seq, info.value.actual_seq) == (
        1,
        expected_seq,
        3,
    )
    assert await store.last_seq(1) == 3
    assert await store.head_position() == head
    assert await store.load_snapshot(1) is None


async def test_another_writer_behind_our_back_is_detected(store, engine):
    """Two stores (two processes): the one whose view is stale is refused, nothing written."""
    await store.append(1, 0, [(moved(1, i), None) for i in range(3)])
    other = EventStore(engine)
    await other.append(1, 3, [(moved(1, 3), 1), (moved(1, 4), 1)])
    head = await store.head_position()
    with pytest.raises(ConcurrencyError) as info:
        await store.append(1, 3, [(moved(1, 9), 2)], snapshot=(4, b"stale"))
    assert info.value.actual_seq == 5
    assert await store.head_position() == head
    assert await store.load_snapshot(1) is None
    assert [r.actor_id async for r in store.read_region(1, after_seq=3)] == [1, 1]
    # after reloading (the real last seq), the stale store can append again
    assert (await store.append(1, 5, [(moved(1, 5), 2)]))[0].seq == 6


async def test_concurrent_writers_of_one_region_exactly_one_wins(store):
    async def attempt(k: int):
        try:
            return await store.append(1, 0, [(moved(1, k), k), (moved(1, k + 1), k)])
        except ConcurrencyError:
            return None

    results = await asyncio.gather(*(attempt(k) for k in range(6)))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    stored = [r async for r in store.read_region(1)]
    assert stored == winners[0]


async def test_concurrent_writers_of_many_regions_all_commit_in_position_order(store):
    async def writer(region_id: int):
        seq = 0
        for i in range(5):
            recorded = await store.append(region_id, seq, [(moved(region_id, i), None)] * 3)
            seq = recorded[-1].seq

    await asyncio.gather(*(writer(r) for r in range(1, 9)))
    everything = await store.read_all(limit=1_000)
    assert len(everything) == 8 * 5 * 3
    positions = [r.position for r in everything]
    assert positions == sorted(set(positions))
    for region_id in range(1, 9):
        assert await store.last_seq(region_id) == 15


async def test_event_of_another_region_is_refused(store):
    with pytest.raises(ValueError, match="region"):
        await store.append(1, 0, [(moved(1, 0), None), (moved(2, 1), None)])
    assert await store.head_position() == 0


async def test_empty_append_writes_nothing(store):
    assert await store.append(1, 0, []) == []
    assert await store.head_position() == 0


_FAIL_TRIGGER = {
    "sqlite": [
        "CREATE TRIGGER fail_snapshot BEFORE INSERT ON snapshots "
        "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION fail_snapshot() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$",
        "CREATE TRIGGER fail_snapshot BEFORE INSERT ON snapshots "
        "FOR EACH ROW EXECUTE FUNCTION fail_snapshot()",
    ],
}


async def test_failing_append_writes_nothing(store, engine):
    """A database error late in the transaction (the snapshot insert) rolls back everything."""
    await store.append(1, 0, [(moved(1, 0), None)])
    async with engine.begin() as conn:
        for statement in _FAIL_TRIGGER[engine.dialect.name]:
            await conn.exec_driver_sql(statement)
    with pytest.raises(SQLAlchemyError, match="disk on fire"):
        await store.append(1, 1, [(moved(1, i), None) for i in range(10)], snapshot=(11, b"s"))
    assert await _count(engine, events) == 1
    assert await _count(engine, snapshots) == 0
    assert await store.last_seq(1) == 1
    async with engine.begin() as conn:
        await conn.exec_driver_sql(
            "DROP TRIGGER fail_snapshot"
            + (" ON snapshots" if engine.dialect.name == "postgresql" else "")
        )
    # the store is still usable: the stream continues at seq 2
    recorded = await store.append(1, 1, [(moved(1, 1), None)], snapshot=(2, b"s"))
    assert recorded[0].seq == 2
    assert await store.load_snapshot(1) == (2, b"s")


async def test_snapshots_keep_the_latest_three(store, engine):
    assert await store.load_snapshot(1) is None
    for seq in (10, 20, 30, 40, 50):
        await store.save_snapshot(1, seq, f"state@{seq}".encode())
    await store.save_snapshot(2, 5, b"other region")
    assert await store.load_snapshot(1) == (50, b"state@50")
    assert await store.load_snapshot(2) == (5, b"other region")
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(snapshots.c.seq).where(snapshots.c.region_id == 1).order_by("seq")
            )
        ).all()
    assert [r.seq for r in rows] == [30, 40, 50]
    await store.save_snapshot(1, 50, b"rewritten")  # the same seq again replaces it
    assert await store.load_snapshot(1) == (50, b"rewritten")


async def test_snapshot_in_append_is_written_atomically(store):
    data = bytes(range(256)) * 100
    recorded = await store.append(1, 0, [(moved(1, i), None) for i in range(4)], snapshot=(4, data))
    assert recorded[-1].seq == 4
    assert await store.load_snapshot(1) == (4, data)
    await store.append(1, 4, [], snapshot=(4, b"again"))
    assert await store.load_snapshot(1) == (4, b"again")


async def test_snapshot_ahead_of_the_stream_is_refused(store):
    with pytest.raises(ValueError, match="ahead"):
        await store.append(1, 0, [(moved(1, 0), None)], snapshot=(2, b"x"))
    assert await store.head_position() == 0


async def test_read_region_streams_50000_events_in_batches(store, engine):
    total, chunk = 50_000, 10_000
    for start in range(0, total, chunk):
        await store.append(1, start, [(moved(1, i), None) for i in range(start, start + chunk)])
    await store.append(2, 0, [(moved(2, 0), None)])
    selects: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    count, last = 0, 0
    async for rec in store.read_region(1, batch=7_000):
        count += 1
        assert rec.seq == last + 1 and rec.region_id == 1
        last = rec.seq
    assert count == total
    assert len(selects) == 8  # ceil(50,000 / 7,000): the stream was read in batches
    assert rec.event == moved(1, total - 1)
    tail = [r.seq async for r in store.read_region(1, after_seq=49_990, batch=3)]
    assert tail == list(range(49_991, 50_001))


async def test_consumer_stopping_early_releases_everything(store, engine):
    await store.append(1, 0, [(moved(1, i), None) for i in range(50)])
    stream = store.read_region(1, batch=10)
    seen = [rec.seq async for rec in _take(stream, 15)]
    await stream.aclose()
    assert seen == list(range(1, 16))
    for _ in range(100):  # the abandoned prefetch finishes or is cancelled promptly
        if engine.pool.checkedout() == 0:
            break
        await asyncio.sleep(0.01)
    assert engine.pool.checkedout() == 0
    assert await store.last_seq(1) == 50


async def _take(stream, n):
    async for item in stream:
        yield item
        n -= 1
        if n == 0:
            return


async def test_catalogue(store):
    assert await store.list_regions() == []
    nexus = RegionRow(2, "nexus", "Central Nexus", 7, 3_000, 301, 1.5, {"density": 0.4})
    terran = RegionRow(1, "terran", "Terran Space", 2002, 300, 1, 1.5)
    await store.add_region(nexus)
    await store.add_region(terran)
    assert await store.list_regions() == [terran, nexus]
    assert await store.get_region(2) == nexus
    assert await store.get_region(9) is None
    with pytest.raises(ValueError, match="already exists"):
        await store.add_region(terran)


async def test_add_regions_inserts_all_or_nothing(store):
    terran = RegionRow(1, "terran", "Terran Space", 2002, 300, 1, 1.5)
    await store.add_regions([terran])
    nexus = RegionRow(2, "nexus", "Central Nexus", 7, 3_000, 301, 1.5)
    with pytest.raises(ValueError, match="already exists"):
        await store.add_regions([nexus, terran])
    assert await store.list_regions() == [terran]
    await store.add_regions([nexus])
    assert await store.list_regions() == [terran, nexus]


async def test_data_survives_closing_and_reopening_the_engine(db_url, engine, clock):
    store = EventStore(engine, clock=clock)
    recorded = await store.append(1, 0, [(e, 3) for e in assorted_events(1)], snapshot=(5, b"s"))
    await store.add_region(RegionRow(1, "terran", "Terran Space", 1, 300, 1, 0.0))
    await engine.dispose()

    reopened = create_db_engine(db_url)
    try:
        again = EventStore(reopened)
        assert [r async for r in again.read_region(1)] == recorded
        assert await again.load_snapshot(1) == (5, b"s")
        assert await again.last_seq(1) == 5
        assert [r.name for r in await again.list_regions()] == ["Terran Space"]
        more = await again.append(1, 5, [(assorted_events(1)[1], None)])
        assert more[0].seq == 6 and more[0].position > recorded[-1].position
    finally:
        await reopened.dispose()


async def test_sqlite_commits_on_the_calling_thread_and_postgresql_in_a_task(store, engine):
    answers: list = []
    store.commit(1, 0, [(moved(1, 0), None)], None, answers.append)
    if engine.dialect.name == "sqlite":
        assert len(answers) == 1  # answered before commit returned: made on the loop's thread
    else:  # PostgreSQL: asyncpg never blocks the event loop; the commit is a task
        assert answers == []
        async with asyncio.timeout(5):
            while not answers:
                await asyncio.sleep(0.005)
    assert [r.seq for r in answers[0]] == [1]
    assert await store.last_seq(1) == 1
    store.close()
