"""The benchmark's workloads: the game mix, REST mapping, and a short run against a real server."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlane.bench.placement import (
    _pairs_from_map,
    _prefer_complementary,
    find_pairs,
    place_clients,
    register_many,
)
from starlane.bench.runner import record
from starlane.bench.workload import MAX_CARGO, ClientSpec, GameMix, rest_call
from tests.client.conftest import served_app, small_settings


def spec(**kw: object) -> ClientSpec:
    ports = {
        5: {"sells": ["ore"], "buys": ["organics"]},
        6: {"sells": ["organics"], "buys": ["ore"]},
    }
    return ClientSpec(token="t", home=5, away=6, ports=ports, quote_port=5, seed=1, **kw)  # type: ignore[arg-type]


def test_game_mix_follows_the_issue_weights() -> None:
    mix = GameMix(spec())
    counts = Counter(mix.next()[0] for _ in range(20_000))
    assert counts["move"] / 20_000 == pytest.approx(0.50, abs=0.02)
    assert counts["quote"] / 20_000 == pytest.approx(0.20, abs=0.02)
    assert counts["trade"] / 20_000 == pytest.approx(0.25, abs=0.02)
    assert counts["sector"] / 20_000 == pytest.approx(0.05, abs=0.01)


def test_game_mix_bounces_and_sells_what_it_bought() -> None:
    mix = GameMix(spec())
    while (choice := mix.next())[0] != "move":
        pass
    assert choice[2] == {"to_sector_id": 6}
    mix.apply("move", choice[2], {})
    assert mix.sector == 6
    mix.apply("trade", {}, {"cargo": {"organics": 1}})
    mix.sector = 5
    while (choice := mix.next())[0] != "trade":
        pass
    assert choice[2] == {"port_id": 5, "commodity": "organics", "side": "sell", "quantity": 1}


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10_000), steps=st.integers(1, 3_000))
def test_game_mix_only_buys_what_the_other_port_buys(seed: int, steps: int) -> None:
    """A one-way pair (5 sells ore, which 6 buys; 6 sells fuel, which nobody buys): the client
    buys ore at 5 only, sells it at 6, never buys fuel (it could not sell it: its credits
    would drain), never carries more than MAX_CARGO, and quotes when it cannot trade."""
    ports = {5: {"sells": ["ore"], "buys": []}, 6: {"sells": ["fuel"], "buys": ["ore"]}}
    mix = GameMix(ClientSpec(token="t", home=5, away=6, ports=ports, quote_port=5, seed=seed))
    actions: Counter[str] = Counter()
    for _ in range(steps):
        action, op, args = mix.next()
        actions[action] += 1
        if op == "trade":
            side = "buy" if mix.sector == 5 else "sell"
            assert (args["port_id"], args["commodity"], args["side"]) == (mix.sector, "ore", side)
            carried = mix.cargo.get("ore", 0) + (1 if side == "buy" else -1)
            assert 0 <= carried <= MAX_CARGO
            mix.apply(op, args, {"cargo": {"ore": carried}})
        elif op == "move":
            mix.apply(op, args, None)
    assert actions.keys() <= {"move", "quote", "trade", "sector"}


def test_a_port_out_of_stock_is_not_asked_again() -> None:
    mix = GameMix(spec())  # 5 sells ore, which 6 buys
    while (choice := mix.next())[0] != "trade":
        pass
    assert choice[2] == {"port_id": 5, "commodity": "ore", "side": "buy", "quantity": 1}
    mix.refused("trade", choice[2], "insufficient_credits")  # not about the port: asked again
    while (choice := mix.next())[0] != "trade":
        pass
    mix.refused("trade", choice[2], "port_out_of_stock")
    choices = [mix.next() for _ in range(2_000)]
    assert not [c for c in choices if c[1] == "trade"]  # at 5 with nothing left to do: quotes
    quotes = {(c[2]["commodity"], c[2]["side"]) for c in choices if c[1] == "quote"}
    assert quotes == {("organics", "sell")}  # not a buy of the ore 5 is out of


def test_game_mix_starts_from_where_the_last_workload_left_the_ship() -> None:
    mix = GameMix(spec())
    mix.sync({"sector_id": 6, "ship": {"cargo": {"ore": 2, "fuel": 0}}})
    assert mix.sector == 6 and mix.cargo == {"ore": 2}
    while (choice := mix.next())[0] != "move":
        pass
    assert choice[2] == {"to_sector_id": 5}
    mix.sync(None)  # an answer that is not a player changes nothing
    assert mix.sector == 6


def test_rest_calls() -> None:
    assert rest_call("me", {}) == ("GET", "/api/v1/me", None)
    assert rest_call("move", {"to_sector_id": 3}) == (
        "POST",
        "/api/v1/me/move",
        {"to_sector_id": 3},
    )
    method, path, body = rest_call(
        "trade", {"port_id": 9, "commodity": "ore", "side": "buy", "quantity": 1}
    )
    assert (method, path) == ("POST", "/api/v1/ports/9/trade") and "port_id" not in body
    assert (
        rest_call("quote", {"port_id": 9, "commodity": "ore", "side": "buy", "quantity": 1})[1]
        == "/api/v1/ports/9/quote?commodity=ore&side=buy&quantity=1"
    )
    with pytest.raises(ValueError):
        rest_call("warp", {})


def test_pairs_from_map_need_two_way_warps_and_ports() -> None:
    items = [
        {"id": 1, "port_class": 1, "warps": [{"to_sector_id": 2}, {"to_sector_id": 3}]},
        {"id": 2, "port_class": 2, "warps": [{"to_sector_id": 1}]},
        {"id": 3, "port_class": 3, "warps": []},  # one-way from 1
        {"id": 4, "port_class": 9, "warps": [{"to_sector_id": 1}]},  # a StarDock
    ]
    pairs = _pairs_from_map(items)
    assert [(p["home"], p["away"]) for p in pairs] == [(1, 2)]
    # 1 and 2 trade with each other (class 1 sells equipment, class 2 buys it); a pair of two
    # class 1 ports does not, so it is left out while such pairs exist
    items += [
        {"id": 5, "port_class": 1, "warps": [{"to_sector_id": 6}]},
        {"id": 6, "port_class": 1, "warps": [{"to_sector_id": 5}]},
    ]
    assert [(p["home"], p["away"]) for p in _pairs_from_map(items)] == [(1, 2)]
    # without any, every two-way pair of ports is used
    assert [(p["home"], p["away"]) for p in _pairs_from_map(items[-2:])] == [(5, 6)]
    ordered = _prefer_complementary(
        {
            1: {"sells": ["equipment"], "buys": ["ore", "organics"]},
            2: {"sells": ["ore", "equipment"], "buys": ["organics"]},
        }
    )
    assert ordered[2]["sells"][0] == "ore"


async def test_a_short_measurement_against_a_real_server(tmp_path: Path) -> None:
    async with served_app(small_settings(tmp_path)) as base:
        pairs = await find_pairs(base, None)
        assert all(p["home"] == 1 for p in pairs)
        tokens = await register_many(base, "bench_t", 3)
        specs = await place_clients(base, tokens, pairs, seed=0)
        for transport in ("rest", "ws"):
            for mode in ("baseline", "game"):
                rec = await record(
                    None,
                    base,
                    specs,
                    transport=transport,
                    mode=mode,
                    duration=1.0,
                    warmup=1.0,
                    processes=1,
                )
                summary = rec.summary(f"{transport} {mode}", 1.0)
                assert summary.actions > 10, summary
                assert not [c for c in summary.errors if c.startswith(("http_5", "client_"))]
            # open loop, 30 actions/s offered over 3 clients for 1 s: every intended send of
            # the window is answered or reported unsent (no timing assumption)
            rec = await record(
                None,
                base,
                specs,
                transport=transport,
                mode="game",
                duration=1.0,
                warmup=1.0,
                processes=1,
                rate=30.0,
            )
            summary = rec.summary(f"{transport} open", 1.0, offered_rate=30.0)
            assert summary.offered_rate == 30.0
            assert 27 <= summary.actions + summary.unsent <= 33, summary
            assert not [c for c in summary.errors if c.startswith(("http_5", "client_"))]
