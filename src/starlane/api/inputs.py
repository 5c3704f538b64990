"""Request bodies and query strings validated in one pydantic-core call (the game routes).

FastAPI validates a declared body by decoding the JSON with Python's ``json`` module and then
walking its dependency machinery field by field; query parameters go through the same walk,
which re-inspects every parameter's annotation on every request, a large share of a hot
route's time (``benchmarks/bench_http.py``). Here it is ``Model.model_validate_json`` for a
body and ``Model.model_validate`` for a query string.

The routes of the declared game commands (:mod:`starlane.api.commands`) use these helpers
and declare their body or query parameters through ``openapi_extra``
(:func:`json_body_openapi`, :func:`query_openapi`), the documented FastAPI pattern for parsing
a request yourself, so ``/docs`` and ``/openapi.json`` still describe them; the body models
stay named components (:func:`install_openapi_bodies`). Errors are
raised as FastAPI's :class:`~fastapi.exceptions.RequestValidationError` with the usual ``loc``
prefixes (``body``, ``query``), so clients get the same 422 ``validation_error`` problem as
from any other route.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from starlane.api.deps import extend_openapi
from starlane.api.errors import ApiError

M = TypeVar("M", bound=BaseModel)

_NOT_JSON = "the body must be JSON, sent with Content-Type: application/json"

DEFAULT_JSON_MAX_DEPTH = 32
"""Deepest nesting of arrays and objects accepted in a JSON body or WebSocket message
(``settings.security.json_max_depth`` overrides it per app)."""
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(raw: bytes | str) -> int:
    """How deeply the arrays and objects of a JSON text nest (brackets inside strings do not
    count), without decoding it: a parser's recursion never meets a hostile depth.

    Args:
        raw: the JSON text (need not be valid JSON).

    Returns:
        The greatest nesting depth; 0 for a scalar.
    """
    data = raw.encode() if isinstance(raw, str) else raw
    if data.count(b"[") + data.count(b"{") <= 1:
        return 1 if b"[" in data or b"{" in data else 0
    brackets = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    return max(accumulate(_STEP[b] for b in brackets), default=0)


def check_json_depth(raw: bytes | str, limit: int = DEFAULT_JSON_MAX_DEPTH) -> None:
    """Refuse a JSON text nested deeper than ``limit`` before anything parses it.

    Args:
        raw: the JSON text.
        limit: the deepest nesting accepted.

    Raises:
        ApiError: 400 ``json_too_deep``.
    """
    # cheap first: a text with at most ``limit`` opening brackets cannot nest deeper
    if isinstance(raw, str):
        opened = raw.count("[") + raw.count("{")
    else:
        opened = raw.count(b"[") + raw.count(b"{")
    if opened > limit and json_depth(raw) > limit:
        raise ApiError(
            400,
            "json_too_deep",
            f"JSON may nest arrays and objects at most {limit} levels deep",
            context={"max_depth": limit},
        )


def _depth_limit(request: Request) -> int:
    services = getattr(request.app.state, "services", None)
    if services is None:
        return DEFAULT_JSON_MAX_DEPTH
    limit: int = services.settings.security.json_max_depth
    return limit


def _is_json(content_type: str | None) -> bool:
    """Whether a ``Content-Type`` names JSON (``application/json`` or ``application/*+json``),
    parameters such as ``charset`` ignored: the media types FastAPI accepts for JSON bodies."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    maintype, _, subtype = media.partition("/")
    return maintype == "application" and (subtype == "json" or subtype.endswith("+json"))


def _refused(exc: ValidationError, where: str) -> RequestValidationError:
    errors = [{**err, "loc": (where, *err.get("loc", ()))} for err in exc.errors(include_url=False)]
    return RequestValidationError(errors)


async def json_body(request: Request, model: type[M]) -> M:
    """The request's JSON body, decoded and validated as ``model`` by pydantic-core.

    Args:
        request: the request (its body is read here).
        model: the pydantic model of the body.

    Returns:
        The validated model instance.

    Raises:
        RequestValidationError: the body is empty (``missing``), not sent as JSON
            (``content_type``), not JSON (``json_invalid``) or not a valid ``model``; every
            error's ``loc`` starts with ``"body"``. The app answers 422 ``validation_error``.
        ApiError: 400 ``json_too_deep``: nested deeper than ``security.json_max_depth``.
    """
    raw = await request.body()
    if not raw:
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    if not _is_json(request.headers.get("content-type")):
        raise RequestValidationError(
            [{"type": "content_type", "loc": ("body",), "msg": _NOT_JSON, "input": None}]
        )
    check_json_depth(raw, _depth_limit(request))
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise _refused(exc, "body") from None


def query_params(request: Request, model: type[M]) -> M:
    """The request's query parameters validated as ``model`` (the last value of a repeated
    parameter wins, and unknown parameters are ignored, as with FastAPI's own ``Query``).

    Args:
        request: the request.
        model: a pydantic model whose fields are the parameters (strings are converted in
            pydantic's lax mode: ``"3"`` is a valid int).

    Returns:
        The validated model instance.

    Raises:
        RequestValidationError: a parameter is missing or invalid; every error's ``loc`` starts
            with ``"query"``. The app answers 422 ``validation_error``.
    """
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        raise _refused(exc, "query") from None


_REF = "#/components/schemas/"

_BODY_MODELS: dict[str, type[BaseModel]] = {}
"""Models named by :func:`json_body_openapi`, by name: :func:`install_openapi_bodies` puts
the schemas of those an app's routes declare in its OpenAPI document's components (FastAPI
only adds the models it parses itself)."""


def json_body_openapi(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` declaring a required JSON request body of ``model``
    (``#/components/schemas/<Model>``, added by :func:`install_openapi_bodies`).

    Args:
        model: the pydantic model of the body.

    Returns:
        ``{"requestBody": {...}}`` for a route decorator's ``openapi_extra``.

    Raises:
        ValueError: another model of the same name is already declared.
    """
    known = _BODY_MODELS.setdefault(model.__name__, model)
    if known is not model:
        raise ValueError(f"two body models are named {model.__name__}")
    schema = {"$ref": _REF + model.__name__}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _body_model(route: Any) -> type[BaseModel] | None:
    """The model a route declared with :func:`json_body_openapi`, if any."""
    if not isinstance(route, APIRoute) or not route.openapi_extra:
        return None
    body = route.openapi_extra.get("requestBody", {}).get("content", {})
    ref = body.get("application/json", {}).get("schema", {}).get("$ref", "")
    return _BODY_MODELS.get(ref.removeprefix(_REF)) if ref.startswith(_REF) else None


def install_openapi_bodies(app: FastAPI) -> None:
    """Add the schemas of the bodies declared with :func:`json_body_openapi` (and the models
    they nest) to ``components.schemas`` of the app's OpenAPI document.

    Args:
        app: the application, with its routes registered.
    """

    def add_bodies(schema: dict[str, Any]) -> None:
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for route in app.routes:
            model = _body_model(route)
            if model is None:
                continue
            body = model.model_json_schema(ref_template=_REF + "{model}")
            for nested, nested_schema in body.pop("$defs", {}).items():
                components.setdefault(nested, nested_schema)
            components.setdefault(model.__name__, body)

    extend_openapi(app, add_bodies)


def query_openapi(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` declaring ``model``'s fields as query parameters (appended to the
    route's path parameters by FastAPI).

    Args:
        model: a pydantic model of scalar fields (a query string holds no objects).

    Returns:
        ``{"parameters": [...]}`` for a route decorator's ``openapi_extra``.

    Raises:
        ValueError: a field is a nested model.
    """
    schema = model.model_json_schema()
    if "$defs" in schema:
        raise ValueError(f"{model.__name__} nests models: query parameters are scalars")
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if "description" in prop:
            parameter["description"] = prop["description"]
        parameters.append(parameter)
    return {"parameters": parameters}
