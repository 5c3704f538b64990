"""A governor's controls as region commands and events: policy changes and permits.

- :class:`ChangePolicy` (the governor) -> :class:`RegionPolicyChanged`, carrying the values
  before and after of the fields that changed and the actor. Each value is judged against
  the bounds table (:mod:`starlane.domain.policy_bounds`): ``policy_out_of_bounds`` naming
  the field, or ``invalid_command`` for the wrong type; nothing is applied unless every value
  is in bounds. Values equal to the current ones change nothing; a change that changes
  nothing records no event.
- :class:`GrantPermit` / :class:`RevokePermit` (the governor or a moderator) ->
  :class:`PermitGranted` / :class:`PermitRevoked`; granting a permit held already, or revoking
  one not held, records nothing (idempotent).

The region engine decides these commands like any other, so a change is effective for the
next command the region decides (a quote right after a tax change shows the new tax), and a
suspended or closed region refuses them (``region_suspended``). Who may send them is the API's
one dependency's business (``REGION_RIGHTS``); the rules still check that a policy change
comes from the region's governor (``not_governor``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from starlane.domain.commands import Command
from starlane.domain.data import Immigration
from starlane.domain.errors import DomainError, InvalidCommandError, RegionSuspendedError
from starlane.domain.events import Event, register_event
from starlane.domain.model import Region, RegionState
from starlane.domain.policy_bounds import (
    POLICY_FIELDS,
    PolicyOutOfBoundsError,
    PolicyValue,
    check_policy_value,
    policy_bounds,
    policy_values,
)
from starlane.domain.rules import register_decider, register_evolver

__all__ = [
    "PERMIT_ROLES",
    "POLICY_FIELDS",
    "ChangePolicy",
    "GrantPermit",
    "NotGovernorError",
    "PermitGranted",
    "PermitRevoked",
    "PolicyOutOfBoundsError",
    "PolicyValue",
    "RegionPolicyChanged",
    "RevokePermit",
    "apply_policy_values",
    "check_policy_value",
    "decide_change_policy",
    "decide_grant_permit",
    "decide_revoke_permit",
    "policy_bounds",
    "policy_delta",
    "policy_values",
]


# --- errors -----------------------------------------------------------------------------------
class NotGovernorError(DomainError):
    """Only the region's governor changes its policies."""

    code = "not_governor"
    kind = "forbidden"


# --- commands ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ChangePolicy(Command):
    """Change some of a region's policies (sent to that region's engine by its governor).

    Attributes:
        player_id: the governor (the actor).
        changes: field name -> new value (JSON types), any subset of :data:`POLICY_FIELDS`.
    """

    name: ClassVar[str] = "change_policy"
    changes: Mapping[str, Any]


PERMIT_ROLES: frozenset[str] = frozenset({"governor", "moderator"})
"""The roles a permit is granted or revoked in (recorded in the event and the audit log)."""


@dataclass(frozen=True, slots=True)
class GrantPermit(Command):
    """Put a player on the region's permit list (sent to that region's engine).

    Attributes:
        player_id: the governor or moderator acting.
        holder_id: the player who receives the permit.
        actor_role: ``governor`` or ``moderator``.
    """

    name: ClassVar[str] = "grant_permit"
    holder_id: int
    actor_role: str


@dataclass(frozen=True, slots=True)
class RevokePermit(Command):
    """Take a player off the region's permit list (sent to that region's engine).

    Attributes:
        player_id: the governor or moderator acting.
        holder_id: the player who loses the permit.
        actor_role: ``governor`` or ``moderator``.
    """

    name: ClassVar[str] = "revoke_permit"
    holder_id: int
    actor_role: str


# --- events -----------------------------------------------------------------------------------
@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class RegionPolicyChanged(Event):
    """A governor changed some of the region's policies.

    Attributes:
        actor_id: the governor.
        before: field name -> value before, for the fields that changed.
        after: field name -> value after (same keys), in the stored forms of
            :func:`check_policy_value` (``price_multipliers`` as the whole map).
    """

    type: ClassVar[str] = "region_policy_changed"
    actor_id: int
    before: dict[str, PolicyValue]
    after: dict[str, PolicyValue]


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class PermitGranted(Event):
    """A player was put on the region's permit list.

    Attributes:
        player_id: the permit's holder.
        actor_id: the governor or moderator who granted it.
        actor_role: ``governor`` or ``moderator``.
    """

    type: ClassVar[str] = "permit_granted"
    player_id: int
    actor_id: int
    actor_role: str


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class PermitRevoked(Event):
    """A player was taken off the region's permit list.

    Attributes:
        player_id: the former holder.
        actor_id: the governor or moderator who revoked it.
        actor_role: ``governor`` or ``moderator``.
    """

    type: ClassVar[str] = "permit_revoked"
    player_id: int
    actor_id: int
    actor_role: str


# --- decide -----------------------------------------------------------------------------------
def _active(region: Region) -> None:
    status = region.status
    if status != "active":
        raise RegionSuspendedError(
            f"region {region.name} is {status}", region_id=region.id, status=status
        )


