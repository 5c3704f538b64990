"""The audit entries of a region's governor and moderators: policies, permits, moderators.

Every governor or moderator action is an audit entry with ``target_kind`` ``region`` and
``target_id`` the region id, the actor and the role they acted in (``governor`` or
``moderator``), and the values before and after:

- a policy change or a permit is an engine command: the engine commits its event first, then
  :func:`audit_region_events` appends the entry with the event's global position, built by
  :func:`starlane.audit.reconcile.region_entry`; a crash between the two is repaired at the
  next start (:func:`starlane.audit.reconcile.reconcile_event_entries`);
- a moderator appointed or dismissed is a relational row: :func:`change_moderator` writes the
  row and its entry in one unit of work, so there is never one without the other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from starlane.audit.reconcile import AUDITED_EVENTS, append_event_entries
from starlane.store.region_moderators import add_moderator, remove_moderator

if TYPE_CHECKING:
    from starlane.audit.actions import Actor
    from starlane.domain.events import RecordedEvent
    from starlane.store.uow import UnitOfWork

__all__ = ["audit_region_events", "change_moderator"]


async def audit_region_events(
    uow: Callable[[], UnitOfWork], recorded: Sequence[RecordedEvent], actor: Actor
) -> list[int]:
    """Append the audit entries of the audited events an engine just committed.

    Args:
        uow: makes units of work.
        recorded: the committed events (events of other types are skipped).
        actor: where the request came from (the actor id and role come from the event).

    Returns:
        The indexes of the entries appended.
    """
    return await append_event_entries(
        uow, recorded, actor, AUDITED_EVENTS, "audit.region_entry_missing"
    )


async def change_moderator(
    uow: Callable[[], UnitOfWork],
    region_id: int,
    player_id: int,
    appoint: bool,
    actor: Actor,
    now: float,
) -> int | None:
    """Appoint or dismiss a region's moderator, with its audit entry in the same transaction.

    Args:
        uow: makes units of work.
        region_id: the region.
        player_id: the moderator.
        appoint: True to appoint, False to dismiss.
        actor: the governor (``account_id``, ``role`` ``governor``) and where the request
            came from.
        now: unix seconds.

    Returns:
        The audit entry's index, or None when nothing changed (appointed or dismissed
        already: no entry).
    """
    async with uow() as work:
        conn = work.connection
        if appoint:
            assert actor.account_id is not None
            changed = await add_moderator(conn, region_id, player_id, actor.account_id, now)
        else:
            changed = await remove_moderator(conn, region_id, player_id)
        if not changed:
            work.rollback()
            return None
        stored = await work.audit.append(
            actor_id=actor.account_id,
            actor_role=actor.role,
            action="region.moderator.appoint" if appoint else "region.moderator.dismiss",
            target_kind="region",
            target_id=str(region_id),
            before={"player_id": player_id, "moderator": not appoint},
            after={"player_id": player_id, "moderator": appoint},
            justification="",
            client_address=actor.client_address,
            user_agent=actor.user_agent,
            request_id=actor.request_id,
        )
    return stored.entry.index
