"""The expedition planner's data and its per-stop trade rule (pure).

**The per-stop trade rule** (:func:`stop_trades`, :class:`TradeRule`), applied at a stop with
the cargo the ship arrives with and the set of stops still to come:

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
is now (a waypoint is visited once). Each trade costs ``GameRules.trade_turns``. The planner
(:mod:`starlane.domain.expeditions`) orders the stops under this rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from starlane.domain.data import DEFAULT_RULES, GameRules, Side
from starlane.domain.economy import price_trade


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


Cargo = tuple[tuple[str, int], ...]
"""Cargo as a sorted tuple of (commodity, units > 0): hashable, one form per content."""


def cargo_key(items: Mapping[str, int]) -> Cargo:
    """Cargo in its hashable form (:data:`Cargo`)."""
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
        return cargo_key(live)


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
