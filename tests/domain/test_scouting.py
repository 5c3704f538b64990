"""Scouting rules: time in a region from presence events, the quality formula, a report built
only from what its author observed, and the reward paid once per key."""

from __future__ import annotations

import contextlib
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlane.domain.commands import Move, Scan, Trade
from starlane.domain.data import PORT_CLASSES, Side
from starlane.domain.errors import DomainError, UnknownPlayerError
from starlane.domain.events import Event
from starlane.domain.model import RegionState
from starlane.domain.policies import ChangePolicy, RegionPolicyChanged
from starlane.domain.scouting import (
    KIND_SECTIONS,
    PRESENCE_EVENT_TYPES,
    REPORT_KINDS,
    PayScoutingReward,
    Presence,
    PresenceMark,
    ScoutingRewardPaid,
    UnknownReportKindError,
    quality_score,
    reward_id,
    time_in_region,
)
from starlane.domain.scouting_report import build_report
from tests.domain.conftest import T0, build_region, run, spawn

CAP = 1_800.0

_types = st.sampled_from(sorted(PRESENCE_EVENT_TYPES))


@st.composite
def _marks(draw: st.DrawFn) -> list[PresenceMark]:
    gaps = draw(st.lists(st.floats(0, 10_000), min_size=0, max_size=30))
    types = draw(st.lists(_types, min_size=len(gaps), max_size=len(gaps)))
    at, out = T0, []
    for gap, type_ in zip(gaps, types, strict=True):
        at += gap
        out.append(PresenceMark(at, type_))
    return out


# --- time in a region ----------------------------------------------------------------------
def test_time_counts_intervals_capped_and_skips_time_away() -> None:
    marks = [
        PresenceMark(T0, "transfer_arrived"),
        PresenceMark(T0 + 600, "player_moved"),  # +600
        PresenceMark(T0 + 600 + 5_000, "port_traded"),  # +1,800 (idle time capped)
        PresenceMark(T0 + 6_000, "transfer_departed"),  # +400
        PresenceMark(T0 + 50_000, "transfer_arrived"),  # away: nothing
        PresenceMark(T0 + 50_100, "player_moved"),  # +100
    ]
    now = T0 + 50_200  # tail +100
    assert time_in_region(marks, now=now, gap_cap=CAP) == 600 + 1_800 + 400 + 100 + 100


def test_no_presence_is_no_time_and_a_departure_ends_the_tail() -> None:
    assert time_in_region([], now=T0, gap_cap=CAP) == 0.0
    marks = [PresenceMark(T0, "player_moved"), PresenceMark(T0 + 10, "transfer_departed")]
    assert time_in_region(marks, now=T0 + 99_999, gap_cap=CAP) == 10.0


def test_warp_jumps_place_the_player_like_moves_and_departures() -> None:
    from starlane.domain.jumps import JumpDeparted, PlayerJumped

    assert PRESENCE_EVENT_TYPES[PlayerJumped.type] is Presence.ACTIVITY
    assert PRESENCE_EVENT_TYPES[JumpDeparted.type] is Presence.DEPARTURE
    marks = [
        PresenceMark(T0, "transfer_arrived"),
        PresenceMark(T0 + 300, "player_jumped"),  # +300
        PresenceMark(T0 + 500, "jump_departed"),  # +200, then away
    ]
    assert time_in_region(marks, now=T0 + 99_999, gap_cap=CAP) == 500.0


@settings(max_examples=200, deadline=None)
@given(_marks(), st.floats(0, 50_000))
def test_time_is_bounded_by_the_span_and_the_cap(marks: list[PresenceMark], tail: float) -> None:
    now = (marks[-1].at if marks else T0) + tail
    t = time_in_region(marks, now=now, gap_cap=CAP)
    assert 0.0 <= t <= (now - marks[0].at if marks else 0.0) + 1e-6
    assert t <= CAP * len(marks) + 1e-6
    # a departure's following interval never counts: dropping everything after the last
    # departure and re-adding the tail from it can only count what the rule allows
    if marks and PRESENCE_EVENT_TYPES[marks[-1].type] is Presence.DEPARTURE:
        assert t == pytest.approx(time_in_region(marks, now=marks[-1].at, gap_cap=CAP))


@settings(max_examples=100, deadline=None)
@given(_marks(), st.floats(1, 5_000), st.floats(1, 5_000))
def test_a_larger_cap_never_counts_less(marks: list[PresenceMark], a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    now = (marks[-1].at if marks else T0) + 100
    assert time_in_region(marks, now=now, gap_cap=lo) <= time_in_region(marks, now=now, gap_cap=hi)


# --- quality ---------------------------------------------------------------------------------
def test_quality_formula() -> None:
    assert quality_score(1, 1, 1) == 100
    assert quality_score(0, 0, 0) == 0
    assert quality_score(0.5, 1.0, 0.25) == round(100 * (0.2 + 0.2 + 0.1))
    assert quality_score(2, -1, 0.5) == quality_score(1, 0, 0.5)


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 0.5))
def test_quality_is_bounded_and_grows_with_coverage(c: float, f: float, b: float, d: float) -> None:
    q = quality_score(c, f, b)
    assert 0 <= q <= 100
    assert quality_score(min(c + d, 1.0), f, b) >= q


