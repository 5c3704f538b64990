"""Run the load benchmark: server subprocess, set-up, client processes, figures, report.

What it does (``starlane bench --clients N --duration S``):

1. Unless ``--server`` names a running server, start ``starlane serve`` as a **subprocess**
   (uvicorn, one worker) on a temporary SQLite database, with rate limits off, cheap password
   hashing (argon2 time cost 1, 1 MiB, so set-up is quick), new players starting with
   1,000,000 turns (``rules.start_turns``: the default 1,000 runs out within a run at full
   speed) and a bench admin account (used only to read the Terran Space map when choosing
   where clients trade). Client and server
   never share an event loop.
2. Register fresh accounts (one set per transport), place each client on a pair of adjacent
   port sectors (``workload.ClientSpec``).
3. For each transport (REST, WebSocket): measure the **baseline** (``GET /api/v1/me`` / the
   ``me`` operation) and the **game mix**, each for ``duration`` seconds, interleaved as
   baseline, game, game, baseline halves, each after a warm-up
   (:func:`measure_against_baseline`), with the clients split over ``processes`` client
   processes (uvloop event loops). Both are closed loops (the most the server does; their
   latency at saturation is queueing). With an
   offered rate for the transport (``rest_rate``, ``ws_rate``), then the game mix again in
   **open loop** at that rate: latency at that load, measured from each request's intended
   send time (:mod:`starlane.bench.schedule`).
4. Optionally (``idle_clients``) hold that many idle WebSocket connections in Sol while a
   driver moves in and out of it, and measure the delay from each event to its delivery.
5. Print a table: actions/s, p50/p95/p99/max latency, errors by code, the ratio of game-action
   throughput to the baseline; return the same as JSON-ready data
   (:mod:`starlane.bench.report`).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from rich.console import Console

from starlane.bench.calibrate import rules_reference
from starlane.bench.placement import (
    find_gate,
    find_pairs,
    place_clients,
    place_crossers,
    register_many,
)
from starlane.bench.rawhttp import RawHttp
from starlane.bench.report import offered_label, print_report, report_data
from starlane.bench.schedule import client_phases, send_interval
from starlane.bench.server import ServerProcess
from starlane.bench.stats import Recorder, Summary
from starlane.bench.workload import ClientSpec, worker
from starlane.client.api import StarlaneClient


@dataclass(slots=True)
class BenchConfig:
    """What to measure.

    Attributes:
        clients: concurrent authenticated clients per workload.
        duration: seconds each workload is measured (after ``warmup``).
        server: URL of a running server to target; None starts one.
        transport: ``rest``, ``ws`` or ``both``.
        idle_clients: idle WebSocket connections for the event-delivery measurement (0: skip).
        processes: client processes.
        database_url: database of the started server (default: a temporary SQLite file).
        warmup: seconds of load before measuring.
        admin_username, admin_password: an admin account of a targeted server (optional; lets
            the benchmark read the map to place clients on port pairs).
        rest_rate, ws_rate: offered actions/s of an extra open-loop game-mix workload over
            REST / the WebSocket, after the closed-loop one (None: skip).
        crossing: also measure gate passages between regions: fresh clients bounce across the
            Terran gate (every action a crossing), after the game mix of each transport.
    """

    clients: int = 100
    duration: float = 10.0
    server: str | None = None
    transport: str = "both"
    idle_clients: int = 0
    processes: int = 1
    database_url: str | None = None
    warmup: float = 2.0
    admin_username: str | None = None
    admin_password: str | None = None
    rest_rate: float | None = None
    ws_rate: float | None = None
    crossing: bool = False


async def _run_jobs(pool: ProcessPoolExecutor | None, jobs: list[dict[str, Any]]) -> Recorder:
    loop = asyncio.get_running_loop()
    if pool is None:
        states = [await asyncio.to_thread(worker, job) for job in jobs]
    else:
        states = await asyncio.gather(*(loop.run_in_executor(pool, worker, job) for job in jobs))
    merged = Recorder()
    merged.merge(Recorder.from_state(s) for s in states)
    return merged


def _split(items: list[Any], parts: int) -> list[list[Any]]:
    parts = max(1, min(parts, len(items)))
    return [items[i::parts] for i in range(parts)]


async def measure_against_baseline(
    pool: ProcessPoolExecutor | None,
    base_url: str,
    specs: list[ClientSpec],
    *,
    transport: str,
    duration: float,
    warmup: float,
    processes: int,
    names: tuple[str, str],
) -> tuple[Summary, Summary]:
    """The baseline and the game mix (closed loops), interleaved so that both see the same
    machine: baseline, game, game, baseline, each for half of ``duration`` after its own
    warm-up (an ABBA order, which cancels a linear drift of the machine's speed from the
    ratio of the two; measured one after the other, a shared machine's speed changing
    between the two windows went straight into the ratio).

    Args:
        pool, base_url, specs, transport, warmup, processes: as for :func:`record`.
        duration: measured seconds of each workload (two halves each).
        names: the baseline's and the game mix's names in the report.

    Returns:
        ``(baseline, game)``, each over its two halves (``duration`` seconds in all).
    """
    half = duration / 2
    merged = {"baseline": Recorder(), "game": Recorder()}
    for mode in ("baseline", "game", "game", "baseline"):
        rec = await record(
            pool,
            base_url,
            specs,
            transport=transport,
            mode=mode,
            duration=half,
            warmup=warmup,
            processes=processes,
        )
        merged[mode].merge([rec])
    return (
        merged["baseline"].summary(names[0], duration),
        merged["game"].summary(names[1], duration),
    )


async def record(
    pool: ProcessPoolExecutor | None,
    base_url: str,
    specs: list[ClientSpec],
    *,
    transport: str,
    mode: str,
    duration: float,
    warmup: float,
    processes: int,
    rate: float | None = None,
    seed: int = 0,
) -> Recorder:
    """Run one workload over every client and return its samples.

    Args:
        pool: client processes (None: a thread of this process).
        base_url: the server's root URL.
        specs: the clients.
        transport: ``rest`` or ``ws``.
        mode: ``game`` or ``baseline``.
        duration: measured seconds.
        warmup: unmeasured seconds before.
        processes: client processes to split the clients over.
        rate: None for a closed loop; else the offered actions/s of an open loop, spread
            evenly over the clients (each sends every ``len(specs) / rate`` seconds from a
            random phase, from the start of the warm-up).
        seed: seed of the clients' phases (open loop).

    Returns:
        Every client's samples, merged.

    Raises:
        ValueError: ``rate`` is not a number > 0.
    """
    origin = time.time() + 1.0
    start = origin + warmup
    end = start + duration
    schedule: dict[str, Any] = {}
    phases: list[float | None] = [None] * len(specs)
    if rate is not None:
        interval = send_interval(len(specs), rate)
        phases = list(client_phases(len(specs), interval, random.Random(seed)))
        schedule = {"origin": origin, "interval": interval}
    jobs = []
    for chunk in _split(list(zip(specs, phases, strict=True)), processes):
        job: dict[str, Any] = {
            "kind": "clients",
            "base_url": base_url,
            "specs": [spec for spec, _ in chunk],
            "transport": transport,
            "mode": mode,
            "start": start,
            "end": end,
        }
        if schedule:
            job.update(schedule, phases=[phase for _, phase in chunk])
        jobs.append(job)
    return await _run_jobs(pool, jobs)


async def measure_idle_delivery(
    pool: ProcessPoolExecutor | None,
    base_url: str,
    *,
    idle_clients: int,
    duration: float,
    processes: int,
    pairs: list[dict[str, Any]],
    run_id: str,
) -> Summary:
    """Idle WebSocket listeners in Sol, one driver moving in and out: event delivery delay.

    Args:
        pool: client processes (None: a thread of this process).
        base_url: the server's root URL.
        idle_clients: listening connections.
        duration: measured seconds.
        processes: client processes for the listeners.
        pairs: sector pairs (a neighbour of Sol is taken from them when one is there).
        run_id: unique prefix for account names.

    Returns:
        Delivery delays (event decision to arrival) as latencies; ``actions`` counts deliveries.
    """
    tokens = await register_many(base_url, f"idle{run_id}_", idle_clients)
    driver_token = (await register_many(base_url, f"drv{run_id}_", 1))[0]
    neighbour = next((int(p["away"]) for p in pairs if int(p["home"]) == 1), None)
    if neighbour is None:
        async with StarlaneClient(base_url) as api:
            api.access_token = driver_token
            sol = await api.sector(1)
            neighbour = int(sol["warps"][0]["to_sector_id"])
    connect_seconds = 2.0 + idle_clients / 250
    start = time.time() + connect_seconds
    end = start + duration
    jobs = [
        {"kind": "idle", "base_url": base_url, "tokens": chunk, "start": start, "end": end}
        for chunk in _split(tokens, processes)
    ]
    listeners = asyncio.ensure_future(_run_jobs(pool, jobs))
    http = RawHttp(base_url, driver_token)
    position, moves = 1, 0
    try:
        while time.time() < end:
            if time.time() >= start - 0.5:
                target = neighbour if position == 1 else 1
                if target == 1:  # back by autopilot: the warp out of Sol may be one-way
                    status, _, _ = await http.request(
                        "POST", "/api/v1/me/autopilot", {"to_sector_id": 1, "execute": True}
                    )
                else:
                    status, _, _ = await http.request(
                        "POST", "/api/v1/me/move", {"to_sector_id": target}
                    )
                if status < 400:
                    position, moves = target, moves + 1
            await asyncio.sleep(0.1)
    finally:
        await http.close()
    rec = await listeners
    summary = rec.summary(f"event delivery, {idle_clients} idle WebSockets", duration)
    return summary


# --- the whole run ------------------------------------------------------------------------
async def run_benchmark(config: BenchConfig, *, console: Console | None = None) -> dict[str, Any]:
    """Run the whole benchmark and print its report.

    Args:
        config: what to measure.
        console: where to print (None: stdout).

    Returns:
        JSON-ready results: configuration, one entry per workload, ratios.
    """
    console = console or Console()
    workdir = Path(tempfile.mkdtemp(prefix="starlane-bench-"))
    server: ServerProcess | None = None
    admin: tuple[str, str] | None = None
    if config.admin_username and config.admin_password:
        admin = (config.admin_username, config.admin_password)
    pool: ProcessPoolExecutor | None = None
    reference = rules_reference()  # before anything else loads the machine
    try:
        if config.server:
            base_url = config.server.rstrip("/")
        else:
            password = secrets.token_urlsafe(18)
            server = ServerProcess(workdir, config.database_url, password)
            console.print(f"starting the server (subprocess, 1 uvicorn worker) in {workdir} ...")
            server.start()
            await server.wait_ready()
            base_url = server.base_url
            admin = ("bench_admin", password)
        if config.processes > 1:
            pool = ProcessPoolExecutor(config.processes, mp_context=get_context("spawn"))
            await asyncio.gather(
                *(
                    asyncio.get_running_loop().run_in_executor(pool, time.sleep, 0.01)
                    for _ in range(config.processes)
                )
            )
        run_id = secrets.token_hex(3)
        pairs = await find_pairs(base_url, admin)
        transports = ["rest", "ws"] if config.transport == "both" else [config.transport]
        results: list[Summary] = []
        ratios: dict[str, float] = {}
        for transport in transports:
            console.print(f"{transport}: registering and placing {config.clients} clients ...")
            tokens = await register_many(base_url, f"b{run_id}{transport}_", config.clients)
            specs = await place_clients(base_url, tokens, pairs, seed=len(results))
            label = "REST" if transport == "rest" else "WebSocket"
            common: dict[str, Any] = {
                "transport": transport,
                "duration": config.duration,
                "warmup": config.warmup,
                "processes": config.processes,
            }
            console.print(
                f"{transport}: baseline (me) and game mix, {config.duration:g} s each, "
                "interleaved (baseline, game, game, baseline) ..."
            )
            baseline, game = await measure_against_baseline(
                pool,
                base_url,
                specs,
                names=(f"{label} baseline: me", f"{label} game mix"),
                **common,
            )
            results += [baseline, game]
            if baseline.throughput > 0:
                ratios[transport] = game.throughput / baseline.throughput
            rate = config.rest_rate if transport == "rest" else config.ws_rate
            if rate is not None:
                # fresh clients: the closed-loop mix spent a good part of the first ones' turns
                # (a client runs dry in two workloads, and refusals would flatter the row)
                console.print(f"{transport}: registering and placing {config.clients} clients ...")
                tokens = await register_many(base_url, f"b{run_id}{transport}o_", config.clients)
                fresh = await place_clients(base_url, tokens, pairs, seed=len(results))
                console.print(
                    f"{transport}: game mix at {offered_label(rate)} actions/s offered "
                    f"for {config.duration:g} s ..."
                )
                offered = await record(
                    pool, base_url, fresh, mode="game", rate=rate, seed=len(results), **common
                )
                name = f"{label} game mix, {offered_label(rate)}/s offered"
                results.append(offered.summary(name, config.duration, offered_rate=rate))
            if config.crossing:
                console.print(f"{transport}: placing {config.clients} clients at the gate ...")
                tokens = await register_many(base_url, f"b{run_id}{transport}x_", config.clients)
                gate = await find_gate(base_url)
                crossers = await place_crossers(base_url, tokens, gate, seed=len(results))
                console.print(
                    f"{transport}: crossings {gate[0]} <-> {gate[1]} for {config.duration:g} s ..."
                )
                crossed = await record(
                    pool, base_url, crossers, mode="game", seed=len(results), **common
                )
                results.append(crossed.summary(f"{label} gate crossings", config.duration))
        if config.idle_clients:
            console.print(f"event delivery with {config.idle_clients} idle WebSockets ...")
            results.append(
                await measure_idle_delivery(
                    pool,
                    base_url,
                    idle_clients=config.idle_clients,
                    duration=config.duration,
                    processes=config.processes,
                    pairs=pairs,
                    run_id=run_id,
                )
            )
        # again once the load is over: the machine's speed may have changed under the run
        reference_end = rules_reference()
        report = report_data(
            config, base_url, results, ratios, server is not None, reference, reference_end
        )
        print_report(console, report, results)
        return report
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        if server is not None:
            server.stop()
        with contextlib.suppress(OSError):
            shutil.rmtree(workdir)
