"""``starlane bench``: the load benchmark (REST and WebSocket game mix against a baseline)."""

from __future__ import annotations

import asyncio
import json
import math
from typing import Annotated

import typer

from starlane.cli.common import console, fail


def bench(
    clients: Annotated[
        int, typer.Option("--clients", min=1, max=5000, help="Concurrent authenticated clients.")
    ] = 100,
    duration: Annotated[
        float, typer.Option("--duration", min=1, help="Seconds per measured workload.")
    ] = 10.0,
    server: Annotated[
        str | None,
        typer.Option(
            "--server",
            help="Target a running server (its rate limits must allow the load); "
            "default: start one on a temporary SQLite database with rate limits off.",
        ),
    ] = None,
    transport: Annotated[str, typer.Option("--transport", help="rest, ws or both.")] = "both",
    crossing: Annotated[
        bool,
        typer.Option(
            "--crossing", help="Also measure gate passages between regions (every action one)."
        ),
    ] = False,
    idle_clients: Annotated[
        int,
        typer.Option(
            "--idle-clients",
            min=0,
            max=20000,
            help="Also measure sector-event delivery delay with this many idle WebSockets.",
        ),
    ] = 0,
    processes: Annotated[
        int, typer.Option("--processes", min=1, max=16, help="Client processes (load generators).")
    ] = 2,
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL of the started server.")
    ] = None,
    admin_username: Annotated[
        str | None,
        typer.Option(
            "--admin-username",
            help="With --server: an admin account, so clients are placed on pairs of port "
            "sectors read from the map (without one they start around Sol).",
        ),
    ] = None,
    admin_password: Annotated[
        str | None,
        typer.Option(
            "--admin-password",
            envvar="STARLANE_BENCH_ADMIN_PASSWORD",
            help="Password of --admin-username (or STARLANE_BENCH_ADMIN_PASSWORD).",
        ),
    ] = None,
    rest_rate: Annotated[
        float | None,
        typer.Option(
            "--rest-rate",
            help="Also run the REST game mix in open loop at this many actions/s offered "
            "(spread over the clients; latency from each request's intended send time).",
        ),
    ] = None,
    ws_rate: Annotated[
        float | None,
        typer.Option(
            "--ws-rate",
            help="Also run the WebSocket game mix in open loop at this many actions/s offered.",
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Measure game-action throughput and latency against a trivial-endpoint baseline.

    The baseline and game-mix rows are closed loops (each client sends when its previous answer
    arrives): the most the server does, with latency that is mostly queueing. They are measured
    interleaved (baseline, game, game, baseline halves of --duration), so a drift of the
    machine's speed cancels from their ratio. --rest-rate and --ws-rate add an open-loop game
    mix at a fixed offered rate: the latency at that load.
    """
    if transport not in ("rest", "ws", "both"):
        fail("--transport must be rest, ws or both", code=2)
    if server is not None and not server.startswith(("http://", "https://")):
        fail("--server must be an http:// or https:// URL", code=2)
    if (admin_username is None) != (admin_password is None):
        fail("--admin-username and --admin-password go together", code=2)
    if admin_username is not None and server is None:
        fail("--admin-username is for --server (a started server has its own admin)", code=2)
    for option, rate in (("--rest-rate", rest_rate), ("--ws-rate", ws_rate)):
        if rate is not None and not (math.isfinite(rate) and rate > 0):
            fail(f"{option} must be a number of actions per second > 0, not {rate:g}", code=2)
    if rest_rate is not None and transport == "ws":
        fail("--rest-rate needs the REST transport (--transport rest or both)", code=2)
    if ws_rate is not None and transport == "rest":
        fail("--ws-rate needs the WebSocket transport (--transport ws or both)", code=2)
    from starlane.bench.runner import BenchConfig, run_benchmark

    config = BenchConfig(
        clients=clients,
        duration=duration,
        server=server,
        transport=transport,
        idle_clients=idle_clients,
        processes=processes,
        database_url=db,
        admin_username=admin_username,
        admin_password=admin_password,
        rest_rate=rest_rate,
        ws_rate=ws_rate,
        crossing=crossing,
    )
    report = asyncio.run(run_benchmark(config, console=console))
    if json_out:
        print(json.dumps(report))
