"""Discovery: who entered a sector first, and the bonus for the first visitor of a new region.

- **Sectors.** The first player to *enter* a sector (spawning in it, moving or flying by
  autopilot into it, arriving through a gate, jumping into it) discovers it: the region
  records the player's id and name and the time (``Region.discoveries``, kept for the
  discovered sectors only, so snapshots grow with discoveries, not with the region's size).
  Scanning a sector from a neighbour shows it on the player's map but discovers nothing. The
  record is derived state: ``evolve`` writes it when it applies the entering event to a
  sector nobody has discovered, so replays rebuild it exactly (:func:`mark_discovered`).
- **Regions.** A player region pays ``GameRules.discovery_bonus`` credits (1,000) to its first
  visitor other than its governor, if they arrive (through a gate or by a jump) within
  ``GameRules.discovery_window_days`` (30) of its opening. The arrival is decided by the
  destination's engine, one command at a time, so the bonus is paid exactly once per region
  even when two players arrive in the same commit batch: the second arrival is decided on the
  state the first one left (``Region.first_visitor_id`` set). The payment is the event
  ``RegionFirstVisited`` right after the ``TransferArrived``; the credits are new money from
  the platform, like a new player's starting credits. Terran Space and the Nexus are the
  galaxy itself, not new regions: they pay no bonus.
- **Reads.** :func:`discoveries_of` pages a player's discovered sectors; :func:`scan` lists
  the regions opened in the window that a player has not visited, with the bonus each still
  pays. A player has visited a region when any sector of it is among their explored sectors.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from starlane.domain.commands import Arrive
from starlane.domain.data import GameRules, RegionKind
from starlane.domain.events import (
    Event,
    PlayerMoved,
    PlayerSpawned,
    TransferArrived,
    register_event,
)
from starlane.domain.model import Player, Region, RegionState, SectorDiscovery
from starlane.domain.rules import chain_evolver, decider_of, register_decider, register_evolver

__all__ = [
    "SECONDS_PER_DAY",
    "DiscoveryRow",
    "RegionFirstVisited",
    "ScanRow",
    "bonus_pays",
    "decide_arrive_with_bonus",
    "discoveries_of",
    "has_visited",
    "mark_discovered",
    "scan",
]

SECONDS_PER_DAY = 86_400


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class RegionFirstVisited(Event):
    """The first visitor of a new region received its discovery bonus (at the destination,
    right after their ``TransferArrived``).

    Attributes:
        sector_id: the sector they arrived in.
        bonus: credits paid.
        credits_after: the player's credits after the bonus.
    """

    type: ClassVar[str] = "region_first_visited"
    player_id: int
    sector_id: int
    bonus: int
    credits_after: int


# --- the rules -----------------------------------------------------------------------------------
def bonus_pays(region: Region, now: float, rules: GameRules) -> int:
    """Credits a region would pay its first visitor now.

    Args:
        region: the region.
        now: unix seconds.
        rules: the rule numbers in force.

    Returns:
        ``rules.discovery_bonus`` for an active player region opened at most
        ``rules.discovery_window_days`` ago whose bonus nobody has received; else 0.
    """
    if region.kind != RegionKind.PLAYER or region.first_visitor_id is not None:
        return 0
    if region.status != "active":
        return 0
    if now - region.opened_at > rules.discovery_window_days * SECONDS_PER_DAY:
        return 0
    return rules.discovery_bonus


def decide_arrive_with_bonus(
    state: RegionState, command: Arrive, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide an arrival (gate or jump, :func:`~starlane.domain.travel.decide_arrive`) and
    pay the region's discovery bonus when the arriving player is its first visitor.

    Args:
        state: the destination region.
        command: the arrival.
        now: unix seconds.
        rng: passed on.

    Returns:
        The arrival's events, followed by one ``RegionFirstVisited`` when the bonus is paid.
    """
    events = _decide_arrive(state, command, now, rng)  # type: ignore[arg-type]
    region = state.region
    for event in events:
        if not isinstance(event, TransferArrived) or event.player_id == region.governor_id:
            continue
        bonus = bonus_pays(region, now, state.rules)
        if bonus > 0:
            events.append(
                RegionFirstVisited(
                    region_id=region.id,
                    at=now,
                    player_id=event.player_id,
                    sector_id=event.sector_id,
                    bonus=bonus,
                    credits_after=event.player.credits + bonus,
                )
            )
        break
    return events


