"""Bot strategies decide from what they have seen: pure functions, no server."""

from __future__ import annotations

import random
from typing import Any

import pytest

from starlane.bots.strategies import (
    Action,
    BotMemory,
    Explorer,
    Hunter,
    Trader,
    best_routes,
    path_to,
    strategy_for,
)


def sector(sid: int, warps: list[int], *, discovered: set[int] | None = None, **extra: Any) -> dict:
    known = discovered or set()
    return {
        "id": sid,
        "warps": [{"to_sector_id": w, "turn_cost": 1, "discovered": w in known} for w in warps],
        "port": extra.get("port"),
        "pirates": extra.get("pirates", []),
        "piracy": extra.get("piracy", 0),
    }


def port(pid: int, sells: dict[str, float], buys: dict[str, float], qty: int = 1000) -> dict:
    commodities = [
        {"commodity": c, "direction": "sells", "side": "buy", "quantity": qty, "unit_price": p}
        for c, p in sells.items()
    ] + [
        {"commodity": c, "direction": "buys", "side": "sell", "quantity": qty, "unit_price": p}
        for c, p in buys.items()
    ]
    return {"id": pid, "commodities": commodities}


def me(
    sector_id: int,
    *,
    credits: int = 10_000,
    cargo: dict | None = None,
    turns: int = 900,
    free_holds: int = 500,
    fighters: int = 50,
    hull: int = 400,
) -> dict:
    return {
        "sector_id": sector_id,
        "credits": credits,
        "turns": {"available": turns},
        "ship": {
            "cargo": cargo or {},
            "free_holds": free_holds,
            "fighters": fighters,
            "hull": hull,
        },
    }


SUMMARY = {"id": 0, "stardock": False}


def test_trader_learns_an_unknown_port_first() -> None:
    here = sector(5, [6], port={**SUMMARY, "id": 5})
    action = Trader().decide(me(5), here, BotMemory(), random.Random(1))
    assert action.kind == "port"
    assert action.args == {"port_id": 5}


def test_trader_buys_where_cheap_with_a_price_guard() -> None:
    memory = BotMemory()
    memory.observe_port(port(5, sells={"ore": 10.0}, buys={}))
    memory.observe_port(port(9, sells={}, buys={"ore": 30.0}))
    memory.planned[(5, 9)] = 4  # the autopilot's plan of the selling leg (asked first)
    here = sector(5, [6], port={**SUMMARY, "id": 5})
    action = Trader().decide(me(5, credits=1_000), here, memory, random.Random(1))
    assert action.kind == "trade"
    assert action.args["side"] == "buy"
    assert action.args["commodity"] == "ore"
    assert action.args["price_guard"] == pytest.approx(1.05)
    # a quarter of 1,000 credits at 10 credits plus 10 % tax: 22 units, below 500 free holds
    assert action.args["budget"] == 250
    assert action.args["quantity"] == 22


def test_trader_sells_cargo_the_port_buys() -> None:
    memory = BotMemory()
    memory.observe_port(port(9, sells={}, buys={"ore": 30.0}, qty=40))
    here = sector(9, [5], port={**SUMMARY, "id": 9})
    action = Trader().decide(me(9, cargo={"ore": 100}), here, memory, random.Random(1))
    assert action.kind == "trade"
    assert action.args == {"port_id": 9, "commodity": "ore", "side": "sell", "quantity": 40}


def test_trader_hauls_cargo_to_the_nearest_buyer() -> None:
    memory = BotMemory()
    memory.observe_sector(sector(1, [2]))
    memory.observe_sector(sector(2, [3]))
    memory.observe_sector(sector(3, [1]))
    memory.observe_port(port(3, sells={}, buys={"ore": 30.0}))
    memory.scanned.add(1)
    action = Trader().decide(me(1, cargo={"ore": 5}), sector(1, [2]), memory, random.Random(1))
    assert action.kind == "autopilot"
    assert action.args == {"to_sector_id": 3}


def test_trader_waits_without_turns() -> None:
    assert Trader().decide(me(1, turns=0), sector(1, [2]), BotMemory(), random.Random()).kind == (
        "wait"
    )


def test_trader_never_buys_at_a_loss_however_patient() -> None:
    memory = BotMemory()
    memory.observe_port(port(5, sells={"ore": 30.0}, buys={}))
    memory.observe_port(port(9, sells={}, buys={"ore": 20.0}))
    routes = best_routes(memory)
    assert routes[0].margin < 0
    here = sector(5, [6], port={**SUMMARY, "id": 5})
    for patience in (0, 2, 10):
        action = Trader(patience=patience).decide(me(5), here, memory, random.Random(1))
        assert action.kind != "trade", (patience, action)


