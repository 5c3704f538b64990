"""The player, sectors, movement and combat."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from starlane.api.schemas.common import (
    MAX_ID,
    ApiModel,
    CommodityKey,
    Id,
    RequestModel,
    WholeNumber,
)


# --- player -------------------------------------------------------------------------------
class ShipOut(ApiModel):
    """A player's ship and its stats.

    Attributes:
        type, type_name, name: the ship type key, its display name, the ship's own name.
        holds, free_holds: cargo holds in total and not taken by cargo.
        fighters, shields, hull: current combat strength.
        max_fighters, max_holds: most fighters it can carry, most holds it can be fitted with.
        move_turns: turns per warp (times the warp's cost).
        cargo: commodity key -> units carried.
    """

    type: str
    type_name: str
    name: str
    holds: int
    free_holds: int
    fighters: int
    shields: int
    hull: int
    max_fighters: int
    max_holds: int
    move_turns: int
    cargo: dict[CommodityKey, int]


class TurnsOut(ApiModel):
    """A player's turns now (regeneration applied lazily).

    Attributes:
        available: turns available now.
        max: regeneration stops at this many.
        per_day: turns regenerated per 86,400 s.
        next_at: unix seconds at which the next turn arrives; None at the maximum.
    """

    available: int
    max: int
    per_day: int
    next_at: float | None


class MeOut(ApiModel):
    """``GET /api/v1/me``: the caller's player."""

    id: Id
    name: str
    roles: list[str]
    membership: str = Field(
        description="the tier in force now: `free` or `galactic_citizen` (a lapsed Galactic "
        "Citizen is `free`)"
    )
    membership_expires_at: str | None = Field(
        description="when the paid period ends (RFC 3339), null for no end"
    )
    membership_grace_until: str | None = Field(
        description="when a failed payment's grace period ends (RFC 3339), null if none"
    )
    credits: int
    turns: TurnsOut
    region_id: Id
    region_name: str
    sector_id: Id
    sector_number: int
    ship: ShipOut
    explored_count: int


# --- sectors ------------------------------------------------------------------------------
class WarpOut(ApiModel):
    """A warp out of a sector.

    Attributes:
        to_sector_id: the sector it leads to.
        turn_cost: warp cost in turns for a ship of 1 move turn (1, +1 per hazard end); the
            ``MeOut.ship.move_turns`` multiplier applies.
        discovered: whether the viewer has discovered the destination.
    """

    to_sector_id: Id
    turn_cost: int
    discovered: bool


class PortSummary(ApiModel):
    """The port in a sector, in short."""

    id: Id
    name: str
    port_class: int
    class_code: str
    buys: list[CommodityKey]
    sells: list[CommodityKey]
    stardock: bool


class PlanetOut(ApiModel):
    """A planet."""

    id: Id
    name: str
    kind: str


class PirateOut(ApiModel):
    """An NPC pirate present in a sector (attack it with ``target_kind="pirate"``)."""

    id: Id
    name: str
    fighters: int
    shields: int
    hull: int


class ShipPresent(ApiModel):
    """Another player's ship in the sector (names only, and the id to target it)."""

    player_id: Id
    player_name: str
    ship_name: str
    ship_type: str


class GateOut(ApiModel):
    """A warp gate to another region."""

    to_region_id: Id
    to_sector_id: Id
    toll: int = Field(description="credits a passage costs: the destination's toll plus the gate's")
    turn_cost: int = 3
    to_region_name: str | None = None
    immigration: str | None = Field(default=None, description="open, permit or closed")


class Discoverer(ApiModel):
    """The first player who entered a sector."""

    player_id: Id
    player_name: str
    at: float = Field(description="unix seconds of the discovery")


class SectorOut(ApiModel):
    """``GET /api/v1/sectors/{id}``: a discovered sector."""

    id: Id
    region_id: Id
    number: int
    x: float
    y: float
    z: float
    cluster: int
    hazard: str | None
    district: str | None
    piracy: int
    warps: list[WarpOut]
    port: PortSummary | None
    planets: list[PlanetOut]
    pirates: list[PirateOut]
    ships: list[ShipPresent]
    gate: GateOut | None
    discovered_by: Discoverer | None = Field(
        default=None, description="the first player who entered the sector; null while none has"
    )


# --- movement -----------------------------------------------------------------------------
class MoveRequest(RequestModel):
    """``POST /api/v1/me/move``: one warp."""

    to_sector_id: WholeNumber = Field(ge=1, le=MAX_ID)


class MoveResult(ApiModel):
    """The outcome of a move (also one step of an autopilot run)."""

    from_sector_id: Id
    sector_id: Id
    turns_spent: int
    turns_left: int
    first_visit: bool


class MoveResponse(MoveResult):
    """``POST /api/v1/me/move``: the move (or gate passage) and the sector arrived in."""

    sector: SectorOut
    region_id: Id = Field(description="the region the player is in after the move")
    toll_paid: int = Field(default=0, description="credits paid to pass a gate")


class AutopilotRequest(RequestModel):
    """``POST /api/v1/me/autopilot``: plan (``execute=false``) or fly a route."""

    to_sector_id: WholeNumber = Field(ge=1, le=MAX_ID)
    execute: bool = False


class AutopilotResponse(ApiModel):
    """A route and, when executed, the moves made.

    Attributes:
        path: sector ids from the current sector (first) to the destination (last).
        turn_cost: turns the whole route costs this ship.
        turns_available: the player's turns before flying.
        executed: whether the route was flown.
        moves: one entry per warp flown (empty when not executed).
        sector_id: the player's sector afterwards.
        turns_left: the player's turns afterwards.
    """

    path: list[Id]
    turn_cost: int
    turns_available: int
    executed: bool
    moves: list[MoveResult]
    sector_id: Id
    turns_left: int
    region_id: Id | None = Field(default=None, description="the region the player is in after")


class ScanResponse(ApiModel):
    """``POST /api/v1/me/scan``: the neighbouring sectors, now discovered."""

    sector_id: Id
    discovered: list[Id]
    neighbours: list[SectorOut]


# --- combat -------------------------------------------------------------------------------
class AttackRequest(RequestModel):
    """``POST /api/v1/me/attack``."""

    target_kind: Literal["pirate", "player"]
    target_id: WholeNumber = Field(ge=1, le=MAX_ID)


class StrengthOut(ApiModel):
    """Fighters, shields and hull."""

    fighters: int
    shields: int
    hull: int


class RoundOut(ApiModel):
    """One combat round: damage dealt by each side."""

    attacker_damage: int
    target_damage: int


class CombatReport(ApiModel):
    """The report of an attack.

    Attributes:
        winner: ``attacker``, ``target`` or ``none`` (both survived).
        loot: credits the winner took from the loser.
        ship_destroyed: the attacker's ship was destroyed (they now fly an escape pod).
        target_destroyed: the target was destroyed.
    """

    target_kind: Literal["pirate", "player"]
    target_id: Id
    rounds: list[RoundOut]
    attacker_after: StrengthOut
    target_after: StrengthOut
    winner: Literal["attacker", "target", "none"]
    loot: int
    credits_after: int
    turns_left: int
    ship_destroyed: bool
    target_destroyed: bool
