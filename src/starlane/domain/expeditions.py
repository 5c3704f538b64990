"""Trade expeditions: order a list of waypoints and choose the trades at each (pure planning).

A player names 2-10 waypoint sectors; the expedition flies from the player's sector to every
waypoint once, in the order this module chooses, trading at each waypoint's port.

**The per-stop trade rule** (:func:`stop_trades`), applied at a stop with the cargo the ship
arrives with and the set of stops still to come:

1. *Sell.* Every commodity in the holds that this port buys is sold here (as many units as the
   port's open demand takes), unless one of the stops still to come pays more credits, net of
   its tax, for the same units (then it is kept for that stop).
2. *Buy.* With the holds then free, consider each commodity this port sells: the units are the
   free holds, capped by the port's stock and by the budget (the credits the player had when
   planning; each purchase on its own, so the rule does not depend on earlier stops). Its
   gain is the best net proceeds at one of the stops still to come minus the purchase's cost
   (tax included). The commodity with the highest positive gain is bought (ties: commodity
   key); none when no gain is positive.

Prices are the ports' prices now (:func:`starlane.domain.economy.price_trade`, each trade at
the fill halfway through it, the region's multiplier and tax), each port's market taken as it
is now (a waypoint is visited once). Each trade costs ``GameRules.trade_turns``.

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from starlane.domain.data import DEFAULT_RULES, GameRules, Side
from starlane.domain.economy import price_trade
from starlane.domain.errors import DomainError

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
class Market:
    """One commodity at one port, as it trades now.

    Attributes:
        quantity: stock (a port that sells) or open demand (a port that buys), units.
        capacity: the port's capacity for it, units (> 0).
        multiplier: the region's price multiplier for it.
    """

    quantity: float
    capacity: int
    multiplier: float = 1.0


@dataclass(frozen=True, slots=True)
class Stop:
    """A waypoint and its port's market now.

    Attributes:
        sector_id: the waypoint.
        region_id: its region.
        port_id: its port, None when the sector has none (no trades there).
        sells: commodity key -> market, for what the port sells (the player buys).
        buys: commodity key -> market, for what the port buys (the player sells).
        tax_rate: the region's trade tax (fraction of trade value).
    """

    sector_id: int
    region_id: int
    port_id: int | None = None
    sells: Mapping[str, Market] = field(default_factory=dict)
    buys: Mapping[str, Market] = field(default_factory=dict)
    tax_rate: float = 0.0


@dataclass(frozen=True, slots=True)
class Hop:
    """The route between two points of the expedition.

    Attributes:
        turns: turns the route costs (warps and gates).
        tolls: gate tolls along it, credits.
        path: the sectors from start to end, both included.
    """

    turns: int
    tolls: int = 0
    path: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class TradeStep:
    """One trade of a stop.

    Attributes:
        commodity: the commodity key.
        side: ``buy`` or ``sell`` (the player's side).
        units: units traded.
        credits: credits the player receives (a sale, net of tax) or pays (a purchase, negative).
    """

    commodity: str
    side: Side
    units: int
    credits: int


@dataclass(frozen=True, slots=True)
class Problem:
    """What the planner works on.

    Attributes:
        stops: the waypoints in the player's order.
        hops: ``(a, b)`` -> route, where ``a`` is -1 (the start) or a stop index and ``b`` a
            stop index; a missing pair has no route.
        holds: the ship's holds, units.
        cargo: commodity key -> units in the holds at the start.
        budget: credits one purchase may cost at most (the credits when planning).
        max_turns: the expedition's turn limit, None for none.
        rules: the rule numbers in force.
    """

    stops: tuple[Stop, ...]
    hops: Mapping[tuple[int, int], Hop]
    holds: int
    cargo: Mapping[str, int] = field(default_factory=dict)
    budget: int = 0
    max_turns: int | None = None
    rules: GameRules = DEFAULT_RULES


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


Cargo = tuple[tuple[str, int], ...]
"""Cargo as a sorted tuple of (commodity, units > 0): hashable, one form per content."""


def _cargo(items: Mapping[str, int]) -> Cargo:
    return tuple(sorted((k, v) for k, v in items.items() if v > 0))


def sale(
    stop: Stop, commodity: str, units: int, rules: GameRules = DEFAULT_RULES
) -> tuple[int, int]:
    """What selling ``units`` of a commodity at a stop brings.

    Args:
        stop: the stop.
        commodity: the commodity key.
        units: units offered (>= 0).
        rules: the rule numbers in force.

    Returns:
        ``(units sold, credits received net of tax)``: the units are capped by the port's open
        demand; ``(0, 0)`` when the port does not buy it.
    """
    m = stop.buys.get(commodity)
    if m is None or units <= 0:
        return 0, 0
    sold = min(units, int(m.quantity))
    if sold <= 0:
        return 0, 0
    _, total = price_trade(commodity, Side.SELL, m.quantity, m.capacity, sold, m.multiplier, rules)
    return sold, total - round(total * stop.tax_rate)


def purchase(
    stop: Stop, commodity: str, units: int, budget: int, rules: GameRules = DEFAULT_RULES
) -> tuple[int, int]:
    """What buying up to ``units`` of a commodity at a stop costs, within a budget.

    Args:
        stop: the stop.
        commodity: the commodity key.
        units: units wanted (>= 0).
        budget: credits the purchase may cost at most.
        rules: the rule numbers in force.

    Returns:
        ``(units bought, credits paid with tax)``: capped by the stock and the budget;
        ``(0, 0)`` when the port does not sell it or nothing fits.
    """
    m = stop.sells.get(commodity)
    if m is None:
        return 0, 0
    q = min(units, int(m.quantity))
    while q > 0:
        _, total = price_trade(commodity, Side.BUY, m.quantity, m.capacity, q, m.multiplier, rules)
        cost = total + round(total * stop.tax_rate)
        if cost <= budget:
            return q, cost
        # a smaller purchase is never dearer per unit; shrink toward what the budget buys
        q = min(q - 1, int(q * budget / cost))
    return 0, 0


class TradeRule:
    """The per-stop trade rule of a problem, memoised by what each decision depends on.

    A sale decision depends on (stop, commodity, units held, stops to come); the purchase on
    (stop, stops to come, free holds); both ask what the best stop to come pays for some
    units (:meth:`best_later`). The planner asks the same questions many times.
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.n = len(problem.stops)
        self._sale: dict[tuple[int, str, int], tuple[int, int]] = {}
        self._later: dict[tuple[str, int, int], int] = {}
        self._purchase: dict[tuple[int, str, int], tuple[int, int]] = {}
        self._buy: dict[tuple[int, int, int], tuple[str, int, int] | None] = {}
        self._stop: dict[tuple[int, int, Cargo], tuple[int, int, Cargo]] = {}
        self._buyers: dict[str, int] = {}
        for j, stop in enumerate(problem.stops):
            for commodity in stop.buys:
                self._buyers[commodity] = self._buyers.get(commodity, 0) | (1 << j)

    def sale(self, index: int, commodity: str, units: int) -> tuple[int, int]:
        """:func:`sale` at stop ``index``, memoised."""
        key = (index, commodity, units)
        hit = self._sale.get(key)
        if hit is None:
            hit = sale(self.problem.stops[index], commodity, units, self.problem.rules)
            self._sale[key] = hit
        return hit

    def best_later(self, commodity: str, units: int, remaining: int) -> int:
        """The most net credits one stop to come pays for the units (0: none buys them).

        Args:
            commodity: the commodity.
            units: units offered.
            remaining: bit mask of the stops still to come.

        Returns:
            Credits.
        """
        buyers = self._buyers.get(commodity, 0) & remaining
        if not buyers:
            return 0
        key = (commodity, units, buyers)
        hit = self._later.get(key)
        if hit is None:
            hit = max(
                (self.sale(j, commodity, units)[1] for j in range(self.n) if buyers >> j & 1),
                default=0,
            )
            self._later[key] = hit
        return hit

    def sell(self, index: int, commodity: str, units: int, remaining: int) -> tuple[int, int]:
        """Units sold here and their net credits (``(0, 0)``: keep them), step 1 of the rule.

        Args:
            index: the stop.
            commodity: the commodity held.
            units: units held.
            remaining: bit mask of the stops still to come.

        Returns:
            ``(units sold, credits)``.
        """
        here = self.sale(index, commodity, units)
        if here[0] > 0 and self.best_later(commodity, units, remaining) > here[1]:
            return 0, 0  # a stop to come pays more: keep it for that stop
        return here

    def buy(self, index: int, remaining: int, free: int) -> tuple[str, int, int] | None:
        """The purchase of step 2: ``(commodity, units, credits paid)`` or None.

        Args:
            index: the stop.
            remaining: bit mask of the stops still to come.
            free: free holds after the sales.

        Returns:
            The purchase, or None when no commodity gains.
        """
        if free <= 0 or not remaining:
            return None
        key = (index, remaining, free)
        if key in self._buy:
            return self._buy[key]
        problem = self.problem
        stop = problem.stops[index]
        best: tuple[int, str, int, int] | None = None
        for commodity in sorted(stop.sells):
            pkey = (index, commodity, free)
            bought = self._purchase.get(pkey)
            if bought is None:
                bought = purchase(stop, commodity, free, problem.budget, problem.rules)
                self._purchase[pkey] = bought
            units, cost = bought
            if units <= 0:
                continue
            gain = self.best_later(commodity, units, remaining) - cost
            if gain > 0 and (best is None or gain > best[0]):
                best = (gain, commodity, units, cost)
        out = None if best is None else (best[1], best[2], best[3])
        self._buy[key] = out
        return out

    def trades(
        self, index: int, remaining: int, cargo: Mapping[str, int]
    ) -> tuple[tuple[TradeStep, ...], dict[str, int]]:
        """The whole rule at one stop: ``(trades, cargo after them)``."""
        held = dict(cargo)
        trades: list[TradeStep] = []
        for commodity in sorted(held):
            sold, net = self.sell(index, commodity, held[commodity], remaining)
            if sold > 0:
                trades.append(TradeStep(commodity, Side.SELL, sold, net))
                held[commodity] -= sold
        bought = self.buy(index, remaining, self.problem.holds - sum(held.values()))
        if bought is not None:
            commodity, units, cost = bought
            trades.append(TradeStep(commodity, Side.BUY, units, -cost))
            held[commodity] = held.get(commodity, 0) + units
        return tuple(trades), {k: v for k, v in held.items() if v > 0}

    def __call__(self, index: int, remaining: int, cargo: Cargo) -> tuple[int, int, Cargo]:
        """The rule's outcome at a stop: ``(credits, number of trades, cargo after)``, the
        cargo in its canonical form (:meth:`canonical`)."""
        key = (index, remaining, cargo)
        hit = self._stop.get(key)
        if hit is None:  # :meth:`trades` without building the trades
            held = dict(cargo)
            credits = count = 0
            for commodity, units in cargo:
                sold, net = self.sell(index, commodity, units, remaining)
                if sold > 0:
                    credits += net
                    count += 1
                    held[commodity] = units - sold
            bought = self.buy(index, remaining, self.problem.holds - sum(held.values()))
            if bought is not None:
                commodity, units, cost = bought
                credits -= cost
                count += 1
                held[commodity] = held.get(commodity, 0) + units
            hit = (credits, count, self.canonical(held, remaining))
            self._stop[key] = hit
        return hit

    def canonical(self, cargo: Mapping[str, int], remaining: int) -> Cargo:
        """Cargo as the rest of the trip sees it: units of commodities no stop to come buys
        only take holds (they can never be sold on this trip), so they are merged into one
        entry under the key ``""`` that no port trades. Two cargoes that differ only there
        have the same futures, so the programme's states merge."""
        dead = 0
        live: dict[str, int] = {}
        for commodity, units in cargo.items():
            if units <= 0:
                continue
            if self._buyers.get(commodity, 0) & remaining:
                live[commodity] = units
            else:
                dead += units
        if dead:
            live[""] = dead
        return _cargo(live)


def stop_trades(
    problem: Problem, index: int, remaining: Sequence[int], cargo: Mapping[str, int]
) -> tuple[tuple[TradeStep, ...], dict[str, int]]:
    """Apply the per-stop trade rule (see the module docstring) at one stop.

    Args:
        problem: the planning problem.
        index: the stop.
        remaining: indices of the stops still to come after this one.
        cargo: commodity key -> units in the holds on arrival.

    Returns:
        ``(trades, cargo after them)``.
    """
    mask = 0
    for j in remaining:
        mask |= 1 << j
    return TradeRule(problem).trades(index, mask, cargo)


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
