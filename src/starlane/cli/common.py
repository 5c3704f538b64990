"""Helpers shared by the CLI commands: settings from flags, errors, the console."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from starlane.config import GalaxySettings, Settings, load_settings

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error (on one line, however narrow the terminal) and exit.

    Args:
        message: what went wrong and what to do.
        code: the process exit status.

    Raises:
        typer.Exit: always.
    """
    err_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    raise typer.Exit(code)


def settings_from_flags(
    *,
    db: str | None = None,
    seed: int | None = None,
    nexus_sectors: int | None = None,
    regions: int | None = None,
    region_sectors: int | None = None,
    **overrides: Any,
) -> Settings:
    """Load the settings (environment, TOML file, defaults) with the command's flags on top.

    Args:
        db: ``--db`` database URL.
        seed: ``--seed`` galaxy seed.
        nexus_sectors: ``--nexus-sectors``.
        regions: ``--regions`` (player regions).
        region_sectors: sectors per player region.
        **overrides: other top-level settings (host, port...); None values are ignored.

    Returns:
        The validated settings.

    Raises:
        typer.Exit: a setting is out of range (exit status 2, the message names it).
    """
    try:
        settings = load_settings(database_url=db, **overrides)
        galaxy_updates = {
            "seed": seed,
            "nexus_sectors": nexus_sectors,
            "player_regions": regions,
            "region_sectors": region_sectors,
        }
        galaxy_updates = {k: v for k, v in galaxy_updates.items() if v is not None}
        if galaxy_updates:
            settings.galaxy = GalaxySettings.model_validate(
                {**settings.galaxy.model_dump(), **galaxy_updates}
            )
        settings.resolved_database_url()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        fail(f"invalid setting: {problems}", code=2)
    except ValueError as exc:
        fail(str(exc), code=2)
    return settings


def ensure_sqlite_directory(url: str) -> None:
    """Create the directory of a SQLite database file if it is missing.

    Args:
        url: a SQLAlchemy URL; anything but a file SQLite URL is ignored.
    """
    from pathlib import Path

    if not url.startswith("sqlite") or ":memory:" in url:
        return
    path = url.split(":///", 1)[-1]
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def configure_logging(level: str = "info", json_lines: bool = False) -> None:
    """Configure structlog (and the standard library loggers uvicorn uses) for a server process.

    One event per line on stderr: human-readable console lines, or JSON objects when
    ``json_lines`` is set (``STARLANE_LOG_JSON=true``), with an ISO UTC timestamp and the level.

    Args:
        level: ``debug``, ``info``, ``warning`` or ``error``.
        json_lines: one JSON object per line.
    """
    import logging
    import sys

    import structlog

    numeric = getattr(logging, level.upper(), logging.INFO)
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(),
            # plain tracebacks: Rich's pretty ones (syntax-highlighted, with locals) cost tens
            # of milliseconds of the server's only core per logged exception
            exception_formatter=structlog.dev.plain_traceback,
        )
    )
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if json_lines:
        processors.append(structlog.processors.format_exc_info)
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        level=numeric, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s"
    )
    logging.getLogger("alembic").setLevel(max(numeric, logging.WARNING))
    # one line per bot request would drown the bots' live summary and the server's own log
    for noisy in ("httpx", "httpcore", "websockets"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop factory when uvloop is installed, else None (the default loop).

    uvicorn only picks uvloop when it creates the loop itself; ``serve`` runs uvicorn inside
    its own loop (and ``projector`` runs no uvicorn), so they choose uvloop here (about a third
    less CPU per request).

    Returns:
        The loop factory for ``asyncio.Runner``, or None.
    """
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory
