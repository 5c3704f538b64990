"""Players, turns and movement: spawn, turn regeneration, moves, autopilot, scans, routes."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlane.domain import errors
from starlane.domain.codec import copy_state
from starlane.domain.commands import Autopilot, Command, Move, Scan, SpawnPlayer
from starlane.domain.data import DEFAULT_RULES, ESCAPE_POD, Hazard, Membership, RegionKind
from starlane.domain.events import PlayerMoved, PlayerSpawned, SectorsScanned
from starlane.domain.model import GateLink, Player, RegionState, Sector, Ship
from starlane.domain.movement import (
    current_turns,
    move_cost,
    next_turn_at,
    plan_galaxy_route,
    plan_route,
    warp_cost,
)
from starlane.domain.rules import decide
from tests.domain.conftest import T0, build_region, place, run

DAY = 86_400.0
PER_TURN = DAY / DEFAULT_RULES.turns_per_day


def _refused(state: RegionState, cmd: Command, now: float = T0) -> errors.DomainError:
    before = copy_state(state)
    with pytest.raises(errors.DomainError) as exc:
        decide(state, cmd, now, random.Random(0))
    assert state == before  # a refusal changes nothing
    return exc.value


# --- spawn ------------------------------------------------------------------------------------
def test_spawn_at_sol_with_starting_kit(region: RegionState) -> None:
    (e,) = run(region, SpawnPlayer(7, "ada", Membership.CITIZEN))
    assert isinstance(e, PlayerSpawned)
    p = region.players[7]
    assert (p.sector_id, p.credits, p.turns, p.turns_at) == (1, 10_000, 1_000, T0)
    assert p.ship.type == "light_freighter" and p.ship.holds == 500 and p.ship.cargo == {}
    assert p.membership == Membership.CITIZEN and p.explored == {1} and p.name == "ada"


def test_spawn_refusals(world: RegionState) -> None:
    assert _refused(world, SpawnPlayer(7, "again")).code == "player_exists"
    other = build_region(RegionKind.PLAYER, region_id=3, first_sector_id=301)
    assert _refused(other, SpawnPlayer(9, "x")).code == "invalid_command"


def test_suspended_region_refuses_all_but_leaving(world: RegionState) -> None:
    world.region.active = False
    err = _refused(world, SpawnPlayer(9, "x"))
    assert err.code == "region_suspended" and err.kind == "forbidden"
    # players inside may leave (issue 19): warps, autopilot and scans are still decided
    assert run(world, Move(7, 2))[0].type == "player_moved"


def test_unknown_command_type(world: RegionState) -> None:
    assert _refused(world, Command(7)).code == "invalid_command"


# --- turns ------------------------------------------------------------------------------------
def _player(turns: int, turns_at: float = T0) -> Player:
    return Player(7, "p", 1, 1, 0, turns, turns_at, Ship.new("scout", "s"))


def test_turns_regenerate_1000_per_day_with_cap() -> None:
    r = DEFAULT_RULES
    assert current_turns(_player(100), T0, r) == (100, T0)
    assert current_turns(_player(100), T0 + DAY / 2, r) == (600, pytest.approx(T0 + DAY / 2))
    assert current_turns(_player(100), T0 + 3 * DAY, r) == (2_000, T0 + 3 * DAY)
    assert current_turns(_player(2_000), T0 + 10, r) == (2_000, T0 + 10)
    assert current_turns(_player(100), T0 - 50, r) == (100, T0)  # clock behind: no change


def test_turn_fraction_is_kept() -> None:
    r = DEFAULT_RULES
    turns, at = current_turns(_player(0), T0 + 1.5 * PER_TURN, r)
    assert turns == 1 and at == pytest.approx(T0 + PER_TURN)
    p = _player(turns, at)
    turns2, _ = current_turns(p, T0 + 2.0 * PER_TURN + 0.01, r)
    assert turns2 == 2  # the half turn earned before was not lost
    assert next_turn_at(_player(0), T0 + 10, r) == pytest.approx(T0 + PER_TURN)
    assert next_turn_at(_player(2_000), T0, r) is None


@given(turns=st.integers(0, 2_000), dts=st.lists(st.floats(0, 3 * DAY), max_size=6))
def test_turns_never_decrease_and_stay_capped(turns: int, dts: list[float]) -> None:
    p = _player(turns)
    now = T0
    last = turns
    for dt in dts:
        now += dt
        p.turns, p.turns_at = current_turns(p, now, DEFAULT_RULES)
        assert last <= p.turns <= max(turns, DEFAULT_RULES.max_turns)
        assert p.turns_at <= now
        last = p.turns
    # lazily applied in steps or at once gives the same turns (within one boundary turn)
    once, _ = current_turns(_player(turns), now, DEFAULT_RULES)
    assert abs(once - p.turns) <= 1


# --- moves ------------------------------------------------------------------------------------
def test_move_costs_and_discovery(world: RegionState) -> None:
    (e,) = run(world, Move(7, 2))
    assert isinstance(e, PlayerMoved)
    assert (e.from_sector_id, e.sector_id, e.turns_spent, e.turns_left) == (1, 2, 1, 999)
    assert e.first_visit
    (e,) = run(world, Move(7, 4))  # into a nebula: 1 + 1
    assert isinstance(e, PlayerMoved) and e.turns_spent == 2
    (e,) = run(world, Move(7, 2))  # out of it: also 2
    assert isinstance(e, PlayerMoved) and e.turns_spent == 2 and not e.first_visit
    p = world.players[7]
    assert p.sector_id == 2 and p.turns == 995 and p.explored == {1, 2, 4}


def test_move_cost_scales_with_ship_move_turns(world: RegionState) -> None:
    world.players[7].ship = Ship.new(ESCAPE_POD, "pod")
    assert move_cost(world.players[7].ship, warp_cost(world, 2, 4)) == 4
    place(world, 7, 2)
    (e,) = run(world, Move(7, 4))
    assert isinstance(e, PlayerMoved) and e.turns_spent == 4


def test_move_refusals(world: RegionState) -> None:
    assert _refused(world, Move(99, 2)).code == "unknown_player"
    assert _refused(world, Move(7, 1)).code == "already_there"
    assert _refused(world, Move(7, 77)).code == "unknown_sector"
    err = _refused(world, Move(7, 5))
    assert err.code == "not_adjacent" and err.kind == "conflict"
    world.players[7].turns = 0
    err = _refused(world, Move(7, 2))
    assert err.code == "insufficient_turns" and err.context == {"needed": 1, "available": 0}


def test_move_uses_regenerated_turns(world: RegionState) -> None:
    world.players[7].turns = 0
    (e,) = run(world, Move(7, 2), T0 + 2 * PER_TURN)
    assert isinstance(e, PlayerMoved) and e.turns_left == 1


def test_one_way_warp_is_respected(world: RegionState) -> None:
    place(world, 7, 8)
    run(world, Move(7, 12))
    assert _refused(world, Move(7, 8)).code == "not_adjacent"
    assert warp_cost(world, 8, 12) == 1


def test_warp_cost_unknown_sector(world: RegionState) -> None:
    with pytest.raises(errors.UnknownSectorError):
        warp_cost(world, 1, 500)


# --- autopilot --------------------------------------------------------------------------------
def test_autopilot_one_event_per_warp_along_cheapest_path(world: RegionState) -> None:
    events = run(world, Autopilot(7, 10))
    # 1-2-4-7-10 costs 1+2+2+1 = 6 through the nebula; 1-3-6-9-10 costs 4
    assert [e.sector_id for e in events if isinstance(e, PlayerMoved)] == [3, 6, 9, 10]
    assert world.players[7].sector_id == 10 and world.players[7].turns == 996
    assert [e.turns_left for e in events if isinstance(e, PlayerMoved)] == [999, 998, 997, 996]
    assert world.players[7].explored >= {3, 6, 9, 10}


def test_autopilot_refused_up_front(world: RegionState) -> None:
    world.players[7].turns = 3
    err = _refused(world, Autopilot(7, 10))
    assert err.code == "insufficient_turns" and err.context["needed"] == 4
    assert _refused(world, Autopilot(7, 1)).code == "already_there"
    assert _refused(world, Autopilot(7, 99)).code == "unknown_sector"
    world.sectors[13] = Sector(13, 1, 13, 0.0, 0.0, 0.0, 0, warps=[1])  # nothing leads in
    err = _refused(world, Autopilot(7, 13))
    assert err.code == "no_route" and err.kind == "not_found"


def test_autopilot_follows_one_way_warp(world: RegionState) -> None:
    place(world, 7, 5)
    events = run(world, Autopilot(7, 12))
    assert [e.sector_id for e in events if isinstance(e, PlayerMoved)] == [8, 12]
    route = plan_route(world, 12, 5, 1)
    assert route.path == (12, 11, 8, 5) and route.turns == 3


# --- scan -------------------------------------------------------------------------------------
def test_scan_discovers_neighbours(world: RegionState) -> None:
    (e,) = run(world, Scan(7))
    assert isinstance(e, SectorsScanned) and e.discovered == (2, 3)
    assert world.players[7].explored == {1, 2, 3}
    assert world.players[7].turns == 1_000  # scanning is free
    (e,) = run(world, Scan(7))
    assert isinstance(e, SectorsScanned) and e.discovered == ()
    assert _refused(world, Scan(99)).code == "unknown_player"


# --- route planning ---------------------------------------------------------------------------
def _random_region(n: int, edges: list[tuple[int, int]], hazards: set[int]) -> RegionState:
    state = build_region()
    state.sectors = {
        i: Sector(i, 1, i, 0.0, 0.0, 0.0, 0, Hazard.NEBULA if i in hazards else None)
        for i in range(1, n + 1)
    }
    for a, b in edges:
        if a != b and b not in state.sectors[a].warps:
            state.sectors[a].warps.append(b)
    return state


def _brute_force(state: RegionState, a: int, b: int, move_turns: int) -> int | None:
    best: int | None = None
    others = [s for s in state.sectors if s not in (a, b)]
    for k in range(len(others) + 1):
        for middle in itertools.permutations(others, k):
            path = (a, *middle, b)
            if all(y in state.sectors[x].warps for x, y in itertools.pairwise(path)):
                cost = sum(move_turns * warp_cost(state, x, y) for x, y in itertools.pairwise(path))
                best = cost if best is None else min(best, cost)
    return best


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(2, 6),
    data=st.data(),
    move_turns=st.integers(1, 3),
)
def test_plan_route_is_optimal_against_brute_force(
    n: int, data: st.DataObject, move_turns: int
) -> None:
    sid = st.integers(1, n)
    edges = data.draw(st.lists(st.tuples(sid, sid), max_size=3 * n))
    hazards = set(data.draw(st.lists(sid, max_size=n)))
    a, b = data.draw(sid), data.draw(sid)
    state = _random_region(n, edges, hazards)
    expected = _brute_force(state, a, b, move_turns) if a != b else 0
    if expected is None:
        with pytest.raises(errors.NoRouteError):
            plan_route(state, a, b, move_turns)
        return
    route = plan_route(state, a, b, move_turns)
    assert route.turns == expected
    assert route.path[0] == a and route.path[-1] == b
    assert all(y in state.sectors[x].warps for x, y in itertools.pairwise(route.path))
    assert route.turns == sum(
        move_turns * warp_cost(state, x, y) for x, y in itertools.pairwise(route.path)
    )


def test_plan_galaxy_route_takes_gates() -> None:
    terran = build_region()
    other = build_region(RegionKind.PLAYER, region_id=3, first_sector_id=301)
    terran.sectors[12].gate = GateLink(3, 301)
    route = plan_galaxy_route({1: terran, 3: other}, 1, 303, 1, DEFAULT_RULES.gate_turns)
    assert route.gates == (12,)
    assert route.path[0] == 1 and route.path[-1] == 303
    i = route.path.index(12)
    assert route.path[i + 1] == 301
    # 1-2-5-8-12 (via the one-way warp) costs 4, the gate 3, the warp 301-303 costs 1
    assert route.turns == 4 + 3 + 1
    with pytest.raises(errors.NoRouteError):
        plan_galaxy_route({1: terran, 3: other}, 303, 1, 1, 3)
    with pytest.raises(errors.UnknownSectorError):
        plan_galaxy_route({1: terran}, 1, 303, 1, 3)
    assert plan_route(terran, 1, 12, 1).turns == 4
