"""Citizenship of a region: a player's one home region, and the starting credits it pays once.

A player may make one region their home (``GAME.md``, Multi-regional play): at once where its
immigration is ``open``, with a permit where it is ``permit`` (its governor needs none), never
where it is ``closed`` (``citizenship_refused``). A region suspended or closed by an operator
takes no new citizens (``region_suspended``).

**Starting credits.** A new citizen receives the region's ``starting_credits`` once per
(player, region), ever (``Region.welcomed``): a region funds its own welcome, so the credits
are paid FROM ITS TREASURY through the payout saga (:mod:`starlane.domain.treasury`); the
grant and the start of that payout are one batch of events. A treasury that cannot pay the
full amount refuses the citizenship (``treasury_insufficient``) and nothing changes.

**Moving home** spans two regions (two single-writer aggregates), so it is an idempotent
two-step with recovery, the new home first:

1. at the new region B, :class:`GrantCitizenship` -> ``CitizenshipGranted`` adds the player to
   B's citizens and, when they were a citizen of A, records ``B.joining[player] = A``;
2. at A, :class:`LeaveCitizenship` -> ``CitizenshipLeft`` removes them (a no-op when they are
   not a citizen of A);
3. at B, :class:`CloseCitizenshipMove` -> ``CitizenshipMoveClosed`` forgets ``joining``.

A crash between the steps leaves ``B.joining`` set; start-up finishes steps 2 and 3 from it
(:class:`starlane.engine.citizenship.CitizenshipMoves`), so the galaxy ends with one home.
Giving citizenship up is step 2 alone (``to_region_id`` None).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

from starlane.domain.commands import Command
from starlane.domain.data import Immigration
from starlane.domain.errors import DomainError, RegionSuspendedError
from starlane.domain.events import Event, register_event
from starlane.domain.model import Region, RegionState
from starlane.domain.rules import register_decider, register_evolver
from starlane.domain.treasury import payout_started

__all__ = [
    "STARTING_CREDITS",
    "CitizenshipGranted",
    "CitizenshipLeft",
    "CitizenshipMoveClosed",
    "CitizenshipRefusedError",
    "CloseCitizenshipMove",
    "GrantCitizenship",
    "LeaveCitizenship",
    "check_citizenship",
    "decide_close_move",
    "decide_grant",
    "decide_leave",
    "welcome_credits",
]

STARTING_CREDITS = "starting_credits"
"""The ``reason`` of the payout that pays a new citizen's starting credits."""


class CitizenshipRefusedError(DomainError):
    """The region's immigration policy does not take this player as a citizen."""

    code = "citizenship_refused"
    kind = "forbidden"


# --- commands ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class GrantCitizenship(Command):
    """Make this region the player's home (step 1 of a move).

    Attributes:
        player_id: the player.
        transfer_id: the id of the starting-credits payout, if one is owed.
        leaving_region_id: the region the player is a citizen of now, if any.
    """

    name: ClassVar[str] = "grant_citizenship"
    transfer_id: str
    leaving_region_id: int | None = None


@dataclass(frozen=True, slots=True)
class LeaveCitizenship(Command):
    """Remove the player from this region's citizens (step 2 of a move, or giving it up).

    Attributes:
        player_id: the player.
        to_region_id: their new home region, or None when they give citizenship up.
    """

    name: ClassVar[str] = "leave_citizenship"
    to_region_id: int | None = None


@dataclass(frozen=True, slots=True)
class CloseCitizenshipMove(Command):
    """Forget a finished move at the new home region (step 3).

    Attributes:
        player_id: the player.
    """

    name: ClassVar[str] = "close_citizenship_move"


# --- events -----------------------------------------------------------------------------------
@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class CitizenshipGranted(Event):
    """A player became a citizen of this region.

    Attributes:
        player_id: the new citizen.
        starting_credits: credits owed to them from the treasury (0 when none, or when they
            were welcomed here before); paid by the payout ``transfer_id`` recorded in the
            same batch.
        transfer_id: the payout's id ("" when nothing is paid).
        leaving_region_id: the region they were a citizen of, which removes them next.
    """

    type: ClassVar[str] = "citizenship_granted"
    player_id: int
    starting_credits: int
    transfer_id: str
    leaving_region_id: int | None = None


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class CitizenshipLeft(Event):
    """A player is no longer a citizen of this region.

    Attributes:
        player_id: the former citizen.
        to_region_id: their new home region, or None when they gave citizenship up.
    """

    type: ClassVar[str] = "citizenship_left"
    player_id: int
    to_region_id: int | None = None


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class CitizenshipMoveClosed(Event):
    """The region the player left has removed them: the move is finished.

    Attributes:
        player_id: the citizen.
        left_region_id: the region they left.
    """

    type: ClassVar[str] = "citizenship_move_closed"
    player_id: int
    left_region_id: int


