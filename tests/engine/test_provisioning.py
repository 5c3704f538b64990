"""Provisioning a region into a running galaxy, and a crash at every step of it.

"A crash during provisioning leaves either the whole region or nothing": after a failure at
each step, a restart on the same store gives a consistent galaxy (every catalogued region runs
and has its Nexus terminal, every terminal leads to a catalogued region), the region exists
exactly when the Nexus recorded its terminal, the next provisioning succeeds (an orphan's id is
taken again), and a player crosses into the region. On SQLite and PostgreSQL; one variant kills
a worker process with SIGKILL.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from starlane.bus import Bus
from starlane.domain.codec import encode_state
from starlane.domain.commands import Autopilot, Move, SpawnPlayer
from starlane.domain.data import DEFAULT_RULES
from starlane.domain.galaxy import generate_galaxy
from starlane.domain.model import NEXUS_REGION_ID, RegionState
from starlane.domain.provisioning import NotACitizenError, RegionNameTakenError
from starlane.domain.terminals import OpenGateTerminal
from starlane.engine.errors import EngineUnavailableError
from starlane.engine.router import GalaxyService
from starlane.store.catalogue import RegionRow
from starlane.store.db import create_db_engine, upgrade_database
from starlane.store.eventstore import EventStore

RULES = dataclasses.replace(DEFAULT_RULES, start_turns=5_000)
STEPS = ("generated", "snapshot_saved", "terminal_opened", "catalogued", "started")
COMMITTED = {"terminal_opened", "catalogued", "started"}  # past the commit point


class Crash(Exception):
    """Stands for the process dying at a step."""


@functools.cache
def _galaxy() -> tuple[tuple[int, bytes, RegionRow], ...]:
    """Terran Space and a 2,000-sector Nexus, generated once per test session."""
    galaxy = generate_galaxy(7, nexus_sectors=2_000, player_region_sizes=())
    out = []
    for rid, state in sorted(galaxy.regions.items()):
        region = state.region
        row = RegionRow(
            rid,
            str(region.kind),
            region.name,
            region.seed,
            region.sector_count,
            region.first_sector_id,
            0.0,
        )
        out.append((rid, encode_state(state), row))
    return tuple(out)


async def make_galaxy(store: EventStore) -> None:
    """Store the test galaxy unless the store holds one (as a first start would)."""
    if await store.list_regions():
        return
    for rid, data, _ in _galaxy():
        await store.save_snapshot(rid, 0, data)
    await store.add_regions([row for _, _, row in _galaxy()])


async def started(store: EventStore) -> GalaxyService:
    galaxy = GalaxyService(store, Bus(), rules=RULES, rng_seed=1, clock=lambda: 1_000.0)
    await galaxy.start()
    return galaxy


async def crash(galaxy: GalaxyService) -> None:
    """Stop the engines the way a dead process leaves them: no final snapshot."""
    await galaxy.saga.drain()
    for engine in galaxy.engines.values():
        await engine.stop(snapshot=False)


async def provision(galaxy: GalaxyService, owner: int, name: str, size: int = 100):
    return await galaxy.provisioning.provision(owner, name, "", size, is_citizen=True, limit=1)


async def assert_consistent(galaxy: GalaxyService, store: EventStore) -> set[int]:
    """Check the galaxy's invariants; return the ids of the provisioned regions."""
    rows = {row.id: row for row in await store.list_regions() if row.status == "active"}
    assert set(rows) == set(galaxy.engines)
    nexus = galaxy.region_state(NEXUS_REGION_ID)
    terminals = {s.gate.to_region_id: s.id for s in nexus.sectors.values() if s.gate is not None}
    assert set(terminals) == set(rows) - {NEXUS_REGION_ID}
    for region_id, terminal in terminals.items():
        state = galaxy.region_state(region_id)
        gate_sectors = [s for s in state.sectors.values() if s.gate is not None]
        assert [(s.gate.to_region_id, s.gate.to_sector_id) for s in gate_sectors] == [
            (NEXUS_REGION_ID, terminal)
        ]
        assert nexus.sectors[terminal].gate.to_sector_id == gate_sectors[0].id
    spans = sorted(
        (s.region.first_sector_id, s.region.first_sector_id + s.region.sector_count)
        for s in galaxy.regions()
    )
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    return {rid for rid, row in rows.items() if row.owner_id is not None}


