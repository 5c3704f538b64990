"""Trade expeditions: order a list of waypoints and choose the trades at each (pure planning).

A player names 2-10 waypoint sectors; the expedition flies from the player's sector to every
waypoint once, in the order this module chooses, trading at each waypoint's port.

At each stop the trades follow one simple rule, documented and implemented in
:mod:`starlane.domain.expedition_trades` (:func:`stop_trades`): sell what this port buys
unless a stop to come pays more; then buy the commodity whose purchase gains most at the best
stop to come, within the free holds, the stock and the budget.

**The order** maximises projected profit (credits from sales minus purchases and gate
tolls), then fewest turns, then the earliest order in the list's own order (lexicographic
on waypoint positions), among the orders within ``max_turns`` when given. For up to
:data:`EXACT_LIMIT` waypoints it is exact: a forward dynamic programme over subsets (Held-Karp)
whose state is (stops visited, last stop, cargo in the holds). The rule depends on nothing
else (the remaining stops are the complement of the visited set; the budget is fixed), so
two partial orders reaching one state have the same futures and the better one is kept: the
result equals trying every order (:func:`brute_force`, used by the tests). With a turn limit
each state keeps the (profit, turns) labels no other label dominates. Above
:data:`EXACT_LIMIT` waypoints the same programme keeps only the :data:`BEAM_WIDTH` best
labels of each layer (a beam search): fast, usually optimal, not guaranteed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from starlane.domain.errors import DomainError
from starlane.domain.expedition_trades import (
    Cargo,
    Hop,
    Market,
    Problem,
    Stop,
    TradeRule,
    TradeStep,
    purchase,
    sale,
    stop_trades,
)

MIN_WAYPOINTS: Final = 2  #: fewest waypoints of an expedition
MAX_WAYPOINTS: Final = 10  #: most waypoints of an expedition
EXACT_LIMIT: Final = 8  #: up to this many waypoints the order is exact
BEAM_WIDTH: Final = 256  #: labels kept per layer above :data:`EXACT_LIMIT` waypoints


class ExpeditionInfeasibleError(DomainError):
    """No order of the waypoints can be flown from where the player is (no route, or none
    within ``max_turns``): a well-formed request the galaxy cannot satisfy now."""

    code = "expedition_infeasible"
    kind = "conflict"


@dataclass(frozen=True, slots=True)
class PlannedStop:
    """One leg of a plan: the route to a stop and the trades there.

    Attributes:
        index: the stop's position in the player's waypoint list.
        stop: the stop.
        hop: the route there.
        trades: the trades there, sells first.
        credits: credits the trades bring (sales minus purchases), before tolls.
        turns: turns of the leg (route and trades).
    """

    index: int
    stop: Stop
    hop: Hop
    trades: tuple[TradeStep, ...]
    credits: int
    turns: int


@dataclass(frozen=True, slots=True)
class Plan:
    """A planned expedition.

    Attributes:
        order: stop indices in flying order.
        legs: one per stop, in flying order.
        profit: projected credits gained (trades minus tolls).
        turns: projected turns.
        exact: whether the order is guaranteed best (at most :data:`EXACT_LIMIT` stops).
    """

    order: tuple[int, ...]
    legs: tuple[PlannedStop, ...]
    profit: int
    turns: int
    exact: bool


# A label: (profit, turns, order, cargo).
_Label = tuple[int, int, tuple[int, ...], Cargo]


def _better(a: _Label, b: _Label) -> bool:
    """Whether label ``a`` ranks before ``b``: more profit, fewer turns, earlier order."""
    return (-a[0], a[1], a[2]) < (-b[0], b[1], b[2])


def _keep(front: list[_Label], new: _Label, pareto: bool) -> list[_Label]:
    """Add a label to a state's labels (one best label, or a (profit, turns) Pareto front)."""
    if not pareto:
        return [new] if not front or _better(new, front[0]) else front
    for old in front:
        if (
            old[0] >= new[0]
            and old[1] <= new[1]
            and ((old[0], old[1]) != (new[0], new[1]) or old[2] <= new[2])
        ):
            return front  # dominated, or an equal label with an earlier order
    return [old for old in front if not (new[0] >= old[0] and new[1] <= old[1])] + [new]


def plan_expedition(problem: Problem) -> Plan:
    """Choose the order of the stops and the trades at each (see the module docstring).

    Args:
        problem: the planning problem (2-10 stops).

    Returns:
        The plan.

    Raises:
        ExpeditionInfeasibleError: no order can be flown (a stop no route reaches, or every
            order over ``max_turns``).
    """
    n = len(problem.stops)
    full = (1 << n) - 1
    trade = TradeRule(problem)
    trade_turns = problem.rules.trade_turns
    limit = problem.max_turns
    pareto = limit is not None
    exact = n <= EXACT_LIMIT
    hops = problem.hops
    layer: dict[tuple[int, int, Cargo], list[_Label]] = {}
    start_cargo = trade.canonical(problem.cargo, full)
    for i in range(n):
        hop = hops.get((-1, i))
        if hop is None:
            continue
        credits, count, after = trade(i, full ^ (1 << i), start_cargo)
        turns = hop.turns + count * trade_turns
        if limit is not None and turns > limit:
            continue
        key = (1 << i, i, after)
        layer[key] = _keep(layer.get(key, []), (credits - hop.tolls, turns, (i,), after), pareto)
    for _ in range(n - 1):
        if not exact:
            layer = _beam(layer)
        nxt: dict[tuple[int, int, Cargo], list[_Label]] = {}
        for (mask, last, _cargo_key), labels in layer.items():
            for j in range(n):
                if mask >> j & 1:
                    continue
                hop = hops.get((last, j))
                if hop is None:
                    continue
                seen = mask | (1 << j)
                for profit, turns, order, held in labels:
                    credits, count, after = trade(j, full ^ seen, held)
                    t = turns + hop.turns + count * trade_turns
                    if limit is not None and t > limit:
                        continue
                    key = (seen, j, after)
                    p = profit + credits - hop.tolls
                    if pareto:
                        nxt[key] = _keep(nxt.get(key, []), (p, t, (*order, j), after), True)
                        continue
                    old = nxt.get(key)
                    if old is not None:
                        op, ot, oo, _ = old[0]
                        if p < op or (p == op and (t > ot or (t == ot and oo < (*order, j)))):
                            continue
                    nxt[key] = [(p, t, (*order, j), after)]
        layer = nxt
    best: _Label | None = None
    for labels in layer.values():
        for label in labels:
            if best is None or _better(label, best):
                best = label
    if best is None:
        raise ExpeditionInfeasibleError(
            "no order of the waypoints can be flown"
            + ("" if limit is None else f" within {limit} turns"),
            max_turns=limit,
        )
    return replay(problem, best[2], exact=exact)


