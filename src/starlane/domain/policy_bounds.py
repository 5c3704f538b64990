"""The bounds of every region policy a governor may change, as one declarative table.

``GAME.md`` (Multi-regional play, Governor controls) lets a region's governor change some of
its rules within bounds. :data:`POLICY_FIELDS` is the table: each row names a field, its type
and its lower and upper bound, either a number or the name of the
:class:`~starlane.domain.data.GameRules` field holding it (so an operator's ``[rules]`` table
moves the bounds). :func:`policy_bounds` resolves the table against the rules in force, and
:func:`check_policy_value` judges one value: a value of the right type outside its bound is
refused with :class:`PolicyOutOfBoundsError` (``policy_out_of_bounds``, the field named in the
context), a value of the wrong type with ``invalid_command``.

- ``price_multipliers`` merges into the region's map (a factor of 1 removes the commodity:
  missing means 1); known commodities only.
- ``pvp`` can never be switched on where the region kind forbids it (Terran Space).
- ``name`` and ``description`` are trimmed; the name has no control characters, the
  description may hold line breaks and tabs.

The commands and events that change policies are in :mod:`starlane.domain.policies`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from starlane.domain.data import COMMODITIES, REGION_KINDS, GameRules, Immigration
from starlane.domain.errors import DomainError, InvalidCommandError
from starlane.domain.model import Region

__all__ = [
    "POLICY_FIELDS",
    "PolicyBound",
    "PolicyField",
    "PolicyKind",
    "PolicyOutOfBoundsError",
    "PolicyValue",
    "check_policy_value",
    "policy_bounds",
    "policy_values",
]


# --- errors -----------------------------------------------------------------------------------
class PolicyOutOfBoundsError(DomainError):
    """A policy value of the right type outside the bounds the game allows a governor."""

    code = "policy_out_of_bounds"
    kind = "invalid"


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
    PolicyField("name", PolicyKind.TEXT, 3, "max_region_name_length", "characters"),
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
