"""Database engines and migrations: one async SQLAlchemy engine for SQLite or PostgreSQL.

:func:`create_db_engine` accepts ``sqlite:///path``, ``sqlite+aiosqlite:///path``,
``postgresql://...`` and ``postgresql+asyncpg://...``. For SQLite it creates the file's
directory (an in-memory database becomes a temporary file, deleted with the engine, which the
event store's writer connection can share) and sets, on every new connection, WAL journaling,
the ``synchronous`` level (``FULL`` by default: nothing committed is lost on a power cut),
foreign keys and a busy timeout. It also takes over transaction control from the ``sqlite3``
module (the SQLAlchemy recipe for pysqlite/aiosqlite) so that a transaction is really begun when
SQLAlchemy begins one, and a writer can ask for ``BEGIN IMMEDIATE``::

    writer = engine.execution_options(**WRITE_TRANSACTION)
    async with writer.begin() as conn:   # takes SQLite's write lock up front
        ...

Use :data:`WRITE_TRANSACTION` for any transaction that reads and then writes, so that two
SQLite writers queue on the busy timeout instead of failing with "database is locked". The
option does nothing on PostgreSQL.

:func:`upgrade_database` runs Alembic's ``upgrade head`` programmatically (from inside a running
event loop, through ``AsyncConnection.run_sync``); :func:`database_revision` reads the current
revision.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
import weakref
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from starlane.config import normalize_database_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
"""The Alembic script directory shipped inside the package."""

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite connection waits for another writer's lock, milliseconds."""

WRITE_TRANSACTION: dict[str, Any] = {"starlane_begin": "IMMEDIATE"}
"""Execution options for a read-then-write transaction (``BEGIN IMMEDIATE`` on SQLite)."""

_write_locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()
_sqlite_files: weakref.WeakKeyDictionary[Any, tuple[Path, str]] = weakref.WeakKeyDictionary()
_scratch_dirs: weakref.WeakKeyDictionary[Any, tempfile.TemporaryDirectory[str]] = (
    weakref.WeakKeyDictionary()
)


def write_lock(engine: AsyncEngine) -> asyncio.Lock | None:
    """The in-process lock every writer of a single-writer database (SQLite) holds while writing.

    SQLite admits one writer at a time and makes the others wait in a busy handler that sleeps
    in coarse steps; queueing the writers of one process on an asyncio lock instead (region
    engines' group commits, projection batches) keeps the wait short and fair. PostgreSQL
    takes concurrent writers, so it gets no lock.

    Args:
        engine: the database engine.

    Returns:
        The same lock for every call with the same engine on SQLite; None on PostgreSQL.
    """
    if engine.dialect.name != "sqlite":
        return None
    lock = _write_locks.get(engine.sync_engine)
    if lock is None:
        lock = _write_locks[engine.sync_engine] = asyncio.Lock()
    return lock


MIGRATION_LOCK_KEY = 0x5354_4C4E_4D49_4752
"""PostgreSQL advisory lock id ("STLNMIGR") held while migrating."""

_SYNCHRONOUS_LEVELS = frozenset({"OFF", "NORMAL", "FULL", "EXTRA"})
_BEGIN_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})


def create_db_engine(
    url: str, *, sqlite_synchronous: str = "FULL", echo: bool = False
) -> AsyncEngine:
    """Create the async engine for a SQLite file or a PostgreSQL database.

    Args:
        url: ``sqlite:///path``, ``sqlite+aiosqlite:///path``, ``postgresql://...`` or
            ``postgresql+asyncpg://...``.
        sqlite_synchronous: SQLite ``PRAGMA synchronous`` level: ``FULL`` (default, durable
            on power loss), ``NORMAL`` (durable on process crash only), ``OFF`` or ``EXTRA``.
        echo: log every SQL statement (debugging).

    Returns:
        An :class:`AsyncEngine`; dispose of it with ``await engine.dispose()``.

    Raises:
        ValueError: the URL is neither SQLite nor PostgreSQL, or the synchronous level is
            unknown.
    """
    url = normalize_database_url(url)
    level = sqlite_synchronous.upper()
    if level not in _SYNCHRONOUS_LEVELS:
        raise ValueError(f"unknown SQLite synchronous level {sqlite_synchronous!r}")
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # No pre-ping (a round trip per checkout on the hot path): after a server restart the
        # first statement fails with a disconnect error and the pool is invalidated; callers
        # treat it as any failed write (the engine reloads and goes on).
        return create_async_engine(url, echo=echo)

    database = parsed.database or ""
    scratch: tempfile.TemporaryDirectory[str] | None = None
    if database in ("", ":memory:"):
        # An in-memory database cannot be shared by the pool and the event store's writer
        # connection: a file in a private temporary directory stands in for it, deleted with
        # the engine (or at exit), so it lives no longer than the memory would.
        scratch = tempfile.TemporaryDirectory(prefix="starlane-memory-")
        database = str(Path(scratch.name) / "starlane.db")
        url = parsed.set(database=database).render_as_string(hide_password=False)
    if not database.startswith("file:"):
        path = Path(database).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        _ensure_wal(path)
    # Connections are reset by the "reset" listener below, only when a transaction is open
    # (the default reset would cost a round trip to the driver thread after every commit).
    engine = create_async_engine(url, echo=echo, pool_reset_on_return=None)
    _install_sqlite_listeners(engine, level)
    if not database.startswith("file:"):
        _sqlite_files[engine.sync_engine] = (Path(database).expanduser().absolute(), level)
    if scratch is not None:
        _scratch_dirs[engine.sync_engine] = scratch
    return engine


