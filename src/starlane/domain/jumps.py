"""Warp Jumpers: a jump straight to any sector within range, burning fuel from the holds.

A ship whose type has a ``jump_range`` (the Warp Jumper, sold to Galactic Citizens only, see
:mod:`~starlane.domain.stardock`) may jump to any sector of the galaxy whose straight-line
distance from its own sector, in coordinate units, is at most its range
(:func:`jump_range`; ``GameRules.jump_range`` overrides every ship type's when it is not 0).

- A jump burns ``ceil(distance * GameRules.jump_fuel_per_unit)`` units of ``fuel`` carried in
  the holds (:func:`jump_fuel`) and costs no turns.
- Two jumps of one player are at least ``GameRules.jump_cooldown_seconds`` apart
  (:func:`cooldown_left`); the cooldown is carried with the player (``Player.last_jump_at``)
  across regions.
- A jump inside the region is one event, ``PlayerJumped``. A jump to another region is a
  saga like a gate passage (:mod:`~starlane.domain.travel`): at the source ``JumpDeparted``
  (fuel burned, cooldown started) then ``TransferDeparted`` (no toll, no turns), at the
  destination ``TransferArrived`` (or ``TransferRefused``: its immigration policy applies as
  for a gate), then ``TransfersClosed`` or ``TransferCompensated`` at the source. A jump
  turned back at arrival puts the player back where they jumped from: the drive has fired, so
  the fuel stays burned and the cooldown runs (the engine checks admission before departing,
  so only a policy change in between turns a jump back).

Only Galactic Citizens may own a Warp Jumper, and its drive answers to them only: a player
whose membership has lapsed keeps the ship but cannot jump (``not_a_citizen``) until they
renew.

Refusals, in the order they are checked: ``unknown_player``, ``not_a_jumper``,
``not_a_citizen``, ``already_there``, ``unknown_sector``, ``jump_cooldown`` (``seconds_left``),
``out_of_jump_range`` (``distance``, ``range``), ``insufficient_fuel`` (``needed``,
``available``).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import ClassVar

from starlane.domain import discovery as _discovery
from starlane.domain.commands import Command
from starlane.domain.data import GameRules, Membership
from starlane.domain.errors import (
    AlreadyThereError,
    DomainError,
    InvalidCommandError,
    UnknownPlayerError,
    UnknownSectorError,
)
from starlane.domain.events import Event, TransferDeparted, register_event
from starlane.domain.model import Player, RegionState, Sector, Ship
from starlane.domain.provisioning import NotACitizenError
from starlane.domain.rules import register_decider, register_evolver
from starlane.domain.travel import copy_player

__all__ = [
    "FUEL",
    "InsufficientFuelError",
    "Jump",
    "JumpCooldownError",
    "JumpDeparted",
    "NotAJumperError",
    "OutOfJumpRangeError",
    "PlayerJumped",
    "cooldown_left",
    "decide_jump",
    "distance_between",
    "jump_fuel",
    "jump_range",
]

FUEL = "fuel"
"""The commodity a jump burns."""


# --- errors -------------------------------------------------------------------------------------
class NotAJumperError(DomainError):
    """The player's ship has no jump drive (only a Warp Jumper has one)."""

    code = "not_a_jumper"
    kind = "conflict"


class OutOfJumpRangeError(DomainError):
    """The sector is farther than the ship's jump range (context ``distance``, ``range``)."""

    code = "out_of_jump_range"
    kind = "conflict"


class InsufficientFuelError(DomainError):
    """The holds carry less fuel than the jump burns (context ``needed``, ``available``)."""

    code = "insufficient_fuel"
    kind = "conflict"


class JumpCooldownError(DomainError):
    """The jump drive is cooling down after the last jump (context ``seconds_left``)."""

    code = "jump_cooldown"
    kind = "conflict"


