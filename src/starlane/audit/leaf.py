"""The canonical leaf encoding of an audit entry.

A leaf of the audit log's Merkle tree is the entry encoded as one JSON object in the JSON
Canonicalization Scheme, RFC 8785 (JCS), UTF-8, so that any JCS implementation re-encoding the
decoded object reproduces the same bytes:

- no whitespace; object members sorted by their names compared as UTF-16 code units
  (RFC 8785 3.2.3); strings escaped as ECMAScript ``JSON.stringify`` does (only ``"``, ``\\``
  and U+0000..U+001F, the latter as ``\\b \\t \\n \\f \\r`` or ``\\u00xx``) (3.2.2.2);
- numbers in ECMAScript ``Number.prototype.toString`` form of the IEEE 754 double
  (3.2.2.3): Python integers therefore within +-(2**53 - 1) only (larger ones are refused
  rather than rounded), ``-0`` as ``0``, no NaN or infinity; a float with an integral value
  is written like an integer and decodes as one (as a float beyond the safe range);
- ``true``, ``false``, ``null``.

The object has exactly these members (all present; ``null`` where absent):

=================  =========================================================================
``v``              format version, ``1``
``index``          the entry's position in the log, ``0, 1, 2, ...``
``time``           RFC 3339 UTC with exactly six fractional digits,
                   ``2026-12-06T02:28:37.123456Z``
``actor_id``       account id of who acted (integer), or ``null`` for the system
``actor_role``     the role the actor acted in (``admin``, ``governor``, ``system``, ...)
``action``         the action's name (``account.disable``, ``credits.adjust``, ...)
``target_kind``    the kind of thing acted on (``account``, ``region``, ...)
``target_id``      its id, as a string
``before``         JSON value before the change (``null`` when none)
``after``          JSON value after the change (``null`` when none)
``justification``  the operator's reason (string, may be empty for security events)
``client_address`` the client's IP address, or ``null``
``user_agent``     the client's User-Agent, or ``null``
``request_id``     the request's id, or ``null``
``reverts``        the index of the entry this one reverts, or ``null``
=================  =========================================================================

Decoding is strict: the bytes must be exactly the canonical encoding of the entry they decode
to (so two different byte strings never stand for the same entry).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeAlias

LEAF_FORMAT_VERSION = 1
"""The ``v`` member of every leaf this module writes."""

MAX_SAFE_INTEGER = 2**53 - 1
"""Largest integer JCS carries exactly (an IEEE 754 double's integer range)."""

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"
"""A JSON value as Python holds it."""

_TIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z$")
_FIELDS = frozenset(
    {
        "v",
        "index",
        "time",
        "actor_id",
        "actor_role",
        "action",
        "target_kind",
        "target_id",
        "before",
        "after",
        "justification",
        "client_address",
        "user_agent",
        "request_id",
        "reverts",
    }
)


class LeafError(ValueError):
    """An entry cannot be encoded, or bytes are not the canonical leaf of an entry."""

    code = "invalid_audit_leaf"


def _number(value: float) -> str:
    """ECMAScript ``Number::toString`` of a finite double (RFC 8785 3.2.2.3)."""
    if not math.isfinite(value):
        raise LeafError("JSON numbers must be finite (no NaN or infinity)")
    if value == 0:
        return "0"
    if value < 0:
        return "-" + _number(-value)
    # repr() is the shortest round-tripping decimal, as ECMAScript asks.
    _sign, digit_tuple, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    exponent += len(digit_tuple) - len(digits)
    digits = digits.lstrip("0")
    k = len(digits)
    n = exponent + k  # value = 0.digits * 10**n
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def _string(value: str) -> str:
    # json.dumps with ensure_ascii=False escapes exactly '"', '\\' and U+0000..U+001F, with the
    # short forms for \b \t \n \f \r and lowercase \u00xx otherwise: RFC 8785 3.2.2.2.
    return json.dumps(value, ensure_ascii=False)


def _utf16_key(name: str) -> bytes:
    return name.encode("utf-16-be", "surrogatepass")


def _write(value: object, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise LeafError(f"integer {value} is beyond +-(2**53 - 1), which JSON carries exactly")
        out.append(str(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif isinstance(value, dict):
        if any(not isinstance(k, str) for k in value):
            raise LeafError("JSON object member names must be strings")
        out.append("{")
        for i, key in enumerate(sorted(value, key=_utf16_key)):
            if i:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    else:
        raise LeafError(f"{type(value).__name__} is not a JSON value")


def canonical_json(value: object) -> bytes:
    """Encode a JSON value with RFC 8785 (JCS), UTF-8.

    Args:
        value: ``None``, ``bool``, ``int`` (within +-(2**53 - 1)), finite ``float``, ``str``,
            ``list``/``tuple`` and ``dict`` with ``str`` keys, nested.

    Returns:
        The canonical bytes.

    Raises:
        LeafError: a value that is not JSON, a non-finite float, an integer beyond the safe
            range, or a string that is not valid Unicode (a lone surrogate).
    """
    out: list[str] = []
    _write(value, out)
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError:
        raise LeafError("strings must be valid Unicode (no lone surrogates)") from None


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with exactly six fractional digits, e.g. ``2026-12-06T02:28:37.000000Z``.

    Args:
        moment: a timezone-aware datetime.

    Returns:
        The timestamp string.

    Raises:
        LeafError: for a naive datetime.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise LeafError("audit times must be timezone-aware")
    t = moment.astimezone(UTC)
    return (
        f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
        f".{t.microsecond:06d}Z"
    )


def parse_time(text: str) -> datetime:
    """Parse a time written by :func:`format_time`.

    Args:
        text: ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.

    Returns:
        The aware UTC datetime.

    Raises:
        LeafError: for any other form.
    """
    m = _TIME_RE.match(text)
    if m is None:
        raise LeafError(f"time {text[:40]!r} is not YYYY-MM-DDTHH:MM:SS.ffffffZ")
    try:
        year, month, day, hour, minute, second, micro = (int(g) for g in m.groups())
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    except ValueError as exc:
        raise LeafError(f"time {text!r}: {exc}") from None


@dataclass(frozen=True)
class AuditEntry:
    """One audit log entry (see the module docstring for each field's meaning).

    Attributes:
        index: position in the log, ``>= 0``.
        time: when it happened, timezone-aware (kept to the microsecond, in UTC).
        actor_id: account id of who acted, or ``None`` for the system.
        actor_role: the role the actor acted in.
        action: the action's name.
        target_kind: the kind of thing acted on.
        target_id: its id.
        before: JSON value before the change.
        after: JSON value after the change.
        justification: the reason given.
        client_address: the client's IP address, if known.
        user_agent: the client's User-Agent, if known.
        request_id: the request's id, if known.
        reverts: index of the entry this one reverts, if any (lower than ``index``).
    """

    index: int
    time: datetime
    actor_id: int | None
    actor_role: str
    action: str
    target_kind: str
    target_id: str
    before: JsonValue
    after: JsonValue
    justification: str
    client_address: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    reverts: int | None = None


def _check_int(name: str, value: object, *, optional: bool) -> None:
    if value is None and optional:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise LeafError(f"{name} must be an integer")
    if not 0 <= value <= MAX_SAFE_INTEGER:
        raise LeafError(f"{name} must be between 0 and 2**53 - 1")


def _check_str(name: str, value: object, *, optional: bool) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise LeafError(f"{name} must be a string")


def _check(entry: AuditEntry) -> None:
    _check_int("index", entry.index, optional=False)
    _check_int("actor_id", entry.actor_id, optional=True)
    _check_int("reverts", entry.reverts, optional=True)
    if entry.reverts is not None and entry.reverts >= entry.index:
        raise LeafError("an entry can only revert an earlier entry")
    for name in ("actor_role", "action", "target_kind", "target_id", "justification"):
        _check_str(name, getattr(entry, name), optional=False)
    for name in ("client_address", "user_agent", "request_id"):
        _check_str(name, getattr(entry, name), optional=True)
    if not isinstance(entry.time, datetime):
        raise LeafError("time must be a datetime")


def encode_leaf(entry: AuditEntry) -> bytes:
    """The canonical leaf bytes of an entry (RFC 8785 JCS of the object described above).

    Args:
        entry: the entry.

    Returns:
        UTF-8 bytes, identical for equal entries.

    Raises:
        LeafError: a field of the wrong type or range, a naive time, a ``reverts`` that is
            not an earlier index, or ``before``/``after`` that are not JSON values (see
            :func:`canonical_json`).
    """
    _check(entry)
    return canonical_json(
        {
            "v": LEAF_FORMAT_VERSION,
            "index": entry.index,
            "time": format_time(entry.time),
            "actor_id": entry.actor_id,
            "actor_role": entry.actor_role,
            "action": entry.action,
            "target_kind": entry.target_kind,
            "target_id": entry.target_id,
            "before": entry.before,
            "after": entry.after,
            "justification": entry.justification,
            "client_address": entry.client_address,
            "user_agent": entry.user_agent,
            "request_id": entry.request_id,
            "reverts": entry.reverts,
        }
    )


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise LeafError(f"duplicate member {key!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> object:
    raise LeafError(f"{name} is not a JSON number")


def _parse_int(text: str) -> int | float:
    # A JCS number is a double: an integral one beyond the safe range stays a float.
    value = int(text)
    return value if abs(value) <= MAX_SAFE_INTEGER else float(text)


def decode_leaf(leaf: bytes) -> AuditEntry:
    """Decode canonical leaf bytes back into the entry.

    Args:
        leaf: bytes written by :func:`encode_leaf`.

    Returns:
        The entry (its ``time`` in UTC).

    Raises:
        LeafError: not UTF-8 JSON, not an object with exactly the members above, a member of
            the wrong type, an unknown format version, or bytes that are not the canonical
            encoding of the entry they hold.
    """
    try:
        obj = json.loads(
            leaf.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_int=_parse_int,
        )
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise LeafError(f"not a JSON leaf: {exc}") from None
    if not isinstance(obj, dict):
        raise LeafError("a leaf is a JSON object")
    if set(obj) != _FIELDS:
        missing = sorted(_FIELDS - set(obj))
        extra = sorted(set(obj) - _FIELDS)
        raise LeafError(f"leaf members differ: missing {missing}, unexpected {extra}")
    if obj["v"] != LEAF_FORMAT_VERSION or isinstance(obj["v"], bool):
        raise LeafError(f"unknown leaf format version {obj['v']!r}")
    if not isinstance(obj["time"], str):
        raise LeafError("time must be a string")
    entry = AuditEntry(
        index=obj["index"],
        time=parse_time(obj["time"]),
        actor_id=obj["actor_id"],
        actor_role=obj["actor_role"],
        action=obj["action"],
        target_kind=obj["target_kind"],
        target_id=obj["target_id"],
        before=obj["before"],
        after=obj["after"],
        justification=obj["justification"],
        client_address=obj["client_address"],
        user_agent=obj["user_agent"],
        request_id=obj["request_id"],
        reverts=obj["reverts"],
    )
    if encode_leaf(entry) != leaf:
        raise LeafError(f"leaf of entry {entry.index} is not in canonical form")
    return entry
