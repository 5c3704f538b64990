"""Run the load benchmark: server subprocess, set-up, client processes, figures, report.

What it does (``starlane bench --clients N --duration S``):

1. Unless ``--server`` names a running server, start ``starlane serve`` as a **subprocess**
   (uvicorn, one worker) on a temporary SQLite database, with rate limits off, cheap password
   hashing (argon2 time cost 1, 1 MiB, so set-up is quick) and a bench admin account (used
   only to read the Terran Space map when choosing where clients trade). Client and server
   never share an event loop.
2. Register fresh accounts (one set per transport), place each client on a pair of adjacent
   port sectors (``workload.ClientSpec``).
3. For each transport (REST, WebSocket): measure the **baseline** (``GET /api/v1/me`` / the
   ``me`` operation) then the **game mix**, each for ``duration`` seconds after a warm-up,
   with the clients split over ``processes`` client processes (uvloop event loops).
4. Optionally (``idle_clients``) hold that many idle WebSocket connections in Sol while a
   driver moves in and out of it, and measure the delay from each event to its delivery.
5. Print a table: actions/s, p50/p95/p99/max latency, errors by code, the ratio of game-action
   throughput to the baseline; return the same as JSON-ready data.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from starlane.bench.rawhttp import RawHttp
from starlane.bench.stats import Recorder, Summary
from starlane.bench.workload import ClientSpec, worker
from starlane.client.api import ApiError, StarlaneClient

BENCH_PASSWORD = "bench-password-0123"
UNEXPECTED_PREFIXES = (
    "http_5",
    "internal_error",
    "engine_",
    "connection_",
    "client_failed",
    "connect_failed",
    "closed:",
    "timeout",
)
"""Error codes that are failures, not game refusals."""


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``starlane serve`` in a subprocess on a temporary database.

    Args:
        workdir: directory for the database, the JWT secret and the server log.
        database_url: database URL (default: SQLite in ``workdir``).
        admin_password: password of the ``bench_admin`` account created at start.
    """

    def __init__(self, workdir: Path, database_url: str | None, admin_password: str) -> None:
        self.workdir = workdir
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url or f"sqlite:///{workdir / 'bench.db'}"
        self.admin_password = admin_password
        self.log_path = workdir / "server.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server process (returns at once; see :meth:`wait_ready`)."""
        env = dict(os.environ)
        env.update(
            {
                "STARLANE_CONFIG": str(self.workdir / "none.toml"),
                "STARLANE_DATA_DIR": str(self.workdir),
                "STARLANE_RATE__ENABLED": "false",
                "STARLANE_PASSWORD_HASH_TIME_COST": "1",
                "STARLANE_PASSWORD_HASH_MEMORY_KIB": "1024",
                "STARLANE_ADMIN_USERNAME": "bench_admin",
                "STARLANE_ADMIN_PASSWORD": self.admin_password,
                "STARLANE_LOG_LEVEL": "warning",
            }
        )
        cmd = [
            sys.executable,
            "-m",
            "starlane.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--db",
            self.database_url,
            "--nexus-sectors",
            "2000",
            "--regions",
            "0",
        ]
        log = self.log_path.open("wb")
        self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()

    async def wait_ready(self, timeout: float = 120.0) -> None:
        """Wait until ``/readyz`` answers 200.

        Args:
            timeout: seconds to wait.

        Raises:
            RuntimeError: the process exited or did not become ready in time.
        """
        deadline = time.monotonic() + timeout
        async with StarlaneClient(self.base_url, timeout=2.0) as api:
            while time.monotonic() < deadline:
                if self._proc is not None and self._proc.poll() is not None:
                    tail = self.log_path.read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"the server exited; the end of its log:\n{tail}")
                if await api.readyz():
                    return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"the server was not ready within {timeout} s: see {self.log_path}")

    def stop(self) -> None:
        """Stop the server (SIGINT, then SIGKILL after 20 s)."""
        if self._proc is None or self._proc.poll() is not None:
            return
        import signal

        self._proc.send_signal(signal.SIGINT)
        try:
            self._proc.wait(20)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(5)


# --- set-up -------------------------------------------------------------------------------
async def register_many(base_url: str, prefix: str, count: int) -> list[str]:
    """Register ``count`` accounts and return their access tokens.

    Args:
        base_url: the server's root URL.
        prefix: username prefix (unique per run).
        count: accounts to create.

    Returns:
        Access tokens, in order.
    """
    semaphore = asyncio.Semaphore(16)

    async def one(i: int) -> str:
        async with semaphore, StarlaneClient(base_url, timeout=30.0) as api:
            await api.register(f"{prefix}{i}", BENCH_PASSWORD)
            assert api.access_token is not None
            return api.access_token

    return list(await asyncio.gather(*(one(i) for i in range(count))))


