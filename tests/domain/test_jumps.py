"""Warp Jumper jumps and discovery, as pure rules: range, fuel, cooldown, refusals, bonus."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlane.domain.codec import copy_state, decode_event, encode_event
from starlane.domain.commands import Arrive, Move
from starlane.domain.data import Immigration, Membership, RegionKind
from starlane.domain.discovery import (
    RegionFirstVisited,
    bonus_pays,
    discoveries_of,
    scan,
)
from starlane.domain.errors import AlreadyThereError, DomainError, UnknownSectorError
from starlane.domain.jumps import (
    InsufficientFuelError,
    Jump,
    JumpCooldownError,
    JumpDeparted,
    NotAJumperError,
    OutOfJumpRangeError,
    PlayerJumped,
    jump_fuel,
)
from starlane.domain.model import RegionState, SectorDiscovery, Ship
from starlane.domain.rules import decide
from starlane.domain.travel import ARRIVED
from tests.domain.conftest import T0, build_region, place, run, spawn
from tests.domain.test_travel import GATE_A, two_regions

DAY = 86_400.0


def jumper(state: RegionState, pid: int = 7, fuel: int = 100, sector: int = 1) -> None:
    """Put player ``pid`` in a Warp Jumper at ``sector`` with ``fuel`` units of fuel."""
    player = state.players[pid]
    player.membership = Membership.CITIZEN
    player.ship = Ship.new("warp_jumper", "Leap")
    if fuel:
        player.ship.cargo["fuel"] = fuel
    place(state, pid, sector)


def refused(state: RegionState, command: Jump, now: float = T0) -> DomainError:
    before = copy_state(state)
    with pytest.raises(DomainError) as info:
        decide(state, command, now, None)  # type: ignore[arg-type]
    assert state == before
    return info.value


def test_a_jump_burns_fuel_by_distance_and_discovers_the_sector(world: RegionState) -> None:
    jumper(world, fuel=30)
    (e,) = run(world, Jump(7, 12))  # sector n sits at x = n: 11 units away
    assert isinstance(e, PlayerJumped)
    assert (e.distance, e.fuel_burned, e.fuel_after, e.first_visit) == (11.0, 22, 8, True)
    me = world.players[7]
    assert me.sector_id == 12 and me.ship.cargo == {"fuel": 8} and me.last_jump_at == T0
    assert 12 in me.explored and world.players_in(12) == [me]
    assert world.region.discoveries[12] == SectorDiscovery(7, "pilot7", T0)


def test_every_fuel_unit_can_be_burned(world: RegionState) -> None:
    jumper(world, fuel=22)
    run(world, Jump(7, 12))
    assert "fuel" not in world.players[7].ship.cargo


def test_refusals_in_order_change_nothing(world: RegionState) -> None:
    assert isinstance(refused(world, Jump(7, 12)), NotAJumperError)
    jumper(world, fuel=5)
    lapsed = refused(world, Jump(7, 12, citizen=False))  # the API's tier in force
    assert lapsed.code == "not_a_citizen" and lapsed.kind == "forbidden"
    world.players[7].membership = Membership.FREE
    assert refused(world, Jump(7, 12)).code == "not_a_citizen"
    world.players[7].membership = Membership.CITIZEN
    assert isinstance(refused(world, Jump(7, 1)), AlreadyThereError)
    assert isinstance(refused(world, Jump(7, 999)), UnknownSectorError)
    short = refused(world, Jump(7, 12))
    assert isinstance(short, InsufficientFuelError)
    assert short.context == {"needed": 22, "available": 5}
    world.rules = dataclasses.replace(world.rules, jump_range=5.0)
    far = refused(world, Jump(7, 12))
    assert isinstance(far, OutOfJumpRangeError) and far.code == "out_of_jump_range"
    assert far.context == {"distance": 11.0, "range": 5.0}


def test_cooldown_counts_down_to_the_second(world: RegionState) -> None:
    jumper(world, fuel=100)
    run(world, Jump(7, 4))
    early = refused(world, Jump(7, 1), T0 + 1_000.5)
    assert isinstance(early, JumpCooldownError) and early.code == "jump_cooldown"
    assert early.context == {"seconds_left": 2_600}
    assert refused(world, Jump(7, 1), T0 + 3_599.5).context == {"seconds_left": 1}
    (e,) = run(world, Jump(7, 1), T0 + 3_600)
    assert isinstance(e, PlayerJumped) and not e.first_visit  # Sol: visited at spawn
    world.rules = dataclasses.replace(world.rules, jump_cooldown_seconds=60)
    run(world, Jump(7, 4), T0 + 3_660)


@settings(max_examples=60, deadline=None)
@given(
    start=st.integers(1, 12),
    to=st.integers(1, 12),
    fuel=st.integers(0, 40),
    reach=st.sampled_from([0.0, 3.0, 7.5]),
    since=st.sampled_from([None, 10.0, 3_600.0]),
)
def test_a_jump_is_accepted_exactly_when_the_rules_allow_it(
    start: int, to: int, fuel: int, reach: float, since: float | None
) -> None:
    state = build_region()
    spawn(state, 7)
    jumper(state, fuel=fuel, sector=start)
    state.rules = dataclasses.replace(state.rules, jump_range=reach)
    state.players[7].last_jump_at = None if since is None else T0 - since
    distance = abs(start - to)
    allowed_range = reach or 25.0
    needed = math.ceil(distance * 2)
    ok = (
        to != start
        and (since is None or since >= 3_600)
        and distance <= allowed_range
        and fuel >= needed
    )
    try:
        events = run(state, Jump(7, to))
    except DomainError:
        assert not ok
        assert state.players[7].sector_id == start
        assert state.players[7].ship.cargo.get("fuel", 0) == fuel
        return
    assert ok
    assert state.players[7].sector_id == to
    assert state.players[7].ship.cargo.get("fuel", 0) == fuel - needed
    assert events[0].fuel_burned == needed == jump_fuel(float(distance), state.rules)


def test_moving_discovers_only_for_the_first_player(world: RegionState) -> None:
    assert world.region.discoveries[1].player_id == 7  # spawning in Sol enters it
    spawn(world, 8)
    run(world, Move(8, 2))
    run(world, Move(7, 2))
    assert world.region.discoveries[2].player_id == 8
    rows, more = discoveries_of([world], 8, 0, 10)
    assert [r.sector_id for r in rows] == [2] and not more


# --- across regions ------------------------------------------------------------------------------
def jump_pair(opened_ago: float = DAY) -> tuple[RegionState, RegionState]:
    a, b = two_regions()
    b.region.opened_at = T0 - opened_ago
    for pid in (7, 8):
        spawn(a, pid)
        jumper(a, pid, fuel=50, sector=GATE_A)
    return a, b


def cross(a: RegionState, b: RegionState, pid: int, tid: str, to: int = 105) -> list:
    sector = b.sectors[to]
    cmd = Jump(pid, to, b.region.id, (sector.x, sector.y, sector.z), tid)
    departed = run(a, cmd)
    pending = a.transfers_out[tid]
    return departed + run(b, Arrive(pid, tid, a.region.id, to, pending))


def test_a_jump_across_regions_departs_arrives_and_pays_the_first_visitor_once() -> None:
    a, b = jump_pair()
    credits = a.players[7].credits
    events = cross(a, b, 7, "j1")
    assert [e.type for e in events] == [
        "jump_departed",
        "transfer_departed",
        "transfer_arrived",
        "region_first_visited",
    ]
    assert isinstance(events[0], JumpDeparted) and events[0].fuel_burned == 14  # 12 -> x=5
    me = b.players[7]
    assert me.credits == credits + 1_000 and me.ship.cargo == {"fuel": 36}
    assert me.last_jump_at == T0 and b.region.first_visitor_id == 7
    assert b.region.discoveries[105].player_id == 7 and b.transfers_in["j1"] == ARRIVED
    second = cross(a, b, 8, "j2", to=106)
    assert [e.type for e in second][-1] == "transfer_arrived"
    assert b.players[8].credits == credits
    assert bonus_pays(b.region, T0, b.rules) == 0


def test_no_bonus_for_old_regions_the_governor_or_platform_regions() -> None:
    a, b = jump_pair(opened_ago=31 * DAY)
    assert [e.type for e in cross(a, b, 7, "j1")][-1] == "transfer_arrived"
    a, b = jump_pair()
    b.region.governor_id = 7
    assert [e.type for e in cross(a, b, 7, "j1")][-1] == "transfer_arrived"
    assert b.region.first_visitor_id is None
    assert [e.type for e in cross(a, b, 8, "j2", to=106)][-1] == "region_first_visited"
    assert bonus_pays(build_region(RegionKind.TERRAN).region, T0, b.rules) == 0


def test_a_refused_jump_returns_the_player_with_the_fuel_burned() -> None:
    a, b = jump_pair()
    b.region.policy.immigration = Immigration.CLOSED
    events = cross(a, b, 7, "j1")
    assert events[-1].type == "transfer_refused"
    from starlane.domain.commands import SettleTransfer

    run(a, SettleTransfer(7, "j1", "refused", "immigration_refused"))
    me = a.players[7]
    assert me.sector_id == GATE_A and me.ship.cargo == {"fuel": 36} and me.last_jump_at == T0


def test_scan_lists_new_unvisited_regions_with_their_bonus() -> None:
    a, b = jump_pair()
    me = a.players[7]
    rows = scan([a, b], me, T0, b.rules)
    assert [(r.region_id, r.bonus, r.immigration) for r in rows] == [(3, 1_000, "open")]
    cross(a, b, 8, "j2")
    assert [(r.region_id, r.bonus) for r in scan([a, b], me, T0, b.rules)] == [(3, 0)]
    assert scan([a, b], b.players[8], T0, b.rules) == []  # visited
    assert scan([a, b], me, T0 + 31 * DAY, b.rules) == []  # too old


def test_jump_events_and_discoveries_survive_the_codec() -> None:
    a, b = jump_pair()
    events = cross(a, b, 7, "j1")
    for e in events:
        assert decode_event(e.type, e.version, encode_event(e)) == e
    again = copy_state(b)
    assert again.region.discoveries[105].player_id == 7 and again.region.first_visitor_id == 7
    assert isinstance(events[-1], RegionFirstVisited)
