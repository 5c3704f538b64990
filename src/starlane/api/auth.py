"""Authentication: argon2 password hashes, JWT access tokens and rotating refresh tokens.

- Passwords are hashed with argon2id (``argon2-cffi``), off the event loop.
- An access token is a short-lived JWT (HS256) with ``sub`` (account id), ``name``,
  ``roles``, ``iat``, ``exp``, a unique ``jti`` and ``ver``, the account's token version when it
  was issued. Expiry is checked against the app's injected clock. Every request also checks
  the account: it must exist, not be disabled, and still have that token version. The version
  is persisted (``accounts.token_version``) and bumped by logout, refresh-token reuse, a
  password change, disabling and a role removal, so each of those refuses every access token
  issued before, at once and after a restart. The versions read are cached for
  ``security.token_check_cache_seconds``; changes made through this service forget the cached
  entry at once.
- A refresh token is an opaque random string; only its sha256 is stored. Each use rotates it
  (the old one is marked replaced); presenting a rotated or revoked token again is treated as
  theft and revokes the whole token family (every token descended from the same login). Each
  refresh-token operation (login, rotation, logout) reads and writes in one unit of work.
- The signing secret is ``settings.jwt_secret``, else a random secret generated once and kept
  in ``<data_dir>/jwt_secret`` (mode 0600).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from starlane.api.errors import ApiError
from starlane.store.accounts import Account, RefreshToken
from starlane.store.uow import Clock, UnitOfWork

JWT_ALGORITHM = "HS256"
VERIFIED_TOKENS_CACHED = 10_000
"""Access tokens whose verified claims are kept (signature checks skipped on reuse)."""
_DISABLED = -2  # the cached "token version" of a disabled account: its tokens are refused
_BEARER = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of a request.

    Attributes:
        account_id: the account (= player) id.
        username: the account's username.
        roles: ``("player",)``, ``("player", "admin")``...
        jti: the access token's id.
        expires_at: unix seconds at which the access token expires.
        version: the account's token version the token was issued under.
    """

    account_id: int
    username: str
    roles: tuple[str, ...]
    jti: str
    expires_at: float
    version: int = 0

    @property
    def is_admin(self) -> bool:
        """Whether the caller has the ``admin`` role."""
        return "admin" in self.roles


def unauthorized(detail: str, code: str = "invalid_token") -> ApiError:
    """A 401 problem with ``WWW-Authenticate: Bearer``.

    Args:
        detail: why the credentials were refused.
        code: stable code (``not_authenticated``, ``invalid_token``, ``token_expired``...).

    Returns:
        The error, to raise.
    """
    return ApiError(401, code, detail, headers=dict(_BEARER))


def load_jwt_secret(configured: str, data_dir: Path) -> str:
    """The JWT signing secret: the configured one, else one generated once and stored.

    Args:
        configured: ``settings.jwt_secret`` (empty = not configured).
        data_dir: the server's data directory.

    Returns:
        The secret.
    """
    if configured:
        return configured
    path = Path(data_dir) / "jwt_secret"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret)
    return secret


def hash_refresh_token(token: str) -> str:
    """The stored form of a refresh token.

    Args:
        token: the opaque token the client holds.

    Returns:
        Its sha256, hex.
    """
    return hashlib.sha256(token.encode()).hexdigest()


class Passwords:
    """argon2id password hashing, run in a worker thread so the event loop never stalls.

    Args:
        time_cost: argon2 iterations.
        memory_kib: argon2 memory, KiB.
    """

    def __init__(self, *, time_cost: int = 3, memory_kib: int = 65_536) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)

    async def hash(self, password: str) -> str:
        """Hash a password.

        Args:
            password: the plain password.

        Returns:
            The argon2 encoded hash.
        """
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        """Check a password against a stored hash.

        Args:
            password_hash: the stored argon2 hash.
            password: the candidate password.

        Returns:
            True when it matches.
        """

        def _check() -> bool:
            try:
                return self._hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(_check)