def _port_lists(port_class: int | None) -> dict[str, list[str]] | None:
    from starlane.domain.data import PORT_CLASSES

    if port_class is None or port_class not in PORT_CLASSES:
        return None
    spec = PORT_CLASSES[port_class]
    if spec.stardock or not (spec.buys or spec.sells):
        return None
    return {"sells": list(spec.sells), "buys": list(spec.buys)}


async def find_pairs(base_url: str, admin: tuple[str, str] | None) -> list[dict[str, Any]]:
    """Pairs of adjacent sectors (two-way warp) in Terran Space for clients to trade between.

    With an admin account the whole map is read and pairs of port sectors whose ports trade
    with each other come first; without one, a probe account looks at Sol's neighbours.

    Args:
        base_url: the server's root URL.
        admin: (username, password) of an admin, or None.

    Returns:
        ``[{"home", "away", "ports"}]``, at least one entry.

    Raises:
        RuntimeError: no usable pair was found.
    """
    if admin is not None:
        async with StarlaneClient(base_url) as api:
            try:
                await api.login(*admin)
                page = await api.request("GET", "/api/v1/regions/1/map", params={"limit": 500})
            except ApiError:
                page = None
        if page and page.get("items"):
            pairs = _pairs_from_map(page["items"])
            if pairs:
                return pairs
    async with StarlaneClient(base_url) as api:
        await api.register(f"probe{secrets.token_hex(4)}", BENCH_PASSWORD)
        sol = await api.sector(1)
        sol_port = await api.port(1)
        ports = {1: _port_view(sol_port)}
        pairs = []
        for warp in sol["warps"]:
            to = int(warp["to_sector_id"])
            await api.move(to)
            view = await api.sector(to)
            if any(int(w["to_sector_id"]) == 1 for w in view["warps"]):
                entry_ports = dict(ports)
                if view.get("port") and not view["port"].get("stardock"):
                    entry_ports[to] = _port_view(await api.port(to))
                pairs.append({"home": 1, "away": to, "ports": entry_ports})
            await api.autopilot(1)
    if not pairs:
        raise RuntimeError("no two-way warp out of Sol: cannot place benchmark clients")
    return pairs


def _port_view(port: dict[str, Any]) -> dict[str, list[str]]:
    return {
        "sells": [c["commodity"] for c in port["commodities"] if c["direction"] == "sells"],
        "buys": [c["commodity"] for c in port["commodities"] if c["direction"] == "buys"],
    }


