"""The runner paces turns: it waits when low instead of sending commands that would be refused.

A fake client stands in for the server; it refuses ``insufficient_turns`` exactly as the
server would, so a bot that collected such refusals would show them in its statistics.
"""

from __future__ import annotations

import random
from typing import Any

from starlane.bots.pacing import SECONDS_PER_DAY, TurnPacing
from starlane.bots.runner import Bot, FleetStats
from starlane.bots.strategies import Explorer, Trader
from starlane.client.api import ApiError


class FakeGame:
    """A two-sector world and one player whose turns regenerate on a fake clock."""

    def __init__(self, turns: int, per_day: int = 1_000) -> None:
        self.now = 0.0
        self.turns = float(turns)
        self.per_day = per_day
        self.sector_id = 1
        self.sent: list[tuple[str, Any]] = []
        self.credits = 10_000
        self.cargo: dict[str, int] = {}

    # the clock and sleep the bot is given
    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.turns = min(2_000.0, self.turns + seconds * self.per_day / SECONDS_PER_DAY)

    # the client methods the bot calls
    async def me(self) -> dict[str, Any]:
        return {
            "credits": self.credits,
            "sector_id": self.sector_id,
            "turns": {"available": int(self.turns), "max": 2_000, "per_day": self.per_day},
            "ship": {"cargo": dict(self.cargo), "free_holds": 500, "move_turns": 1},
        }

    async def sector(self, sector_id: int) -> dict[str, Any]:
        other = 2 if sector_id == 1 else 1
        return {
            "id": sector_id,
            "warps": [{"to_sector_id": other, "turn_cost": 3, "discovered": False}],
            "port": None,
            "pirates": [],
        }

    async def move(self, to_sector_id: int) -> dict[str, Any]:
        self.sent.append(("move", to_sector_id))
        if self.turns < 3:
            raise ApiError(409, "insufficient_turns", "not enough turns")
        self.turns -= 3
        self.sector_id = to_sector_id
        return {"sector": await self.sector(to_sector_id)}

    async def autopilot(self, to_sector_id: int, *, execute: bool = True) -> dict[str, Any]:
        self.sent.append(("autopilot", execute))
        cost = 12
        if execute:
            if self.turns < cost:
                raise ApiError(409, "insufficient_turns", "not enough turns")
            self.turns -= cost
            self.sector_id = to_sector_id
        return {"turn_cost": cost, "path": [self.sector_id, to_sector_id]}


def _bot(game: FakeGame, strategy: Any, pacing: TurnPacing) -> tuple[Bot, FleetStats]:
    stats = FleetStats()
    bot = Bot(
        game,  # type: ignore[arg-type]
        "bot1",
        "password-123",
        strategy,
        stats,
        rng=random.Random(1),
        sleep=game.sleep,
        turn_pacing=pacing,
        clock=game.clock,
    )
    return bot, stats


async def test_a_bot_low_on_turns_waits_instead_of_collecting_refusals() -> None:
    game = FakeGame(turns=210)
    bot, stats = _bot(game, Explorer(), TurnPacing(reserve=200, horizon=600.0))
    for _ in range(200):
        await bot.step()
    assert "insufficient_turns" not in stats.errors
    assert game.turns >= 200 - 3  # never spent into its reserve beyond one move
    moves = [s for s in game.sent if s[0] == "move"]
    regenerated = game.now * game.per_day / SECONDS_PER_DAY
    # after the bank above the reserve, it spends no faster than turns regenerate
    assert 3 * len(moves) <= 10 + regenerated + 3
    assert stats.by_action["turn wait"] > 0


async def test_spending_is_spread_over_the_horizon() -> None:
    game = FakeGame(turns=1_000)
    bot, _ = _bot(game, Explorer(), TurnPacing(reserve=200, horizon=3_600.0))
    while game.now < 600:
        await bot.step()
    spent = 1_000 + game.now * game.per_day / SECONDS_PER_DAY - game.turns
    # 10 minutes of a one-hour horizon spends about a sixth of the 800-turn bank, not all of it
    assert 60 < spent < 250


async def test_an_autopilot_is_planned_and_waits_until_its_turns_are_there() -> None:
    game = FakeGame(turns=205)

    class Traveller(Trader):
        def decide(self, me: Any, sector: Any, memory: Any, rng: Any) -> Any:
            from starlane.bots.strategies import Action

            return Action("autopilot", {"to_sector_id": 9}, "far away")

    bot, stats = _bot(game, Traveller(), TurnPacing(reserve=200))
    await bot.step()
    assert game.sent == [("autopilot", False)]  # planned, not flown: 12 turns would breach
    assert "insufficient_turns" not in stats.errors


async def test_by_default_turns_are_spent_no_faster_than_they_regenerate() -> None:
    game = FakeGame(turns=1_000)
    bot, stats = _bot(game, Explorer(), TurnPacing())
    while game.now < 1_800:
        await bot.step()
    regenerated = game.now * game.per_day / SECONDS_PER_DAY
    spent = 1_000 + regenerated - game.turns
    assert spent <= regenerated + 3  # at most one move ahead of regeneration
    assert spent >= regenerated - 3  # and it does spend them
    assert "insufficient_turns" not in stats.errors
