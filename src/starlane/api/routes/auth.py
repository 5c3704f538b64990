"""Accounts and authentication: register, login (JSON at ``/login``, the OAuth2 password form
at ``/token``), refresh, logout.

Registration is never half-applied: the account is created (one unit of work, which publishes
``account.created``), then the player is spawned in the galaxy; if the spawn fails the account
is deleted again (a second unit of work) and the error is returned. The spawn is not awaited
inside the unit of work: the region engine's commit would wait for its transaction.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, Form, Request, Response

from starlane.api.auth import unauthorized
from starlane.api.deps import CurrentPrincipal, ServicesDep, login_limit_keys
from starlane.api.errors import ApiError, problem_responses
from starlane.api.inputs import json_body, json_body_openapi
from starlane.api.schemas import (
    PASSWORD_MAX_LENGTH,
    AccountOut,
    LoginRequest,
    RefreshRequest,
    RegisterRequest,
    RegisterResponse,
    TokenPair,
)
from starlane.domain.commands import SpawnPlayer
from starlane.domain.data import Membership
from starlane.domain.membership import API_TIERS, rfc3339
from starlane.store.membership import MembershipStatus, membership_status

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
_log = structlog.get_logger("starlane.api.auth")


def _account_out(account: Any, status: MembershipStatus | None = None) -> AccountOut:
    if status is None:  # a new account: the tier it was created with, no end
        tier, expires, grace = API_TIERS[Membership(account.membership)], None, None
    else:
        tier, expires, grace = status.tier, status.expires_at, status.grace_until
    return AccountOut(
        id=account.id,
        username=account.username,
        roles=list(account.roles),
        membership=tier,
        membership_expires_at=rfc3339(expires),
        membership_grace_until=rfc3339(grace),
        created_at=account.created_at,
    )


@router.post(
    "/register",
    status_code=201,
    response_model=RegisterResponse,
    responses=problem_responses(400, 409, 413, 422, 429),
    openapi_extra=json_body_openapi(RegisterRequest),
    summary="Create an account and enter the galaxy",
)
async def register(request: Request, st: ServicesDep) -> RegisterResponse:
    """Create an account (username 3-24 of ``[A-Za-z0-9_-]``, password of 10+ characters),
    spawn its player at Sol, and log it in."""
    body = await json_body(request, RegisterRequest)
    await st.limiter.hit("register", *login_limit_keys(request, body.username))
    password_hash = await st.passwords.hash(body.password)  # slow: before the unit of work
    async with st.uow() as uow:
        account = await uow.accounts.create(
            body.username,
            password_hash,
            roles=("player",),
            membership=str(Membership.FREE),
            now=st.clock(),
        )
    try:
        await st.galaxy.execute(SpawnPlayer(account.id, account.username, Membership.FREE))
    except Exception:
        _log.warning("register.spawn_failed", account_id=account.id)
        async with st.uow() as uow:
            await uow.accounts.delete(account.id)
        raise
    tokens = await st.tokens.issue_pair(account)
    return RegisterResponse(account=_account_out(account), tokens=TokenPair(**tokens))


async def _login(request: Request, st: ServicesDep, body: LoginRequest) -> TokenPair:
    await st.limiter.hit("login", *login_limit_keys(request, body.username))
    account = await st.accounts.get_by_username(body.username)
    stored = account.password_hash if account is not None else st.dummy_hash
    valid = await st.passwords.verify(stored, body.password)
    if account is None or not valid:
        raise unauthorized("wrong username or password", "invalid_credentials")
    if account.disabled:
        from starlane.api.routes.admin import record_login_refused

        await record_login_refused(request, st, account)  # a security event, audited
        raise ApiError(403, "account_disabled", "this account is disabled")
    return TokenPair(**await st.tokens.issue_pair(account))


@router.post(
    "/login",
    response_model=TokenPair,
    responses=problem_responses(400, 401, 403, 413, 422, 429),
    openapi_extra=json_body_openapi(LoginRequest),
    summary="Log in (JSON body)",
)
async def login(request: Request, st: ServicesDep) -> TokenPair:
    """Exchange a username and password (a JSON body) for an access token and a refresh
    token. OAuth2 clients post the password form to ``/api/v1/auth/token`` instead."""
    return await _login(request, st, await json_body(request, LoginRequest))


@router.post(
    "/token",
    response_model=TokenPair,
    responses=problem_responses(400, 401, 403, 413, 422, 429),
    summary="Log in with the OAuth2 password form",
)
async def token(
    request: Request,
    st: ServicesDep,
    username: Annotated[str, Form(min_length=1, max_length=24)],
    password: Annotated[str, Form(min_length=1, max_length=PASSWORD_MAX_LENGTH)],
    grant_type: Annotated[Literal["password"] | None, Form()] = None,
) -> TokenPair:
    """The OAuth2 password flow (``application/x-www-form-urlencoded``: ``grant_type=password``,
    ``username``, ``password``), as used by ``/docs``' **Authorize** button; the same answer
    as ``/api/v1/auth/login``."""
    return await _login(request, st, LoginRequest(username=username, password=password))


@router.post(
    "/refresh",
    response_model=TokenPair,
    responses=problem_responses(400, 401, 413, 422),
    openapi_extra=json_body_openapi(RefreshRequest),
    summary="Exchange a refresh token for a new pair (rotation)",
)
async def refresh(request: Request, st: ServicesDep) -> TokenPair:
    """Rotate a refresh token. Using an already rotated token revokes its whole session."""
    body = await json_body(request, RefreshRequest)
    return TokenPair(**await st.tokens.rotate(body.refresh_token))


@router.post(
    "/logout",
    status_code=204,
    response_class=Response,
    responses=problem_responses(400, 401, 413, 422),
    openapi_extra=json_body_openapi(RefreshRequest),
    summary="Revoke the refresh token (and the access tokens issued before)",
)
async def logout(request: Request, principal: CurrentPrincipal, st: ServicesDep) -> Response:
    """Log out: the refresh token's session and every access token of the account issued so
    far stop working (other sessions refresh to get new ones)."""
    body = await json_body(request, RefreshRequest)
    await st.tokens.revoke(body.refresh_token, principal.account_id)
    return Response(status_code=204)


@router.get(
    "/me",
    response_model=AccountOut,
    responses=problem_responses(401, 404),
    summary="The caller's account",
)
async def account(principal: CurrentPrincipal, st: ServicesDep) -> AccountOut:
    """The authenticated caller's account (id, username, roles, the membership tier in force
    now with the paid period's end and a failed payment's grace period)."""
    acc = await st.accounts.get(principal.account_id)
    status = await membership_status(st.db, principal.account_id, st.clock())
    if acc is None or status is None:
        raise ApiError(404, "not_found", "the account no longer exists")
    return _account_out(acc, status)
