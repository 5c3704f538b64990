"""Fixtures of the engine tests: an event store on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from starlane.store.db import create_db_engine, upgrade_database
from starlane.store.eventstore import EventStore
from tests.conftest import postgres_unavailable_reason


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database URL: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'starlane.db'}"
    # probe outside the event loop (the shared probe uses asyncio.run), then skip or create
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    return request.getfixturevalue("postgres_url")


@pytest.fixture
async def db_engine(db_url: str) -> AsyncIterator[object]:
    """A migrated async engine."""
    engine = create_db_engine(db_url)
    await upgrade_database(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def store(db_engine: object) -> EventStore:
    """An event store on a fresh database."""
    return EventStore(db_engine)  # type: ignore[arg-type]
