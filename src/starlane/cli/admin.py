"""``starlane admin``: operator verbs that work directly on the database.

``create-admin`` reads and writes the account in one unit of work (one transaction, so it
works while a server is running on the same database, SQLite in WAL mode or PostgreSQL). The
change's outbox rows (``account.created`` or ``role.granted``) are committed with it; a
running server's outbox publisher finds them on its next sweep and puts them on its bus (the
admin feed sees them).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Annotated

import typer

from starlane.cli.common import console, ensure_sqlite_directory, fail, settings_from_flags
from starlane.cli.db import DbOption, redact_url
from starlane.config import Settings

app = typer.Typer(help="Operator verbs (accounts and roles).", no_args_is_help=True)

ADMIN_ROLES = ("player", "admin")


def password_problem(password: str, username: str) -> str | None:
    """Why a password is too weak for an admin account, or None when it is acceptable.

    Args:
        password: the candidate password.
        username: the account name (the password may not be it).

    Returns:
        A human-readable reason, or None.
    """
    from starlane.api.schemas import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH

    if len(password) < PASSWORD_MIN_LENGTH:
        return f"the password must have at least {PASSWORD_MIN_LENGTH} characters"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"the password may have at most {PASSWORD_MAX_LENGTH} characters"
    if password.lower() == username.lower() or len(set(password)) < 4:
        return "the password is too easy to guess"
    return None


@app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option("--username", help="The admin account's name.")],
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            help="Its password (at least 10 characters); default: $STARLANE_ADMIN_PASSWORD.",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Create an admin account (or give an existing account the admin role).

    There is never a default password: pass ``--password`` or set ``STARLANE_ADMIN_PASSWORD``.
    """
    import re

    from starlane.api.schemas import USERNAME_PATTERN

    if not re.fullmatch(USERNAME_PATTERN, username):
        fail("the username must be 3-24 letters, digits, '_' or '-'", code=2)
    password = password if password is not None else os.environ.get("STARLANE_ADMIN_PASSWORD")
    if not password:
        fail("no password: pass --password or set STARLANE_ADMIN_PASSWORD", code=2)
    problem = password_problem(password, username)
    if problem:
        fail(f"weak password refused: {problem}", code=2)
    settings = settings_from_flags(db=db)
    url = settings.resolved_database_url()
    ensure_sqlite_directory(url)
    try:
        created = asyncio.run(_create_admin(url, username, password, settings))
    except Exception as exc:
        fail(f"could not create the admin in {redact_url(url)}: {exc}")
    if created:
        console.print(f"admin account [bold]{username}[/] created in {redact_url(url)}")
    else:
        console.print(
            f"account [bold]{username}[/] exists: admin role granted (password unchanged)"
        )


async def _create_admin(url: str, username: str, password: str, settings: Settings) -> bool:
    from argon2 import PasswordHasher

    from starlane.store.db import create_db_engine, upgrade_database
    from starlane.store.uow import UnitOfWorkFactory

    hasher = PasswordHasher(
        time_cost=settings.password_hash_time_cost,
        memory_cost=settings.password_hash_memory_kib,
    )
    password_hash = hasher.hash(password)  # slow: before the transaction, used if new
    engine = create_db_engine(url)
    try:
        await upgrade_database(engine)
        async with UnitOfWorkFactory(engine, clock=time.time)() as uow:
            existing = await uow.accounts.get_by_username(username, for_update=True)
            if existing is not None:
                roles = tuple(dict.fromkeys((*existing.roles, *ADMIN_ROLES)))
                await uow.accounts.set_roles(existing.id, roles)
                return False
            await uow.accounts.create(username, password_hash, roles=ADMIN_ROLES, now=time.time())
            return True
    finally:
        await engine.dispose()
