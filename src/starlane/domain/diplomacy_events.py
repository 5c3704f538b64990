"""Diplomacy's messages: the errors, commands and events of stances and trade agreements.

The rules that decide and apply them are in :mod:`starlane.domain.diplomacy` (which
re-exports every name here); the module docstring there describes the owner and the mirror.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from starlane.domain.commands import Command
from starlane.domain.diplomacy_terms import ACTIVE, CANCELLED, PROPOSED
from starlane.domain.errors import DomainError
from starlane.domain.events import Event, register_event
from starlane.domain.model import Agreement, Stance

__all__ = [
    "MAX_AGREEMENT_DAYS",
    "AcceptAgreement",
    "AgreementChanged",
    "AgreementExistsError",
    "AgreementMirrored",
    "AgreementNotOpenError",
    "CancelAgreement",
    "InvalidStanceError",
    "MirrorAgreement",
    "MirrorStance",
    "ProposeAgreement",
    "SameRegionError",
    "SetStance",
    "StanceMirrored",
    "StanceSet",
    "UnknownAgreementError",
    "change_of",
]

MAX_AGREEMENT_DAYS = 3650
"""The longest an agreement may run, days."""

_CHANGE = {PROPOSED: "proposed", ACTIVE: "accepted", CANCELLED: "cancelled"}


# --- errors -----------------------------------------------------------------------------------
class SameRegionError(DomainError):
    """A region takes no stance towards, and makes no agreement with, itself."""

    code = "same_region"
    kind = "invalid"


class InvalidStanceError(DomainError):
    """An unknown stance, or ``refuse_entry`` with a stance other than hostile."""

    code = "invalid_stance"
    kind = "invalid"


class UnknownAgreementError(DomainError):
    """No agreement has this id (in the region asked)."""

    code = "unknown_agreement"
    kind = "not_found"


class AgreementExistsError(DomainError):
    """The two regions have an agreement proposed or in force already."""

    code = "agreement_exists"
    kind = "conflict"


class AgreementNotOpenError(DomainError):
    """The agreement cannot take this change in its status (accepting one not proposed,
    cancelling one cancelled or expired)."""

    code = "agreement_not_open"
    kind = "conflict"


# --- commands ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SetStance(Command):
    """Set this region's stance towards another (its governor).

    Attributes:
        player_id: the governor.
        other_region_id: the other region.
        stance: ``allied``, ``neutral`` or ``hostile``.
        refuse_entry: refuse entry to the other's citizens (hostile only).
    """

    name: ClassVar[str] = "set_stance"
    other_region_id: int
    stance: str
    refuse_entry: bool = False


@dataclass(frozen=True, slots=True)
class MirrorStance(Command):
    """Record another region's stance towards this one (idempotent).

    Attributes:
        player_id: the other region's governor who set it.
        from_region_id: the region that holds the stance.
        stance: the stance as that region holds it.
    """

    name: ClassVar[str] = "mirror_stance"
    from_region_id: int
    stance: Stance


@dataclass(frozen=True, slots=True)
class ProposeAgreement(Command):
    """Propose a trade agreement to another region (this region's governor; it owns it).

    Attributes:
        player_id: the governor.
        other_region_id: the region asked to accept.
        toll_discount_pct: percent off the gate toll, 0-100.
        tax_discount_pct: percent off the trade tax, 0-100.
        days: how long it runs once accepted, 1-:data:`MAX_AGREEMENT_DAYS`.
    """

    name: ClassVar[str] = "propose_agreement"
    other_region_id: int
    toll_discount_pct: int
    tax_discount_pct: int
    days: int


@dataclass(frozen=True, slots=True)
class AcceptAgreement(Command):
    """Accept an agreement this region owns (the other region's governor).

    Attributes:
        player_id: the other region's governor.
        agreement_id: the agreement.
        actor_region_id: the region the actor governs (must be the other party).
    """

    name: ClassVar[str] = "accept_agreement"
    agreement_id: str
    actor_region_id: int


@dataclass(frozen=True, slots=True)
class CancelAgreement(Command):
    """Cancel an agreement this region owns (the governor of either party).

    Attributes:
        player_id: the governor.
        agreement_id: the agreement.
        actor_region_id: the region the actor governs (either party).
    """

    name: ClassVar[str] = "cancel_agreement"
    agreement_id: str
    actor_region_id: int


@dataclass(frozen=True, slots=True)
class MirrorAgreement(Command):
    """Record the owner's copy of an agreement this region is the other party to (idempotent).

    Attributes:
        player_id: the governor who made the change.
        agreement: the agreement as its owner holds it.
    """

    name: ClassVar[str] = "mirror_agreement"
    agreement: Agreement


# --- events -----------------------------------------------------------------------------------
@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class StanceSet(Event):
    """The region's governor set its stance towards another region.

    Attributes:
        other_region_id: the other region.
        actor_id: the governor.
        before_stance, before_refuse_entry: the stance before (``neutral``, False if none).
        stance, refuse_entry: the stance after.
    """

    type: ClassVar[str] = "stance_set"
    other_region_id: int
    actor_id: int
    before_stance: str
    before_refuse_entry: bool
    stance: str
    refuse_entry: bool


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class StanceMirrored(Event):
    """Another region's stance towards this one, recorded here.

    Attributes:
        from_region_id: the region holding the stance.
        actor_id: its governor who set it.
        stance, refuse_entry: the stance.
        set_at: unix seconds it was set there.
    """

    type: ClassVar[str] = "stance_mirrored"
    from_region_id: int
    actor_id: int
    stance: str
    refuse_entry: bool
    set_at: float


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class AgreementChanged(Event):
    """An agreement this region owns was proposed, accepted or cancelled.

    Attributes:
        change: ``proposed``, ``accepted`` or ``cancelled``.
        actor_id: the governor who acted.
        actor_region_id: the region they govern.
        agreement: the agreement after the change.
    """

    type: ClassVar[str] = "agreement_changed"
    change: str
    actor_id: int
    actor_region_id: int
    agreement: Agreement


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class AgreementMirrored(Event):
    """The owner's change of an agreement this region is the other party to, recorded here.

    Attributes:
        change: ``proposed``, ``accepted`` or ``cancelled``.
        actor_id: the governor who acted.
        agreement: the agreement as its owner holds it.
    """

    type: ClassVar[str] = "agreement_mirrored"
    change: str
    actor_id: int
    agreement: Agreement


def change_of(agreement: Agreement) -> tuple[str, int]:
    """The last change an agreement records and who made it.

    Args:
        agreement: the agreement.

    Returns:
        ``(change, actor_id)``: ``proposed``, ``accepted`` or ``cancelled``.
    """
    if agreement.status == CANCELLED and agreement.cancelled_by is not None:
        return "cancelled", agreement.cancelled_by
    if agreement.status == ACTIVE and agreement.accepted_by is not None:
        return "accepted", agreement.accepted_by
    return _CHANGE.get(agreement.status, "proposed"), agreement.proposed_by
