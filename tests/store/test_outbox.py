"""The outbox table's migration and the outbox publisher, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from alembic import command
from sqlalchemy import inspect, select, text

from starlane.store import OutboxPublisher, UnitOfWorkFactory, create_db_engine, database_revision
from starlane.store.db import alembic_config, upgrade_database
from starlane.store.outbox import read_outbox
from starlane.store.schema import outbox

NOW = 1_700_000_000.0


def _to(revision: str):
    def run(sync_conn) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = sync_conn
        if revision == "0001" and _has_outbox(sync_conn):
            command.downgrade(cfg, revision)
        else:
            command.upgrade(cfg, revision)

    return run


def _has_outbox(sync_conn) -> bool:
    return "outbox" in inspect(sync_conn).get_table_names()


async def test_outbox_revision_upgrades_and_downgrades_keeping_other_data(db_url):
    engine = create_db_engine(db_url)
    try:
        await upgrade_database(engine, "0001")
        async with engine.begin() as conn:
            assert not await conn.run_sync(_has_outbox)
            await conn.execute(text("INSERT INTO projection_checkpoints VALUES ('p', 7)"))
        await upgrade_database(engine)
        assert await database_revision(engine) == "0003_security"
        async with engine.begin() as conn:
            assert await conn.run_sync(_has_outbox)
            indexes = await conn.run_sync(lambda c: inspect(c).get_indexes("outbox"))
            assert [i["column_names"] for i in indexes] == [["published_at"]]
        async with UnitOfWorkFactory(engine, clock=lambda: NOW)() as uow:
            uow.add_message("k.one", "s.1", {"a": 1})
        async with engine.begin() as conn:
            await conn.run_sync(_to("0001"))
        assert await database_revision(engine) == "0001"
        async with engine.connect() as conn:
            assert not await conn.run_sync(_has_outbox)
            kept = await conn.execute(text("SELECT position FROM projection_checkpoints"))
            assert kept.scalar_one() == 7
        await upgrade_database(engine)
        assert await read_outbox(engine) == []  # a fresh, empty table
    finally:
        await engine.dispose()


class Sink:
    def __init__(self) -> None:
        self.batches: list[list] = []

    def publish_envelopes(self, envelopes) -> None:
        self.batches.append(list(envelopes))

    @property
    def positions(self) -> list[int]:
        return [e.position for batch in self.batches for e in batch]


async def _published_at(engine) -> dict[int, float | None]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.position, outbox.c.published_at))).all()
    return {int(p): at for p, at in rows}


async def test_rows_committed_but_never_published_are_published_at_start(engine):
    # a process committed these and died before publishing them
    crashed = UnitOfWorkFactory(engine, clock=lambda: NOW)
    for i in range(3):
        async with crashed() as uow:
            uow.add_message("note", f"n.{i}", {"i": i})
    sink = Sink()
    publisher = OutboxPublisher(engine, sink, clock=lambda: NOW + 5, poll_seconds=0, batch_size=2)
    await publisher.start()
    try:
        assert [e.payload["i"] for b in sink.batches for e in b] == [0, 1, 2]
        assert set((await _published_at(engine)).values()) == {NOW + 5}
        assert publisher.swept == 3
    finally:
        await publisher.stop()
    again = Sink()
    second = OutboxPublisher(engine, again, poll_seconds=0)
    await second.start()
    await second.stop()
    assert again.batches == []  # marked: never published twice by a sweep


async def test_commits_are_published_at_once_and_marked_by_the_task(engine):
    sink = Sink()
    publisher = OutboxPublisher(engine, sink, clock=lambda: NOW + 1, poll_seconds=0)
    await publisher.start()
    uow = UnitOfWorkFactory(engine, clock=lambda: NOW, on_commit=publisher.committed)
    try:
        async with uow() as w:
            w.add_message("a", "s.1", {})
            w.add_message("b", "s.1", {})
        assert [e.kind for e in sink.batches[0]] == ["a", "b"]  # before any await
        async with asyncio.timeout(5):
            while None in (await _published_at(engine)).values():
                await asyncio.sleep(0.01)
        assert await publisher.sweep() == 0  # nothing is published twice
        assert len(sink.positions) == 2
    finally:
        await publisher.stop()


async def test_rows_of_another_process_are_found_by_the_poll(engine):
    sink = Sink()
    publisher = OutboxPublisher(engine, sink, poll_seconds=0.05)
    await publisher.start()
    try:
        other_process = UnitOfWorkFactory(engine)  # no publisher: e.g. ``starlane admin``
        async with other_process() as w:
            w.add_message("role.granted", "account.9", {"account_id": 9, "role": "admin"})
        async with asyncio.timeout(5):
            while not sink.batches:
                await asyncio.sleep(0.01)
        (envelope,) = sink.batches[0]
        assert (envelope.kind, envelope.subject, envelope.payload["role"]) == (
            "role.granted",
            "account.9",
            "admin",
        )
    finally:
        await publisher.stop()
    assert None not in (await _published_at(engine)).values()


async def test_a_reader_checkpointing_on_position_misses_no_row_under_concurrent_commits(engine):
    """Positions follow commit order (PostgreSQL: the outbox advisory lock), so reading on from
    the last position seen never skips a row committed later with a smaller position."""
    uow = UnitOfWorkFactory(engine)
    done = asyncio.Event()
    seen: list[int] = []

    async def writer(w: int) -> None:
        for i in range(15):
            async with uow() as unit:
                unit.add_message("n", f"w.{w}", {"i": i})
                unit.add_message("n", f"w.{w}", {"i": i, "second": True})

    async def reader() -> None:
        while True:
            finished = done.is_set()
            found = await read_outbox(engine, after=seen[-1] if seen else 0)
            seen.extend(e.position for e in found)
            if finished and not found:
                return
            await asyncio.sleep(0)

    task = asyncio.create_task(reader())
    await asyncio.gather(*(writer(w) for w in range(4)))
    done.set()
    await asyncio.wait_for(task, 30)
    assert len(seen) == 4 * 15 * 2
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