class TokenService:
    """Issues and checks access tokens, issues and rotates refresh tokens.

    Args:
        secret: HMAC secret for the JWTs.
        unit_of_work: makes a unit of work (each refresh-token operation runs in one).
        clock: unix seconds now.
        access_seconds: access token lifetime, seconds.
        refresh_seconds: refresh token lifetime, seconds.
        lookup: reads an account by id (None when it does not exist); None skips the account
            check (only for tools that verify tokens without a database).
        check_cache_seconds: how long an account's token version read by ``lookup`` is
            trusted, seconds (monotonic time).
    """

    def __init__(
        self,
        secret: str,
        unit_of_work: Callable[[], UnitOfWork],
        clock: Clock,
        *,
        access_seconds: int,
        refresh_seconds: int,
        lookup: Callable[[int], Awaitable[Account | None]] | None = None,
        check_cache_seconds: float = 1.0,
    ) -> None:
        self._secret = secret
        self._uow = unit_of_work
        self._clock = clock
        self.access_seconds = access_seconds
        self.refresh_seconds = refresh_seconds
        self._lookup = lookup
        self._check_seconds = check_cache_seconds
        # account id -> (token version, -1 when the account is gone or _DISABLED; read at)
        self._versions: dict[int, tuple[int, float]] = {}
        # token text -> its principal, once the signature and claims checked out (a pure
        # function of the text and the secret); expiry and the version are checked each time
        self._verified: dict[str, Principal] = {}

    # --- access tokens ---------------------------------------------------------------------
    def issue_access(self, account: Account) -> tuple[str, float]:
        """Sign an access token for an account.

        Args:
            account: the account.

        Returns:
            ``(token, expires_at)``.
        """
        now = self._clock()
        exp = now + self.access_seconds
        claims = {
            "sub": str(account.id),
            "name": account.username,
            "roles": list(account.roles),
            "iat": int(now),
            "exp": exp,
            "jti": uuid.uuid4().hex,
            "ver": account.token_version,
        }
        return jwt.encode(claims, self._secret, algorithm=JWT_ALGORITHM), exp

    async def verify_access(self, token: str) -> Principal:
        """Check an access token's signature and expiry, and that its account still accepts it.

        Args:
            token: the bearer token.

        Returns:
            The principal it names.

        Raises:
            ApiError: 401 ``invalid_token``, ``token_expired``, ``account_disabled`` or
                ``token_revoked`` (logged out, password changed, deleted, demoted, or its
                session's refresh token was reused).
        """
        principal = self._verified.get(token)
        if principal is None:
            principal = self._decode_access(token)
            if len(self._verified) >= VERIFIED_TOKENS_CACHED:
                del self._verified[next(iter(self._verified))]  # oldest first
            self._verified[token] = principal
        if principal.expires_at <= self._clock():
            raise unauthorized("the access token has expired", "token_expired")
        await self.check_account(principal)
        return principal

    async def check_account(self, principal: Principal) -> None:
        """Check that the principal's account still accepts its token (exists, is enabled,
        has the same token version); the WebSocket checks it before every command.

        Args:
            principal: a principal from :meth:`verify_access`.

        Raises:
            ApiError: 401 ``account_disabled`` or ``token_revoked``.
        """
        if self._lookup is None:
            return
        version = await self._version(principal.account_id)
        if version == _DISABLED:
            raise unauthorized("the account is disabled", "account_disabled")
        if version != principal.version:
            raise unauthorized("the access token was revoked", "token_revoked")

    async def _version(self, account_id: int) -> int:
        """The account's token version (-1 when it is gone, :data:`_DISABLED` when it is
        disabled), cached briefly."""
        cached = self._versions.get(account_id)
        now = time.monotonic()
        if cached is not None and now - cached[1] < self._check_seconds:
            return cached[0]
        assert self._lookup is not None
        account = await self._lookup(account_id)
        if account is None:
            version = -1
        else:
            version = _DISABLED if account.disabled else account.token_version
        if len(self._versions) >= VERIFIED_TOKENS_CACHED:
            self._versions.clear()
        self._versions[account_id] = (version, now)
        return version

    def forget(self, account_id: int) -> None:
        """Drop the cached token version of an account (after a change that bumped it).

        Args:
            account_id: the account.
        """
        self._versions.pop(account_id, None)

    def _decode_access(self, token: str) -> Principal:
        """Check an access token's signature and read its claims (no expiry check).

        Raises:
            ApiError: 401 ``invalid_token``.
        """
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[JWT_ALGORITHM],
                options={
                    "verify_exp": False,  # verify_access checks it against the injected clock
                    "verify_iat": False,
                    "require": ["sub", "exp", "jti"],
                },
            )
            principal = Principal(
                account_id=int(claims["sub"]),
                username=str(claims.get("name", "")),
                roles=tuple(str(r) for r in claims.get("roles", ())),
                jti=str(claims["jti"]),
                expires_at=float(claims["exp"]),
                version=int(claims.get("ver", 0)),
            )
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise unauthorized("the access token is invalid") from exc
        return principal

    # --- refresh tokens --------------------------------------------------------------------
    def _new_refresh(self, account_id: int, family_id: str) -> tuple[str, RefreshToken]:
        token = secrets.token_urlsafe(32)
        now = self._clock()
        record = RefreshToken(
            token_hash=hash_refresh_token(token),
            account_id=account_id,
            family_id=family_id,
            issued_at=now,
            expires_at=now + self.refresh_seconds,
            revoked_at=None,
            replaced_by=None,
        )
        return token, record

    async def issue_pair(self, account: Account) -> dict[str, Any]:
        """Log an account in: a new access token and a refresh token of a new family.

        Args:
            account: the account.

        Returns:
            The ``TokenPair`` fields.
        """
        token, record = self._new_refresh(account.id, uuid.uuid4().hex)
        async with self._uow() as uow:
            await uow.refresh_tokens.add(record)
        return self._pair(account, token)

    def _pair(self, account: Account, refresh_token: str) -> dict[str, Any]:
        access, _ = self.issue_access(account)
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.access_seconds,
            "refresh_token": refresh_token,
            "refresh_expires_in": self.refresh_seconds,
        }

    async def rotate(self, refresh_token: str) -> dict[str, Any]:
        """Exchange a refresh token for a new pair; the old one can never be used again.

        The checks and the writes (the rotation, or the revocation of a reused token's
        family) are one unit of work; a refusal is raised after it committed, so a detected
        reuse stays revoked.

        Args:
            refresh_token: the client's current refresh token.

        Returns:
            The new ``TokenPair`` fields.

        Raises:
            ApiError: 401 ``invalid_refresh_token`` (unknown, expired, revoked or reused; a
                reuse also revokes the whole family).
        """
        now = self._clock()
        old_hash = hash_refresh_token(refresh_token)
        refusal: str | None = None
        account: Account | None = None
        token = ""
        async with self._uow() as uow:
            record = await uow.refresh_tokens.get(old_hash)
            if record is None:
                refusal = "unknown refresh token"
            elif record.revoked_at is not None or record.replaced_by is not None:
                await uow.refresh_tokens.revoke_family(record.family_id, now)
                await uow.accounts.bump_token_version(record.account_id)
                refusal = "refresh token already used or revoked; its session is closed"
            elif record.expires_at <= now:
                refusal = "the refresh token has expired"
            else:
                account = await uow.accounts.get(record.account_id)
                if account is None or account.disabled:
                    refusal = "the account no longer exists"
                else:
                    token, new = self._new_refresh(account.id, record.family_id)
                    if not await uow.refresh_tokens.rotate(old_hash, new, now):
                        await uow.refresh_tokens.revoke_family(record.family_id, now)
                        await uow.accounts.bump_token_version(record.account_id)
                        refusal = "refresh token already used"
        if record is not None:
            self.forget(record.account_id)
        if refusal is not None or account is None:
            raise unauthorized(refusal or "unknown refresh token", "invalid_refresh_token")
        return self._pair(account, token)

    async def revoke(self, refresh_token: str, account_id: int) -> None:
        """Log out: revoke a refresh token's family (the session it belongs to) and every
        access token of the account issued so far (their version is bumped).

        Args:
            refresh_token: the client's refresh token.
            account_id: the caller; a token of another account is refused.

        Raises:
            ApiError: 401 ``invalid_refresh_token`` when the token is unknown or not the
                caller's.
        """
        async with self._uow() as uow:
            record = await uow.refresh_tokens.get(hash_refresh_token(refresh_token))
            if record is not None and record.account_id == account_id:
                await uow.refresh_tokens.revoke_family(record.family_id, self._clock())
                await uow.accounts.bump_token_version(account_id)
        self.forget(account_id)
        if record is None or record.account_id != account_id:
            raise unauthorized("unknown refresh token", "invalid_refresh_token")
