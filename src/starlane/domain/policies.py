"""A governor's controls: the bounds of every region policy, policy changes and permits.

``GAME.md`` (Multi-regional play, Governor controls) lets a region's governor change some of
its rules within bounds. The bounds are one declarative table, :data:`POLICY_FIELDS`: each row
names a field, its type and its lower and upper bound, either a number or the name of the
:class:`~starlane.domain.data.GameRules` field holding it (so an operator's ``[rules]`` table
moves the bounds). :func:`policy_bounds` resolves the table against the rules in force.

- :class:`ChangePolicy` (the governor) -> :class:`RegionPolicyChanged`, carrying the values
  before and after of the fields that changed and the actor. A value of the right type but
  outside its bound is refused with :class:`PolicyOutOfBoundsError` (``policy_out_of_bounds``,
  the field named in the context); a value of the wrong type with ``invalid_command``. Values
  equal to the current ones change nothing; a change that changes nothing records no event.
- ``price_multipliers`` merges into the region's map (a factor of 1 removes the commodity:
  missing means 1); known commodities only.
- ``pvp`` can never be switched on where the region kind forbids it (Terran Space).
- :class:`GrantPermit` / :class:`RevokePermit` (the governor or a moderator) ->
  :class:`PermitGranted` / :class:`PermitRevoked`; granting a permit held already, or revoking
  one not held, records nothing (idempotent).

The region engine decides these commands like any other, so a change is effective for the
next command the region decides (a quote right after a tax change shows the new tax), and a
suspended region refuses them (``region_suspended``, :func:`starlane.domain.rules.decide`).
Who may send them is the API's one dependency's business (``REGION_RIGHTS``); the rules still
check that a policy change comes from the region's governor (``not_governor``).
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar

from starlane.domain.commands import Command
from starlane.domain.data import COMMODITIES, REGION_KINDS, GameRules, Immigration
from starlane.domain.errors import DomainError, InvalidCommandError, RegionSuspendedError
from starlane.domain.events import Event, register_event
from starlane.domain.model import Region, RegionState
from starlane.domain.rules import register_decider, register_evolver

__all__ = [
    "PERMIT_ROLES",
    "POLICY_FIELDS",
    "ChangePolicy",
    "GrantPermit",
    "NotGovernorError",
    "PermitGranted",
    "PermitRevoked",
    "PolicyBound",
    "PolicyField",
    "PolicyKind",
    "PolicyOutOfBoundsError",
    "PolicyValue",
    "RegionPolicyChanged",
    "RevokePermit",
    "check_policy_value",
    "decide_change_policy",
    "decide_grant_permit",
    "decide_revoke_permit",
    "policy_bounds",
    "policy_values",
]


# --- errors -----------------------------------------------------------------------------------
class PolicyOutOfBoundsError(DomainError):
    """A policy value of the right type outside the bounds the game allows a governor."""

    code = "policy_out_of_bounds"
    kind = "invalid"


class NotGovernorError(DomainError):
    """Only the region's governor changes its policies."""

    code = "not_governor"
    kind = "forbidden"


# --- the bounds table -------------------------------------------------------------------------
class PolicyKind(StrEnum):
    """The type of a policy field's value."""

    NUMBER = "number"  #: a real number (JSON number)
    INTEGER = "integer"  #: a whole number of credits
    PER_COMMODITY = "per_commodity"  #: commodity key -> real number
    CHOICE = "choice"  #: one of a few names
    FLAG = "flag"  #: true or false
    TEXT = "text"  #: a string; the bounds are its length in characters


PolicyValue = bool | int | float | str | dict[str, float]
"""A policy value as events carry it (JSON: a flag, credits, a number, a name or text, or a
commodity -> factor map)."""

Bound = float | int | str
"""A bound: a number, or the name of the :class:`GameRules` field that holds it."""


@dataclass(frozen=True, slots=True)
class PolicyField:
    """One row of the bounds table.

    Attributes:
        name: the policy's name in the API and in events.
        kind: the value's type.
        low: the lowest value (for text: the shortest length), a number or a rule name.
        high: the highest value (for text: the longest length), a number or a rule name.
        unit: what the numbers count (shown to players and in the docs).
        choices: the allowed names of a ``choice`` field.
    """

    name: str
    kind: PolicyKind
    low: Bound = 0
    high: Bound = 0
    unit: str = ""
    choices: tuple[str, ...] = ()