# --- evolve --------------------------------------------------------------------------------------
def mark_discovered(state: RegionState, sector_id: int, player_id: int, at: float) -> None:
    """Record the discovery of a sector by a player who entered it, unless it has one.

    Args:
        state: the region (changed in place).
        sector_id: the sector entered.
        player_id: the player who entered it (in ``state.players``).
        at: unix seconds of the entering event.
    """
    found = state.region.discoveries
    if sector_id in found or sector_id not in state.sectors:
        return
    player = state.players.get(player_id)
    found[sector_id] = SectorDiscovery(player_id, "" if player is None else player.name, at)


def _entered(state: RegionState, e: Any) -> None:
    if e.sector_id not in state.region.discoveries:  # the usual case: known already
        mark_discovered(state, e.sector_id, e.player_id, e.at)


def _first_visited(state: RegionState, e: RegionFirstVisited) -> None:
    state.region.first_visitor_id = e.player_id
    player = state.players.get(e.player_id)
    if player is not None:
        player.credits = e.credits_after


# --- reads ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DiscoveryRow:
    """One sector a player discovered.

    Attributes:
        sector_id: global sector id.
        region_id: its region.
        region_name: its region's name.
        number: the sector's number in its region.
        discovered_at: unix seconds.
    """

    sector_id: int
    region_id: int
    region_name: str
    number: int
    discovered_at: float


def discoveries_of(
    states: Iterable[RegionState], player_id: int, after: int, limit: int
) -> tuple[list[DiscoveryRow], bool]:
    """One page of the sectors a player discovered, by sector id.

    Args:
        states: every region's state.
        player_id: the player.
        after: list only sector ids greater than this (0: from the start).
        limit: rows per page, >= 1.

    Returns:
        ``(rows, more)``: at most ``limit`` rows, and whether more follow.
    """
    rows: list[DiscoveryRow] = []
    for state in sorted(states, key=lambda s: s.region.first_sector_id):
        region = state.region
        if region.first_sector_id + region.sector_count - 1 <= after:
            continue
        sectors = state.sectors
        for sector_id, found in region.discoveries.items():
            if found.player_id == player_id and sector_id > after:
                number = sectors[sector_id].number
                rows.append(DiscoveryRow(sector_id, region.id, region.name, number, found.at))
        if len(rows) > limit:
            break
    rows.sort(key=lambda r: r.sector_id)
    return rows[:limit], len(rows) > limit


def has_visited(player: Player, region: Region) -> bool:
    """Whether a player has been in a region (any of its sectors is among their explored).

    Args:
        player: the player.
        region: the region.

    Returns:
        True when they have.
    """
    first = region.first_sector_id
    last = first + region.sector_count
    return any(first <= s < last for s in player.explored)


@dataclass(frozen=True, slots=True)
class ScanRow:
    """A region the discovery scan lists.

    Attributes:
        region_id: the region.
        name: its name.
        opened_at: unix seconds it opened.
        bonus: credits it still pays its first visitor (0 once paid).
        immigration: its immigration policy (``open``, ``permit``, ``closed``).
    """

    region_id: int
    name: str
    opened_at: float
    bonus: int
    immigration: str


def scan(
    states: Iterable[RegionState], player: Player, now: float, rules: GameRules
) -> list[ScanRow]:
    """The player regions opened within the discovery window that a player has not visited.

    Args:
        states: every region's state.
        player: the player.
        now: unix seconds.
        rules: the rule numbers in force.

    Returns:
        One row per such active region, by region id, with the bonus it still pays.
    """
    window = rules.discovery_window_days * SECONDS_PER_DAY
    rows: list[ScanRow] = []
    for state in sorted(states, key=lambda s: s.region.id):
        region = state.region
        if region.kind != RegionKind.PLAYER or region.status != "active":
            continue
        if now - region.opened_at > window or has_visited(player, region):
            continue
        bonus = bonus_pays(region, now, rules)
        if region.governor_id == player.id:
            bonus = 0
        rows.append(
            ScanRow(region.id, region.name, region.opened_at, bonus, str(region.policy.immigration))
        )
    return rows


_decide_arrive = decider_of(Arrive)
register_decider(Arrive, decide_arrive_with_bonus, saga_step=True)
register_evolver(RegionFirstVisited, _first_visited)
for _type in (PlayerSpawned, PlayerMoved, TransferArrived):  # PlayerJumped: in jumps
    chain_evolver(_type, _entered)
