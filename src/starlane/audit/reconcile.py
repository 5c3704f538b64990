"""Credit adjustments and their audit entries: one entry shape, and the start-up reconciliation.

A credit adjustment is committed by a region engine (a ``CreditsAdjusted`` event) before its
audit entry is appended (see :mod:`starlane.audit.actions`). A crash between the two leaves
the event without its entry. At start-up, before the admin API takes requests,
:func:`reconcile_credit_entries` finds every ``CreditsAdjusted`` event whose global position
no ``credits.adjust`` entry records (``after.event_position``) and appends the missing entry,
built from the event alone by :func:`credit_entry` (the same function the normal path uses),
with the request id :data:`RECOVERED`. It is idempotent: a second run finds nothing missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import structlog

from starlane.domain.events import CreditsAdjusted, RecordedEvent
from starlane.store.audit_reads import credit_event_positions

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from starlane.store.eventstore import EventStore
    from starlane.store.uow import UnitOfWork

_log = structlog.get_logger("starlane.audit")

RECOVERED = "recovered"
"""The request id of an entry appended at start-up for an event that had none."""

_BATCH = 1_000


def credit_entry(recorded: RecordedEvent) -> dict[str, Any]:
    """The audit entry's fields for a committed credit adjustment (keyword arguments of
    ``uow.audit.append`` other than who acted and where the request came from).

    Args:
        recorded: the stored ``CreditsAdjusted`` event.

    Returns:
        ``action`` (``credits.adjust``), ``target_kind`` (``account``), ``target_id`` (the
        player's id as text), ``before`` (``{"credits"}``), ``after`` (``{"credits", "delta",
        "event_position"}``, credits in credits, the position the event store's global one) and
        ``justification`` (the admin's, from the event).

    Raises:
        TypeError: the event is not a ``CreditsAdjusted``.
    """
    event = recorded.event
    if not isinstance(event, CreditsAdjusted):
        raise TypeError(f"{event.type} is not a credit adjustment")
    return {
        "action": "credits.adjust",
        "target_kind": "account",
        "target_id": str(event.player_id),
        "before": {"credits": event.credits_after - event.delta},
        "after": {
            "credits": event.credits_after,
            "delta": event.delta,
            "event_position": recorded.position,
        },
        "justification": event.justification,
    }


async def reconcile_credit_entries(
    events: EventStore, db: AsyncEngine, uow: Callable[[], UnitOfWork]
) -> list[int]:
    """Append the audit entry of every ``CreditsAdjusted`` event that has none.

    Run it at start-up, before any credit adjustment can be in flight (an adjustment whose
    entry is being appended would otherwise be recovered twice). Each recovered entry names
    the admin of the event (role ``admin``), its justification, and the request id
    :data:`RECOVERED`; it is appended in its own unit of work, in event position order.

    Args:
        events: the event store.
        db: the database holding the audit log.
        uow: makes units of work.

    Returns:
        The indexes of the entries appended (empty when none was missing).
    """
    recorded = await credit_event_positions(db)
    appended: list[int] = []
    after = 0
    while True:
        batch = await events.read_of_type(CreditsAdjusted.type, after, _BATCH)
        if not batch:
            break
        after = batch[-1].position
        for item in batch:
            if item.position in recorded:
                continue
            event = item.event
            assert isinstance(event, CreditsAdjusted)
            async with uow() as work:
                stored = await work.audit.append(
                    actor_id=event.actor_id,
                    actor_role="admin",
                    request_id=RECOVERED,
                    **credit_entry(item),
                )
            recorded.add(item.position)
            appended.append(stored.entry.index)
            _log.warning(
                "audit.credits_entry_recovered",
                index=stored.entry.index,
                position=item.position,
                region_id=item.region_id,
                seq=item.seq,
                account_id=event.player_id,
            )
    return appended
