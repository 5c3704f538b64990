"""Treasury payouts: credits paid from a region's treasury to a player, wherever they are.

A region's treasury lives in that region's state; a player's credits live in the state of the
region the player is in. Paying one from the other spans two single-writer aggregates, so it
is a saga with an idempotent transfer id (``ARCHITECTURE.md``, Sagas between aggregates), in
three steps, each an event of one region:

1. **start** at the source (:func:`decide_start_payout` -> ``TreasuryPayoutStarted``): the
   amount leaves the treasury and is held in ``RegionState.payouts_out`` until step 3
   (refused with ``treasury_insufficient`` when the treasury holds less);
2. **credit** at the region the player is in (:func:`decide_credit_payout` ->
   ``PayoutCredited``), at most once per transfer id: the credit is recorded in that region's
   ``transfers_in`` as :data:`PAID`, so a repeated delivery decides nothing;
3. **settle** at the source (:func:`decide_settle_payout` -> ``TreasuryPayoutSettled``):
   outcome :data:`PAID` closes the payout; outcome :data:`RETURNED` (the player is in no
   region) puts the amount back into the treasury. The outcome is kept in
   ``RegionState.payouts_done``, so starting a settled transfer id again is a no-op.

At every moment each credit is in exactly one place: with a player, in a treasury, or in a
payout not yet credited (:func:`payouts_in_flight`). The engine side is
:class:`starlane.engine.payout.TreasuryPayouts`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from starlane.domain.commands import Command
from starlane.domain.errors import (
    DomainError,
    InvalidCommandError,
    InvalidQuantityError,
    RegionSuspendedError,
    UnknownPlayerError,
)
from starlane.domain.events import Event, register_event
from starlane.domain.model import PendingPayout, Player, RegionState
from starlane.domain.rules import register_decider, register_evolver

__all__ = [
    "PAID",
    "RETURNED",
    "WITHDRAW",
    "CreditPayout",
    "PayoutCredited",
    "SettlePayout",
    "StartPayout",
    "TreasuryInsufficientError",
    "TreasuryPayoutSettled",
    "TreasuryPayoutStarted",
    "decide_credit_payout",
    "decide_settle_payout",
    "decide_start_payout",
    "payout_started",
    "payouts_in_flight",
]

PAID = "paid"
"""Outcome of a payout credited to its player (also its ``transfers_in`` value there)."""
RETURNED = "returned"
"""Outcome of a payout whose player is in no region: the amount went back to the treasury."""
WITHDRAW = "withdraw"
"""The ``reason`` of a governor's withdrawal from the treasury to their own credits."""


class TreasuryInsufficientError(DomainError):
    """The region's treasury holds less than the amount to pay."""

    code = "treasury_insufficient"
    kind = "conflict"


# --- commands ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StartPayout(Command):
    """Take ``amount`` out of this region's treasury for a player (saga step 1).

    Attributes:
        player_id: the player to pay (in any region).
        transfer_id: the payout's idempotent id.
        amount: credits, > 0.
        reason: why (``withdraw``, ``starting_credits``, ``closure``...).
        when_inactive: decide it even while the region is suspended or closed (an operator's
            closure pays the treasury out); otherwise such a region refuses.
    """

    name: ClassVar[str] = "start_payout"
    transfer_id: str
    amount: int
    reason: str
    when_inactive: bool = False


@dataclass(frozen=True, slots=True)
class CreditPayout(Command):
    """Credit a payout to a player of this region (saga step 2), at most once per transfer id.

    Attributes:
        player_id: the player paid.
        transfer_id: the payout's id.
        amount: credits.
        from_region_id: the region whose treasury pays.
    """

    name: ClassVar[str] = "credit_payout"
    transfer_id: str
    amount: int
    from_region_id: int


@dataclass(frozen=True, slots=True)
class SettlePayout(Command):
    """Close a payout at its source (saga step 3).

    Attributes:
        player_id: the player paid.
        transfer_id: the payout's id.
        outcome: :data:`PAID` or :data:`RETURNED`.
    """

    name: ClassVar[str] = "settle_payout"
    transfer_id: str
    outcome: str


