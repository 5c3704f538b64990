"""WebSocket abuse against a real server process: memory under an unauthenticated-frame flood,
and another player's move latency with a crowd of idle sockets in Sol.

The server runs in a child process (uvicorn on 127.0.0.1, SQLite in a temporary directory,
configured as ``starlane serve`` configures it, with ``starlane.api.serving.uvicorn_options``
when the code under test has it). Point ``--src`` at another checkout's ``src`` to measure
that code (e.g. the old main) with the same script.

1. **Flood**: ``--flooders`` sockets that never authenticate each send ``--frames`` frames of
   ``--frame-mib`` MiB. The server's RSS (``/proc/<pid>/status``) is read before, at its peak
   during, and ``--settle`` seconds after the sockets closed.
2. **Crowd**: a player moves back and forth between Sol and a neighbour over REST
   (``--moves`` moves), first alone, then with ``--crowd`` idle authenticated sockets in Sol
   (8 per account, the default per-account cap; every socket reads what it is sent). The
   figures are the move's p50 and p99 latency, ms.

Run: ``PYTHONPATH=src python benchmarks/bench_ws_memory.py`` (``--src /work/base/src`` for the
old code). Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

PASSWORD = "bench password 1234"
SOCKETS_PER_ACCOUNT = 8

_SERVER = r"""
import asyncio, sys
import uvicorn
from starlane.config import Settings
from starlane.api.app import create_app
from starlane.cli.serve import prepare_database

settings = Settings()
asyncio.run(prepare_database(settings))
options = {"ws_per_message_deflate": False}
try:
    from starlane.api.serving import uvicorn_options
    options.update(uvicorn_options(settings))