def test_thin_margins_wait_for_patience() -> None:
    memory = BotMemory(tax_rate=0.0)
    memory.observe_port(port(5, sells={"ore": 20.0}, buys={}, qty=10_000))
    memory.observe_port(port(9, sells={}, buys={"ore": 21.0}, qty=10_000))
    memory.planned[(5, 9)] = 4
    here = sector(5, [6], port={**SUMMARY, "id": 5})
    impatient = Trader(patience=2).decide(me(5), here, memory, random.Random(1))
    assert impatient.kind == "trade"
    assert impatient.args["side"] == "buy"
    picky = Trader(patience=10).decide(me(5), here, memory, random.Random(1))
    assert picky.kind != "trade"


def test_trader_buys_less_where_its_own_purchase_would_eat_the_margin() -> None:
    """A thin port (capacity 200) moves its price with every unit: the haul stops short."""
    memory = BotMemory()
    memory.observe_port(port(5, sells={"ore": 10.0}, buys={}, qty=200))
    memory.observe_port(port(9, sells={}, buys={"ore": 30.0}, qty=200))
    memory.planned[(5, 9)] = 4
    here = sector(5, [6], port={**SUMMARY, "id": 5})
    action = Trader(budget_share=1.0).decide(me(5), here, memory, random.Random(1))
    assert action.kind == "trade"
    assert 0 < action.args["quantity"] < 200


def test_trader_looks_at_a_known_port_again_on_arrival() -> None:
    memory = BotMemory()
    memory.observe_port(port(5, sells={"ore": 10.0}, buys={}))
    memory.observe_port(port(9, sells={}, buys={"ore": 30.0}))
    memory.arrive(6)
    memory.arrive(5)  # back at port 5: its prices may have moved since
    here = sector(5, [6], port={**SUMMARY, "id": 5})
    action = Trader().decide(me(5), here, memory, random.Random(1))
    assert action == Action("port", {"port_id": 5}, action.reason)


def test_trader_carries_cargo_past_a_port_that_pays_less_than_it_cost() -> None:
    memory = BotMemory()
    memory.observe_sector(sector(9, [3]))
    memory.observe_sector(sector(3, [9]))
    memory.observe_port(port(3, sells={}, buys={"ore": 40.0}))
    memory.observe_port(port(9, sells={}, buys={"ore": 15.0}))
    memory.cost_basis["ore"] = 20.0
    memory.scanned.add(9)
    here = sector(9, [3], port={**SUMMARY, "id": 9})
    action = Trader().decide(me(9, cargo={"ore": 100}), here, memory, random.Random(1))
    assert action.kind == "move"
    assert action.args == {"to_sector_id": 3}


def test_trader_cuts_its_loss_when_no_known_port_pays_what_the_cargo_cost() -> None:
    memory = BotMemory()
    memory.observe_port(port(9, sells={}, buys={"ore": 15.0}))
    memory.cost_basis["ore"] = 20.0
    here = sector(9, [3], port={**SUMMARY, "id": 9})
    action = Trader().decide(me(9, cargo={"ore": 100}), here, memory, random.Random(1))
    assert action.kind == "trade"
    assert action.args["side"] == "sell"
    assert action.args["quantity"] == 100


def test_a_trader_asks_the_autopilot_what_an_unknown_selling_leg_costs_before_buying() -> None:
    memory = BotMemory()
    memory.observe_port(port(5, sells={"ore": 10.0}, buys={}))
    memory.observe_port(port(9, sells={}, buys={"ore": 30.0}))
    here = sector(5, [6], port={**SUMMARY, "id": 5})
    action = Trader().decide(me(5), here, memory, random.Random(1))
    assert (action.kind, action.args) == ("plan", {"to_sector_id": 9})


def test_cost_basis_averages_purchases() -> None:
    memory = BotMemory()
    memory.bought("ore", 100, 1_100, 0)
    memory.bought("ore", 100, 1_500, 100)
    assert memory.cost_basis["ore"] == pytest.approx(13.0)


def test_best_routes_rank_by_margin_after_tax() -> None:
    memory = BotMemory(tax_rate=0.0)
    memory.observe_port(port(1, sells={"ore": 10.0, "organics": 10.0}, buys={}))
    memory.observe_port(port(2, sells={}, buys={"ore": 20.0, "organics": 15.0}))
    routes = best_routes(memory)
    assert [(r.commodity, r.margin) for r in routes] == [("ore", 1.0), ("organics", 0.5)]


