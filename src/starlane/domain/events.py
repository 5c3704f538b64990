"""Domain events: the facts a region records, and the only thing that changes its state.

Events are frozen keyword-only dataclasses. Each class has a stable ``type`` name and a
``version``; the stored form is JSON of the fields (see :mod:`starlane.domain.codec`). An event
carries every outcome of the command that produced it, including random draws and the
resulting absolute values (credits after, turns after, stock after), so
:func:`starlane.domain.rules.evolve` only copies facts and a replay is exact.

Routing conventions (used by the engine, the bus and the WebSocket feeds): every event has
``region_id`` and ``at`` (unix seconds); an event about a player has ``player_id``; an event that
happens somewhere has ``sector_id``.

Changing an event's shape means a new class version plus an upcaster in
:mod:`starlane.domain.codec`, never an edit of a stored shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from starlane.domain.data import Hardware, Membership, Side
from starlane.domain.model import Player


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base class of all domain events.

    Attributes:
        region_id: the region that recorded the event.
        at: unix seconds at which the command was decided.
    """

    type: ClassVar[str] = "event"
    version: ClassVar[int] = 1
    region_id: int
    at: float


# --- players ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class PlayerSpawned(Event):
    """A new player entered the galaxy (at Sol, with the starting credits, turns and ship)."""

    type: ClassVar[str] = "player_spawned"
    player_id: int
    player_name: str
    sector_id: int
    credits: int
    turns: int
    ship_type: str
    ship_name: str
    membership: Membership


@dataclass(frozen=True, slots=True, kw_only=True)
class PlayerMoved(Event):
    """A player moved along one warp (autopilot records one event per warp).

    Attributes:
        from_sector_id: the sector left.
        sector_id: the sector entered.
        turns_spent: turns the warp cost.
        turns_left: the player's turns after the move.
        turns_at: the player's turn-regeneration reference time after the move.
        first_visit: the player had not discovered ``sector_id`` before.
    """

    type: ClassVar[str] = "player_moved"
    player_id: int
    from_sector_id: int
    sector_id: int
    turns_spent: int
    turns_left: int
    turns_at: float
    first_visit: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SectorsScanned(Event):
    """A player scanned the neighbouring sectors and discovered those listed."""

    type: ClassVar[str] = "sectors_scanned"
    player_id: int
    sector_id: int
    discovered: tuple[int, ...]


# --- trade --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class PortTraded(Event):
    """A trade between a player and a port, with every resulting balance.

    Attributes:
        port_id: the port (= ``sector_id``).
        commodity, side, units: what was traded (``side`` from the player's view).
        unit_price: the mean unit price, credits (before tax).
        total: trade value, credits (``round(unit_price * units)``), before tax.
        tax: tax on the trade value paid to the region treasury, credits.
        credits_after: the player's credits after the trade.
        cargo_after: units of ``commodity`` the player carries after the trade.
        port_stock_after: the port's quantity of every commodity it trades, after the trade
            (regeneration up to ``at`` included).
        port_credits_after: the port's ledger after the trade.
        treasury_after: the region treasury after the trade.
        turns_left, turns_at: the player's turns after the trade.
    """

    type: ClassVar[str] = "port_traded"
    player_id: int
    port_id: int
    sector_id: int
    commodity: str
    side: Side
    units: int
    unit_price: float
    total: int
    tax: int
    credits_after: int
    cargo_after: int
    port_stock_after: dict[str, float] = field(default_factory=dict)
    port_credits_after: int
    treasury_after: int
    turns_left: int
    turns_at: float


# --- StarDock -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class ShipBought(Event):
    """A player bought a new ship at a StarDock, trading the old one in.

    Attributes:
        ship_type, ship_name: the new ship.
        price: the new ship's cost, credits.
        trade_in: credits refunded for the old ship.
        credits_after: the player's credits after the purchase.
        holds, fighters, shields, hull: the new ship's fitting.
        cargo: the cargo carried over to the new ship.
    """

    type: ClassVar[str] = "ship_bought"
    player_id: int
    sector_id: int
    ship_type: str
    ship_name: str
    price: int
    trade_in: int
    credits_after: int
    holds: int
    fighters: int
    shields: int
    hull: int
    cargo: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class HardwareBought(Event):
    """A player bought StarDock hardware: fighters, extra cargo holds or shield points.

    Stored events of the earlier per-item types (``fighters_bought``, ``holds_bought``,
    ``shields_bought``, version 1) are read as this event (upcasters in
    :mod:`starlane.domain.codec`).

    Attributes:
        item: what was bought.
        quantity: units bought.
        price: credits paid (``quantity`` times the item's unit price).
        credits_after: the player's credits after the purchase.
        units_after: the ship's units of ``item`` after the purchase.
    """

    type: ClassVar[str] = "hardware_bought"
    player_id: int
    sector_id: int
    item: Hardware
    quantity: int
    price: int
    credits_after: int
    units_after: int


