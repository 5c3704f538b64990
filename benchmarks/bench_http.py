"""Benchmark the HTTP request path in-process: microseconds per request, no network, no client.

The load benchmark (``starlane bench``, ``bench_api.py``) measures the whole system: server,
sockets and client processes sharing the machine. This one isolates what the server's event
loop spends on one REST request from the ASGI call to the response: middleware, routing,
FastAPI's dependency and body handling, the game, the view and the JSON. It calls the
application directly (``await app(scope, receive, send)``), one request at a time, on a
started app (SQLite in a temporary directory, the game's real engines; projections off, so
the figures are the request path alone).

Rows (µs per request, best of ``--rounds``):

- ``baseline``: a bare Starlette route mounted first in the same app, answering ``{}`` through
  the same middleware: what any request costs before FastAPI and the game;
- ``me``: ``GET /api/v1/me``; ``sector``: ``GET /api/v1/sectors/1``;
- ``quote``: ``GET /api/v1/ports/1/quote?...``; ``move``: ``POST /api/v1/me/move`` back and forth
  over a two-way warp next to Sol (each request a committed command, so it includes one
  SQLite commit: requests come one at a time, there is no group commit here).

The ratio is the row's cost over the baseline's, steadier across machines than the raw figures.

Run: ``.venv/bin/python benchmarks/bench_http.py`` (``--quick`` for a short run, ``--json`` for
machine-readable output).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from inprocess import PASSWORD, bench_settings
from inprocess import run as run_loop
from starlane.api.app import create_app


class _Caller:
    """Calls the ASGI app directly with a prepared scope."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.auth = (b"authorization", b"Bearer " + token.encode())

    async def __call__(self, method: str, path: str, body: bytes = b"", query: bytes = b"") -> int:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query,
            "root_path": "",
            "headers": [
                (b"host", b"bench"),
                self.auth,
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        delivered = False
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)  # pragma: no cover - the app never waits for a disconnect
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await self.app(scope, receive, send)
        return status


async def _player(client: httpx.AsyncClient, name: str) -> str:
    r = await client.post("/api/v1/auth/register", json={"username": name, "password": PASSWORD})
    r.raise_for_status()
    return str(r.json()["tokens"]["access_token"])


async def _two_way_neighbour(client: httpx.AsyncClient, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    sol = (await client.get("/api/v1/sectors/1", headers=headers)).json()
    for warp in sol["warps"]:
        to = int(warp["to_sector_id"])
        there = await client.post("/api/v1/me/move", json={"to_sector_id": to}, headers=headers)
        if there.status_code != 200:
            continue
        back = await client.post("/api/v1/me/move", json={"to_sector_id": 1}, headers=headers)
        if back.status_code == 200:
            return to
        await client.post(
            "/api/v1/me/autopilot", json={"to_sector_id": 1, "execute": True}, headers=headers
        )
    raise RuntimeError("Sol has no two-way warp")


async def run(requests: int, rounds: int) -> dict[str, Any]:
    """Measure every row; return ``{"rows": {name: {"us": ..., "ratio": ...}}, ...}``."""
    from starlette.responses import Response
    from starlette.routing import Route

    async def bare(_request: Any) -> Response:
        return Response(b"{}", media_type="application/json")

    with tempfile.TemporaryDirectory(prefix="starlane-bench-http-") as tmp:
        app = create_app(bench_settings(Path(tmp)))
        app.router.routes.insert(0, Route("/bench/baseline", bare))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                token = await _player(client, "reader")
                neighbour = await _two_way_neighbour(client, token)
                movers = [await _player(client, f"mover{i}") for i in range(rounds)]
            read = _Caller(app, token)
            move_body = {
                True: json.dumps({"to_sector_id": neighbour}).encode(),
                False: b'{"to_sector_id": 1}',
            }
            rows: dict[str, Callable[[int, _Caller], Awaitable[int]]] = {
                "baseline": lambda i, c: c("GET", "/bench/baseline"),
                "me": lambda i, c: c("GET", "/api/v1/me"),
                "sector": lambda i, c: c("GET", "/api/v1/sectors/1"),
                "quote": lambda i, c: c(
                    "GET", "/api/v1/ports/1/quote", query=b"commodity=fuel&side=buy&quantity=1"
                ),
                "move": lambda i, c: c("POST", "/api/v1/me/move", move_body[i % 2 == 0]),
            }
            best: dict[str, float] = {}
            for rnd in range(rounds):
                mover = _Caller(app, movers[rnd])
                for name, call in rows.items():
                    caller = mover if name == "move" else read
                    count = min(requests, 900) if name == "move" else requests  # turns: 1,000
                    if name != "move":  # warm-up (a mover's turns are counted)
                        for i in range(20):
                            await call(i, caller)
                    started = time.perf_counter()
                    for i in range(count):
                        status = await call(i, caller)
                        if status != 200:
                            raise RuntimeError(f"{name}: HTTP {status}")
                    us = 1e6 * (time.perf_counter() - started) / count
                    best[name] = min(best.get(name, us), us)
    base = best["baseline"]
    return {
        "requests": requests,
        "rounds": rounds,
        "rows": {n: {"us": round(us, 1), "ratio": round(us / base, 2)} for n, us in best.items()},
    }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per row and round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (best is kept)")
    parser.add_argument("--quick", action="store_true", help="300 requests, 2 rounds")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    requests, rounds = (300, 2) if args.quick else (args.requests, args.rounds)
    result = run_loop(run(requests, rounds))
    if args.json:
        print(json.dumps(result))
        return
    print(f"HTTP request path, in-process: {requests} requests per row, best of {rounds} rounds")
    for name, row in result["rows"].items():
        print(f"  {name:<9} {row['us']:8.1f} us/request   {row['ratio']:5.2f}x the baseline")


if __name__ == "__main__":
    main()
