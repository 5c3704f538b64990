"""The expedition planner: exact against trying every order, and its per-stop trade rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlane.domain.data import COMMODITIES, Side
from starlane.domain.expeditions import (
    EXACT_LIMIT,
    ExpeditionInfeasibleError,
    Hop,
    Market,
    Problem,
    Stop,
    brute_force,
    plan_expedition,
    replay,
    stop_trades,
)

KEYS = sorted(COMMODITIES)


@st.composite
def markets(draw: st.DrawFn) -> dict[str, Market]:
    keys = draw(st.lists(st.sampled_from(KEYS[:4]), max_size=3, unique=True))
    return {
        k: Market(
            quantity=draw(st.integers(0, 400)),
            capacity=400,
            multiplier=draw(st.sampled_from([0.8, 1.0, 1.25])),
        )
        for k in keys
    }


@st.composite
def problems(draw: st.DrawFn, max_stops: int = 6) -> Problem:
    n = draw(st.integers(2, max_stops))
    stops = tuple(
        Stop(
            sector_id=100 + i,
            region_id=draw(st.integers(1, 3)),
            port_id=100 + i,
            sells=draw(markets()),
            buys=draw(markets()),
            tax_rate=draw(st.sampled_from([0.0, 0.1, 0.25])),
        )
        for i in range(n)
    )
    hops: dict[tuple[int, int], Hop] = {}
    for a in range(-1, n):
        for b in range(n):
            if a != b and draw(st.integers(0, 9)) > 0:  # about one pair in ten has no route
                hops[(a, b)] = Hop(draw(st.integers(0, 12)), draw(st.sampled_from([0, 0, 50])))
    cargo = draw(st.dictionaries(st.sampled_from(KEYS[:4]), st.integers(1, 30), max_size=2))
    holds = sum(cargo.values()) + draw(st.integers(0, 60))
    return Problem(
        stops=stops,
        hops=hops,
        holds=holds,
        cargo=cargo,
        budget=draw(st.integers(0, 8000)),
        max_turns=draw(st.one_of(st.none(), st.integers(5, 60))),
    )


def _same(problem: Problem) -> None:
    try:
        expected = brute_force(problem)
    except ExpeditionInfeasibleError:
        with pytest.raises(ExpeditionInfeasibleError):
            plan_expedition(problem)
        return
    got = plan_expedition(problem)
    assert (got.order, got.profit, got.turns) == (expected.order, expected.profit, expected.turns)
    assert got.exact and got.legs == expected.legs


@settings(max_examples=150, deadline=None)
@given(problems())
def test_the_planner_finds_the_order_trying_every_order_finds(problem: Problem) -> None:
    _same(problem)


@settings(max_examples=15, deadline=None)
@given(problems(max_stops=EXACT_LIMIT).filter(lambda p: len(p.stops) >= 7))
def test_the_planner_is_exact_at_seven_and_eight_waypoints(problem: Problem) -> None:
    _same(problem)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_a_plan_keeps_its_own_arithmetic(problem: Problem) -> None:
    try:
        plan = plan_expedition(problem)
    except ExpeditionInfeasibleError:
        return
    assert sorted(plan.order) == list(range(len(problem.stops)))
    assert plan.profit == sum(leg.credits - leg.hop.tolls for leg in plan.legs)
    assert plan.turns == sum(leg.turns for leg in plan.legs)
    if problem.max_turns is not None:
        assert plan.turns <= problem.max_turns
    # the holds never overflow and no purchase exceeds the budget
    cargo = dict(problem.cargo)
    for leg in plan.legs:
        for t in leg.trades:
            delta = t.units if t.side == Side.BUY else -t.units
            cargo[t.commodity] = cargo.get(t.commodity, 0) + delta
            assert cargo[t.commodity] >= 0
            if t.side == Side.BUY:
                assert -t.credits <= problem.budget
        assert sum(cargo.values()) <= problem.holds


def _stop(
    i: int, sells: dict[str, float] | None = None, buys: dict[str, float] | None = None
) -> Stop:
    return Stop(
        100 + i,
        1,
        100 + i,
        sells={k: Market(q, 1000) for k, q in (sells or {}).items()},
        buys={k: Market(q, 1000) for k, q in (buys or {}).items()},
    )


def test_the_rule_sells_to_the_port_and_buys_the_best_margin_for_the_stops_to_come() -> None:
    stops = (
        _stop(0, sells={"ore": 900, "technology": 900}, buys={"organics": 900}),
        _stop(1, buys={"technology": 900}),
        _stop(2, buys={"ore": 900}),
    )
    problem = Problem(stops, {}, holds=10, cargo={"organics": 4}, budget=100_000)
    trades, after = stop_trades(problem, 0, [1, 2], {"organics": 4})
    assert [(t.side, t.commodity) for t in trades] == [
        (Side.SELL, "organics"),
        (Side.BUY, "technology"),
    ]
    assert trades[1].units == 10 and after == {"technology": 10}
    # nothing is bought when no stop to come buys it
    trades, after = stop_trades(problem, 0, [], {})
    assert trades == () and after == {}


def test_a_sale_waits_for_a_stop_to_come_that_pays_more() -> None:
    stops = (_stop(0, buys={"ore": 100}), _stop(1, buys={"ore": 900}))
    problem = Problem(stops, {}, holds=10, cargo={"ore": 5})
    trades, after = stop_trades(problem, 0, [1], {"ore": 5})
    assert trades == () and after == {"ore": 5}
    trades, _ = stop_trades(problem, 0, [], {"ore": 5})
    assert trades[0].side == Side.SELL and trades[0].units == 5


def test_the_budget_caps_a_purchase() -> None:
    stops = (_stop(0, sells={"technology": 900}), _stop(1, buys={"technology": 900}))
    rich = Problem(stops, {}, holds=50, budget=1_000_000)
    poor = Problem(stops, {}, holds=50, budget=1_000)
    big = stop_trades(rich, 0, [1], {})[0][0]
    small = stop_trades(poor, 0, [1], {})[0][0]
    assert big.units == 50 and 0 < small.units < 50 and -small.credits <= 1_000


def test_no_order_within_the_turn_limit_is_refused() -> None:
    stops = (_stop(0), _stop(1))
    hops = {(-1, 0): Hop(5), (-1, 1): Hop(5), (0, 1): Hop(5), (1, 0): Hop(5)}
    with pytest.raises(ExpeditionInfeasibleError) as info:
        plan_expedition(Problem(stops, hops, holds=10, max_turns=9))
    assert info.value.code == "expedition_infeasible"
    assert plan_expedition(Problem(stops, hops, holds=10, max_turns=10)).turns == 10


def test_replay_names_a_leg_without_a_route() -> None:
    with pytest.raises(ExpeditionInfeasibleError):
        replay(Problem((_stop(0), _stop(1)), {(-1, 0): Hop(1)}, holds=1), (0, 1))


@settings(max_examples=10, deadline=None)
@given(problems(max_stops=6))
def test_the_beam_finds_the_exact_order_when_it_keeps_every_label(problem: Problem) -> None:
    # with no more labels per layer than the beam holds, the heuristic is the exact programme
    from starlane.domain import expeditions as ex

    try:
        exact = plan_expedition(problem)
    except ExpeditionInfeasibleError:
        return
    saved = ex.EXACT_LIMIT, ex.BEAM_WIDTH
    ex.EXACT_LIMIT, ex.BEAM_WIDTH = 0, 10**9  # type: ignore[misc]
    try:
        beam = plan_expedition(problem)
    finally:
        ex.EXACT_LIMIT, ex.BEAM_WIDTH = saved  # type: ignore[misc]
    assert (beam.order, beam.profit, beam.turns) == (exact.order, exact.profit, exact.turns)
    assert beam.exact is False


@settings(max_examples=5, deadline=None)
@given(st.data())
def test_ten_waypoints_are_planned_by_the_beam(data: st.DataObject) -> None:
    problem = data.draw(problems(max_stops=6))
    stops = tuple(
        Stop(200 + i, 1, 200 + i, sells=data.draw(markets()), buys=data.draw(markets()))
        for i in range(10)
    )
    hops = {
        (a, b): Hop((a * 7 + b * 3) % 11 + 1) for a in range(-1, 10) for b in range(10) if a != b
    }
    ten = Problem(stops, hops, holds=problem.holds, cargo=problem.cargo, budget=problem.budget)
    plan = plan_expedition(ten)
    assert sorted(plan.order) == list(range(10)) and plan.exact is False
    again = replay(ten, plan.order, exact=False)
    assert (again.profit, again.turns, again.legs) == (plan.profit, plan.turns, plan.legs)
