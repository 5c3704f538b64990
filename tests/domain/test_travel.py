"""Gate passage between regions: admission, cost, the saga's events, idempotence, conservation."""

from __future__ import annotations

import contextlib
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starlane.domain.codec import copy_state, decode_event, encode_event
from starlane.domain.commands import Arrive, CloseTransfers, Depart, Move, SettleTransfer
from starlane.domain.data import Immigration, RegionKind
from starlane.domain.errors import (
    DomainError,
    ImmigrationRefusedError,
    InsufficientCreditsError,
    InsufficientTurnsError,
    NoGateError,
    RegionSuspendedError,
)
from starlane.domain.events import (
    TransferArrived,
    TransferCompensated,
    TransferDeparted,
    TransferRefused,
)
from starlane.domain.model import GateLink, RegionState
from starlane.domain.rules import decide
from starlane.domain.travel import (
    ARRIVED,
    REFUSED,
    admits,
    check_admission,
    in_flight,
)
from tests.domain.conftest import T0, build_region, place, run, spawn

GATE_A, GATE_B = 12, 101


def two_regions(toll: int = 0, gate_toll: int = 0) -> tuple[RegionState, RegionState]:
    """Terran Space (1-12) and player region 3 (101-112), a gate 12 <-> 101."""
    a = build_region()
    b = build_region(RegionKind.PLAYER, region_id=3, first_sector_id=101)
    a.sectors[GATE_A].gate = GateLink(3, GATE_B, toll=toll)
    b.sectors[GATE_B].gate = GateLink(1, GATE_A)
    b.region.policy.gate_toll = gate_toll
    return a, b


def depart(a: RegionState, b: RegionState, pid: int, tid: str, now: float = T0) -> list:
    cmd = Depart(pid, GATE_B, tid, b.region.id, b.region.policy.gate_toll)
    return run(a, cmd, now)


def arrive(a: RegionState, b: RegionState, pid: int, tid: str) -> list:
    carried = a.transfers_out[tid]
    return run(b, Arrive(pid, tid, a.region.id, carried.to_sector_id, carried), T0)


def credits(*states: RegionState) -> int:
    total = 0
    for s in states:
        total += s.region.treasury + sum(p.credits for p in s.players.values())
        for t in in_flight(
            s, lambda tid, rid: states_by_id(states)[rid].transfers_in.get(tid) == ARRIVED
        ):
            total += t.player.credits + t.toll
    return total


def _arrived(states: tuple[RegionState, ...]):
    by_id = states_by_id(states)
    return lambda tid, rid: by_id[rid].transfers_in.get(tid) == ARRIVED


def states_by_id(states: tuple[RegionState, ...]) -> dict[int, RegionState]:
    return {s.region.id: s for s in states}


@pytest.fixture
def pair() -> tuple[RegionState, RegionState]:
    a, b = two_regions(toll=50, gate_toll=200)
    spawn(a, 7)
    place(a, 7, GATE_A)
    a.players[7].ship.cargo["ore"] = 10
    return a, b


def test_admission_by_policy() -> None:
    _, b = two_regions()
    region = b.region
    region.governor_id, region.citizens, region.permits = 1, [2], [3]
    assert all(admits(region, p) for p in (1, 2, 3, 4))
    region.policy.immigration = Immigration.PERMIT
    assert [admits(region, p) for p in (1, 2, 3, 4)] == [True, True, True, False]
    region.policy.immigration = Immigration.CLOSED
    assert [admits(region, p) for p in (1, 2, 3, 4)] == [True, True, False, False]
    with pytest.raises(ImmigrationRefusedError):
        check_admission(region, 3)
    region.active = False
    with pytest.raises(RegionSuspendedError):
        check_admission(region, 1)
    region.active, region.closed = True, True
    assert region.status == "closed"
    with pytest.raises(RegionSuspendedError):
        check_admission(region, 1)


