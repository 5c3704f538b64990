"""``starlane admin``: operator verbs that work directly on the database.

``create-admin`` reads and writes the account in one unit of work (one transaction, so it
works while a server is running on the same database, SQLite in WAL mode or PostgreSQL). The
change's outbox rows (``account.created`` or ``role.granted``) and its audit entry are
committed with it; a running server's outbox publisher finds them on its next sweep and puts
them on its bus (the admin feed sees them).

The account verbs (``disable``, ``enable``, ``roles``, ``membership``, ``approve``,
``reject``) are :class:`starlane.audit.actions.AdminActions` calls, audited like the admin
API's (actor role ``admin`` when ``--actor`` names an admin account, else ``system``; user
agent ``starlane-cli``) and under the same two-person rule. Credit adjustments are engine
commands and need the running server: use the admin API for them. A running server refuses
the access tokens of an account disabled here when it next starts, and its admin routes at
once (they read the account); restart it, or disable through the API, to refuse its game
requests at once.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from starlane.cli.common import console, ensure_sqlite_directory, fail, settings_from_flags
from starlane.cli.db import DbOption, redact_url
from starlane.config import Settings

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from starlane.audit.actions import Actor, AdminActions, Outcome

app = typer.Typer(
    help="Operator verbs (accounts and roles; regions through the server: admin region).",
    no_args_is_help=True,
)

ADMIN_ROLES = ("player", "admin")

_CLI_ORIGIN: dict[str, Any] = {
    "actor_id": None,
    "actor_role": "system",
    "user_agent": "starlane-cli",
}

JustificationOption = Annotated[
    str, typer.Option("--justification", "-j", help="Why (required; recorded in the audit log).")
]
ActorOption = Annotated[
    str | None,
    typer.Option(
        "--actor", help="The admin account acting (required for two-person-rule actions)."
    ),
]


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
                await uow.audit.append(
                    **_CLI_ORIGIN,
                    action="roles.change",
                    target_kind="account",
                    target_id=str(existing.id),
                    before={"roles": list(existing.roles)},
                    after={"roles": list(roles)},
                    justification="starlane admin create-admin",
                )
                return False
            created = await uow.accounts.create(
                username, password_hash, roles=ADMIN_ROLES, now=time.time()
            )
            await uow.audit.append(
                **_CLI_ORIGIN,
                action="account.create_admin",
                target_kind="account",
                target_id=str(created.id),
                before=None,
                after={"username": username, "roles": list(ADMIN_ROLES)},
                justification="starlane admin create-admin",
            )
            return True
    finally:
        await engine.dispose()


# --- audited account verbs ---------------------------------------------------------------------
def _run_action(
    db: str | None,
    actor_name: str | None,
    call: Callable[[AdminActions, Actor, Callable[[str], Awaitable[int]]], Awaitable[Outcome]],
) -> None:
    from starlane.domain.errors import DomainError

    settings = settings_from_flags(db=db)
    url = settings.resolved_database_url()
    try:
        outcome = asyncio.run(_action(url, settings, actor_name, call))
    except DomainError as exc:
        fail(f"{exc.code}: {exc.detail}", code=1)
    except LookupError as exc:
        fail(str(exc.args[0]), code=1)
    _report(outcome)


def _report(outcome: Outcome) -> None:
    from starlane.audit.actions import Pending

    if isinstance(outcome, Pending):
        console.print(
            f"pending: approval {outcome.approval_id} needs a second admin"
            f" (audit entry {outcome.index})"
        )
    else:
        console.print(
            f"done: audit entry {outcome.index}: {outcome.before} -> {outcome.after}",
            highlight=False,
        )


async def _action(
    url: str,
    settings: Settings,
    actor_name: str | None,
    call: Callable[[AdminActions, Actor, Callable[[str], Awaitable[int]]], Awaitable[Outcome]],
) -> Outcome:
    import uuid

    from starlane.audit.actions import Actor, AdminActions
    from starlane.store.accounts_sql import SqlAccountStore
    from starlane.store.db import create_db_engine, upgrade_database
    from starlane.store.uow import UnitOfWorkFactory

    engine = create_db_engine(url)
    try:
        await upgrade_database(engine)
        uow = UnitOfWorkFactory(engine, clock=time.time)
        accounts = SqlAccountStore(engine, uow)

        async def account_id(username: str) -> int:
            account = await accounts.get_by_username(username)
            if account is None:
                raise LookupError(f"no account named {username!r}")
            return account.id

        actor = Actor(None, "system", None, "starlane-cli", uuid.uuid4().hex)
        if actor_name is not None:
            acting = await accounts.get_by_username(actor_name)
            if acting is None or "admin" not in acting.roles or acting.disabled:
                raise LookupError(f"{actor_name!r} is not an enabled admin account")
            actor = Actor(acting.id, "admin", None, "starlane-cli", actor.request_id)
        actions = AdminActions(
            uow,
            time.time,
            two_person=settings.audit_two_person_actions,
            credit_threshold=settings.audit_two_person_credit_threshold,
        )
        return await call(actions, actor, account_id)
    finally:
        await engine.dispose()


@app.command("disable")
def disable(
    username: Annotated[str, typer.Argument(help="The account.")],
    justification: JustificationOption = "",
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Disable an account (audited)."""

    async def call(a: AdminActions, who: Actor, find: Callable[[str], Awaitable[int]]) -> Outcome:
        return await a.set_disabled(who, await find(username), True, justification)

    _run_action(db, actor, call)


