"""The audit entries of diplomacy: stances and trade agreements, on both regions' side.

A relation is decided by the region that owns it and mirrored by the other
(:mod:`starlane.domain.diplomacy`); both events are audited, so each region's audit trail
(``target_kind`` ``region``, ``target_id`` the region id) shows what was done to its
relations, whoever did it:

=============================  ==========================================================
action                         recorded by
=============================  ==========================================================
``region.stance.set``          ``StanceSet`` (owner, ``side`` ``owner``) and
                               ``StanceMirrored`` (the other region, ``side`` ``partner``)
``region.agreement.propose``   ``AgreementChanged`` / ``AgreementMirrored``, change
``region.agreement.accept``    ``proposed``, ``accepted`` or ``cancelled`` (owner and
``region.agreement.cancel``    partner)
=============================  ==========================================================

The entries follow the committed events (:func:`audit_diplomacy_events`, the same path as a
governor's policy change) and a crash between the two is repaired at start-up by the one
reconciliation pass over :data:`DIPLOMACY_AUDITED` with every other audited event type
(:func:`starlane.audit.reconcile.reconcile_event_entries`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from starlane.audit.reconcile import AuditedEvent, append_event_entries
from starlane.domain.diplomacy import (
    AgreementChanged,
    AgreementMirrored,
    StanceMirrored,
    StanceSet,
)
from starlane.domain.events import Event, RecordedEvent
from starlane.domain.model import Agreement

if TYPE_CHECKING:
    from starlane.audit.actions import Actor
    from starlane.store.uow import UnitOfWork

__all__ = ["DIPLOMACY_ACTIONS", "DIPLOMACY_AUDITED", "audit_diplomacy_events", "diplomacy_entry"]

_ACTIONS = {
    "proposed": "region.agreement.propose",
    "accepted": "region.agreement.accept",
    "cancelled": "region.agreement.cancel",
}
DIPLOMACY_ACTIONS: tuple[str, ...] = ("region.stance.set", *_ACTIONS.values())
"""The audited diplomacy actions."""


def _terms(a: Agreement) -> dict[str, Any]:
    return {
        "agreement_id": a.id,
        "owner_region_id": a.owner_region_id,
        "other_region_id": a.other_region_id,
        "toll_discount_pct": a.toll_discount_pct,
        "tax_discount_pct": a.tax_discount_pct,
        "days": a.days,
        "status": a.status,
        "expires_at": a.expires_at,
    }


def _status_before(change: str, a: Agreement) -> str | None:
    if change == "proposed":
        return None
    if change == "accepted":
        return "proposed"
    return "active" if a.accepted_by is not None else "proposed"


def diplomacy_entry(recorded: RecordedEvent) -> dict[str, Any]:
    """The audit entry's fields for a committed diplomacy event (keyword arguments of
    ``uow.audit.append`` other than who acted and where the request came from).

    Args:
        recorded: the stored ``StanceSet``, ``StanceMirrored``, ``AgreementChanged`` or
            ``AgreementMirrored``.

    Returns:
        ``action``, ``target_kind`` (``region``), ``target_id`` (the region that recorded
        the event), ``before``, ``after`` (with ``side`` and ``event_position``) and an empty
        ``justification``.

    Raises:
        TypeError: another event type.
    """
    e = recorded.event
    position = recorded.position
    before: dict[str, Any]
    after: dict[str, Any]
    if isinstance(e, StanceSet):
        action = "region.stance.set"
        before = {
            "other_region_id": e.other_region_id,
            "stance": e.before_stance,
            "refuse_entry": e.before_refuse_entry,
        }
        after = {
            "other_region_id": e.other_region_id,
            "stance": e.stance,
            "refuse_entry": e.refuse_entry,
            "side": "owner",
        }
    elif isinstance(e, StanceMirrored):
        action = "region.stance.set"
        before = {"from_region_id": e.from_region_id}
        after = {
            "from_region_id": e.from_region_id,
            "stance": e.stance,
            "refuse_entry": e.refuse_entry,
            "side": "partner",
        }
    elif isinstance(e, AgreementChanged | AgreementMirrored):
        action = _ACTIONS[e.change]
        side = "owner" if isinstance(e, AgreementChanged) else "partner"
        before = {"agreement_id": e.agreement.id, "status": _status_before(e.change, e.agreement)}
        after = _terms(e.agreement) | {"side": side}
    else:
        raise TypeError(f"{e.type} is not a diplomacy event")
    return {
        "action": action,
        "target_kind": "region",
        "target_id": str(e.region_id),
        "before": before,
        "after": after | {"event_position": position},
        "justification": "",
    }


def _actor(event: Event) -> tuple[int | None, str]:
    actor_id: int = getattr(event, "actor_id")  # noqa: B009 - every diplomacy event has one
    return actor_id, "governor"


def _change_is(change: str) -> Callable[[Event], bool]:
    return lambda event: getattr(event, "change", None) == change


DIPLOMACY_AUDITED: tuple[AuditedEvent, ...] = (
    AuditedEvent(StanceSet.type, "region.stance.set", diplomacy_entry, _actor),
    AuditedEvent(StanceMirrored.type, "region.stance.set", diplomacy_entry, _actor),
    *(
        AuditedEvent(kind.type, action, diplomacy_entry, _actor, applies=_change_is(change))
        for kind in (AgreementChanged, AgreementMirrored)
        for change, action in _ACTIONS.items()
    ),
)
"""The audited diplomacy events (reconciled at start-up with every other audited event)."""


async def audit_diplomacy_events(
    uow: Callable[[], UnitOfWork], recorded: Sequence[RecordedEvent], actor: Actor
) -> list[int]:
    """Append the audit entries of the diplomacy events the engines just committed.

    Args:
        uow: makes units of work.
        recorded: committed events of both regions (other event types are skipped).
        actor: where the request came from (the actor id comes from each event).

    Returns:
        The indexes of the entries appended, in the order of ``recorded``.
    """
    return await append_event_entries(
        uow, recorded, actor, DIPLOMACY_AUDITED, "audit.diplomacy_entry_missing"
    )