def test_explorer_prefers_undiscovered_neighbours() -> None:
    here = sector(1, [2, 3, 4], discovered={2, 3})
    action = Explorer().decide(me(1), here, BotMemory(), random.Random(1))
    assert action.kind == "move"
    assert action.args == {"to_sector_id": 4}


def test_explorer_autopilots_to_the_nearest_frontier() -> None:
    memory = BotMemory()
    memory.observe_sector(sector(1, [2], discovered={2}))
    memory.observe_sector(sector(2, [1, 3], discovered={1, 3}))
    memory.observe_sector(sector(3, [2, 4], discovered={2}))
    action = Explorer().decide(me(1), memory.sectors[1], memory, random.Random(1))
    assert action.kind == "autopilot"
    assert action.args == {"to_sector_id": 3}


def test_hunter_attacks_the_weakest_pirate() -> None:
    pirates = [
        {"id": 51, "fighters": 50, "shields": 50, "hull": 100},
        {"id": 52, "fighters": 5, "shields": 5, "hull": 10},
    ]
    action = Hunter().decide(me(5), sector(5, [6], pirates=pirates), BotMemory(), random.Random())
    assert action.kind == "attack"
    assert action.args == {"target_kind": "pirate", "target_id": 52}


def test_hunter_leaves_a_pirate_it_does_not_outgun() -> None:
    pirates = [{"id": 51, "fighters": 100, "shields": 100, "hull": 100}]
    action = Hunter(odds=2.0).decide(
        me(5, fighters=50, hull=400), sector(5, [6], pirates=pirates), BotMemory(), random.Random()
    )
    assert action.kind != "attack"


def test_hunter_in_an_escape_pod_does_not_attack() -> None:
    pirates = [{"id": 51, "fighters": 5, "shields": 5, "hull": 10}]
    weak = me(5, fighters=0, hull=50)
    action = Hunter().decide(weak, sector(5, [6], pirates=pirates), BotMemory(), random.Random())
    assert action.kind != "attack"


def test_path_to_finds_shortest_known_path() -> None:
    memory = BotMemory()
    memory.observe_sector(sector(1, [2, 3]))
    memory.observe_sector(sector(2, [4]))
    memory.observe_sector(sector(3, [4]))
    assert path_to(memory, 1, lambda s: s == 4) in ([2, 4], [3, 4])
    assert path_to(memory, 1, lambda s: s == 99) is None
    assert path_to(memory, 1, lambda s: s == 1) == []


def test_mixed_fleet_cycles_strategies() -> None:
    names = [strategy_for("mixed", i).name for i in range(4)]
    assert names == ["trader", "explorer", "trader", "hunter"]
    with pytest.raises(ValueError):
        strategy_for("pacifist", 0)


def test_trader_prefers_the_haul_that_earns_most_per_warp() -> None:
    """A rich haul four warps away loses to a smaller one next door when turns are scarce."""
    memory = BotMemory(tax_rate=0.0)
    for sid, warps in {1: [2, 10], 2: [1], 10: [11], 11: [12], 12: [13], 13: [10]}.items():
        memory.observe_sector(sector(sid, warps))
    memory.observe_port(port(1, sells={"ore": 10.0}, buys={}))
    memory.observe_port(port(2, sells={}, buys={"ore": 16.0}))  # next door: ~590 profit
    memory.observe_port(port(13, sells={}, buys={"ore": 18.0}))  # 4 warps away: ~1,000
    here = sector(1, [2, 10], port={**SUMMARY, "id": 1})
    action = Trader(budget_share=1.0).decide(me(1), here, memory, random.Random(1))
    assert action.kind == "trade" and action.args["side"] == "buy"
    assert "for port 2" in action.reason


def test_before_travelling_a_trader_scans_and_looks_at_ports_from_afar() -> None:
    memory = BotMemory()
    here = sector(1, [2, 3])
    memory.observe_sector(here)
    first = Trader().decide(me(1), here, memory, random.Random(1))
    assert first.kind == "scan"
    memory.scanned.add(1)
    memory.learn_sector(sector(2, [1], port={**SUMMARY, "id": 2}))
    memory.learn_sector(sector(3, [1]))
    second = Trader().decide(me(1), here, memory, random.Random(1))
    assert second == Action("port", {"port_id": 2}, second.reason)
    assert 2 not in memory.visited  # seen from afar, not visited: explorers still go there
    memory.observe_port(port(2, sells={}, buys={"ore": 30.0}))
    third = Trader().decide(me(1), here, memory, random.Random(1))
    assert third.kind in ("move", "autopilot")  # nothing left to learn for free
