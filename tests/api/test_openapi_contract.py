"""The OpenAPI document states every error an operation can answer, as a problem document."""

from __future__ import annotations

from fastapi import FastAPI

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def test_every_operation_documents_its_problem_responses(app: FastAPI) -> None:
    schema = app.openapi()
    assert {"type", "title", "status", "detail", "code"} <= set(
        schema["components"]["schemas"]["Problem"]["properties"]
    )
    checked = 0
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            responses = op["responses"]
            errors = {int(s): r for s, r in responses.items() if s[0] == "4"}
            where = f"{method.upper()} {path}"
            for status, response in errors.items():
                assert response["content"] == PROBLEM, (where, status)
            if op.get("security"):
                assert 401 in errors, where
            if op.get("requestBody"):
                assert {400, 413, 422} <= set(errors), where
            if op.get("parameters"):
                assert 422 in errors, where
            if path.startswith("/api/v1/admin/"):  # the operator's actions and the audit log
                assert {401, 403, 404, 409, 422} <= set(errors), where
            elif path == "/api/v1/billing/webhook":  # signed, no bearer token
                assert not op.get("security"), where
                assert {401, 422} <= set(errors) and "503" in responses, where
                for status in (401, 422, 503):
                    assert responses[str(status)]["content"] == PROBLEM, (where, status)
            elif path.startswith("/api/v1/") and "/auth/" not in path:  # the game's commands
                assert {401, 403, 404, 409, 422, 429} <= set(errors), where
                # every game, region and governance operation needs the bearer token
                assert op.get("security") == [{"OAuth2PasswordBearer": []}], where
            checked += 1
    assert checked >= 28
    login = schema["paths"]["/api/v1/auth/login"]["post"]["requestBody"]["content"]
    assert list(login) == ["application/json"]  # JSON only: the form has /auth/token
    token = schema["paths"]["/api/v1/auth/token"]["post"]["requestBody"]["content"]
    assert list(token) == ["application/x-www-form-urlencoded"]
    flows = schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]
    assert flows["password"]["tokenUrl"] == "/api/v1/auth/token"
    # schema-valid inputs are ones the server accepts: cursors and commodities say what they are
    regions = schema["paths"]["/api/v1/regions"]["get"]["parameters"]
    cursor = next(p for p in regions if p["name"] == "cursor")
    assert "^[0-9]{1,9}$" in str(cursor["schema"])
    trade = schema["components"]["schemas"]["TradeRequest"]["properties"]
    assert "fuel" in trade["commodity"]["enum"]
