"""Game commands: what a player (or the platform) asks a region to do.

Commands are small frozen dataclasses. The API validates their shape at the edge; the rules
(:func:`starlane.domain.rules.decide`) validate them against the state and either return the
events that record the outcome or raise a :class:`~starlane.domain.errors.DomainError`.
Every command names the ``player_id`` acting, so the engine can route it to the region the
player is in and the API can refuse acting for someone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from starlane.domain.data import Hardware, Membership, Side
from starlane.domain.model import PendingTransfer


@dataclass(frozen=True, slots=True)
class Command:
    """Base class of all commands.

    Attributes:
        player_id: the acting player.
    """

    name: ClassVar[str] = "command"
    player_id: int


@dataclass(frozen=True, slots=True)
class SpawnPlayer(Command):
    """Enter a new player into the galaxy at Sol (Terran Space).

    Attributes:
        player_name: display name of the player (the account's username).
        membership: free or Galactic Citizen.
    """

    name: ClassVar[str] = "spawn"
    player_name: str
    membership: Membership = Membership.FREE


@dataclass(frozen=True, slots=True)
class Move(Command):
    """Move along one warp from the player's sector.

    Attributes:
        to_sector_id: the global id of an adjacent sector.
    """

    name: ClassVar[str] = "move"
    to_sector_id: int


@dataclass(frozen=True, slots=True)
class Autopilot(Command):
    """Travel to a sector of the same region along the path of least turn cost.

    Refused up front, with nothing moved, when the player's turns do not cover the whole path.

    Attributes:
        to_sector_id: the global id of the destination sector.
    """

    name: ClassVar[str] = "autopilot"
    to_sector_id: int


@dataclass(frozen=True, slots=True)
class Scan(Command):
    """Scan the neighbouring sectors: each adjacent sector becomes discovered (fog of war)."""

    name: ClassVar[str] = "scan"


@dataclass(frozen=True, slots=True)
class Trade(Command):
    """Buy from or sell to the port in the player's sector.

    Attributes:
        port_id: the port (its id equals its sector id).
        commodity: a commodity key.
        side: ``buy`` (player buys from a selling port) or ``sell``.
        quantity: whole units, at least 1.
        max_unit_price: when buying, refuse if the mean unit price is above this (credits);
            when selling, refuse if it is below this. None = no guard.
        home_region_id: the trader's home region when this region has a trade agreement
            with it (filled in by the router; it lowers the tax), else None.
    """

    name: ClassVar[str] = "trade"
    port_id: int
    commodity: str
    side: Side
    quantity: int
    max_unit_price: float | None = None
    home_region_id: int | None = None


@dataclass(frozen=True, slots=True)
class BuyShip(Command):
    """Buy a new ship at a StarDock, trading the current one in.

    Attributes:
        ship_type: a key of ``SHIP_TYPES``.
        ship_name: the new ship's name; None keeps the current name.
        citizen: whether the buyer is a Galactic Citizen now, as the caller found it from the
            account's membership terms (which lapse by time, outside the region's state);
            None: the tier the player holds in the region's state.
    """

    name: ClassVar[str] = "buy_ship"
    ship_type: str
    ship_name: str | None = None
    citizen: bool | None = None


@dataclass(frozen=True, slots=True)
class BuyHardware(Command):
    """Buy StarDock hardware: fighters, extra cargo holds or shield points.

    Attributes:
        item: what to buy (:class:`~starlane.domain.data.Hardware`).
        quantity: units to buy, at least 1 (fighters, holds or shield points).
    """

    name: ClassVar[str] = "buy_hardware"
    item: Hardware
    quantity: int


@dataclass(frozen=True, slots=True)
class RepairHull(Command):
    """Repair the ship's hull to full at a StarDock."""

    name: ClassVar[str] = "repair_hull"


@dataclass(frozen=True, slots=True)
class Attack(Command):
    """Attack an NPC pirate or another player's ship in the same sector.

    Attributes:
        target_kind: ``"pirate"`` or ``"player"``.
        target_id: the pirate id or the player id.
    """

    name: ClassVar[str] = "attack"
    target_kind: str
    target_id: int


@dataclass(frozen=True, slots=True)
class AdjustCredits(Command):
    """An operator adds credits to, or removes credits from, a player (an admin action).

    Attributes:
        delta: credits to add (negative to remove); never 0.
        actor_id: the admin's account id.
        justification: the admin's reason (recorded in the event and the audit log).
    """

    name: ClassVar[str] = "adjust_credits"
    delta: int
    actor_id: int
    justification: str


# --- gate passage between regions (the saga's steps; see starlane.domain.travel) -----------
@dataclass(frozen=True, slots=True)
class Depart(Command):
    """Leave the region through the gate in the player's sector (saga step 1, at the source).

    The engine fills in the destination's terms, read from the destination region just before.

    Attributes:
        to_sector_id: the global id of the sector at the other end of the gate.
        transfer_id: the saga's idempotent id.
        to_region_id: the destination region.
        region_toll: the destination region's ``gate_toll`` (credits).
        toll_discount_pct: percent off ``region_toll`` under a trade agreement between the
            destination and the player's home region (:mod:`starlane.domain.diplomacy`).
        discount_until: unix seconds the agreement expires; the discount applies when the
            departure is decided before then.
    """

    name: ClassVar[str] = "depart"
    to_sector_id: int
    transfer_id: str
    to_region_id: int
    region_toll: int
    toll_discount_pct: int = 0
    discount_until: float = 0.0


@dataclass(frozen=True, slots=True)
class Arrive(Command):
    """Enter the region through a gate (saga step 2, at the destination; at most once per id).

    Attributes:
        transfer_id: the saga's idempotent id.
        from_region_id: the region the player left.
        to_sector_id: the sector the gate arrives in.
        carried: the departure's carried state (:class:`~starlane.domain.model.PendingTransfer`).
        home_region_id: the player's home region, None when they have none (a region hostile
            to it may refuse them, :mod:`starlane.domain.diplomacy`).
    """

    name: ClassVar[str] = "arrive"
    transfer_id: str
    from_region_id: int
    to_sector_id: int
    carried: PendingTransfer
    home_region_id: int | None = None


@dataclass(frozen=True, slots=True)
class SettleTransfer(Command):
    """Settle a departure at the source once the destination has decided (saga step 3).

    Attributes:
        transfer_id: the saga's idempotent id.
        outcome: ``"arrived"`` (the departure is closed) or ``"refused"`` (compensation: the
            player is put back at the gate sector, toll and turns refunded).
        reason: the destination's refusal code when refused (``immigration_refused``, ...).
    """

    name: ClassVar[str] = "settle_transfer"
    transfer_id: str
    outcome: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CloseTransfers(Command):
    """Close, in one event, departures whose arrival the destinations recorded (saga step 3
    for admitted passages, batched; ``player_id`` is 0: the platform acts).

    Attributes:
        transfer_ids: the transfers to close (ids not pending any more are skipped).
    """

    name: ClassVar[str] = "close_transfers"
    transfer_ids: tuple[str, ...]
