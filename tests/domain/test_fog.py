"""Fog of war, as properties: a player sees their sector and the sectors they discovered,
never another's contents; admins see everything; a region map lists exactly what may be seen.

Every read is checked, not just the rule: sectors, ports, quotes, scans and map pages.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from starlane.domain.data import Side
from starlane.domain.errors import DomainError
from starlane.domain.model import Player, RegionState
from starlane.domain.reads import (
    can_see_sector,
    port_view,
    quote_view,
    region_map_page,
    scan_neighbours,
    sector_view,
    visible_sector_ids,
)
from tests.domain.conftest import T0, build_region, place, spawn

OTHER_FIRST = 13  #: the second fixture region holds sectors 13-24
ALL_IDS = range(1, 30)  #: both regions' sectors and ids that are in neither

sector_ids = st.integers(min_value=1, max_value=29)


def _world(explored: set[int], current: int) -> tuple[RegionState, Player]:
    """The fixture region with player 7 in ``current`` having discovered exactly ``explored``."""
    state = build_region()
    spawn(state, 7)
    player = state.players[7]
    player.explored = set(explored)
    place(state, 7, current)
    return state, player


def _visible(state: RegionState, player: Player | None, sector_id: int, admin: bool) -> bool:
    return sector_view(state, sector_id, player, admin=admin, now=T0) is not None


@given(explored=st.sets(sector_ids), current=st.integers(1, 12))
def test_a_player_sees_exactly_their_sector_and_what_they_discovered(
    explored: set[int], current: int
) -> None:
    state, player = _world(explored, current)
    for sid in ALL_IDS:
        allowed = sid in state.sectors and (sid == current or sid in explored)
        assert can_see_sector(player, sid, admin=False) == (sid == current or sid in explored)
        assert _visible(state, player, sid, admin=False) == allowed, sid
        has_port = sid in state.ports
        port = port_view(state, sid, player, admin=False, now=T0)
        assert (port is not None) == (allowed and has_port), sid


@given(explored=st.sets(sector_ids), current=st.integers(1, 12), target=st.integers(1, 12))
def test_a_quote_needs_the_port_in_sight(explored: set[int], current: int, target: int) -> None:
    state, player = _world(explored, current)
    commodity = next(iter(state.ports[target].stock), "ore") if target in state.ports else "ore"
    try:
        q = quote_view(
            state,
            target,
            player,
            admin=False,
            commodity=commodity,
            side=Side.BUY,
            quantity=1,
            now=T0,
        )
    except DomainError:
        # the rules speak only about a port the player may see
        assert target == current or target in explored
        return
    assert (q is not None) == (target == current or target in explored)


@given(explored=st.sets(sector_ids), current=st.integers(1, 12))
def test_discovered_flags_and_scans_follow_the_explored_set(
    explored: set[int], current: int
) -> None:
    state, player = _world(explored, current)
    here = sector_view(state, current, player, admin=False, now=T0)
    assert here is not None
    assert {w["to_sector_id"]: w["discovered"] for w in here["warps"]} == {
        w: w in explored for w in state.sectors[current].warps
    }
    assert [v["id"] for v in scan_neighbours(state, player, T0)] == [
        w for w in state.sectors[current].warps if w in explored
    ]


@given(explored=st.sets(sector_ids), current=st.integers(1, 12))
def test_admins_see_every_sector(explored: set[int], current: int) -> None:
    state, player = _world(explored, current)
    for viewer in (None, player):
        for sid in ALL_IDS:
            assert _visible(state, viewer, sid, admin=True) == (sid in state.sectors)
            assert can_see_sector(viewer, sid, admin=True)
        assert visible_sector_ids(state, viewer, admin=True) == sorted(state.sectors)


def test_no_player_no_admin_sees_nothing() -> None:
    state = build_region()
    assert not any(_visible(state, None, sid, admin=False) for sid in ALL_IDS)
    assert visible_sector_ids(state, None, admin=False) == []
    page = region_map_page(state, None, admin=False, after=0, limit=500)
    assert page["items"] == [] and page["total_visible"] == 0


@given(
    explored=st.sets(sector_ids),
    current=st.integers(1, 24),
    limit=st.integers(1, 13),
)
def test_the_region_map_lists_exactly_explored_and_current(
    explored: set[int], current: int, limit: int
) -> None:
    # two regions: the player is in one of them and has discovered sectors of both (and ids
    # that exist in neither); each region's map lists only its own sectors
    here = build_region()
    there = build_region(region_id=2, first_sector_id=OTHER_FIRST)
    state = here if current <= 12 else there
    if state is here:
        spawn(state, 7)
        place(state, 7, current)
    else:
        _spawn_elsewhere(state, current)
    player = state.players[7]
    player.explored = set(explored)
    for region in (here, there):
        expected = sorted(sid for sid in explored | {current} if sid in region.sectors)
        assert visible_sector_ids(region, player, admin=False) == expected
        listed: list[int] = []
        after = 0
        while True:
            page = region_map_page(region, player, admin=False, after=after, limit=limit)
            assert page["total_visible"] == len(expected)
            assert page["region_id"] == region.region.id
            assert len(page["items"]) <= limit
            listed.extend(s["id"] for s in page["items"])
            if page["next_after"] is None:
                break
            after = page["next_after"]
        assert listed == expected


def _spawn_elsewhere(state: RegionState, sector_id: int) -> None:
    """Put player 7 straight into a sector of a region without a Sol (test set-up only)."""
    sol = build_region()
    spawn(sol, 7)
    player = sol.players[7]
    player.region_id = state.region.id
    player.sector_id = sector_id
    state.players[7] = player
    state.player_placed(player, None)