@dataclass(frozen=True, slots=True, kw_only=True)
class HullRepaired(Event):
    """A player had their ship's hull repaired at a StarDock.

    Attributes:
        points: hull points repaired.
        price: credits paid.
    """

    type: ClassVar[str] = "hull_repaired"
    player_id: int
    sector_id: int
    points: int
    price: int
    credits_after: int
    hull_after: int


# --- combat -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CombatRound:
    """One round of combat: the damage each side dealt (drawn when the attack was decided)."""

    attacker_damage: int
    target_damage: int


@dataclass(frozen=True, slots=True)
class Strength:
    """A combatant's fighters, shields and hull."""

    fighters: int
    shields: int
    hull: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CombatResolved(Event):
    """An attack was fought out; its rounds and outcome are recorded here.

    Attributes:
        player_id: the attacker.
        target_kind: ``"pirate"`` or ``"player"``.
        target_id: pirate id or player id.
        rounds: the rounds fought (at most ``GameRules.max_combat_rounds``).
        attacker_after, target_after: strengths after the fight.
        winner: ``"attacker"``, ``"target"`` or ``"none"`` (both survived).
        loot: credits the winner took from the loser.
        attacker_credits_after, target_credits_after: balances after the loot.
        turns_left, turns_at: the attacker's turns after the attack.
    """

    type: ClassVar[str] = "combat_resolved"
    player_id: int
    sector_id: int
    target_kind: str
    target_id: int
    rounds: tuple[CombatRound, ...]
    attacker_after: Strength
    target_after: Strength
    winner: str
    loot: int
    attacker_credits_after: int
    target_credits_after: int
    turns_left: int
    turns_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ShipDestroyed(Event):
    """A player's ship was destroyed: its cargo is lost and the owner flies an escape pod.

    Attributes:
        player_id: the owner of the destroyed ship.
        ship_type: the type of the destroyed ship.
        cargo_lost: the cargo that was lost with it.
        by_kind, by_id: who destroyed it (``"pirate"`` or ``"player"``, and the id).
    """

    type: ClassVar[str] = "ship_destroyed"
    player_id: int
    sector_id: int
    ship_type: str
    cargo_lost: dict[str, int] = field(default_factory=dict)
    by_kind: str
    by_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PirateDestroyed(Event):
    """An NPC pirate was destroyed; it respawns after ``GameRules.pirate_respawn_seconds``."""

    type: ClassVar[str] = "pirate_destroyed"
    pirate_id: int
    sector_id: int
    by_player_id: int


