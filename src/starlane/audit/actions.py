"""The operator's actions on accounts, each recorded in the audit log with the change it makes.

:class:`AdminActions` is shared by the admin API and ``starlane admin``. Every action needs a
non-empty justification (``justification_required``) and appends one audit entry with the
values before and after, the actor and where the request came from (:class:`Actor`).

- Relational changes (disable/enable, roles, membership) and their entry commit in one unit
  of work: there is never one without the other. Membership goes through the ``manual``
  billing provider (:class:`~starlane.billing.provider.ManualBilling`): source ``manual``,
  any grace period cleared; its entry's before and after hold the stored tier, the tier in
  force, the end, the grace period and the source.
- A credit adjustment is an engine command (:class:`~starlane.domain.commands.AdjustCredits`),
  so the player's credits live in one place, the region's event stream. The engine commits
  the ``CreditsAdjusted`` event first (a unit of work never waits for an engine); the audit
  entry is appended right after, in a unit of work, with the event's global position
  (``after.event_position``). A crash between the two leaves the event without its entry for
  the time the server is down: the failure is logged (``audit.credits_entry_missing``), and
  at the next start :func:`~starlane.audit.reconcile.reconcile_credit_entries` appends the
  entry from the event (which carries the admin's id and justification) before the admin API
  takes requests. The reverse (an entry for credits never moved) cannot happen.
- The two-person rule: an action in ``two_person`` (``roles.grant.admin``,
  ``roles.revoke.admin``, ``credits.adjust.large`` above ``credit_threshold``, ...) is stored
  as a pending request (:class:`Pending`) and runs only when another admin approves it.
- Revert: an entry of a reversible action (``account.disable``, ``account.enable``,
  ``roles.change``, ``membership.change``, ``credits.adjust``) is undone by a new entry of the
  same action whose ``reverts`` is the original's index; a second revert is refused
  (``already_reverted``; the column is unique as well).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog

from starlane.audit.leaf import JsonValue
from starlane.audit.reconcile import credit_entry
from starlane.domain.commands import AdjustCredits
from starlane.domain.data import Membership
from starlane.domain.errors import DomainError
from starlane.domain.events import CreditsAdjusted
from starlane.store.audit import Approval

if TYPE_CHECKING:
    from starlane.engine.router import GalaxyService
    from starlane.store.uow import UnitOfWork

_log = structlog.get_logger("starlane.audit")

ROLES = ("player", "governor", "moderator", "admin")
"""The roles an admin may grant or revoke."""

TIERS = {"free": "free", "galactic_citizen": "citizen"}
"""Membership tiers as the API names them -> as accounts store them."""

REVERSIBLE = frozenset(
    {"account.disable", "account.enable", "roles.change", "membership.change", "credits.adjust"}
)
"""Actions whose entries can be reverted."""


class JustificationRequiredError(DomainError):
    """An admin action was asked for without a justification."""

    code = "justification_required"
    kind = "invalid"


class AccountNotFoundError(DomainError):
    """No account has this id."""

    code = "account_not_found"
    kind = "not_found"


class UnknownRoleError(DomainError):
    """A role name that is not one of :data:`ROLES`."""

    code = "unknown_role"
    kind = "invalid"


class UnknownTierError(DomainError):
    """A membership tier that is not one of :data:`TIERS`."""

    code = "unknown_tier"
    kind = "invalid"


class EntryNotFoundError(DomainError):
    """No audit entry has this index."""

    code = "audit_entry_not_found"
    kind = "not_found"


class NotReversibleError(DomainError):
    """The entry records an action that cannot be reverted."""

    code = "not_reversible"
    kind = "conflict"


class AlreadyRevertedError(DomainError):
    """The entry was reverted already."""

    code = "already_reverted"
    kind = "conflict"


class ApprovalNotFoundError(DomainError):
    """No two-person-rule request has this id."""

    code = "approval_not_found"
    kind = "not_found"


class ApprovalDecidedError(DomainError):
    """The request was approved or rejected already."""

    code = "approval_decided"
    kind = "conflict"


class SelfApprovalError(DomainError):
    """An admin tried to approve their own request."""

    code = "self_approval"
    kind = "forbidden"


class EngineRequiredError(DomainError):
    """A credit adjustment needs the running server's engines (not the command line)."""

    code = "engine_required"
    kind = "conflict"


