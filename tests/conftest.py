"""Shared test fixtures: PostgreSQL access for the tests that need a real server.

PostgreSQL tests use ``STARLANE_TEST_POSTGRES_URL`` (a server URL such as
``postgresql://postgres@127.0.0.1:5432/postgres``) or, when unset, a server reachable on
localhost:5432. Each test gets a database of its own, created before and dropped after. On a
machine with no reachable server those tests skip with the reason.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest

_DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def _admin_url() -> str:
    return os.environ.get("STARLANE_TEST_POSTGRES_URL", _DEFAULT_PG)


async def _probe(url: str) -> str | None:
    try:
        import asyncpg
    except ImportError:
        return "asyncpg is not installed (install the 'postgres' extra)"
    try:
        conn = await asyncpg.connect(url, timeout=3)
    except Exception as exc:  # any connection failure means: no server to test against
        return f"no PostgreSQL server at {url}: {exc.__class__.__name__}: {exc}"
    await conn.close()
    return None


_probe_result: dict[str, str | None] = {}


def postgres_unavailable_reason() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when a server answers.

    Call it only where no event loop is running (module level, sync fixtures); async code
    awaits :func:`postgres_unavailable_reason_async` instead.
    """
    url = _admin_url()
    if url not in _probe_result:
        _probe_result[url] = asyncio.run(_probe(url))
    return _probe_result[url]


async def postgres_unavailable_reason_async() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when a server answers (async form)."""
    url = _admin_url()
    if url not in _probe_result:
        _probe_result[url] = await _probe(url)
    return _probe_result[url]


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards.

    Yields:
        A ``postgresql+asyncpg://`` SQLAlchemy URL of the new database.
    """
    reason = await postgres_unavailable_reason_async()
    if reason:
        pytest.skip(reason)
    import asyncpg

    admin = _admin_url()
    name = f"starlane_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = admin.rsplit("/", 1)[0]
    url = f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield url
    finally:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
