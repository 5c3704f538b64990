"""The one ASGI middleware every HTTP request passes: request id, body limit, metrics,
last-resort problem.

Each layer of pure-ASGI wrapping costs a coroutine, a ``send`` wrapper and a few dictionary
copies per request, so these concerns share one layer (the request path is the hot path of the
REST benchmark).

- **Request id**: the client's ``X-Request-ID`` when it is sane (1-64 printable characters),
  else a new one (32 hex characters: a random per-process prefix and a counter, unique without
  a system call per request). It is bound into every structlog line of the request and echoed
  in the response's ``X-Request-ID`` header.
- **Body limit**: a request whose ``Content-Length`` is over the limit is refused with a 413
  ``too_large`` problem before anything reads it; a body sent without one (chunked) is counted
  as it is read and refused the same way once over. (Starlette's ``RequestBodyLimitMiddleware``,
  which FastAPI's ``max_body_size`` installs, answers the first case in plain text, without the
  problem document and its stable code, and wraps ``send`` on every request.)
- **Metrics**: ``starlane_http_requests_total{method, route, status}`` and
  ``starlane_http_request_duration_seconds{method, route}``, by route template (``unmatched``
  when no route matched), with the labelled children cached.
- **Problems**: an exception that escaped the routes and the exception handlers becomes an RFC
  9457 problem: engine errors 503 (with ``Retry-After: 1``) or 404, anything else a 500
  ``internal_error`` whose detail says nothing about the cause (the cause is logged); a
  ``RecursionError`` (input nested past a parser's limit) is the client's: a 400
  ``json_too_deep``, not logged as a server error. Unlike
  Starlette's server-error handler, the exception is not re-raised.
"""

from __future__ import annotations

import itertools
import secrets
import time
from typing import Any

import structlog
from starlette.exceptions import HTTPException

from starlane.api.errors import ApiError, error_to_problem, problem, problem_response
from starlane.api.metrics import Metrics

_log = structlog.get_logger("starlane.api")

_REQUEST_ID_HEADER = b"x-request-id"
_CONTENT_LENGTH_HEADER = b"content-length"
_MAX_REQUEST_ID = 64


class RequestIdGenerator:
    """Request ids unique within a process: a random 16-hex prefix and a 16-hex counter."""

    def __init__(self) -> None:
        self._prefix = secrets.token_hex(8)
        self._counter = itertools.count(1)

    def __call__(self) -> str:
        """A new 32-character hexadecimal request id."""
        return f"{self._prefix}{next(self._counter):016x}"


def _scan_headers(headers: list[tuple[bytes, bytes]]) -> tuple[str | None, int | None]:
    """The client's sane request id and the declared body length, from one pass."""
    request_id = length = None
    for name, value in headers:
        if name == _REQUEST_ID_HEADER:
            text = value.decode("latin-1")
            if 0 < len(text) <= _MAX_REQUEST_ID and text.isprintable():
                request_id = text
        elif name == _CONTENT_LENGTH_HEADER and value.isdigit():
            length = int(value)  # a malformed one is left to the server (uvicorn refuses it)
    return request_id, length


def _too_large(limit: int) -> str:
    return f"request bodies are limited to {limit:,} bytes"


class HttpMiddleware:
    """Request id, metrics and last-resort problem details (see the module docstring).

    Args:
        app: the inner ASGI app.
        metrics: the app's metrics.
        max_body_bytes: largest request body accepted, bytes.
    """

    def __init__(self, app: Any, metrics: Metrics, max_body_bytes: int = 65_536) -> None:
        self.app = app
        self._metrics = metrics
        self._max_body = max_body_bytes
        self._new_id = RequestIdGenerator()
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def _observe(self, method: str, template: str, status: int, seconds: float) -> None:
        key = (method, template, status)
        children = self._children.get(key)
        if children is None:
            m = self._metrics
            children = (
                m.requests.labels(method, template, str(status)),
                m.latency.labels(method, template),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        client_id, length = _scan_headers(scope.get("headers") or [])
        request_id = client_id or self._new_id()
        id_header = (_REQUEST_ID_HEADER, request_id.encode("latin-1"))
        status = 500
        started = False

        async def _send(message: Any) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                message = {**message, "headers": [*(message.get("headers") or ()), id_header]}
            await send(message)

        limit = self._max_body
        if length is None:  # no declared length: count what is read
            received = 0

            async def _receive() -> Any:
                nonlocal received
                message = await receive()
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, _too_large(limit))
                return message

        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            if length is not None and length > limit:
                body = problem(413, "too_large", _too_large(limit), instance=scope.get("path"))
                await problem_response(body, 413)(scope, receive, _send)
            else:
                await self.app(scope, receive if length is not None else _receive, _send)
        except Exception as exc:
            if started:
                raise
            path = scope.get("path")
            if isinstance(exc, RecursionError):  # input nested past any parser: the client's
                exc = ApiError(400, "json_too_deep", "the request body is nested too deeply")
            body, code = error_to_problem(exc, path)
            headers = None
            if code == 500:
                _log.exception("unhandled_error", path=path, error=type(exc).__name__)
            elif code == 503:
                headers = {"Retry-After": "1"}
            await problem_response(body, code, headers)(scope, receive, _send)
        finally:
            structlog.contextvars.reset_contextvars(**tokens)
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self._observe(scope.get("method", "GET"), template, status, time.perf_counter() - start)
