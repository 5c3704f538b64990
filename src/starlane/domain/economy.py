"""The economy: port prices, lazy port regeneration, quotes and trades.

Prices follow ``GAME.md`` with fill ``r = quantity / capacity``:

- a player buying from a port that sells pays ``base * (1.5 - r) * 1.10`` per unit;
- a player selling to a port that buys receives ``base * (0.5 + r) * 0.90`` per unit;
- both are clamped to the commodity's range, then multiplied by the region's price multiplier
  for the commodity;
- an n-unit trade is priced at the fill halfway through the trade (``quantity - n/2``), the
  mean unit price; its value is ``round(unit_price * n)`` credits;
- the region's tax, ``round(value * tax_rate)``, goes to the region treasury: a buyer pays value
  plus tax, a seller receives value minus tax; the port's ledger takes or pays the value. A
  citizen of a region this one has a trade agreement with pays the tax less the agreement's
  discount (``Trade.home_region_id``, :func:`~starlane.domain.diplomacy_terms.tax_discount_pct`).

Port quantities regenerate toward capacity by ``regen_per_hour`` of capacity per hour times the
region's regeneration multiplier, lazily from ``Port.updated_at`` (:func:`settled_stock`).
:func:`quote` and :func:`decide_trade` share one pricing path, so a quote never disagrees with
the trade that follows at the same instant.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from starlane.domain.commands import Trade
from starlane.domain.data import COMMODITIES, DEFAULT_RULES, PORT_CLASSES, GameRules, Side
from starlane.domain.diplomacy_terms import discounted, tax_discount_pct
from starlane.domain.errors import (
    InsufficientCargoError,
    InsufficientCreditsError,
    InsufficientHoldsError,
    InsufficientTurnsError,
    InvalidQuantityError,
    NotInSectorError,
    PortDemandExhaustedError,
    PortDoesNotTradeError,
    PortOutOfStockError,
    PriceMovedError,
    UnknownCommodityError,
    UnknownPortError,
)
from starlane.domain.events import Event, PortTraded
from starlane.domain.model import Port, RegionState
from starlane.domain.movement import current_turns, require_player

SECONDS_PER_HOUR = 3_600.0  #: unit conversion for ``GameRules.regen_per_hour``


def unit_price(
    commodity: str,
    side: Side,
    fill: float,
    multiplier: float = 1.0,
    rules: GameRules = DEFAULT_RULES,
) -> float:
    """The price of one unit at a given fill ratio.

    Args:
        commodity: a commodity key.
        side: ``BUY`` (the player buys from a selling port) or ``SELL``.
        fill: the port's quantity over its capacity, usually 0-1.
        multiplier: the region's price multiplier for the commodity.
        rules: the rule numbers in force.

    Returns:
        Credits per unit: the clamped formula price times ``multiplier``.

    Raises:
        UnknownCommodityError: ``commodity`` is not in the commodity table.
    """
    c = COMMODITIES.get(commodity)
    if c is None:
        raise UnknownCommodityError(f"unknown commodity {commodity!r}", commodity=commodity)
    if side == Side.BUY:
        p = c.base_price * (rules.buy_fill_base - fill) * rules.sell_markup
    else:
        p = c.base_price * (rules.sell_fill_base + fill) * rules.buy_markdown
    if p < c.min_price:
        p = c.min_price
    elif p > c.max_price:
        p = c.max_price
    return p * multiplier


def price_trade(
    commodity: str,
    side: Side,
    quantity: float,
    capacity: int,
    units: int,
    multiplier: float,
    rules: GameRules,
) -> tuple[float, int]:
    """Price an n-unit trade at the fill halfway through it.

    Buying takes stock from ``quantity``; selling fills open demand, which also lowers
    ``quantity``; either way the halfway fill is ``(quantity - units / 2) / capacity``.

    Args:
        commodity: a commodity key.
        side: the player's side.
        quantity: the port's quantity before the trade, units.
        capacity: the port's capacity, units (> 0).
        units: units traded.
        multiplier: the region's price multiplier for the commodity.
        rules: the rule numbers in force.

    Returns:
        ``(mean unit price, total)``: credits per unit and ``round(unit_price * units)``.

    Raises:
        UnknownCommodityError: ``commodity`` is not in the commodity table.
    """
    p = unit_price(commodity, side, (quantity - units / 2) / capacity, multiplier, rules)
    return p, round(p * units)


def settled_stock(
    port: Port, now: float, regen_multiplier: float, rules: GameRules
) -> dict[str, float]:
    """A port's quantities at ``now`` with lazy regeneration applied (the port is unchanged).

    Args:
        port: the port.
        now: unix seconds.
        regen_multiplier: the region's regeneration multiplier.
        rules: the rule numbers in force.

    Returns:
        Commodity key -> quantity (units, fractional), each moved toward its capacity by
        ``regen_per_hour * regen_multiplier`` of capacity per elapsed hour, never past it.
    """
    elapsed = now - port.updated_at
    if elapsed <= 0.0:
        return {k: s.quantity for k, s in port.stock.items()}
    rate = rules.regen_per_hour * regen_multiplier * elapsed / SECONDS_PER_HOUR
    out: dict[str, float] = {}
    for k, s in port.stock.items():
        q = s.quantity
        cap = s.capacity
        if q < cap:
            q += cap * rate
            if q > cap:
                q = float(cap)
        out[k] = q
    return out


@dataclass(frozen=True, slots=True)
class Quote:
    """What a trade would cost or pay at a given instant.

    Attributes:
        port_id: the port.
        commodity: the commodity key.
        side: the player's side.
        units: units quoted.
        unit_price: mean unit price, credits (before tax).
        total: trade value, credits (before tax).
        tax: tax to the region treasury, credits.
        net: credits the player pays (buy: total + tax) or receives (sell: total - tax).
        available_units: whole units the port can trade now (stock or open demand).
        fill: the port's fill ratio before the trade.
    """

    port_id: int
    commodity: str
    side: Side
    units: int
    unit_price: float
    total: int
    tax: int
    net: int
    available_units: int
    fill: float


def _check_request(state: RegionState, port_id: int, commodity: str, units: int) -> Port:
    rules = state.rules
    if units <= 0 or units > rules.max_trade_units:
        raise InvalidQuantityError(
            f"quantity must be 1-{rules.max_trade_units}, got {units}",
            quantity=units,
            max=rules.max_trade_units,
        )
    if commodity not in COMMODITIES:
        raise UnknownCommodityError(f"unknown commodity {commodity!r}", commodity=commodity)
    port = state.ports.get(port_id)
    if port is None:
        raise UnknownPortError(f"no port {port_id} in this region", port_id=port_id)
    return port


def _price(
    state: RegionState,
    port: Port,
    commodity: str,
    side: Side,
    units: int,
    now: float,
    tax_discount: int = 0,
) -> tuple[float, int, int, int, int, float, dict[str, float]]:
    """The shared pricing path of quotes and trades (``tax_discount``: percent off the tax
    under a trade agreement with the trader's home region).

    Returns ``(unit_price, total, tax, net, available, quantity, settled stock)``.
    """
    held = port.stock.get(commodity)
    if (
        held is None
        or held.capacity <= 0
        or not PORT_CLASSES[port.port_class].trades(commodity, side)
    ):
        verb = "sell" if side == Side.BUY else "buy"
        raise PortDoesNotTradeError(
            f"port {port.id} does not {verb} {commodity}",
            port_id=port.id,
            commodity=commodity,
            side=str(side),
        )
    rules = state.rules
    policy = state.region.policy
    stock = settled_stock(port, now, policy.regen_multiplier, rules)
    quantity = stock[commodity]
    capacity = held.capacity
    available = int(quantity)
    if units > available:
        if side == Side.BUY:
            raise PortOutOfStockError(
                f"port {port.id} has {available} {commodity} in stock, {units} asked",
                available=available,
                asked=units,
            )
        raise PortDemandExhaustedError(
            f"port {port.id} wants {available} {commodity}, {units} offered",
            available=available,
            asked=units,
        )
    mult = policy.price_multipliers.get(commodity, 1.0)
    price, total = price_trade(commodity, side, quantity, capacity, units, mult, rules)
    tax = round(total * policy.tax_rate)
    if tax_discount:
        tax = discounted(tax, tax_discount)
    net = total + tax if side == Side.BUY else total - tax
    return price, total, tax, net, available, quantity, stock


def quote(
    state: RegionState,
    port_id: int,
    commodity: str,
    side: Side,
    units: int,
    now: float,
    tax_discount: int = 0,
) -> Quote:
    """Quote a trade without making it (the same pricing as :func:`decide_trade`).

    Args:
        state: the region.
        port_id: the port.
        commodity: a commodity key.
        side: the player's side.
        units: units to trade.
        now: unix seconds.
        tax_discount: percent off the tax (a trade agreement with the trader's home region).

    Returns:
        The quote.

    Raises:
        InvalidQuantityError, UnknownCommodityError, UnknownPortError, PortDoesNotTradeError,
        PortOutOfStockError, PortDemandExhaustedError: as the trade itself would.
    """
    port = _check_request(state, port_id, commodity, units)
    price, total, tax, net, available, quantity, _ = _price(
        state, port, commodity, side, units, now, tax_discount
    )
    fill = quantity / port.stock[commodity].capacity
    return Quote(port.id, commodity, side, units, price, total, tax, net, available, fill)


def decide_trade(
    state: RegionState, command: Trade, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a trade at the port in the player's sector.

    Args:
        state: the region.
        command: the trade.
        now: unix seconds.
        rng: unused (no randomness); accepted so every decider has one signature.

    Returns:
        One ``PortTraded`` with every resulting balance.

    Raises:
        UnknownPlayerError, InvalidQuantityError, UnknownCommodityError, UnknownPortError,
        NotInSectorError, PortDoesNotTradeError, PortOutOfStockError,
        PortDemandExhaustedError, PriceMovedError, InsufficientCreditsError,
        InsufficientHoldsError, InsufficientCargoError, InsufficientTurnsError.
    """
    player = require_player(state, command.player_id)
    commodity = command.commodity
    units = command.quantity
    side = command.side
    port = _check_request(state, command.port_id, commodity, units)
    if port.sector_id != player.sector_id:
        raise NotInSectorError(
            f"port {port.id} is in sector {port.sector_id}, you are in {player.sector_id}",
            port_id=port.id,
        )
    discount = tax_discount_pct(state.region, command.home_region_id, now)
    price, total, tax, net, _, _, stock = _price(state, port, commodity, side, units, now, discount)
    limit = command.max_unit_price
    ship = player.ship
    carried = ship.cargo.get(commodity, 0)
    if side == Side.BUY:
        if limit is not None and price > limit:
            raise PriceMovedError(
                f"unit price {price:.2f} is above your limit {limit:.2f}",
                unit_price=price,
                limit=limit,
            )
        if player.credits < net:
            raise InsufficientCreditsError(
                f"the trade costs {net} credits, you have {player.credits}",
                needed=net,
                available=player.credits,
            )
        free = ship.holds - sum(ship.cargo.values())
        if free < units:
            raise InsufficientHoldsError(
                f"{units} units need {units} free holds, you have {free}",
                needed=units,
                available=free,
            )
        credits_after = player.credits - net
        cargo_after = carried + units
        port_credits_after = port.credits + total
    else:
        if limit is not None and price < limit:
            raise PriceMovedError(
                f"unit price {price:.2f} is below your limit {limit:.2f}",
                unit_price=price,
                limit=limit,
            )
        if carried < units:
            raise InsufficientCargoError(
                f"you carry {carried} {commodity}, {units} offered",
                needed=units,
                available=carried,
            )
        credits_after = player.credits + net
        cargo_after = carried - units
        port_credits_after = port.credits - total
    rules = state.rules
    turns, turns_at = current_turns(player, now, rules)
    cost = rules.trade_turns
    if turns < cost:
        raise InsufficientTurnsError(
            f"a trade costs {cost} turns, {turns} available", needed=cost, available=turns
        )
    stock[commodity] -= units
    return [
        PortTraded(
            region_id=state.region.id,
            at=now,
            player_id=player.id,
            port_id=port.id,
            sector_id=port.sector_id,
            commodity=commodity,
            side=side,
            units=units,
            unit_price=price,
            total=total,
            tax=tax,
            credits_after=credits_after,
            cargo_after=cargo_after,
            port_stock_after=stock,
            port_credits_after=port_credits_after,
            treasury_after=state.region.treasury + tax,
            turns_left=turns - cost,
            turns_at=turns_at,
        )
    ]
