"""The operator's region controls as region events: suspend, resume, transfer, close.

Every operator command goes to the engine of the region it acts on (``player_id`` 0: the
platform acts; the admin is ``actor_id``) and is recorded in that region's own stream, with
the admin and their justification, so a replay rebuilds the region's status and governor and
the audit log can be reconciled from the events.

- :class:`SuspendRegion` -> :class:`RegionSuspended`: the region admits no one through its
  gates (``region_suspended``); players inside may still leave. A suspended region decides
  only: moves along warps, autopilot inside the region, scans, departures through a gate
  (:class:`~starlane.domain.commands.Move` across a gate is a ``Depart``), the saga's steps,
  operator credit adjustments and the commands of this module. Trades, purchases, combat and
  governor policy changes are refused with ``region_suspended``.
- :class:`ResumeRegion` -> :class:`RegionResumed`.
- :class:`ChangeGovernor` -> :class:`GovernorChanged` (before and after).
- The closure: :class:`BeginClosure` -> :class:`RegionClosing` (the region is ``closing``:
  no new passage toward it is admitted, the arrivals already on the way are taken in with
  their toll refunded); then, driven by :mod:`starlane.engine.closure`, the treasury to a
  governor inside (:class:`PayTreasury` -> :class:`ClosureTreasuryPaid`), every player
  evacuated through the travel saga (:class:`Evacuate`: a forced ``TransferDeparted`` to the
  Nexus refugee-assistance district, no gate, no turns, no toll); and :class:`FinishClosure`
  -> :class:`RegionClosed` once no player is inside and no departure is pending.

The Central Nexus and Terran Space are the platform's: they cannot be closed nor have a
governor (``platform_region``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

from starlane.domain.commands import AdjustCredits, Autopilot, Command, Depart, Move, Scan
from starlane.domain.data import RegionKind
from starlane.domain.errors import DomainError, InvalidCommandError, UnknownPlayerError
from starlane.domain.events import Event, TransferDeparted, register_event
from starlane.domain.model import RegionState
from starlane.domain.movement import current_turns
from starlane.domain.rules import allow_while_suspended, register_decider, register_evolver
from starlane.domain.travel import copy_player

__all__ = [
    "REFUGEE_DISTRICT",
    "AlreadyGovernorError",
    "AlreadySuspendedError",
    "BeginClosure",
    "ChangeGovernor",
    "ClosureTreasuryPaid",
    "Evacuate",
    "FinishClosure",
    "GovernorChanged",
    "NotSuspendedError",
    "PayTreasury",
    "PlatformRegionError",
    "RegionClosed",
    "RegionClosedError",
    "RegionClosing",
    "RegionNotEmptyError",
    "RegionResumed",
    "RegionSuspended",
    "ResumeRegion",
    "SuspendRegion",
    "refugee_sectors",
]

REFUGEE_DISTRICT = "refugee_assistance"
"""The Nexus district a closed region's players are relocated to (``GAME.md``)."""


# --- errors -------------------------------------------------------------------------------------
class AlreadySuspendedError(DomainError):
    """The region is suspended already."""

    code = "already_suspended"
    kind = "conflict"


class NotSuspendedError(DomainError):
    """The region is not suspended (nothing to resume)."""

    code = "not_suspended"
    kind = "conflict"


class RegionClosedError(DomainError):
    """The region is closed or closing: operators can no longer change it."""

    code = "region_closed"
    kind = "conflict"


class PlatformRegionError(DomainError):
    """The Central Nexus and Terran Space cannot be closed or given a governor."""

    code = "platform_region"
    kind = "conflict"


class AlreadyGovernorError(DomainError):
    """The account is the region's governor already."""

    code = "already_governor"
    kind = "conflict"


class RegionNotEmptyError(DomainError):
    """A closing region still holds players or pending departures (it cannot close yet)."""

    code = "region_not_empty"
    kind = "conflict"


# --- commands -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SuspendRegion(Command):
    """Suspend the region (``player_id`` 0).

    Attributes:
        actor_id: the admin's account id.
        justification: the admin's reason.
    """

    name: ClassVar[str] = "suspend_region"
    actor_id: int
    justification: str


