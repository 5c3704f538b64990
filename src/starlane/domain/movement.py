"""Turns and movement: lazy turn regeneration, move costs, moving, autopilot and scanning.

- Turns regenerate continuously at ``GameRules.turns_per_day`` up to ``max_turns``, computed
  lazily from ``Player.turns_at`` whenever they are read (:func:`current_turns`); the fraction
  of a turn already earned is kept by advancing ``turns_at`` only by whole turns.
- Moving along a warp costs the ship's ``move_turns`` times the warp cost
  (:func:`~starlane.domain.routes.warp_cost`: 1, +1 per hazard end).
- Autopilot follows the least-turn route (:func:`~starlane.domain.routes.plan_route`) and is
  refused up front, with nothing moved, when the player's turns do not cover it; it records one
  ``PlayerMoved`` per warp.
- Scanning discovers the neighbouring sectors (fog of war); entering a sector discovers it.

``Route``, ``plan_route``, ``plan_galaxy_route`` and ``warp_cost`` live in
:mod:`starlane.domain.routes` and are re-exported here.
"""

from __future__ import annotations

import random
from itertools import pairwise

from starlane.domain.commands import Autopilot, Move, Scan
from starlane.domain.data import GameRules
from starlane.domain.errors import (
    AlreadyThereError,
    InsufficientTurnsError,
    NotAdjacentError,
    UnknownPlayerError,
    UnknownSectorError,
)
from starlane.domain.events import Event, PlayerMoved, SectorsScanned
from starlane.domain.model import Player, RegionState, Ship
from starlane.domain.routes import Route, plan_galaxy_route, plan_route, warp_cost

__all__ = [
    "Route",
    "current_turns",
    "decide_autopilot",
    "decide_move",
    "decide_scan",
    "move_cost",
    "next_turn_at",
    "plan_galaxy_route",
    "plan_route",
    "require_player",
    "warp_cost",
]

SECONDS_PER_DAY = 86_400.0  #: unit conversion for ``GameRules.turns_per_day``


def require_player(state: RegionState, player_id: int) -> Player:
    """The player with that id in this region.

    Args:
        state: the region.
        player_id: a player id.

    Returns:
        The player.

    Raises:
        UnknownPlayerError: the player is not in this region.
    """
    player = state.players.get(player_id)
    if player is None:
        raise UnknownPlayerError(f"player {player_id} is not in this region", player_id=player_id)
    return player


def move_cost(ship: Ship, warp_cost: int) -> int:
    """Turns a ship spends moving along a warp.

    Args:
        ship: the moving ship.
        warp_cost: the warp's cost (see :func:`warp_cost`).

    Returns:
        The ship type's ``move_turns`` times the warp cost, in turns.
    """
    return ship.spec.move_turns * warp_cost


def current_turns(player: Player, now: float, rules: GameRules) -> tuple[int, float]:
    """A player's turns at ``now`` with lazy regeneration applied.

    Turns regenerate at ``rules.turns_per_day`` per 86,400 s and stop at ``rules.max_turns``.
    Only whole turns are granted; the earned fraction of the next turn is kept by moving the
    reference time forward by exactly the whole turns granted. At the cap the reference time
    becomes ``now`` (no credit accrues while full).

    Args:
        player: the player.
        now: unix seconds.
        rules: the rule numbers in force.

    Returns:
        ``(turns, turns_at)``: the turns available and the new regeneration reference time.
    """
    turns = player.turns
    cap = rules.max_turns
    if turns >= cap:
        return turns, now if now > player.turns_at else player.turns_at
    elapsed = now - player.turns_at
    if elapsed <= 0.0:
        return turns, player.turns_at
    # the tiny epsilon absorbs float error at exact turn boundaries (a turn is 86.4 s)
    gained = int(elapsed * rules.turns_per_day / SECONDS_PER_DAY + 1e-9)
    if turns + gained >= cap:
        return cap, now
    return turns + gained, player.turns_at + gained * SECONDS_PER_DAY / rules.turns_per_day


def next_turn_at(player: Player, now: float, rules: GameRules) -> float | None:
    """When the player's next turn regenerates.

    Args:
        player: the player.
        now: unix seconds.
        rules: the rule numbers in force.

    Returns:
        Unix seconds of the next whole turn, or None when the player is at the cap.
    """
    turns, turns_at = current_turns(player, now, rules)
    if turns >= rules.max_turns:
        return None
    return turns_at + SECONDS_PER_DAY / rules.turns_per_day


