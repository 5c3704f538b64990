"""Benchmark the bus's hot path: publishing committed region events, single core.

What a region engine pays per committed batch after its commit: :meth:`Bus.publish` handing
the batch to the server's subscribers, as a running server has them:

- ``bus``: the bus alone, with one subscription (the in-process projections' buffer, drained
  after every batch) and one listener that does nothing: the bus's own cost;
- ``server``: the same plus the WebSocket feed (:class:`~starlane.api.wsfeed.FeedHub`, a bus
  listener) with ``--connections`` connected players, one per sector of region 1 (each event
  is routed to the connections of its sectors and offered to their outboxes).

Batches of ``--batch`` ``PlayerMoved`` events are built before timing; each figure is the
best of ``--repeat`` runs, in nanoseconds per published event (lower is better), beside a
baseline measured in the same run (a loop over the same events doing one dict lookup and one
list append each) and the ratio to it.

``--compare SRC`` measures this checkout and another one (e.g. ``/work/base/src``, today's
main) in interleaved pairs of child processes (A B B A ...) and prints both medians and
their ratio, so a change of the bus is judged against the same machine in the same minute.

Run: ``.venv/bin/python benchmarks/bench_bus.py`` (``--quick``; ``--json``;
``--compare /path/to/other/src``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any


def _events(count: int) -> list[Any]:
    from starlane.domain.events import PlayerMoved, RecordedEvent

    out = []
    for i in range(count):
        pid = 1 + i % 400
        sector = pid
        event = PlayerMoved(
            region_id=1,
            at=0.0,
            player_id=pid,
            from_sector_id=sector,
            sector_id=sector + 1,
            turns_spent=1,
            turns_left=99,
            turns_at=0.0,
            first_visit=False,
        )
        out.append(RecordedEvent(i + 1, 1, i + 1, pid, event))
    return out


class _Idle:
    """A listener that takes every batch and does nothing."""

    def deliver(self, events: Any) -> None:
        """Take a batch."""

    def bus_closed(self) -> None:
        """Nothing to close."""


def _bus_alone() -> tuple[Any, Any, list[Any]]:
    from starlane.bus import Bus

    bus = Bus()
    bus.add_listener(_Idle())
    return bus, bus.subscribe("projections", maxsize=1_000_000), []


def _server_bus(connections: int) -> tuple[Any, Any, list[Any]]:
    from starlane.api.auth import Principal
    from starlane.api.wsfeed import Connection, FeedHub
    from starlane.bus import Bus

    players = {
        pid: SimpleNamespace(region_id=1, sector_id=pid) for pid in range(1, connections + 1)
    }
    service = SimpleNamespace(player=players.get)
    # galaxy: this tree's Connection; service: an older checkout's (--compare)
    state = SimpleNamespace(galaxy=service, service=service)
    bus = Bus()
    hub = FeedHub(bus)
    conns = []
    for pid in players:
        principal = Principal(pid, f"p{pid}", ("player",), f"j{pid}", 1e12)
        conn = Connection(None, principal, state)  # type: ignore[arg-type]
        hub.register(conn, maxsize=1_000_000)
        conns.append(conn)
    sub = bus.subscribe("projections", maxsize=1_000_000)
    return bus, sub, conns


def _publish_ns(chunks: list[list[Any]], make: Any, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        bus, sub, conns = make()
        start = time.perf_counter()
        for chunk in chunks:
            bus.publish(chunk)
            while sub.get_nowait() is not None:
                pass
        elapsed = time.perf_counter() - start
        for conn in conns:
            conn.outbox.take()
        best = min(best, elapsed)
    return best / sum(len(c) for c in chunks) * 1e9


def measure(batch: int, batches: int, connections: int, repeat: int) -> dict[str, float]:
    """Publish costs and baseline, nanoseconds per event (best of ``repeat`` each).

    Returns:
        ``bus_ns``, ``server_ns``, ``baseline_ns`` and the two ratios to the baseline.
    """
    events = _events(batch * batches)
    chunks = [events[i : i + batch] for i in range(0, len(events), batch)]
    bus_ns = _publish_ns(chunks, _bus_alone, repeat)
    server_ns = _publish_ns(chunks, lambda: _server_bus(connections), repeat)
    base = float("inf")
    index = {e.position: e for e in events}
    for _ in range(repeat):
        sink: list[Any] = []
        start = time.perf_counter()
        for chunk in chunks:
            for e in chunk:
                sink.append(index[e.position])
            sink.clear()
        base = min(base, time.perf_counter() - start)
    base_ns = base / len(events) * 1e9
    return {
        "bus_ns": bus_ns,
        "server_ns": server_ns,
        "baseline_ns": base_ns,
        "bus_ratio": bus_ns / base_ns,
        "server_ratio": server_ns / base_ns,
    }


def _child(src: str, args: argparse.Namespace) -> dict[str, float]:
    cmd = [
        sys.executable,
        __file__,
        "--json",
        "--batch",
        str(args.batch),
        "--batches",
        str(args.batches),
        "--connections",
        str(args.connections),
        "--repeat",
        str(args.repeat),
    ]
    env = {**os.environ, "PYTHONPATH": src}
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=32, help="events per published batch")
    parser.add_argument("--batches", type=int, default=2_000, help="batches per run")
    parser.add_argument("--connections", type=int, default=400, help="WebSocket connections")
    parser.add_argument("--repeat", type=int, default=5, help="runs; the best is kept")
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--compare", metavar="SRC", help="another checkout's src to compare")
    parser.add_argument("--pairs", type=int, default=4, help="ABBA pairs with --compare")
    args = parser.parse_args()
    if args.quick:
        args.batches, args.repeat, args.pairs = 300, 3, 2
    if args.compare:
        here = str(Path(__file__).resolve().parent.parent / "src")
        runs: dict[str, dict[str, list[float]]] = {here: {}, args.compare: {}}
        for i in range(args.pairs):
            order = [here, args.compare] if i % 2 == 0 else [args.compare, here]
            for src in order:
                for key, value in _child(src, args).items():
                    runs[src].setdefault(key, []).append(value)
        print(f"ns/event over {args.pairs} interleaved runs each (A B B A ...): median, best")
        for key in ("bus_ns", "server_ns", "baseline_ns"):
            a = statistics.median(runs[here][key])
            b = statistics.median(runs[args.compare][key])
            a_best, b_best = min(runs[here][key]), min(runs[args.compare][key])
            print(
                f"  {key:<12} this {a:8.1f} {a_best:8.1f}   other {b:8.1f} {b_best:8.1f}"
                f"   this/other {a / b:.3f} {a_best / b_best:.3f}"
            )
        return
    result = measure(args.batch, args.batches, args.connections, args.repeat)
    if args.json:
        print(json.dumps(result))
        return
    print(f"publish, ns/event, batches of {args.batch}:")
    print(f"  bus alone   {result['bus_ns']:9.1f}   ratio {result['bus_ratio']:.1f}")
    print(
        f"  server      {result['server_ns']:9.1f}   ratio {result['server_ratio']:.1f}"
        f"   ({args.connections} WebSocket connections)"
    )
    print(f"  baseline    {result['baseline_ns']:9.1f}")


if __name__ == "__main__":
    main()
