"""Audited engine events and their entries: one entry shape each, and the start-up reconciliation.

An audited action that is an engine command (an operator's credit adjustment, a governor's
policy change, a permit granted or revoked) is committed by a region engine first; its audit
entry is appended right after with the event's global position (``after.event_position``;
see :mod:`starlane.audit.actions` and :mod:`starlane.audit.governance`). A crash between the
two leaves the event without its entry. At start-up, before the API takes requests,
:func:`reconcile_event_entries` goes through :data:`AUDITED_EVENTS` (one row per audited
event type: its entry's action, how the entry is built from the event alone, and who acted in
which role) and appends every missing entry, built by the same function the normal path uses,
with the request id :data:`RECOVERED`. It is idempotent: a second run finds nothing missing.
Other packages add their rows (the operator's region actions,
:data:`starlane.audit.region_actions.REGION_AUDITED`; treasury withdrawals,
:data:`starlane.audit.treasury.WITHDRAWAL_AUDITED`), and the app reconciles all of them in one
pass at start-up: one read of the recorded positions of every audited action, then the events
of every audited type in position order, a batch at a time (a start-up with nothing missing
costs two queries, whatever the number of rows).
:func:`reconcile_credit_entries` does the same for credit adjustments only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from starlane.domain.events import CreditsAdjusted, Event, RecordedEvent
from starlane.domain.policies import PermitGranted, PermitRevoked, RegionPolicyChanged
from starlane.store.audit_reads import event_positions

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from starlane.audit.actions import Actor
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


def region_entry(recorded: RecordedEvent) -> dict[str, Any]:
    """The audit entry's fields for a committed governor or moderator action on a region.

    Args:
        recorded: the stored ``RegionPolicyChanged``, ``PermitGranted`` or ``PermitRevoked``.

    Returns:
        ``action`` (``region.policies.change``, ``region.permit.grant`` or
        ``region.permit.revoke``), ``target_kind`` (``region``), ``target_id`` (the region id
        as text), ``before`` and ``after`` (the changed policies' values, or whether the player
        holds a permit; ``after`` also has ``event_position``) and ``justification`` (empty:
        a governor's controls need none).

    Raises:
        TypeError: another event type.
    """
    event = recorded.event
    position = recorded.position
    if isinstance(event, RegionPolicyChanged):
        return {
            "action": "region.policies.change",
            "target_kind": "region",
            "target_id": str(event.region_id),
            "before": dict(event.before),
            "after": dict(event.after) | {"event_position": position},
            "justification": "",
        }
    if isinstance(event, PermitGranted | PermitRevoked):
        granted = isinstance(event, PermitGranted)
        return {
            "action": "region.permit.grant" if granted else "region.permit.revoke",
            "target_kind": "region",
            "target_id": str(event.region_id),
            "before": {"player_id": event.player_id, "permit": not granted},
            "after": {"player_id": event.player_id, "permit": granted, "event_position": position},
            "justification": "",
        }
    raise TypeError(f"{event.type} is not a governor's action")


def _credit_actor(event: Event) -> tuple[int | None, str]:
    assert isinstance(event, CreditsAdjusted)
    return event.actor_id, "admin"


def _policy_actor(event: Event) -> tuple[int | None, str]:
    assert isinstance(event, RegionPolicyChanged)
    return event.actor_id, "governor"


def _permit_actor(event: Event) -> tuple[int | None, str]:
    assert isinstance(event, PermitGranted | PermitRevoked)
    return event.actor_id, event.actor_role


@dataclass(frozen=True)
class AuditedEvent:
    """An engine event type that is an audited action.

    Attributes:
        event_type: the event's ``type``.
        action: its audit entry's action.
        entry: builds the entry's fields from the stored event (``action``, ``target_kind``,
            ``target_id``, ``before``, ``after`` with ``event_position``, ``justification``).
        actor: ``(actor_id, actor_role)`` from the event.
        log_event: the warning logged for each entry recovered at start-up.
        applies: whether an event of this type is this action (None: every one is; a
            treasury payout, say, is audited only when it is a governor's withdrawal).
    """

    event_type: str
    action: str
    entry: Callable[[RecordedEvent], dict[str, Any]]
    actor: Callable[[Event], tuple[int | None, str]]
    log_event: str = "audit.region_entry_recovered"
    applies: Callable[[Event], bool] | None = None

    def matches(self, event: Event) -> bool:
        """Whether ``event`` (of :attr:`event_type`) is this audited action."""
        return self.applies is None or self.applies(event)


AUDITED_EVENTS: tuple[AuditedEvent, ...] = (
    AuditedEvent(
        CreditsAdjusted.type,
        "credits.adjust",
        credit_entry,
        _credit_actor,
        "audit.credits_entry_recovered",
    ),
    AuditedEvent(RegionPolicyChanged.type, "region.policies.change", region_entry, _policy_actor),
    AuditedEvent(PermitGranted.type, "region.permit.grant", region_entry, _permit_actor),
    AuditedEvent(PermitRevoked.type, "region.permit.revoke", region_entry, _permit_actor),
)
"""Every engine event that records an audited action (add a row for a new one)."""


async def append_event_entries(
    uow: Callable[[], UnitOfWork],
    recorded: Sequence[RecordedEvent],
    actor: Actor,
    audited: Sequence[AuditedEvent],
    missing_log: str,
) -> list[int]:
    """Append the audit entry of each committed event that is one of ``audited``'s actions.

    The path every engine-decided audited action takes right after its commit (governors'
    policies and permits, credit adjustments, diplomacy): one unit of work per entry, the
    actor and role from the event, the request's address, agent and id from ``actor``. An
    entry that fails to append is logged (``missing_log``) and re-raised; the start-up
    reconciliation (:func:`reconcile_event_entries`) appends it later.

    Args:
        uow: makes units of work.
        recorded: the committed events (events no row of ``audited`` matches are skipped).
        actor: where the request came from.
        audited: the audited actions to look for.
        missing_log: the event logged when an entry could not be appended.

    Returns:
        The indexes of the entries appended, in the order of ``recorded``.
    """
    indexes: list[int] = []
    for item in recorded:
        event = item.event
        kind = next((k for k in audited if k.event_type == event.type and k.matches(event)), None)
        if kind is None:
            continue
        actor_id, role = kind.actor(event)
        try:
            async with uow() as work:
                stored = await work.audit.append(
                    actor_id=actor_id,
                    actor_role=role,
                    client_address=actor.client_address,
                    user_agent=actor.user_agent,
                    request_id=actor.request_id,
                    **kind.entry(item),
                )
        except BaseException:
            _log.error(
                missing_log, action=kind.action, position=item.position, region_id=item.region_id
            )
            raise
        indexes.append(stored.entry.index)
    return indexes


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
    return await reconcile_event_entries(events, db, uow, AUDITED_EVENTS[:1])


async def reconcile_event_entries(
    events: EventStore,
    db: AsyncEngine,
    uow: Callable[[], UnitOfWork],
    audited: Sequence[AuditedEvent] = AUDITED_EVENTS,
) -> list[int]:
    """Append the audit entry of every audited engine event that has none.

    Run it at start-up, before any audited action can be in flight (an action whose entry is
    being appended would otherwise be recovered twice). Each recovered entry names the actor
    and role the event carries, and the request id :data:`RECOVERED`; it is appended in its
    own unit of work, in event position order.

    Args:
        events: the event store.
        db: the database holding the audit log.
        uow: makes units of work.
        audited: the event types to reconcile (default: all of :data:`AUDITED_EVENTS`).

    Returns:
        The indexes of the entries appended (empty when none was missing).
    """
    by_type: dict[str, list[AuditedEvent]] = {}
    for kind in audited:
        by_type.setdefault(kind.event_type, []).append(kind)
    if not by_type:
        return []
    # one event has at most one entry, so one set of positions serves every action
    recorded = await event_positions(db, sorted({kind.action for kind in audited}))
    appended: list[int] = []
    after = 0
    while True:
        batch = await events.read_of_type(sorted(by_type), after, _BATCH)
        if not batch:
            break
        after = batch[-1].position
        for item in batch:
            if item.position in recorded:
                continue
            row = next((k for k in by_type[item.event.type] if k.matches(item.event)), None)
            if row is None:
                continue
            actor_id, actor_role = row.actor(item.event)
            async with uow() as work:
                stored = await work.audit.append(
                    actor_id=actor_id,
                    actor_role=actor_role,
                    request_id=RECOVERED,
                    **row.entry(item),
                )
            recorded.add(item.position)
            appended.append(stored.entry.index)
            _log.warning(
                row.log_event,
                action=row.action,
                index=stored.entry.index,
                position=item.position,
                region_id=item.region_id,
                seq=item.seq,
            )
    return appended