POLICY_FIELDS: tuple[PolicyField, ...] = (
    PolicyField("tax_rate", PolicyKind.NUMBER, 0, "max_tax_rate", "share of the trade value"),
    PolicyField(
        "regen_multiplier",
        PolicyKind.NUMBER,
        "min_regen_multiplier",
        "max_regen_multiplier",
        "factor on port regeneration",
    ),
    PolicyField(
        "price_multipliers",
        PolicyKind.PER_COMMODITY,
        "min_price_multiplier",
        "max_price_multiplier",
        "factor on a commodity's prices",
    ),
    PolicyField(
        "immigration", PolicyKind.CHOICE, choices=tuple(str(i) for i in Immigration), unit="policy"
    ),
    PolicyField("pvp", PolicyKind.FLAG, unit="never on where the region kind forbids it"),
    PolicyField("gate_toll", PolicyKind.INTEGER, 0, "max_gate_toll", "credits"),
    PolicyField("starting_credits", PolicyKind.INTEGER, 0, "max_starting_credits", "credits"),
    PolicyField("name", PolicyKind.TEXT, 1, "max_region_name_length", "characters"),
    PolicyField("description", PolicyKind.TEXT, 0, "max_region_description_length", "characters"),
)
"""Every field a governor may change, with its bounds (``GAME.md``, Governor controls)."""


@dataclass(frozen=True, slots=True)
class PolicyBound:
    """A row of :data:`POLICY_FIELDS` with its bounds resolved against the rules in force.

    Attributes:
        name: the field.
        kind: the value's type.
        low: the lowest value or length.
        high: the highest value or length.
        unit: what the numbers count.
        choices: the allowed names of a ``choice`` field.
    """

    name: str
    kind: PolicyKind
    low: float
    high: float
    unit: str
    choices: tuple[str, ...] = field(default=())


def _resolve(bound: Bound, rules: GameRules) -> float:
    value = getattr(rules, bound) if isinstance(bound, str) else bound
    return float(value)


_TEXT_LAYOUT = {"description": "\n\t"}
"""Control characters a text field may hold (line breaks and tabs in a description)."""


@functools.lru_cache(maxsize=16)
def policy_bounds(rules: GameRules) -> Mapping[str, PolicyBound]:
    """The bounds of every policy field under a set of rules.

    Args:
        rules: the rule numbers in force.

    Returns:
        Field name -> its resolved bounds, in table order.
    """
    return MappingProxyType(
        {
            f.name: PolicyBound(
                f.name, f.kind, _resolve(f.low, rules), _resolve(f.high, rules), f.unit, f.choices
            )
            for f in POLICY_FIELDS
        }
    )


def _out(bound: PolicyBound, value: Any, why: str, **context: Any) -> PolicyOutOfBoundsError:
    return PolicyOutOfBoundsError(
        f"{bound.name} {why}",
        field=bound.name,
        value=value,
        low=bound.low,
        high=bound.high,
        **context,
    )


