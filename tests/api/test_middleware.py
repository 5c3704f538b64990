"""The HTTP middleware (request ids, metrics by route template) and the bearer-token scheme."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable

import httpx
from fastapi import FastAPI

from starlane.api.middleware import RequestIdGenerator
from tests.api.conftest import assert_problem, register


def test_generated_request_ids_are_unique_32_hex() -> None:
    a, b = RequestIdGenerator(), RequestIdGenerator()
    ids = [a() for _ in range(1000)] + [b() for _ in range(1000)]
    assert len(set(ids)) == 2000
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)


async def test_request_ids_are_echoed_or_replaced(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"X-Request-ID": "trace-7"})
    assert r.headers["x-request-id"] == "trace-7"
    too_long = "x" * 65
    r = await client.get("/healthz", headers={"X-Request-ID": too_long})
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
    first = (await client.get("/healthz")).headers["x-request-id"]
    second = (await client.get("/healthz")).headers["x-request-id"]
    assert first != second
    # errors carry the id too
    r = await client.get("/api/v1/me", headers={"X-Request-ID": "trace-8"})
    assert_problem(r, 401, "not_authenticated")
    assert r.headers["x-request-id"] == "trace-8"


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    for _ in range(3):
        assert (await client.get("/api/v1/me", headers=alice["headers"])).status_code == 200
    await client.get("/api/v1/no-such-route")
    text = (await client.get("/metrics")).text
    assert 'starlane_http_requests_total{method="GET",route="/api/v1/me",status="200"} 3.0' in text
    assert 'route="unmatched",status="404"' in text
    assert 'starlane_http_request_duration_seconds_count{method="GET",route="/api/v1/me"} 3.0' in (
        text
    )


async def test_bearer_token_needs_the_bearer_scheme(client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    token = alice["headers"]["Authorization"].split(" ", 1)[1]
    for header in (f"Basic {token}", token, "Bearer", "Bearer "):
        r = await client.get("/api/v1/me", headers={"Authorization": header})
        assert_problem(r, 401, "not_authenticated")
    r = await client.get("/api/v1/me", headers={"Authorization": f"bearer {token}"})
    assert r.status_code == 200


async def test_openapi_declares_the_token_on_protected_operations_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    schema = (await client.get("/openapi.json")).json()
    scheme = schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme["type"] == "oauth2"
    assert scheme["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
    paths = schema["paths"]
    protected = [
        ("/api/v1/me", "get"),
        ("/api/v1/me/move", "post"),
        ("/api/v1/ports/{port_id}/trade", "post"),
        ("/api/v1/sectors/{sector_id}", "get"),
    ]
    for path, method in protected:
        assert paths[path][method]["security"] == [{"OAuth2PasswordBearer": []}], path
    public = [
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/register", "post"),
        ("/healthz", "get"),
    ]
    for path, method in public:
        assert "security" not in paths[path][method], path
    # every operation that answers 401 without a token declares the scheme
    for path, operations in paths.items():
        for method, operation in operations.items():
            if path.startswith("/api/v1/auth") or "{" in path:
                continue
            if method == "get":
                r = await client.get(path)
                if r.status_code == 401:
                    assert "security" in operation, path


async def _chunks(body: bytes, size: int = 1_000) -> AsyncIterator[bytes]:
    for i in range(0, len(body), size):
        yield body[i : i + size]


async def test_request_bodies_over_the_limit_are_refused_and_change_nothing(
    app_factory: Callable[..., FastAPI],
) -> None:
    app = app_factory(max_request_body_bytes=2_048)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        alice = await register(client, "alice")
        h = {**alice["headers"], "content-type": "application/json", "X-Request-ID": "big-1"}
        sol = (await client.get("/api/v1/sectors/1", headers=h)).json()
        to = sol["warps"][0]["to_sector_id"]
        move = b'{"to_sector_id": %d}' % to
        over = move + b" " * (2_049 - len(move))
        for content in (over, _chunks(over)):  # declared length, then chunked
            r = await client.post("/api/v1/me/move", content=content, headers=h)
            body = assert_problem(r, 413, "too_large")
            assert body["detail"] == "request bodies are limited to 2,048 bytes"
            assert r.headers["x-request-id"] == "big-1"
        r = await client.post("/api/v1/auth/login", content=_chunks(over), headers=h)
        assert_problem(r, 413, "too_large")  # a route whose body FastAPI reads itself
        assert (await client.get("/api/v1/me", headers=h)).json()["sector_id"] == 1
        # a body of exactly the limit is read (JSON allows the trailing spaces)
        for content in (over[:-1], _chunks(over[:-1])):
            r = await client.post("/api/v1/me/move", content=content, headers=h)
            assert r.status_code == 200, r.text
            home = {"to_sector_id": 1, "execute": True}
            back = await client.post("/api/v1/me/autopilot", json=home, headers=h)
            assert back.status_code == 200, back.text