@dataclass(frozen=True, slots=True)
class ResumeRegion(Command):
    """Resume a suspended region (``player_id`` 0).

    Attributes:
        actor_id: the admin's account id.
        justification: the admin's reason.
    """

    name: ClassVar[str] = "resume_region"
    actor_id: int
    justification: str


@dataclass(frozen=True, slots=True)
class ChangeGovernor(Command):
    """Give the region to another governor (``player_id`` 0).

    Attributes:
        governor_id: the new governor's account (= player) id.
        actor_id: the admin's account id.
        justification: the admin's reason.
    """

    name: ClassVar[str] = "change_governor"
    governor_id: int
    actor_id: int
    justification: str


@dataclass(frozen=True, slots=True)
class BeginClosure(Command):
    """Start closing the region (``player_id`` 0).

    Attributes:
        actor_id: the admin's account id.
        justification: the admin's reason.
    """

    name: ClassVar[str] = "begin_closure"
    actor_id: int
    justification: str


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


# --- events -------------------------------------------------------------------------------------
@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class RegionSuspended(Event):
    """An operator suspended the region.

    Attributes:
        actor_id: the admin.
        justification: their reason.
    """

    type: ClassVar[str] = "region_suspended"
    actor_id: int
    justification: str


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class RegionResumed(Event):
    """An operator resumed the region.

    Attributes:
        actor_id: the admin.
        justification: their reason.
    """

    type: ClassVar[str] = "region_resumed"
    actor_id: int
    justification: str


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class GovernorChanged(Event):
    """An operator gave the region to another governor.

    Attributes:
        before: the previous governor (None: none).
        after: the new governor.
        actor_id: the admin.
        justification: their reason.
    """

    type: ClassVar[str] = "governor_changed"
    before: int | None
    after: int
    actor_id: int
    justification: str


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class RegionClosing(Event):
    """An operator started closing the region (it is evacuated, then closed).

    Attributes:
        actor_id: the admin.
        justification: their reason.
        governor_id: the governor the treasury is owed to.
        treasury: the treasury when the closure started, credits.
        players: players in the region then.
        was_active: whether the region was active (not suspended) before.
    """

    type: ClassVar[str] = "region_closing"
    actor_id: int
    justification: str
    governor_id: int | None
    treasury: int
    players: int
    was_active: bool


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
        treasury: credits left in its treasury (owed to no one in the region: a governor
            outside is paid by the payout saga).
    """

    type: ClassVar[str] = "region_closed"
    treasury: int


# --- helpers ------------------------------------------------------------------------------------
def refugee_sectors(nexus: RegionState) -> list[int]:
    """The Nexus' refugee-assistance sectors, by id (any Nexus sector if it has none).

    Args:
        nexus: the Central Nexus.

    Returns:
        Sector ids, ascending.
    """
    found = sorted(s for s, sector in nexus.sectors.items() if sector.district == REFUGEE_DISTRICT)
    return found or sorted(nexus.sectors)


def _not_closed(state: RegionState) -> None:
    region = state.region
    if region.closed or region.closing:
        raise RegionClosedError(
            f"region {region.name} is {region.status}", region_id=region.id, status=region.status
        )


def _player_region(state: RegionState) -> None:
    region = state.region
    if region.kind is not RegionKind.PLAYER:
        raise PlatformRegionError(
            f"{region.name} is a platform region: it cannot be closed or transferred",
            region_id=region.id,
        )


# --- decide -------------------------------------------------------------------------------------
def decide_suspend(
    state: RegionState, command: SuspendRegion, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a suspension.

    Raises:
        RegionClosedError: the region is closing or closed.
        AlreadySuspendedError: it is suspended already.
    """
    _not_closed(state)
    if not state.region.active:
        raise AlreadySuspendedError(f"region {state.region.name} is suspended already")
    return [
        RegionSuspended(
            region_id=state.region.id,
            at=now,
            actor_id=command.actor_id,
            justification=command.justification,
        )
    ]