# --- the command and its events -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Jump(Command):
    """Jump straight to a sector within the ship's jump range.

    Attributes:
        to_sector_id: the global id of the destination sector.
        to_region_id: the destination's region when it is another region (0: this region);
            set by the engine, which also sets the two fields below.
        to_xyz: the destination sector's coordinates (another region's sector only).
        transfer_id: the saga's idempotent id (another region only).
        citizen: whether the player is a Galactic Citizen now (the API passes the tier in
            force, which lapses by time outside the region's state); None: the player's
            membership as the region holds it.
    """

    name: ClassVar[str] = "jump"
    to_sector_id: int
    to_region_id: int = 0
    to_xyz: tuple[float, float, float] | None = None
    transfer_id: str = ""
    citizen: bool | None = None


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class PlayerJumped(Event):
    """A player jumped to a sector of the same region.

    Attributes:
        from_sector_id: the sector jumped from.
        sector_id: the sector arrived in.
        distance: straight-line distance, coordinate units.
        fuel_burned: fuel units burned.
        fuel_after: fuel units left in the holds.
        first_visit: the player had not discovered ``sector_id`` before.
    """

    type: ClassVar[str] = "player_jumped"
    player_id: int
    from_sector_id: int
    sector_id: int
    distance: float
    fuel_burned: int
    fuel_after: int
    first_visit: bool


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class JumpDeparted(Event):
    """A player fired the jump drive towards another region (recorded at the source, just
    before the saga's ``TransferDeparted``).

    Attributes:
        transfer_id: the saga's idempotent id.
        from_sector_id: the sector jumped from.
        to_region_id: the destination region.
        to_sector_id: the destination sector.
        distance: straight-line distance, coordinate units.
        fuel_burned: fuel units burned.
        fuel_after: fuel units left in the holds.
    """

    type: ClassVar[str] = "jump_departed"
    player_id: int
    transfer_id: str
    from_sector_id: int
    to_region_id: int
    to_sector_id: int
    distance: float
    fuel_burned: int
    fuel_after: int


# --- the rules -----------------------------------------------------------------------------------
def jump_range(ship: Ship, rules: GameRules) -> float:
    """How far a ship jumps.

    Args:
        ship: the ship.
        rules: the rule numbers in force.

    Returns:
        The range in coordinate units; 0 for a ship without a jump drive.
    """
    own = ship.spec.jump_range
    if own <= 0:
        return 0.0
    return rules.jump_range if rules.jump_range > 0 else own


def distance_between(a: Sector, b: tuple[float, float, float]) -> float:
    """Straight-line distance from a sector to a point.

    Args:
        a: the sector.
        b: ``(x, y, z)``, coordinate units.

    Returns:
        The distance, coordinate units, rounded to 3 decimals (the coordinates' precision).
    """
    return round(math.dist((a.x, a.y, a.z), b), 3)


def jump_fuel(distance: float, rules: GameRules) -> int:
    """Fuel units a jump over a distance burns.

    Args:
        distance: coordinate units.
        rules: the rule numbers in force.

    Returns:
        ``ceil(distance * rules.jump_fuel_per_unit)``, at least 1 for any jump.
    """
    return max(1, math.ceil(distance * rules.jump_fuel_per_unit - 1e-9))


def cooldown_left(player: Player, now: float, rules: GameRules) -> int:
    """Seconds until the player may jump again.

    Args:
        player: the player.
        now: unix seconds.
        rules: the rule numbers in force.

    Returns:
        Whole seconds, rounded up; 0 when a jump is allowed now.
    """
    if player.last_jump_at is None:
        return 0
    left = player.last_jump_at + rules.jump_cooldown_seconds - now
    return max(0, math.ceil(left - 1e-9))