def test_departure_carries_the_player_and_arrival_pays_the_treasury(pair) -> None:
    a, b = pair
    before = a.players[7]
    turns = before.turns
    (dep,) = depart(a, b, 7, "t1")
    assert isinstance(dep, TransferDeparted)
    assert dep.toll == 250 and dep.player.credits == before.credits - 250
    assert 7 not in a.players and a.players_in(GATE_A) == []
    assert "t1" in a.transfers_out
    (arr,) = arrive(a, b, 7, "t1")
    assert isinstance(arr, TransferArrived)
    p = b.players[7]
    assert (p.region_id, p.sector_id) == (3, GATE_B)
    assert p.ship.cargo == {"ore": 10}
    assert p.turns == turns - 3
    assert b.region.treasury == 250
    assert GATE_B in p.explored and 1 in p.explored
    assert b.players_in(GATE_B) == [p]
    run(a, SettleTransfer(7, "t1", ARRIVED))
    assert a.transfers_out == {}


def test_repeated_arrival_is_a_no_op(pair) -> None:
    a, b = pair
    depart(a, b, 7, "t1")
    carried = a.transfers_out["t1"]
    arrive(a, b, 7, "t1")
    snapshot = copy_state(b)
    assert run(b, Arrive(7, "t1", 1, GATE_B, carried)) == []
    assert b == snapshot and b.region.treasury == 250
    run(a, SettleTransfer(7, "t1", ARRIVED))
    assert run(a, SettleTransfer(7, "t1", ARRIVED)) == []


def test_refusal_compensates_at_the_gate_with_toll_and_turns_refunded(pair) -> None:
    a, b = pair
    credits0, turns0 = a.players[7].credits, a.players[7].turns
    depart(a, b, 7, "t1")
    b.region.policy.immigration = Immigration.CLOSED  # changed in the meantime
    (ref,) = arrive(a, b, 7, "t1")
    assert isinstance(ref, TransferRefused) and ref.reason == "immigration_refused"
    assert b.transfers_in == {"t1": "immigration_refused"} and 7 not in b.players
    b.region.policy.immigration = Immigration.OPEN  # a later delivery still answers refused
    assert arrive(a, b, 7, "t1") == [] and 7 not in b.players
    (comp,) = run(a, SettleTransfer(7, "t1", REFUSED, "immigration_refused"))
    assert isinstance(comp, TransferCompensated)
    p = a.players[7]
    assert (p.sector_id, p.credits, p.turns) == (GATE_A, credits0, turns0)
    assert p.ship.cargo == {"ore": 10} and a.transfers_out == {}
    assert a.players_in(GATE_A) == [p]


def test_suspended_destination_refuses_the_arrival(pair) -> None:
    a, b = pair
    depart(a, b, 7, "t1")
    b.region.active = False
    (ref,) = arrive(a, b, 7, "t1")
    assert isinstance(ref, TransferRefused) and ref.reason == "region_suspended"


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        (lambda a, b: setattr(a.players[7], "turns", 2), InsufficientTurnsError),
        (lambda a, b: setattr(a.players[7], "credits", 249), InsufficientCreditsError),
        (lambda a, b: place(a, 7, 11), NoGateError),
    ],
)
def test_departure_refusals_change_nothing(pair, setup, error) -> None:
    a, b = pair
    setup(a, b)
    a.players[7].turns_at = T0
    before = copy_state(a)
    with pytest.raises(error):
        depart(a, b, 7, "t1")
    assert a == before


def test_plain_move_to_the_other_end_of_a_gate_is_not_a_warp(pair) -> None:
    a, _ = pair
    with pytest.raises(DomainError) as info:
        decide(a, Move(7, GATE_B), T0, random.Random(0))
    assert info.value.code == "unknown_sector"


def test_travel_events_and_pending_transfers_survive_the_codec(pair) -> None:
    a, b = pair
    (dep,) = depart(a, b, 7, "t1")
    assert decode_event(dep.type, dep.version, encode_event(dep)) == dep
    assert copy_state(a).transfers_out == a.transfers_out
    (arr,) = arrive(a, b, 7, "t1")
    assert decode_event(arr.type, arr.version, encode_event(arr)) == arr
    assert copy_state(b).transfers_in == {"t1": ARRIVED}