# --- events -----------------------------------------------------------------------------------
@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class TreasuryPayoutStarted(Event):
    """Credits left the treasury for a player (recorded by the paying region).

    Attributes:
        player_id: the player paid.
        transfer_id: the payout's id.
        amount: credits taken out.
        reason: why.
        treasury_after: the treasury after, credits.
    """

    type: ClassVar[str] = "treasury_payout_started"
    player_id: int
    transfer_id: str
    amount: int
    reason: str
    treasury_after: int


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class PayoutCredited(Event):
    """A treasury payout reached its player (recorded by the region the player is in).

    Attributes:
        player_id: the player paid.
        transfer_id: the payout's id.
        amount: credits received.
        from_region_id: the region whose treasury paid.
        credits_after: the player's credits after.
    """

    type: ClassVar[str] = "payout_credited"
    player_id: int
    transfer_id: str
    amount: int
    from_region_id: int
    credits_after: int


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class TreasuryPayoutSettled(Event):
    """A payout closed at its source (recorded by the paying region).

    Attributes:
        player_id: the player paid.
        transfer_id: the payout's id.
        outcome: :data:`PAID` or :data:`RETURNED` (the amount is back in the treasury).
        amount: the payout's credits.
        treasury_after: the treasury after, credits.
    """

    type: ClassVar[str] = "treasury_payout_settled"
    player_id: int
    transfer_id: str
    outcome: str
    amount: int
    treasury_after: int


# --- rules ------------------------------------------------------------------------------------
def payout_started(
    state: RegionState, player_id: int, transfer_id: str, amount: int, reason: str, now: float
) -> TreasuryPayoutStarted:
    """The event that starts a payout from this region's treasury (shared by every decider that
    pays out, e.g. a new citizen's starting credits).

    Args:
        state: the paying region.
        player_id: the player to pay.
        transfer_id: the payout's id.
        amount: credits, > 0.
        reason: why.
        now: unix seconds.

    Returns:
        The ``TreasuryPayoutStarted`` event.

    Raises:
        InvalidQuantityError: ``amount`` is not positive.
        TreasuryInsufficientError: the treasury holds less than ``amount``.
    """
    if amount <= 0:
        raise InvalidQuantityError(f"a payout is a positive amount, not {amount}", amount=amount)
    treasury = state.region.treasury
    if treasury < amount:
        raise TreasuryInsufficientError(
            f"the treasury of {state.region.name} holds {treasury} credits, {amount} needed",
            needed=amount,
            available=treasury,
            region_id=state.region.id,
        )
    return TreasuryPayoutStarted(
        region_id=state.region.id,
        at=now,
        player_id=player_id,
        transfer_id=transfer_id,
        amount=amount,
        reason=reason,
        treasury_after=treasury - amount,
    )


def payouts_in_flight(state: RegionState, credited: Callable[[str], bool]) -> list[PendingPayout]:
    """The payouts of a region whose credit is not yet recorded anywhere.

    Their credits exist nowhere else: conservation sums count them.

    Args:
        state: the paying region.
        credited: ``credited(transfer_id)``: whether some region recorded the credit.

    Returns:
        The payouts in flight, by transfer id.
    """
    return [p for tid, p in sorted(state.payouts_out.items()) if not credited(tid)]


