"""Shared fixtures for the domain rule tests: a small hand-made region and helpers.

The region (``build_region``) has twelve sectors, ids 1-12::

    1 Sol (class 0) -- 2 StarDock (class 9) -- 4 nebula -- 7 refinery (10)
    |                  |                                  |
    3 class 1 (BBS) -- 6 class 3 (SBB), pirate 60 -- 9 bazaar (11) -- 10 tech hub (12)
                       5 class 2 (BSB) -- 8 -> 12 (one-way) ; 8 -- 11 -- 12 ; 10 -- 11

Warps are two-way except 8 -> 12. Every port commodity has capacity 1,000 and quantity 500
at ``T0``. Sector 3 holds planet 30.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import pytest

from starlane.domain.commands import Command, SpawnPlayer
from starlane.domain.data import PORT_CLASSES, Hazard, Membership, RegionKind
from starlane.domain.events import Event
from starlane.domain.model import (
    Pirate,
    Planet,
    Port,
    PortStock,
    Region,
    RegionPolicy,
    RegionState,
    Sector,
)
from starlane.domain.rules import decide, evolve

T0 = 1_700_000_000.0

EDGES: tuple[tuple[int, int], ...] = (
    (1, 2),
    (1, 3),
    (2, 4),
    (2, 5),
    (3, 6),
    (4, 7),
    (5, 8),
    (6, 9),
    (7, 10),
    (9, 10),
    (8, 11),
    (10, 11),
    (11, 12),
)
ONE_WAY: tuple[tuple[int, int], ...] = ((8, 12),)
PORT_CLASS_AT: dict[int, int] = {1: 0, 2: 9, 3: 1, 5: 2, 6: 3, 7: 10, 9: 11, 10: 12}
HAZARDS: dict[int, Hazard] = {4: Hazard.NEBULA}
PIRATE_ID = 60
PIRATE_SECTOR = 6


def build_region(
    kind: RegionKind = RegionKind.TERRAN,
    *,
    region_id: int = 1,
    pvp: bool = False,
    tax_rate: float = 0.10,
    first_sector_id: int = 1,
) -> RegionState:
    """The twelve-sector fixture region (sector ids offset by ``first_sector_id - 1``)."""
    off = first_sector_id - 1
    sectors: dict[int, Sector] = {}
    for n in range(1, 13):
        sid = n + off
        sectors[sid] = Sector(
            id=sid,
            region_id=region_id,
            number=n,
            x=float(n),
            y=0.0,
            z=0.0,
            cluster=0,
            hazard=HAZARDS.get(n),
        )
    for a, b in EDGES:
        sectors[a + off].warps.append(b + off)
        sectors[b + off].warps.append(a + off)
    for a, b in ONE_WAY:
        sectors[a + off].warps.append(b + off)
    for s in sectors.values():
        s.warps.sort()
    ports: dict[int, Port] = {}
    for n, cls in PORT_CLASS_AT.items():
        sid = n + off
        pc = PORT_CLASSES[cls]
        ports[sid] = Port(
            id=sid,
            region_id=region_id,
            sector_id=sid,
            name=f"Port {sid}",
            port_class=cls,
            stock={k: PortStock(500.0, 1_000) for k in (*pc.sells, *pc.buys)},
            updated_at=T0,
            credits=0,
        )
    planets = {
        30 + off * 10: Planet(
            id=30 + off * 10, region_id=region_id, sector_id=3 + off, name="Terra", kind="M"
        )
    }
    sectors[3 + off].planet_ids.append(30 + off * 10)
    pid = PIRATE_ID + off * 10
    pirates = {
        pid: Pirate(
            id=pid,
            region_id=region_id,
            sector_id=PIRATE_SECTOR + off,
            name="Black Jack",
            fighters=10,
            shields=20,
            hull=30,
            max_fighters=10,
            max_shields=20,
            max_hull=30,
            credits=5_000,
        )
    }
    sectors[PIRATE_SECTOR + off].piracy = 3
    region = Region(
        id=region_id,
        kind=kind,
        name="Terran Space" if kind == RegionKind.TERRAN else f"Region {region_id}",
        description="",
        governor_id=None,
        first_sector_id=first_sector_id,
        sector_count=12,
        seed=1,
        policy=RegionPolicy(tax_rate=tax_rate, pvp=pvp),
    )
    return RegionState(region, sectors, ports, planets, pirates)


def run(
    state: RegionState, command: Command, now: float = T0, rng: random.Random | None = None
) -> list[Event]:
    """Decide a command and evolve its events into ``state``; return the events."""
    events = decide(state, command, now, rng if rng is not None else random.Random(0))
    for e in events:
        evolve(state, e)
    return events


def apply(state: RegionState, events: Iterable[Event]) -> None:
    """Evolve events into ``state``."""
    for e in events:
        evolve(state, e)


def spawn(
    state: RegionState,
    player_id: int = 7,
    now: float = T0,
    membership: Membership = Membership.FREE,
    name: str | None = None,
) -> None:
    """Spawn a player at Sol (``state`` must contain sector 1)."""
    run(state, SpawnPlayer(player_id, name or f"pilot{player_id}", membership), now)


def place(state: RegionState, player_id: int, sector_id: int) -> None:
    """Teleport a player (test set-up only), keeping the players-by-sector index in step."""
    player = state.players[player_id]
    left = player.sector_id
    player.sector_id = sector_id
    state.player_placed(player, left)


@pytest.fixture
def region() -> RegionState:
    """A fresh Terran fixture region with no players."""
    return build_region()


@pytest.fixture
def world() -> RegionState:
    """A fresh Terran fixture region with player 7 spawned at Sol at ``T0``."""
    state = build_region()
    spawn(state, 7)
    return state


@pytest.fixture
def pvp_world() -> RegionState:
    """A player region with PvP on, players 7 and 8 (not spawned at Sol: placed in sector 1)."""
    state = build_region(RegionKind.PLAYER, region_id=3, pvp=True)
    spawn(state, 7)
    spawn(state, 8)
    return state