def _pairs_from_map(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {int(s["id"]): s for s in items}
    ports = {sid: _port_lists(s.get("port_class")) for sid, s in by_id.items()}
    ranked: list[tuple[int, int, int]] = []
    for sid, sector in by_id.items():
        if ports.get(sid) is None:
            continue
        for warp in sector.get("warps", []):
            other = int(warp["to_sector_id"])
            back = by_id.get(other, {}).get("warps", [])
            if ports.get(other) is None or not any(int(w["to_sector_id"]) == sid for w in back):
                continue
            a, b = ports[sid], ports[other]
            assert a is not None and b is not None
            complementary = bool(
                set(a["sells"]) & set(b["buys"]) or set(b["sells"]) & set(a["buys"])
            )
            ranked.append((0 if complementary else 1, sid, other))
    ranked.sort()
    used: set[int] = set()
    pairs = []
    for _, home, away in ranked:
        if home in used or away in used:
            continue
        used.update((home, away))
        pairs.append({"home": home, "away": away, "ports": {home: ports[home], away: ports[away]}})
    return pairs


async def place_clients(
    base_url: str, tokens: list[str], pairs: list[dict[str, Any]], seed: int
) -> list[ClientSpec]:
    """Fly each client to its pair's home sector and describe it.

    Args:
        base_url: the server's root URL.
        tokens: the clients' access tokens.
        pairs: from :func:`find_pairs`.
        seed: seed of the clients' random choices.

    Returns:
        One spec per token.
    """
    semaphore = asyncio.Semaphore(16)

    async def one(i: int, token: str) -> ClientSpec:
        pair = pairs[i % len(pairs)]
        home, away = int(pair["home"]), int(pair["away"])
        async with semaphore, StarlaneClient(base_url, timeout=30.0) as api:
            api.access_token = token
            if home != 1:
                await api.autopilot(home)
        ports = _prefer_complementary({int(k): v for k, v in pair["ports"].items()})
        return ClientSpec(
            token=token,
            home=home,
            away=away,
            ports=ports,
            quote_port=home if home in ports else 1,
            seed=seed * 100_003 + i,
        )

    return list(await asyncio.gather(*(one(i, t) for i, t in enumerate(tokens))))


def _prefer_complementary(
    ports: dict[int, dict[str, list[str]]],
) -> dict[int, dict[str, list[str]]]:
    """Order each port's ``sells`` so the first is one another port of the pair buys, else the
    cheapest: a client then sells back what it bought instead of draining its credits."""
    from starlane.domain.data import COMMODITIES

    ordered = {}
    for pid, view in ports.items():
        wanted = {c for other, v in ports.items() if other != pid for c in v["buys"]}
        sells = sorted(
            view["sells"],
            key=lambda c: (c not in wanted, COMMODITIES[c].base_price if c in COMMODITIES else 0),
        )
        ordered[pid] = {"sells": sells, "buys": list(view["buys"])}
    return ordered


# --- measuring ----------------------------------------------------------------------------
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


async def measure(
    pool: ProcessPoolExecutor | None,
    base_url: str,
    specs: list[ClientSpec],
    *,
    transport: str,
    mode: str,
    duration: float,
    warmup: float,
    processes: int,
    name: str,
) -> Summary:
    """Run one workload over every client and summarise it.

    Args:
        pool: client processes (None: a thread of this process).
        base_url: the server's root URL.
        specs: the clients.
        transport: ``rest`` or ``ws``.
        mode: ``game`` or ``baseline``.
        duration: measured seconds.
        warmup: unmeasured seconds before.
        processes: client processes to split the clients over.
        name: the workload's name in the report.

    Returns:
        The workload's figures.
    """
    start = time.time() + 1.0 + warmup
    end = start + duration
    jobs = [
        {
            "kind": "clients",
            "base_url": base_url,
            "specs": chunk,
            "transport": transport,
            "mode": mode,
            "start": start,
            "end": end,
        }
        for chunk in _split(specs, processes)
    ]
    rec = await _run_jobs(pool, jobs)
    return rec.summary(name, duration)


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
            console.print(f"{transport}: baseline (me) for {config.duration:g} s ...")
            baseline = await measure(
                pool, base_url, specs, mode="baseline", name=f"{label} baseline: me", **common
            )
            console.print(f"{transport}: game mix for {config.duration:g} s ...")
            game = await measure(
                pool, base_url, specs, mode="game", name=f"{label} game mix", **common
            )
            results += [baseline, game]
            if baseline.throughput > 0:
                ratios[transport] = game.throughput / baseline.throughput
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
        report = _report(config, base_url, results, ratios, server is not None)
        print_report(console, report, results)
        return report
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        if server is not None:
            server.stop()
        with contextlib.suppress(OSError):
            shutil.rmtree(workdir)


def _report(
    config: BenchConfig,
    base_url: str,
    results: list[Summary],
    ratios: dict[str, float],
    started_server: bool,
) -> dict[str, Any]:
    return {
        "config": {
            "clients": config.clients,
            "duration": config.duration,
            "warmup": config.warmup,
            "transport": config.transport,
            "idle_clients": config.idle_clients,
            "client_processes": config.processes,
            "server": "subprocess: starlane serve, 1 uvicorn worker, temporary SQLite, "
            "rate limits off"
            if started_server
            else base_url,
            "cpus": os.cpu_count(),
        },
        "workloads": [r.to_dict() for r in results],
        "ratio_game_to_baseline": {k: round(v, 3) for k, v in ratios.items()},
        "unexpected_errors": {
            r.name: {c: n for c, n in r.errors.items() if c.startswith(UNEXPECTED_PREFIXES)}
            for r in results
        },
    }


def print_report(console: Console, report: dict[str, Any], results: list[Summary]) -> None:
    """Print the figures as a table.

    Args:
        console: where to print.
        report: from :func:`run_benchmark`.
        results: the workloads' summaries.
    """
    cfg = report["config"]
    if not console.is_terminal:
        console.width = max(console.width, 132)
    table = Table(
        title=f"Starlane load benchmark: {cfg['clients']} clients, {cfg['duration']:g} s per "
        f"workload, {cfg['client_processes']} client process(es), {cfg['cpus']} CPUs"
    )
    for column in ("workload", "actions/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"):
        table.add_column(column, justify="left" if column in ("workload", "errors") else "right")
    for r in results:
        errors = ", ".join(f"{c} {n}" for c, n in sorted(r.errors.items(), key=lambda x: -x[1]))
        table.add_row(
            r.name,
            f"{r.throughput:,.0f}",
            f"{r.p50 * 1000:.1f}",
            f"{r.p95 * 1000:.1f}",
            f"{r.p99 * 1000:.1f}",
            f"{r.max * 1000:.1f}",
            errors or "none",
        )
    console.print(table)
    console.print(f"server: {cfg['server']}")
    for transport, ratio in report["ratio_game_to_baseline"].items():
        label = "REST" if transport == "rest" else "WebSocket"
        console.print(f"ratio of game-action throughput to baseline ({label}): {ratio:.2f}")
    for r in results:
        if r.by_action and not r.name.startswith("event"):
            mix = ", ".join(
                f"{k} {v / max(r.actions, 1):.0%}" for k, v in sorted(r.by_action.items())
            )
            console.print(f"  {r.name}: {mix}")
