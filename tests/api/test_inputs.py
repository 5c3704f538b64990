"""The hot routes' own body and query parsing (``starlane.api.inputs``): every refusal is a 422
``validation_error`` naming the field, nothing changes, and the OpenAPI document still
describes the parameters and bodies."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from starlane.api.inputs import (
    _is_json,
    install_openapi_bodies,
    json_body,
    json_body_openapi,
    query_openapi,
)
from tests.api.conftest import assert_problem, register

MOVE = "/api/v1/me/move"
TRADE = "/api/v1/ports/1/trade"  # the port in Sol, where players start; it sells fuel
QUOTE = "/api/v1/ports/1/quote"
JSON = {"content-type": "application/json"}


async def _state(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[Any, ...]:
    me = (await client.get("/api/v1/me", headers=headers)).json()
    return me["sector_id"], me["credits"], me["turns"]["available"], me["ship"]["cargo"]


@pytest.mark.parametrize(
    ("path", "content", "headers", "loc", "error_type"),
    [
        (MOVE, b"", JSON, ["body"], "missing"),
        (MOVE, b'{"to_sector_id": 2}', {"content-type": "text/plain"}, ["body"], "content_type"),
        (MOVE, b'{"to_sector_id": 2}', {}, ["body"], "content_type"),
        (MOVE, b"to_sector_id=2", {"content-type": "application/x-www-form-urlencoded"},
         ["body"], "content_type"),
        (MOVE, b'{"to_sector_id": 2', JSON, ["body"], "json_invalid"),
        (MOVE, b"[2]", JSON, ["body"], "model_type"),
        (MOVE, b"null", JSON, ["body"], "model_type"),
        (MOVE, b'{"to_sector_id": 0}', JSON, ["body", "to_sector_id"], "greater_than_equal"),
        (MOVE, b'{"to_sector_id": 2, "x": 1}', JSON, ["body", "x"], "extra_forbidden"),
        (TRADE, b'{"commodity": "fuel", "side": "up", "quantity": 1}', JSON, ["body", "side"],
         "literal_error"),
        (TRADE, b'{"commodity": "fuel", "side": "buy", "quantity": 0}', JSON,
         ["body", "quantity"], "greater_than_equal"),
        (TRADE, b'{"side": "buy", "quantity": 1}', JSON, ["body", "commodity"], "missing"),
    ],
)  # fmt: skip
async def test_bad_bodies_are_refused_and_change_nothing(
    client: httpx.AsyncClient,
    path: str,
    content: bytes,
    headers: dict[str, str],
    loc: list[str],
    error_type: str,
) -> None:
    alice = await register(client, "alice")
    before = await _state(client, alice["headers"])
    r = await client.post(path, content=content, headers={**alice["headers"], **headers})
    body = assert_problem(r, 422, "validation_error")
    assert [loc, error_type] in [[e["loc"], e["type"]] for e in body["errors"]], body
    assert (await _state(client, alice["headers"])) == before


async def test_json_media_types_with_parameters_are_accepted(client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    h = alice["headers"]
    for content_type in ("application/json; charset=utf-8", "application/vnd.starlane+json"):
        r = await client.post(
            TRADE,
            content=b'{"commodity": "fuel", "side": "buy", "quantity": 1}',
            headers={**h, "content-type": content_type},
        )
        assert r.status_code == 200, r.text
    me = (await client.get("/api/v1/me", headers=h)).json()
    assert me["ship"]["cargo"] == {"fuel": 2}


async def test_loose_types_are_refused(client: httpx.AsyncClient) -> None:
    """Request bodies are strict: ``"3"`` is not a quantity, ``true`` is not the integer 1
    and ``1`` is not ``true``; each is a 422 naming the field, and nothing is traded."""
    alice = await register(client, "alice")
    h = alice["headers"]
    for bad in ("3", True, 3.5, [3], None):
        body = {"commodity": "fuel", "side": "buy", "quantity": bad}
        problem = assert_problem(
            await client.post(TRADE, json=body, headers=h), 422, "validation_error"
        )
        assert [e["loc"] for e in problem["errors"]] == [["body", "quantity"]], bad
    r = await client.post("/api/v1/me/move", json={"to_sector_id": True}, headers=h)
    problem = assert_problem(r, 422, "validation_error")
    assert problem["errors"][0]["loc"] == ["body", "to_sector_id"]
    r = await client.post("/api/v1/me/autopilot", json={"to_sector_id": 2, "execute": 1}, headers=h)
    problem = assert_problem(r, 422, "validation_error")
    assert problem["errors"][0]["loc"] == ["body", "execute"]
    r = await client.post("/api/v1/auth/login", json={"username": 12345, "password": "x" * 12})
    problem = assert_problem(r, 422, "validation_error")
    assert problem["errors"][0]["loc"] == ["body", "username"]
    me = (await client.get("/api/v1/me", headers=h)).json()
    assert me["sector_id"] == 1 and not any(me["ship"]["cargo"].values())
    # the well-typed request is accepted
    body = {"commodity": "fuel", "side": "buy", "quantity": 3}
    r = await client.post(TRADE, json=body, headers=h)
    assert r.status_code == 200 and r.json()["units"] == 3


async def test_quote_parameters(client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    h = alice["headers"]
    r = await client.get(QUOTE, headers=h)
    body = assert_problem(r, 422, "validation_error")
    assert [(e["loc"], e["type"]) for e in body["errors"]] == [
        (["query", "commodity"], "missing"),
        (["query", "side"], "missing"),
        (["query", "quantity"], "missing"),
    ]
    assert body["detail"].startswith("invalid commodity, side, quantity:")
    r = await client.get(
        QUOTE, params={"commodity": "", "side": "buy", "quantity": "many"}, headers=h
    )
    body = assert_problem(r, 422, "validation_error")
    assert [e["loc"] for e in body["errors"]] == [["query", "commodity"], ["query", "quantity"]]
    # the last of a repeated parameter counts; unknown parameters are ignored
    r = await client.get(
        QUOTE + "?commodity=ore&commodity=fuel&side=buy&quantity=1&quantity=7&unknown=1",
        headers=h,
    )
    assert r.status_code == 200, r.text
    quote = r.json()
    assert (quote["commodity"], quote["side"], quote["quantity"]) == ("fuel", "buy", 7)


async def test_openapi_still_documents_the_parsed_inputs(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    components = schema["components"]["schemas"]
    for path, model in ((MOVE, "MoveRequest"), ("/api/v1/ports/{port_id}/trade", "TradeRequest")):
        body = schema["paths"][path]["post"]["requestBody"]
        assert body["required"] is True
        ref = body["content"]["application/json"]["schema"]["$ref"]
        assert ref == f"#/components/schemas/{model}"
        assert components[model]["additionalProperties"] is False
    assert components["TradeRequest"]["required"] == ["commodity", "side", "quantity"]
    params = schema["paths"]["/api/v1/ports/{port_id}/quote"]["get"]["parameters"]
    by_name = {p["name"]: p for p in params}
    assert [(p["name"], p["in"]) for p in params] == [
        ("port_id", "path"),
        ("commodity", "query"),
        ("side", "query"),
        ("quantity", "query"),
    ]
    assert all(p["required"] for p in params)
    assert by_name["side"]["schema"]["enum"] == ["buy", "sell"]
    assert (by_name["quantity"]["schema"]["minimum"], by_name["quantity"]["schema"]["maximum"]) == (
        1,
        100_000,
    )


def test_nested_body_models_become_components_of_that_app_only() -> None:
    class Cargo(BaseModel):
        commodity: str
        units: int

    class ShipmentBody(BaseModel):
        cargo: list[Cargo]

    app = FastAPI()

    @app.post("/ship", openapi_extra=json_body_openapi(ShipmentBody))
    async def ship(request: Request) -> dict[str, int]:
        body = await json_body(request, ShipmentBody)
        return {"units": sum(c.units for c in body.cargo)}

    install_openapi_bodies(app)
    schema = app.openapi()
    components = schema["components"]["schemas"]
    assert components["ShipmentBody"]["properties"]["cargo"]["items"] == {
        "$ref": "#/components/schemas/Cargo"
    }
    assert components["Cargo"]["required"] == ["commodity", "units"]
    assert schema["paths"]["/ship"]["post"]["requestBody"]["content"]["application/json"] == {
        "schema": {"$ref": "#/components/schemas/ShipmentBody"}
    }
    with TestClient(app) as tc:
        r = tc.post("/ship", json={"cargo": [{"commodity": "ore", "units": 3}]})
        assert r.json() == {"units": 3}
        r = tc.post("/ship", json={"cargo": [{"commodity": "ore"}]})
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["body", "cargo", 0, "units"]


async def test_the_game_api_documents_only_its_own_bodies(client: httpx.AsyncClient) -> None:
    class SomeoneElsesBody(BaseModel):
        x: int

    json_body_openapi(SomeoneElsesBody)  # declared, but by no route of the game's app
    schema = (await client.get("/openapi.json")).json()
    assert "SomeoneElsesBody" not in schema["components"]["schemas"]
    assert {"MoveRequest", "TradeRequest"} <= schema["components"]["schemas"].keys()


def test_openapi_helpers_refuse_what_they_cannot_describe() -> None:
    class Inner(BaseModel):
        x: int

    class Nested(BaseModel):
        inner: Inner

    with pytest.raises(ValueError, match="nests models"):
        query_openapi(Nested)

    # the real move body first: were this the worker's first use of the process-wide body
    # registry, the impostor below would take the name and every later app would fail
    from starlane.api.schemas import MoveRequest as RealMoveRequest

    json_body_openapi(RealMoveRequest)

    class MoveRequest(BaseModel):  # the name of the real move body, another model
        to: int

    with pytest.raises(ValueError, match="two body models are named MoveRequest"):
        json_body_openapi(MoveRequest)


_TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-", min_size=1, max_size=12)


@given(
    maintype=st.sampled_from(["application", "text", "APPLICATION", "multipart"]),
    subtype=st.one_of(st.sampled_from(["json", "JSON", "vnd.x+json", "xml"]), _TOKEN),
    params=st.sampled_from(["", "; charset=utf-8", ";charset=latin-1", " ; q=1"]),
)
def test_json_media_types(maintype: str, subtype: str, params: str) -> None:
    expected = maintype.lower() == "application" and (
        subtype.lower() == "json" or subtype.lower().endswith("+json")
    )
    assert _is_json(f"{maintype}/{subtype}{params}") is expected
    assert _is_json(f" {maintype}/{subtype}{params}") is expected


def test_no_content_type_is_not_json() -> None:
    assert not _is_json(None) and not _is_json("")
