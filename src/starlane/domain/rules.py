"""The region's state machine: :func:`decide` (command -> events) and :func:`evolve`.

``decide(state, command, now, rng)`` validates a command against the state and returns the
events recording its outcome, or raises a :class:`~starlane.domain.errors.DomainError` with a
stable code and changes nothing. Every random draw is made here and carried in the events.

``evolve(state, event)`` applies one event: it never fails for an event ``decide`` produced
for this state, draws no randomness and copies the absolute values the event carries (credits
after, turns after, stock after), so replaying stored events is exact. It does not touch
``state.seq``; the engine sets it to the stored seq of the last event applied.

The concept modules hold the rules themselves: :mod:`~starlane.domain.movement`,
:mod:`~starlane.domain.economy`, :mod:`~starlane.domain.stardock`,
:mod:`~starlane.domain.combat`; new players spawn here (:func:`decide_spawn`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import Any

from starlane.domain.combat import PIRATE, decide_attack
from starlane.domain.commands import (
    AdjustCredits,
    Attack,
    Autopilot,
    BuyHardware,
    BuyShip,
    Command,
    Move,
    RepairHull,
    Scan,
    SpawnPlayer,
    Trade,
)
from starlane.domain.data import ESCAPE_POD, SHIP_TYPES, STARTER_SHIP, Hardware
from starlane.domain.economy import decide_trade
from starlane.domain.errors import (
    InsufficientCreditsError,
    InvalidCommandError,
    InvalidQuantityError,
    PlayerExistsError,
    RegionSuspendedError,
    UnknownPlayerError,
)
from starlane.domain.events import (
    CombatResolved,
    CreditsAdjusted,
    Event,
    HardwareBought,
    HullRepaired,
    PirateDestroyed,
    PlayerMoved,
    PlayerSpawned,
    PortTraded,
    SectorsScanned,
    ShipBought,
    ShipDestroyed,
)
from starlane.domain.model import SOL_SECTOR_ID, Player, PortStock, RegionState, Ship
from starlane.domain.movement import decide_autopilot, decide_move, decide_scan
from starlane.domain.stardock import decide_buy_hardware, decide_buy_ship, decide_repair_hull
from starlane.domain.travel import DECIDERS as _TRAVEL_DECIDERS
from starlane.domain.travel import EVOLVERS as _TRAVEL_EVOLVERS
from starlane.domain.travel import SAGA_COMMANDS as _SAGA_COMMANDS


def decide_spawn(
    state: RegionState, command: SpawnPlayer, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a new player's entry at Sol with the starting credits, turns and ship.

    Args:
        state: the region (it must hold Sol, i.e. be Terran Space).
        command: the spawn.
        now: unix seconds.
        rng: unused (no randomness); accepted so every decider has one signature.

    Returns:
        One ``PlayerSpawned``.

    Raises:
        PlayerExistsError: the player is already in this region.
        InvalidCommandError: this region does not hold Sol.
    """
    if command.player_id in state.players:
        raise PlayerExistsError(
            f"player {command.player_id} is already in the galaxy", player_id=command.player_id
        )
    if SOL_SECTOR_ID not in state.sectors:
        raise InvalidCommandError("new players spawn at Sol, which is not in this region")
    rules = state.rules
    return [
        PlayerSpawned(
            region_id=state.region.id,
            at=now,
            player_id=command.player_id,
            player_name=command.player_name,
            sector_id=SOL_SECTOR_ID,
            credits=rules.start_credits,
            turns=rules.start_turns,
            ship_type=STARTER_SHIP,
            ship_name=SHIP_TYPES[STARTER_SHIP].name,
            membership=command.membership,
        )
    ]


_Decider = Callable[[RegionState, Any, float, random.Random], list[Event]]

_DECIDERS: dict[type[Command], _Decider] = {
    Move: decide_move,
    Trade: decide_trade,
    Autopilot: decide_autopilot,
    Scan: decide_scan,
    SpawnPlayer: decide_spawn,
    BuyShip: decide_buy_ship,
    BuyHardware: decide_buy_hardware,
    RepairHull: decide_repair_hull,
    Attack: decide_attack,
    **_TRAVEL_DECIDERS,
}


_SAGA_STEPS: set[type[Command]] = set(_SAGA_COMMANDS)
"""Command types a suspended region still decides (saga steps owed to another aggregate)."""


def register_decider(
    command_type: type[Command], handler: _Decider, *, saga_step: bool = False
) -> None:
    """Let another domain module (travel, governance, ...) decide its own command type.

    Args:
        command_type: the command class.
        handler: ``handler(state, command, now, rng) -> list[Event]``; raises ``DomainError``.
        saga_step: the command is a step of a saga between aggregates, decided even while the
            region is suspended (the handler checks the region's status itself if it must).
    """
    _DECIDERS[command_type] = handler
    if saga_step:
        _SAGA_STEPS.add(command_type)


