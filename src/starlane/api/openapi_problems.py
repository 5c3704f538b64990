"""The OpenAPI document states every error an operation can answer, as a problem document.

Errors leave the server as ``application/problem+json`` (:mod:`starlane.api.errors`). This
step completes the generated document so it says so: every error response of every operation
whose schema is the ``Problem`` schema is declared with that media type only, and each
operation lists the statuses it can answer by what it takes:

- a bearer token (``security``): 401 (missing, invalid, expired or revoked token);
- a request body: 400 (``json_too_deep``), 413 (``too_large``) and 422 (``validation_error``);
- parameters: 422 (``validation_error``);

besides the statuses its route declares (404, 409, 429...).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from starlane.api.deps import extend_openapi
from starlane.api.errors import PROBLEM_MEDIA_TYPE, PROBLEM_REF, problem_responses
from starlane.api.schemas import Problem

_REF_TEMPLATE = "#/components/schemas/{model}"


def _is_problem(response: dict[str, Any]) -> bool:
    content = response.get("content")
    if content is None:
        return True  # declared without a body: an error status of this API is a problem
    return any(media.get("schema", {}).get("$ref") == PROBLEM_REF for media in content.values())


def _statuses(operation: dict[str, Any]) -> set[int]:
    statuses: set[int] = set()
    if operation.get("security"):
        statuses.add(401)
    if operation.get("requestBody"):
        statuses |= {400, 413, 422}
    if operation.get("parameters"):
        statuses.add(422)
    return statuses


def document_problems(schema: dict[str, Any]) -> None:
    """Complete an OpenAPI document's error responses (see the module docstring).

    Args:
        schema: the document, changed in place.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template=_REF_TEMPLATE)
    for name, nested in problem.pop("$defs", {}).items():
        components.setdefault(name, nested)
    components.setdefault("Problem", problem)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, declared in problem_responses(*_statuses(operation)).items():
                responses.setdefault(str(status), declared)
            for status, response in responses.items():
                if str(status)[0] in "45" and _is_problem(response):
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}}


def install_openapi_problems(app: FastAPI) -> None:
    """Have the app's OpenAPI document state every operation's problem responses.

    Args:
        app: the application, with its routes registered (and its security declared: the
            401s follow the operations' ``security``).
    """
    extend_openapi(app, document_problems)
