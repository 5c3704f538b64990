"""The expeditioner bot: learns ports, has the server plan expeditions, flies them leg by leg."""

from __future__ import annotations

import random

import httpx

from starlane.bots.expeditioner import Expeditioner, expedition_request, leg_turns
from starlane.bots.pacing import TurnPacing
from starlane.bots.runner import BotFleet
from starlane.bots.strategies import Action, BotMemory, strategy_for
from starlane.client.api import StarlaneClient
from tests.bots.test_strategies import sector

ME = {"credits": 10_000, "turns": {"available": 500}, "ship": {"cargo": {}, "free_holds": 20}}
FAST = TurnPacing(reserve=0, horizon=1.0)


def _trip(status: str = "flying", next_leg: int = 1) -> dict:
    legs = [{"sector_id": 10 + n, "projected": {"turns": 4 + n}} for n in range(3)]
    return {"id": 7, "status": status, "next_leg": next_leg, "legs": legs}


def _knows_ports(memory: BotMemory, count: int) -> None:
    for sid in range(20, 20 + count):
        memory.learn_sector(sector(sid, [], port={"id": sid}))


def test_it_scans_then_explores_until_it_knows_enough_ports() -> None:
    bot, memory, rng = Expeditioner(stops=3), BotMemory(), random.Random(1)
    here = sector(5, [6], discovered=set())
    memory.observe_sector(here)
    assert bot.decide(ME, here, memory, rng).kind == "scan"
    memory.scanned.add(5)
    _knows_ports(memory, 2)
    assert bot.decide(ME, here, memory, rng).kind in ("move", "autopilot")
    _knows_ports(memory, 3)
    action = bot.decide(ME, here, memory, rng)
    assert action.kind == "expedition" and sorted(action.args["waypoints"]) == [20, 21, 22]
    assert expedition_request(action) == (
        ("POST", "/api/v1/expeditions"),
        {"json": {"waypoints": action.args["waypoints"]}},
    )


def test_it_flies_the_legs_then_plans_again_and_backs_off_after_a_refusal() -> None:
    bot, memory, rng = Expeditioner(stops=2, retry_after=2), BotMemory(), random.Random(2)
    here = sector(5, [6])
    memory.observe_sector(here)
    memory.scanned.add(5)
    _knows_ports(memory, 2)
    memory.expedition = _trip()
    action = bot.decide(ME, here, memory, rng)
    assert (action.kind, action.args, action.committed) == (
        "expedition_next",
        {"expedition_id": 7},
        True,
    )
    assert expedition_request(action)[0] == ("POST", "/api/v1/expeditions/7/next")
    assert leg_turns(memory.expedition) == 5 and leg_turns(None) == 0
    memory.expedition = _trip("finished", 3)
    assert bot.decide(ME, here, memory, rng).kind == "expedition"
    # the server refused that plan (memory.expedition stays None): explore a while first
    assert bot.decide(ME, here, memory, rng).kind != "expedition"
    assert bot.decide(ME, here, memory, rng).kind != "expedition"
    assert bot.decide(ME, here, memory, rng).kind == "expedition"
    assert isinstance(strategy_for("expeditioner", 0), Expeditioner)
    try:
        expedition_request(Action("move"))
    except ValueError:
        return
    raise AssertionError("a move is not an expedition action")


async def test_an_expeditioner_flies_expeditions_on_a_real_server(
    transport: httpx.ASGITransport,
) -> None:
    fleet = BotFleet(
        "http://test",
        count=1,
        strategy="expeditioner",
        pace=50,
        transport=transport,
        turn_pacing=FAST,
    )
    stats = await fleet.run(duration=5.0)
    assert stats.by_action["expedition"] >= 1, stats.to_dict()
    assert stats.by_action["expedition_next"] >= 2, stats.to_dict()
    async with StarlaneClient("http://test", transport=transport) as api:
        await api.login("bot1", "starlane-bot-password")
        page = await api.request("GET", "/api/v1/expeditions")
        flown = [e for e in page["items"] if e["next_leg"] > 0]
        assert flown, page