def decide_jump(
    state: RegionState, command: Jump, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a jump (see the module for the rules and the order of the refusals).

    Args:
        state: the player's region.
        command: the jump; a destination in another region carries its region, coordinates
            and transfer id.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[PlayerJumped]`` inside the region; ``[JumpDeparted, TransferDeparted]`` towards
        another region.

    Raises:
        UnknownPlayerError, NotAJumperError, NotACitizenError, AlreadyThereError,
        UnknownSectorError, JumpCooldownError, OutOfJumpRangeError, InsufficientFuelError;
        InvalidCommandError for a cross-region jump without coordinates or transfer id, or
        a transfer id in use.
    """
    player = state.players.get(command.player_id)
    if player is None:
        raise UnknownPlayerError(
            f"player {command.player_id} is not in this region", player_id=command.player_id
        )
    rules = state.rules
    reach = jump_range(player.ship, rules)
    if reach <= 0:
        raise NotAJumperError(
            f"a {player.ship.spec.name} has no jump drive: buy a Warp Jumper at a StarDock",
            ship_type=player.ship.type,
        )
    citizen = command.citizen
    if citizen is None:
        citizen = player.membership == Membership.CITIZEN
    if not citizen:
        raise NotACitizenError(
            "the jump drive answers to Galactic Citizens only: your membership has lapsed",
            ship_type=player.ship.type,
        )
    here = player.sector_id
    to = command.to_sector_id
    if to == here:
        raise AlreadyThereError(f"already in sector {to}", sector_id=to)
    across = command.to_region_id not in (0, state.region.id)
    if across:
        if command.to_xyz is None or not command.transfer_id:
            raise InvalidCommandError("a jump to another region needs its coordinates")
        if command.transfer_id in state.transfers_out or command.transfer_id in state.transfers_in:
            raise InvalidCommandError(f"transfer {command.transfer_id} already exists")
        target = command.to_xyz
    else:
        sector = state.sectors.get(to)
        if sector is None:
            raise UnknownSectorError(f"sector {to} does not exist", sector_id=to)
        target = (sector.x, sector.y, sector.z)
    wait = cooldown_left(player, now, rules)
    if wait > 0:
        raise JumpCooldownError(
            f"the jump drive is cooling down: {wait} seconds left", seconds_left=wait
        )
    distance = distance_between(state.sectors[here], target)
    if distance > reach:
        raise OutOfJumpRangeError(
            f"sector {to} is {distance:.1f} units away, the jump range is {reach:g}",
            distance=distance,
            range=reach,
        )
    fuel = jump_fuel(distance, rules)
    carried = player.ship.cargo.get(FUEL, 0)
    if carried < fuel:
        raise InsufficientFuelError(
            f"jumping {distance:.1f} units burns {fuel} fuel, the holds carry {carried}",
            needed=fuel,
            available=carried,
        )
    region_id = state.region.id
    if not across:
        return [
            PlayerJumped(
                region_id=region_id,
                at=now,
                player_id=player.id,
                from_sector_id=here,
                sector_id=to,
                distance=distance,
                fuel_burned=fuel,
                fuel_after=carried - fuel,
                first_visit=to not in player.explored,
            )
        ]
    traveller = copy_player(player)
    _burn(traveller, carried - fuel, now)
    return [
        JumpDeparted(
            region_id=region_id,
            at=now,
            player_id=player.id,
            transfer_id=command.transfer_id,
            from_sector_id=here,
            to_region_id=command.to_region_id,
            to_sector_id=to,
            distance=distance,
            fuel_burned=fuel,
            fuel_after=carried - fuel,
        ),
        TransferDeparted(
            region_id=region_id,
            at=now,
            player_id=player.id,
            transfer_id=command.transfer_id,
            sector_id=here,
            to_region_id=command.to_region_id,
            to_sector_id=to,
            toll=0,
            turns_cost=0,
            player=traveller,
        ),
    ]


# --- evolve --------------------------------------------------------------------------------------
def _burn(player: Player, fuel_after: int, at: float) -> None:
    if fuel_after > 0:
        player.ship.cargo[FUEL] = fuel_after
    else:
        player.ship.cargo.pop(FUEL, None)
    player.last_jump_at = at


def _jumped(state: RegionState, e: PlayerJumped) -> None:
    player = state.players[e.player_id]
    _burn(player, e.fuel_after, e.at)
    left = player.sector_id
    player.sector_id = e.sector_id
    state.player_placed(player, left)
    player.explored.add(e.sector_id)
    _discovery.mark_discovered(state, e.sector_id, e.player_id, e.at)


def _jump_departed(state: RegionState, e: JumpDeparted) -> None:
    player = state.players.get(e.player_id)
    if player is not None:  # the TransferDeparted after it takes them out of the region
        _burn(player, e.fuel_after, e.at)


register_decider(Jump, decide_jump)
register_evolver(PlayerJumped, _jumped)
register_evolver(JumpDeparted, _jump_departed)
