"""Trade estimates from a port view: price impact, best haul, best sale."""

from __future__ import annotations

import pytest

from starlane.bots.market import Offer, best_haul, best_sale, mean_buy_price, mean_sell_price
from starlane.domain.data import COMMODITIES, Side
from starlane.domain.economy import unit_price


def test_price_impact_matches_the_game_formula() -> None:
    base = COMMODITIES["ore"].base_price
    capacity, stock = 1_000, 800
    now = unit_price("ore", Side.BUY, stock / capacity)
    offer = Offer(now, stock, capacity)
    for units in (1, 100, 400, 800):
        mid = (stock - units / 2) / capacity
        assert mean_buy_price(offer, units) == pytest.approx(base * (1.5 - mid) * 1.10, rel=1e-6)
    demand = 900
    sell_now = unit_price("ore", Side.SELL, demand / capacity)
    sell = Offer(sell_now, demand, capacity)
    for units in (1, 300, 600):
        mid = (demand - units / 2) / capacity
        assert mean_sell_price(sell, units) == pytest.approx(base * (0.5 + mid) * 0.90, rel=1e-6)


def test_best_haul_stops_where_the_price_impact_eats_the_margin() -> None:
    buy, sell = Offer(10.0, 200, 200), Offer(30.0, 200, 200)
    units, profit = best_haul(buy, sell, most=500, tax=0.10)
    assert 0 < units < 200
    paid = mean_buy_price(buy, units) * units * 1.1
    assert profit == pytest.approx(mean_sell_price(sell, units) * units * 0.9 - paid)
    assert best_haul(Offer(30.0, 200, 200), Offer(20.0, 200, 200), most=500, tax=0.1) == (0, 0.0)


def test_best_sale_earns_over_the_cost_basis_or_not_at_all() -> None:
    offer = Offer(30.0, 1_000, 1_000)
    units, profit = best_sale(offer, 100, tax=0.10, basis=20.0)
    assert units == 100 and profit > 0
    assert best_sale(offer, 100, tax=0.10, basis=40.0) == (0, 0.0)
