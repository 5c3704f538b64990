"""``starlane db``: database maintenance (Alembic migrations)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from starlane.cli.common import console, ensure_sqlite_directory, fail, settings_from_flags

app = typer.Typer(help="Database maintenance.", no_args_is_help=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (sqlite:///path.db or postgresql://user@host/db); "
        "default: STARLANE_DATABASE_URL or the SQLite file in the data directory.",
    ),
]


@app.command("upgrade")
def upgrade(db: DbOption = None) -> None:
    """Create the database or bring its schema up to date (Alembic ``upgrade head``); with
    SQLite, the read-model file beside it too."""
    settings = settings_from_flags(db=db)
    url = settings.resolved_database_url()
    ensure_sqlite_directory(url)
    from starlane.store.db import upgrade_database

    urls = [url]
    read_url = settings.resolved_read_database_url()
    if read_url != url:
        ensure_sqlite_directory(read_url)
        urls.append(read_url)
    for target in urls:
        try:
            asyncio.run(upgrade_database(target))
        except Exception as exc:
            fail(f"could not upgrade {redact_url(target)}: {exc}")
        console.print(f"database {redact_url(target)} is at the latest schema revision")


def redact_url(url: str) -> str:
    """A database URL with its password hidden, for printing.

    Args:
        url: a SQLAlchemy URL.

    Returns:
        The URL with ``user:password@`` shown as ``user:***@``.
    """
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, at, host = rest.rpartition("@")
    if ":" in credentials:
        credentials = credentials.split(":", 1)[0] + ":***"
    return f"{scheme}://{credentials}{at}{host}"
