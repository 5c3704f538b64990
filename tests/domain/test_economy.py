"""Economy rules: prices, clamps, mean-price trades, regeneration, tax, trade refusals."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlane.domain import errors
from starlane.domain.codec import copy_state
from starlane.domain.commands import Trade
from starlane.domain.data import COMMODITIES, DEFAULT_RULES, Side
from starlane.domain.economy import price_trade, quote, settled_stock, unit_price
from starlane.domain.events import PortTraded
from starlane.domain.model import RegionState
from starlane.domain.rules import decide
from tests.domain.conftest import T0, build_region, place, run, spawn

HOUR = 3_600.0
# ports of the fixture: 3 is class 1 (BBS: buys ore, organics; sells equipment),
# 6 is class 3 (SBB: sells ore; buys organics, equipment), 1 is Sol, 2 the StarDock.
SELLS_ORE = 6
BUYS_ORE = 3


def test_unit_price_formula_at_half_fill() -> None:
    assert unit_price("ore", Side.BUY, 0.5) == pytest.approx(20 * 1.0 * 1.10)
    assert unit_price("ore", Side.SELL, 0.5) == pytest.approx(20 * 1.0 * 0.90)
    assert unit_price("luxuries", Side.BUY, 1.0) == pytest.approx(120 * 0.5 * 1.10)
    assert unit_price("luxuries", Side.SELL, 0.0) == pytest.approx(60)  # 54 clamped up to 60


def test_unit_price_clamps_then_multiplies() -> None:
    assert unit_price("technology", Side.SELL, 0.0) == 125  # 112.5 below the clamp
    assert unit_price("technology", Side.SELL, 0.0, 1.2) == pytest.approx(150)
    assert unit_price("ore", Side.BUY, -5.0) == 40
    assert unit_price("ore", Side.BUY, 0.5, 0.8) == pytest.approx(22 * 0.8)


def test_unit_price_unknown_commodity() -> None:
    with pytest.raises(errors.UnknownCommodityError) as exc:
        unit_price("spice", Side.BUY, 0.5)
    assert exc.value.code == "unknown_commodity"


@given(
    commodity=st.sampled_from(sorted(COMMODITIES)),
    a=st.floats(0.0, 1.0),
    b=st.floats(0.0, 1.0),
    mult=st.floats(0.8, 1.25),
)
def test_price_monotonic_in_fill_and_within_clamps(
    commodity: str, a: float, b: float, mult: float
) -> None:
    lo, hi = min(a, b), max(a, b)
    c = COMMODITIES[commodity]
    buy_lo, buy_hi = (
        unit_price(commodity, Side.BUY, lo, mult),
        unit_price(commodity, Side.BUY, hi, mult),
    )
    sell_lo, sell_hi = (
        unit_price(commodity, Side.SELL, lo, mult),
        unit_price(commodity, Side.SELL, hi, mult),
    )
    assert buy_lo >= buy_hi  # fuller selling port: cheaper
    assert sell_lo <= sell_hi  # more open demand: better price
    for p in (buy_lo, buy_hi, sell_lo, sell_hi):
        assert c.min_price * mult - 1e-9 <= p <= c.max_price * mult + 1e-9


def test_price_trade_uses_halfway_fill() -> None:
    price, total = price_trade("ore", Side.BUY, 500.0, 1_000, 100, 1.0, DEFAULT_RULES)
    assert price == pytest.approx(20 * (1.5 - 0.45) * 1.10)
    assert total == round(price * 100)
    single, _ = price_trade("ore", Side.BUY, 500.0, 1_000, 1, 1.0, DEFAULT_RULES)
    assert price > single  # buying 100 lowers stock, so the mean price is higher


def test_settled_stock_regenerates_lazily_and_caps() -> None:
    state = build_region()
    port = state.ports[SELLS_ORE]
    assert settled_stock(port, T0, 1.0, DEFAULT_RULES)["ore"] == 500
    assert settled_stock(port, T0 + HOUR, 1.0, DEFAULT_RULES)["ore"] == pytest.approx(550)
    assert settled_stock(port, T0 + HOUR, 2.0, DEFAULT_RULES)["ore"] == pytest.approx(600)
    assert settled_stock(port, T0 + HOUR, 0.5, DEFAULT_RULES)["ore"] == pytest.approx(525)
    assert settled_stock(port, T0 + 100 * HOUR, 1.0, DEFAULT_RULES)["ore"] == 1_000
    assert settled_stock(port, T0 - HOUR, 1.0, DEFAULT_RULES)["ore"] == 500
    assert port.stock["ore"].quantity == 500  # unchanged


def _trader(cash: int = 10_000) -> RegionState:
    state = build_region()
    spawn(state, 7)
    state.players[7].credits = cash
    return state


def test_buy_moves_credits_units_tax_and_turns() -> None:
    state = _trader()
    place(state, 7, SELLS_ORE)
    (e,) = run(state, Trade(7, SELLS_ORE, "ore", Side.BUY, 100))
    assert isinstance(e, PortTraded)
    assert e.unit_price == pytest.approx(23.1)
    assert e.total == 2_310 and e.tax == 231
    p = state.players[7]
    assert p.credits == 10_000 - 2_310 - 231
    assert p.ship.cargo == {"ore": 100}
    assert p.turns == 999
    port = state.ports[SELLS_ORE]
    assert port.stock["ore"].quantity == 400
    assert port.credits == 2_310
    assert state.region.treasury == 231


def test_sell_pays_value_minus_tax() -> None:
    state = _trader()
    place(state, 7, BUYS_ORE)
    state.players[7].ship.cargo["ore"] = 200
    (e,) = run(state, Trade(7, BUYS_ORE, "ore", Side.SELL, 200))
    assert isinstance(e, PortTraded)
    assert e.unit_price == pytest.approx(20 * (0.5 + 0.4) * 0.90)
    assert state.players[7].credits == 10_000 + e.total - e.tax
    assert state.players[7].ship.cargo == {}
    assert state.ports[BUYS_ORE].stock["ore"].quantity == 300
    assert state.ports[BUYS_ORE].credits == -e.total
    assert state.region.treasury == e.tax


def test_trade_applies_regeneration_since_last_trade() -> None:
    state = _trader()
    place(state, 7, SELLS_ORE)
    run(state, Trade(7, SELLS_ORE, "ore", Side.BUY, 100), T0)
    (e,) = run(state, Trade(7, SELLS_ORE, "ore", Side.BUY, 10), T0 + HOUR)
    assert isinstance(e, PortTraded)
    assert e.port_stock_after["ore"] == pytest.approx(400 + 50 - 10)
    assert e.port_stock_after["organics"] == pytest.approx(550)
    assert state.ports[SELLS_ORE].updated_at == T0 + HOUR


def test_quote_matches_trade() -> None:
    state = _trader()
    place(state, 7, SELLS_ORE)
    q = quote(state, SELLS_ORE, "ore", Side.BUY, 77, T0 + 1_000)
    (e,) = run(state, Trade(7, SELLS_ORE, "ore", Side.BUY, 77), T0 + 1_000)
    assert isinstance(e, PortTraded)
    assert (q.unit_price, q.total, q.tax) == (e.unit_price, e.total, e.tax)
    assert q.net == q.total + q.tax
    assert q.available_units == int(500 + 1_000 * 1_000 * 0.05 / 3_600)  # regenerated


@pytest.mark.parametrize(
    ("port", "commodity", "side", "qty", "code"),
    [
        (SELLS_ORE, "ore", Side.BUY, 0, "invalid_quantity"),
        (SELLS_ORE, "ore", Side.BUY, -3, "invalid_quantity"),
        (SELLS_ORE, "ore", Side.BUY, DEFAULT_RULES.max_trade_units + 1, "invalid_quantity"),
        (SELLS_ORE, "spice", Side.BUY, 1, "unknown_commodity"),
        (999, "ore", Side.BUY, 1, "unknown_port"),
        (SELLS_ORE, "ore", Side.SELL, 1, "port_does_not_trade"),
        (SELLS_ORE, "luxuries", Side.BUY, 1, "port_does_not_trade"),
        (SELLS_ORE, "ore", Side.BUY, 501, "port_out_of_stock"),
        (BUYS_ORE, "ore", Side.SELL, 501, "port_demand_exhausted"),
        (2, "ore", Side.BUY, 1, "port_does_not_trade"),
    ],
)
def test_quote_refusals(port: int, commodity: str, side: Side, qty: int, code: str) -> None:
    state = _trader()
    with pytest.raises(errors.DomainError) as exc:
        quote(state, port, commodity, side, qty, T0)
    assert exc.value.code == code
    place(state, 7, port if port in state.sectors else 1)
    before = copy_state(state)
    state.players[7].ship.cargo["ore"] = 1_000
    state.players[7].ship.holds = 2_000
    with pytest.raises(errors.DomainError) as exc2:
        decide(state, Trade(7, port, commodity, side, qty), T0, random.Random(0))
    assert exc2.value.code == code
    state.players[7].ship.cargo.clear()
    state.players[7].ship.holds = before.players[7].ship.holds
    assert state == before


def _refused(state: RegionState, cmd: Trade, now: float = T0) -> errors.DomainError:
    with pytest.raises(errors.DomainError) as exc:
        decide(state, cmd, now, random.Random(0))
    return exc.value


def test_trade_refusals_player_side() -> None:
    state = _trader(cash=100)
    assert _refused(state, Trade(99, SELLS_ORE, "ore", Side.BUY, 1)).code == "unknown_player"
    assert _refused(state, Trade(7, SELLS_ORE, "ore", Side.BUY, 1)).code == "not_in_sector"
    place(state, 7, SELLS_ORE)
    err = _refused(state, Trade(7, SELLS_ORE, "ore", Side.BUY, 100))
    assert err.code == "insufficient_credits" and err.kind == "conflict"
    assert err.context["needed"] > 100
    state.players[7].credits = 1_000_000
    state.players[7].ship.cargo["organics"] = 480
    assert _refused(state, Trade(7, SELLS_ORE, "ore", Side.BUY, 21)).code == "insufficient_holds"
    assert _refused(state, Trade(7, SELLS_ORE, "organics", Side.SELL, 481)).code == (
        "insufficient_cargo"
    )
    assert _refused(state, Trade(7, SELLS_ORE, "equipment", Side.SELL, 1)).code == (
        "insufficient_cargo"
    )
    err = _refused(state, Trade(7, SELLS_ORE, "ore", Side.BUY, 10, max_unit_price=20.0))
    assert err.code == "price_moved"
    err = _refused(state, Trade(7, SELLS_ORE, "organics", Side.SELL, 10, max_unit_price=99.0))
    assert err.code == "price_moved"
    state.players[7].turns = 0
    state.players[7].turns_at = T0
    assert _refused(state, Trade(7, SELLS_ORE, "ore", Side.BUY, 1)).code == "insufficient_turns"


def test_price_guard_allows_a_good_price() -> None:
    state = _trader()
    place(state, 7, SELLS_ORE)
    (e,) = run(state, Trade(7, SELLS_ORE, "ore", Side.BUY, 10, max_unit_price=30.0))
    assert isinstance(e, PortTraded) and e.unit_price <= 30


def test_region_multiplier_and_tax_rate_apply() -> None:
    state = build_region(tax_rate=0.25)
    state.region.policy.price_multipliers["ore"] = 1.25
    spawn(state, 7)
    place(state, 7, SELLS_ORE)
    (e,) = run(state, Trade(7, SELLS_ORE, "ore", Side.BUY, 100))
    assert isinstance(e, PortTraded)
    assert e.unit_price == pytest.approx(23.1 * 1.25)
    assert e.tax == round(e.total * 0.25)


_trade_steps = st.lists(
    st.tuples(
        st.sampled_from([(SELLS_ORE, "ore"), (BUYS_ORE, "ore"), (SELLS_ORE, "organics")]),
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(1, 400),
        st.floats(0, 4 * HOUR),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(steps=_trade_steps)
def test_trading_conserves_credits_and_units(
    steps: list[tuple[tuple[int, str], Side, int, float]],
) -> None:
    state = _trader(cash=50_000)
    state.players[7].ship.holds = 750
    now = T0
    for (port_id, commodity), side, qty, dt in steps:
        now += dt
        place(state, 7, port_id)
        p = state.players[7]
        port = state.ports[port_id]
        money_before = p.credits + port.credits + state.region.treasury
        cargo_before = p.ship.cargo.get(commodity, 0)
        stock_now = settled_stock(port, now, 1.0, state.rules)
        try:
            (e,) = run(state, Trade(7, port_id, commodity, side, qty), now)
        except errors.DomainError:
            continue
        assert isinstance(e, PortTraded)
        money_after = p.credits + port.credits + state.region.treasury
        assert money_after == money_before  # nothing created or destroyed
        assert state.region.treasury >= e.tax
        cargo_delta = p.ship.cargo.get(commodity, 0) - cargo_before
        stock_delta = port.stock[commodity].quantity - stock_now[commodity]
        if side == Side.BUY:
            assert cargo_delta == qty and stock_delta == pytest.approx(-qty)
            assert p.credits >= 0
        else:
            # the port absorbs exactly the units the player gives up: open demand falls by them
            assert cargo_delta == -qty and stock_delta == pytest.approx(-qty)
        assert p.ship.free_holds >= 0


def test_port_without_a_holding_does_not_trade_it() -> None:
    state = _trader()
    del state.ports[SELLS_ORE].stock["ore"]
    with pytest.raises(errors.PortDoesNotTradeError):
        quote(state, SELLS_ORE, "ore", Side.BUY, 1, T0)
    state.ports[SELLS_ORE].stock["organics"].capacity = 0
    with pytest.raises(errors.PortDoesNotTradeError):
        quote(state, SELLS_ORE, "organics", Side.SELL, 1, T0)
