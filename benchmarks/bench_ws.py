"""Benchmark the WebSocket message path in-process: the server's cost per game operation.

``starlane bench`` measures the whole system (server, sockets, client processes on the same
cores, a host whose speed changes by the hour); this one isolates what the server's event loop
spends answering one WebSocket message, from its text to the reply's text: JSON decoding,
validation, the game, the view and the reply JSON (``api.ws.handle_message``), on a started
app (SQLite in a temporary directory, the game's real engines, projections off). Framing,
sockets and event fan-out are not included.

Rows (µs of the process's CPU time per message, best of ``--rounds``):

- ``baseline``: the ``ping`` operation: decoding, dispatch and a reply, no game;
- ``me``, ``sector`` (Sol's neighbour), ``quote`` (Sol's port): reads, one at a time;
- ``move``: ``--movers`` players (default 14: about 7 per sector, as on the load benchmark's
  sector pairs), each on its own connection, bouncing over a two-way warp next to Sol, all at
  once: each move is a committed command (group commits, as under load), and each reply
  carries the new sector's view. CPU time, not wall time, so waiting for the disk is left out
  and the SQLite thread's work is counted.

The ratio is the row's cost over the baseline's, steadier across machines than the raw figures.

Run: ``.venv/bin/python benchmarks/bench_ws.py`` (``--quick`` for a short run, ``--json`` for
machine-readable output).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from inprocess import PASSWORD, bench_settings
from inprocess import run as run_loop
from starlane.api.app import create_app
from starlane.api.ws import _Connection, handle_message


async def _connection(app: Any, client: httpx.AsyncClient, name: str) -> _Connection:
    r = await client.post("/api/v1/auth/register", json={"username": name, "password": PASSWORD})
    r.raise_for_status()
    token = str(r.json()["tokens"]["access_token"])
    services = app.state.services
    principal = await services.tokens.verify_access(token)
    return _Connection(None, principal, services)  # type: ignore[arg-type]  # never sends


async def _ask(conn: _Connection, text: str) -> None:
    reply = await handle_message(conn, text)
    if reply is None or '"ok":true' not in reply:
        raise RuntimeError(f"refused: {text} -> {reply}")


async def _two_way_neighbour(conn: _Connection) -> int:
    sol = json.loads(await handle_message(conn, '{"id":"s","op":"sector","args":{"sector_id":1}}'))
    for warp in sol["result"]["warps"]:
        to = int(warp["to_sector_id"])
        there = await handle_message(
            conn, json.dumps({"id": "m", "op": "move", "args": {"to_sector_id": to}})
        )
        if '"ok":true' not in (there or ""):
            continue
        back = await handle_message(conn, '{"id":"m","op":"move","args":{"to_sector_id":1}}')
        if '"ok":true' in (back or ""):
            return to
        await handle_message(
            conn, '{"id":"a","op":"autopilot","args":{"to_sector_id":1,"execute":true}}'
        )
    raise RuntimeError("Sol has no two-way warp")


async def run(messages: int, rounds: int, movers: int) -> dict[str, Any]:
    """Measure every row; return ``{"rows": {name: {"us": ..., "ratio": ...}}, ...}``."""
    with tempfile.TemporaryDirectory(prefix="starlane-bench-ws-") as tmp:
        app = create_app(
            bench_settings(Path(tmp), rules={"start_turns": 10_000_000})  # movers never run dry
        )
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                reader = await _connection(app, client, "reader")
                fleet = [await _connection(app, client, f"mover{i}") for i in range(movers)]
            neighbour = await _two_way_neighbour(reader)
            reads = {
                "baseline": '{"id":"1","op":"ping","args":{}}',
                "me": '{"id":"1","op":"me","args":{}}',
                "sector": json.dumps({"id": "1", "op": "sector", "args": {"sector_id": neighbour}}),
                "quote": '{"id":"1","op":"quote","args":{"port_id":1,"commodity":"fuel",'
                '"side":"buy","quantity":1}}',
            }
            there = json.dumps({"id": "1", "op": "move", "args": {"to_sector_id": neighbour}})
            back = '{"id":"1","op":"move","args":{"to_sector_id":1}}'
            best: dict[str, float] = {}
            for _ in range(rounds):
                for name, text in reads.items():
                    for _ in range(20):  # warm-up
                        await _ask(reader, text)
                    started = time.process_time()
                    for _ in range(messages):
                        await _ask(reader, text)
                    us = 1e6 * (time.process_time() - started) / messages
                    best[name] = min(best.get(name, us), us)
                per_mover = max(2, messages // movers) // 2 * 2  # even: each ends in Sol

                async def bounce(conn: _Connection, count: int = per_mover) -> None:
                    for i in range(count):
                        await _ask(conn, there if i % 2 == 0 else back)

                started = time.process_time()
                await asyncio.gather(*(bounce(conn) for conn in fleet))
                us = 1e6 * (time.process_time() - started) / (per_mover * movers)
                best["move"] = min(best.get("move", us), us)
    base = best["baseline"]
    return {
        "messages": messages,
        "rounds": rounds,
        "movers": movers,
        "rows": {n: {"us": round(us, 1), "ratio": round(us / base, 2)} for n, us in best.items()},
    }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=4000, help="messages per row and round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (best is kept)")
    parser.add_argument("--movers", type=int, default=14, help="concurrent movers")
    parser.add_argument("--quick", action="store_true", help="600 messages, 2 rounds")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    messages, rounds = (600, 2) if args.quick else (args.messages, args.rounds)
    result = run_loop(run(messages, rounds, args.movers))
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"WebSocket message path, in-process: {messages} messages per row, best of {rounds}"
        f" rounds; move: {args.movers} movers at once"
    )
    for name, row in result["rows"].items():
        print(f"  {name:9s} {row['us']:8.1f} us CPU/message  {row['ratio']:6.2f}x the baseline")


if __name__ == "__main__":
    main()