def allow_while_suspended(command_type: type[Command]) -> None:
    """Let a suspended or closing region decide a command type (leaving, operator actions).

    Args:
        command_type: the command class.
    """
    _SAGA_STEPS.add(command_type)


def decide(state: RegionState, command: Command, now: float, rng: random.Random) -> list[Event]:
    """Validate a command against the region's state and return the events it produces.

    Args:
        state: the region (not modified).
        command: the command.
        now: unix seconds (the time of decision, stamped on every event as ``at``).
        rng: the source of every random draw (combat).

    Returns:
        The events, in the order they must be applied.

    Raises:
        DomainError: a subclass with a stable ``code`` when the rules refuse the command;
            ``region_suspended`` while an operator has suspended (or is closing) the region,
            except for the commands that let players leave and the operator's own
            (:func:`allow_while_suspended`, :mod:`~starlane.domain.region_admin`), and
            ``invalid_command`` for a command type this region does not handle.
    """
    if not state.region.active and type(command) not in _SAGA_STEPS:
        raise RegionSuspendedError(
            f"region {state.region.name} is {state.region.status}",
            region_id=state.region.id,
            status=state.region.status,
        )
    handler = _DECIDERS.get(type(command))
    if handler is None:
        raise InvalidCommandError(f"command {command.name!r} is not handled by a region")
    return handler(state, command, now, rng)


# --- evolve -----------------------------------------------------------------------------------
def _spawned(state: RegionState, e: PlayerSpawned) -> None:
    player = state.players[e.player_id] = Player(
        id=e.player_id,
        name=e.player_name,
        region_id=e.region_id,
        sector_id=e.sector_id,
        credits=e.credits,
        turns=e.turns,
        turns_at=e.at,
        ship=Ship.new(e.ship_type, e.ship_name),
        membership=e.membership,
        explored={e.sector_id},
        joined_at=e.at,
    )
    state.player_placed(player, None)


def _moved(state: RegionState, e: PlayerMoved) -> None:
    p = state.players[e.player_id]
    left = p.sector_id
    p.sector_id = e.sector_id
    state.player_placed(p, left)
    p.turns = e.turns_left
    p.turns_at = e.turns_at
    p.explored.add(e.sector_id)


def _scanned(state: RegionState, e: SectorsScanned) -> None:
    state.players[e.player_id].explored.update(e.discovered)


def _traded(state: RegionState, e: PortTraded) -> None:
    p = state.players[e.player_id]
    p.credits = e.credits_after
    p.turns = e.turns_left
    p.turns_at = e.turns_at
    cargo = p.ship.cargo
    if e.cargo_after > 0:
        cargo[e.commodity] = e.cargo_after
    else:
        cargo.pop(e.commodity, None)
    port = state.ports[e.port_id]
    stock = port.stock
    for k, q in e.port_stock_after.items():
        held = stock.get(k)
        if held is None:
            stock[k] = PortStock(q, 0)
        else:
            held.quantity = q
    port.updated_at = e.at
    port.credits = e.port_credits_after
    state.region.treasury = e.treasury_after


def _ship_bought(state: RegionState, e: ShipBought) -> None:
    p = state.players[e.player_id]
    p.credits = e.credits_after
    p.ship = Ship(e.ship_type, e.ship_name, e.holds, e.fighters, e.shields, e.hull, dict(e.cargo))


def _hardware_bought(state: RegionState, e: HardwareBought) -> None:
    p = state.players[e.player_id]
    p.credits = e.credits_after
    ship = p.ship
    if e.item == Hardware.FIGHTERS:
        ship.fighters = e.units_after
    elif e.item == Hardware.HOLDS:
        ship.holds = e.units_after
    else:
        ship.shields = e.units_after


def _hull_repaired(state: RegionState, e: HullRepaired) -> None:
    p = state.players[e.player_id]
    p.credits = e.credits_after
    p.ship.hull = e.hull_after


def _combat(state: RegionState, e: CombatResolved) -> None:
    p = state.players[e.player_id]
    p.credits = e.attacker_credits_after
    p.turns = e.turns_left
    p.turns_at = e.turns_at
    a = e.attacker_after
    s = p.ship
    s.fighters, s.shields, s.hull = a.fighters, a.shields, a.hull
    t = e.target_after
    if e.target_kind == PIRATE:
        pirate = state.pirates[e.target_id]
        pirate.fighters, pirate.shields, pirate.hull = t.fighters, t.shields, t.hull
        pirate.credits = e.target_credits_after
        pirate.destroyed_at = None
    else:
        other = state.players[e.target_id]
        other.credits = e.target_credits_after
        ts = other.ship
        ts.fighters, ts.shields, ts.hull = t.fighters, t.shields, t.hull


def _ship_destroyed(state: RegionState, e: ShipDestroyed) -> None:
    p = state.players[e.player_id]
    p.ship = Ship.new(ESCAPE_POD, p.ship.name)


def _pirate_destroyed(state: RegionState, e: PirateDestroyed) -> None:
    pirate = state.pirates[e.pirate_id]
    pirate.destroyed_at = e.at
    pirate.hull = 0


