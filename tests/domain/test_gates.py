"""Player-built warp gates, decided without a server: every refusal, the site, deliveries,
construction, passage with the toll to the owner, abandoning (credits and goods conserved)."""

from __future__ import annotations

import contextlib
import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from starlane.domain.codec import copy_state
from starlane.domain.commands import Depart, Move
from starlane.domain.data import COMMODITIES, Immigration, Membership, RegionKind
from starlane.domain.errors import DomainError
from starlane.domain.events import TransferDeparted
from starlane.domain.gates import (
    AbandonGate,
    BuildGate,
    CloseGate,
    CompleteGate,
    DeliverGate,
    FailGates,
    GateFailed,
    GateTollPaid,
)
from starlane.domain.model import RegionState
from starlane.domain.rules import decide
from starlane.domain.travel import gate_to
from starlane.domain.treasury import TreasuryPayoutStarted
from tests.domain.conftest import T0, build_region, place, run, spawn

OWNER, OTHER, FREE = 7, 8, 9
FAR = 12  # four warps from Sol (1-2-5-8-12)
NEAR = 4  # two warps from Sol


def _world(**rules: object) -> RegionState:
    state = build_region(RegionKind.PLAYER, region_id=3)
    numbers: dict[str, object] = {
        "gate_credits": 1_000,
        "gate_equipment": 30,
        "gate_ore": 20,
        "gate_build_seconds": 100.0,
        "gate_min_warps": 4,
        **rules,
    }
    state.rules = dataclasses.replace(state.rules, **numbers)  # type: ignore[arg-type]
    spawn(state, OWNER, membership=Membership.CITIZEN)
    spawn(state, OTHER, membership=Membership.CITIZEN)
    spawn(state, FREE)
    return state


def _load(state: RegionState, player_id: int, **cargo: int) -> None:
    ship = state.players[player_id].ship
    ship.holds = max(ship.holds, sum(cargo.values()) + 10)
    ship.cargo.update(cargo)


def _refused(state: RegionState, command: object, code: str) -> None:
    before = copy_state(state)
    with pytest.raises(DomainError) as info:
        decide(state, command, T0, None)  # type: ignore[arg-type]
    assert info.value.code == code
    assert state == before


def _credits_and_goods(state: RegionState) -> tuple[int, dict[str, int]]:
    credits = sum(p.credits for p in state.players.values()) + state.region.treasury
    credits += sum(t.amount for t in state.payouts_out.values())
    goods: dict[str, int] = {}
    for p in state.players.values():
        for k, n in p.ship.cargo.items():
            goods[k] = goods.get(k, 0) + n
    for g in state.gates.values():
        credits += g.credits
        for k, n in g.delivered.items():
            goods[k] = goods.get(k, 0) + n
    return credits, goods


def test_every_refusal_of_a_build_changes_nothing() -> None:
    state = _world()
    _refused(state, BuildGate(FREE, 1, FAR, 0), "not_a_citizen")
    _refused(state, BuildGate(FREE, 1, FAR, 0, citizen=False), "not_a_citizen")
    _refused(state, BuildGate(OWNER, 2, FAR, 0), "invalid_endpoints")  # not your sector
    _refused(state, BuildGate(OWNER, 1, 1, 0), "invalid_endpoints")
    _refused(state, BuildGate(OWNER, 1, 999, 0), "invalid_endpoints")  # in no region
    _refused(state, BuildGate(OWNER, 1, 999, 0, to_region_id=3), "invalid_endpoints")
    # another region's sector: no warp distance, but that region's policy applies
    _refused(state, BuildGate(OWNER, 1, 999, 0, to_region_id=2, to_admits=False), "policy_forbids")
    _refused(state, BuildGate(OWNER, 1, NEAR, 0), "endpoints_too_close")
    _refused(state, BuildGate(OWNER, 1, FAR, 10_001), "invalid_quantity")
    state.region.policy.immigration = Immigration.CLOSED
    _refused(state, BuildGate(OWNER, 1, FAR, 0), "policy_forbids")
    state.region.citizens.append(OWNER)  # a citizen of a closed region may build there
    state.players[OWNER].credits = 999
    _refused(state, BuildGate(OWNER, 1, FAR, 0), "insufficient_resources")
    # the membership book's word wins over the state's tier
    state.region.policy.immigration = Immigration.OPEN
    state.players[OWNER].credits = 5_000
    run(state, BuildGate(FREE, 1, FAR, 0, citizen=True))
    _refused(state, BuildGate(OWNER, 1, FAR, 0), "gate_exists")


