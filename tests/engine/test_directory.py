"""The player directory: kept by the engines, right when a command is answered, rebuilt on
recovery, read with one look-up."""

from __future__ import annotations

import asyncio

from starlane.bus import Bus
from starlane.domain.commands import Move, SpawnPlayer
from starlane.domain.events import PlayerMoved
from starlane.domain.model import Player, Ship
from starlane.engine.directory import PlayerDirectory
from starlane.engine.router import GalaxyService
from tests.engine.fakes import (
    ControlledStore,
    Deposit,
    bootstrap_regions,
    decide,
    evolve,
    small_region,
)
from tests.engine.test_router import NOW, make_galaxy


async def test_the_directory_follows_spawns_and_moves_as_each_command_is_answered(store):
    await make_galaxy(store)
    service = GalaxyService(store, Bus(), clock=lambda: NOW, rng_seed=1)
    await service.start()
    assert service.directory.locate(7) is None and service.locate(7) is None
    spawned = await service.execute(SpawnPlayer(7, "ada"))
    sol = spawned[0].event.sector_id
    assert service.directory.locate(7) == (1, sol)
    path = [sol]
    for step in range(4):  # a walk out of Sol, each step checked the moment it is answered
        warps = service.region_state(1).sectors[path[-1]].warps
        to = warps[step % len(warps)]
        recorded = await service.execute(Move(7, to))
        assert isinstance(recorded[0].event, PlayerMoved)
        assert service.directory.locate(7) == (1, to)
        path.append(to)
    assert service.player(7).sector_id == path[-1]
    await service.stop()

    # after a restart the directory is rebuilt from the recovered regions
    again = GalaxyService(store, Bus(), clock=lambda: NOW)
    await again.start()
    assert again.directory.locate(7) == (1, path[-1])
    assert len(again.directory) == 1 and again.locate(7) == 1
    await again.stop()


async def test_locate_and_player_do_not_scan_the_regions(store):
    terran, other = small_region(1, 1), small_region(3, 2)
    other.players[8] = Player(8, "bob", 3, 2, 100, 10, 0.0, Ship.new("escape_pod", "Pod"))
    await bootstrap_regions(store, [terran, other])
    service = GalaxyService(store, Bus(), decide=decide, evolve=evolve)
    await service.start()

    class NoScan(dict):  # engines the service may index by key but never walk
        def __iter__(self):
            raise AssertionError("the engines were scanned")

        def items(self):
            raise AssertionError("the engines were scanned")

        def values(self):
            raise AssertionError("the engines were scanned")

    engines = service.engines
    service.engines = NoScan(engines)
    try:
        assert service.locate(8) == 3 and service.directory.locate(8) == (3, 2)
        assert service.player(8).name == "bob"
        assert service.locate(99) is None and service.player(99) is None
    finally:
        service.engines = engines
    await service.stop()


async def test_a_failed_commit_leaves_the_directory_as_the_store_has_it(store):
    await bootstrap_regions(store, [small_region()])
    service = GalaxyService(store, Bus(), decide=decide, evolve=evolve)
    await service.start()
    engine = service.engines[1]
    controlled = ControlledStore(store)
    engine._store = controlled
    controlled.fail_next = 1
    try:
        await service.execute(SpawnPlayer(7, "ada"))  # decided (and placed), never stored
    except Exception as exc:
        assert getattr(exc, "code", None) == "engine_unavailable"
    for _ in range(200):
        if engine.status == "running":
            break
        await asyncio.sleep(0.01)
    assert engine.status == "running"
    assert service.directory.locate(7) is None  # the reload dropped the unstored spawn
    await service.execute(SpawnPlayer(7, "ada"))
    assert service.directory.locate(7) == (1, 1)
    await service.execute(Deposit(7, 5))  # an event about the player that does not move them
    assert service.directory.locate(7) == (1, 1)
    await service.stop()


def test_a_player_leaving_a_region_keeps_the_entry_of_the_region_they_arrived_in():
    directory = PlayerDirectory()
    source, destination = small_region(1, 1), small_region(3, 2)
    player = Player(7, "ada", 1, 1, 100, 10, 0.0, Ship.new("escape_pod", "Pod"))
    source.players[7] = player
    directory.load_region(source)
    assert directory.locate(7) == (1, 1)
    arrived = PlayerMoved(
        region_id=3,
        at=0.0,
        player_id=7,
        from_sector_id=1,
        sector_id=2,
        turns_spent=0,
        turns_left=10,
        turns_at=0.0,
        first_visit=True,
    )
    player.sector_id = 2
    destination.players[7] = player  # the arrival is applied first...
    directory.observe(destination, arrived)
    assert directory.locate(7) == (3, 2)
    del source.players[7]  # ...then the departure: the entry stays where the player is
    directory.observe(source, arrived)
    assert directory.locate(7) == (3, 2)
    del destination.players[7]
    directory.observe(destination, arrived)
    assert directory.locate(7) is None and 7 not in directory
