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
  their toll refunded); then, driven by :mod:`starlane.engine.closure`, the steps of
  :mod:`starlane.domain.region_closure`: the treasury to a governor inside, every player
  evacuated through the travel saga to the Nexus refugee-assistance district (a forced
  departure: no gate, turns or toll), and ``RegionClosed`` once the region is empty.

The Central Nexus and Terran Space are the platform's: they cannot be closed nor have a
governor (``platform_region``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

from starlane.domain.commands import AdjustCredits, Autopilot, Command, Depart, Move, Scan
from starlane.domain.data import RegionKind
from starlane.domain.errors import DomainError
from starlane.domain.events import Event, register_event
from starlane.domain.model import RegionState
from starlane.domain.rules import allow_while_suspended, register_decider, register_evolver

__all__ = [
    "AlreadyGovernorError",
    "AlreadySuspendedError",
    "BeginClosure",
    "ChangeGovernor",
    "GovernorChanged",
    "NotSuspendedError",
    "PlatformRegionError",
    "RegionClosedError",
    "RegionClosing",
    "RegionResumed",
    "RegionSuspended",
    "ResumeRegion",
    "SuspendRegion",
]


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


# --- helpers ------------------------------------------------------------------------------------
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

    Args:
        state: the region (not modified).
        command: the command.
        now: unix seconds.
        rng: unused.

    Returns:
        One ``RegionSuspended``.

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

    Args:
        state: the region (not modified).
        command: the command.
        now: unix seconds.
        rng: unused.

    Returns:
        One ``RegionResumed``.

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

    Args:
        state: the region (not modified).
        command: the command.
        now: unix seconds.
        rng: unused.

    Returns:
        One ``GovernorChanged`` (``before`` and ``after``).

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

    Args:
        state: the region (not modified).
        command: the command.
        now: unix seconds.
        rng: unused.

    Returns:
        One ``RegionClosing``.

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


for _command, _decider in (
    (SuspendRegion, decide_suspend),
    (ResumeRegion, decide_resume),
    (ChangeGovernor, decide_change_governor),
    (BeginClosure, decide_begin_closure),
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
):
    register_evolver(_event, _evolver)

# the closure's own steps (evacuation, treasury, the end)
from starlane.domain import region_closure as _region_closure  # noqa: E402, F401