def _beam(
    layer: dict[tuple[int, int, Cargo], list[_Label]],
) -> dict[tuple[int, int, Cargo], list[_Label]]:
    """The :data:`BEAM_WIDTH` best labels of a layer (the heuristic above the exact limit)."""
    flat = [(key, label) for key, labels in layer.items() for label in labels]
    if len(flat) <= BEAM_WIDTH:
        return layer
    flat.sort(key=lambda kl: (-kl[1][0], kl[1][1], kl[1][2]))
    kept: dict[tuple[int, int, Cargo], list[_Label]] = {}
    for key, label in flat[:BEAM_WIDTH]:
        kept.setdefault(key, []).append(label)
    return kept


def replay(problem: Problem, order: Sequence[int], *, exact: bool = True) -> Plan:
    """Fly an order on paper: the legs, trades, profit and turns the trade rule gives.

    Args:
        problem: the planning problem.
        order: stop indices in flying order (each once).
        exact: recorded in the plan (whether the order is known to be best).

    Returns:
        The plan of that order.

    Raises:
        ExpeditionInfeasibleError: a leg of the order has no route.
    """
    cargo: dict[str, int] = dict(problem.cargo)
    legs: list[PlannedStop] = []
    profit = turns = 0
    prev = -1
    for pos, i in enumerate(order):
        hop = problem.hops.get((prev, i))
        if hop is None:
            raise ExpeditionInfeasibleError(
                f"no route to waypoint {problem.stops[i].sector_id}",
                sector_id=problem.stops[i].sector_id,
            )
        remaining = [j for j in order[pos + 1 :]]
        trades, cargo = stop_trades(problem, i, sorted(remaining), cargo)
        credits = sum(t.credits for t in trades)
        leg_turns = hop.turns + len(trades) * problem.rules.trade_turns
        legs.append(PlannedStop(i, problem.stops[i], hop, trades, credits, leg_turns))
        profit += credits - hop.tolls
        turns += leg_turns
        prev = i
    return Plan(tuple(order), tuple(legs), profit, turns, exact)


def brute_force(problem: Problem) -> Plan:
    """The best order by trying every order (the reference the planner is tested against).

    Every permutation is flown on paper, in lexicographic order, by a depth-first walk that
    shares each prefix's trades among the orders that begin with it; the first order of the
    best (profit, turns) wins, as in :func:`plan_expedition`.

    Args:
        problem: the planning problem.

    Returns:
        The best plan under the same ranking as :func:`plan_expedition`.

    Raises:
        ExpeditionInfeasibleError: no order can be flown.
    """
    n = len(problem.stops)
    full = (1 << n) - 1
    trade = TradeRule(problem)
    limit = problem.max_turns
    best: list[tuple[int, int, tuple[int, ...]]] = []

    def walk(
        mask: int, last: int, order: tuple[int, ...], cargo: Cargo, profit: int, turns: int
    ) -> None:
        if mask == full:
            if limit is not None and turns > limit:
                return
            if not best or (-profit, turns) < (-best[0][0], best[0][1]):
                best[:] = [(profit, turns, order)]
            return
        for j in range(n):
            if mask >> j & 1:
                continue
            hop = problem.hops.get((last, j))
            if hop is None:
                continue
            seen = mask | (1 << j)
            credits, count, after = trade(j, full ^ seen, cargo)
            walk(
                seen,
                j,
                (*order, j),
                after,
                profit + credits - hop.tolls,
                turns + hop.turns + count * problem.rules.trade_turns,
            )

    walk(0, -1, (), trade.canonical(problem.cargo, full), 0, 0)
    if not best:
        raise ExpeditionInfeasibleError("no order of the waypoints can be flown")
    return replay(problem, best[0][2])


__all__ = [
    "BEAM_WIDTH",
    "EXACT_LIMIT",
    "MAX_WAYPOINTS",
    "MIN_WAYPOINTS",
    "Cargo",
    "ExpeditionInfeasibleError",
    "Hop",
    "Market",
    "Plan",
    "PlannedStop",
    "Problem",
    "Stop",
    "TradeRule",
    "TradeStep",
    "brute_force",
    "plan_expedition",
    "purchase",
    "replay",
    "sale",
    "stop_trades",
]
