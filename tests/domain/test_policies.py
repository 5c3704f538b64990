"""The governor's controls: the bounds of every policy field, policy changes, permits, their
replay, and the effect of each policy on the next command the region decides."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlane.domain.codec import decode_event, encode_event
from starlane.domain.combat import PLAYER
from starlane.domain.commands import Attack
from starlane.domain.data import COMMODITIES, DEFAULT_RULES, Immigration, RegionKind, Side
from starlane.domain.economy import quote
from starlane.domain.errors import InvalidCommandError, PvpForbiddenError, RegionSuspendedError
from starlane.domain.model import GateLink, RegionState
from starlane.domain.policies import (
    POLICY_FIELDS,
    ChangePolicy,
    GrantPermit,
    NotGovernorError,
    PermitGranted,
    PermitRevoked,
    PolicyOutOfBoundsError,
    RegionPolicyChanged,
    RevokePermit,
    policy_bounds,
    policy_values,
)
from starlane.domain.rules import decide, evolve
from starlane.domain.travel import admits, passage_toll
from tests.domain.conftest import T0, build_region, run, spawn

GOVERNOR = 50
BOUNDS = policy_bounds(DEFAULT_RULES)


def _region(kind: RegionKind = RegionKind.PLAYER) -> RegionState:
    state = build_region(kind, region_id=3)
    state.region.governor_id = GOVERNOR
    return state


def _refused(state: RegionState, changes: dict[str, Any]) -> PolicyOutOfBoundsError:
    with pytest.raises(PolicyOutOfBoundsError) as refused:
        run(state, ChangePolicy(GOVERNOR, changes))
    assert refused.value.code == "policy_out_of_bounds" and refused.value.kind == "invalid"
    return refused.value


def _replayed(state: RegionState, events: list[Any]) -> RegionState:
    """A fresh region with the events applied after a round trip through the codec."""
    fresh = _region(state.region.kind)
    for e in events:
        evolve(fresh, decode_event(e.type, e.version, encode_event(e)))
    return fresh


# --- the table ----------------------------------------------------------------------------------
def test_the_table_holds_the_games_bounds() -> None:
    assert [f.name for f in POLICY_FIELDS] == [
        "tax_rate",
        "regen_multiplier",
        "price_multipliers",
        "immigration",
        "pvp",
        "gate_toll",
        "starting_credits",
        "name",
        "description",
    ]
    assert (BOUNDS["tax_rate"].low, BOUNDS["tax_rate"].high) == (0, 0.25)
    assert (BOUNDS["regen_multiplier"].low, BOUNDS["regen_multiplier"].high) == (0.5, 2)
    assert (BOUNDS["price_multipliers"].low, BOUNDS["price_multipliers"].high) == (0.8, 1.25)
    assert BOUNDS["immigration"].choices == ("open", "permit", "closed")
    assert (BOUNDS["gate_toll"].low, BOUNDS["gate_toll"].high) == (0, 10_000)
    assert (BOUNDS["starting_credits"].low, BOUNDS["starting_credits"].high) == (0, 50_000)
    assert BOUNDS["name"].low == 3
    # an operator's rules move the bounds
    rules = replace(DEFAULT_RULES, max_tax_rate=0.4)
    assert policy_bounds(rules)["tax_rate"].high == 0.4
    state = _region()
    state.rules = rules
    run(state, ChangePolicy(GOVERNOR, {"tax_rate": 0.35}))
    assert state.region.policy.tax_rate == 0.35


# --- in and out of bounds, every field (hypothesis) --------------------------------------------
def _outside(low: float, high: float) -> st.SearchStrategy[float]:
    below = st.floats(max_value=low, exclude_max=True, allow_nan=False, allow_infinity=False)
    above = st.floats(min_value=high, exclude_min=True, allow_nan=False, allow_infinity=False)
    return below | above


@pytest.mark.parametrize("name", ["tax_rate", "regen_multiplier"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_number_inside_its_bounds_is_taken_outside_refused(name: str, data: Any) -> None:
    b = BOUNDS[name]
    state = _region()
    value = data.draw(st.floats(b.low, b.high) | st.integers(math.ceil(b.low), int(b.high)))
    run(state, ChangePolicy(GOVERNOR, {name: value}))
    assert getattr(state.region.policy, name) == float(value)
    bad = data.draw(_outside(b.low, b.high))
    error = _refused(state, {name: bad})
    assert error.context["field"] == name and error.context["high"] == b.high
    assert getattr(state.region.policy, name) == float(value)  # unchanged


@pytest.mark.parametrize("name", ["gate_toll", "starting_credits"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_credits_inside_their_bounds_are_taken_outside_refused(name: str, data: Any) -> None:
    b = BOUNDS[name]
    state = _region()
    value = data.draw(st.integers(int(b.low), int(b.high)))
    run(state, ChangePolicy(GOVERNOR, {name: value}))
    assert getattr(state.region.policy, name) == value
    bad = data.draw(st.integers(max_value=int(b.low) - 1) | st.integers(min_value=int(b.high) + 1))
    assert _refused(state, {name: bad}).context["field"] == name
    assert getattr(state.region.policy, name) == value


@settings(max_examples=80, deadline=None)
@given(
    commodity=st.sampled_from(sorted(COMMODITIES)),
    factor=st.floats(0.8, 1.25),
    bad=_outside(0.8, 1.25),
    unknown=st.text(min_size=1, max_size=12).filter(lambda k: k not in COMMODITIES),
)
def test_price_multipliers_per_known_commodity_within_bounds(
    commodity: str, factor: float, bad: float, unknown: str
) -> None:
    state = _region()
    run(state, ChangePolicy(GOVERNOR, {"price_multipliers": {commodity: factor}}))
    expected = {} if factor == 1.0 else {commodity: factor}
    assert state.region.policy.price_multipliers == expected
    error = _refused(state, {"price_multipliers": {commodity: bad}})
    assert (error.context["field"], error.context["commodity"]) == ("price_multipliers", commodity)
    error = _refused(state, {"price_multipliers": {unknown: 1.0}})
    assert error.context["commodity"] == unknown
    assert state.region.policy.price_multipliers == expected


def test_price_multipliers_merge_and_a_factor_of_one_removes_an_entry() -> None:
    state = _region()
    run(state, ChangePolicy(GOVERNOR, {"price_multipliers": {"ore": 1.2}}))
    run(state, ChangePolicy(GOVERNOR, {"price_multipliers": {"fuel": 0.9}}))
    assert state.region.policy.price_multipliers == {"fuel": 0.9, "ore": 1.2}
    (event,) = run(state, ChangePolicy(GOVERNOR, {"price_multipliers": {"ore": 1}}))
    assert event.before == {"price_multipliers": {"fuel": 0.9, "ore": 1.2}}
    assert event.after == {"price_multipliers": {"fuel": 0.9}}


@settings(max_examples=40, deadline=None)
@given(choice=st.sampled_from(list(Immigration)), bad=st.text(max_size=10))
def test_immigration_is_one_of_its_choices(choice: Immigration, bad: str) -> None:
    state = _region()
    run(state, ChangePolicy(GOVERNOR, {"immigration": str(choice)}))
    assert state.region.policy.immigration is choice
    if bad not in {"open", "permit", "closed"}:
        assert _refused(state, {"immigration": bad}).context["field"] == "immigration"


def test_pvp_is_never_on_where_the_region_kind_forbids_it() -> None:
    state = _region()
    run(state, ChangePolicy(GOVERNOR, {"pvp": True}))
    assert state.region.policy.pvp is True
    terran = _region(RegionKind.TERRAN)
    assert _refused(terran, {"pvp": True}).context["field"] == "pvp"
    assert run(terran, ChangePolicy(GOVERNOR, {"pvp": False})) == []  # already off


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(min_size=3, max_size=40).filter(
        lambda s: s.strip() == s and len(s) >= 3 and all(ord(c) >= 32 and ord(c) != 127 for c in s)
    ),
    long=st.integers(41, 200),
)
def test_a_name_is_three_to_forty_printable_characters(name: str, long: int) -> None:
    state = _region()
    run(state, ChangePolicy(GOVERNOR, {"name": f"  {name} "}))
    assert state.region.name == name
    for bad in ("", "   ", "ab", " ab ", "x" * long, "tab\there", "bell\a"):
        assert _refused(state, {"name": bad}).context["field"] == "name"
    assert state.region.name == name


@settings(max_examples=30, deadline=None)
@given(length=st.integers(0, 2_000), long=st.integers(2_001, 3_000))
def test_a_description_is_at_most_two_thousand_characters(length: int, long: int) -> None:
    state = _region()
    text = ("a\n" * length)[:length].strip()
    run(state, ChangePolicy(GOVERNOR, {"description": text}))
    assert state.region.description == text
    assert _refused(state, {"description": "b" * long}).context["field"] == "description"


@pytest.mark.parametrize(
    "changes",
    [
        {"tax_rate": "0.1"},
        {"tax_rate": True},
        {"gate_toll": 1.5},
        {"pvp": 1},
        {"immigration": 3},
        {"name": None},
        {"price_multipliers": [1.0]},
        {"mayor": "me"},
    ],
)
def test_a_value_of_the_wrong_type_is_an_invalid_command(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidCommandError) as refused:
        run(_region(), ChangePolicy(GOVERNOR, changes))
    assert refused.value.code == "invalid_command"


# --- who, when, and what is recorded -------------------------------------------------------------
def test_only_the_governor_of_an_active_region_changes_its_policies() -> None:
    state = _region()
    with pytest.raises(NotGovernorError):
        run(state, ChangePolicy(GOVERNOR + 1, {"tax_rate": 0.2}))
    state.region.governor_id = None
    with pytest.raises(NotGovernorError):
        run(state, ChangePolicy(GOVERNOR, {"tax_rate": 0.2}))
    state.region.governor_id = GOVERNOR
    state.region.active = False
    with pytest.raises(RegionSuspendedError):
        run(state, ChangePolicy(GOVERNOR, {"tax_rate": 0.2}))
    with pytest.raises(RegionSuspendedError):
        run(state, GrantPermit(GOVERNOR, 9, "governor"))


def test_a_change_records_before_and_after_of_the_changed_fields_and_replays() -> None:
    state = _region()
    changes = {
        "tax_rate": 0.1,  # unchanged: not recorded
        "regen_multiplier": 1.5,
        "price_multipliers": {"ore": 0.8},
        "immigration": "permit",
        "pvp": True,
        "gate_toll": 500,
        "starting_credits": 2_500,
        "name": "Vega Reach",
        "description": "trade\nand\tfriendship",
    }
    events = run(state, ChangePolicy(GOVERNOR, changes), now=T0 + 9)
    (event,) = events
    assert isinstance(event, RegionPolicyChanged)
    assert (event.region_id, event.at, event.actor_id) == (3, T0 + 9, GOVERNOR)
    assert set(event.after) == set(changes) - {"tax_rate"} == set(event.before)
    assert event.before["pvp"] is False and event.after["immigration"] == "permit"
    assert policy_values(state.region) == {**changes, "immigration": "permit"}
    replayed = _replayed(state, events)
    assert replayed.region == state.region
    assert run(state, ChangePolicy(GOVERNOR, changes)) == []  # nothing left to change


def test_permits_are_granted_and_revoked_once_and_replay() -> None:
    state = _region()
    granted = run(state, GrantPermit(GOVERNOR, 9, "governor"))
    assert granted == [
        PermitGranted(region_id=3, at=T0, player_id=9, actor_id=GOVERNOR, actor_role="governor")
    ]
    assert run(state, GrantPermit(61, 9, "moderator")) == []
    assert state.region.permits == [9]
    replayed = _replayed(state, granted)
    assert replayed.region.permits == [9]
    revoked = run(state, RevokePermit(61, 9, "moderator"))
    assert [type(e) for e in revoked] == [PermitRevoked] and revoked[0].actor_role == "moderator"
    assert run(state, RevokePermit(61, 9, "moderator")) == []
    assert state.region.permits == []
    with pytest.raises(InvalidCommandError):
        run(state, GrantPermit(61, 9, "citizen"))
    with pytest.raises(InvalidCommandError):
        run(state, GrantPermit(61, 0, "governor"))


# --- effects on the next command ----------------------------------------------------------------
def test_tax_and_price_multipliers_show_in_the_next_quote() -> None:
    state = _region()
    before = quote(state, 1, "fuel", Side.BUY, 10, T0)
    run(state, ChangePolicy(GOVERNOR, {"tax_rate": 0.25, "price_multipliers": {"fuel": 1.25}}))
    after = quote(state, 1, "fuel", Side.BUY, 10, T0)
    assert after.tax == round(after.total * 0.25)
    assert after.unit_price == pytest.approx(before.unit_price * 1.25)


def test_the_regeneration_multiplier_scales_regeneration() -> None:
    state = _region()
    later = T0 + 3_600
    normal = quote(state, 1, "fuel", Side.BUY, 1, later).available_units
    run(state, ChangePolicy(GOVERNOR, {"regen_multiplier": 2.0}))
    doubled = quote(state, 1, "fuel", Side.BUY, 1, later).available_units
    # 5% of a 1,000 capacity per hour, twice as fast: 50 more units after an hour
    assert doubled - normal == 50


def test_pvp_on_lets_players_attack_each_other() -> None:
    state = _region()
    spawn(state, 7)
    spawn(state, 8)
    with pytest.raises(PvpForbiddenError):
        decide(state, Attack(7, PLAYER, 8), T0, random.Random(1))
    run(state, ChangePolicy(GOVERNOR, {"pvp": True}))
    assert decide(state, Attack(7, PLAYER, 8), T0, random.Random(1))


def test_toll_and_immigration_decide_the_gate() -> None:
    state = _region()
    run(state, ChangePolicy(GOVERNOR, {"gate_toll": 700, "immigration": "permit"}))
    assert passage_toll(state.region, GateLink(3, 1, toll=5)) == 705
    assert not admits(state.region, 9)
    run(state, GrantPermit(GOVERNOR, 9, "governor"))
    assert admits(state.region, 9)
    run(state, ChangePolicy(GOVERNOR, {"immigration": "closed"}))
    assert not admits(state.region, 9) and admits(state.region, GOVERNOR)


# --- the codec ------------------------------------------------------------------------------------
def test_the_codec_round_trips_dict_valued_fields_keeping_each_values_type() -> None:
    event = RegionPolicyChanged(
        region_id=3,
        at=T0,
        actor_id=GOVERNOR,
        before={"tax_rate": 0.1, "gate_toll": 0, "pvp": False, "price_multipliers": {}},
        after={
            "tax_rate": 0.0,
            "gate_toll": 10_000,
            "pvp": True,
            "price_multipliers": {"ore": 1.25, "fuel": 0.8},
        },
    )
    data = encode_event(event)
    back = decode_event(event.type, event.version, data)
    assert back == event
    assert type(back.after["tax_rate"]) is float and type(back.after["gate_toll"]) is int
    assert back.after["pvp"] is True and back.after["price_multipliers"] == {
        "ore": 1.25,
        "fuel": 0.8,
    }


def test_a_snapshot_keeps_the_policies_and_permits() -> None:
    from starlane.domain.codec import copy_state

    state = _region()
    run(state, ChangePolicy(GOVERNOR, {"price_multipliers": {"ore": 1.1}, "name": "Vega"}))
    run(state, GrantPermit(GOVERNOR, 9, "governor"))
    copy = copy_state(state)
    assert copy.region == state.region
    assert copy.region.policy.price_multipliers == {"ore": 1.1}


def test_a_staff_action_is_recorded_in_the_highest_role_held() -> None:
    from starlane.domain.governance import RegionRole, acting_role

    both = {RegionRole.PLAYER, RegionRole.MODERATOR, RegionRole.GOVERNOR}
    assert acting_role(both) == "governor"
    assert acting_role({RegionRole.PLAYER, RegionRole.MODERATOR}) == "moderator"
    assert acting_role({RegionRole.PLAYER}) == "player"