# --- rules ------------------------------------------------------------------------------------
def check_citizenship(region: Region, player_id: int) -> None:
    """Refuse a citizenship the region would not grant.

    Args:
        region: the region asked.
        player_id: the player.

    Raises:
        RegionSuspendedError: the region is suspended or closed (``region_suspended``).
        CitizenshipRefusedError: immigration is ``closed``, or ``permit`` and the player has
            no permit (and is not its governor).
    """
    if region.status != "active":
        raise RegionSuspendedError(
            f"region {region.name} is {region.status} and takes no citizens",
            region_id=region.id,
            status=region.status,
        )
    policy = region.policy.immigration
    if policy == Immigration.OPEN:
        return
    if policy == Immigration.PERMIT and (
        player_id in region.permits or player_id == region.governor_id
    ):
        return
    raise CitizenshipRefusedError(
        f"region {region.name} ({policy} immigration) does not take player {player_id} "
        "as a citizen" + (" without a permit" if policy == Immigration.PERMIT else ""),
        region_id=region.id,
        immigration=str(policy),
    )


def welcome_credits(region: Region, player_id: int) -> int:
    """The starting credits a region owes a player who becomes its citizen now.

    Args:
        region: the region.
        player_id: the player.

    Returns:
        ``policy.starting_credits``, or 0 when the player was welcomed here before.
    """
    return 0 if player_id in region.welcomed else region.policy.starting_credits


def decide_grant(
    state: RegionState, command: GrantCitizenship, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a citizenship (step 1 of a move).

    Args:
        state: the region asked.
        command: the request.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[]`` when the player is a citizen already; else ``CitizenshipGranted``, followed by
        the ``TreasuryPayoutStarted`` of the starting credits when some are owed.

    Raises:
        RegionSuspendedError, CitizenshipRefusedError: see :func:`check_citizenship`.
        TreasuryInsufficientError: the treasury cannot pay the starting credits in full.
    """
    region = state.region
    player_id = command.player_id
    if player_id in region.citizens:
        return []
    check_citizenship(region, player_id)
    owed = welcome_credits(region, player_id)
    events: list[Event] = [
        CitizenshipGranted(
            region_id=region.id,
            at=now,
            player_id=player_id,
            starting_credits=owed,
            transfer_id=command.transfer_id if owed else "",
            leaving_region_id=command.leaving_region_id,
        )
    ]
    if owed:
        events.append(
            payout_started(state, player_id, command.transfer_id, owed, STARTING_CREDITS, now)
        )
    return events


def decide_leave(
    state: RegionState, command: LeaveCitizenship, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide the removal of a citizen (step 2; suspended regions decide it too).

    Args:
        state: the region left.
        command: the removal.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[]`` when the player is not a citizen here; else one ``CitizenshipLeft``.
    """
    if command.player_id not in state.region.citizens:
        return []
    return [
        CitizenshipLeft(
            region_id=state.region.id,
            at=now,
            player_id=command.player_id,
            to_region_id=command.to_region_id,
        )
    ]


def decide_close_move(
    state: RegionState, command: CloseCitizenshipMove, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide the end of a move at the new home (step 3; suspended regions decide it too).

    Args:
        state: the new home region.
        command: the closing.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[]`` when no move of the player is pending here; else one ``CitizenshipMoveClosed``.
    """
    left = state.region.joining.get(command.player_id)
    if left is None:
        return []
    return [
        CitizenshipMoveClosed(
            region_id=state.region.id, at=now, player_id=command.player_id, left_region_id=left
        )
    ]


# --- evolve -----------------------------------------------------------------------------------
def _granted(state: RegionState, e: CitizenshipGranted) -> None:
    region = state.region
    if e.player_id not in region.citizens:
        region.citizens.append(e.player_id)
        region.citizen_since[e.player_id] = e.at
    if e.player_id not in region.welcomed:
        region.welcomed.append(e.player_id)
    if e.leaving_region_id is not None:
        region.joining[e.player_id] = e.leaving_region_id


def _left(state: RegionState, e: CitizenshipLeft) -> None:
    citizens = state.region.citizens
    if e.player_id in citizens:
        citizens.remove(e.player_id)
    state.region.citizen_since.pop(e.player_id, None)


def _move_closed(state: RegionState, e: CitizenshipMoveClosed) -> None:
    state.region.joining.pop(e.player_id, None)


register_decider(GrantCitizenship, decide_grant)
register_decider(LeaveCitizenship, decide_leave, saga_step=True)
register_decider(CloseCitizenshipMove, decide_close_move, saga_step=True)
register_evolver(CitizenshipGranted, _granted)
register_evolver(CitizenshipLeft, _left)
register_evolver(CitizenshipMoveClosed, _move_closed)
