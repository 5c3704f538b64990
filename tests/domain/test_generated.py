"""The rules on generated regions (``galaxy.generate_region``): routes, replay, conservation."""

from __future__ import annotations

import random
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from starlane.domain import errors
from starlane.domain.codec import copy_state, decode_event, encode_event, encode_state
from starlane.domain.commands import Attack, Autopilot, Command, Move, Scan, SpawnPlayer, Trade
from starlane.domain.data import PORT_CLASSES, RegionKind, Side
from starlane.domain.events import PlayerMoved, PortTraded
from starlane.domain.galaxy import generate_region
from starlane.domain.model import RegionState
from starlane.domain.movement import plan_route, warp_cost
from starlane.domain.rules import apply_all, decide, evolve
from tests.domain.conftest import T0


@cache
def _terran(seed: int) -> RegionState:
    state = generate_region(1, RegionKind.TERRAN, 300, 1, seed, opened_at=T0)
    for pid in (7, 8):
        for e in decide(state, SpawnPlayer(pid, f"p{pid}"), T0, random.Random(0)):
            evolve(state, e)
    return state


def terran(seed: int) -> RegionState:
    """A fresh copy of a generated Terran Space with players 7 and 8 at Sol."""
    return copy_state(_terran(seed))


def _bellman_ford(state: RegionState, start: int, move_turns: int) -> dict[int, int]:
    dist = {start: 0}
    for _ in range(len(state.sectors)):
        changed = False
        for sid, d in list(dist.items()):
            for w in state.sectors[sid].warps:
                nd = d + move_turns * warp_cost(state, sid, w)
                if nd < dist.get(w, 1 << 60):
                    dist[w] = nd
                    changed = True
        if not changed:
            break
    return dist


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 5), start=st.integers(1, 300), move_turns=st.integers(1, 3))
def test_routes_are_least_cost_on_generated_regions(seed: int, start: int, move_turns: int) -> None:
    state = _terran(seed)
    best = _bellman_ford(state, start, move_turns)
    assert len(best) == 300  # strongly connected: everything reachable
    for goal in random.Random(start).sample(sorted(state.sectors), 25):
        route = plan_route(state, start, goal, move_turns)
        assert route.turns == best[goal]
        legs = list(zip(route.path, route.path[1:], strict=False))
        assert all(b in state.sectors[a].warps for a, b in legs)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 5), goal=st.integers(2, 300))
def test_autopilot_on_generated_region(seed: int, goal: int) -> None:
    state = terran(seed)
    route = plan_route(state, 1, goal, 1)
    before = state.players[7].turns
    events = decide(state, Autopilot(7, goal), T0, random.Random(0))
    assert [e.sector_id for e in events if isinstance(e, PlayerMoved)] == list(route.path[1:])
    apply_all(state, events)
    assert state.players[7].sector_id == goal
    assert state.players[7].turns == before - route.turns
    assert set(route.path) <= state.players[7].explored


def _random_command(state: RegionState, rng: random.Random) -> Command:
    pid = rng.choice((7, 8))
    p = state.players[pid]
    sector = state.sectors[p.sector_id]
    roll = rng.random()
    if roll < 0.45:
        return Move(pid, rng.choice(sector.warps))
    if roll < 0.5:
        return Autopilot(pid, rng.randint(1, 300))
    if roll < 0.55:
        return Scan(pid)
    port = state.ports.get(p.sector_id)
    if roll < 0.9 and port is not None:
        pc = PORT_CLASSES[port.port_class]
        side = rng.choice(list(Side))
        goods = pc.sells if side == Side.BUY else pc.buys
        commodity = rng.choice(goods) if goods else "ore"
        return Trade(pid, port.id, commodity, side, rng.randint(1, 300))
    pirates = [x.id for x in state.pirates.values() if x.sector_id == p.sector_id]
    if pirates:
        return Attack(pid, "pirate", rng.choice(pirates))
    return Move(pid, rng.choice(sector.warps))


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 5), play=st.integers(0, 2**32))
def test_generated_play_replays_exactly_and_conserves_credits(seed: int, play: int) -> None:
    live = terran(seed)
    initial = copy_state(live)
    rng = random.Random(play)
    now = T0
    stored: list[tuple[str, int, bytes]] = []
    accepted = 0
    for _ in range(300):
        now += rng.uniform(0, 600)
        cmd = _random_command(live, rng)
        money = (
            sum(p.credits for p in live.players.values())
            + sum(p.credits for p in live.ports.values())
            + sum(p.credits for p in live.pirates.values())
            + live.region.treasury
        )
        try:
            events = decide(live, cmd, now, rng)
        except errors.DomainError:
            continue
        accepted += 1
        for e in events:
            evolve(live, e)
            stored.append((e.type, e.version, encode_event(e)))
            if isinstance(e, PortTraded):
                assert e.units > 0
        money_after = (
            sum(p.credits for p in live.players.values())
            + sum(p.credits for p in live.ports.values())
            + sum(p.credits for p in live.pirates.values())
            + live.region.treasury
        )
        assert money_after == money, cmd
    assert accepted > 50
    replayed = copy_state(initial)
    apply_all(replayed, (decode_event(t, v, p) for t, v, p in stored))
    assert encode_state(replayed) == encode_state(live)
