"""What the bus carries: region events and relational changes, seen through one envelope.

Every message published on the bus has a ``kind``, a ``subject``, a ``payload`` and a
``position``:

- a region event is a :class:`~starlane.domain.events.RecordedEvent` itself: its ``kind`` is
  :data:`REGION_EVENT`, its ``subject`` ``region.<region_id>``, its ``payload`` the domain
  event and its ``position`` the event store's global position. No envelope object is made per
  region event (the engines publish tens of thousands a second);
- a relational change (an account created, a role granted, later a forum post or a guild's
  treasury) is an :class:`Envelope` made from an ``outbox`` row: ``kind`` such as
  ``account.updated`` or ``role.granted``, ``subject`` such as ``account.42``, a JSON-able
  ``payload`` and the outbox row's ``position``.

The two position sequences are distinct: a consumer orders and checkpoints region events by
event position and relational changes by outbox position, never one against the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlane.domain.events import RecordedEvent

REGION_EVENT: str = RecordedEvent.kind
"""The ``kind`` of every region event on the bus."""

ACCOUNT_CREATED = "account.created"
"""An account was registered; payload ``{account_id, username, roles, membership}``."""
ACCOUNT_UPDATED = "account.updated"
"""An account changed; payload ``{account_id, <changed field>: <new value>, ...}``."""
ACCOUNT_DELETED = "account.deleted"
"""An account was deleted; payload ``{account_id}``."""
ROLE_GRANTED = "role.granted"
"""An account received a role; payload ``{account_id, role}``."""
ROLE_REVOKED = "role.revoked"
"""An account lost a role; payload ``{account_id, role}``."""
MEMBERSHIP_CHANGED = "membership.changed"
"""An account's membership terms changed; payload ``{account_id, tier, expires_at,
grace_until, source}`` (stored tier, unix seconds or None)."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """A committed relational change, as the bus carries it.

    Attributes:
        kind: what happened, e.g. ``role.granted``.
        subject: what it happened to, e.g. ``account.42``.
        payload: the change's data (JSON-able: str, int, float, bool, None, lists, dicts).
        position: the outbox row's position (increasing in commit order).
        at: unix seconds at which the change was committed.
    """

    kind: str
    subject: str
    payload: Mapping[str, Any]
    position: int
    at: float


BusMessage = RecordedEvent | Envelope
"""Anything published on the bus."""


def account_subject(account_id: int) -> str:
    """The subject of the changes to one account.

    Args:
        account_id: the account (= player) id.

    Returns:
        ``account.<id>``.
    """
    return f"account.{account_id}"


def region_subject(region_id: int) -> str:
    """The subject of a region's events.

    Args:
        region_id: the region.

    Returns:
        ``region.<id>``.
    """
    return f"region.{region_id}"
