"""RFC 9457 problem details: every error the API returns, and the handlers that produce them.

Every refusal leaves the server as ``application/problem+json`` with ``type``, ``title``,
``status``, ``detail`` and a stable ``code`` (plus ``context`` or ``errors`` where useful).
Domain errors map by their ``kind`` (invalid 422, not_found 404, forbidden 403, conflict 409);
engine errors ``engine_busy``/``engine_unavailable`` map to 503; anything unexpected becomes a
500 ``internal_error`` whose detail never carries a stack trace or SQL (it is logged instead).
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from starlane.domain.errors import DomainError

PROBLEM_BASE = "https://starlane.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

_log = structlog.get_logger("starlane.api")

_KIND_STATUS = {"invalid": 422, "not_found": 404, "forbidden": 403, "conflict": 409}
_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}
_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
}
#: engine error codes (``starlane.engine.errors``) and their HTTP statuses
ENGINE_STATUS = {
    "engine_busy": 503,
    "engine_unavailable": 503,
    "unknown_region": 404,
    "player_not_in_galaxy": 404,
}


class ApiError(Exception):
    """An error the API answers with a problem document.

    Attributes:
        status: HTTP status code.
        code: stable machine-readable code.
        detail: human explanation.
        headers: extra response headers (``WWW-Authenticate``, ``Retry-After``).
        context: extra machine-readable facts.
    """

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.context = context


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    instance: str | None = None,
    context: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Build a problem details document.

    Args:
        status: HTTP status code.
        code: stable machine-readable code.
        detail: human explanation.
        instance: the request path, if any.
        context: extra machine-readable facts.
        errors: invalid fields of a validation error.

    Returns:
        The JSON-ready problem object.
    """
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance is not None:
        body["instance"] = instance
    if context:
        body["context"] = _jsonable(context)
    if errors is not None:
        body["errors"] = errors
    return body


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def error_to_problem(exc: BaseException, instance: str | None = None) -> tuple[dict[str, Any], int]:
    """Turn a known exception into a problem document (shared by REST and the WebSocket).

    Args:
        exc: an :class:`ApiError`, a :class:`DomainError`, an engine error with a ``code``
            attribute, or anything else (which becomes ``internal_error``).
        instance: the request path, if any.

    Returns:
        ``(problem, status)``.
    """
    if isinstance(exc, ApiError):
        return problem(exc.status, exc.code, exc.detail, instance=instance, context=exc.context), (
            exc.status
        )
    if isinstance(exc, DomainError):
        status = _KIND_STATUS.get(exc.kind, 409)
        return problem(status, exc.code, exc.detail, instance=instance, context=exc.context), status
    code = getattr(exc, "code", None)
    if isinstance(code, str) and code in ENGINE_STATUS:
        status = ENGINE_STATUS[code]
        return problem(status, code, str(exc) or code, instance=instance), status
    return problem(500, "internal_error", "an internal error occurred", instance=instance), 500


def problem_response(
    body: dict[str, Any], status: int, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A JSON response with the problem media type.

    Args:
        body: the problem document.
        status: HTTP status code.
        headers: extra headers.

    Returns:
        The response.
    """
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [p if isinstance(p, int) else str(p) for p in err.get("loc", ())]
        out.append({"loc": loc, "msg": str(err.get("msg", "")), "type": str(err.get("type", ""))})
    return out


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    names = [".".join(str(p) for p in e["loc"][1:] or e["loc"]) for e in errors]
    first = errors[0]["msg"] if errors else "invalid input"
    detail = f"invalid {', '.join(names)}: {first}" if names else first
    body = problem(422, "validation_error", detail, instance=request.url.path, errors=errors)
    return problem_response(body, 422)


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = _HTTP_CODES.get(status, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(status, "error")
    headers = dict(exc.headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return problem_response(
        problem(status, code, detail, instance=request.url.path), status, headers
    )


async def _api_error_handler(request: Request, exc: Exception) -> JSONResponse:
    body, status = error_to_problem(exc, request.url.path)
    headers = exc.headers if isinstance(exc, ApiError) else None
    return problem_response(body, status, headers)


async def _domain_handler(request: Request, exc: Exception) -> JSONResponse:
    body, status = error_to_problem(exc, request.url.path)
    return problem_response(body, status)


PROBLEM_REF = "#/components/schemas/Problem"
"""Where the OpenAPI document keeps the :class:`~starlane.api.schemas.Problem` schema."""

_ERROR_DESCRIPTIONS = {
    400: "Bad request: the body is not usable JSON (e.g. ``json_too_deep``)",
    401: "Not authenticated: the access token is missing, invalid, expired or revoked",
    403: "Forbidden: the caller may not do this",
    404: "Not found",
    409: "Conflict: the game refused the action as things stand (a domain code)",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input: the field is named in ``errors``",
    429: "Too many requests: retry after ``Retry-After`` seconds",
    503: "Service unavailable: the engine is busy or starting; retry",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route for its error statuses: each a problem document.

    Args:
        *statuses: the HTTP error statuses the route can answer.

    Returns:
        A FastAPI ``responses`` mapping (``application/problem+json``, the Problem schema).
    """
    return {
        status: {
            "description": _ERROR_DESCRIPTIONS.get(status, _TITLES.get(status, "Error")),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
        }
        for status in statuses
    }


def install_error_handlers(app: FastAPI) -> None:
    """Register the problem-details handlers on an app.

    Args:
        app: the FastAPI application.
    """
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(ApiError, _api_error_handler)
    app.add_exception_handler(DomainError, _domain_handler)