# --- property: any interleaving of saga steps conserves credits and cargo ----------------------
STEP = st.tuples(st.sampled_from(["depart", "deliver", "settle", "policy"]), st.integers(0, 5))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEP, max_size=60))
def test_any_interleaving_conserves_credits_and_cargo(steps) -> None:
    a, b = two_regions(toll=10, gate_toll=25)
    for pid in range(1, 7):
        spawn(a, pid)
        place(a, pid, GATE_A)
        a.players[pid].ship.cargo["ore"] = pid
    states = (a, b)
    total, cargo = credits(a, b), 21
    n = 0
    for op, k in steps:
        pid = k + 1
        if op == "depart":
            src, dst = (a, b) if pid in a.players else (b, a)
            if pid not in src.players:
                continue
            gate_to = GATE_B if src is a else GATE_A
            place(src, pid, GATE_A if src is a else GATE_B)
            n += 1
            cmd = Depart(pid, gate_to, f"t{n}", dst.region.id, dst.region.policy.gate_toll)
            with contextlib.suppress(DomainError):
                run(src, cmd, T0 + n * 1000)
        elif op in ("deliver", "settle"):
            pending = [(s, t) for s in states for t in s.transfers_out.values()]
            if not pending:
                continue
            src, t = pending[k % len(pending)]
            dst = states_by_id(states)[t.to_region_id]
            if op == "deliver" or t.transfer_id not in dst.transfers_in:
                run(dst, Arrive(t.player.id, t.transfer_id, src.region.id, t.to_sector_id, t))
            else:
                decided = dst.transfers_in[t.transfer_id]
                outcome = ARRIVED if decided == ARRIVED else REFUSED
                run(src, SettleTransfer(t.player.id, t.transfer_id, outcome, decided))
        else:
            region = states[k % 2].region
            region.policy.immigration = [Immigration.OPEN, Immigration.CLOSED][k % 2]
        assert credits(a, b) == total
        where = {}
        for s in states:
            for pid2 in s.players:
                assert pid2 not in where
                where[pid2] = s.region.id
            for t in in_flight(
                s, lambda tid, rid: states_by_id(states)[rid].transfers_in.get(tid) == ARRIVED
            ):
                assert t.player.id not in where
                where[t.player.id] = -1
        assert sorted(where) == list(range(1, 7))
        held = sum(p.ship.cargo_units for s in states for p in s.players.values())
        held += sum(
            t.player.ship.cargo_units
            for s in states
            for t in in_flight(
                s, lambda tid, rid: states_by_id(states)[rid].transfers_in.get(tid) == ARRIVED
            )
        )
        assert held == cargo


def test_arrivals_close_together_at_the_source_once(pair) -> None:
    a, b = pair
    spawn(a, 8)
    place(a, 8, GATE_A)
    depart(a, b, 7, "t1")
    depart(a, b, 8, "t2")
    arrive(a, b, 7, "t1")
    arrive(a, b, 8, "t2")
    (closed,) = run(a, CloseTransfers(0, ("t1", "t2", "unknown")))
    assert closed.transfer_ids == ("t1", "t2") and a.transfers_out == {}
    assert run(a, CloseTransfers(0, ("t1", "t2"))) == []
    a.region.active = False  # a suspended source still closes what it owes
    assert run(a, CloseTransfers(0, ("t1",))) == []


def test_copy_player_copies_every_field_and_shares_nothing(pair) -> None:
    import dataclasses

    from starlane.domain.travel import copy_player

    p = pair[0].players[7]
    p.last_jump_at, p.joined_at = 5.0, 6.0
    for f in dataclasses.fields(p):  # every field differs from its default here
        if f.default is not dataclasses.MISSING:
            assert getattr(p, f.name) != f.default or f.name == "membership", f.name
    q = copy_player(p)
    assert q == p and q.ship == p.ship
    q.ship.cargo["ore"] += 1
    q.explored.add(999)
    assert p.ship.cargo["ore"] == 10 and 999 not in p.explored
