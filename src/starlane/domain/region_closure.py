"""A closing region's own steps: the treasury to a governor inside, the evacuation, the end.

After an operator's :class:`~starlane.domain.region_admin.BeginClosure` (``RegionClosing``)
the region is ``closing``; the closure driver (:mod:`starlane.engine.closure`) then sends:

- :class:`PayTreasury` -> :class:`ClosureTreasuryPaid`: the treasury into the credits of a
  governor who is in the region, so it rides with them;
- :class:`Evacuate` -> the saga's own ``TransferDeparted`` (no gate, no turns, no toll) to the
  Nexus refugee-assistance district (:func:`refugee_sectors`), so the arrival, settlement and
  recovery at start-up are the gate passage's (idempotent transfer id, at most one arrival);
- :class:`FinishClosure` -> :class:`RegionClosed`, refused (``region_not_empty``) while a
  player is inside or a departure is pending.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

from starlane.domain.commands import Command
from starlane.domain.errors import DomainError, InvalidCommandError, UnknownPlayerError
from starlane.domain.events import Event, TransferDeparted, register_event
from starlane.domain.model import RegionState
from starlane.domain.movement import current_turns
from starlane.domain.rules import allow_while_suspended, register_decider, register_evolver
from starlane.domain.travel import copy_player

__all__ = [
    "REFUGEE_DISTRICT",
    "ClosureTreasuryPaid",
    "Evacuate",
    "FinishClosure",
    "PayTreasury",
    "RegionClosed",
    "RegionNotEmptyError",
    "decide_evacuate",
    "decide_finish_closure",
    "decide_pay_treasury",
    "refugee_sectors",
]

REFUGEE_DISTRICT = "refugee_assistance"
"""The Nexus district a closed region's players are relocated to (``GAME.md``)."""


class RegionNotEmptyError(DomainError):
    """A closing region still holds players or pending departures (it cannot close yet)."""

    code = "region_not_empty"
    kind = "conflict"


@dataclass(frozen=True, slots=True)
class PayTreasury(Command):
    """Pay a closing region's treasury to its governor, who is in the region (``player_id``)."""

    name: ClassVar[str] = "pay_closure_treasury"


@dataclass(frozen=True, slots=True)
class Evacuate(Command):
    """Relocate a player out of a closing region (a forced departure: no gate, turns or toll).

    Attributes:
        transfer_id: the saga's idempotent id.
        to_region_id: the destination (the Nexus).
        to_sector_id: the sector they arrive in (refugee-assistance district).
    """

    name: ClassVar[str] = "evacuate"
    transfer_id: str
    to_region_id: int
    to_sector_id: int


@dataclass(frozen=True, slots=True)
class FinishClosure(Command):
    """Record that a closing region is empty and closed (``player_id`` 0)."""

    name: ClassVar[str] = "finish_closure"


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class ClosureTreasuryPaid(Event):
    """A closing region's treasury was paid to its governor, who was in the region.

    Attributes:
        player_id: the governor.
        amount: credits paid.
        credits_after: the governor's credits after.
    """

    type: ClassVar[str] = "closure_treasury_paid"
    player_id: int
    amount: int
    credits_after: int


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class RegionClosed(Event):
    """The closing region is empty and closed for good.

    Attributes:
        treasury: credits left in its treasury (0 unless the governor was in no region
            when the closure ended).
    """

    type: ClassVar[str] = "region_closed"
    treasury: int


def refugee_sectors(nexus: RegionState) -> list[int]:
    """The Nexus' refugee-assistance sectors, by id (any Nexus sector if it has none).

    Args:
        nexus: the Central Nexus.

    Returns:
        Sector ids, ascending.
    """
    found = sorted(s for s, sector in nexus.sectors.items() if sector.district == REFUGEE_DISTRICT)
    return found or sorted(nexus.sectors)


def _closing(state: RegionState) -> None:
    if not state.region.closing:
        raise InvalidCommandError(f"region {state.region.name} is not closing")


