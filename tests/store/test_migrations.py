"""Alembic migrations and engine set-up, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

import starlane.store
from starlane.store import (
    WRITE_TRANSACTION,
    create_db_engine,
    database_revision,
    upgrade_database,
)
from starlane.store.db import alembic_config
from starlane.store.eventstore import EventStore, RegionRow
from starlane.store.schema import include_name, metadata

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def _drift(sync_conn):
    context = MigrationContext.configure(sync_conn, opts={"include_name": include_name})
    return compare_metadata(context, metadata)


def _tables(sync_conn):
    return set(inspect(sync_conn).get_table_names())


async def test_upgrade_from_empty_creates_schema_without_drift(db_url):
    engine = create_db_engine(db_url)
    try:
        assert await database_revision(engine) is None
        await upgrade_database(engine)
        assert await database_revision(engine) == HEAD == "0013_diplomacy"
        async with engine.connect() as conn:
            assert await conn.run_sync(_drift) == []
            tables = await conn.run_sync(_tables)
        assert set(metadata.tables) <= tables
    finally:
        await engine.dispose()


async def test_second_upgrade_is_a_no_op_and_keeps_data(db_url):
    await upgrade_database(db_url)  # from a URL: the function makes and disposes its engine
    engine = create_db_engine(db_url)
    try:
        store = EventStore(engine)
        row = RegionRow(1, "terran", "Terran Space", 42, 300, 1, 5.0, {"a": [1, 2]})
        await store.add_region(row)
        statements: list[str] = []

        from sqlalchemy import event

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _record(conn, cursor, statement, *args):
            statements.append(statement)

        await upgrade_database(engine)
        assert not [s for s in statements if s.lstrip().upper().startswith(("CREATE", "ALTER"))]
        assert await database_revision(engine) == HEAD
        assert await store.list_regions() == [row]
    finally:
        await engine.dispose()


async def test_concurrent_upgrades_are_serialized(db_url):
    engines = [create_db_engine(db_url) for _ in range(3)]
    try:
        await asyncio.wait_for(asyncio.gather(*(upgrade_database(e) for e in engines)), 60)
        for e in engines:
            assert await database_revision(e) == HEAD
        async with engines[0].connect() as conn:
            assert await conn.run_sync(_drift) == []
    finally:
        for e in engines:
            await e.dispose()


async def test_concurrent_upgrades_of_new_sqlite_files_in_one_process(tmp_path: Path):
    """Several engines opening new files at once (WAL switch) and migrating them concurrently
    (Alembic's process-global context), repeatedly."""
    for round_ in range(5):
        urls = [f"sqlite:///{tmp_path}/r{round_}/{name}.db" for name in ("a", "a", "b", "b")]
        engines = [create_db_engine(url) for url in urls]
        try:
            await asyncio.wait_for(asyncio.gather(*(upgrade_database(e) for e in engines)), 60)
            for e in engines:
                assert await database_revision(e) == HEAD
        finally:
            for e in engines:
                await e.dispose()


@pytest.mark.slow
def test_alembic_command_line_upgrades_a_database(tmp_path: Path):
    ini = Path(starlane.store.__file__).parent / "migrations" / "alembic.ini"
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    run = [sys.executable, "-m", "alembic", "-c", str(ini), "-x", f"url={url}"]
    subprocess.run([*run, "upgrade", "head"], check=True, capture_output=True, timeout=60)
    current = subprocess.run(
        [*run, "current"], check=True, capture_output=True, text=True, timeout=60
    )
    assert f"{HEAD} (head)" in current.stdout


def _downgrade_base(sync_conn):
    cfg = alembic_config()
    cfg.attributes["connection"] = sync_conn
    command.downgrade(cfg, "base")


async def test_downgrade_to_base_and_upgrade_again(engine):
    async with engine.begin() as conn:
        await conn.run_sync(_downgrade_base)
    async with engine.connect() as conn:
        assert not (set(metadata.tables) & await conn.run_sync(_tables))
    assert await database_revision(engine) is None
    await upgrade_database(engine)
    assert await database_revision(engine) == HEAD


async def test_sqlite_connection_settings_and_directory_creation(tmp_path: Path):
    path = tmp_path / "a" / "b" / "starlane.db"
    engine = create_db_engine(f"sqlite:///{path}")
    try:
        async with engine.connect() as conn:
            journal = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
            synchronous = (await conn.exec_driver_sql("PRAGMA synchronous")).scalar_one()
            foreign_keys = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar_one()
            busy = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
        assert path.exists()
        assert (journal, synchronous, foreign_keys) == ("wal", 2, 1)  # 2 = FULL
        assert busy >= 1_000
    finally:
        await engine.dispose()


async def test_sqlite_synchronous_level_is_configurable(tmp_path: Path):
    engine = create_db_engine(f"sqlite+aiosqlite:///{tmp_path}/x.db", sqlite_synchronous="normal")
    try:
        async with engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar_one() == 1
    finally:
        await engine.dispose()


def test_bad_urls_and_levels_are_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="unsupported database URL"):
        create_db_engine("mysql://localhost/x")
    with pytest.raises(ValueError, match="synchronous"):
        create_db_engine(f"sqlite:///{tmp_path}/x.db", sqlite_synchronous="SOMETIMES")


