"""The region side of a guild treasury transfer: debit or credit a player, once per transfer id.

A guild's treasury is a relational row; a player's credits live in the state of the region the
player is in. Moving credits between them spans two owners, so it is a saga with an idempotent
transfer id (``ARCHITECTURE.md``, Sagas between aggregates), driven by
:class:`starlane.engine.guilds.GuildTreasury`:

- a **deposit** records a pending transfer row, then debits the player here
  (:class:`DebitGuildDeposit` -> ``GuildDepositDebited``), then credits the treasury row;
- a **withdrawal** debits the treasury row together with its pending transfer row, then
  credits the player here (:class:`CreditGuildWithdrawal` -> ``GuildWithdrawalCredited``).

Each region step records the transfer id in ``RegionState.transfers_in`` (:data:`DEBITED` or
:data:`CREDITED`), so a repeated delivery decides nothing: the step applies at most once per
transfer id, in whichever region the player was in then. A player who moves on afterwards
leaves the record behind; the driver looks for it in every region.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

from starlane.domain.commands import Command
from starlane.domain.errors import (
    InsufficientCreditsError,
)
from starlane.domain.events import Event, register_event
from starlane.domain.model import RegionState
from starlane.domain.rules import register_decider, register_evolver
from starlane.domain.treasury import apply_keyed_credits, keyed_player

__all__ = [
    "CREDITED",
    "DEBITED",
    "CreditGuildWithdrawal",
    "DebitGuildDeposit",
    "GuildDepositDebited",
    "GuildWithdrawalCredited",
    "decide_credit_guild_withdrawal",
    "decide_debit_guild_deposit",
]

DEBITED = "guild_debited"
"""``transfers_in`` value of a guild deposit debited from a player of this region."""
CREDITED = "guild_credited"
"""``transfers_in`` value of a guild withdrawal credited to a player of this region."""


@dataclass(frozen=True, slots=True)
class DebitGuildDeposit(Command):
    """Take a deposit to a guild's treasury out of a player's credits, once per transfer id.

    Attributes:
        player_id: the depositing player.
        transfer_id: the transfer's idempotent id.
        amount: credits, > 0.
        guild_id: the guild credited.
    """

    name: ClassVar[str] = "debit_guild_deposit"
    transfer_id: str
    amount: int
    guild_id: int


@dataclass(frozen=True, slots=True)
class CreditGuildWithdrawal(Command):
    """Credit a withdrawal from a guild's treasury to a player, once per transfer id.

    Attributes:
        player_id: the member paid.
        transfer_id: the transfer's idempotent id.
        amount: credits, > 0.
        guild_id: the paying guild.
    """

    name: ClassVar[str] = "credit_guild_withdrawal"
    transfer_id: str
    amount: int
    guild_id: int


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class GuildDepositDebited(Event):
    """A player's deposit left their credits for a guild's treasury.

    Attributes:
        player_id: the depositing player.
        transfer_id: the transfer's id.
        amount: credits taken.
        guild_id: the guild credited.
        credits_after: the player's credits after.
    """

    type: ClassVar[str] = "guild_deposit_debited"
    player_id: int
    transfer_id: str
    amount: int
    guild_id: int
    credits_after: int


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class GuildWithdrawalCredited(Event):
    """A withdrawal from a guild's treasury reached a player.

    Attributes:
        player_id: the member paid.
        transfer_id: the transfer's id.
        amount: credits received.
        guild_id: the paying guild.
        credits_after: the player's credits after.
    """

    type: ClassVar[str] = "guild_withdrawal_credited"
    player_id: int
    transfer_id: str
    amount: int
    guild_id: int
    credits_after: int


def decide_debit_guild_deposit(
    state: RegionState, command: DebitGuildDeposit, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide the debit of a deposit, at most once per transfer id.

    Args:
        state: the region the player is in (suspended regions decide too).
        command: the debit.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[]`` when this transfer id was decided here already; else one ``GuildDepositDebited``.

    Raises:
        UnknownPlayerError: the player is not in this region (the driver looks again).
        InvalidQuantityError: ``amount`` is not positive.
        InsufficientCreditsError: the player holds less than ``amount``.
    """
    player = keyed_player(
        state, command.transfer_id, command.player_id, command.amount, "a deposit"
    )
    if player is None:
        return []
    if player.credits < command.amount:
        raise InsufficientCreditsError(
            f"you hold {player.credits} credits, {command.amount} needed",
            needed=command.amount,
            available=player.credits,
        )
    return [
        GuildDepositDebited(
            region_id=state.region.id,
            at=now,
            player_id=player.id,
            transfer_id=command.transfer_id,
            amount=command.amount,
            guild_id=command.guild_id,
            credits_after=player.credits - command.amount,
        )
    ]


def decide_credit_guild_withdrawal(
    state: RegionState, command: CreditGuildWithdrawal, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide the credit of a withdrawal, at most once per transfer id.

    Args:
        state: the region the player is in (suspended regions decide too).
        command: the credit.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[]`` when this transfer id was decided here already; else one
        ``GuildWithdrawalCredited``.

    Raises:
        UnknownPlayerError: the player is not in this region (the driver looks again).
        InvalidQuantityError: ``amount`` is not positive.
    """
    player = keyed_player(
        state, command.transfer_id, command.player_id, command.amount, "a withdrawal"
    )
    if player is None:
        return []
    return [
        GuildWithdrawalCredited(
            region_id=state.region.id,
            at=now,
            player_id=player.id,
            transfer_id=command.transfer_id,
            amount=command.amount,
            guild_id=command.guild_id,
            credits_after=player.credits + command.amount,
        )
    ]


def _debited(state: RegionState, e: GuildDepositDebited) -> None:
    apply_keyed_credits(state, e.player_id, e.credits_after, e.transfer_id, DEBITED)


def _credited(state: RegionState, e: GuildWithdrawalCredited) -> None:
    apply_keyed_credits(state, e.player_id, e.credits_after, e.transfer_id, CREDITED)


register_decider(DebitGuildDeposit, decide_debit_guild_deposit, saga_step=True)
register_decider(CreditGuildWithdrawal, decide_credit_guild_withdrawal, saga_step=True)
register_evolver(GuildDepositDebited, _debited)
register_evolver(GuildWithdrawalCredited, _credited)