@app.command("enable")
def enable(
    username: Annotated[str, typer.Argument(help="The account.")],
    justification: JustificationOption = "",
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Enable a disabled account again (audited)."""

    async def call(a: AdminActions, who: Actor, find: Callable[[str], Awaitable[int]]) -> Outcome:
        return await a.set_disabled(who, await find(username), False, justification)

    _run_action(db, actor, call)


@app.command("roles")
def roles(
    username: Annotated[str, typer.Argument(help="The account.")],
    grant: Annotated[list[str] | None, typer.Option("--grant", help="Role to grant.")] = None,
    revoke: Annotated[list[str] | None, typer.Option("--revoke", help="Role to revoke.")] = None,
    justification: JustificationOption = "",
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Grant and revoke roles (audited; the admin role needs a second admin's approval)."""

    async def call(a: AdminActions, who: Actor, find: Callable[[str], Awaitable[int]]) -> Outcome:
        target = await find(username)
        return await a.change_roles(who, target, grant or [], revoke or [], justification)

    _run_action(db, actor, call)


@app.command("membership")
def membership(
    username: Annotated[str, typer.Argument(help="The account.")],
    tier: Annotated[str, typer.Option("--tier", help="free or galactic_citizen.")],
    expires: Annotated[
        str | None, typer.Option("--expires", help="RFC 3339 end of the membership.")
    ] = None,
    justification: JustificationOption = "",
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Set an account's membership tier and its end (audited)."""
    from datetime import datetime

    try:
        end = None if expires is None else datetime.fromisoformat(expires).timestamp()
    except ValueError:
        fail(f"--expires {expires!r} is not an RFC 3339 time", code=2)

    async def call(a: AdminActions, who: Actor, find: Callable[[str], Awaitable[int]]) -> Outcome:
        return await a.change_membership(who, await find(username), tier, end, justification)

    _run_action(db, actor, call)


@app.command("approve")
def approve(
    approval_id: Annotated[str, typer.Argument(help="The pending request.")],
    actor: Annotated[str, typer.Option("--actor", help="The approving admin.")],
    justification: JustificationOption = "",
    db: DbOption = None,
) -> None:
    """Approve another admin's pending request, which then runs (audited)."""

    async def call(a: AdminActions, who: Actor, find: Callable[[str], Awaitable[int]]) -> Outcome:
        return await a.approve(who, approval_id, justification)

    _run_action(db, actor, call)


@app.command("reject")
def reject(
    approval_id: Annotated[str, typer.Argument(help="The pending request.")],
    actor: Annotated[str, typer.Option("--actor", help="The deciding admin.")],
    justification: JustificationOption = "",
    db: DbOption = None,
) -> None:
    """Reject a pending request (audited)."""

    async def call(a: AdminActions, who: Actor, find: Callable[[str], Awaitable[int]]) -> Outcome:
        return await a.reject(who, approval_id, justification)

    _run_action(db, actor, call)


# ``starlane admin region ...``: region controls through the running server's admin API.
from starlane.cli import admin_regions as _admin_regions  # noqa: E402

app.add_typer(_admin_regions.app, name="region")