def sqlite_file(engine: AsyncEngine) -> tuple[Path, str] | None:
    """The database file of a SQLite engine and its connections' ``synchronous`` level.

    Args:
        engine: an engine made by :func:`create_db_engine`.

    Returns:
        ``(absolute path, level)`` for a SQLite database (an in-memory one is a temporary
        file); None for PostgreSQL and ``file:`` URI databases.
    """
    return _sqlite_files.get(engine.sync_engine)


def wal_path(database: Path) -> Path:
    """The write-ahead log of a SQLite database file (``<file>-wal``, SQLite's naming).

    Args:
        database: the database file.

    Returns:
        The path of its WAL file (which may not exist yet).
    """
    return database.with_name(database.name + "-wal")


def open_writer(engine: AsyncEngine) -> sqlite3.Connection:
    """A plain ``sqlite3`` connection to the engine's SQLite file, for the event store's group
    commits, made on the event loop's own thread
    (:class:`~starlane.store.sqlite_events.SqliteEventStore`).

    A statement on an aiosqlite connection is a trip to its thread and back, and under load
    the way back waits for the busy event loop (and for the GIL); this connection is used
    directly instead. It has the pool's settings (WAL, the engine's ``synchronous`` level,
    foreign keys, autocommit) except the busy timeout, which is 0: a write that finds another
    connection writing fails at once with ``SQLITE_BUSY`` (nothing written) and the event loop
    never sleeps in SQLite's busy handler.

    Args:
        engine: an engine made by :func:`create_db_engine`.

    Returns:
        A new connection (the caller closes it).

    Raises:
        ValueError: the engine is not a SQLite file database made by :func:`create_db_engine`.
        sqlite3.Error: the file could not be opened, or is not in WAL mode.
    """
    found = _sqlite_files.get(engine.sync_engine)
    if found is None:
        raise ValueError("the event store writes to a SQLite database file (a path or :memory:)")
    path, level = found
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA busy_timeout=0")
        conn.execute(f"PRAGMA synchronous={level}")
        conn.execute("PRAGMA foreign_keys=ON")
        (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"{path} is not in WAL mode ({mode})")
    except BaseException:
        conn.close()
        raise
    return conn


def _ensure_wal(path: Path) -> None:
    """Create the file if needed and switch it to WAL (persistent), before any pool exists.

    Switching the journal mode needs an exclusive lock and SQLite does not wait for it with
    the busy handler, so several connections opening a new file at once could fail with
    "database is locked"; done once here, synchronously and with retries, connections then
    find the file in WAL mode already.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        conn = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() == "wal":
                return
            raise sqlite3.OperationalError(f"journal mode stayed {mode!r}")
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)
        finally:
            conn.close()


def _install_sqlite_listeners(engine: AsyncEngine, synchronous: str) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode")
            if str(cursor.fetchone()[0]).lower() != "wal":  # a file not set up by _ensure_wal
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, _record: Any, _state: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        if driver is None or getattr(driver, "in_transaction", True):
            dbapi_connection.rollback()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = str(conn.get_execution_options().get("starlane_begin", "DEFERRED")).upper()
        if mode not in _BEGIN_MODES:
            mode = "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def alembic_config() -> Config:
    """The Alembic configuration of the packaged migrations (no ini file needed).

    Returns:
        A :class:`alembic.config.Config` whose ``script_location`` is :data:`MIGRATIONS_DIR`.
    """
    cfg = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


_ALEMBIC_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _alembic_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _ALEMBIC_LOCKS.get(loop)
    if lock is None:
        lock = _ALEMBIC_LOCKS[loop] = asyncio.Lock()
    return lock


def _upgrade(connection: Connection, cfg: Config, revision: str) -> None:
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


async def upgrade_database(url_or_engine: str | AsyncEngine, revision: str = "head") -> None:
    """Create or upgrade the schema to the latest Alembic revision (idempotent).

    Safe to call from inside a running event loop (the server's start-up) and from the CLI.
    Concurrent upgrades (several processes starting at once) are serialized: by SQLite's write
    lock, or on PostgreSQL by an advisory lock taken in the migration environment.

    Args:
        url_or_engine: a database URL (an engine is created and disposed of) or an engine.
        revision: the target revision, ``head`` by default.
    """
    if isinstance(url_or_engine, str):
        engine = create_db_engine(url_or_engine)
        try:
            await upgrade_database(engine, revision)
        finally:
            await engine.dispose()
        return
    cfg = alembic_config()
    # Alembic's ``context`` is process-global: two runs in this process (even on different
    # databases) must never interleave, hence the in-process lock. Then the database's lock,
    # taken before Alembic runs, makes a concurrent upgrade by another process wait and find
    # the work done. SQLite: BEGIN IMMEDIATE; PostgreSQL: the advisory lock env.py also takes
    # (advisory locks are re-entrant within a session).
    async with (
        _alembic_lock(),
        url_or_engine.execution_options(**WRITE_TRANSACTION).begin() as conn,
    ):
        if conn.dialect.name == "postgresql":
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        await conn.run_sync(_upgrade, cfg, revision)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def database_revision(engine: AsyncEngine) -> str | None:
    """The Alembic revision the database is at.

    Args:
        engine: the database engine.

    Returns:
        The revision id, or None for a database that was never migrated.
    """
    async with engine.connect() as conn:
        return await conn.run_sync(_current_revision)
