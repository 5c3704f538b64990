"""Domain errors: every refused command raises one, with a stable machine-readable ``code``.

A :class:`DomainError` means "the rules refuse this command" and guarantees that nothing was
changed. Each subclass fixes its ``code`` (stable: clients match on it) and its ``kind``, which
the API maps to an HTTP status:

=============  ======  ==========================================================
kind           status  meaning
=============  ======  ==========================================================
``invalid``    422     the command itself is malformed or absurd (bad quantity)
``not_found``  404     the thing named does not exist (or is not visible)
``forbidden``  403     the player may not do this (membership, policy, PvP off)
``conflict``   409     allowed in general, but not in the current state
=============  ======  ==========================================================
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A command refused by the game rules. Nothing was changed.

    Attributes:
        code: stable machine-readable error code (``"insufficient_turns"``).
        kind: ``invalid``, ``not_found``, ``forbidden`` or ``conflict``.
        detail: a human-readable explanation naming the numbers involved.
        context: extra machine-readable facts (``{"needed": 3, "available": 1}``).
    """

    code: ClassVar[str] = "domain_error"
    kind: ClassVar[str] = "conflict"

    def __init__(self, detail: str, **context: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.context = context

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code}: {self.detail})"


# --- invalid: the command is malformed ------------------------------------------------------
class InvalidQuantityError(DomainError):
    """A quantity that is zero, negative or absurdly large."""

    code = "invalid_quantity"
    kind = "invalid"


class UnknownCommodityError(DomainError):
    """A commodity key that is not in the commodity table."""

    code = "unknown_commodity"
    kind = "invalid"


class UnknownShipTypeError(DomainError):
    """A ship type key that is not in the ship table."""

    code = "unknown_ship_type"
    kind = "invalid"


class InvalidCommandError(DomainError):
    """A command this region cannot interpret (wrong type or inconsistent fields)."""

    code = "invalid_command"
    kind = "invalid"


# --- not_found ----------------------------------------------------------------------------
class UnknownPlayerError(DomainError):
    """The player is not in this region."""

    code = "unknown_player"
    kind = "not_found"


class UnknownSectorError(DomainError):
    """The sector does not exist in this region."""

    code = "unknown_sector"
    kind = "not_found"


class UnknownPortError(DomainError):
    """The port does not exist."""

    code = "unknown_port"
    kind = "not_found"


class UnknownTargetError(DomainError):
    """The attack target does not exist (or was already destroyed)."""

    code = "unknown_target"
    kind = "not_found"


class NoRouteError(DomainError):
    """No path of warps and gates leads to the destination."""

    code = "no_route"
    kind = "not_found"


# --- forbidden ----------------------------------------------------------------------------
class PvpForbiddenError(DomainError):
    """Player-versus-player combat is off in this region (always in Terran Space)."""

    code = "pvp_forbidden"
    kind = "forbidden"


class CitizensOnlyError(DomainError):
    """Only Galactic Citizens may do this (own a Warp Jumper, build a gate, own a region)."""

    code = "citizens_only"
    kind = "forbidden"


class ImmigrationRefusedError(DomainError):
    """The destination region's immigration policy does not admit the player."""

    code = "immigration_refused"
    kind = "forbidden"


class RegionSuspendedError(DomainError):
    """The region is suspended by an operator and takes no game commands."""

    code = "region_suspended"
    kind = "forbidden"


# --- conflict: not in the current state ------------------------------------------------------
class InsufficientTurnsError(DomainError):
    """The player has fewer turns than the action costs."""

    code = "insufficient_turns"
    kind = "conflict"


class InsufficientCreditsError(DomainError):
    """The player has fewer credits than the action costs."""

    code = "insufficient_credits"
    kind = "conflict"


class NotAdjacentError(DomainError):
    """No warp leads from the player's sector to the requested one."""

    code = "not_adjacent"
    kind = "conflict"


class AlreadyThereError(DomainError):
    """The player is already in the requested sector."""

    code = "already_there"
    kind = "conflict"


class NotInSectorError(DomainError):
    """The port or target is not in the player's current sector."""

    code = "not_in_sector"
    kind = "conflict"


class PortDoesNotTradeError(DomainError):
    """The port does not trade that commodity in that direction."""

    code = "port_does_not_trade"
    kind = "conflict"


class PortOutOfStockError(DomainError):
    """The port has fewer units in stock than the player wants to buy."""

    code = "port_out_of_stock"
    kind = "conflict"


class PortDemandExhaustedError(DomainError):
    """The port wants fewer units than the player offers to sell."""

    code = "port_demand_exhausted"
    kind = "conflict"


class InsufficientHoldsError(DomainError):
    """Not enough free holds for the cargo."""

    code = "insufficient_holds"
    kind = "conflict"


class InsufficientCargoError(DomainError):
    """The player carries fewer units of the commodity than they offer to sell."""

    code = "insufficient_cargo"
    kind = "conflict"


class PriceMovedError(DomainError):
    """The unit price moved past the player's ``max_unit_price`` (or below their minimum)."""

    code = "price_moved"
    kind = "conflict"


class NotAStardockError(DomainError):
    """StarDock purchases need a StarDock in the player's sector."""

    code = "not_a_stardock"
    kind = "conflict"


class CapacityExceededError(DomainError):
    """The ship cannot carry that many fighters or holds."""

    code = "capacity_exceeded"
    kind = "conflict"


class NothingToRepairError(DomainError):
    """The ship's hull is already whole."""

    code = "nothing_to_repair"
    kind = "conflict"


class CargoWouldNotFitError(DomainError):
    """The new ship has too few holds for the cargo carried."""

    code = "cargo_would_not_fit"
    kind = "conflict"


class PlayerExistsError(DomainError):
    """The player is already in the galaxy."""

    code = "player_exists"
    kind = "conflict"


class CannotAttackSelfError(DomainError):
    """A player cannot attack their own ship."""

    code = "cannot_attack_self"
    kind = "conflict"


class NoGateError(DomainError):
    """No warp gate stands in the player's sector."""

    code = "no_gate"
    kind = "conflict"


class InTransitError(DomainError):
    """The player is passing a gate between regions and takes no other command until
    the passage is settled."""

    code = "in_transit"
    kind = "conflict"


ALL_ERRORS: tuple[type[DomainError], ...] = tuple(
    cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, DomainError)
)
"""Every domain error class, for documentation and for tests that each code is unique."""
