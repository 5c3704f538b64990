"""A single-core reference for the load benchmark: the rules' move workload, decide + evolve.

Shared machines give a process more or less CPU, cache and memory bandwidth from hour to hour (the
same code can run a third slower an hour later), and every throughput figure moves with them. The
benchmark measures this reference in the same run, so runs can be compared: it is the move workload
of ``benchmarks/bench_rules.py`` (players walking random warps of a generated 500-sector region,
one ``Move`` decided and evolved per command), dict- and object-heavy like the server, where a
tight arithmetic loop is not.
"""

from __future__ import annotations

import random
import time

from starlane.domain.codec import copy_state
from starlane.domain.commands import Command, Move
from starlane.domain.data import Membership, RegionKind
from starlane.domain.events import PlayerSpawned
from starlane.domain.galaxy import generate_region
from starlane.domain.model import RegionState
from starlane.domain.rules import decide, evolve

T0 = 1_700_000_000.0
"""Unix seconds of the benchmark regions' opening."""
SECTORS = 500
"""Sectors of the generated region."""
FIRST_SECTOR = 3_301
"""Global id of its first sector."""
HUGE = 10**12
"""Turns, credits, holds and port quantities: enough that no benchmarked command is refused."""


def build_region(players: int, seed: int) -> RegionState:
    """A generated player region with ``players`` players placed on random sectors.

    Args:
        players: number of players.
        seed: generation and placement seed.

    Returns:
        The region; players have effectively unlimited turns, credits and holds so that every
        benchmarked command is accepted.
    """
    state = generate_region(3, RegionKind.PLAYER, SECTORS, FIRST_SECTOR, seed, opened_at=T0)
    rng = random.Random(seed)
    sectors = sorted(state.sectors)
    for pid in range(1, players + 1):
        sid = rng.choice(sectors)
        evolve(
            state,
            PlayerSpawned(
                region_id=3,
                at=T0,
                player_id=pid,
                player_name=f"bench{pid}",
                sector_id=sid,
                credits=HUGE,
                turns=HUGE,
                ship_type="light_freighter",
                ship_name="Bench",
                membership=Membership.FREE,
            ),
        )
        ship = state.players[pid].ship
        ship.holds = HUGE
    for port in state.ports.values():
        for held in port.stock.values():
            held.capacity = HUGE
            held.quantity = HUGE / 2
    return state


def move_commands(state: RegionState, count: int, seed: int) -> list[Command]:
    """Random walks of every player, interleaved, each step along an existing warp.

    Args:
        state: the region (players' current sectors are the walks' starts).
        count: number of commands.
        seed: walk seed.

    Returns:
        ``count`` move commands that are all accepted when applied in order.
    """
    rng = random.Random(seed)
    at = {pid: p.sector_id for pid, p in state.players.items()}
    pids = sorted(at)
    out: list[Command] = []
    for i in range(count):
        pid = pids[i % len(pids)]
        nxt = rng.choice(state.sectors[at[pid]].warps)
        out.append(Move(pid, nxt))
        at[pid] = nxt
    return out


def decide_evolve(state: RegionState, commands: list[Command]) -> int:
    """Decide every command and evolve its events, as the engine does.

    Args:
        state: the region (changed in place).
        commands: the commands, in order.

    Returns:
        Events applied.

    Raises:
        DomainError: a command was refused.
    """
    rng = random.Random(0)
    now = T0
    n = 0
    for cmd in commands:
        now += 0.01
        for e in decide(state, cmd, now, rng):
            evolve(state, e)
            n += 1
    return n


def rules_reference(
    players: int = 200, commands: int = 20_000, rounds: int = 3, seed: int = 42
) -> float:
    """Moves decided and evolved per second on one core, best of ``rounds`` (fresh copies).

    Args:
        players: players in the region.
        commands: moves per round.
        rounds: timed rounds.
        seed: generation and walk seed.

    Returns:
        Moves per second.
    """
    base = build_region(players, seed)
    best = 0.0
    for _ in range(rounds):
        state = copy_state(base)
        moves = move_commands(state, commands, seed)
        started = time.perf_counter()
        decide_evolve(state, moves)
        best = max(best, commands / (time.perf_counter() - started))
    return best