def policy_delta(
    state: RegionState, changes: Mapping[str, Any]
) -> tuple[dict[str, PolicyValue], dict[str, PolicyValue]]:
    """Judge a set of policy changes against the bounds and the region's current values.

    The one validation of a policy change, shared by a governor's change and a citizens'
    proposal (:mod:`starlane.domain.proposals`).

    Args:
        state: the region (not modified).
        changes: field name -> new value (JSON types), any subset of :data:`POLICY_FIELDS`.

    Returns:
        ``(before, after)``: the current and new values of the fields whose value changes
        (both empty when none does).

    Raises:
        InvalidCommandError: an unknown field or a value of the wrong type.
        PolicyOutOfBoundsError: a value outside its bounds (the first in table order).
    """
    region = state.region
    unknown = sorted(set(changes) - {f.name for f in POLICY_FIELDS})
    if unknown:
        raise InvalidCommandError(f"not region policies: {', '.join(unknown)}", fields=unknown)
    current = policy_values(region)
    before: dict[str, PolicyValue] = {}
    after: dict[str, PolicyValue] = {}
    for f in POLICY_FIELDS:
        if f.name not in changes:
            continue
        value = check_policy_value(f.name, changes[f.name], region, state.rules)
        if value != current[f.name]:
            before[f.name], after[f.name] = current[f.name], value
    return before, after


def decide_change_policy(
    state: RegionState, command: ChangePolicy, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a governor's policy change.

    Args:
        state: the region (not modified).
        command: the change.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[RegionPolicyChanged]`` with the fields whose value changes, or ``[]`` when none does.

    Raises:
        RegionSuspendedError: the region is suspended or closed.
        NotGovernorError: the actor is not the region's governor.
        InvalidCommandError: an unknown field or a value of the wrong type.
        PolicyOutOfBoundsError: a value outside its bounds (the first in table order).
    """
    region = state.region
    _active(region)
    if region.governor_id is None or command.player_id != region.governor_id:
        raise NotGovernorError(
            f"only the governor of {region.name} changes its policies", region_id=region.id
        )
    before, after = policy_delta(state, command.changes)
    if not after:
        return []
    return [
        RegionPolicyChanged(
            region_id=region.id, at=now, actor_id=command.player_id, before=before, after=after
        )
    ]


def _permit_checked(state: RegionState, command: GrantPermit | RevokePermit) -> None:
    _active(state.region)
    if command.actor_role not in PERMIT_ROLES:
        raise InvalidCommandError(
            f"permits are granted as governor or moderator, not {command.actor_role!r}"
        )
    if command.holder_id < 1:
        raise InvalidCommandError(f"no player {command.holder_id}")


def decide_grant_permit(
    state: RegionState, command: GrantPermit, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a permit grant (idempotent).

    Args:
        state: the region (not modified).
        command: the grant.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[PermitGranted]``, or ``[]`` when the player holds a permit already.

    Raises:
        RegionSuspendedError: the region is suspended or closed.
        InvalidCommandError: an actor role other than governor or moderator, or a bad id.
    """
    _permit_checked(state, command)
    if command.holder_id in state.region.permits:
        return []
    return [
        PermitGranted(
            region_id=state.region.id,
            at=now,
            player_id=command.holder_id,
            actor_id=command.player_id,
            actor_role=command.actor_role,
        )
    ]


def decide_revoke_permit(
    state: RegionState, command: RevokePermit, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a permit revocation (idempotent).

    Args:
        state: the region (not modified).
        command: the revocation.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[PermitRevoked]``, or ``[]`` when the player holds no permit.

    Raises:
        RegionSuspendedError: the region is suspended or closed.
        InvalidCommandError: an actor role other than governor or moderator, or a bad id.
    """
    _permit_checked(state, command)
    if command.holder_id not in state.region.permits:
        return []
    return [
        PermitRevoked(
            region_id=state.region.id,
            at=now,
            player_id=command.holder_id,
            actor_id=command.player_id,
            actor_role=command.actor_role,
        )
    ]


# --- evolve -----------------------------------------------------------------------------------
def _set_multipliers(region: Region, value: Any) -> None:
    region.policy.price_multipliers = {str(k): float(v) for k, v in dict(value).items()}


_APPLY: dict[str, Callable[[Region, Any], None]] = {
    "tax_rate": lambda r, v: setattr(r.policy, "tax_rate", float(v)),
    "regen_multiplier": lambda r, v: setattr(r.policy, "regen_multiplier", float(v)),
    "price_multipliers": _set_multipliers,
    "immigration": lambda r, v: setattr(r.policy, "immigration", Immigration(v)),
    "pvp": lambda r, v: setattr(r.policy, "pvp", bool(v)),
    "gate_toll": lambda r, v: setattr(r.policy, "gate_toll", int(v)),
    "starting_credits": lambda r, v: setattr(r.policy, "starting_credits", int(v)),
    "name": lambda r, v: setattr(r, "name", str(v)),
    "description": lambda r, v: setattr(r, "description", str(v)),
}


def apply_policy_values(region: Region, after: Mapping[str, Any]) -> None:
    """Set a region's policies to the values of a recorded change (evolve; never fails).

    Args:
        region: the region, changed in place.
        after: field name -> value in its stored form (unknown names are skipped).
    """
    for name, value in after.items():
        apply = _APPLY.get(name)
        if apply is not None:
            apply(region, value)


def _policy_changed(state: RegionState, e: RegionPolicyChanged) -> None:
    apply_policy_values(state.region, e.after)


def _permit_granted(state: RegionState, e: PermitGranted) -> None:
    if e.player_id not in state.region.permits:
        state.region.permits.append(e.player_id)


def _permit_revoked(state: RegionState, e: PermitRevoked) -> None:
    if e.player_id in state.region.permits:
        state.region.permits.remove(e.player_id)


register_decider(ChangePolicy, decide_change_policy)
register_decider(GrantPermit, decide_grant_permit)
register_decider(RevokePermit, decide_revoke_permit)
register_evolver(RegionPolicyChanged, _policy_changed)
register_evolver(PermitGranted, _permit_granted)
register_evolver(PermitRevoked, _permit_revoked)
