"""Request dependencies: the app's services, the authenticated caller, role checks.

Every object lives on ``app.state`` (set up by :func:`starlane.api.app.create_app`); routes
reach them through these dependencies, never through module globals.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from starlane.api.auth import Principal, unauthorized
from starlane.api.errors import ApiError

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/login", auto_error=False)


def client_ip(request: Request) -> str:
    """The client's address (the immediate peer; run behind a proxy with ``--proxy-headers``).

    Args:
        request: the request.

    Returns:
        The IP address, or ``"unknown"``.
    """
    return request.client.host if request.client else "unknown"


def get_state(request: Request) -> Any:
    """The app's state object (services, settings, clock).

    Args:
        request: the request.

    Returns:
        ``request.app.state``.
    """
    return request.app.state


async def current_principal(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal:
    """The caller named by the ``Authorization: Bearer`` access token.

    Args:
        request: the request.
        token: the bearer token, if any.

    Returns:
        The principal.

    Raises:
        ApiError: 401 when the token is missing, forged, expired or revoked.
    """
    if not token:
        raise unauthorized("an access token is required", "not_authenticated")
    principal: Principal = request.app.state.tokens.verify_access(token)
    return principal


async def require_admin(
    principal: Annotated[Principal, Depends(current_principal)],
) -> Principal:
    """The caller, who must have the ``admin`` role.

    Args:
        principal: the authenticated caller.

    Returns:
        The principal.

    Raises:
        ApiError: 403 ``forbidden`` for non-admins.
    """
    if not principal.is_admin:
        raise ApiError(403, "forbidden", "this needs the admin role")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
AdminPrincipal = Annotated[Principal, Depends(require_admin)]
