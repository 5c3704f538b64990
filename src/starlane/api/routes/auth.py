"""Accounts and authentication: register, login (JSON or OAuth2 form), refresh, logout.

Registration is never half-applied: the account is created (one unit of work, which publishes
``account.created``), then the player is spawned in the galaxy; if the spawn fails the account
is deleted again (a second unit of work) and the error is returned. The spawn is not awaited
inside the unit of work: the region engine's commit would wait for its transaction.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from starlane.api.auth import unauthorized
from starlane.api.deps import CurrentPrincipal, ServicesDep, client_ip
from starlane.api.errors import ApiError
from starlane.api.schemas import (
    AccountOut,
    LoginRequest,
    Problem,
    RefreshRequest,
    RegisterRequest,
    RegisterResponse,
    TokenPair,
)
from starlane.domain.commands import SpawnPlayer
from starlane.domain.data import Membership

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
_log = structlog.get_logger("starlane.api.auth")

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "bad credentials or token"},
    409: {"model": Problem, "description": "conflict"},
    422: {"model": Problem, "description": "invalid input"},
    429: {"model": Problem, "description": "rate limited"},
}


def _account_out(account: Any) -> AccountOut:
    return AccountOut(
        id=account.id,
        username=account.username,
        roles=list(account.roles),
        membership=str(account.membership),
        created_at=account.created_at,
    )


@router.post(
    "/register",
    status_code=201,
    response_model=RegisterResponse,
    responses=_PROBLEMS,
    summary="Create an account and enter the galaxy",
)
async def register(body: RegisterRequest, request: Request, st: ServicesDep) -> RegisterResponse:
    """Create an account (username 3-24 of ``[A-Za-z0-9_-]``, password of 10+ characters),
    spawn its player at Sol, and log it in."""
    await st.limiter.hit("register", f"ip:{client_ip(request)}", f"user:{body.username.lower()}")
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


_LOGIN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": LoginRequest.model_json_schema()},
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["password"]},
                        "username": {"type": "string", "minLength": 1, "maxLength": 24},
                        "password": {"type": "string", "minLength": 1, "maxLength": 256},
                    },
                }
            },
        },
    }
}


async def _login_body(request: Request) -> LoginRequest:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.form()
            data: Any = {
                k: form.get(k) for k in ("username", "password") if form.get(k) is not None
            }
        else:
            try:
                data = await request.json()
            except ValueError as exc:
                raise RequestValidationError(
                    [{"loc": ("body",), "msg": "body is not valid JSON", "type": "json_invalid"}]
                ) from exc
        return LoginRequest.model_validate(data)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from exc


@router.post(
    "/login",
    response_model=TokenPair,
    responses=_PROBLEMS,
    openapi_extra=_LOGIN_BODY,
    summary="Log in (JSON body or OAuth2 password form)",
)
async def login(request: Request, st: ServicesDep) -> TokenPair:
    """Exchange a username and password for an access token and a refresh token."""
    body = await _login_body(request)
    await st.limiter.hit("login", f"ip:{client_ip(request)}", f"user:{body.username.lower()}")
    account = await st.accounts.get_by_username(body.username)
    stored = account.password_hash if account is not None else st.dummy_hash
    valid = await st.passwords.verify(stored, body.password)
    if account is None or not valid:
        raise unauthorized("wrong username or password", "invalid_credentials")
    if account.disabled:
        raise ApiError(403, "account_disabled", "this account is disabled")
    return TokenPair(**await st.tokens.issue_pair(account))


@router.post(
    "/refresh",
    response_model=TokenPair,
    responses=_PROBLEMS,
    summary="Exchange a refresh token for a new pair (rotation)",
)
async def refresh(body: RefreshRequest, st: ServicesDep) -> TokenPair:
    """Rotate a refresh token. Using an already rotated token revokes its whole session."""
    return TokenPair(**await st.tokens.rotate(body.refresh_token))


@router.post(
    "/logout",
    status_code=204,
    response_class=Response,
    responses=_PROBLEMS,
    summary="Revoke the refresh token (and the access token used)",
)
async def logout(body: RefreshRequest, principal: CurrentPrincipal, st: ServicesDep) -> Response:
    """Log out: the refresh token's session and every access token of the account issued so
    far stop working (other sessions refresh to get new ones)."""
    await st.tokens.revoke(body.refresh_token, principal.account_id)
    return Response(status_code=204)


@router.get("/me", response_model=AccountOut, responses=_PROBLEMS, summary="The caller's account")
async def account(principal: CurrentPrincipal, st: ServicesDep) -> AccountOut:
    """The authenticated caller's account (id, username, roles, membership)."""
    acc = await st.accounts.get(principal.account_id)
    if acc is None:
        raise ApiError(404, "not_found", "the account no longer exists")
    return _account_out(acc)
