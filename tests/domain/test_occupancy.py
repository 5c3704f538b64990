"""The players-by-sector and pirates-by-sector indexes of a region state."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from starlane.domain.codec import copy_state
from starlane.domain.commands import Move
from starlane.domain.errors import DomainError
from starlane.domain.model import RegionState
from starlane.domain.rules import decide, evolve
from tests.domain.conftest import PIRATE_ID, PIRATE_SECTOR, T0, build_region, place, spawn


def _scan(state: RegionState, sector_id: int) -> list[int]:
    return sorted(p.id for p in state.players.values() if p.sector_id == sector_id)


def test_players_in_follows_spawns_and_moves(world: RegionState) -> None:
    assert [p.id for p in world.players_in(1)] == [7]
    spawn(world, 8)
    assert [p.id for p in world.players_in(1)] == [7, 8]
    for e in decide(world, Move(7, 2), T0, random.Random(0)):
        evolve(world, e)
    assert [p.id for p in world.players_in(1)] == [8]
    assert [p.id for p in world.players_in(2)] == [7]
    assert world.players_in(12) == []


def test_pirates_in_lists_the_sector_pirates(world: RegionState) -> None:
    assert [p.id for p in world.pirates_in(PIRATE_SECTOR)] == [PIRATE_ID]
    assert world.pirates_in(1) == []


def test_index_is_not_state(world: RegionState) -> None:
    before = copy_state(world)
    world.players_in(1)  # builds the index
    assert world == before  # equality ignores the derived index
    assert [p.id for p in copy_state(world).players_in(1)] == [7]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.integers(1, 12), st.booleans()), min_size=1, max_size=60
    )
)
def test_index_matches_a_full_scan(steps: list[tuple[int, int, bool]]) -> None:
    """Whatever mix of spawns, moves (accepted or refused) and reads happens, the index
    answers exactly what scanning every player would."""
    state = build_region()
    spawned: set[int] = set()
    for pid, to, read in steps:
        if pid not in spawned:
            spawn(state, pid)
            spawned.add(pid)
        try:
            events = decide(state, Move(pid, to), T0, random.Random(pid))
        except DomainError:
            events = []
        for e in events:
            evolve(state, e)
        if read:
            for sector_id in state.sectors:
                assert [p.id for p in state.players_in(sector_id)] == _scan(state, sector_id)
    for sector_id in state.sectors:
        assert [p.id for p in state.players_in(sector_id)] == _scan(state, sector_id)
        assert [p.id for p in copy_state(state).players_in(sector_id)] == _scan(state, sector_id)


def test_place_helper_keeps_the_index(world: RegionState) -> None:
    world.players_in(1)
    place(world, 7, 9)
    assert world.players_in(1) == [] and [p.id for p in world.players_in(9)] == [7]
