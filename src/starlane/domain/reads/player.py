"""The player's own view: their ship, turns, credits and place (``GET /me``).

The player always sees themselves, so no fog of war applies here. Read models are
``TypedDict``s: plain dicts at run time, encoded to JSON as they are.
"""

from __future__ import annotations

from typing import TypedDict

from starlane.domain.membership import MembershipTerms, rfc3339
from starlane.domain.model import Player, RegionState, Ship
from starlane.domain.movement import current_turns, next_turn_at


class ShipView(TypedDict):
    """A ship and its type's statistics.

    Attributes:
        type, type_name, name: the ship type key, its display name, the ship's own name.
        holds, free_holds: cargo holds in total and not taken by cargo.
        fighters, shields, hull: current combat strength.
        max_fighters, max_holds: most fighters it can carry, most holds it can be fitted with.
        move_turns: turns per warp (times the warp's cost).
        cargo: commodity key -> units carried (commodities with none left out).
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
    cargo: dict[str, int]


class TurnsView(TypedDict):
    """A player's turns at an instant (regeneration applied lazily).

    Attributes:
        available: turns available now.
        max: regeneration stops at this many.
        per_day: turns regenerated per 86,400 s.
        next_at: unix seconds of the next regenerated turn; None at the maximum.
    """

    available: int
    max: int
    per_day: int
    next_at: float | None


class MeView(TypedDict):
    """A player as they see themselves.

    Attributes:
        id, name: player id (= account id) and name.
        roles: the account's roles.
        membership: the tier in force now, ``free`` or ``galactic_citizen`` (a lapsed
            Galactic Citizen is ``free``).
        membership_expires_at: when the paid period ends (RFC 3339), None for no end.
        membership_grace_until: when a failed payment's grace period ends (RFC 3339), None.
        credits: credits carried.
        turns: turns now.
        region_id, region_name: the region the player is in.
        sector_id, sector_number: the sector the player is in (global id, number in region).
        ship: the player's ship.
        explored_count: sectors discovered.
    """

    id: int
    name: str
    roles: list[str]
    membership: str
    membership_expires_at: str | None
    membership_grace_until: str | None
    credits: int
    turns: TurnsView
    region_id: int
    region_name: str
    sector_id: int
    sector_number: int
    ship: ShipView
    explored_count: int


def ship_view(ship: Ship) -> ShipView:
    """A ship as its owner sees it.

    Args:
        ship: the ship.

    Returns:
        The ship view.
    """
    spec = ship.spec
    return {
        "type": ship.type,
        "type_name": spec.name,
        "name": ship.name,
        "holds": ship.holds,
        "free_holds": ship.free_holds,
        "fighters": ship.fighters,
        "shields": ship.shields,
        "hull": ship.hull,
        "max_fighters": spec.max_fighters,
        "max_holds": spec.max_holds,
        "move_turns": spec.move_turns,
        "cargo": {k: v for k, v in ship.cargo.items() if v > 0},
    }


def me_view(
    player: Player,
    state: RegionState,
    roles: tuple[str, ...],
    now: float,
    terms: MembershipTerms | None = None,
) -> MeView:
    """A player as they see themselves, turns regenerated up to ``now``.

    Args:
        player: the player.
        state: the region the player is in (its name and rule numbers).
        roles: the player's account roles.
        now: unix seconds.
        terms: the account's membership terms (None: the tier the player was created with,
            no end).

    Returns:
        The player view (``sector_number`` 0 when the sector is not in ``state``).
    """
    rules = state.rules
    membership = terms if terms is not None else MembershipTerms(player.membership)
    turns, _ = current_turns(player, now, rules)
    sector = state.sectors.get(player.sector_id)
    return {
        "id": player.id,
        "name": player.name,
        "roles": list(roles),
        "membership": membership.api_tier(now),
        "membership_expires_at": rfc3339(membership.expires_at),
        "membership_grace_until": rfc3339(membership.grace_until),
        "credits": player.credits,
        "turns": {
            "available": turns,
            "max": rules.max_turns,
            "per_day": rules.turns_per_day,
            "next_at": next_turn_at(player, now, rules),
        },
        "region_id": player.region_id,
        "region_name": state.region.name,
        "sector_id": player.sector_id,
        "sector_number": sector.number if sector else 0,
        "ship": ship_view(player.ship),
        "explored_count": len(player.explored),
    }
