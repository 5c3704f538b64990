"""``starlane projector``: keep the read models up to date, in a process of its own."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

import typer

from starlane.cli.common import (
    configure_logging,
    ensure_sqlite_directory,
    fail,
    loop_factory,
    settings_from_flags,
)
from starlane.cli.db import redact_url


def projector(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL of the event store (default: STARLANE_DATABASE_URL or the "
            "SQLite file in the data directory).",
        ),
    ] = None,
    read_db: Annotated[
        str | None,
        typer.Option(
            "--read-db",
            help="Database URL of the read models (default: STARLANE_READ_DATABASE_URL, else "
            "NAME-read.db beside a SQLite event store NAME.db, else the event store's database).",
        ),
    ] = None,
    log_level: Annotated[
        str | None, typer.Option("--log-level", help="debug, info, warning or error.")
    ] = None,
    parent_pid: Annotated[
        int | None,
        typer.Option("--parent-pid", hidden=True, help="Exit when this process goes away."),
    ] = None,
) -> None:
    """Follow the event store and keep the read models (player view, activity) up to date.

    `starlane serve` starts one by itself (setting projector = "process"); run it yourself
    with projector = "off", e.g. on another machine against PostgreSQL. Stops on Ctrl-C or
    SIGTERM.
    """
    from starlane.projections.worker import run_projector

    settings = settings_from_flags(db=db, read_database_url=read_db, log_level=log_level)
    try:
        read_url = settings.resolved_read_database_url()
    except ValueError as exc:
        fail(str(exc), code=2)
    configure_logging(settings.log_level, settings.log_json)
    ensure_sqlite_directory(read_url)
    try:
        with (
            contextlib.suppress(KeyboardInterrupt),
            asyncio.Runner(loop_factory=loop_factory()) as r,
        ):
            r.run(run_projector(settings, parent_pid=parent_pid))
    except Exception as exc:
        fail(
            f"the projector stopped: {type(exc).__name__}: {exc} (event store "
            f"{redact_url(settings.resolved_database_url())}, read models {redact_url(read_url)}; "
            "is the event store created? run `starlane db upgrade`)"
        )
