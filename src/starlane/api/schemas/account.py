"""Accounts and tokens: register, login, refresh, logout."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from starlane.api.schemas.common import (
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    USERNAME_PATTERN,
    ApiModel,
    Id,
    RequestModel,
)


# --- auth ---------------------------------------------------------------------------------
class RegisterRequest(RequestModel):
    """``POST /api/v1/auth/register``."""

    username: str = Field(pattern=USERNAME_PATTERN, min_length=3, max_length=24)
    password: str = Field(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)


class LoginRequest(RequestModel):
    """``POST /api/v1/auth/login`` as JSON (the OAuth2 password form is accepted too)."""

    username: str = Field(min_length=1, max_length=24)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class RefreshRequest(RequestModel):
    """``POST /api/v1/auth/refresh`` and ``POST /api/v1/auth/logout``."""

    refresh_token: str = Field(min_length=16, max_length=256)


class TokenPair(ApiModel):
    """Tokens issued by login, register and refresh.

    Attributes:
        access_token: JWT to send as ``Authorization: Bearer <token>``.
        token_type: always ``bearer``.
        expires_in: seconds until the access token expires.
        refresh_token: opaque single-use token for ``/auth/refresh`` (rotated on each use).
        refresh_expires_in: seconds until the refresh token expires.
    """

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


class AccountOut(ApiModel):
    """An account as its owner sees it.

    Attributes:
        membership: the tier in force now, ``free`` or ``galactic_citizen`` (a lapsed Galactic
            Citizen is ``free``).
        membership_expires_at: when the paid period ends (RFC 3339), None for no end.
        membership_grace_until: when a failed payment's grace period ends (RFC 3339), None.
    """

    id: Id
    username: str
    roles: list[str]
    membership: str
    membership_expires_at: str | None = None
    membership_grace_until: str | None = None
    created_at: float


class RegisterResponse(ApiModel):
    """``201`` from register: the new account, already logged in."""

    account: AccountOut
    tokens: TokenPair