_EVOLVERS: dict[type[Event], Callable[[RegionState, Any], None]] = {
    PlayerMoved: _moved,
    PortTraded: _traded,
    PlayerSpawned: _spawned,
    SectorsScanned: _scanned,
    ShipBought: _ship_bought,
    HardwareBought: _hardware_bought,
    HullRepaired: _hull_repaired,
    CombatResolved: _combat,
    ShipDestroyed: _ship_destroyed,
    PirateDestroyed: _pirate_destroyed,
    **_TRAVEL_EVOLVERS,
}


def register_evolver(event_type: type[Event], handler: Callable[[RegionState, Any], None]) -> None:
    """Let another domain module (travel, governance, ...) apply its own event type.

    Args:
        event_type: the event class.
        handler: ``handler(state, event)``; must never fail and never draw randomness.
    """
    _EVOLVERS[event_type] = handler


def chain_evolver(event_type: type[Event], after: Callable[[RegionState, Any], None]) -> None:
    """Run ``after`` once an event type's own evolver has applied it (derived state such as
    sector discoveries, :mod:`~starlane.domain.discovery`).

    Args:
        event_type: an event class that already has an evolver.
        after: ``after(state, event)``; must never fail and never draw randomness.
    """
    first = _EVOLVERS[event_type]

    def both(state: RegionState, event: Any) -> None:
        first(state, event)
        after(state, event)

    _EVOLVERS[event_type] = both


def decider_of(command_type: type[Command]) -> _Decider:
    """The decider registered for a command type (so a module can extend it).

    Args:
        command_type: the command class.

    Returns:
        Its decider.

    Raises:
        KeyError: no decider is registered for it.
    """
    return _DECIDERS[command_type]


def evolve(state: RegionState, event: Event) -> None:
    """Apply one event to the region's state (never fails, no randomness, ``seq`` untouched).

    Args:
        state: the region, changed in place.
        event: an event ``decide`` produced for this state (or one decoded from the store).
            Events of a type this module has no handler for are ignored.
    """
    handler = _EVOLVERS.get(type(event))
    if handler is not None:
        handler(state, event)


def apply_all(state: RegionState, events: Iterable[Event]) -> None:
    """Apply events in order (see :func:`evolve`).

    Args:
        state: the region, changed in place.
        events: the events.
    """
    evolvers = _EVOLVERS
    for event in events:
        handler = evolvers.get(type(event))
        if handler is not None:
            handler(state, event)


# --- operator actions -------------------------------------------------------------------------
def decide_adjust_credits(
    state: RegionState, command: AdjustCredits, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide an operator's credit adjustment.

    Args:
        state: the player's region.
        command: the adjustment (``delta`` in credits).
        now: unix seconds.
        rng: unused.

    Returns:
        One ``CreditsAdjusted``.

    Raises:
        UnknownPlayerError: the player is not in this region.
        InvalidQuantityError: ``delta`` is 0.
        InsufficientCreditsError: the player would have fewer than 0 credits.
    """
    player = state.players.get(command.player_id)
    if player is None:
        raise UnknownPlayerError(f"player {command.player_id} is not in this region")
    if command.delta == 0:
        raise InvalidQuantityError("a credit adjustment is never 0")
    after = player.credits + command.delta
    if after < 0:
        raise InsufficientCreditsError(
            f"removing {-command.delta} credits would leave {after}",
            needed=-command.delta,
            available=player.credits,
        )
    return [
        CreditsAdjusted(
            region_id=state.region.id,
            at=now,
            player_id=command.player_id,
            delta=command.delta,
            credits_after=after,
            actor_id=command.actor_id,
            justification=command.justification,
        )
    ]


def _credits_adjusted(state: RegionState, e: CreditsAdjusted) -> None:
    state.players[e.player_id].credits = e.credits_after


register_decider(AdjustCredits, decide_adjust_credits)
register_evolver(CreditsAdjusted, _credits_adjusted)

# Domain modules that register their own commands and events (imported last: they import this
# module's registration functions).
from starlane.domain import citizenship as _citizenship  # noqa: E402, F401
from starlane.domain import diplomacy as _diplomacy  # noqa: E402, F401
from starlane.domain import discovery as _discovery  # noqa: E402, F401
from starlane.domain import gates as _gates  # noqa: E402, F401
from starlane.domain import guild_transfers as _guild_transfers  # noqa: E402, F401
from starlane.domain import jumps as _jumps  # noqa: E402, F401
from starlane.domain import policies as _policies  # noqa: E402, F401
from starlane.domain import proposals as _proposals  # noqa: E402, F401
from starlane.domain import region_admin as _region_admin  # noqa: E402, F401
from starlane.domain import scouting as _scouting  # noqa: E402, F401
from starlane.domain import terminals as _terminals  # noqa: E402, F401
from starlane.domain import treasury as _treasury  # noqa: E402, F401
