"""GalaxyService and ensure_galaxy with the real rules and a real (small) generated galaxy."""

from __future__ import annotations

import pytest

from starlane.bus import Bus
from starlane.domain.commands import Move, SpawnPlayer
from starlane.domain.errors import PlayerExistsError
from starlane.domain.model import NEXUS_REGION_ID, TERRAN_REGION_ID
from starlane.engine.bootstrap import ensure_galaxy
from starlane.engine.errors import PlayerNotFoundError, UnknownRegionError
from starlane.engine.router import GalaxyService

NOW = 1_700_000_000.0


class FakeAccounts:
    def __init__(self) -> None:
        self.regions: dict[int, int | None] = {}

    async def set_region(self, account_id: int, region_id: int | None) -> bool:
        self.regions[account_id] = region_id
        return True


async def make_galaxy(store) -> list[tuple[str, int, int]]:
    steps: list[tuple[str, int, int]] = []
    created = await ensure_galaxy(
        store,
        seed=5,
        nexus_sectors=2000,
        player_regions=1,
        region_sectors=100,
        now=NOW,
        progress=lambda step, done, total: steps.append((step, done, total)),
    )
    assert created
    return steps


async def test_ensure_galaxy_creates_once(store):
    steps = await make_galaxy(store)
    assert steps and steps[-1][1] == steps[-1][2]
    rows = await store.list_regions()
    assert [r.id for r in rows] == [1, 2, 3]
    assert [r.sector_count for r in rows] == [300, 2000, 100]
    for r in rows:
        assert (await store.load_snapshot(r.id))[0] == 0
    again = await ensure_galaxy(
        store, seed=6, nexus_sectors=2000, player_regions=3, region_sectors=100, now=NOW
    )
    assert again is False
    assert len(await store.list_regions()) == 3


async def test_service_routes_commands_and_recovers(store):
    await make_galaxy(store)
    accounts = FakeAccounts()
    service = GalaxyService(store, Bus(), accounts=accounts, clock=lambda: NOW, rng_seed=1)
    await service.start()
    assert sorted(service.engines) == [1, 2, 3]
    assert [s.region_id for s in service.regions()] == [1, 2, 3]

    recorded = await service.execute(SpawnPlayer(7, "ada"))
    assert recorded[0].event.type == "player_spawned" and recorded[0].region_id == 1
    assert accounts.regions == {7: TERRAN_REGION_ID}
    assert service.locate(7) == TERRAN_REGION_ID
    player = service.player(7)
    assert player is not None and player.name == "ada"

    with pytest.raises(PlayerExistsError):
        await service.execute(SpawnPlayer(7, "ada"))
    with pytest.raises(PlayerNotFoundError) as info:
        await service.execute(Move(8, 2))
    assert info.value.code == "player_not_in_galaxy"
    assert service.locate(8) is None and service.player(8) is None
    with pytest.raises(UnknownRegionError) as unknown:
        service.region_state(99)
    assert unknown.value.code == "unknown_region"

    sol = service.region_state(TERRAN_REGION_ID).sectors[player.sector_id]
    moved = await service.execute(Move(7, sol.warps[0]))
    assert moved[0].event.sector_id == sol.warps[0]

    nexus = service.region_state(NEXUS_REGION_ID)
    target = nexus.region.first_sector_id + 10
    route = service.plan_route(7, target)
    assert route.path[0] == sol.warps[0] and route.path[-1] == target
    assert route.gates  # leaving Terran Space takes a gate
    with pytest.raises(PlayerNotFoundError):
        service.plan_route(8, target)

    live = {rid: e.state for rid, e in service.engines.items()}
    await service.stop()

    again = GalaxyService(store, Bus(), clock=lambda: NOW)
    await again.start()
    assert {rid: e.state for rid, e in again.engines.items()} == live
    assert again.player(7).sector_id == sol.warps[0]
    await again.stop()


async def test_spawn_of_a_player_already_in_another_region_is_refused(store):
    from starlane.domain.model import Player, Ship
    from tests.engine.fakes import bootstrap_regions, decide, evolve, small_region

    terran, other = small_region(1, 1), small_region(3, 2)
    other.players[7] = Player(7, "ada", 3, 2, 100, 10, 0.0, Ship.new("escape_pod", "Pod"))
    await bootstrap_regions(store, [terran, other])
    service = GalaxyService(store, Bus(), decide=decide, evolve=evolve)
    await service.start()
    assert service.locate(7) == 3
    with pytest.raises(PlayerExistsError) as info:
        await service.execute(SpawnPlayer(7, "ada"))
    assert info.value.code == "player_exists"
    assert await store.last_seq(1) == 0  # nothing written in Terran Space
    await service.stop()


async def test_sector_region_finds_the_region_of_every_sector(store):
    await make_galaxy(store)
    service = GalaxyService(store, Bus(), clock=lambda: NOW, rng_seed=1)
    await service.start()
    try:
        ranges = {
            rid: (e.state.region.first_sector_id, e.state.region.sector_count)
            for rid, e in service.engines.items()
        }
        for rid, (first, count) in ranges.items():
            for sector_id in (first, first + 1, first + count - 1):
                state = service.sector_region(sector_id)
                assert state is not None and state.region.id == rid
                assert sector_id in state.sectors
        last = max(first + count for first, count in ranges.values())
        assert service.sector_region(0) is None
        assert service.sector_region(-5) is None
        assert service.sector_region(last) is None
        # a region leaving the service (its engine gone) is no longer found
        first3 = ranges[3][0]
        engine3 = service.engines.pop(3)
        assert service.sector_region(first3) is None
        service.engines[3] = engine3
        assert service.sector_region(first3).region.id == 3
    finally:
        await service.stop()
