"""The crossing bot: trades, then heads for a gate and crosses when the other side admits it."""

from __future__ import annotations

import random

from starlane.bots.crossing import Crosser
from starlane.bots.strategies import BotMemory, strategy_for
from tests.bots.test_strategies import sector

ME = {"credits": 10_000, "turns": {"available": 500}, "ship": {"cargo": {}, "free_holds": 20}}


def gate(toll: int = 0, immigration: str = "open") -> dict:
    return {
        "to_region_id": 2,
        "to_sector_id": 301,
        "toll": toll,
        "turn_cost": 3,
        "to_region_name": "Central Nexus",
        "immigration": immigration,
    }


def at_gate(**gate_args) -> dict:
    s = sector(9, [8], discovered={8})
    s["region_id"] = 1
    s["gate"] = gate(**gate_args)
    return s


def test_it_crosses_after_its_stay_when_the_gate_admits_everyone() -> None:
    bot = Crosser(stay=1)
    action = bot.decide(ME, at_gate(toll=500), BotMemory(), random.Random(0))
    assert (action.kind, action.args) == ("move", {"to_sector_id": 301})
    assert "Central Nexus" in action.reason and bot.crossings == 1


def test_it_does_not_pay_a_dear_toll_or_knock_on_a_closed_region() -> None:
    for here in (at_gate(toll=5_000), at_gate(immigration="closed")):
        action = Crosser(stay=1).decide(ME, here, BotMemory(), random.Random(0))
        assert action.args != {"to_sector_id": 301}


def test_it_heads_for_a_gate_it_has_seen() -> None:
    memory = BotMemory()
    gate_sector = at_gate()
    memory.observe_sector(gate_sector)
    here = sector(8, [9], discovered={9})
    here["region_id"] = 1
    memory.observe_sector(here)
    action = Crosser(stay=1).decide(ME, here, memory, random.Random(0))
    assert (action.kind, action.args) == ("move", {"to_sector_id": 9})


def test_it_trades_before_its_stay_is_over_and_waits_without_turns() -> None:
    bot = Crosser(stay=5)
    action = bot.decide(ME, at_gate(), BotMemory(), random.Random(0))
    assert action.args != {"to_sector_id": 301}
    tired = dict(ME, turns={"available": 2})
    assert bot.decide(tired, at_gate(), BotMemory(), random.Random(0)).kind == "wait"


def test_the_galaxy_fleet_has_crossing_bots() -> None:
    names = [strategy_for("galaxy", i).name for i in range(5)]
    assert names.count("crossing") == 2 and "trader" in names
    assert strategy_for("crossing", 0).name == "crossing"