def decide_start_payout(
    state: RegionState, command: StartPayout, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide saga step 1: the amount leaves the treasury.

    Args:
        state: the paying region.
        command: the payout.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[]`` when this transfer id is already pending or settled (idempotent); else one
        ``TreasuryPayoutStarted``.

    Raises:
        RegionSuspendedError: the region is suspended or closed and ``when_inactive`` is False.
        InvalidQuantityError: ``amount`` is not positive.
        TreasuryInsufficientError: the treasury holds less than ``amount``.
    """
    tid = command.transfer_id
    if tid in state.payouts_out or tid in state.payouts_done:
        return []
    region = state.region
    if region.status != "active" and not command.when_inactive:
        raise RegionSuspendedError(
            f"region {region.name} is {region.status}", region_id=region.id, status=region.status
        )
    return [payout_started(state, command.player_id, tid, command.amount, command.reason, now)]


def decide_credit_payout(
    state: RegionState, command: CreditPayout, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide saga step 2: credit the player, at most once per transfer id.

    Args:
        state: the region the player is in (suspended regions decide too).
        command: the credit.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[]`` when this transfer id was already credited here; else one ``PayoutCredited``.

    Raises:
        UnknownPlayerError: the player is not in this region (nothing is recorded: the saga
            looks for them again).
        InvalidQuantityError: ``amount`` is not positive.
    """
    tid = command.transfer_id
    player = keyed_player(state, tid, command.player_id, command.amount, "a payout")
    if player is None:
        return []
    return [
        PayoutCredited(
            region_id=state.region.id,
            at=now,
            player_id=player.id,
            transfer_id=tid,
            amount=command.amount,
            from_region_id=command.from_region_id,
            credits_after=player.credits + command.amount,
        )
    ]


def decide_settle_payout(
    state: RegionState, command: SettlePayout, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide saga step 3: close the payout, or return its amount to the treasury.

    Args:
        state: the paying region (suspended regions settle too).
        command: the settlement.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[]`` when the payout is not pending (settled already); else one
        ``TreasuryPayoutSettled``.

    Raises:
        InvalidCommandError: an outcome other than :data:`PAID` or :data:`RETURNED`.
    """
    pending = state.payouts_out.get(command.transfer_id)
    if pending is None:
        return []
    if command.outcome not in (PAID, RETURNED):
        raise InvalidCommandError(f"unknown payout outcome {command.outcome!r}")
    treasury = state.region.treasury
    return [
        TreasuryPayoutSettled(
            region_id=state.region.id,
            at=now,
            player_id=pending.player_id,
            transfer_id=pending.transfer_id,
            outcome=command.outcome,
            amount=pending.amount,
            treasury_after=treasury + (pending.amount if command.outcome == RETURNED else 0),
        )
    ]


# --- keyed credits: one credit or debit per key, at most once ---------------------------------
def keyed_player(
    state: RegionState, key: str, player_id: int, amount: int, what: str
) -> Player | None:
    """The player a keyed credit or debit applies to, or None when ``key`` was applied here.

    The shared first step of every decider that moves a player's credits once per key
    (``RegionState.transfers_in``): payouts, guild deposits and withdrawals, scouting
    rewards.

    Args:
        state: the region the player is in.
        key: the idempotency key (a transfer or reward id).
        player_id: the player.
        amount: credits, must be positive.
        what: the operation's noun for the error message (``a payout``, ``a deposit``...).

    Returns:
        The player, or None when ``key`` is in ``state.transfers_in`` already.

    Raises:
        UnknownPlayerError: the player is not in this region (nothing is recorded).
        InvalidQuantityError: ``amount`` is not positive.
    """
    if key in state.transfers_in:
        return None
    player = state.players.get(player_id)
    if player is None:
        raise UnknownPlayerError(f"player {player_id} is not in this region", player_id=player_id)
    if amount <= 0:
        raise InvalidQuantityError(f"{what} is a positive amount, not {amount}")
    return player


def apply_keyed_credits(
    state: RegionState, player_id: int, credits_after: int, key: str, mark: str
) -> None:
    """Evolve a keyed credit or debit: the player's new credits, and the key marked applied.

    Args:
        state: the region.
        player_id: the player (gone from the region: only the key is marked).
        credits_after: the player's credits after the operation.
        key: the idempotency key.
        mark: the ``transfers_in`` value saying what the key did (``paid``, ...).
    """
    player = state.players.get(player_id)
    if player is not None:
        player.credits = credits_after
    state.transfers_in[key] = mark


# --- evolve -----------------------------------------------------------------------------------
def _started(state: RegionState, e: TreasuryPayoutStarted) -> None:
    state.region.treasury = e.treasury_after
    state.payouts_out[e.transfer_id] = PendingPayout(
        transfer_id=e.transfer_id, player_id=e.player_id, amount=e.amount, reason=e.reason, at=e.at
    )


def _credited(state: RegionState, e: PayoutCredited) -> None:
    apply_keyed_credits(state, e.player_id, e.credits_after, e.transfer_id, PAID)


def _settled(state: RegionState, e: TreasuryPayoutSettled) -> None:
    state.payouts_out.pop(e.transfer_id, None)
    state.payouts_done[e.transfer_id] = e.outcome
    state.region.treasury = e.treasury_after


register_decider(StartPayout, decide_start_payout, saga_step=True)
register_decider(CreditPayout, decide_credit_payout, saga_step=True)
register_decider(SettlePayout, decide_settle_payout, saga_step=True)
register_evolver(TreasuryPayoutStarted, _started)
register_evolver(PayoutCredited, _credited)
register_evolver(TreasuryPayoutSettled, _settled)
