"""What a trade will pay, estimated from a port view: price impact and the best quantity.

A port's unit price moves with its fill ``r = quantity / capacity`` (game guide,
"Prices"): a player buying pays ``k * (1.5 - r)``, a player selling receives ``k * (0.5 + r)``
(the ``buy_fill_base`` and ``sell_fill_base`` of the default rules),
and a trade of ``n`` units is priced at the fill halfway through it. From the unit price and
fill a port shows now, the mean price of ``n`` units follows without knowing ``k``. The clamps
on prices only ever make a real trade better than this estimate (a buy never costs more, a
sale never pays less), so a trade judged profitable here is at least as profitable for real.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlane.domain.data import DEFAULT_RULES

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Offer:
    """One commodity a port trades, as a port view shows it.

    Attributes:
        unit_price: price of one unit now, credits.
        quantity: units in stock (a selling port) or of open demand (a buying port).
        capacity: units at full fill.
    """

    unit_price: float
    quantity: int
    capacity: int

    @property
    def fill(self) -> float:
        """Fill ``quantity / capacity`` (0-1)."""
        return self.quantity / self.capacity if self.capacity > 0 else 0.0


def offers(port: JSON, direction: str) -> dict[str, Offer]:
    """A port's offers in one direction.

    Args:
        port: a ``PortOut`` document.
        direction: ``sells`` (the port sells: players buy) or ``buys``.

    Returns:
        Commodity -> its offer.
    """
    return {
        c["commodity"]: Offer(
            float(c["unit_price"]), int(c["quantity"]), int(c.get("capacity") or c["quantity"])
        )
        for c in port.get("commodities", [])
        if c["direction"] == direction
    }


def mean_buy_price(offer: Offer, units: int) -> float:
    """Mean unit price a player pays for ``units`` from a selling port, before tax.

    Args:
        offer: the selling port's offer.
        units: units bought.

    Returns:
        Credits per unit.
    """
    if offer.capacity <= 0 or units <= 0:
        return offer.unit_price
    r0 = offer.fill
    mid = r0 - units / (2 * offer.capacity)
    base = DEFAULT_RULES.buy_fill_base
    return offer.unit_price * (base - mid) / (base - r0)


def mean_sell_price(offer: Offer, units: int) -> float:
    """Mean unit price a player receives for ``units`` at a buying port, before tax.

    Args:
        offer: the buying port's offer.
        units: units sold.

    Returns:
        Credits per unit.
    """
    if offer.capacity <= 0 or units <= 0:
        return offer.unit_price
    r0 = offer.fill
    mid = max(r0 - units / (2 * offer.capacity), 0.0)
    base = DEFAULT_RULES.sell_fill_base
    return offer.unit_price * (base + mid) / (base + r0)


def best_haul(buy: Offer, sell: Offer, *, most: int, tax: float) -> tuple[int, float]:
    """The quantity of a buy-here-sell-there haul that earns the most, and its profit.

    Args:
        buy: the selling port's offer (where the player buys).
        sell: the buying port's offer (where the player sells).
        most: most units the player may buy (free holds, and what it can pay for).
        tax: tax rate on trade value at both ends (0-1).

    Returns:
        (units, profit in credits after tax at both ends); (0, 0.0) when no quantity earns.
    """
    top = min(most, buy.quantity, sell.quantity)
    best = (0, 0.0)
    if top <= 0:
        return best
    steps = min(top, 50)
    for i in range(1, steps + 1):
        units = max(1, top * i // steps)
        paid = mean_buy_price(buy, units) * units * (1 + tax)
        profit = mean_sell_price(sell, units) * units * (1 - tax) - paid
        if profit > best[1]:
            best = (units, profit)
    return best


def best_sale(offer: Offer, units: int, *, tax: float, basis: float) -> tuple[int, float]:
    """How many of ``units`` to sell at a buying port for the most profit over their cost.

    Args:
        offer: the buying port's offer.
        units: units carried.
        tax: tax rate on trade value (0-1).
        basis: what each unit cost, tax included, credits (0 when unknown).

    Returns:
        (units to sell, profit in credits over their cost); (0, 0.0) when no sale earns.
    """
    top = min(units, offer.quantity)
    best = (0, 0.0)
    if top <= 0:
        return best
    steps = min(top, 50)
    for i in range(1, steps + 1):
        n = max(1, top * i // steps)
        profit = (mean_sell_price(offer, n) * (1 - tax) - basis) * n
        if profit > best[1]:
            best = (n, profit)
    return best