def _number(bound: PolicyBound, value: Any, label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidCommandError(f"{label} must be a number", field=bound.name)
    number = float(value)
    if not math.isfinite(number) or not bound.low <= number <= bound.high:
        raise _out(bound, value, f"must be between {bound.low:g} and {bound.high:g}")
    return number


def check_policy_value(name: str, value: Any, region: Region, rules: GameRules) -> Any:
    """Validate one policy value against its bounds and return it in its stored form.

    Args:
        name: the field (a name of :data:`POLICY_FIELDS`).
        value: the value asked for (JSON types: numbers, strings, booleans, objects).
        region: the region (its kind decides whether ``pvp`` may be on; its current
            ``price_multipliers`` are merged with a partial map).
        rules: the rule numbers in force (the bounds).

    Returns:
        The value as the region stores it: a float for numbers, an int for credits, a
        commodity -> factor dict (merged with the current one, factors of 1 dropped) for
        ``price_multipliers``, the choice's name, a bool, or stripped text.

    Raises:
        InvalidCommandError: an unknown field, or a value of the wrong type.
        PolicyOutOfBoundsError: a value of the right type outside the field's bounds, an
            unknown commodity, or ``pvp`` on where the region kind forbids it.
    """
    bound = policy_bounds(rules).get(name)
    if bound is None:
        raise InvalidCommandError(f"{name!r} is not a region policy", field=name)
    kind = bound.kind
    if kind is PolicyKind.NUMBER:
        return _number(bound, value, name)
    if kind is PolicyKind.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidCommandError(f"{name} must be a whole number", field=name)
        if not bound.low <= value <= bound.high:
            raise _out(bound, value, f"must be between {bound.low:,.0f} and {bound.high:,.0f}")
        return int(value)
    if kind is PolicyKind.PER_COMMODITY:
        if not isinstance(value, Mapping):
            raise InvalidCommandError(f"{name} must map commodities to factors", field=name)
        merged = dict(region.policy.price_multipliers)
        for key, factor in value.items():
            if key not in COMMODITIES:
                raise _out(
                    bound,
                    value,
                    f"names an unknown commodity {key!r}",
                    commodity=key,
                    commodities=sorted(COMMODITIES),
                )
            try:
                number = _number(bound, factor, f"{name}.{key}")
            except PolicyOutOfBoundsError as exc:
                exc.context["commodity"] = key
                raise
            if number == 1.0:
                merged.pop(key, None)
            else:
                merged[key] = number
        return dict(sorted(merged.items()))
    if kind is PolicyKind.CHOICE:
        if not isinstance(value, str):
            raise InvalidCommandError(f"{name} must be a string", field=name)
        if value not in bound.choices:
            choices = list(bound.choices)
            raise _out(bound, value, f"must be one of {', '.join(choices)}", choices=choices)
        return value
    if kind is PolicyKind.FLAG:
        if not isinstance(value, bool):
            raise InvalidCommandError(f"{name} must be true or false", field=name)
        if value and not REGION_KINDS[region.kind].pvp_allowed:
            raise _out(bound, value, f"cannot be on in a region of kind {region.kind}")
        return value
    if not isinstance(value, str):
        raise InvalidCommandError(f"{name} must be a string", field=name)
    text = value.strip()
    allowed = _TEXT_LAYOUT.get(name, "")
    if any((ord(ch) < 32 or ord(ch) == 127) and ch not in allowed for ch in text):
        raise _out(bound, value, "must not contain control characters")
    if not bound.low <= len(text) <= bound.high:
        raise _out(
            bound,
            value,
            f"must be {bound.low:.0f}-{bound.high:.0f} characters long",
            length=len(text),
        )
    return text


def policy_values(region: Region) -> dict[str, PolicyValue]:
    """A region's current policy values, as :class:`RegionPolicyChanged` carries them.

    Args:
        region: the region.

    Returns:
        Field name -> value in its stored form, for every field of :data:`POLICY_FIELDS`.
    """
    p = region.policy
    return {
        "tax_rate": p.tax_rate,
        "regen_multiplier": p.regen_multiplier,
        "price_multipliers": dict(sorted(p.price_multipliers.items())),
        "immigration": str(p.immigration),
        "pvp": p.pvp,
        "gate_toll": p.gate_toll,
        "starting_credits": p.starting_credits,
        "name": region.name,
        "description": region.description,
    }


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
    unknown = sorted(set(command.changes) - {f.name for f in POLICY_FIELDS})
    if unknown:
        raise InvalidCommandError(f"not region policies: {', '.join(unknown)}", fields=unknown)
    current = policy_values(region)
    before: dict[str, PolicyValue] = {}
    after: dict[str, PolicyValue] = {}
    for f in POLICY_FIELDS:
        if f.name not in command.changes:
            continue
        value = check_policy_value(f.name, command.changes[f.name], region, state.rules)
        if value != current[f.name]:
            before[f.name], after[f.name] = current[f.name], value
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


def _policy_changed(state: RegionState, e: RegionPolicyChanged) -> None:
    for name, value in e.after.items():
        apply = _APPLY.get(name)
        if apply is not None:
            apply(state.region, value)


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