def test_site_deliveries_construction_and_passage_with_the_toll_to_the_owner() -> None:
    state = _world()
    _load(state, OWNER, equipment=12)
    before = _credits_and_goods(state)
    (opened,) = run(state, BuildGate(OWNER, 1, FAR, 250))
    gate = state.gates[opened.gate_id]  # type: ignore[attr-defined]
    assert gate.id == 3_000_001 and gate.state == "site"
    assert gate.credits == 1_000 and gate.delivered == {"equipment": 12}
    assert "equipment" not in state.players[OWNER].ship.cargo
    assert _credits_and_goods(state) == before
    # refusals of a delivery
    _refused(state, DeliverGate(OWNER, gate.id), "nothing_to_deliver")
    _refused(state, DeliverGate(OTHER, gate.id), "not_gate_owner")
    _refused(state, DeliverGate(OWNER, 3_000_099), "unknown_gate")
    _refused(state, CompleteGate(0, gate.id), "gate_state")
    _refused(state, CloseGate(OWNER, gate.id), "gate_state")
    _load(state, OWNER, equipment=40, ore=5)
    place(state, OWNER, 2)
    _refused(state, DeliverGate(OWNER, gate.id), "not_at_site")
    place(state, OWNER, 1)
    (delivered,) = run(state, DeliverGate(OWNER, gate.id))
    assert delivered.due_at is None  # type: ignore[attr-defined]
    assert gate.delivered == {"equipment": 30, "ore": 5}
    assert state.players[OWNER].ship.cargo == {"equipment": 22}  # only what was missing
    _load(state, OWNER, ore=50)
    (delivered,) = run(state, DeliverGate(OWNER, gate.id), now=T0 + 10)
    assert delivered.due_at == T0 + 110  # type: ignore[attr-defined]
    assert gate.state == "building"
    _refused(state, AbandonGate(OWNER, gate.id), "gate_state")
    run(state, CompleteGate(0, gate.id), now=T0 + 110)
    assert gate.state == "open"
    _refused(state, CompleteGate(0, gate.id), "gate_state")  # a timer firing twice
    # passage: a gate is a link move uses; the toll goes to the owner (here in the region)
    owner_before, other_before = state.players[OWNER].credits, state.players[OTHER].credits
    events = run(state, Move(OTHER, FAR), now=T0 + 200)
    assert state.players[OTHER].sector_id == FAR
    assert state.players[OTHER].credits == other_before - 250
    assert state.players[OWNER].credits == owner_before + 250
    assert any(isinstance(e, GateTollPaid) for e in events)
    # the owner passes free; a warp still wins where one leads
    run(state, Move(OWNER, FAR), now=T0 + 200)
    assert state.players[OWNER].credits == owner_before + 250
    # closing: only the owner; a closed gate is no link
    _refused(state, CloseGate(OTHER, gate.id), "not_gate_owner")
    run(state, CloseGate(OWNER, gate.id), now=T0 + 300)
    assert gate.state == "closed"
    place(state, OTHER, 1)
    _refused(state, Move(OTHER, FAR), "not_adjacent")


def test_the_toll_of_an_absent_owner_leaves_through_a_treasury_payout() -> None:
    state = _world(gate_equipment=0, gate_ore=0)
    (opened,) = run(state, BuildGate(OWNER, 1, FAR, 300))
    gate = state.gates[opened.gate_id]  # type: ignore[attr-defined]
    assert gate.state == "building" and gate.due_at == T0 + 100
    run(state, CompleteGate(0, gate.id), now=T0 + 100)
    del state.players[OWNER]  # the owner is in another region now
    treasury = state.region.treasury
    before = _credits_and_goods(state)[0]
    events = run(state, Move(OTHER, FAR), now=T0 + 200)
    paid = [e for e in events if isinstance(e, TreasuryPayoutStarted)]
    assert len(paid) == 1 and paid[0].player_id == OWNER and paid[0].amount == 300
    assert paid[0].reason == "gate_toll"
    assert state.region.treasury == treasury  # in and out of the treasury in one commit
    assert state.payouts_out[paid[0].transfer_id].amount == 300
    assert _credits_and_goods(state)[0] == before  # the toll is in flight to the owner
    state.players[OTHER].credits = 299
    place(state, OTHER, 1)
    _refused(state, Move(OTHER, FAR), "insufficient_credits")


