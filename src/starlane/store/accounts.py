"""Accounts and refresh tokens: ordinary relational tables, not event-sourced.

An account's id is its player id. Usernames are unique case-insensitively: the ``username``
column keeps the name as typed, ``username_key`` (:func:`username_key`) carries the unique
constraint. Refresh tokens are stored only as the SHA-256 hex of the token; rotation revokes the
old token and records its successor atomically, so presenting an already-rotated token (reuse:
a stolen token) is detected and the API can revoke the whole family.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from starlane.domain.errors import DomainError
from starlane.store.db import WRITE_TRANSACTION
from starlane.store.schema import accounts, refresh_tokens


class UsernameTakenError(DomainError):
    """Another account already has this username (compared case-insensitively)."""

    code = "username_taken"
    kind = "conflict"


@dataclass(frozen=True)
class Account:
    """A player's (or operator's) account.

    Attributes:
        id: account id, also the player id.
        username: the name as typed at registration.
        password_hash: the password hash (argon2 encoded string).
        roles: role names, e.g. ``("player", "admin")``.
        membership: ``free`` or a paid tier.
        region_id: the region the player is currently in, None before the first spawn.
        created_at: unix seconds of registration.
        disabled: a disabled account may not log in.
    """

    id: int
    username: str
    password_hash: str
    roles: tuple[str, ...]
    membership: str
    region_id: int | None
    created_at: float
    disabled: bool


@dataclass(frozen=True)
class RefreshToken:
    """A stored refresh token (only its hash).

    Attributes:
        token_hash: SHA-256 hex of the token.
        account_id: the account it authenticates.
        family_id: all tokens rotated from one login share a family.
        issued_at, expires_at: unix seconds.
        revoked_at: unix seconds of revocation, None while valid.
        replaced_by: hash of the token that replaced it on rotation.
    """

    token_hash: str
    account_id: int
    family_id: str
    issued_at: float
    expires_at: float
    revoked_at: float | None = None
    replaced_by: str | None = None


def username_key(username: str) -> str:
    """The case-insensitive key a username is unique by.

    Args:
        username: the name as typed.

    Returns:
        The case-folded name.
    """
    return username.casefold()


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
    )


def _token(row: Row[Any]) -> RefreshToken:
    return RefreshToken(
        token_hash=row.token_hash,
        account_id=row.account_id,
        family_id=row.family_id,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        replaced_by=row.replaced_by,
    )


def _token_values(token: RefreshToken) -> dict[str, Any]:
    return {
        "token_hash": token.token_hash,
        "account_id": token.account_id,
        "family_id": token.family_id,
        "issued_at": token.issued_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
        "replaced_by": token.replaced_by,
    }


class AccountStore:
    """Accounts and refresh tokens in the database.

    Args:
        engine: the (migrated) database engine.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(**WRITE_TRANSACTION)

    # --- accounts ----------------------------------------------------------------------------
    async def create(
        self,
        username: str,
        password_hash: str,
        *,
        roles: Sequence[str] = ("player",),
        membership: str = "free",
        now: float,
    ) -> Account:
        """Register an account.

        Args:
            username: the name as typed (validated by the caller).
            password_hash: the hashed password.
            roles: role names.
            membership: membership tier.
            now: unix seconds, the creation time.

        Returns:
            The new account with its id.

        Raises:
            UsernameTakenError: the username is taken, compared case-insensitively.
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
            async with self._writer.begin() as conn:
                result = await conn.execute(accounts.insert().returning(accounts.c.id), values)
                account_id = int(result.scalar_one())
        except IntegrityError as exc:
            raise UsernameTakenError(
                f"the username {username!r} is already taken", username=username
            ) from exc
        return Account(
            id=account_id,
            username=username,
            password_hash=password_hash,
            roles=tuple(r for r in roles_text.split(",") if r),
            membership=membership,
            region_id=None,
            created_at=now,
            disabled=False,
        )

    async def get(self, account_id: int) -> Account | None:
        """An account by id.

        Args:
            account_id: the account (player) id.

        Returns:
            The account, or None.
        """
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(accounts).where(accounts.c.id == account_id))).first()
        return None if row is None else _account(row)

    async def get_by_username(self, username: str) -> Account | None:
        """An account by username, case-insensitively.

        Args:
            username: the name in any letter case.

        Returns:
            The account, or None.
        """
        query = select(accounts).where(accounts.c.username_key == username_key(username))
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
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
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.limit(limit))).all()
        return [_account(r) for r in rows]

    async def _update(self, account_id: int, **values: Any) -> bool:
        async with self._writer.begin() as conn:
            result = await conn.execute(
                update(accounts).where(accounts.c.id == account_id).values(**values)
            )
        return result.rowcount > 0

    async def set_region(self, account_id: int, region_id: int | None) -> bool:
        """Record the region the player is now in.

        Args:
            account_id: the account (player) id.
            region_id: the region, or None.

        Returns:
            False when no such account exists.
        """
        return await self._update(account_id, region_id=region_id)

    async def set_roles(self, account_id: int, roles: Sequence[str]) -> bool:
        """Replace an account's roles.

        Args:
            account_id: the account id.
            roles: the new role names (no commas).

        Returns:
            False when no such account exists.

        Raises:
            ValueError: a role name contains a comma.
        """
        return await self._update(account_id, roles=_roles_text(roles))

    async def set_membership(self, account_id: int, membership: str) -> bool:
        """Change an account's membership tier.

        Args:
            account_id: the account id.
            membership: the new tier.

        Returns:
            False when no such account exists.
        """
        return await self._update(account_id, membership=membership)

    async def set_password_hash(self, account_id: int, password_hash: str) -> bool:
        """Replace an account's password hash.

        Args:
            account_id: the account id.
            password_hash: the new hash.

        Returns:
            False when no such account exists.
        """
        return await self._update(account_id, password_hash=password_hash)

    async def set_disabled(self, account_id: int, disabled: bool) -> bool:
        """Disable or re-enable an account.

        Args:
            account_id: the account id.
            disabled: True to disable.

        Returns:
            False when no such account exists.
        """
        return await self._update(account_id, disabled=disabled)

    async def delete(self, account_id: int) -> bool:
        """Delete an account and (by cascade) its refresh tokens.

        Args:
            account_id: the account id.

        Returns:
            False when no such account existed.
        """
        async with self._writer.begin() as conn:
            await conn.execute(
                delete(refresh_tokens).where(refresh_tokens.c.account_id == account_id)
            )
            result = await conn.execute(delete(accounts).where(accounts.c.id == account_id))
        return result.rowcount > 0

    async def count(self) -> int:
        """Number of accounts.

        Returns:
            The count.
        """
        async with self.engine.connect() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(accounts))).scalar_one()
            )

    # --- refresh tokens ----------------------------------------------------------------------
    async def add_refresh_token(self, token: RefreshToken) -> None:
        """Store a new refresh token (at login).

        Args:
            token: the token row.
        """
        async with self._writer.begin() as conn:
            await conn.execute(refresh_tokens.insert(), _token_values(token))

    async def get_refresh_token(self, token_hash: str) -> RefreshToken | None:
        """A refresh token by hash.

        Args:
            token_hash: SHA-256 hex of the token.

        Returns:
            The token row, or None.
        """
        query = select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _token(row)

    async def rotate_refresh_token(self, old_hash: str, new: RefreshToken, now: float) -> bool:
        """Replace a refresh token by a new one, atomically.

        The old token is revoked (``revoked_at``, ``replaced_by``) only if it is still valid
        (not revoked, not expired); only then is the new one stored.

        Args:
            old_hash: hash of the presented token.
            new: the successor token (same family).
            now: unix seconds.

        Returns:
            True when rotated; False when the old token was unknown, already revoked (reuse)
            or expired, in which case nothing was written.
        """
        async with self._writer.begin() as conn:
            result = await conn.execute(
                update(refresh_tokens)
                .where(
                    refresh_tokens.c.token_hash == old_hash,
                    refresh_tokens.c.revoked_at.is_(None),
                    refresh_tokens.c.expires_at > now,
                )
                .values(revoked_at=now, replaced_by=new.token_hash)
            )
            if result.rowcount != 1:
                return False
            await conn.execute(refresh_tokens.insert(), _token_values(new))
        return True

    async def revoke_refresh_token(self, token_hash: str, now: float) -> bool:
        """Revoke one refresh token (logout).

        Args:
            token_hash: hash of the token.
            now: unix seconds.

        Returns:
            True when a valid token was revoked.
        """
        async with self._writer.begin() as conn:
            result = await conn.execute(
                update(refresh_tokens)
                .where(
                    refresh_tokens.c.token_hash == token_hash,
                    refresh_tokens.c.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
        return result.rowcount > 0

    async def revoke_family(self, family_id: str, now: float) -> int:
        """Revoke every still-valid token of a family (on reuse detection).

        Args:
            family_id: the family.
            now: unix seconds.

        Returns:
            Number of tokens revoked.
        """
        async with self._writer.begin() as conn:
            result = await conn.execute(
                update(refresh_tokens)
                .where(
                    refresh_tokens.c.family_id == family_id,
                    refresh_tokens.c.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
        return int(result.rowcount)
