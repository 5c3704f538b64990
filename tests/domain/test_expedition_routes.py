"""Routes from several sectors to several (the expedition planner's legs) cost what the
autopilot's single routes cost, and are paths a ship can fly."""

from __future__ import annotations

import itertools
import random

import pytest

from starlane.domain.errors import UnknownSectorError
from starlane.domain.galaxy import generate_galaxy
from starlane.domain.model import Galaxy
from starlane.domain.routes import plan_galaxy_route, plan_galaxy_routes, warp_cost


@pytest.fixture(scope="module")
def galaxy() -> Galaxy:
    return generate_galaxy(7, nexus_sectors=2_000, player_region_sizes=(100, 150))


def _flyable(galaxy: Galaxy, path: tuple[int, ...], gates: tuple[int, ...], move_turns: int) -> int:
    sectors = {sid: s for st in galaxy.regions.values() for sid, s in st.sectors.items()}
    turns = 0
    for a, b in itertools.pairwise(path):
        sa = sectors[a]
        if b in sa.warps:
            turns += move_turns * warp_cost(galaxy.regions[sa.region_id], a, b)
        else:
            assert sa.gate is not None and sa.gate.to_sector_id == b and a in gates
            turns += 3
    return turns


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_several_routes_cost_what_single_routes_cost(galaxy: Galaxy, seed: int) -> None:
    rng = random.Random(seed)
    every = sorted(s for st in galaxy.regions.values() for s in st.sectors)
    picks = rng.sample(every, 7)
    starts, goals = picks[:3], picks[2:]
    move_turns = rng.choice([1, 2])
    found = plan_galaxy_routes(galaxy.regions, starts, goals, move_turns, 3)
    for start in starts:
        for goal in goals:
            if goal == start:
                assert (start, goal) not in found
                continue
            single = plan_galaxy_route(galaxy.regions, start, goal, move_turns, 3)
            route = found[(start, goal)]
            assert route.turns == single.turns, (start, goal)
            assert route.path[0] == start and route.path[-1] == goal
            assert _flyable(galaxy, route.path, route.gates, move_turns) == route.turns


def test_an_unknown_sector_is_refused(galaxy: Galaxy) -> None:
    with pytest.raises(UnknownSectorError):
        plan_galaxy_routes(galaxy.regions, [1], [10**7], 1, 3)