except ImportError:
    pass
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            access_log=False, lifespan="on", **options)
"""


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _start(src: str, data_dir: str) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": src,
        "STARLANE_DATA_DIR": data_dir,
        "STARLANE_DATABASE_URL": "",
        "STARLANE_CONFIG": "/nonexistent.toml",
        "STARLANE_PASSWORD_HASH_TIME_COST": "1",
        "STARLANE_PASSWORD_HASH_MEMORY_KIB": "1024",
        "STARLANE_RATE__ENABLED": "false",
        "STARLANE_PROJECTOR": "inline",
        "STARLANE_GALAXY__NEXUS_SECTORS": "2000",
        "STARLANE_GALAXY__PLAYER_REGIONS": "0",
        "STARLANE_LOG_LEVEL": "warning",
    }
    proc = subprocess.Popen([sys.executable, "-c", _SERVER, str(port)], env=env)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
        for _ in range(600):
            with contextlib.suppress(httpx.HTTPError):
                if (await c.get("/healthz")).status_code == 200:
                    return proc, port
            if proc.poll() is not None:
                raise RuntimeError("the server did not start")
            await asyncio.sleep(0.2)
    proc.terminate()
    proc.wait(30)
    raise RuntimeError("the server did not answer")


async def _flood(port: int, pid: int, flooders: int, frames: int, frame_mib: int) -> dict[str, Any]:
    before = _rss_mb(pid)
    peak = before
    payload = "x" * (frame_mib * 1_048_576)
    refused = 0

    async def one() -> None:
        nonlocal refused
        try:
            async with websockets.connect(
                f"ws://127.0.0.1:{port}/api/v1/ws", max_size=None, open_timeout=30
            ) as ws:
                for _ in range(frames):
                    await ws.send(payload)
                await asyncio.sleep(1.0)
        except (websockets.exceptions.WebSocketException, OSError):
            refused += 1

    tasks = [asyncio.create_task(one()) for _ in range(flooders)]
    while not all(t.done() for t in tasks):
        peak = max(peak, _rss_mb(pid))
        await asyncio.sleep(0.05)
    peak = max(peak, _rss_mb(pid))
    return {"rss_before_mb": before, "rss_peak_mb": peak, "refused_sockets": refused}


async def _register(c: httpx.AsyncClient, name: str) -> str:
    r = await c.post("/api/v1/auth/register", json={"username": name, "password": PASSWORD})
    r.raise_for_status()
    return str(r.json()["tokens"]["access_token"])


async def _moves(c: httpx.AsyncClient, name: str, count: int) -> list[float]:
    token = await _register(c, name)
    h = {"Authorization": f"Bearer {token}"}
    sol = (await c.get("/api/v1/sectors/1", headers=h)).json()
    back = 0
    for warp in sol["warps"]:  # a neighbour with a warp back to Sol
        r = await c.post("/api/v1/me/move", json={"to_sector_id": warp["to_sector_id"]}, headers=h)
        r.raise_for_status()
        there = r.json()["sector"]
        flown = await c.post(
            "/api/v1/me/autopilot", json={"to_sector_id": 1, "execute": True}, headers=h
        )
        flown.raise_for_status()
        if any(w["to_sector_id"] == 1 for w in there["warps"]):
            back = warp["to_sector_id"]
            break
    times = []
    for i in range(count):
        target = back if i % 2 == 0 else 1
        start = time.perf_counter()
        r = await c.post("/api/v1/me/move", json={"to_sector_id": target}, headers=h)
        times.append((time.perf_counter() - start) * 1000)
        r.raise_for_status()
    return times


def _p(times: list[float], q: float) -> float:
    return statistics.quantiles(times, n=100)[int(q) - 1] if len(times) > 1 else times[0]


async def _crowd(port: int, crowd: int, moves: int) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as c:
        alone = await _moves(c, "mover0", moves)
        accounts = -(-crowd // SOCKETS_PER_ACCOUNT)
        tokens = [await _register(c, f"crowd{i}") for i in range(accounts)]
        sockets: list[Any] = []
        readers: list[asyncio.Task[None]] = []

        async def drain(ws: Any) -> None:
            with contextlib.suppress(Exception):
                async for _ in ws:
                    pass

        for i in range(crowd):
            ws = await websockets.connect(
                f"ws://127.0.0.1:{port}/api/v1/ws?token={tokens[i // SOCKETS_PER_ACCOUNT]}",
                open_timeout=60,
            )
            sockets.append(ws)
            readers.append(asyncio.create_task(drain(ws)))
        await asyncio.sleep(1.0)
        crowded = await _moves(c, "mover1", moves)
        open_after = sum(1 for ws in sockets if ws.close_code is None)
        for ws in sockets:
            await ws.close()
        for task in readers:
            task.cancel()
    return {
        "alone_p50_ms": _p(alone, 50),
        "alone_p99_ms": _p(alone, 99),
        "crowd_p50_ms": _p(crowded, 50),
        "crowd_p99_ms": _p(crowded, 99),
        "crowd_sockets": crowd,
        "crowd_sockets_open_after": open_after,
    }


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as data_dir:
        proc, port = await _start(args.src, data_dir)
        try:
            result: dict[str, Any] = {"src": args.src}
            if args.flooders:
                result.update(
                    await _flood(port, proc.pid, args.flooders, args.frames, args.frame_mib)
                )
                await asyncio.sleep(args.settle)
                result["rss_after_mb"] = _rss_mb(proc.pid)
            if args.crowd:
                result.update(await _crowd(port, args.crowd, args.moves))
            return result
        finally:
            proc.terminate()
            proc.wait(30)


def main() -> None:
    """Parse the arguments, run the phases, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", default=str(Path(__file__).resolve().parents[1] / "src"))
    parser.add_argument("--flooders", type=int, default=40)
    parser.add_argument("--frames", type=int, default=2)
    parser.add_argument("--frame-mib", type=int, default=16)
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--crowd", type=int, default=2000)
    parser.add_argument("--moves", type=int, default=200)
    args = parser.parse_args()
    result = asyncio.run(_main(args))
    for key, value in result.items():
        print(f"{key:28} {value:.1f}" if isinstance(value, float) else f"{key:28} {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
