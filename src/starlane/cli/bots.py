"""``starlane bots``: simulated players against a running server, with a live summary."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

from starlane.cli.common import console, fail


def bots(
    server: Annotated[
        str, typer.Option("--server", help="The server's root URL.")
    ] = "http://127.0.0.1:8000",
    count: Annotated[int, typer.Option("--count", min=1, max=1000, help="Number of bots.")] = 5,
    strategy: Annotated[
        str,
        typer.Option(
            "--strategy",
            help="trader, explorer, hunter, crossing, expeditioner, mixed or galaxy (mixed plus "
            "crossing bots).",
        ),
    ] = "mixed",
    duration: Annotated[
        float | None,
        typer.Option("--duration", min=0.1, help="Seconds to play (default: until Ctrl-C)."),
    ] = None,
    pace: Annotated[
        float, typer.Option("--pace", min=0.1, max=100, help="Most actions per second per bot.")
    ] = 2.0,
    prefix: Annotated[str, typer.Option("--prefix", help="Username prefix of the bots.")] = "bot",
    password: Annotated[
        str,
        typer.Option(
            "--password", envvar="STARLANE_BOT_PASSWORD", help="The bots' password (>= 10 chars)."
        ),
    ] = "starlane-bot-password",
    turn_reserve: Annotated[
        int | None,
        typer.Option(
            "--turn-reserve",
            min=0,
            help="Turns each bot keeps back (default: the turns it has when it starts, so it "
            "spends no faster than turns regenerate).",
        ),
    ] = None,
    turn_horizon: Annotated[
        float,
        typer.Option(
            "--turn-horizon",
            min=1.0,
            help="Seconds over which a bot spends its turns above the reserve (the rate then "
            "falls to the regeneration rate).",
        ),
    ] = 3_600.0,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the final figures as JSON.")
    ] = False,
) -> None:
    """Run simulated players that register and play through the HTTP API.

    Traders find port pairs and run buy/sell loops, explorers autopilot to unvisited sectors,
    hunters fight NPC pirates. A trader saves a haul's turns before it buys and then sells at
    once, so it never waits for turns holding cargo. They back off on 429 (Retry-After) and
    spend turns no faster than they regenerate (--turn-reserve lower lets them spend their bank over
    --turn-horizon), waiting when low instead of being refused. The live summary shows
    actions/s, credits earned and errors by code.
    """
    from starlane.bots.pacing import TurnPacing
    from starlane.bots.runner import BotFleet
    from starlane.bots.strategies import STRATEGIES

    if strategy not in STRATEGIES:
        fail(f"unknown strategy {strategy!r}: choose {', '.join(STRATEGIES)}", code=2)
    if len(password) < 10:
        fail("the bots' password must have at least 10 characters", code=2)
    if not server.startswith(("http://", "https://")):
        fail("--server must be an http:// or https:// URL", code=2)
    fleet = BotFleet(
        server,
        count=count,
        strategy=strategy,
        pace=pace,
        prefix=prefix,
        password=password,
        turn_pacing=TurnPacing(reserve=turn_reserve, horizon=turn_horizon),
    )
    try:
        stats = asyncio.run(fleet.run_live(console, duration=duration))
    except KeyboardInterrupt:
        stats = fleet.stats
    if json_out:
        print()  # the live summary leaves the cursor at the end of its last line
        print(json.dumps(stats.to_dict()))
    failed = [b for b in stats.bots.values() if b.state.startswith("failed")]
    if failed and len(failed) == len(stats.bots):
        fail(f"every bot failed; first: {failed[0].name}: {failed[0].state}")