# --- gate passage between regions (a saga; see starlane.domain.travel) ----------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class TransferDeparted(Event):
    """A player left the region through a gate (saga step 1, recorded at the source).

    The player leaves the region's players and is held in its transfers in flight until the
    destination decides.

    Attributes:
        transfer_id: the saga's idempotent id.
        sector_id: the gate sector the player left from.
        to_region_id: the destination region.
        to_sector_id: the sector the gate arrives in.
        toll: credits paid for the passage (destination toll plus the gate's own), owed to the
            destination's treasury.
        turns_cost: turns the passage cost.
        player: the player as they travel: ship, cargo, explored sectors, credits and turns
            after paying.
    """

    type: ClassVar[str] = "transfer_departed"
    player_id: int
    transfer_id: str
    sector_id: int
    to_region_id: int
    to_sector_id: int
    toll: int
    turns_cost: int
    player: Player


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferArrived(Event):
    """A player entered the region through a gate (saga step 2, at the destination, once).

    Attributes:
        transfer_id: the saga's idempotent id.
        from_region_id: the region the player left.
        sector_id: the sector the player arrived in.
        toll: credits paid into this region's treasury.
        treasury_after: the region's treasury after the toll (credits).
        first_visit: the player had not discovered ``sector_id`` before.
        player: the player as they arrive (region and sector set to the arrival).
    """

    type: ClassVar[str] = "transfer_arrived"
    player_id: int
    transfer_id: str
    from_region_id: int
    sector_id: int
    toll: int
    treasury_after: int
    first_visit: bool
    player: Player


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferRefused(Event):
    """The destination refused an arrival (saga step 2, at the destination, once).

    Attributes:
        transfer_id: the saga's idempotent id.
        from_region_id: the region the player left (which compensates).
        reason: the refusal code (``immigration_refused``, ``region_suspended``, ...).
    """

    type: ClassVar[str] = "transfer_refused"
    player_id: int
    transfer_id: str
    from_region_id: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferCompleted(Event):
    """The source closed a departure the destination admitted (saga step 3)."""

    type: ClassVar[str] = "transfer_completed"
    player_id: int
    transfer_id: str
    to_region_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TransfersClosed(Event):
    """The source closed departures the destinations admitted, several at once (saga step 3).

    Attributes:
        transfer_ids: the closed transfers.
    """

    type: ClassVar[str] = "transfers_closed"
    transfer_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferCompensated(Event):
    """The destination refused: the player is back at the gate sector (saga step 3).

    Attributes:
        transfer_id: the saga's idempotent id.
        sector_id: the gate sector the player is put back in.
        credits_after: the player's credits with the toll refunded.
        turns_after: the player's turns with the passage's turns refunded.
        reason: the destination's refusal code.
    """

    type: ClassVar[str] = "transfer_compensated"
    player_id: int
    transfer_id: str
    sector_id: int
    credits_after: int
    turns_after: int
    reason: str


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as the event store recorded it: the envelope every consumer receives.

    Attributes:
        position: global, monotonically increasing position in the event store (consumers
            checkpoint on it).
        region_id: the region whose stream holds the event.
        seq: the event's sequence number in its region's stream (1, 2, 3, ...).
        actor_id: the player (account) whose command produced the event, None for the platform.
        event: the domain event.
    """

    position: int
    region_id: int
    seq: int
    actor_id: int | None
    event: Event

    kind: ClassVar[str] = "region_event"
    """The bus message kind of every region event (see :mod:`starlane.domain.envelope`)."""

    @property
    def subject(self) -> str:
        """The bus subject: ``region.<region_id>``."""
        return f"region.{self.region_id}"

    @property
    def payload(self) -> Event:
        """The bus payload: the domain event."""
        return self.event


EVENT_TYPES: dict[str, type[Event]] = {}
"""Event ``type`` name -> class, for decoding. Filled by :func:`register_event`."""


def register_event(cls: type[Event]) -> type[Event]:
    """Add an event class to :data:`EVENT_TYPES` (usable as a decorator).

    Args:
        cls: an :class:`Event` subclass with a unique ``type``.

    Returns:
        ``cls`` unchanged.

    Raises:
        ValueError: another class already uses that ``type`` name.
    """
    existing = EVENT_TYPES.get(cls.type)
    if existing is not None and existing is not cls:
        raise ValueError(f"event type {cls.type!r} registered twice")
    EVENT_TYPES[cls.type] = cls
    return cls


for _cls in (
    PlayerSpawned,
    PlayerMoved,
    SectorsScanned,
    PortTraded,
    ShipBought,
    HardwareBought,
    HullRepaired,
    CombatResolved,
    ShipDestroyed,
    PirateDestroyed,
    TransferDeparted,
    TransferArrived,
    TransferRefused,
    TransferCompleted,
    TransferCompensated,
    TransfersClosed,
):
    register_event(_cls)


# --- operator actions ---------------------------------------------------------------------
@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class CreditsAdjusted(Event):
    """An operator changed a player's credits (``AdjustCredits``).

    Attributes:
        player_id: the player.
        delta: credits added (negative: removed).
        credits_after: the player's credits afterwards (never negative).
        actor_id: the admin's account id.
        justification: the admin's reason.
    """

    type: ClassVar[str] = "credits_adjusted"
    player_id: int
    delta: int
    credits_after: int
    actor_id: int
    justification: str
