"""The operator's region controls, audited: suspend, resume, transfer, close.

:class:`RegionActions` registers four actions with :class:`~starlane.audit.actions.AdminActions`
(target kind ``region``), so they share its machinery: a required justification, the
two-person rule (``region.transfer`` and ``region.close`` are in
``audit_two_person_actions`` by default: they become pending requests another admin approves
through ``/api/v1/admin/approvals``), and reverts (a ``region.suspend`` entry is reverted by
resuming, a ``region.resume`` entry by suspending).

Each action is a command to the region's engine (:mod:`starlane.domain.region_admin`): the
engine commits the event first (it carries the admin and the justification), then the audit
entry is appended with the event's global position (``after.event_position``). A crash
between the two is repaired at the next start by :func:`reconcile_region_entries`, which
appends the entry of every operator region event that has none (request id ``recovered``).
A closure's entry is appended once ``RegionClosing`` is committed; the evacuation then runs
in the background (:class:`~starlane.engine.closure.RegionClosures`) and survives restarts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import structlog

from starlane.audit.actions import AccountNotFoundError, Actor, AdminActions, Done, Outcome
from starlane.audit.reconcile import AuditedEvent, reconcile_event_entries
from starlane.domain.commands import Command
from starlane.domain.data import RegionKind
from starlane.domain.errors import DomainError
from starlane.domain.events import Event, RecordedEvent
from starlane.domain.region_admin import (
    AlreadyGovernorError,
    AlreadySuspendedError,
    BeginClosure,
    ChangeGovernor,
    GovernorChanged,
    NotSuspendedError,
    PlatformRegionError,
    RegionClosedError,
    RegionClosing,
    RegionResumed,
    RegionSuspended,
    ResumeRegion,
    SuspendRegion,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from starlane.engine.router import GalaxyService
    from starlane.store.eventstore import EventStore
    from starlane.store.uow import UnitOfWork

__all__ = [
    "REGION_ACTIONS",
    "RegionActions",
    "UnknownRegionError",
    "reconcile_region_entries",
    "region_entry",
]

_log = structlog.get_logger("starlane.audit")

REGION_ACTIONS = ("region.suspend", "region.resume", "region.transfer", "region.close")
"""The audited operator actions on regions."""

_EVENTS: tuple[type[Event], ...] = (RegionSuspended, RegionResumed, GovernorChanged, RegionClosing)


class UnknownRegionError(DomainError):
    """No region has this id."""

    code = "unknown_region"
    kind = "not_found"


def region_entry(recorded: RecordedEvent) -> dict[str, Any]:
    """The audit entry's fields for a committed operator region event (keyword arguments of
    ``uow.audit.append`` other than who acted and where the request came from).

    Args:
        recorded: the stored ``RegionSuspended``, ``RegionResumed``, ``GovernorChanged`` or
            ``RegionClosing``.

    Returns:
        ``action``, ``target_kind`` (``region``), ``target_id``, ``before``, ``after`` (with
        ``event_position``) and ``justification`` (the admin's, from the event).

    Raises:
        TypeError: another event.
    """
    e = recorded.event
    position = recorded.position
    before: dict[str, Any]
    after: dict[str, Any]
    if isinstance(e, RegionSuspended):
        action, before, after = "region.suspend", {"status": "active"}, {"status": "suspended"}
    elif isinstance(e, RegionResumed):
        action, before, after = "region.resume", {"status": "suspended"}, {"status": "active"}
    elif isinstance(e, GovernorChanged):
        action, before, after = (
            "region.transfer",
            {"governor_id": e.before},
            {"governor_id": e.after},
        )
    elif isinstance(e, RegionClosing):
        action = "region.close"
        before = {
            "status": "active" if e.was_active else "suspended",
            "governor_id": e.governor_id,
            "treasury": e.treasury,
        }
        after = {"status": "closing", "players": e.players}
    else:
        raise TypeError(f"{e.type} is not an operator region event")
    return {
        "action": action,
        "target_kind": "region",
        "target_id": str(e.region_id),
        "before": before,
        "after": after | {"event_position": position},
        "justification": e.justification,
    }


class RegionActions:
    """The audited region controls (see the module docstring).

    Args:
        actions: the admin actions (their machinery: entries, approvals, reverts).
        uow: makes units of work.
        galaxy: the running engines.
    """

    def __init__(
        self,
        actions: AdminActions,
        uow: Callable[[], UnitOfWork],
        galaxy: GalaxyService,
    ) -> None:
        self._actions = actions
        self._uow = uow
        self._galaxy = galaxy
        actions.register(
            "region.suspend", self._suspend, target_kind="region", reverter=self._undo_suspend
        )
        actions.register(
            "region.resume", self._resume, target_kind="region", reverter=self._undo_resume
        )
        actions.register("region.transfer", self._transfer, target_kind="region")
        actions.register("region.close", self._close, target_kind="region")

    # --- the verbs -----------------------------------------------------------------------------
    async def suspend(self, actor: Actor, region_id: int, justification: str) -> Outcome:
        """Suspend a region: arrivals refused (``region_suspended``), players inside may leave.

        Raises:
            JustificationRequiredError: empty justification.
            UnknownRegionError: no such region.
            AlreadySuspendedError, RegionClosedError: 409.
        """
        region = self._region(region_id)
        self._open(region_id)
        if not region.active:
            raise AlreadySuspendedError(f"region {region.name} is suspended already")
        return await self._actions.submit(actor, "region.suspend", region_id, {}, justification)

    async def resume(self, actor: Actor, region_id: int, justification: str) -> Outcome:
        """Resume a suspended region.

        Raises:
            JustificationRequiredError: empty justification.
            UnknownRegionError: no such region.
            NotSuspendedError, RegionClosedError: 409.
        """
        region = self._region(region_id)
        self._open(region_id)
        if region.active:
            raise NotSuspendedError(f"region {region.name} is not suspended")
        return await self._actions.submit(actor, "region.resume", region_id, {}, justification)

    async def transfer(
        self, actor: Actor, region_id: int, governor_id: int, justification: str
    ) -> Outcome:
        """Give a region to another governor (an existing account); two-person by default.

        Raises:
            JustificationRequiredError: empty justification.
            UnknownRegionError: no such region.
            AccountNotFoundError: no such account (404).
            PlatformRegionError, RegionClosedError, AlreadyGovernorError: 409.
        """
        region = self._region(region_id)
        self._player_region(region_id)
        self._open(region_id)
        if region.governor_id == governor_id:
            raise AlreadyGovernorError(f"player {governor_id} governs {region.name} already")
        await self._account(governor_id)
        params = {"governor_id": governor_id}
        return await self._actions.submit(
            actor, "region.transfer", region_id, params, justification
        )

    async def close(self, actor: Actor, region_id: int, justification: str) -> Outcome:
        """Close a region (two-person by default): its players are evacuated to the Nexus,
        the treasury paid to the governor, the terminal closed, the catalogue marks it closed.

        Returns:
            The outcome; once it ran, the closure goes on in the background (``status``
            ``closing`` until ``closed``).

        Raises:
            JustificationRequiredError: empty justification.
            UnknownRegionError: no such region.
            PlatformRegionError, RegionClosedError: 409.
        """
        self._region(region_id)
        self._player_region(region_id)
        self._open(region_id)
        return await self._actions.submit(actor, "region.close", region_id, {}, justification)

    # --- checks -------------------------------------------------------------------------------
    def _region(self, region_id: int) -> Any:
        region = self._galaxy.region_info(region_id)
        if region is None:
            raise UnknownRegionError(f"no region {region_id}", region_id=region_id)
        return region

    def _open(self, region_id: int) -> None:
        region = self._region(region_id)
        if region.closed or region.closing:
            raise RegionClosedError(f"region {region.name} is {region.status}", region_id=region_id)

    def _player_region(self, region_id: int) -> None:
        region = self._region(region_id)
        if region.kind is not RegionKind.PLAYER:
            raise PlatformRegionError(
                f"{region.name} is a platform region: it cannot be closed or transferred",
                region_id=region_id,
            )

    async def _account(self, account_id: int) -> None:
        async with self._uow() as uow:
            found = await uow.accounts.get(account_id)
            uow.rollback()
        if found is None:
            raise AccountNotFoundError(f"no account {account_id}", account_id=account_id)

    # --- runners (engine first, then the entry) -----------------------------------------------
    async def _record(
        self,
        actor: Actor,
        region_id: int,
        command: Command,
        params: dict[str, Any],
        reverts: int | None,
    ) -> Done:
        self._region(region_id)
        recorded = await self._galaxy.execute_in(region_id, command)
        event = next(r for r in recorded if isinstance(r.event, _EVENTS))
        fields = region_entry(event)
        fields["after"] |= {k: params[k] for k in ("approval_id", "approved_by") if k in params}
        try:
            async with self._uow() as uow:
                stored = await uow.audit.append(
                    **AdminActions._who(actor), reverts=reverts, **fields
                )
        except BaseException:
            _log.error(
                "audit.region_entry_missing",
                region_id=region_id,
                action=fields["action"],
                position=event.position,
            )
            raise
        return Done(stored.entry.index, fields["before"], fields["after"])

    @staticmethod
    def _admin(actor: Actor) -> int:
        assert actor.account_id is not None
        return actor.account_id

    async def _suspend(
        self,
        actor: Actor,
        region_id: int,
        params: dict[str, Any],
        justification: str,
        reverts: int | None,
    ) -> Done:
        command = SuspendRegion(0, self._admin(actor), justification)
        return await self._record(actor, region_id, command, params, reverts)

    async def _resume(
        self,
        actor: Actor,
        region_id: int,
        params: dict[str, Any],
        justification: str,
        reverts: int | None,
    ) -> Done:
        command = ResumeRegion(0, self._admin(actor), justification)
        return await self._record(actor, region_id, command, params, reverts)

    async def _transfer(
        self,
        actor: Actor,
        region_id: int,
        params: dict[str, Any],
        justification: str,
        reverts: int | None,
    ) -> Done:
        governor_id = int(params["governor_id"])
        await self._account(governor_id)
        command = ChangeGovernor(0, governor_id, self._admin(actor), justification)
        return await self._record(actor, region_id, command, params, reverts)

    async def _close(
        self,
        actor: Actor,
        region_id: int,
        params: dict[str, Any],
        justification: str,
        reverts: int | None,
    ) -> Done:
        command = BeginClosure(0, self._admin(actor), justification)
        done = await self._record(actor, region_id, command, params, reverts)
        self._galaxy.closures.start(region_id)
        return done

    async def _undo_suspend(
        self, actor: Actor, region_id: int, note: dict[str, Any], justification: str, index: int
    ) -> Done:
        return await self._resume(actor, region_id, note, justification, index)

    async def _undo_resume(
        self, actor: Actor, region_id: int, note: dict[str, Any], justification: str, index: int
    ) -> Done:
        return await self._suspend(actor, region_id, note, justification, index)


def _admin_actor(event: Event) -> tuple[int | None, str]:
    return getattr(event, "actor_id", None), "admin"


REGION_AUDITED: tuple[AuditedEvent, ...] = tuple(
    AuditedEvent(cls.type, action, region_entry, _admin_actor)
    for cls, action in zip(_EVENTS, REGION_ACTIONS, strict=True)
)
"""The operator's region events as audited actions (rows for the start-up reconciliation)."""


async def reconcile_region_entries(
    events: EventStore, db: AsyncEngine, uow: Callable[[], UnitOfWork]
) -> list[int]:
    """Append the audit entry of every operator region event that has none (at start-up,
    before the admin API takes requests; idempotent). The app reconciles these rows together
    with every other audited event (:func:`~starlane.audit.reconcile.reconcile_event_entries`).

    Args:
        events: the event store.
        db: the database holding the audit log.
        uow: makes units of work.

    Returns:
        The indexes of the entries appended.
    """
    return await reconcile_event_entries(events, db, uow, REGION_AUDITED)