# --- the report --------------------------------------------------------------------------------
def _walk(state: RegionState, steps: list[int], trades: list[bool]) -> list[Event]:
    """Player 7 wanders from Sol, trading now and then; returns their events (spawn first)."""
    rng = random.Random(0)
    spawn(state, 7, T0)
    observed: list[Event] = []
    at = T0
    for choice, trade in zip(steps, trades, strict=True):
        player = state.players[7]
        warps = state.sectors[player.sector_id].warps
        at += 300
        observed += run(state, Move(7, warps[choice % len(warps)]), at, rng)
        port = state.ports.get(state.players[7].sector_id)
        if choice % 3 == 0:  # a scan reveals the neighbours, ports included
            observed += run(state, Scan(7), at, rng)
        if trade and port is not None:
            pc = PORT_CLASSES[port.port_class]
            for commodity, side in [(c, Side.BUY) for c in pc.sells][:1] + [
                (c, Side.SELL) for c in pc.buys
            ][:1]:
                with contextlib.suppress(DomainError):  # a full hold or an empty port
                    observed += run(state, Trade(7, port.id, commodity, side, 1), at, rng)
    return observed


def _named_ports(value: Any, key: str = "") -> set[int]:
    """Every port id a report's sections name."""
    found: set[int] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            found |= _named_ports(v, str(k))
    elif isinstance(value, list):
        for v in value:
            found |= _named_ports(v, key)
    elif isinstance(value, int) and key in ("port_id", "buy_at", "sell_at", "sold_at", "bought_at"):
        found.add(value)
    return found


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 5), min_size=0, max_size=15),
    st.data(),
    st.sampled_from(REPORT_KINDS),
)
def test_a_report_never_names_a_port_its_author_did_not_visit(
    steps: list[int], data: st.DataObject, kind: str
) -> None:
    state = build_region()
    trades = data.draw(st.lists(st.booleans(), min_size=len(steps), max_size=len(steps)))
    observed = _walk(state, steps, trades)
    entered = {1} | {e.sector_id for e in observed if hasattr(e, "sector_id")}
    body = build_report(kind, state, observed, [], T0 + 86_400)
    assert set(body.ports_visited) <= entered
    assert _named_ports(body.sections) <= set(body.ports_visited)
    for sector in body.sections.get("discoveries", []):
        assert sector not in state.ports or sector in body.ports_visited
    assert set(body.sections) == set(KIND_SECTIONS[kind])
    assert body.coverage == len(body.ports_visited) / len(state.ports)
    assert 0 <= body.quality <= 100


def test_economy_report_quotes_the_prices_traded_at_and_scores_by_the_formula() -> None:
    state = build_region()
    observed = _walk(state, [1, 1, 1], [True, True, True])  # Sol -> 3 -> 6 -> 9, trading
    now = observed[-1].at
    body = build_report("economy", state, observed, [], now)
    traded = {(e.port_id, e.commodity) for e in observed if type(e).__name__ == "PortTraded"}
    quoted = {(p["port_id"], p["commodity"]) for p in body.sections["prices"]}
    assert traded
    assert quoted == traded
    assert body.quality == quality_score(body.coverage, body.freshness, body.breadth)
    assert body.freshness > 0.99  # everything seen within the last few minutes


def test_politics_shows_the_policies_in_force_when_the_author_was_there() -> None:
    state = build_region()
    state.region.governor_id = 99
    observed = _walk(state, [0], [False])
    later = run(state, ChangePolicy(99, {"tax_rate": 0.2}), T0 + 10_000)
    assert isinstance(later[0], RegionPolicyChanged)
    body = build_report("politics", state, observed, [later[0]], T0 + 20_000)
    assert body.sections["taxes_and_tolls"]["tax_rate"] == pytest.approx(0.10)  # not 0.2
    assert body.sections["policy_changes"] == []  # it happened after the author left


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(UnknownReportKindError):
        build_report("gossip", build_region(), [], [], T0)


# --- the reward ------------------------------------------------------------------------------
def test_a_reward_is_paid_once_per_key() -> None:
    state = build_region()
    spawn(state, 7)
    before = state.players[7].credits
    command = PayScoutingReward(7, reward_id(5), 5, 2_500)
    (paid,) = run(state, command, T0 + 1)
    assert isinstance(paid, ScoutingRewardPaid) and paid.credits_after == before + 2_500
    assert run(state, command, T0 + 2) == []
    assert state.players[7].credits == before + 2_500
    with pytest.raises(UnknownPlayerError):
        run(state, PayScoutingReward(8, reward_id(6), 6, 10), T0)