def decide_pay_treasury(
    state: RegionState, command: PayTreasury, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide paying a closing region's treasury to its governor, in the region.

    Args:
        state: the region (not modified).
        command: the payment (``player_id``: the governor).
        now: unix seconds.
        rng: unused.

    Returns:
        ``[]`` when the treasury is empty; else one ``ClosureTreasuryPaid``.

    Raises:
        InvalidCommandError: the region is not closing, or the player is not its governor.
        UnknownPlayerError: the governor is not in the region.
    """
    _closing(state)
    region = state.region
    if command.player_id != region.governor_id:
        raise InvalidCommandError(f"player {command.player_id} is not the governor")
    player = state.players.get(command.player_id)
    if player is None:
        raise UnknownPlayerError(f"player {command.player_id} is not in this region")
    if region.treasury <= 0:
        return []
    return [
        ClosureTreasuryPaid(
            region_id=region.id,
            at=now,
            player_id=player.id,
            amount=region.treasury,
            credits_after=player.credits + region.treasury,
        )
    ]


def decide_evacuate(
    state: RegionState, command: Evacuate, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a forced departure out of a closing region (saga step 1, free of charge).

    The event is the saga's own ``TransferDeparted`` (toll 0, turns 0), so the arrival, the
    settlement and the recovery at start-up are the gate passage's.

    Args:
        state: the region (not modified).
        command: the command.
        now: unix seconds.
        rng: unused.

    Returns:
        One ``TransferDeparted`` (toll 0, turns 0).

    Raises:
        InvalidCommandError: the region is not closing, or the transfer id is in use.
        UnknownPlayerError: the player is not in the region.
    """
    _closing(state)
    player = state.players.get(command.player_id)
    if player is None:
        raise UnknownPlayerError(
            f"player {command.player_id} is not in this region", player_id=command.player_id
        )
    if command.transfer_id in state.transfers_out or command.transfer_id in state.transfers_in:
        raise InvalidCommandError(f"transfer {command.transfer_id} already exists")
    carried = copy_player(player)
    carried.turns, carried.turns_at = current_turns(player, now, state.rules)
    return [
        TransferDeparted(
            region_id=state.region.id,
            at=now,
            player_id=player.id,
            transfer_id=command.transfer_id,
            sector_id=player.sector_id,
            to_region_id=command.to_region_id,
            to_sector_id=command.to_sector_id,
            toll=0,
            turns_cost=0,
            player=carried,
        )
    ]


def decide_finish_closure(
    state: RegionState, command: FinishClosure, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide that a closing region is closed.

    Args:
        state: the region (not modified).
        command: the command.
        now: unix seconds.
        rng: unused.

    Returns:
        One ``RegionClosed``.

    Raises:
        InvalidCommandError: the region is not closing.
        RegionNotEmptyError: players are still in it or departures still pending.
    """
    _closing(state)
    if state.players or state.transfers_out or state.payouts_out:
        raise RegionNotEmptyError(
            f"region {state.region.name} still holds {len(state.players)} players, "
            f"{len(state.transfers_out)} pending departures and {len(state.payouts_out)} "
            "pending payouts",
            players=len(state.players),
            transfers=len(state.transfers_out),
            payouts=len(state.payouts_out),
        )
    return [RegionClosed(region_id=state.region.id, at=now, treasury=state.region.treasury)]


def _treasury_paid(state: RegionState, e: ClosureTreasuryPaid) -> None:
    state.players[e.player_id].credits = e.credits_after
    state.region.treasury -= e.amount


def _region_closed(state: RegionState, e: RegionClosed) -> None:
    state.region.closing = False
    state.region.closed = True
    state.region.active = False


for _command, _decider in (
    (PayTreasury, decide_pay_treasury),
    (Evacuate, decide_evacuate),
    (FinishClosure, decide_finish_closure),
):
    register_decider(_command, _decider)
    allow_while_suspended(_command)

register_evolver(ClosureTreasuryPaid, _treasury_paid)
register_evolver(RegionClosed, _region_closed)
