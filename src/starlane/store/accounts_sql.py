"""The SQLAlchemy Core adapters of the account ports (:mod:`starlane.store.accounts`).

:class:`SqlAccountRepository` runs on a unit of work's connection (as does
:class:`~starlane.store.refresh_tokens.SqlRefreshTokenRepository`); :class:`SqlAccountStore`
reads on a connection of its own and makes each single-change write in a unit of work of its
own. The same code serves SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from starlane.domain.envelope import (
    ACCOUNT_CREATED,
    ACCOUNT_DELETED,
    ACCOUNT_UPDATED,
    ROLE_GRANTED,
    ROLE_REVOKED,
    account_subject,
)
from starlane.store.accounts import (
    Account,
    AccountRepository,
    AccountStore,
    Emit,
    RefreshToken,
    UsernameTakenError,
    username_key,
)
from starlane.store.refresh_tokens import SqlRefreshTokenRepository
from starlane.store.schema import accounts, refresh_tokens

if TYPE_CHECKING:
    from starlane.store.uow import UnitOfWork


def _roles_text(roles: Sequence[str]) -> str:
    cleaned = [r.strip() for r in roles if r.strip()]
    if any("," in r for r in cleaned):
        raise ValueError("role names may not contain commas")
    return ",".join(dict.fromkeys(cleaned))


def _account(row: Row[Any]) -> Account:
    return Account(
        id=row.id,
        username=row.username,
        password_hash=row.password_hash,
        roles=tuple(r for r in row.roles.split(",") if r),
        membership=row.membership,
        region_id=row.region_id,
        created_at=row.created_at,
        disabled=bool(row.disabled),
        token_version=int(row.token_version),
    )


def _no_emit(kind: str, subject: str, payload: Mapping[str, Any]) -> None:
    raise RuntimeError("this account repository is read-only (no unit of work)")


class SqlAccountRepository:
    """Accounts on a SQLAlchemy connection (the :class:`AccountRepository` adapter).

    Args:
        conn: the unit of work's connection, in its transaction.
        emit: adds a message to the unit of work's outbox; the default refuses writes (a
            repository on a plain read connection).
    """

    def __init__(self, conn: AsyncConnection, emit: Emit = _no_emit) -> None:
        self._conn = conn
        self._emit = emit

    async def create(
        self,
        username: str,
        password_hash: str,
        *,
        roles: Sequence[str] = ("player",),
        membership: str = "free",
        now: float,
    ) -> Account:
        """Register an account (outbox: ``account.created``).

        Args:
            username: the name as typed (validated by the caller).
            password_hash: the hashed password.
            roles: role names.
            membership: membership tier.
            now: unix seconds, the creation time.

        Returns:
            The new account with its id.

        Raises:
            UsernameTakenError: the username is taken, compared case-insensitively. The
                unit of work is still usable (the failed insert ran in a savepoint).
            ValueError: a role name contains a comma.
        """
        roles_text = _roles_text(roles)
        values = {
            "username": username,
            "username_key": username_key(username),
            "password_hash": password_hash,
            "roles": roles_text,
            "membership": membership,
            "region_id": None,
            "created_at": now,
            "disabled": False,
        }
        try:
            async with self._conn.begin_nested():
                result = await self._conn.execute(
                    accounts.insert().returning(accounts.c.id), values
                )
                account_id = int(result.scalar_one())
        except IntegrityError as exc:
            raise UsernameTakenError(
                f"the username {username!r} is already taken", username=username
            ) from exc
        account = Account(
            id=account_id,
            username=username,
            password_hash=password_hash,
            roles=tuple(r for r in roles_text.split(",") if r),
            membership=membership,
            region_id=None,
            created_at=now,
            disabled=False,
        )
        self._emit(
            ACCOUNT_CREATED,
            account_subject(account_id),
            {
                "account_id": account_id,
                "username": username,
                "roles": list(account.roles),
                "membership": membership,
            },
        )
        return account

    async def get(self, account_id: int, *, for_update: bool = False) -> Account | None:
        """An account by id.

        Args:
            account_id: the account (player) id.
            for_update: lock the row until the unit of work ends, for a read-then-write
                (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's write transaction already
                excludes other writers).

        Returns:
            The account, or None.
        """
        query = select(accounts).where(accounts.c.id == account_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return None if row is None else _account(row)

    async def get_by_username(self, username: str, *, for_update: bool = False) -> Account | None:
        """An account by username, case-insensitively.

        Args:
            username: the name in any letter case.
            for_update: lock the row until the unit of work ends (see :meth:`get`).

        Returns:
            The account, or None.
        """
        query = select(accounts).where(accounts.c.username_key == username_key(username))
        if for_update:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return None if row is None else _account(row)

    async def list_accounts(self, *, after_id: int = 0, limit: int = 100) -> list[Account]:
        """Accounts in id order, a page at a time (cursor = last id seen).

        Args:
            after_id: only accounts with a greater id.
            limit: at most this many.

        Returns:
            The page of accounts.
        """
        query = select(accounts).where(accounts.c.id > after_id).order_by(accounts.c.id)
        rows = (await self._conn.execute(query.limit(limit))).all()
        return [_account(r) for r in rows]

    async def count(self) -> int:
        """Number of accounts.

        Returns:
            The count.
        """
        query = select(func.count()).select_from(accounts)
        return int((await self._conn.execute(query)).scalar_one())

    async def _update(self, account_id: int, changes: Mapping[str, Any], **values: Any) -> bool:
        result = await self._conn.execute(
            update(accounts).where(accounts.c.id == account_id).values(**values)
        )
        if result.rowcount <= 0:
            return False
        self._emit(
            ACCOUNT_UPDATED, account_subject(account_id), {"account_id": account_id, **changes}
        )
        return True

    async def set_region(self, account_id: int, region_id: int | None) -> bool:
        """Record the region the player is now in (outbox: ``account.updated``).

        Args:
            account_id: the account (player) id.
            region_id: the region, or None.

        Returns:
            False when no such account exists.
        """
        return await self._update(account_id, {"region_id": region_id}, region_id=region_id)

    async def set_roles(self, account_id: int, roles: Sequence[str]) -> bool:
        """Replace an account's roles (outbox: one ``role.granted`` or ``role.revoked`` per
        role that changed, nothing when none did). Removing a role refuses every access token
        issued before (they carry the old roles; the token version is bumped).

        Args:
            account_id: the account id.
            roles: the new role names (no commas).

        Returns:
            False when no such account exists.

        Raises:
            ValueError: a role name contains a comma.
        """
        roles_text = _roles_text(roles)
        current = await self.get(account_id, for_update=True)
        if current is None:
            return False
        new = tuple(r for r in roles_text.split(",") if r)
        values: dict[str, Any] = {"roles": roles_text}
        if any(role not in new for role in current.roles):  # a demotion ends the sessions
            values["token_version"] = accounts.c.token_version + 1
        await self._conn.execute(
            update(accounts).where(accounts.c.id == account_id).values(**values)
        )
        subject = account_subject(account_id)
        for role in new:
            if role not in current.roles:
                self._emit(ROLE_GRANTED, subject, {"account_id": account_id, "role": role})
        for role in current.roles:
            if role not in new:
                self._emit(ROLE_REVOKED, subject, {"account_id": account_id, "role": role})
        return True

    async def set_membership(self, account_id: int, membership: str) -> bool:
        """Change an account's membership tier (outbox: ``account.updated``).

        Args:
            account_id: the account id.
            membership: the new tier.

        Returns:
            False when no such account exists.
        """
        return await self._update(account_id, {"membership": membership}, membership=membership)

    async def set_password_hash(self, account_id: int, password_hash: str) -> bool:
        """Replace an account's password hash (outbox: ``account.updated`` with
        ``password_changed``; the hash is never published). Every access token issued before is
        refused from now on (the token version is bumped).

        Args:
            account_id: the account id.
            password_hash: the new hash.

        Returns:
            False when no such account exists.
        """
        return await self._update(
            account_id,
            {"password_changed": True},
            password_hash=password_hash,
            token_version=accounts.c.token_version + 1,
        )

    async def set_disabled(self, account_id: int, disabled: bool) -> bool:
        """Disable or re-enable an account (outbox: ``account.updated``). Disabling refuses
        every access token issued before (the token version is bumped).

        Args:
            account_id: the account id.
            disabled: True to disable.

        Returns:
            False when no such account exists.
        """
        if not disabled:
            return await self._update(account_id, {"disabled": False}, disabled=False)
        return await self._update(
            account_id,
            {"disabled": True},
            disabled=True,
            token_version=accounts.c.token_version + 1,
        )

    async def bump_token_version(self, account_id: int) -> bool:
        """Refuse every access token of the account issued so far (logout, refresh-token
        reuse). Not published: sessions are not account state.

        Args:
            account_id: the account id.

        Returns:
            False when no such account exists.
        """
        result = await self._conn.execute(
            update(accounts)
            .where(accounts.c.id == account_id)
            .values(token_version=accounts.c.token_version + 1)
        )
        return result.rowcount > 0

    async def delete(self, account_id: int) -> bool:
        """Delete an account and its refresh tokens (outbox: ``account.deleted``).

        Args:
            account_id: the account id.

        Returns:
            False when no such account existed.
        """
        await self._conn.execute(
            delete(refresh_tokens).where(refresh_tokens.c.account_id == account_id)
        )
        result = await self._conn.execute(delete(accounts).where(accounts.c.id == account_id))
        if result.rowcount <= 0:
            return False
        self._emit(ACCOUNT_DELETED, account_subject(account_id), {"account_id": account_id})
        return True


class SqlAccountStore:
    """The :class:`AccountStore` adapter: reads on a connection of their own, each write in a
    unit of work of its own (so it is published like any other change).

    Args:
        engine: the (migrated) database engine.
        unit_of_work: makes the units of work the writes run in (default: units of work on
            ``engine`` without a publisher: their outbox rows wait for the next publisher
            that sweeps the table).
    """

    def __init__(
        self, engine: AsyncEngine, unit_of_work: Callable[[], UnitOfWork] | None = None
    ) -> None:
        self.engine = engine
        if unit_of_work is None:
            from starlane.store.uow import UnitOfWorkFactory

            unit_of_work = UnitOfWorkFactory(engine)
        self.unit_of_work = unit_of_work

    # --- reads -------------------------------------------------------------------------------
    async def get(self, account_id: int) -> Account | None:
        """An account by id.

        Args:
            account_id: the account (player) id.

        Returns:
            The account, or None.
        """
        async with self.engine.connect() as conn:
            return await SqlAccountRepository(conn).get(account_id)

    async def get_by_username(self, username: str) -> Account | None:
        """An account by username, case-insensitively.

        Args:
            username: the name in any letter case.

        Returns:
            The account, or None.
        """
        async with self.engine.connect() as conn:
            return await SqlAccountRepository(conn).get_by_username(username)

    async def list_accounts(self, *, after_id: int = 0, limit: int = 100) -> list[Account]:
        """Accounts in id order, a page at a time (cursor = last id seen).

        Args:
            after_id: only accounts with a greater id.
            limit: at most this many.

        Returns:
            The page of accounts.
        """
        async with self.engine.connect() as conn:
            return await SqlAccountRepository(conn).list_accounts(after_id=after_id, limit=limit)

    async def count(self) -> int:
        """Number of accounts.

        Returns:
            The count.
        """
        async with self.engine.connect() as conn:
            return await SqlAccountRepository(conn).count()

    async def get_refresh_token(self, token_hash: str) -> RefreshToken | None:
        """A refresh token by hash.

        Args:
            token_hash: SHA-256 hex of the token.

        Returns:
            The token row, or None.
        """
        async with self.engine.connect() as conn:
            return await SqlRefreshTokenRepository(conn).get(token_hash)

    # --- single-change writes (each one unit of work) ------------------------------------
    async def create(
        self,
        username: str,
        password_hash: str,
        *,
        roles: Sequence[str] = ("player",),
        membership: str = "free",
        now: float,
    ) -> Account:
        """Register an account (see :meth:`SqlAccountRepository.create`).

        Raises:
            UsernameTakenError: the username is taken, compared case-insensitively.
            ValueError: a role name contains a comma.
        """
        async with self.unit_of_work() as uow:
            return await uow.accounts.create(
                username, password_hash, roles=roles, membership=membership, now=now
            )

    async def set_region(self, account_id: int, region_id: int | None) -> bool:
        """See :meth:`SqlAccountRepository.set_region`."""
        async with self.unit_of_work() as uow:
            return await uow.accounts.set_region(account_id, region_id)

    async def set_roles(self, account_id: int, roles: Sequence[str]) -> bool:
        """See :meth:`SqlAccountRepository.set_roles`.

        Raises:
            ValueError: a role name contains a comma.
        """
        async with self.unit_of_work() as uow:
            return await uow.accounts.set_roles(account_id, roles)

    async def set_membership(self, account_id: int, membership: str) -> bool:
        """See :meth:`SqlAccountRepository.set_membership`."""
        async with self.unit_of_work() as uow:
            return await uow.accounts.set_membership(account_id, membership)

    async def set_password_hash(self, account_id: int, password_hash: str) -> bool:
        """See :meth:`SqlAccountRepository.set_password_hash`."""
        async with self.unit_of_work() as uow:
            return await uow.accounts.set_password_hash(account_id, password_hash)

    async def set_disabled(self, account_id: int, disabled: bool) -> bool:
        """See :meth:`SqlAccountRepository.set_disabled`."""
        async with self.unit_of_work() as uow:
            return await uow.accounts.set_disabled(account_id, disabled)

    async def delete(self, account_id: int) -> bool:
        """See :meth:`SqlAccountRepository.delete`."""
        async with self.unit_of_work() as uow:
            return await uow.accounts.delete(account_id)


def _as_ports(
    store: SqlAccountStore, accounts_repo: SqlAccountRepository
) -> tuple[AccountStore, AccountRepository]:
    """The adapters as their ports (checked by mypy: an adapter that drifts from its port fails
    the type check here).

    Args:
        store: a single-call store.
        accounts_repo: a repository in a unit of work.

    Returns:
        The same objects, typed as the ports.
    """
    return store, accounts_repo
