"""Accounts and refresh tokens: ordinary relational tables, not event-sourced.

The ports: :class:`AccountRepository` and :class:`RefreshTokenRepository` work inside a unit of
work (:class:`~starlane.store.uow.UnitOfWork`, one transaction: ``uow.accounts``,
``uow.refresh_tokens``); :class:`AccountStore` is what callers that make one change at a time
hold: reads on a connection of their own and single-call writes, each in a unit of work of its
own. The adapters (:mod:`starlane.store.accounts_sql`) are SQLAlchemy Core and serve SQLite
and PostgreSQL alike.

Every change to an account adds a message to the unit of work's outbox (see
:mod:`starlane.domain.envelope` for the kinds): ``account.created``, ``account.updated`` (the
changed fields; a new password hash is reported as ``password_changed`` only),
``role.granted`` / ``role.revoked`` (one per role), ``account.deleted``. Refresh tokens are
sessions, not account state: they are not published.

An account's id is its player id, so ids are never reused (a deleted account's player stays in
the event log). Changes that must end the account's sessions at once (a new password,
disabling, a role removed) also bump its ``token_version``, which access tokens carry.
Usernames are unique case-insensitively: the ``username``
column keeps the name as typed, ``username_key`` (:func:`username_key`) carries the unique
constraint. Refresh tokens are stored only as the SHA-256 hex of the token; rotation revokes the
old token and records its successor atomically, so presenting an already-rotated token (reuse:
a stolen token) is detected and the API can revoke the whole family.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from starlane.domain.errors import DomainError

Emit = Callable[[str, str, Mapping[str, Any]], None]
"""``emit(kind, subject, payload)``: add a message to the unit of work's outbox."""


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
        token_version: access tokens issued under an older version are refused; bumped by
            logout, a password change, disabling, a role removal and refresh-token reuse.
    """

    id: int
    username: str
    password_hash: str
    roles: tuple[str, ...]
    membership: str
    region_id: int | None
    created_at: float
    disabled: bool
    token_version: int = 0


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


class AccountRepository(Protocol):
    """Accounts inside one unit of work (the port; see the module docstring)."""

    async def create(
        self,
        username: str,
        password_hash: str,
        *,
        roles: Sequence[str] = ("player",),
        membership: str = "free",
        now: float,
    ) -> Account:
        """Register an account (see :meth:`SqlAccountRepository.create`)."""
        ...

    async def get(self, account_id: int, *, for_update: bool = False) -> Account | None:
        """An account by id; ``for_update`` locks its row until the unit of work ends."""
        ...

    async def get_by_username(self, username: str, *, for_update: bool = False) -> Account | None:
        """An account by username, case-insensitively; ``for_update`` locks its row."""
        ...

    async def list_accounts(self, *, after_id: int = 0, limit: int = 100) -> list[Account]:
        """A page of accounts in id order."""
        ...

    async def count(self) -> int:
        """Number of accounts."""
        ...

    async def set_region(self, account_id: int, region_id: int | None) -> bool:
        """Record the player's region; False when no such account."""
        ...

    async def set_roles(self, account_id: int, roles: Sequence[str]) -> bool:
        """Replace the roles; False when no such account."""
        ...

    async def set_membership(self, account_id: int, membership: str) -> bool:
        """Change the membership tier; False when no such account."""
        ...

    async def set_password_hash(self, account_id: int, password_hash: str) -> bool:
        """Replace the password hash; False when no such account."""
        ...

    async def set_disabled(self, account_id: int, disabled: bool) -> bool:
        """Disable or re-enable; False when no such account."""
        ...

    async def delete(self, account_id: int) -> bool:
        """Delete the account and its refresh tokens; False when no such account."""
        ...

    async def bump_token_version(self, account_id: int) -> bool:
        """Refuse every access token issued so far; False when no such account."""
        ...


class RefreshTokenRepository(Protocol):
    """Refresh tokens inside one unit of work (the port)."""

    async def add(self, token: RefreshToken) -> None:
        """Store a new token."""
        ...

    async def get(self, token_hash: str) -> RefreshToken | None:
        """A token by hash."""
        ...

    async def rotate(self, old_hash: str, new: RefreshToken, now: float) -> bool:
        """Revoke a still-valid token and store its successor; False when not valid."""
        ...

    async def revoke(self, token_hash: str, now: float) -> bool:
        """Revoke one token; False when it was not valid."""
        ...

    async def revoke_family(self, family_id: str, now: float) -> int:
        """Revoke every still-valid token of a family; the number revoked."""
        ...


class AccountStore(Protocol):
    """The account store port: reads, and writes that are one change each.

    Callers that make several changes that must commit together (or with an audit row, or
    with other relational changes) open a unit of work instead and use ``uow.accounts`` and
    ``uow.refresh_tokens``.
    """

    async def create(
        self,
        username: str,
        password_hash: str,
        *,
        roles: Sequence[str] = ("player",),
        membership: str = "free",
        now: float,
    ) -> Account:
        """Register an account."""
        ...

    async def get(self, account_id: int) -> Account | None:
        """An account by id."""
        ...

    async def get_by_username(self, username: str) -> Account | None:
        """An account by username, case-insensitively."""
        ...

    async def list_accounts(self, *, after_id: int = 0, limit: int = 100) -> list[Account]:
        """A page of accounts in id order."""
        ...

    async def count(self) -> int:
        """Number of accounts."""
        ...

    async def set_region(self, account_id: int, region_id: int | None) -> bool:
        """Record the player's region."""
        ...

    async def set_roles(self, account_id: int, roles: Sequence[str]) -> bool:
        """Replace an account's roles."""
        ...

    async def set_membership(self, account_id: int, membership: str) -> bool:
        """Change an account's membership tier."""
        ...

    async def set_password_hash(self, account_id: int, password_hash: str) -> bool:
        """Replace an account's password hash."""
        ...

    async def set_disabled(self, account_id: int, disabled: bool) -> bool:
        """Disable or re-enable an account."""
        ...

    async def delete(self, account_id: int) -> bool:
        """Delete an account and its refresh tokens."""
        ...

    async def get_refresh_token(self, token_hash: str) -> RefreshToken | None:
        """A refresh token by hash."""
        ...