async def cross(galaxy: GalaxyService, player_id: int, region_id: int) -> None:
    """Spawn a player, fly them to the region's terminal and cross into the region."""
    await galaxy.execute(SpawnPlayer(player_id, f"p{player_id}"))
    nexus = galaxy.region_state(NEXUS_REGION_ID)
    terminal = next(
        s for s in nexus.sectors.values() if s.gate is not None and s.gate.to_region_id == region_id
    )
    await galaxy.execute(Autopilot(player_id, terminal.id))
    await galaxy.execute(Move(player_id, terminal.gate.to_sector_id))
    assert galaxy.directory.locate(player_id) == (region_id, terminal.gate.to_sector_id)


@pytest.mark.parametrize("step", STEPS)
async def test_a_crash_at_any_step_leaves_the_whole_region_or_nothing(
    store: EventStore, step: str
) -> None:
    await make_galaxy(store)
    first = await started(store)
    first_id = max(first.engines) + 1

    def fail(at: str, region_id: int) -> None:
        if at == step:
            raise Crash(at)

    first.provisioning.after_step = fail
    with pytest.raises(Crash):
        await provision(first, 41, "Vega Reach")
    await crash(first)

    second = await started(store)
    try:
        provisioned = await assert_consistent(second, store)
        assert provisioned == ({first_id} if step in COMMITTED else set())
        if step in COMMITTED:
            region = second.region_state(first_id).region
            assert (region.name, region.governor_id) == ("Vega Reach", 41)
            row = await store.get_region(first_id)
            assert row is not None and row.owner_id == 41
            with pytest.raises(RegionNameTakenError):
                await provision(second, 42, "VEGA reach")
        # the next provisioning succeeds; before the commit point it takes the orphan's id
        made = await provision(second, 42, "Altair Drift")
        assert made.region_id == (first_id + 1 if step in COMMITTED else first_id)
        provisioned = await assert_consistent(second, store)
        assert made.region_id in provisioned
        await cross(second, 1_001, made.region_id)
        if step in COMMITTED:
            await cross(second, 1_002, first_id)
    finally:
        await second.stop()


async def test_a_failure_past_the_commit_point_is_finished_without_a_restart(
    store: EventStore,
) -> None:
    await make_galaxy(store)
    galaxy = await started(store)
    try:

        def fail(at: str, region_id: int) -> None:
            if at == "terminal_opened":
                raise Crash(at)

        galaxy.provisioning.after_step = fail
        with pytest.raises(Crash):
            await provision(galaxy, 41, "Vega Reach")
        galaxy.provisioning.after_step = None
        pending = max(galaxy.engines) + 1
        # the next request finishes it first, then takes the next id
        made = await provision(galaxy, 42, "Altair Drift")
        assert made.region_id == pending + 1
        assert await assert_consistent(galaxy, store) == {pending, pending + 1}
        await cross(galaxy, 1_001, pending)
    finally:
        await galaxy.stop()


async def test_a_terminal_leading_to_no_region_is_closed_at_start(store: EventStore) -> None:
    await make_galaxy(store)
    galaxy = await started(store)
    ghost = max(galaxy.engines) + 5
    nexus = galaxy.region_state(NEXUS_REGION_ID)
    free = next(
        s.id for s in nexus.sectors.values() if s.district == "transit_authority" and s.gate is None
    )
    await galaxy.execute_in(NEXUS_REGION_ID, OpenGateTerminal(0, free, ghost, 99_999, "Ghost"))
    await crash(galaxy)
    again = await started(store)
    try:
        assert await assert_consistent(again, store) == set()
        assert again.region_state(NEXUS_REGION_ID).sectors[free].gate is None
    finally:
        await again.stop()


