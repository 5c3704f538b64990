"""The route table's matching order (``starlane.api.app.order_routes``): the game's hot routes
first, the docs pages last, and an order that cannot change which route answers."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from starlette.routing import Match

from starlane.api.app import HOT_ROUTES
from starlane.api.deps import extend_openapi


def _example_path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", template)


def test_no_two_routes_answer_the_same_request(app: FastAPI) -> None:
    routes = app.router.routes
    checked = 0
    for route in routes:
        path = _example_path(getattr(route, "path", ""))
        kind = "http" if getattr(route, "methods", None) else "websocket"
        for method in getattr(route, "methods", None) or ("GET",):
            scope = {"type": kind, "path": path, "root_path": "", "method": method}
            full = [r for r in routes if r.matches(dict(scope))[0] == Match.FULL]
            assert full == [route], (method, path, [getattr(r, "path", r) for r in full])
            checked += 1
    assert checked >= 30


def test_hot_routes_come_first_and_the_docs_pages_last(app: FastAPI) -> None:
    table = [(sorted(getattr(r, "methods", None) or []), getattr(r, "path", "")) for r in
             app.router.routes]  # fmt: skip
    assert [(m, p) for (ms, p) in table[: len(HOT_ROUTES)] for m in ms] == list(HOT_ROUTES)
    assert [p for _, p in table[-4:]] == ["/openapi.json", "/docs", "/docs/oauth2-redirect",
                                          "/redoc"]  # fmt: skip


async def test_the_docs_list_the_routes_as_declared(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    paths = list((await client.get("/openapi.json")).json()["paths"])
    assert paths[:6] == [
        "/api/v1/me",
        "/api/v1/me/move",
        "/api/v1/me/autopilot",
        "/api/v1/me/scan",
        "/api/v1/me/attack",
        "/api/v1/ports/{port_id}",
    ]
    assert (
        paths.index("/api/v1/ports/{port_id}/quote")
        < paths.index("/api/v1/ports/{port_id}/trade")
        < paths.index("/api/v1/sectors/{sector_id}")
    )


def test_an_openapi_step_runs_once_per_generated_document() -> None:
    app = FastAPI()

    @app.get("/x")
    async def x() -> dict[str, int]:
        return {}

    calls: list[int] = []
    extend_openapi(app, lambda schema: calls.append(len(schema["paths"])))
    first = app.openapi()
    assert app.openapi() is first and calls == [1]  # the cached document: not again
    app.openapi_schema = None  # generated anew: completed anew
    assert app.openapi() is not first and calls == [1, 1]
