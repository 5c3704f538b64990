"""Traders plan hauls in turns: they save a haul's turns before buying, fly it as one committed
run, look again at stale prices, and sell among the buyers their turns reach (issue 16, item
15: default bots play sustainably)."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from starlane.bots.crossing import Crosser
from starlane.bots.pacing import SECONDS_PER_DAY, TurnPacing, surplus
from starlane.bots.strategies import BotMemory, Trader, leg_turns
from tests.bots.test_strategies import SUMMARY, port, sector

REGEN = 1_000 / SECONDS_PER_DAY


def me(sector_id: int, *, turns: int, cargo: dict | None = None, credits: int = 10_000) -> dict:
    return {
        "sector_id": sector_id,
        "credits": credits,
        "turns": {"available": turns, "max": 2_000, "per_day": 1_000},
        "ship": {"cargo": cargo or {}, "free_holds": 500, "move_turns": 1},
    }


def line_memory(*, reserve: int = 1_000, far_buyer: bool = False) -> BotMemory:
    """Sectors 1-2-3-4-5 in a line; ore sold at 1, bought at 3 (and at 5 dearer if asked)."""
    memory = BotMemory(turn_reserve=reserve)
    for sid in range(1, 6):
        memory.observe_sector(sector(sid, [s for s in (sid - 1, sid + 1) if 1 <= s <= 5]))
        memory.scanned.add(sid)
    memory.observe_port(port(1, sells={"ore": 10.0}, buys={}))
    memory.observe_port(port(3, sells={}, buys={"ore": 30.0}))
    if far_buyer:
        memory.observe_port(port(5, sells={}, buys={"ore": 60.0}))
    return memory


def at(sid: int) -> dict:
    return sector(sid, [s for s in (sid - 1, sid + 1) if 1 <= s <= 5], port={**SUMMARY, "id": sid})


def test_leg_turns_add_the_warp_costs_of_the_known_path() -> None:
    memory = line_memory()
    memory.sectors[2]["warps"][1]["turn_cost"] = 2  # a hazard between 2 and 3
    assert leg_turns(memory, 1, 3) == 3
    assert leg_turns(memory, 1, 3, move_turns=2) == 6
    assert leg_turns(memory, 3, 3) == 0
    assert leg_turns(memory, 1, 99, unknown_warps=6) == 6  # no known path: the assumption


def test_a_trader_saves_the_turns_of_the_selling_leg_before_it_buys() -> None:
    memory = line_memory(reserve=1_000)
    action = Trader().decide(me(1, turns=1_002), at(1), memory, random.Random(0))
    # the haul needs the purchase (1), two warps to the buyer (2) and the sale (1): 4 turns
    assert action.kind == "wait"
    assert "save 4 turns" in action.reason
    assert action.args["seconds"] == round(min(60.0, 2 / REGEN), 3)


def test_with_the_haul_turns_saved_it_buys_as_a_committed_run() -> None:
    memory = line_memory(reserve=1_000)
    action = Trader().decide(me(1, turns=1_004), at(1), memory, random.Random(0))
    assert (action.kind, action.args["side"], action.committed) == ("trade", "buy", True)


def test_a_haul_needing_more_than_a_bounded_wait_is_not_taken() -> None:
    memory = line_memory(reserve=1_000)
    # 4 turns need 346 s of regeneration: more than a 100 s bound, so it explores instead
    action = Trader(max_haul_wait=100.0).decide(me(1, turns=1_000), at(1), memory, random.Random(0))
    assert action.kind in ("move", "autopilot", "scan", "port")
    assert action.kind != "trade" and not action.committed


def test_a_stale_price_view_is_looked_at_again_before_a_haul() -> None:
    memory = line_memory(reserve=1_000)
    memory.now = 500.0  # both views were seen at 0 s: older than fresh_for (60 s)
    action = Trader().decide(me(1, turns=1_004), at(1), memory, random.Random(0))
    assert (action.kind, action.args) == ("port", {"port_id": 1})
    memory.observe_port(port(1, sells={"ore": 10.0}, buys={}))
    action = Trader().decide(me(1, turns=1_004), at(1), memory, random.Random(0))
    assert (action.kind, action.args) == ("port", {"port_id": 3})


def test_a_drained_route_seen_afresh_is_left_alone() -> None:
    memory = line_memory(reserve=1_000)
    memory.now = 500.0
    memory.observe_port(port(1, sells={"ore": 10.0}, buys={}))
    memory.observe_port(port(3, sells={}, buys={"ore": 11.0}))  # the buyer's demand was drained
    action = Trader().decide(me(1, turns=1_004), at(1), memory, random.Random(0))
    assert action.kind != "trade"


def test_with_cargo_it_sells_here_when_the_dearer_buyer_is_beyond_its_turns() -> None:
    memory = line_memory(reserve=1_000, far_buyer=True)
    memory.cost_basis["ore"] = 11.0
    # port 5 pays twice as much but is two warps on: one spare turn reaches only here
    action = Trader().decide(me(3, turns=1_001, cargo={"ore": 100}), at(3), memory, random.Random())
    assert (action.kind, action.args["side"], action.committed) == ("trade", "sell", True)
    action = Trader().decide(me(3, turns=1_003, cargo={"ore": 100}), at(3), memory, random.Random())
    assert action.kind in ("move", "autopilot") and action.committed


def test_travel_with_cargo_is_committed_and_skips_the_free_looks() -> None:
    memory = line_memory(reserve=1_000)
    memory.scanned.discard(1)
    memory.cost_basis["ore"] = 11.0
    action = Trader().decide(me(1, turns=1_003, cargo={"ore": 5}), at(1), memory, random.Random())
    assert action.kind in ("move", "autopilot") and action.committed


def test_a_crosser_carrying_cargo_sells_it_before_heading_for_a_gate() -> None:
    memory = line_memory(reserve=1_000)
    memory.cost_basis["ore"] = 11.0
    here = at(3)
    here["region_id"] = 1
    here["gate"] = {"to_region_id": 2, "to_sector_id": 301, "toll": 0, "immigration": "open"}
    bot = Crosser(stay=1)
    action = bot.decide(me(3, turns=1_003, cargo={"ore": 5}), here, memory, random.Random())
    assert (action.kind, action.args["side"]) == ("trade", "sell")
    assert bot.crossings == 0


@settings(deadline=None)  # a pure function; the shared machine makes timings noisy
@given(
    available=st.integers(0, 2_000),
    reserve=st.integers(0, 1_500),
    cost=st.integers(1, 20),
    since=st.floats(0, 10_000),
)
def test_a_committed_leg_waits_only_for_turns_it_lacks(
    available: int, reserve: int, cost: int, since: float
) -> None:
    pacing = TurnPacing(reserve=reserve)
    turns = {"available": available, "max": 2_000, "per_day": 1_000}
    committed = pacing.wait_before(turns, cost, since, committed=True)
    spread = pacing.wait_before(turns, cost, since)
    assert committed <= spread
    assert (committed == 0.0) == (available - cost >= min(reserve, 2_000 - cost))
    assert surplus(turns, reserve) == max(available - reserve, 0)


class FakeMarket:
    """Sectors 1-2-3 in a line on a fake clock: port 1 sells ore at 10, port 3 buys it at 30.

    It refuses ``insufficient_turns`` as the server would, and records whether the bot ever
    slept (waited) while holding cargo.
    """

    def __init__(self) -> None:
        self.now = 0.0
        self.turns = 1_000.0
        self.sector_id = 1
        self.credits = 10_000
        self.cargo: dict[str, int] = {}
        self.waited_with_cargo = 0.0
        self.refusals = 0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if self.cargo:
            self.waited_with_cargo += seconds
        self.now += seconds
        self.turns = min(2_000.0, self.turns + seconds * 1_000 / SECONDS_PER_DAY)

    def _spend(self, cost: int) -> None:
        from starlane.client.api import ApiError

        if self.turns < cost:
            self.refusals += 1
            raise ApiError(409, "insufficient_turns", "not enough turns")
        self.turns -= cost

    async def me(self) -> dict[str, Any]:
        return {
            "credits": self.credits,
            "sector_id": self.sector_id,
            "turns": {"available": int(self.turns), "max": 2_000, "per_day": 1_000},
            "ship": {
                "cargo": dict(self.cargo),
                "free_holds": 500 - sum(self.cargo.values()),
                "move_turns": 1,
            },
        }

    def _view(self, sid: int) -> dict[str, Any]:
        warps = [s for s in (sid - 1, sid + 1) if 1 <= s <= 3]
        return at(sid) | {"warps": [{"to_sector_id": w, "turn_cost": 1} for w in warps]}

    async def sector(self, sector_id: int) -> dict[str, Any]:
        return self._view(sector_id)

    async def scan(self) -> dict[str, Any]:
        here = self._view(self.sector_id)
        return {"neighbours": [self._view(w["to_sector_id"]) for w in here["warps"]]}

    async def port(self, port_id: int) -> dict[str, Any]:
        if port_id == 1:
            return port(1, sells={"ore": 10.0}, buys={}) | {"sector_id": 1}
        if port_id == 3:
            return port(3, sells={}, buys={"ore": 30.0}) | {"sector_id": 3}
        return {"id": port_id, "commodities": []}

    async def move(self, to_sector_id: int) -> dict[str, Any]:
        self._spend(1)
        self.sector_id = to_sector_id
        return {"sector": self._view(to_sector_id)}

    async def autopilot(self, to_sector_id: int, *, execute: bool = True) -> dict[str, Any]:
        cost = abs(to_sector_id - self.sector_id)
        if execute:
            self._spend(cost)
            self.sector_id = to_sector_id
        return {"turn_cost": cost}

    async def quote(self, port_id: int, commodity: str, side: str, units: int) -> dict[str, Any]:
        return {"unit_price": 10.0, "credits_change": -11 * units}

    async def trade(
        self, port_id: int, commodity: str, side: str, units: int, guard: Any = None
    ) -> dict[str, Any]:
        self._spend(1)
        price = 10 if side == "buy" else 30
        total = price * units
        tax = total // 10
        if side == "buy":
            self.credits -= total + tax
            self.cargo[commodity] = self.cargo.get(commodity, 0) + units
        else:
            self.credits += total - tax
            self.cargo[commodity] -= units
            if not self.cargo[commodity]:
                del self.cargo[commodity]
        return {
            "commodity": commodity,
            "side": side,
            "units": units,
            "total": total,
            "tax": tax,
            "credits_after": self.credits,
            "cargo": dict(self.cargo),
        }


async def test_over_half_an_hour_a_default_trader_gains_credits_within_its_regeneration() -> None:
    from starlane.bots.runner import Bot, FleetStats

    game = FakeMarket()
    stats = FleetStats()
    bot = Bot(
        game,  # type: ignore[arg-type]
        "bot1",
        "password-123",
        Trader(),
        stats,
        rng=random.Random(1),
        sleep=game.sleep,
        turn_pacing=TurnPacing(),
        clock=game.clock,
    )
    while game.now < 1_800:
        await bot.step()
        game.now += 0.5  # the runner's own pace between steps
    regenerated = game.now * 1_000 / SECONDS_PER_DAY
    assert game.refusals == 0 and "insufficient_turns" not in stats.errors
    assert 1_000 + regenerated - game.turns <= regenerated  # never spent ahead of regeneration
    assert stats.by_action["trade"] >= 4  # it did trade: two hauls or more
    assert game.credits > 10_000 and not game.cargo  # richer, holding nothing
    assert game.waited_with_cargo == 0.0  # it never waited for turns holding cargo


async def test_a_plan_asks_the_autopilot_and_spends_no_turns() -> None:
    from starlane.bots.runner import Bot, FleetStats
    from starlane.bots.strategies import Action

    game = FakeMarket()
    bot = Bot(game, "bot1", "password-123", Trader(), FleetStats(), sleep=game.sleep)  # type: ignore[arg-type]
    await bot.perform(Action("plan", {"to_sector_id": 3}), here=1)
    assert bot.memory.planned == {(1, 3): 2}
    assert game.turns == 1_000 and game.sector_id == 1
    assert leg_turns(bot.memory, 1, 3, unknown_warps=6) == 2  # the plan, not the assumption