async def test_the_rules_are_checked_before_anything_is_written(store: EventStore) -> None:
    await make_galaxy(store)
    galaxy = await started(store)
    try:
        before = await store.head_position()
        with pytest.raises(NotACitizenError):
            await galaxy.provisioning.provision(
                41, "Vega Reach", "", 100, is_citizen=False, limit=1
            )
        assert await store.head_position() == before
        assert await store.load_snapshot(max(galaxy.engines) + 1) is None
    finally:
        await galaxy.stop()


# --- a real crash: SIGKILL in the middle of provisioning ---------------------------------------
WORKER = """
import asyncio, os, signal, sys
from starlane.bus import Bus
from starlane.engine.errors import EngineUnavailableError
from starlane.engine.router import GalaxyService
from starlane.store.db import create_db_engine, upgrade_database
from starlane.store.eventstore import EventStore
from tests.engine.test_provisioning import RULES, make_galaxy

async def main(url, step):
    engine = create_db_engine(url)
    await upgrade_database(engine)
    store = EventStore(engine)
    await make_galaxy(store)
    galaxy = GalaxyService(store, Bus(), rules=RULES)
    await galaxy.start()
    def kill(at, region_id):
        if at == step:
            os.kill(os.getpid(), signal.SIGKILL)
    galaxy.provisioning.after_step = kill
    await galaxy.provisioning.provision(41, "Vega Reach", "", 500, is_citizen=True, limit=1)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


@pytest.mark.slow
async def test_sigkill_right_after_the_terminal_opened(tmp_path: Path) -> None:
    """The worker dies past the commit point; the restart finishes the region."""
    step = "terminal_opened"
    url = f"sqlite+aiosqlite:///{tmp_path / 'starlane.db'}"
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}"}
    done = subprocess.run(
        [sys.executable, "-c", WORKER, url, step], env=env, capture_output=True, timeout=120
    )
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    engine = create_db_engine(url)
    await upgrade_database(engine)
    store = EventStore(engine)
    galaxy = await started(store)
    try:
        provisioned = await assert_consistent(galaxy, store)
        assert len(provisioned) == 1
        made = await provision(galaxy, 42, "Altair Drift")
        await cross(galaxy, 1_001, made.region_id)
        for region_id in provisioned:
            await cross(galaxy, 1_002, region_id)
    finally:
        await galaxy.stop()
        store.close()
        await engine.dispose()


async def test_nothing_is_decided_while_the_nexus_engine_is_not_running(
    store: EventStore,
) -> None:
    await make_galaxy(store)
    galaxy = await started(store)
    try:
        await galaxy.engine(NEXUS_REGION_ID).stop()
        with pytest.raises(EngineUnavailableError):
            await provision(galaxy, 41, "Vega Reach")
        assert await store.load_snapshot(max(galaxy.engines) + 1) is None
    finally:
        await galaxy.stop()


async def test_a_terminal_taken_in_the_meantime_is_replaced_by_a_free_one(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlane.engine import provisioning as module

    await make_galaxy(store)
    galaxy = await started(store)
    try:
        nexus = galaxy.region_state(NEXUS_REGION_ID)
        taken = next(s.id for s in nexus.sectors.values() if s.gate is not None)
        picks: list[int] = []
        real = module.free_transit_terminal

        def pick(state: RegionState) -> int:  # the first pick is a terminal already in use
            picks.append(taken if not picks else real(state))
            return picks[-1]

        monkeypatch.setattr(module, "free_transit_terminal", pick)
        made = await provision(galaxy, 41, "Vega Reach")
        assert picks[0] == taken and made.terminal_sector_id == picks[1] != taken
        assert await assert_consistent(galaxy, store) == {made.region_id}
        await cross(galaxy, 1_001, made.region_id)
    finally:
        await galaxy.stop()
