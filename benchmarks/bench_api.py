"""Load benchmark of the player API: game actions over REST and WebSocket against a baseline.

Starts ``starlane serve`` in a subprocess on a temporary SQLite database (rate limits off), or
targets ``--server``; drives N concurrent authenticated clients doing the game mix (move 50 %,
quote 20 %, trade 25 %, sector view 5 %) over REST and separately over the WebSocket; measures
in the same run the baseline of the same stack answering ``GET /api/v1/me``; prints actions/s,
p50/p95/p99 latency, errors by code and the ratio of game-action throughput to the baseline.
With ``--idle-clients N`` it also measures the p99 delay from a sector event to its delivery to
N mostly idle WebSocket connections. With ``--rest-rate R`` / ``--ws-rate R`` it also runs the
game mix in open loop at R actions/s offered (latency at that load, from each request's intended
send time). Same code as ``starlane bench``.

    .venv/bin/python benchmarks/bench_api.py --quick
    .venv/bin/python benchmarks/bench_api.py --clients 100 --duration 20 --idle-clients 1000
    .venv/bin/python benchmarks/bench_api.py --rest-rate 2000 --ws-rate 5000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math

from starlane.bench.runner import BenchConfig, run_benchmark


def _rate(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a number of actions per second > 0: {text}")
    return value


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100, help="concurrent clients (100)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per workload (10)")
    parser.add_argument("--server", default=None, help="target a running server (its URL)")
    parser.add_argument("--transport", choices=("rest", "ws", "both"), default="both")
    parser.add_argument("--idle-clients", type=int, default=0, help="idle WebSockets (0: skip)")
    parser.add_argument("--processes", type=int, default=2, help="client processes (2)")
    parser.add_argument("--db", default=None, help="database URL of the started server")
    parser.add_argument(
        "--rest-rate", type=_rate, default=None, help="open-loop REST game mix at R actions/s"
    )
    parser.add_argument(
        "--ws-rate", type=_rate, default=None, help="open-loop WebSocket game mix at R actions/s"
    )
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    parser.add_argument(
        "--quick", action="store_true", help="a short run: 20 clients, 3 s, 100 idle WebSockets"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.clients, args.duration, args.idle_clients = 20, 3.0, 100
    config = BenchConfig(
        clients=args.clients,
        duration=args.duration,
        server=args.server,
        transport=args.transport,
        idle_clients=args.idle_clients,
        processes=args.processes,
        database_url=args.db,
        warmup=1.0 if args.quick else 2.0,
        rest_rate=args.rest_rate if args.transport != "ws" else None,
        ws_rate=args.ws_rate if args.transport != "rest" else None,
    )
    report = asyncio.run(run_benchmark(config))
    if args.json:
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
