"""The audit entries of passed proposals: the citizens' policy changes and recalls.

A passed proposal is enacted by its region's engine (:mod:`starlane.domain.proposals`), like
a governor's policy change: the engine commits the event first, then
:func:`audit_proposal_events` appends its entry with the event's global position; a crash
between the two is repaired at the next start by the app's one reconciliation pass over
:data:`PROPOSAL_AUDITED`. The proposal is the actor: ``actor_id`` null (no account acted),
``actor_role`` ``proposal``, and ``after.proposal_id`` names it; the justification says which
proposal passed.

- ``ProposalPolicyEnacted`` -> action ``region.policies.change`` (the governor's action),
  before and after the changed values;
- ``GovernorRecalled`` -> action ``region.governor.recall``, ``governor_id`` before and
  ``null`` after.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import structlog

from starlane.audit.reconcile import RECOVERED, AuditedEvent
from starlane.domain.events import Event, RecordedEvent
from starlane.domain.proposals import GovernorRecalled, ProposalPolicyEnacted

if TYPE_CHECKING:
    from starlane.store.uow import UnitOfWork

__all__ = ["PROPOSAL_AUDITED", "PROPOSAL_ROLE", "audit_proposal_events", "proposal_entry"]

_log = structlog.get_logger("starlane.audit")

PROPOSAL_ROLE = "proposal"
"""The ``actor_role`` of the entries a passed proposal records."""


def proposal_entry(recorded: RecordedEvent) -> dict[str, Any]:
    """The audit entry's fields for a committed enactment of a proposal.

    Args:
        recorded: the stored ``ProposalPolicyEnacted`` or ``GovernorRecalled``.

    Returns:
        ``action``, ``target_kind`` (``region``), ``target_id``, ``before``, ``after`` (with
        ``proposal_id`` and ``event_position``) and ``justification``.

    Raises:
        TypeError: another event type.
    """
    e = recorded.event
    extra = {"event_position": recorded.position}
    if isinstance(e, ProposalPolicyEnacted):
        action = "region.policies.change"
        before: dict[str, Any] = dict(e.before)
        after: dict[str, Any] = dict(e.after)
    elif isinstance(e, GovernorRecalled):
        action = "region.governor.recall"
        before, after = {"governor_id": e.governor_id}, {"governor_id": None}
    else:
        raise TypeError(f"{e.type} is not a proposal's enactment")
    return {
        "action": action,
        "target_kind": "region",
        "target_id": str(e.region_id),
        "before": before,
        "after": after | {"proposal_id": e.proposal_id} | extra,
        "justification": f"proposal {e.proposal_id} passed",
    }


def _proposal_actor(event: Event) -> tuple[int | None, str]:
    return None, PROPOSAL_ROLE


PROPOSAL_AUDITED: tuple[AuditedEvent, ...] = (
    AuditedEvent(
        ProposalPolicyEnacted.type, "region.policies.change", proposal_entry, _proposal_actor
    ),
    AuditedEvent(GovernorRecalled.type, "region.governor.recall", proposal_entry, _proposal_actor),
)
"""The enactments of proposals as audited actions (rows for the start-up reconciliation)."""

_TYPES = {row.event_type for row in PROPOSAL_AUDITED}


async def audit_proposal_events(
    uow: Callable[[], UnitOfWork], recorded: Sequence[RecordedEvent], request_id: str = ""
) -> list[int]:
    """Append the audit entries of the enactments an engine just committed.

    Args:
        uow: makes units of work.
        recorded: the committed events (events of other types are skipped).
        request_id: recorded as the entry's request id (the closer's: ``proposal-<id>``).

    Returns:
        The indexes of the entries appended.
    """
    indexes: list[int] = []
    for item in recorded:
        if item.event.type not in _TYPES:
            continue
        fields = proposal_entry(item)
        try:
            async with uow() as work:
                stored = await work.audit.append(
                    actor_id=None,
                    actor_role=PROPOSAL_ROLE,
                    request_id=request_id or RECOVERED,
                    **fields,
                )
        except BaseException:
            _log.error(
                "audit.proposal_entry_missing",
                action=fields["action"],
                position=item.position,
                region_id=item.region_id,
            )
            raise
        indexes.append(stored.entry.index)
    return indexes
