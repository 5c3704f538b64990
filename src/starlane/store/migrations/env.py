"""Alembic environment of the Starlane schema, for SQLite (aiosqlite) and PostgreSQL (asyncpg).

Two ways in:

- Programmatic (the server, the tests): :func:`starlane.store.db.upgrade_database` passes an
  open synchronous connection in ``config.attributes["connection"]`` (from
  ``AsyncConnection.run_sync``), so the migrations run inside the caller's event loop.
- The ``alembic`` command line: the URL comes from ``-x url=...``, ``STARLANE_DATABASE_URL`` or
  the Starlane settings; an async engine is created and run with ``asyncio.run``.

On PostgreSQL an advisory lock serializes concurrent upgrades (several server processes
starting at once). SQLite migrations use batch mode so later revisions can alter tables.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from starlane.store.db import MIGRATION_LOCK_KEY, WRITE_TRANSACTION, create_db_engine
from starlane.store.schema import include_name, metadata

config = context.config
target_metadata = metadata


def _url() -> str:
    from starlane.config import load_settings, normalize_database_url

    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "STARLANE_DATABASE_URL"
    )
    if url:
        return normalize_database_url(url)
    return load_settings().resolved_database_url()


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )


def _run_migrations(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        context.run_migrations()


async def _run_async() -> None:
    engine = create_db_engine(_url())
    try:
        async with engine.execution_options(**WRITE_TRANSACTION).connect() as conn:
            await conn.run_sync(_run_migrations)
            await conn.commit()
    finally:
        await engine.dispose()


def _run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
elif (shared := config.attributes.get("connection")) is not None:
    _run_migrations(shared)
else:
    asyncio.run(_run_async())