def decide_move(
    state: RegionState, command: Move, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a move along one warp.

    Args:
        state: the region.
        command: the move.
        now: unix seconds.
        rng: unused (no randomness); accepted so every decider has one signature.

    Returns:
        One ``PlayerMoved``.

    Raises:
        UnknownPlayerError, AlreadyThereError, UnknownSectorError, NotAdjacentError,
        InsufficientTurnsError.
    """
    player = state.players.get(command.player_id)
    if player is None:
        raise UnknownPlayerError(
            f"player {command.player_id} is not in this region", player_id=command.player_id
        )
    here = player.sector_id
    to = command.to_sector_id
    if to == here:
        raise AlreadyThereError(f"already in sector {to}", sector_id=to)
    sectors = state.sectors
    target = sectors.get(to)
    if target is None:
        raise UnknownSectorError(f"sector {to} is not in this region", sector_id=to)
    source = sectors[here]
    if to not in source.warps:
        raise NotAdjacentError(
            f"no warp leads from sector {here} to sector {to}", from_sector_id=here, to=to
        )
    rules = state.rules
    cost = 1
    if source.hazard is not None:
        cost += rules.hazard_warp_cost
    if target.hazard is not None:
        cost += rules.hazard_warp_cost
    cost *= player.ship.spec.move_turns
    turns, turns_at = current_turns(player, now, rules)
    if turns < cost:
        raise InsufficientTurnsError(
            f"moving to sector {to} costs {cost} turns, {turns} available",
            needed=cost,
            available=turns,
        )
    return [
        PlayerMoved(
            region_id=state.region.id,
            at=now,
            player_id=player.id,
            from_sector_id=here,
            sector_id=to,
            turns_spent=cost,
            turns_left=turns - cost,
            turns_at=turns_at,
            first_visit=to not in player.explored,
        )
    ]


def decide_autopilot(
    state: RegionState, command: Autopilot, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide an autopilot trip along the least-turn route inside the region.

    Args:
        state: the region.
        command: the trip.
        now: unix seconds.
        rng: unused (no randomness); accepted so every decider has one signature.

    Returns:
        One ``PlayerMoved`` per warp of the route, in order.

    Raises:
        UnknownPlayerError, AlreadyThereError, UnknownSectorError, NoRouteError,
        InsufficientTurnsError (the whole route is refused, nothing is moved).
    """
    player = require_player(state, command.player_id)
    to = command.to_sector_id
    if to == player.sector_id:
        raise AlreadyThereError(f"already in sector {to}", sector_id=to)
    ship_turns = player.ship.spec.move_turns
    route = plan_route(state, player.sector_id, to, ship_turns)
    turns, turns_at = current_turns(player, now, state.rules)
    if turns < route.turns:
        raise InsufficientTurnsError(
            f"the route to sector {to} costs {route.turns} turns, {turns} available",
            needed=route.turns,
            available=turns,
            path=list(route.path),
        )
    events: list[Event] = []
    explored = set(player.explored)
    path = route.path
    for a, b in pairwise(path):
        cost = ship_turns * warp_cost(state, a, b)
        turns -= cost
        events.append(
            PlayerMoved(
                region_id=state.region.id,
                at=now,
                player_id=player.id,
                from_sector_id=a,
                sector_id=b,
                turns_spent=cost,
                turns_left=turns,
                turns_at=turns_at,
                first_visit=b not in explored,
            )
        )
        explored.add(b)
    return events


def decide_scan(
    state: RegionState, command: Scan, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a scan of the neighbouring sectors (free of turns).

    Args:
        state: the region.
        command: the scan.
        now: unix seconds.
        rng: unused (no randomness); accepted so every decider has one signature.

    Returns:
        One ``SectorsScanned`` listing the adjacent sectors not discovered before (possibly
        none).

    Raises:
        UnknownPlayerError: the player is not in this region.
    """
    player = require_player(state, command.player_id)
    sector = state.sectors[player.sector_id]
    explored = player.explored
    new = tuple(sorted({w for w in sector.warps if w not in explored}))
    return [
        SectorsScanned(
            region_id=state.region.id,
            at=now,
            player_id=player.id,
            sector_id=player.sector_id,
            discovered=new,
        )
    ]