@given(
    equipment=st.integers(0, 40),
    ore=st.integers(0, 30),
    extra=st.integers(0, 40),
    free_holds=st.integers(0, 60),
)
def test_abandoning_refunds_what_was_taken(
    equipment: int, ore: int, extra: int, free_holds: int
) -> None:
    """Credits come back exactly; goods come back into the holds, and what does not fit is
    paid at the commodity's base price: nothing is created or lost."""
    state = _world()
    _load(state, OWNER, equipment=equipment, ore=ore)
    if equipment >= 30 and ore >= 20:
        return  # construction started at once: nothing to abandon
    credits0 = state.players[OWNER].credits
    (opened,) = run(state, BuildGate(OWNER, 1, FAR, 0))
    gate = state.gates[opened.gate_id]  # type: ignore[attr-defined]
    taken = dict(gate.delivered)
    ship = state.players[OWNER].ship
    ship.cargo["fuel"] = extra
    ship.holds = ship.cargo_units + free_holds
    cargo_before = dict(ship.cargo)
    (abandoned,) = run(state, AbandonGate(OWNER, gate.id))
    assert gate.state == "abandoned" and gate.credits == 0 and gate.delivered == {}
    back = abandoned.goods_returned  # type: ignore[attr-defined]
    salvage = sum((n - back.get(k, 0)) * COMMODITIES[k].base_price for k, n in taken.items())
    assert abandoned.salvage_credits == salvage  # type: ignore[attr-defined]
    assert state.players[OWNER].credits == credits0 + salvage
    for key, n in taken.items():
        assert ship.cargo.get(key, 0) == cargo_before.get(key, 0) + back.get(key, 0)
        assert back.get(key, 0) <= n
    assert ship.cargo_units <= ship.holds
    assert sum(back.values()) == min(sum(taken.values()), free_holds)


def test_a_closing_region_refunds_every_unfinished_construction() -> None:
    """The owner here gets credits and goods back; an absent owner is paid credits and the
    goods at base price through a treasury payout; an open gate is left alone."""
    state = _world()
    _load(state, OWNER, equipment=10, ore=4)
    (site,) = run(state, BuildGate(OWNER, 1, FAR, 0))
    _load(state, OTHER, equipment=30, ore=20)
    (building,) = run(state, BuildGate(OTHER, 1, FAR - 1, 0))
    assert state.gates[building.gate_id].state == "building"  # type: ignore[attr-defined]
    assert run(state, FailGates(0)) == []  # not closing: nothing fails
    before = _credits_and_goods(state)
    owner_credits = state.players[OWNER].credits
    other = state.players.pop(OTHER)  # evacuated already
    state.player_removed(other)
    state.region.closing = True
    state.region.active = False
    _refused(state, CompleteGate(0, building.gate_id), "gate_state")  # type: ignore[attr-defined]
    events = run(state, FailGates(0))
    failed = [e for e in events if isinstance(e, GateFailed)]
    assert [e.gate_id for e in failed] == [site.gate_id, building.gate_id]  # type: ignore[attr-defined]
    assert all(g.state == "failed" and g.credits == 0 for g in state.gates.values())
    assert state.players[OWNER].credits == owner_credits + 1_000
    assert state.players[OWNER].ship.cargo == {"equipment": 10, "ore": 4}
    (paid,) = [e for e in events if isinstance(e, TreasuryPayoutStarted)]
    assert paid.player_id == OTHER and paid.reason == "gate_refund"
    assert paid.amount == 1_000 + 30 * COMMODITIES["equipment"].base_price + 20 * (
        COMMODITIES["ore"].base_price
    )
    state.players[OTHER] = other  # count the absent owner's credits too
    after_credits, after_goods = _credits_and_goods(state)
    value = 30 * COMMODITIES["equipment"].base_price + 20 * COMMODITIES["ore"].base_price
    assert after_credits == before[0] + value  # the absent owner's goods became credits
    assert after_goods == {"equipment": 10, "ore": 4, **{}}
    assert run(state, FailGates(0)) == []  # a repeated timer finds nothing left


