"""The projector: projections without a bus (polling the store), in a process of their own."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import create_async_engine

from starlane.api.metrics import Metrics
from starlane.bus import Bus
from starlane.config import Settings
from starlane.projections import ActivityProjection, PlayerViewProjection, ProjectionRunner
from starlane.projections.worker import ProjectorProcess, default_projections, run_projector
from starlane.store.db import create_db_engine, upgrade_database
from starlane.store.eventstore import EventStore
from starlane.store.schema import activity, player_view
from tests.projections.test_projections import count, play, start_galaxy


async def test_a_runner_without_a_bus_polls_the_store(store, db_engine) -> None:
    service = await start_galaxy(store, Bus())
    first = await play(service, 7)  # before the runner starts: caught up on start
    runner = ProjectionRunner(
        db_engine, store, None, [PlayerViewProjection(), ActivityProjection()], poll_seconds=0.01
    )
    await runner.start()
    try:
        assert runner.position >= first
        last = await play(service, 8)  # after: found by polling
        await runner.wait_until(last, timeout=10)
        assert await count(db_engine, player_view) == 2
        assert await count(db_engine, activity) == last
    finally:
        await runner.stop()
        await service.stop()


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(
        data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'game.db'}", **overrides
    )


async def _game(tmp_path: Path) -> tuple[object, object, int]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'game.db'}")
    await upgrade_database(engine)
    store = EventStore(engine)
    service = await start_galaxy(store, Bus())
    last = await play(service, 7)
    return engine, service, last


async def _activity_rows(url: str) -> int:
    """Rows of the read database's activity table (-1 while it is not created yet)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(activity))).scalar_one()
            )
    except OperationalError:
        return -1
    finally:
        await engine.dispose()


async def test_run_projector_writes_the_read_database_and_stops(tmp_path: Path) -> None:
    engine, service, last = await _game(tmp_path)
    settings = _settings(tmp_path)
    stop = asyncio.Event()
    task = asyncio.create_task(run_projector(settings, stop=stop))
    read_url = settings.resolved_read_database_url()
    assert read_url.endswith("game-read.db")
    try:
        for _ in range(100):
            if (tmp_path / "game-read.db").exists() and await _activity_rows(read_url) >= last:
                break
            await asyncio.sleep(0.05)
        assert await _activity_rows(read_url) == last
        # nothing was written to the event store's file
        async with engine.connect() as conn:
            assert (
                await conn.execute(select(func.count()).select_from(activity))
            ).scalar_one() == 0
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await service.stop()
        await engine.dispose()


async def test_run_projector_stops_when_its_parent_is_gone(tmp_path: Path) -> None:
    engine, service, _ = await _game(tmp_path)
    try:
        not_my_parent = os.getppid() + 1_000_000
        await asyncio.wait_for(run_projector(_settings(tmp_path), parent_pid=not_my_parent), 10)
    finally:
        await service.stop()
        await engine.dispose()


async def test_run_projector_without_an_event_store_fails(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="events"):
        await asyncio.wait_for(run_projector(_settings(tmp_path), stop=asyncio.Event()), 10)


def test_default_projections_are_fresh_instances() -> None:
    a, b = default_projections(), default_projections()
    assert [p.name for p in a] == ["player_view", "activity", "region_hourly"]
    assert all(x is not y for x, y in zip(a, b, strict=True))


async def test_projector_process_runs_restarts_and_stops(tmp_path: Path) -> None:
    """The child the server starts: it projects, is restarted after a crash, and is gone
    after stop()."""
    engine, service, last = await _game(tmp_path)
    settings = _settings(tmp_path, log_level="warning")
    process = ProjectorProcess(settings, restart_seconds=0.1)
    read_url = settings.resolved_read_database_url()
    await process.start()
    try:
        for _ in range(200):
            if (tmp_path / "game-read.db").exists() and await _activity_rows(read_url) >= last:
                break
            await asyncio.sleep(0.05)
        assert await _activity_rows(read_url) == last
        assert process.running
        text = Metrics(dict, lambda: process).render().decode()
        assert "starlane_projector_running 1.0" in text
        assert "starlane_projector_starts_total 1.0" in text
        first_pid = process.pid
        assert first_pid is not None
        os.kill(first_pid, 9)  # a crash: restarted
        for _ in range(100):
            if process.pid not in (None, first_pid):
                break
            await asyncio.sleep(0.05)
        assert process.starts == 2 and process.pid != first_pid
    finally:
        pid = process.pid
        await process.stop()
        await service.stop()
        await engine.dispose()
    assert pid is not None and not process.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    text = Metrics(dict, lambda: process).render().decode()
    assert "starlane_projector_running 0.0" in text
    assert "starlane_projector_starts_total 2.0" in text
