"""Refresh tokens on SQLAlchemy Core: the :class:`~starlane.store.accounts.RefreshTokenRepository`
adapter.

Only the SHA-256 hex of a token is stored. Rotation revokes the old token and records its
successor in the same transaction, so presenting an already-rotated token (reuse: a stolen
token) is detected and the API can revoke the whole family.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from starlane.store.accounts import RefreshToken
from starlane.store.schema import refresh_tokens


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


class SqlRefreshTokenRepository:
    """Refresh tokens on a SQLAlchemy connection (the :class:`RefreshTokenRepository` adapter).

    Args:
        conn: the unit of work's connection, in its transaction.
    """

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, token: RefreshToken) -> None:
        """Store a new refresh token (at login).

        Args:
            token: the token row.
        """
        await self._conn.execute(refresh_tokens.insert(), _token_values(token))

    async def get(self, token_hash: str) -> RefreshToken | None:
        """A refresh token by hash.

        Args:
            token_hash: SHA-256 hex of the token.

        Returns:
            The token row, or None.
        """
        query = select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
        row = (await self._conn.execute(query)).first()
        return None if row is None else _token(row)

    async def rotate(self, old_hash: str, new: RefreshToken, now: float) -> bool:
        """Replace a refresh token by a new one.

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
        result = await self._conn.execute(
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
        await self._conn.execute(refresh_tokens.insert(), _token_values(new))
        return True

    async def revoke(self, token_hash: str, now: float) -> bool:
        """Revoke one refresh token.

        Args:
            token_hash: hash of the token.
            now: unix seconds.

        Returns:
            True when a valid token was revoked.
        """
        result = await self._conn.execute(
            update(refresh_tokens)
            .where(
                refresh_tokens.c.token_hash == token_hash,
                refresh_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return result.rowcount > 0

    async def revoke_family(self, family_id: str, now: float) -> int:
        """Revoke every still-valid token of a family (on reuse detection, at logout).

        Args:
            family_id: the family.
            now: unix seconds.

        Returns:
            Number of tokens revoked.
        """
        result = await self._conn.execute(
            update(refresh_tokens)
            .where(
                refresh_tokens.c.family_id == family_id,
                refresh_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return int(result.rowcount)