@dataclass(frozen=True)
class Actor:
    """Who acts, and where the request came from (recorded in every entry).

    Attributes:
        account_id: the acting account (None: the system).
        role: the role acted in (``admin``, ``system``).
        client_address: the client's IP address.
        user_agent: the client's User-Agent.
        request_id: the request's id.
    """

    account_id: int | None
    role: str = "admin"
    client_address: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class Done:
    """An action that ran.

    Attributes:
        index: its audit entry's index.
        before: the values before.
        after: the values after.
    """

    index: int
    before: Any
    after: Any


@dataclass(frozen=True)
class Pending:
    """An action waiting for a second admin.

    Attributes:
        approval_id: the request's id.
        index: the audit entry recording the request.
    """

    approval_id: str
    index: int


Outcome = Done | Pending

_Runner = Callable[["Actor", int, dict[str, Any], str, int | None], Awaitable[Done]]
_Reverter = Callable[["Actor", int, dict[str, Any], str, int], Awaitable[Done]]


def _require(justification: str) -> str:
    text = justification.strip()
    if not text:
        raise JustificationRequiredError("admin actions need a justification")
    return text


class AdminActions:
    """The audited operator actions (see the module docstring).

    Args:
        uow: makes units of work.
        clock: unix seconds now.
        galaxy: the running engines (None on the command line: no credit adjustments).
        two_person: the actions that need a second admin.
        credit_threshold: credits above which an adjustment is ``credits.adjust.large``.
        on_disabled: told ``(account_id, disabled)`` after a commit that changed it (the
            token service, so access tokens stop working at once).
    """

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Callable[[], float],
        *,
        galaxy: GalaxyService | None = None,
        two_person: Sequence[str] = (),
        credit_threshold: int = 100_000,
        on_disabled: Callable[[int, bool], None] | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._galaxy = galaxy
        self._two_person = frozenset(two_person)
        self._threshold = credit_threshold
        self._on_disabled = on_disabled
        self._revert_lock = asyncio.Lock()
        self._run: dict[
            str, Callable[[Actor, int, dict[str, Any], str, int | None], Awaitable[Done]]
        ]
        self._run = {
            "account.disable": self._set_disabled,
            "roles.change": self._change_roles,
            "membership.change": self._change_membership,
            "credits.adjust": self._adjust_credits,
            "revert": self._revert_now,
        }
        self._kinds: dict[str, str] = {}  # action -> target kind (default: account)
        self._reverters: dict[str, _Reverter] = {}

    def register(
        self,
        action: str,
        runner: _Runner,
        *,
        target_kind: str,
        reverter: _Reverter | None = None,
    ) -> None:
        """Add an action on another kind of target (regions: :mod:`starlane.audit.region_actions`).

        It gets the same machinery: the two-person rule (a pending request runs ``runner``
        when approved) and, with a ``reverter``, reverts.

        Args:
            action: the action's name (as in ``audit_two_person_actions``).
            runner: ``runner(actor, target_id, params, justification, reverts) -> Done``.
            target_kind: the audit entries' ``target_kind``.
            reverter: ``reverter(actor, target_id, note, justification, index) -> Done``,
                undoing an entry of this action.
        """
        self._run[action] = runner
        self._kinds[action] = target_kind
        if reverter is not None:
            self._reverters[action] = reverter

    async def submit(
        self,
        actor: Actor,
        action: str,
        target_id: int,
        params: dict[str, Any],
        justification: str,
    ) -> Outcome:
        """Run a registered action now, or store it as a pending request when the
        two-person rule covers it.

        Args:
            actor: who acts.
            action: a registered action.
            target_id: its target's id.
            params: its parameters.
            justification: the reason (required).

        Returns:
            The outcome.

        Raises:
            JustificationRequiredError: empty justification.
            DomainError: the action refused.
        """
        return await self._submit(actor, action, target_id, params, justification)

    # --- the verbs ---------------------------------------------------------------------------
    async def set_disabled(
        self, actor: Actor, account_id: int, disabled: bool, justification: str
    ) -> Outcome:
        """Disable an account (its tokens stop working) or enable it again.

        Args:
            actor: who acts.
            account_id: the account.
            disabled: True to disable, False to enable.
            justification: the reason (required).

        Returns:
            The outcome.

        Raises:
            JustificationRequiredError: empty justification.
            AccountNotFoundError: no such account.
        """
        return await self._submit(
            actor, "account.disable", account_id, {"disabled": disabled}, justification
        )

    async def change_roles(
        self,
        actor: Actor,
        account_id: int,
        grant: Sequence[str],
        revoke: Sequence[str],
        justification: str,
    ) -> Outcome:
        """Grant and revoke roles.

        Args:
            actor: who acts.
            account_id: the account.
            grant: roles to add.
            revoke: roles to remove.
            justification: the reason (required).

        Returns:
            The outcome (pending when the admin role is granted or revoked and the two-person
            rule covers it).

        Raises:
            JustificationRequiredError: empty justification.
            UnknownRoleError: a role not in :data:`ROLES`.
            AccountNotFoundError: no such account.
        """
        for role in (*grant, *revoke):
            if role not in ROLES:
                raise UnknownRoleError(f"unknown role {role!r}", roles=list(ROLES))
        params = {"grant": sorted(set(grant)), "revoke": sorted(set(revoke))}
        return await self._submit(actor, "roles.change", account_id, params, justification)

    async def change_membership(
        self,
        actor: Actor,
        account_id: int,
        tier: str,
        expires_at: float | None,
        justification: str,
    ) -> Outcome:
        """Set an account's membership tier and when it ends.

        Args:
            actor: who acts.
            account_id: the account.
            tier: ``free`` or ``galactic_citizen``.
            expires_at: unix seconds, or None for no end.
            justification: the reason (required).

        Returns:
            The outcome.

        Raises:
            JustificationRequiredError: empty justification.
            UnknownTierError: another tier.
            AccountNotFoundError: no such account.
        """
        if tier not in TIERS:
            raise UnknownTierError(f"unknown membership tier {tier!r}", tiers=list(TIERS))
        params = {"tier": tier, "expires_at": expires_at}
        return await self._submit(actor, "membership.change", account_id, params, justification)

    async def adjust_credits(
        self, actor: Actor, account_id: int, delta: int, justification: str
    ) -> Outcome:
        """Add credits to (or remove them from) a player, through the player's region engine.

        Args:
            actor: who acts.
            account_id: the player.
            delta: credits to add, negative to remove, never 0.
            justification: the reason (required).

        Returns:
            The outcome (pending above the two-person threshold).

        Raises:
            JustificationRequiredError: empty justification.
            EngineRequiredError: no engines (the command line).
            DomainError: the engine refused (``invalid_quantity``, ``insufficient_credits``,
                ``player_not_in_galaxy``).
        """
        return await self._submit(
            actor, "credits.adjust", account_id, {"delta": int(delta)}, justification
        )

    async def revert(self, actor: Actor, index: int, justification: str) -> Outcome:
        """Undo the action an entry records, as a new entry pointing at it.

        Args:
            actor: who acts.
            index: the entry to revert.
            justification: the reason (required).

        Returns:
            The outcome (pending when the undoing action needs a second admin).

        Raises:
            JustificationRequiredError: empty justification.
            EntryNotFoundError: no such entry.
            NotReversibleError: the action cannot be reverted.
            AlreadyRevertedError: it was reverted before.
        """
        justification = _require(justification)
        async with self._uow() as uow:
            stored = await uow.audit.get(index)
            if stored is None:
                raise EntryNotFoundError(f"no audit entry {index}", index=index)
            entry = stored.entry
            if entry.action not in REVERSIBLE and entry.action not in self._reverters:
                raise NotReversibleError(f"entry {index} ({entry.action}) cannot be reverted")
            done = await uow.audit.reverted_by(index)
            if done is not None:
                raise AlreadyRevertedError(f"entry {index} was reverted by entry {done}")
            uow.rollback()
        sensitive = self._sensitive(
            entry.action, self._inverse_params(entry.action, entry.before, entry.after)
        )
        return await self._submit(
            actor, "revert", int(entry.target_id), {"index": index}, justification, sensitive
        )

    # --- approvals ---------------------------------------------------------------------------
    async def approve(self, actor: Actor, approval_id: str, justification: str) -> Done:
        """Approve another admin's pending request, which then runs.

        Args:
            actor: the approving admin.
            approval_id: the request.
            justification: the reason (required).

        Returns:
            The action's outcome (its entry records the request's author as the actor).

        Raises:
            JustificationRequiredError: empty justification.
            ApprovalNotFoundError: no such request.
            ApprovalDecidedError: decided already.
            SelfApprovalError: the approver made the request.
            DomainError: the action itself failed (the request is then ``failed``).
        """
        justification = _require(justification)
        approval, _ = await self._decide(actor, approval_id, "approved", justification)
        requester = Actor(
            approval.requested_by,
            "admin",
            actor.client_address,
            actor.user_agent,
            actor.request_id,
        )
        run = self._run[approval.action]
        try:
            return await run(
                requester,
                int(approval.target_id),
                approval.params | {"approval_id": approval.id, "approved_by": actor.account_id},
                approval.justification,
                None,
            )
        except DomainError as exc:
            async with self._uow() as uow:
                await uow.audit.append(
                    **self._who(actor),
                    action="approval.failed",
                    target_kind="approval",
                    target_id=approval.id,
                    before={"status": "approved"},
                    after={"status": "failed", "error": exc.code},
                    justification=exc.detail,
                )
            raise

    async def reject(self, actor: Actor, approval_id: str, justification: str) -> Done:
        """Reject a pending request (its author may withdraw it this way too).

        Args:
            actor: the deciding admin.
            approval_id: the request.
            justification: the reason (required).

        Returns:
            The rejection's entry.

        Raises:
            JustificationRequiredError: empty justification.
            ApprovalNotFoundError: no such request.
            ApprovalDecidedError: decided already.
        """
        justification = _require(justification)
        _, index = await self._decide(actor, approval_id, "rejected", justification)
        return Done(index, {"status": "pending"}, {"status": "rejected"})

    async def _decide(
        self, actor: Actor, approval_id: str, status: str, justification: str
    ) -> tuple[Approval, int]:
        async with self._uow() as uow:
            approval = await uow.audit.get_approval(approval_id)
            if approval is None:
                raise ApprovalNotFoundError(f"no approval request {approval_id}")
            if approval.status != "pending":
                raise ApprovalDecidedError(f"request {approval_id} is {approval.status}")
            if status == "approved" and approval.requested_by == actor.account_id:
                raise SelfApprovalError("a request needs another admin's approval")
            if status == "approved" and approval.action not in self._run:
                raise EngineRequiredError(
                    f"{approval.action} runs in the server's engines: approve it through the "
                    "admin API"
                )
            assert actor.account_id is not None
            if not await uow.audit.decide_approval(
                approval_id, status, actor.account_id, self._clock(), justification
            ):
                raise ApprovalDecidedError(f"request {approval_id} was decided meanwhile")
            stored = await uow.audit.append(
                **self._who(actor),
                action="approval.approve" if status == "approved" else "approval.reject",
                target_kind="approval",
                target_id=approval_id,
                before={"status": "pending"},
                after={"status": status, "request_entry": approval.request_entry},
                justification=justification,
            )
        return approval, stored.entry.index

    # --- machinery ---------------------------------------------------------------------------
    @staticmethod
    def _who(actor: Actor) -> dict[str, Any]:
        return {
            "actor_id": actor.account_id,
            "actor_role": actor.role,
            "client_address": actor.client_address,
            "user_agent": actor.user_agent,
            "request_id": actor.request_id,
        }

    def _sensitive(self, action: str, params: dict[str, Any]) -> bool:
        rules = self._two_person
        if action == "roles.change":
            return ("admin" in params.get("grant", ()) and "roles.grant.admin" in rules) or (
                "admin" in params.get("revoke", ()) and "roles.revoke.admin" in rules
            )
        if action == "credits.adjust":
            return abs(int(params["delta"])) > self._threshold and "credits.adjust.large" in rules
        return action in rules

    @staticmethod
    def _inverse_params(action: str, before: JsonValue, after: JsonValue) -> dict[str, Any]:
        b = before if isinstance(before, dict) else {}
        a = after if isinstance(after, dict) else {}
        if action == "roles.change":
            was, now = set(b.get("roles") or ()), set(a.get("roles") or ())  # type: ignore[arg-type]
            return {"grant": sorted(was - now), "revoke": sorted(now - was)}
        if action == "credits.adjust":
            return {"delta": -int(a.get("delta") or 0)}  # type: ignore[arg-type]
        return {}

    async def _submit(
        self,
        actor: Actor,
        action: str,
        account_id: int,
        params: dict[str, Any],
        justification: str,
        sensitive: bool | None = None,
    ) -> Outcome:
        justification = _require(justification)
        if sensitive is None:
            sensitive = self._sensitive(action, params)
        if not sensitive:
            return await self._run[action](actor, account_id, params, justification, None)
        assert actor.account_id is not None
        approval_id = uuid.uuid4().hex
        kind = self._kinds.get(action, "account")
        async with self._uow() as uow:
            exists = kind != "account" or await uow.accounts.get(account_id) is not None
            if action != "revert" and not exists:
                raise AccountNotFoundError(f"no account {account_id}", account_id=account_id)
            stored = await uow.audit.append(
                **self._who(actor),
                action="approval.request",
                target_kind="approval",
                target_id=approval_id,
                before=None,
                after={
                    "status": "pending",
                    "action": action,
                    "target_kind": kind,
                    "target_id": str(account_id),
                    "params": params,
                },
                justification=justification,
            )
            await uow.audit.add_approval(
                Approval(
                    id=approval_id,
                    action=action,
                    target_kind=kind,
                    target_id=str(account_id),
                    params=params,
                    justification=justification,
                    requested_by=actor.account_id,
                    requested_at=self._clock(),
                    status="pending",
                    decided_by=None,
                    decided_at=None,
                    decision_justification=None,
                    request_entry=stored.entry.index,
                )
            )
        return Pending(approval_id, stored.entry.index)

    @staticmethod
    def _approval_note(params: dict[str, Any]) -> dict[str, Any]:
        return {k: params[k] for k in ("approval_id", "approved_by") if k in params}

    async def _set_disabled(
        self,
        actor: Actor,
        account_id: int,
        params: dict[str, Any],
        justification: str,
        reverts: int | None,
    ) -> Done:
        disabled = bool(params["disabled"])
        async with self._uow() as uow:
            account = await uow.accounts.get(account_id, for_update=True)
            if account is None:
                raise AccountNotFoundError(f"no account {account_id}", account_id=account_id)
            await uow.accounts.set_disabled(account_id, disabled)
            before: dict[str, Any] = {"disabled": account.disabled}
            after = {"disabled": disabled} | self._approval_note(params)
            stored = await uow.audit.append(
                **self._who(actor),
                action="account.disable" if disabled else "account.enable",
                target_kind="account",
                target_id=str(account_id),
                before=before,
                after=after,
                justification=justification,
                reverts=reverts,
            )
        if self._on_disabled is not None:
            self._on_disabled(account_id, disabled)
        return Done(stored.entry.index, before, after)

    async def _change_roles(
        self,
        actor: Actor,
        account_id: int,
        params: dict[str, Any],
        justification: str,
        reverts: int | None,
    ) -> Done:
        async with self._uow() as uow:
            account = await uow.accounts.get(account_id, for_update=True)
            if account is None:
                raise AccountNotFoundError(f"no account {account_id}", account_id=account_id)
            revoke = set(params.get("revoke", ()))
            roles = [r for r in account.roles if r not in revoke]
            roles += [r for r in params.get("grant", ()) if r not in roles]
            await uow.accounts.set_roles(account_id, tuple(roles))
            before: dict[str, Any] = {"roles": list(account.roles)}
            after = {"roles": roles} | self._approval_note(params)
            stored = await uow.audit.append(
                **self._who(actor),
                action="roles.change",
                target_kind="account",
                target_id=str(account_id),
                before=before,
                after=after,
                justification=justification,
                reverts=reverts,
            )
        return Done(stored.entry.index, before, after)

    async def _change_membership(
        self,
        actor: Actor,
        account_id: int,
        params: dict[str, Any],
        justification: str,
        reverts: int | None,
    ) -> Done:
        # The manual billing provider: source 'manual', grace cleared, through the one writer
        # of membership terms (starlane.billing.provider.change_membership).
        from starlane.billing.provider import ManualBilling, ManualChange, change_membership

        tier = str(params["tier"])
        expires = params.get("expires_at")
        change = ManualChange(Membership(TIERS[tier]), None if expires is None else float(expires))
        async with self._uow() as uow:
            account = await uow.accounts.get(account_id, for_update=True)
            if account is None:
                raise AccountNotFoundError(f"no account {account_id}", account_id=account_id)
            done = await change_membership(
                uow,
                ManualBilling(),
                account_id,
                change,
                self._clock(),
                who=self._who(actor),
                justification=justification,
                reverts=reverts,
                note=self._approval_note(params),
                always_audit=True,
            )
            assert done is not None and done.index is not None  # the row is locked
        return Done(done.index, done.before_json, done.after_json)

    async def _adjust_credits(
        self,
        actor: Actor,
        account_id: int,
        params: dict[str, Any],
        justification: str,
        reverts: int | None,
    ) -> Done:
        if self._galaxy is None:
            raise EngineRequiredError(
                "credit adjustments run in the server's engines: use the admin API"
            )
        assert actor.account_id is not None
        delta = int(params["delta"])
        recorded = await self._galaxy.execute(
            AdjustCredits(account_id, delta, actor.account_id, justification)
        )
        event = next(r for r in recorded if isinstance(r.event, CreditsAdjusted))
        fields = credit_entry(event)
        fields["after"] |= self._approval_note(params)
        before, after = fields["before"], fields["after"]
        try:
            async with self._uow() as uow:
                stored = await uow.audit.append(**self._who(actor), reverts=reverts, **fields)
        except BaseException:
            _log.error(
                "audit.credits_entry_missing",
                account_id=account_id,
                delta=delta,
                position=event.position,
                region_id=event.region_id,
            )
            raise
        return Done(stored.entry.index, before, after)

    async def _revert_now(
        self,
        actor: Actor,
        account_id: int,
        params: dict[str, Any],
        justification: str,
        reverts: int | None,
    ) -> Done:
        index = int(params["index"])
        async with self._revert_lock:
            async with self._uow() as uow:
                stored = await uow.audit.get(index)
                if stored is None:
                    raise EntryNotFoundError(f"no audit entry {index}", index=index)
                done = await uow.audit.reverted_by(index)
                if done is not None:
                    raise AlreadyRevertedError(f"entry {index} was reverted by entry {done}")
                uow.rollback()
            entry = stored.entry
            target = int(entry.target_id)
            before = entry.before if isinstance(entry.before, dict) else {}
            note = self._approval_note(params)
            if entry.action in ("account.disable", "account.enable"):
                inverse = {"disabled": bool(before.get("disabled"))} | note
                return await self._set_disabled(actor, target, inverse, justification, index)
            if entry.action == "roles.change":
                inverse = self._inverse_params(entry.action, entry.before, entry.after) | note
                return await self._change_roles(actor, target, inverse, justification, index)
            if entry.action == "membership.change":
                expires = before.get("expires_at")
                inverse = {
                    "tier": before.get("tier", "free"),
                    "expires_at": None
                    if expires is None
                    else datetime.fromisoformat(str(expires)).timestamp(),
                } | note
                return await self._change_membership(actor, target, inverse, justification, index)
            if entry.action == "credits.adjust":
                inverse = self._inverse_params(entry.action, entry.before, entry.after) | note
                return await self._adjust_credits(actor, target, inverse, justification, index)
            reverter = self._reverters.get(entry.action)
            if reverter is not None:
                return await reverter(actor, target, note, justification, index)
            raise NotReversibleError(f"entry {index} ({entry.action}) cannot be reverted")
