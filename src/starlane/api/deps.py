"""Request dependencies: the app's services, the authenticated caller, role checks.

The app's services are one typed :class:`~starlane.api.services.Services` object, built by
:func:`starlane.api.app.create_app` when the app starts; routes and WebSocket handlers receive
it through :func:`get_services` (``ServicesDep``) or with the caller (:func:`current_caller`,
``GameCaller``), never through module globals or names looked up on the app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, NamedTuple

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute
from starlette.requests import HTTPConnection

from starlane.api.auth import Principal, unauthorized
from starlane.api.errors import ApiError
from starlane.api.services import Services

SECURITY_SCHEME = "OAuth2PasswordBearer"
"""Name of the bearer-token security scheme in the OpenAPI document."""

_SECURITY_SCHEME_DOC = {
    "type": "oauth2",
    "flows": {"password": {"tokenUrl": "/api/v1/auth/token", "scopes": {}}},
}


def client_ip(request: HTTPConnection) -> str:
    """The client's address: the immediate peer. Forwarded headers are applied by the server
    (uvicorn's proxy headers) only for the proxies in ``security.forwarded_allow_ips``
    (:func:`starlane.api.serving.uvicorn_options`), never for anyone else.

    Args:
        request: the request or WebSocket.

    Returns:
        The IP address, or ``"unknown"``.
    """
    return request.client.host if request.client else "unknown"


def login_limit_keys(request: HTTPConnection, username: str) -> tuple[str, str]:
    """The rate-limit keys of a login or registration attempt: the client address, and the
    (address, username) pair. Nothing is keyed on the username alone, so a stranger's failed
    logins never lock its owner out.

    Args:
        request: the request.
        username: the username tried.

    Returns:
        ``("ip:<address>", "ipuser:<address>/<username, case-folded>")``.
    """
    address = client_ip(request)
    return f"ip:{address}", f"ipuser:{address}/{username.casefold()}"


def get_services(conn: HTTPConnection) -> Services:
    """The services of the app serving a request or a WebSocket.

    Args:
        conn: the request or WebSocket.

    Returns:
        The app's :class:`~starlane.api.services.Services`.

    Raises:
        ApiError: 503 ``engine_unavailable`` before the app has started.
    """
    services: Services | None = conn.app.state.services
    if services is None:
        raise ApiError(503, "engine_unavailable", "the server is starting")
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
"""A route or WebSocket parameter receiving the app's services."""


async def _verify(request: Request, services: Services) -> Principal:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if not token or scheme.lower() != "bearer":
        raise unauthorized("an access token is required", "not_authenticated")
    return await services.tokens.verify_access(token)


async def current_principal(request: Request) -> Principal:
    """The caller named by the ``Authorization: Bearer`` access token.

    The header is read here rather than through ``fastapi.security.OAuth2PasswordBearer``: one
    dependency level instead of two on every authenticated request. The OpenAPI document still
    declares the scheme on these routes (:func:`install_openapi_security`), so ``/docs``'
    **Authorize** button works as before.

    Args:
        request: the request.

    Returns:
        The principal.

    Raises:
        ApiError: 401 when the token is missing, forged, expired or revoked.
    """
    return await _verify(request, get_services(request))


class Caller(NamedTuple):
    """The authenticated caller of a game route and the services that serve them.

    Attributes:
        principal: the caller.
        services: the app's services.
    """

    principal: Principal
    services: Services


async def current_caller(request: Request) -> Caller:
    """The caller named by the access token (as :func:`current_principal`) with the services,
    in one dependency: the game's routes need both, and every dependency costs time on the
    hot paths.

    Args:
        request: the request.

    Returns:
        The caller.

    Raises:
        ApiError: 401 when the token is missing, forged, expired or revoked.
    """
    services = get_services(request)
    return Caller(await _verify(request, services), services)


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
GameCaller = Annotated[Caller, Depends(current_caller)]
"""A game route's parameter receiving the authenticated :class:`Caller`."""


def _needs_token(dependant: Any) -> bool:
    return any(
        dep.call in (current_principal, current_caller, require_admin) or _needs_token(dep)
        for dep in dependant.dependencies
    )


def extend_openapi(app: FastAPI, step: Callable[[dict[str, Any]], None]) -> None:
    """Have ``step`` complete the app's OpenAPI document, once per document generated.

    FastAPI generates the document on the first call and then returns the same (cached)
    object, so ``step`` runs once, not on every ``/openapi.json`` request; a document generated
    anew (``app.openapi_schema`` reset) is completed again.

    Args:
        app: the application.
        step: called with the generated document, changes it in place.
    """
    generate = app.openapi
    completed: list[dict[str, Any]] = []  # the document ``step`` last completed

    def openapi() -> dict[str, Any]:
        schema = generate()
        if not completed or completed[0] is not schema:
            step(schema)
            completed[:] = [schema]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_openapi_security(app: FastAPI) -> None:
    """Declare the bearer-token scheme in the app's OpenAPI document.

    Adds ``components.securitySchemes.OAuth2PasswordBearer`` (password flow at
    ``/api/v1/auth/token``) and a ``security`` requirement on every operation whose route
    depends on :func:`current_principal`, :func:`current_caller` or :func:`require_admin`.

    Args:
        app: the application, with its routes registered.
    """

    def add_security(schema: dict[str, Any]) -> None:
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes[SECURITY_SCHEME] = _SECURITY_SCHEME_DOC
        for route in app.routes:
            if not isinstance(route, APIRoute) or not _needs_token(route.dependant):
                continue
            operations = schema.get("paths", {}).get(route.path_format, {})
            for method in route.methods or ():
                operation = operations.get(method.lower())
                if operation is not None:
                    operation["security"] = [{SECURITY_SCHEME: []}]

    extend_openapi(app, add_security)