def decide_resume(
    state: RegionState, command: ResumeRegion, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a resumption.

    Raises:
        RegionClosedError: the region is closing or closed.
        NotSuspendedError: it is not suspended.
    """
    _not_closed(state)
    if state.region.active:
        raise NotSuspendedError(f"region {state.region.name} is not suspended")
    return [
        RegionResumed(
            region_id=state.region.id,
            at=now,
            actor_id=command.actor_id,
            justification=command.justification,
        )
    ]


def decide_change_governor(
    state: RegionState, command: ChangeGovernor, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a transfer to another governor (the caller checked the account exists).

    Raises:
        PlatformRegionError: Terran Space or the Nexus.
        RegionClosedError: the region is closing or closed.
        AlreadyGovernorError: that account governs it already.
    """
    _player_region(state)
    _not_closed(state)
    before = state.region.governor_id
    if before == command.governor_id:
        raise AlreadyGovernorError(
            f"player {command.governor_id} governs {state.region.name} already",
            governor_id=command.governor_id,
        )
    return [
        GovernorChanged(
            region_id=state.region.id,
            at=now,
            before=before,
            after=command.governor_id,
            actor_id=command.actor_id,
            justification=command.justification,
        )
    ]


def decide_begin_closure(
    state: RegionState, command: BeginClosure, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide the start of a closure.

    Raises:
        PlatformRegionError: Terran Space or the Nexus.
        RegionClosedError: the region is closing or closed already.
    """
    _player_region(state)
    _not_closed(state)
    region = state.region
    return [
        RegionClosing(
            region_id=region.id,
            at=now,
            actor_id=command.actor_id,
            justification=command.justification,
            governor_id=region.governor_id,
            treasury=region.treasury,
            players=len(state.players),
            was_active=region.active,
        )
    ]


def _closing(state: RegionState) -> None:
    if not state.region.closing:
        raise InvalidCommandError(f"region {state.region.name} is not closing")


def decide_pay_treasury(
    state: RegionState, command: PayTreasury, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide paying a closing region's treasury to its governor, in the region.

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

    Raises:
        InvalidCommandError: the region is not closing.
        RegionNotEmptyError: players are still in it or departures still pending.
    """
    _closing(state)
    if state.players or state.transfers_out:
        raise RegionNotEmptyError(
            f"region {state.region.name} still holds {len(state.players)} players and "
            f"{len(state.transfers_out)} pending departures",
            players=len(state.players),
            transfers=len(state.transfers_out),
        )
    return [RegionClosed(region_id=state.region.id, at=now, treasury=state.region.treasury)]


# --- evolve -------------------------------------------------------------------------------------
def _suspended(state: RegionState, e: RegionSuspended) -> None:
    state.region.active = False


def _resumed(state: RegionState, e: RegionResumed) -> None:
    state.region.active = True


def _governor_changed(state: RegionState, e: GovernorChanged) -> None:
    state.region.governor_id = e.after


def _closing_started(state: RegionState, e: RegionClosing) -> None:
    state.region.closing = True
    state.region.active = False


def _treasury_paid(state: RegionState, e: ClosureTreasuryPaid) -> None:
    state.players[e.player_id].credits = e.credits_after
    state.region.treasury -= e.amount


def _region_closed(state: RegionState, e: RegionClosed) -> None:
    state.region.closing = False
    state.region.closed = True
    state.region.active = False


for _command, _decider in (
    (SuspendRegion, decide_suspend),
    (ResumeRegion, decide_resume),
    (ChangeGovernor, decide_change_governor),
    (BeginClosure, decide_begin_closure),
    (PayTreasury, decide_pay_treasury),
    (Evacuate, decide_evacuate),
    (FinishClosure, decide_finish_closure),
):
    register_decider(_command, _decider)
    allow_while_suspended(_command)

# Players inside a suspended region may leave: along warps, by autopilot, through the gate.
_LEAVING: tuple[type[Command], ...] = (Move, Autopilot, Scan, Depart, AdjustCredits)
for _leaving in _LEAVING:
    allow_while_suspended(_leaving)

for _event, _evolver in (
    (RegionSuspended, _suspended),
    (RegionResumed, _resumed),
    (GovernorChanged, _governor_changed),
    (RegionClosing, _closing_started),
    (ClosureTreasuryPaid, _treasury_paid),
    (RegionClosed, _region_closed),
):
    register_evolver(_event, _evolver)
