"""Bots make progress against a real app in-process, through the HTTP API only.

These fleets spend their turns within seconds (``FAST``): the default pacing spreads them over
an hour, which a test cannot wait for (its rules are tested with a fake client).
"""

from __future__ import annotations

import asyncio
import io

import httpx

from starlane.bots.pacing import TurnPacing
from starlane.bots.runner import BotFleet
from starlane.client.api import StarlaneClient

FAST = TurnPacing(reserve=0, horizon=1.0)


async def test_mixed_fleet_moves_trades_and_reports(transport: httpx.ASGITransport) -> None:
    fleet = BotFleet(
        "http://test", count=4, strategy="mixed", pace=50, transport=transport, turn_pacing=FAST
    )
    stats = await fleet.run(duration=4.0)
    assert set(stats.bots) == {"bot1", "bot2", "bot3", "bot4"}
    assert all(b.state == "stopped" for b in stats.bots.values()), stats.bots
    assert stats.by_action["move"] + stats.by_action["autopilot"] > 10
    assert stats.by_action["trade"] > 0, stats.to_dict()
    assert stats.actions_per_second > 1
    assert "rate_limited" not in stats.errors
    table = stats.table()
    assert table.row_count >= 5
    async with StarlaneClient("http://test", transport=transport) as api:
        await api.login("bot1", "starlane-bot-password")
        me = await api.me()
        assert me["turns"]["available"] < 1000  # it spent turns moving and trading
        assert stats.bots["bot1"].credits == me["credits"]


async def test_explorers_discover_sectors(transport: httpx.ASGITransport) -> None:
    fleet = BotFleet(
        "http://test", count=1, strategy="explorer", pace=50, transport=transport, turn_pacing=FAST
    )
    await fleet.run(duration=4.0)
    assert len(fleet.bots[0].memory.visited) > 5


async def test_bots_log_in_again_after_a_restart_of_the_fleet(
    transport: httpx.ASGITransport,
) -> None:
    first = BotFleet(
        "http://test", count=1, strategy="trader", pace=50, transport=transport, turn_pacing=FAST
    )
    await first.run(duration=0.5)
    second = BotFleet(
        "http://test", count=1, strategy="trader", pace=50, transport=transport, turn_pacing=FAST
    )
    stats = await second.run(duration=0.5)
    assert stats.bots["bot1"].state == "stopped"
    assert stats.actions > 0


async def test_run_live_stops_when_the_stop_awaitable_completes(
    transport: httpx.ASGITransport,
) -> None:
    from rich.console import Console

    fleet = BotFleet(
        "http://test", count=1, strategy="explorer", pace=20, transport=transport, turn_pacing=FAST
    )
    stop = asyncio.ensure_future(asyncio.sleep(0.7))
    stats = await asyncio.wait_for(
        fleet.run_live(Console(file=io.StringIO()), stop=stop, refresh_seconds=0.1), 10
    )
    assert stats.actions > 0