def test_a_gate_to_another_region_is_built_here_and_passed_by_the_travel_saga() -> None:
    state = _world(gate_equipment=0, gate_ore=0)
    (opened,) = run(state, BuildGate(OWNER, 1, 2_005, 75, to_region_id=2))
    gate = state.gates[opened.gate_id]  # type: ignore[attr-defined]
    assert gate.to_region_id == 2 and gate.state == "building"
    run(state, CompleteGate(0, gate.id), now=T0 + 100)
    link = gate_to(state, 1, 2_005)
    assert link is not None and (link.to_region_id, link.owner_id, link.toll) == (2, OWNER, 0)
    _refused(state, Move(OTHER, 2_005), "unknown_sector")  # not a move inside the region
    owner_before, other_before = state.players[OWNER].credits, state.players[OTHER].credits
    events = run(state, Depart(OTHER, 2_005, "t-1", 2, 30), now=T0 + 200)
    paid, departed = events
    assert isinstance(paid, GateTollPaid) and paid.toll == 75
    assert isinstance(departed, TransferDeparted) and departed.toll == 30
    assert departed.player.credits == other_before - 75 - 30
    assert state.players[OWNER].credits == owner_before + 75
    assert OTHER not in state.players
    # the owner passes their own gate free; a player short of both tolls is refused
    state.players[FREE].credits = 100
    _refused(state, Depart(FREE, 2_005, "t-2", 2, 30), "insufficient_credits")
    (departed,) = run(state, Depart(OWNER, 2_005, "t-3", 2, 30), now=T0 + 300)
    assert departed.toll == 30  # type: ignore[attr-defined]


def _value(state: RegionState) -> int:
    """Credits plus goods at base price, over players, treasury, payouts and sites."""
    credits, goods = _credits_and_goods(state)
    return credits + sum(n * COMMODITIES[k].base_price for k, n in goods.items())


_OPS = st.lists(
    st.tuples(
        st.sampled_from(("load", "build", "deliver", "abandon", "complete", "pass", "close")),
        st.sampled_from((OWNER, OTHER)),
        st.integers(0, 40),
    ),
    max_size=25,
)


@given(ops=_OPS, close_region=st.booleans(), other_away=st.booleans())
def test_no_credit_or_unit_is_created_or_lost_by_any_sequence_of_gate_commands(
    ops: list[tuple[str, int, int]], close_region: bool, other_away: bool
) -> None:
    """Whatever players do with gates (refused commands included), the value in the region
    (credits, and goods at base price, since an abandoned site pays for what does not fit)
    stays what was put in."""
    state = _world()
    put_in = _value(state)
    now = T0
    for op, pid, n in ops:
        now += 10
        gates = sorted(state.gates)
        command: object
        if op == "load":
            before = _value(state)
            _load(state, pid, equipment=n, ore=n // 2)
            put_in += _value(state) - before
            continue
        if op == "build":
            place(state, pid, 1)
            command = BuildGate(pid, 1, FAR if n % 2 else FAR - 1, n * 10)
        elif not gates:
            continue
        elif op == "complete":
            command = CompleteGate(0, gates[n % len(gates)])
        elif op == "pass":
            gate = state.gates[gates[n % len(gates)]]
            place(state, pid, gate.from_sector_id)
            command = Move(pid, gate.to_sector_id)
        else:
            gate = state.gates[gates[n % len(gates)]]
            if n % 3:
                place(state, pid, gate.from_sector_id)
            cls = {"deliver": DeliverGate, "abandon": AbandonGate, "close": CloseGate}[op]
            command = cls(pid, gate.id)
        with contextlib.suppress(DomainError):  # a refusal changes nothing
            run(state, command, now=now)  # type: ignore[arg-type]
        assert _value(state) == put_in, (op, pid, n)
    if close_region:
        away = state.players.pop(OTHER) if other_away else None  # refunded by payouts
        if away is not None:
            state.player_removed(away)
        state.region.closing = True
        state.region.active = False
        run(state, FailGates(0), now=now + 1)
        assert all(g.state not in ("site", "building") for g in state.gates.values())
        if away is not None:
            state.players[OTHER] = away  # counted again, with the payouts in flight to them
        assert _value(state) == put_in
