"""Benchmark the rules: decide + evolve throughput for move and trade commands, single core.

Workloads, on a generated 500-sector player region (``galaxy.generate_region``):

- **move**: players walk random warps (one ``Move`` per command, each accepted);
- **trade**: players at ports alternately buy the commodity their port sells and sell one it
  buys (one ``Trade`` per command, each accepted).

The commands are built before timing. For each workload the run measures, in the same process:

- ``decide+evolve``: ``decide`` then ``evolve`` of every event (the engine's hot path);
- ``decide only``: the validation and pricing alone (on commands valid in the unchanged
  state: each player's first move, or the same trades);
- ``baseline``: the least any handler must do per command (construct the command object,
  look the player up in a dict and set one attribute), to compare machines: the ratio to it is
  steadier than the raw figures.

Each figure is the best of ``--repeat`` runs (commands per second). The target is at least
50,000 decisions+evolutions per second for each workload.

Run: ``.venv/bin/python benchmarks/bench_rules.py`` (``--quick`` for a short run,
``--json`` for machine-readable output).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable

from starlane.bench.calibrate import (
    HUGE,
    SECTORS,
    T0,
    build_region,
    decide_evolve,
    move_commands,
)
from starlane.domain.codec import copy_state
from starlane.domain.commands import Command, Move, Trade
from starlane.domain.data import PORT_CLASSES, Side
from starlane.domain.model import RegionState
from starlane.domain.rules import decide

TARGET_PER_SECOND = 50_000


Maker = Callable[[RegionState], list[Command]]
Work = Callable[[RegionState, list[Command]], int]


def trade_commands(state: RegionState, count: int, seed: int) -> list[Command]:
    """Players moved onto ports that both sell and buy; alternate buys and sells there.

    Args:
        state: the region (players are re-placed on trading ports and given cargo).
        count: number of commands.
        seed: placement seed.

    Returns:
        ``count`` trade commands that are all accepted when applied in order.
    """
    rng = random.Random(seed)
    ports = [
        p
        for p in sorted(state.ports.values(), key=lambda p: p.id)
        if PORT_CLASSES[p.port_class].sells and PORT_CLASSES[p.port_class].buys
    ]
    plan: dict[int, tuple[int, str, str]] = {}
    for pid, player in sorted(state.players.items()):
        port = rng.choice(ports)
        pc = PORT_CLASSES[port.port_class]
        player.sector_id = port.sector_id
        sold, bought = pc.sells[0], pc.buys[0]
        player.ship.cargo[bought] = HUGE // 4
        plan[pid] = (port.id, sold, bought)
    pids = sorted(plan)
    out: list[Command] = []
    for i in range(count):
        pid = pids[i % len(pids)]
        port_id, sold, bought = plan[pid]
        if (i // len(pids)) % 2 == 0:
            out.append(Trade(pid, port_id, sold, Side.BUY, 10))
        else:
            out.append(Trade(pid, port_id, bought, Side.SELL, 10))
    return out


def _decide_only(state: RegionState, commands: list[Command]) -> int:
    rng = random.Random(0)
    now = T0
    n = 0
    for cmd in commands:
        now += 0.01
        n += len(decide(state, cmd, now, rng))
    return n


def _baseline_move(state: RegionState, commands: list[Command]) -> int:
    players = state.players
    n = 0
    for cmd in commands:
        assert isinstance(cmd, Move)
        c = Move(cmd.player_id, cmd.to_sector_id)
        p = players[c.player_id]
        p.turns_at = T0
        n += 1
    return n


def _baseline_trade(state: RegionState, commands: list[Command]) -> int:
    players = state.players
    n = 0
    for cmd in commands:
        assert isinstance(cmd, Trade)
        c = Trade(cmd.player_id, cmd.port_id, cmd.commodity, cmd.side, cmd.quantity)
        p = players[c.player_id]
        p.turns_at = T0
        n += 1
    return n


def first_moves(state: RegionState, count: int) -> list[Command]:
    """Moves valid in the unchanged state (for timing ``decide`` alone, without ``evolve``).

    Args:
        state: the region.
        count: number of commands.

    Returns:
        ``count`` moves, each player towards the first warp of its current sector.
    """
    pids = sorted(state.players)
    out: list[Command] = []
    for i in range(count):
        p = state.players[pids[i % len(pids)]]
        out.append(Move(p.id, state.sectors[p.sector_id].warps[0]))
    return out


def best_rate(
    make_state: Callable[[], RegionState],
    make_commands: Callable[[RegionState], list[Command]],
    work: Callable[[RegionState, list[Command]], int],
    repeat: int,
) -> float:
    """Best commands-per-second of ``work`` over ``repeat`` fresh states.

    Args:
        make_state: builds a fresh region.
        make_commands: builds the commands for it (not timed).
        work: the timed loop.
        repeat: number of runs.

    Returns:
        Commands per second of the fastest run.
    """
    best = 0.0
    for _ in range(repeat):
        state = make_state()
        commands = make_commands(state)
        started = time.perf_counter()
        work(state, commands)
        elapsed = time.perf_counter() - started
        best = max(best, len(commands) / elapsed)
    return best


def main() -> None:
    """Run the benchmark and print figures and ratios."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="short run (fewer commands, 2 repeats)")
    ap.add_argument("--commands", type=int, default=None, help="commands per run")
    ap.add_argument("--players", type=int, default=200, help="players in the region")
    ap.add_argument("--repeat", type=int, default=None, help="runs per figure (best is kept)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    count = args.commands or (20_000 if args.quick else 200_000)
    repeat = args.repeat or (2 if args.quick else 5)
    base = build_region(args.players, args.seed)

    def fresh() -> RegionState:
        return copy_state(base)

    results: dict[str, dict[str, float]] = {}
    workloads: dict[str, tuple[Maker, Maker, Work]] = {
        "move": (
            lambda s: move_commands(s, count, args.seed),
            lambda s: first_moves(s, count),
            _baseline_move,
        ),
        "trade": (
            lambda s: trade_commands(s, count, args.seed),
            lambda s: trade_commands(s, count, args.seed),
            _baseline_trade,
        ),
    }
    for name, (make, make_static, baseline_work) in workloads.items():
        check = fresh()
        decide_evolve(check, make(check))  # raises if any command were refused
        full = best_rate(fresh, make, decide_evolve, repeat)
        only = best_rate(fresh, make_static, _decide_only, repeat)
        baseline = best_rate(fresh, make, baseline_work, repeat)
        results[name] = {
            "decide_evolve_per_s": full,
            "decide_only_per_s": only,
            "baseline_per_s": baseline,
            "us_per_command": 1e6 / full,
            "ratio_to_baseline": baseline / full,
            "target_met": float(full >= TARGET_PER_SECOND),
        }
    if args.json:
        print(json.dumps({"commands": count, "repeat": repeat, "results": results}))
        return
    print(f"rules benchmark: {SECTORS}-sector generated region, {args.players} players,")
    print(f"{count:,} commands per run, best of {repeat} runs, single core")
    for name, r in results.items():
        ok = "met" if r["target_met"] else "NOT met"
        print(
            f"  {name:5s}: decide+evolve {r['decide_evolve_per_s']:>10,.0f}/s "
            f"({r['us_per_command']:.1f} us/command), decide only "
            f"{r['decide_only_per_s']:>10,.0f}/s, baseline {r['baseline_per_s']:>12,.0f}/s; "
            f"cost {r['ratio_to_baseline']:.1f}x the baseline; "
            f"target {TARGET_PER_SECOND:,}/s {ok}"
        )


if __name__ == "__main__":
    main()
