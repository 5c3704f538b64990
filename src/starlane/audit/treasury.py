"""A governor's treasury withdrawal and its audit entry, with the start-up reconciliation.

A withdrawal pays credits from a region's treasury to its governor, wherever the governor is,
through the payout saga (:class:`~starlane.engine.payout.TreasuryPayouts`, reason
``withdraw``). The engine commits the treasury's debit (``TreasuryPayoutStarted``) first; the
audit entry (action ``region.treasury.withdraw``, role ``governor``, target the region, the
treasury before and after, the event's global position in ``after.event_position``) is
appended right after, in a unit of work; then the payout is driven to its end. A crash between
the debit and the entry is repaired at the next start by :func:`reconcile_withdrawal_entries`
(as :mod:`starlane.audit.reconcile` does for credit adjustments), before requests are taken.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import structlog

from starlane.audit.reconcile import AuditedEvent, reconcile_event_entries
from starlane.domain.events import Event, RecordedEvent
from starlane.domain.treasury import WITHDRAW, TreasuryPayoutStarted

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from starlane.audit.actions import Actor
    from starlane.engine.payout import Payout
    from starlane.engine.router import GalaxyService
    from starlane.store.eventstore import EventStore
    from starlane.store.uow import UnitOfWork

__all__ = [
    "WITHDRAW_ACTION",
    "Withdrawal",
    "reconcile_withdrawal_entries",
    "withdraw",
    "withdrawal_entry",
]

_log = structlog.get_logger("starlane.audit")

WITHDRAW_ACTION = "region.treasury.withdraw"
"""The audit action of a treasury withdrawal (also its region-scoped right)."""


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """A withdrawal done.

    Attributes:
        index: its audit entry.
        payout: the payout (outcome ``paid``, or ``pending`` while the governor is still
            passing a gate; it finishes in the background).
    """

    index: int
    payout: Payout


def withdrawal_entry(recorded: RecordedEvent) -> dict[str, Any]:
    """The audit entry's fields for a committed withdrawal (keyword arguments of
    ``uow.audit.append`` other than where the request came from).

    Args:
        recorded: the stored ``TreasuryPayoutStarted`` event of reason ``withdraw``.

    Returns:
        ``actor_id`` (the governor paid), ``actor_role`` (``governor``), ``action``,
        ``target_kind`` (``region``), ``target_id`` (the region id as text), ``before``
        (``{"treasury"}``) and ``after`` (``{"treasury", "amount", "player_id",
        "transfer_id", "event_position"}``), credits in credits.

    Raises:
        TypeError: the event is not a withdrawal's ``TreasuryPayoutStarted``.
    """
    event = recorded.event
    if not isinstance(event, TreasuryPayoutStarted) or event.reason != WITHDRAW:
        raise TypeError(f"{event.type} is not a treasury withdrawal")
    return {
        "actor_id": event.player_id,
        "actor_role": "governor",
        "action": WITHDRAW_ACTION,
        "target_kind": "region",
        "target_id": str(event.region_id),
        "before": {"treasury": event.treasury_after + event.amount},
        "after": {
            "treasury": event.treasury_after,
            "amount": event.amount,
            "player_id": event.player_id,
            "transfer_id": event.transfer_id,
            "event_position": recorded.position,
        },
    }


async def withdraw(
    galaxy: GalaxyService,
    uow: Callable[[], UnitOfWork],
    actor: Actor,
    region_id: int,
    amount: int,
    *,
    wait: float = 10.0,
) -> Withdrawal:
    """Pay ``amount`` from a region's treasury to its governor (the actor), audited.

    The caller has checked that the actor governs the region (the API's one dependency).

    Args:
        galaxy: the running galaxy.
        uow: makes units of work.
        actor: the governor, and where the request came from.
        region_id: the region.
        amount: credits, > 0.
        wait: seconds to wait for the payout to reach the governor.

    Returns:
        The :class:`Withdrawal`.

    Raises:
        TreasuryInsufficientError: the treasury holds less (``treasury_insufficient``).
        RegionSuspendedError: the region is suspended or closed (``region_suspended``).
        InvalidQuantityError: ``amount`` is not positive.
        PlayerNotFoundError: the governor is in no region (``player_not_in_galaxy``).
        EngineError: the region's engine could not take the debit (nothing changed).
    """
    assert actor.account_id is not None
    payout = await galaxy.payouts.pay(region_id, actor.account_id, amount, reason=WITHDRAW, wait=0)
    assert payout.started is not None  # a new transfer id: step 1 was recorded now
    fields = withdrawal_entry(payout.started)
    try:
        async with uow() as work:
            stored = await work.audit.append(
                **fields,
                client_address=actor.client_address,
                user_agent=actor.user_agent,
                request_id=actor.request_id,
            )
    except BaseException:
        _log.error(
            "audit.withdrawal_entry_missing",
            region_id=region_id,
            amount=amount,
            position=payout.position,
        )
        raise
    outcome = await galaxy.payouts.drive(region_id, payout.transfer_id, wait=wait)
    return Withdrawal(stored.entry.index, replace(payout, outcome=outcome))


def _withdrawal_fields(recorded: RecordedEvent) -> dict[str, Any]:
    fields = withdrawal_entry(recorded)
    del fields["actor_id"], fields["actor_role"]
    return fields


def _governor_actor(event: Event) -> tuple[int | None, str]:
    assert isinstance(event, TreasuryPayoutStarted)
    return event.player_id, "governor"


def _is_withdrawal(event: Event) -> bool:
    return isinstance(event, TreasuryPayoutStarted) and event.reason == WITHDRAW


WITHDRAWAL_AUDITED = AuditedEvent(
    TreasuryPayoutStarted.type,
    WITHDRAW_ACTION,
    _withdrawal_fields,
    _governor_actor,
    "audit.withdrawal_entry_recovered",
    applies=_is_withdrawal,
)
"""A governor's withdrawal as an audited action (a row for the start-up reconciliation; other
treasury payouts, a citizen's starting credits say, are not audited)."""


async def reconcile_withdrawal_entries(
    events: EventStore, db: AsyncEngine, uow: Callable[[], UnitOfWork]
) -> list[int]:
    """Append the audit entry of every withdrawal committed without one (at start-up, before
    the region routes take requests). The app reconciles this row together with every other
    audited event (:func:`~starlane.audit.reconcile.reconcile_event_entries`).

    Args:
        events: the event store.
        db: the database holding the audit log.
        uow: makes units of work.

    Returns:
        The indexes of the entries appended (empty when none was missing).
    """
    return await reconcile_event_entries(events, db, uow, (WITHDRAWAL_AUDITED,))
