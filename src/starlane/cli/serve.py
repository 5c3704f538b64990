"""``starlane serve``: create the database and the galaxy on first start, then serve the API.

The server runs under uvicorn, started programmatically in this process (one worker). With
``--bots N`` simulated players are started against the server once it answers, in the same
process, and their live summary is printed until the server stops (Ctrl-C).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import socket
import sys
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
import uvicorn
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from starlane.cli.common import (
    configure_logging,
    console,
    ensure_sqlite_directory,
    fail,
    loop_factory,
    settings_from_flags,
)
from starlane.cli.db import redact_url
from starlane.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from starlane.bots.pacing import TurnPacing
    from starlane.store.ports import EventStore

GC_YOUNG_THRESHOLD = 50_000
"""Net allocations between young-generation collections (Python's default, 700, makes a busy
server collect thousands of times a second)."""

SWITCH_INTERVAL_SECONDS = 0.0005
"""How long a thread waiting for the GIL lets the running one keep it, seconds (Python's
default: 0.005). The event loop's thread is busy under load, and the threads that work for it
(aiosqlite's connections, the WAL checkpointer) need the GIL three or four times per job:
with the default each of those waits could last up to 5 ms."""


def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on (default 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="TCP port to listen on (default 8000).")] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL: sqlite:///path.db (default: data/starlane.db) or "
            "postgresql://user@host/db.",
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Galaxy seed (first start only).")] = None,
    regions: Annotated[
        int | None, typer.Option("--regions", help="Player regions generated on first start.")
    ] = None,
    nexus_sectors: Annotated[
        int | None,
        typer.Option("--nexus-sectors", help="Central Nexus sectors, 2,000-5,000 (first start)."),
    ] = None,
    bots: Annotated[
        int, typer.Option("--bots", min=0, max=1000, help="Simulated players to start.")
    ] = 0,
    bot_strategy: Annotated[
        str,
        typer.Option(
            "--bot-strategy",
            help="trader, explorer, hunter, crossing, expeditioner, mixed or galaxy (mixed plus "
            "bots that cross into other regions).",
        ),
    ] = "galaxy",
    bot_turn_reserve: Annotated[
        int | None,
        typer.Option(
            "--bot-turn-reserve",
            min=0,
            help="Turns each bot keeps back (default: the turns it starts with, so it spends "
            "no faster than turns regenerate).",
        ),
    ] = None,
    bot_turn_horizon: Annotated[
        float,
        typer.Option(
            "--bot-turn-horizon", min=1.0, help="Seconds over which bots spend turns above it."
        ),
    ] = 3_600.0,
    log_level: Annotated[
        str | None, typer.Option("--log-level", help="debug, info, warning or error.")
    ] = None,
) -> None:
    """Serve the game: REST and WebSocket API, OpenAPI docs at /docs, metrics at /metrics."""
    from starlane.bots.pacing import TurnPacing
    from starlane.bots.strategies import STRATEGIES

    if bot_strategy not in STRATEGIES:
        fail(f"unknown bot strategy {bot_strategy!r}: choose {', '.join(STRATEGIES)}", code=2)
    settings = settings_from_flags(
        db=db,
        seed=seed,
        regions=regions,
        nexus_sectors=nexus_sectors,
        host=host,
        port=port,
        log_level=log_level,
    )
    configure_logging(settings.log_level, settings.log_json)
    with contextlib.suppress(KeyboardInterrupt), asyncio.Runner(loop_factory=loop_factory()) as r:
        r.run(
            run_server(
                settings,
                bots=bots,
                bot_strategy=bot_strategy,
                bot_turn_pacing=TurnPacing(reserve=bot_turn_reserve, horizon=bot_turn_horizon),
            )
        )


def galaxy_progress() -> tuple[Progress, Callable[[str, int, int], None]]:
    """A Rich progress display and the ``progress(step, done, total)`` callback driving it.

    Returns:
        The progress display (use it as a context manager) and the callback.
    """
    progress = Progress(
        TextColumn("[bold]{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}

    def report(step: str, done: int, total: int) -> None:
        if step not in tasks:
            tasks[step] = progress.add_task(step, total=max(total, 1))
        progress.update(tasks[step], completed=done, total=max(total, 1))

    return progress, report


async def prepare_database(settings: Settings) -> bool:
    """Create or upgrade the database, then generate the galaxy if it holds none.

    Args:
        settings: the server settings (database URL, galaxy seed and sizes).

    Returns:
        True when a galaxy was generated now, False when the database already held one.
    """
    from starlane.engine.bootstrap import ensure_galaxy
    from starlane.store.db import create_db_engine, upgrade_database

    url = settings.resolved_database_url()
    ensure_sqlite_directory(url)
    engine = create_db_engine(url)
    try:
        await upgrade_database(engine)
        store = _event_store(engine)
        g = settings.galaxy
        progress, report = galaxy_progress()
        import time

        with progress:
            return await ensure_galaxy(
                store,
                seed=g.seed,
                nexus_sectors=g.nexus_sectors,
                player_regions=g.player_regions,
                region_sectors=g.region_sectors,
                now=time.time(),
                progress=report,
                rules=settings.game_rules(),
            )
    finally:
        await engine.dispose()


def _event_store(engine: AsyncEngine) -> EventStore:
    from starlane.store.eventstore import EventStore

    return EventStore(engine)


async def run_server(
    settings: Settings,
    *,
    bots: int = 0,
    bot_strategy: str = "galaxy",
    bot_turn_pacing: TurnPacing | None = None,
) -> None:
    """Prepare the database, serve the API with uvicorn and run bots against it.

    Args:
        settings: the server settings.
        bots: simulated players to start once the server answers.
        bot_strategy: their strategy (a name of ``starlane.bots.strategies.STRATEGIES``).
        bot_turn_pacing: how fast the bots spend turns (default: no faster than they
            regenerate).
    """
    from starlane.api.app import create_app
    from starlane.api.serving import uvicorn_options

    listener = bind_listener(settings.host, settings.port)
    url = settings.resolved_database_url()
    console.print(f"[bold]Starlane[/] database: {redact_url(url)}")
    created = await prepare_database(settings)
    if created:
        console.print(f"galaxy generated from seed {settings.galaxy.seed}")
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level if settings.log_level != "info" else "warning",
        lifespan="on",
        access_log=False,
        workers=1,
        # game messages are small JSON: compressing each costs more CPU than it saves
        ws_per_message_deflate=False,
        # frame size, pings, keep-alive and header timeouts, connection cap, trusted proxies
        **uvicorn_options(settings),
    )
    server = _BotsFirstServer(config)
    server_task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        if server_task.done():
            await server_task
            fail(f"the server could not start on {settings.host}:{settings.port}")
        await asyncio.sleep(0.05)
    # the galaxy, the app and the libraries are loaded for good: move them out of the garbage
    # collector's generations so its full collections stop walking them (no more pauses of
    # tens of ms under load that grow with the galaxy)
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    base = f"http://{_display_host(settings.host)}:{settings.port}"
    console.print(f"serving on [bold]{base}[/]  API docs: [link]{base}/docs[/]  (Ctrl-C stops)")
    bots_task: asyncio.Task[object] | None = None
    if bots:
        from starlane.bots.runner import BotFleet

        fleet = BotFleet(base, count=bots, strategy=bot_strategy, turn_pacing=bot_turn_pacing)
        bots_task = asyncio.create_task(
            fleet.run_live(console, stop=_shutdown_requested(server, server_task))
        )
        server.defer_exit = lambda: not bots_task.done()
    try:
        if bots_task is not None:
            await asyncio.wait({server_task, bots_task}, return_when=asyncio.FIRST_COMPLETED)
            if bots_task.done():  # stopped by Ctrl-C (or ended): now the server may stop
                server.defer_exit = None
                if server.stop_requested:
                    server.should_exit = True
        await server_task
    finally:
        if bots_task is not None:
            bots_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await bots_task


def bind_listener(host: str, port: int) -> socket.socket:
    """Bind the server's listening socket, before anything else starts.

    Binding first makes a port already in use fail at once, before the galaxy is generated
    and before uvicorn starts, with one line that names the port.

    Args:
        host: interface to listen on (``127.0.0.1``, ``0.0.0.0``, ``::``...).
        port: TCP port.

    Returns:
        The bound socket (uvicorn listens on it).

    Raises:
        typer.Exit: the address cannot be used (exit status 2, the message names it).
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        fail(f"cannot listen on {host!r}: {exc.strerror} (check --host)", code=2)
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        where = f"{_display_host(host)}:{port}"
        if exc.errno == errno.EADDRINUSE:
            fail(f"port {port} is already in use on {where}: stop the other server or "
                 "choose another port with --port", code=2)  # fmt: skip
        fail(f"cannot listen on {where}: {exc.strerror}", code=2)
    return sock


class _BotsFirstServer(uvicorn.Server):
    """uvicorn's server, letting the bots of ``serve --bots`` stop before it does.

    While ``defer_exit()`` is true (bots playing), the first Ctrl-C or SIGTERM only sets
    :attr:`stop_requested`: :func:`run_server` stops the bots, then sets ``should_exit``, so
    no bot request meets a server that is closing its connections. A second signal stops the
    server at once, as uvicorn does.
    """

    defer_exit: Callable[[], bool] | None = None
    stop_requested = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Record the first stop request while bots play; else uvicorn's handling."""
        if self.defer_exit is not None and self.defer_exit() and not self.stop_requested:
            self.stop_requested = True
            return
        super().handle_exit(sig, frame)


async def _shutdown_requested(server: _BotsFirstServer, server_task: asyncio.Task[None]) -> None:
    """Return once the server is asked to stop (Ctrl-C), so the bots stop before it does."""
    while not (server.stop_requested or server.should_exit) and not server_task.done():
        await asyncio.sleep(0.1)


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
