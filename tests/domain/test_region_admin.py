"""The operator's region commands as rules: status transitions, refusals, what a suspended
region still decides, and the closure's steps."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlane.domain.codec import copy_state
from starlane.domain.commands import (
    AdjustCredits,
    Autopilot,
    BuyHardware,
    Command,
    Move,
    Scan,
    SpawnPlayer,
    Trade,
)
from starlane.domain.data import Hardware, RegionKind, Side
from starlane.domain.errors import DomainError
from starlane.domain.region_admin import (
    BeginClosure,
    ChangeGovernor,
    ResumeRegion,
    SuspendRegion,
)
from starlane.domain.region_closure import Evacuate, FinishClosure, PayTreasury
from starlane.domain.rules import decide, evolve
from tests.domain.conftest import T0, build_region, run, spawn


def player_region():
    state = build_region(RegionKind.PLAYER, region_id=3)
    state.region.governor_id = 7
    state.region.treasury = 900
    return state


def _code(state, command: Command) -> str:
    with pytest.raises(DomainError) as info:
        decide(state, command, T0, random.Random(0))
    return info.value.code


def test_a_suspended_region_decides_leaving_but_not_business() -> None:
    state = build_region()
    spawn(state, 7)
    state.players[7].ship.cargo["ore"] = 5
    run(state, SuspendRegion(0, 1, "x"))
    assert state.region.status == "suspended"
    for allowed in (Move(7, 2), Scan(7), Autopilot(7, 5), AdjustCredits(7, 10, 1, "x")):
        decide(state, allowed, T0, random.Random(0))  # no refusal
    for refused in (
        Trade(7, 2, "ore", Side.SELL, 1),
        BuyHardware(7, Hardware.FIGHTERS, 1),
        SpawnPlayer(8, "new"),
    ):
        assert _code(state, refused) == "region_suspended"


def test_operator_refusals() -> None:
    state = player_region()
    assert _code(state, ResumeRegion(0, 1, "x")) == "not_suspended"
    assert _code(state, ChangeGovernor(0, 7, 1, "x")) == "already_governor"
    assert _code(state, Evacuate(7, "t", 2, 201)) == "invalid_command"  # not closing
    assert _code(state, FinishClosure(0)) == "invalid_command"
    terran = build_region()
    assert _code(terran, ChangeGovernor(0, 7, 1, "x")) == "platform_region"
    assert _code(terran, BeginClosure(0, 1, "x")) == "platform_region"
    run(state, BeginClosure(0, 1, "x"))
    assert state.region.status == "closing" and not state.region.active
    for command in (SuspendRegion(0, 1, "x"), ResumeRegion(0, 1, "x"), BeginClosure(0, 1, "x")):
        assert _code(state, command) == "region_closed"
    assert _code(state, ChangeGovernor(0, 8, 1, "x")) == "region_closed"


def test_the_closure_steps_conserve_credits() -> None:
    state = player_region()
    state.region.kind = RegionKind.TERRAN  # Sol is here: spawn, then make it a player region
    spawn(state, 7)
    spawn(state, 8)
    state.region.kind = RegionKind.PLAYER
    total = state.region.treasury + sum(p.credits for p in state.players.values())
    run(state, BeginClosure(0, 1, "x"))
    assert _code(state, PayTreasury(8)) == "invalid_command"  # not the governor
    assert _code(state, FinishClosure(0)) == "region_not_empty"
    run(state, PayTreasury(7))
    assert state.region.treasury == 0 and run(state, PayTreasury(7)) == []
    [departed] = run(state, Evacuate(8, "t-8", 2, 201))
    assert departed.toll == 0 and departed.turns_cost == 0  # type: ignore[attr-defined]
    assert _code(state, Evacuate(8, "t-8b", 2, 201)) == "unknown_player"
    pending = sum(t.player.credits + t.toll for t in state.transfers_out.values())
    assert state.region.treasury + sum(p.credits for p in state.players.values()) + pending == total


_OPS = st.sampled_from(["suspend", "resume", "transfer", "close"])


@settings(max_examples=100, deadline=None)
@given(ops=st.lists(st.tuples(_OPS, st.integers(1, 4)), max_size=12))
def test_any_sequence_of_operator_commands_replays_to_the_same_state(ops) -> None:
    state = player_region()
    initial = copy_state(state)
    events = []
    for op, who in ops:
        command: Command = {
            "suspend": SuspendRegion(0, 1, "x"),
            "resume": ResumeRegion(0, 1, "x"),
            "transfer": ChangeGovernor(0, who, 1, "x"),
            "close": BeginClosure(0, 1, "x"),
        }[op]
        before = copy_state(state)
        try:
            out = decide(state, command, T0, random.Random(0))
        except DomainError:
            assert state == before  # a refusal changes nothing
            continue
        for e in out:
            evolve(state, e)
        events += out
        region = state.region
        assert region.status in ("active", "suspended", "closing")
        assert region.active == (region.status == "active")
    for e in events:
        evolve(initial, e)
    assert initial == state