async def test_sqlite_transactions_really_begin(tmp_path: Path):
    """With the sqlite3 module's implicit transactions off, a rollback undoes every write."""
    engine = create_db_engine(f"sqlite:///{tmp_path}/x.db")
    try:
        await upgrade_database(engine)
        async with engine.connect() as conn:
            await conn.execute(text("INSERT INTO projection_checkpoints VALUES ('p', 1)"))
            await conn.rollback()
            count = await conn.execute(text("SELECT count(*) FROM projection_checkpoints"))
            assert count.scalar_one() == 0
    finally:
        await engine.dispose()


async def test_sqlite_write_transactions_queue_instead_of_failing(tmp_path: Path):
    """Read-then-write transactions with WRITE_TRANSACTION wait for each other (no lost update,
    no "database is locked"), because SQLite's write lock is taken at BEGIN."""
    engine = create_db_engine(f"sqlite:///{tmp_path}/x.db")
    try:
        await upgrade_database(engine)
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO projection_checkpoints VALUES ('p', 0)"))
        writer = engine.execution_options(**WRITE_TRANSACTION)

        async def increment():
            async with writer.begin() as conn:
                query = text("SELECT position FROM projection_checkpoints WHERE name = 'p'")
                value = (await conn.execute(query)).scalar_one()
                await asyncio.sleep(0.05)
                await conn.execute(
                    text("UPDATE projection_checkpoints SET position = :v WHERE name = 'p'"),
                    {"v": value + 1},
                )

        await asyncio.gather(*(increment() for _ in range(4)))
        async with engine.connect() as conn:
            query = text("SELECT position FROM projection_checkpoints")
            assert (await conn.execute(query)).scalar_one() == 4
    finally:
        await engine.dispose()


async def test_write_lock_is_one_per_sqlite_database_and_none_on_postgresql(tmp_path):
    """Engines and projections of one SQLite database queue on the same in-process lock."""
    from starlane.store.db import create_db_engine, write_lock

    first = create_db_engine(f"sqlite:///{tmp_path / 'a.db'}")
    other = create_db_engine(f"sqlite:///{tmp_path / 'b.db'}")
    pg = create_db_engine("postgresql://postgres@127.0.0.1:5432/postgres")  # never connected
    try:
        lock = write_lock(first)
        assert lock is not None and write_lock(first) is lock
        assert write_lock(other) is not lock
        assert write_lock(pg) is None
    finally:
        for engine in (first, other, pg):
            await engine.dispose()


async def test_security_revision_keeps_accounts_and_never_reuses_ids(db_url):
    """Upgrading an 0002 database: accounts and refresh tokens are kept, the next id follows
    the highest id ever used (a deleted account's player may still act in the event log)."""
    engine = create_db_engine(db_url)
    try:
        await upgrade_database(engine, revision="0002")
        async with engine.connect() as conn:
            for i, name in ((1, "one"), (2, "two")):
                await conn.execute(
                    text(
                        "INSERT INTO accounts (id, username, username_key, password_hash,"
                        " created_at) VALUES (:i, :n, :n, 'h', 0)"
                    ),
                    {"i": i, "n": name},
                )
            await conn.execute(
                text(
                    "INSERT INTO refresh_tokens (token_hash, account_id, family_id, issued_at,"
                    " expires_at) VALUES ('t', 1, 'f', 0, 9)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO events (region_id, seq, type, version, actor_id, at,"
                    " recorded_at, payload) VALUES (1, 1, 'x', 1, 3, 0, 0, '{}')"
                )
            )  # player 3's account was deleted before the upgrade
            await conn.commit()
        await upgrade_database(engine)
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM refresh_tokens"))).scalar() == 1
            new_id = (
                await conn.execute(
                    text(
                        "INSERT INTO accounts (username, username_key, password_hash,"
                        " created_at) VALUES ('new', 'new', 'h', 0) RETURNING id"
                    )
                )
            ).scalar()
            versions = (await conn.execute(text("SELECT token_version FROM accounts"))).all()
        assert new_id == 4
        assert {v for (v,) in versions} == {0}
    finally:
        await engine.dispose()


async def test_regions_revision_keeps_the_catalogue_and_marks_regions_active(engine):
    """0005_regions adds the catalogue's status (existing regions: active) and owner, and
    downgrades and upgrades again without losing a region."""
    from starlane.store import catalogue

    await catalogue.add_region(engine, RegionRow(1, "terran", "Terran Space", 42, 300, 1, 5.0))
    await catalogue.add_region(
        engine, RegionRow(3, "player", "Vega Reach", 7, 500, 3_301, 6.0, owner_id=9)
    )
    assert await catalogue.set_region_status(engine, 3, "closed")
    assert not await catalogue.set_region_status(engine, 99, "closed")
    with pytest.raises(ValueError):
        await catalogue.set_region_status(engine, 3, "deleted")
    rows = {r.id: r for r in await catalogue.list_regions(engine)}
    assert (rows[1].status, rows[1].owner_id) == ("active", None)
    assert (rows[3].status, rows[3].owner_id) == ("closed", 9)
    async with engine.begin() as conn:
        await conn.run_sync(_downgrade_to("0004_audit"))
        tables = await conn.run_sync(_tables)
    assert "billing_events" not in tables and "region_moderators" not in tables
    await upgrade_database(engine)
    assert await database_revision(engine) == "0013_diplomacy"
    rows = {r.id: r for r in await catalogue.list_regions(engine)}
    assert sorted(rows) == [1, 3] and rows[3].status == "active"  # the column came back new


def _downgrade_to(revision: str):
    def run(sync_conn) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = sync_conn
        command.downgrade(cfg, revision)

    return run
