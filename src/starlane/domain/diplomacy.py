"""Diplomacy between regions: stances and trade agreements, as region commands and events.

A relation between two regions spans two single-writer aggregates, so each one has an owner
that decides every change and a partner that holds an idempotent mirror:

- a **stance** (``allied``, ``neutral`` or ``hostile``; a hostile one may ``refuse_entry`` to
  the other's citizens) is owned by the region that takes it: :class:`SetStance` (its
  governor) -> :class:`StanceSet` in ``Region.stances``; the other region records it with
  :class:`MirrorStance` -> :class:`StanceMirrored` in ``Region.stances_towards``;
- a **trade agreement** is owned by the region that proposes it: :class:`ProposeAgreement`,
  :class:`AcceptAgreement` (the other region's governor) and :class:`CancelAgreement` (either
  governor) are all decided by the owner -> :class:`AgreementChanged` carrying the whole
  agreement after the change; the other region records each with :class:`MirrorAgreement` ->
  :class:`AgreementMirrored` (the same agreement). An accepted agreement runs ``days`` days
  from its acceptance (``expires_at``); it applies while the decision time is before that.

A mirror that matches what the partner holds already, or is older than it (a proposal after
an acceptance), records nothing, so mirrors may be delivered any number of times (the engine
re-delivers every owner's relations at start-up). Mirrors are saga steps: a suspended partner
still records them. Which governor may act is the API's dependency's business; the owner's
rules check the acting region (the owner's governor proposes; the other region accepts).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import ClassVar

from starlane.domain.commands import Command
from starlane.domain.diplomacy_terms import (
    ACTIVE,
    CANCELLED,
    HOSTILE,
    NEUTRAL,
    PROPOSED,
    STANCES,
    agreement_status,
)
from starlane.domain.errors import DomainError, InvalidCommandError
from starlane.domain.events import Event, register_event
from starlane.domain.model import Agreement, Region, RegionState, Stance
from starlane.domain.policies import NotGovernorError
from starlane.domain.rules import register_decider, register_evolver

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

_RANK = {PROPOSED: 0, ACTIVE: 1, CANCELLED: 2}
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


# --- decide -----------------------------------------------------------------------------------
def _governor(region: Region, player_id: int, what: str) -> None:
    if region.governor_id is None or player_id != region.governor_id:
        raise NotGovernorError(f"only the governor of {region.name} {what}", region_id=region.id)


def _other(region: Region, other_region_id: int) -> None:
    if other_region_id == region.id:
        raise SameRegionError(
            f"region {region.name} has no relations with itself", region_id=region.id
        )
    if other_region_id < 1:
        raise InvalidCommandError(f"no region {other_region_id}")


def decide_set_stance(
    state: RegionState, command: SetStance, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a governor's stance towards another region.

    Args:
        state: the region taking the stance (not modified).
        command: the stance.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[StanceSet]``, or ``[]`` when the stance is the one held already.

    Raises:
        NotGovernorError: the actor is not the region's governor.
        SameRegionError: the other region is this one.
        InvalidStanceError: an unknown stance, or ``refuse_entry`` without ``hostile``.
    """
    region = state.region
    _governor(region, command.player_id, "sets its stances")
    _other(region, command.other_region_id)
    if command.stance not in STANCES:
        raise InvalidStanceError(
            f"stance {command.stance!r} is not one of {', '.join(STANCES)}", stance=command.stance
        )
    if command.refuse_entry and command.stance != HOSTILE:
        raise InvalidStanceError(
            "only a hostile region refuses entry", stance=command.stance, refuse_entry=True
        )
    held = region.stances.get(command.other_region_id)
    before = (NEUTRAL, False) if held is None else (held.stance, held.refuse_entry)
    after = (command.stance, bool(command.refuse_entry))
    if before == after:
        return []
    return [
        StanceSet(
            region_id=region.id,
            at=now,
            other_region_id=command.other_region_id,
            actor_id=command.player_id,
            before_stance=before[0],
            before_refuse_entry=before[1],
            stance=after[0],
            refuse_entry=after[1],
        )
    ]


def decide_mirror_stance(
    state: RegionState, command: MirrorStance, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide the record of another region's stance towards this one (idempotent).

    Returns:
        ``[StanceMirrored]``, or ``[]`` when this region holds that stance already.
    """
    if state.region.stances_towards.get(command.from_region_id) == command.stance:
        return []
    s = command.stance
    return [
        StanceMirrored(
            region_id=state.region.id,
            at=now,
            from_region_id=command.from_region_id,
            actor_id=s.actor_id,
            stance=s.stance,
            refuse_entry=s.refuse_entry,
            set_at=s.at,
        )
    ]


def _pct(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidCommandError(f"{name} must be a whole percent 0-100", field=name)


def decide_propose(
    state: RegionState, command: ProposeAgreement, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a governor's proposal of a trade agreement (this region will own it).

    Returns:
        One ``AgreementChanged`` (``proposed``) with the new agreement; its id is
        ``"{region id}-{n}"``, n counting this region's own agreements from 1.

    Raises:
        NotGovernorError: the actor is not the region's governor.
        SameRegionError: the other region is this one.
        InvalidCommandError: a percent outside 0-100 or days outside 1-3650.
        AgreementExistsError: an agreement between the two is proposed or in force already.
    """
    region = state.region
    _governor(region, command.player_id, "proposes its agreements")
    other = command.other_region_id
    _other(region, other)
    _pct("toll_discount_pct", command.toll_discount_pct)
    _pct("tax_discount_pct", command.tax_discount_pct)
    if not 1 <= command.days <= MAX_AGREEMENT_DAYS:
        raise InvalidCommandError(f"days must be 1-{MAX_AGREEMENT_DAYS}", field="days")
    own = 0
    for agreement in region.agreements.values():
        if agreement.owner_region_id == region.id:
            own += 1
        parties = (agreement.owner_region_id, agreement.other_region_id)
        status = agreement_status(agreement, now)
        if region.id in parties and other in parties and status in (PROPOSED, ACTIVE):
            raise AgreementExistsError(
                f"agreement {agreement.id} with region {other} is {status}",
                agreement_id=agreement.id,
            )
    agreement = Agreement(
        id=f"{region.id}-{own + 1}",
        owner_region_id=region.id,
        other_region_id=other,
        toll_discount_pct=command.toll_discount_pct,
        tax_discount_pct=command.tax_discount_pct,
        days=command.days,
        status=PROPOSED,
        proposed_by=command.player_id,
        proposed_at=now,
    )
    return [_changed(region, now, "proposed", command.player_id, region.id, agreement)]


def _owned(region: Region, agreement_id: str) -> Agreement:
    agreement = region.agreements.get(agreement_id)
    if agreement is None or agreement.owner_region_id != region.id:
        raise UnknownAgreementError(
            f"region {region.name} owns no agreement {agreement_id}", agreement_id=agreement_id
        )
    return agreement


def _changed(
    region: Region, now: float, change: str, actor: int, actor_region: int, agreement: Agreement
) -> AgreementChanged:
    return AgreementChanged(
        region_id=region.id,
        at=now,
        change=change,
        actor_id=actor,
        actor_region_id=actor_region,
        agreement=agreement,
    )


def decide_accept(
    state: RegionState, command: AcceptAgreement, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide the other region's acceptance of an agreement this region owns.

    Returns:
        One ``AgreementChanged`` (``accepted``): active until ``now + days``.

    Raises:
        UnknownAgreementError: this region owns no such agreement.
        NotGovernorError: the actor does not act for the other party.
        AgreementNotOpenError: the agreement is not ``proposed``.
    """
    region = state.region
    agreement = _owned(region, command.agreement_id)
    if command.actor_region_id != agreement.other_region_id:
        raise NotGovernorError(
            f"agreement {agreement.id} is accepted by region {agreement.other_region_id}",
            agreement_id=agreement.id,
        )
    if agreement.status != PROPOSED:
        raise AgreementNotOpenError(
            f"agreement {agreement.id} is {agreement_status(agreement, now)}, not proposed",
            agreement_id=agreement.id,
            status=agreement_status(agreement, now),
        )
    after = replace(
        agreement,
        status=ACTIVE,
        accepted_by=command.player_id,
        accepted_at=now,
        expires_at=now + agreement.days * 86_400,
    )
    return [_changed(region, now, "accepted", command.player_id, command.actor_region_id, after)]


def decide_cancel(
    state: RegionState, command: CancelAgreement, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide either party's cancellation of an agreement this region owns.

    Returns:
        One ``AgreementChanged`` (``cancelled``).

    Raises:
        UnknownAgreementError: this region owns no such agreement.
        NotGovernorError: the actor acts for neither party.
        AgreementNotOpenError: the agreement is cancelled or expired already.
    """
    region = state.region
    agreement = _owned(region, command.agreement_id)
    if command.actor_region_id not in (agreement.owner_region_id, agreement.other_region_id):
        raise NotGovernorError(
            f"agreement {agreement.id} is cancelled by one of its parties",
            agreement_id=agreement.id,
        )
    status = agreement_status(agreement, now)
    if status not in (PROPOSED, ACTIVE):
        raise AgreementNotOpenError(
            f"agreement {agreement.id} is {status}", agreement_id=agreement.id, status=status
        )
    after = replace(agreement, status=CANCELLED, cancelled_by=command.player_id, cancelled_at=now)
    return [_changed(region, now, "cancelled", command.player_id, command.actor_region_id, after)]


def decide_mirror_agreement(
    state: RegionState, command: MirrorAgreement, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide the record of the owner's copy of an agreement (idempotent).

    Returns:
        ``[AgreementMirrored]``, or ``[]`` when this region holds that copy already, or a
        later one (the statuses only move forward: proposed, active, cancelled).

    Raises:
        InvalidCommandError: this region is not the agreement's other party.
    """
    region = state.region
    agreement = command.agreement
    if agreement.other_region_id != region.id:
        raise InvalidCommandError(f"region {region.id} is not a party to {agreement.id}")
    held = region.agreements.get(agreement.id)
    if held is not None and (
        held == agreement or _RANK.get(held.status, 0) > _RANK.get(agreement.status, 0)
    ):
        return []
    change, actor = change_of(agreement)
    return [
        AgreementMirrored(
            region_id=region.id, at=now, change=change, actor_id=actor, agreement=agreement
        )
    ]


# --- evolve -----------------------------------------------------------------------------------
def _stance_set(state: RegionState, e: StanceSet) -> None:
    state.region.stances[e.other_region_id] = Stance(e.stance, e.refuse_entry, e.actor_id, e.at)


def _stance_mirrored(state: RegionState, e: StanceMirrored) -> None:
    state.region.stances_towards[e.from_region_id] = Stance(
        e.stance, e.refuse_entry, e.actor_id, e.set_at
    )


def _agreement(state: RegionState, e: AgreementChanged | AgreementMirrored) -> None:
    state.region.agreements[e.agreement.id] = replace(e.agreement)


register_decider(SetStance, decide_set_stance)
register_decider(MirrorStance, decide_mirror_stance, saga_step=True)
register_decider(ProposeAgreement, decide_propose)
register_decider(AcceptAgreement, decide_accept)
register_decider(CancelAgreement, decide_cancel)
register_decider(MirrorAgreement, decide_mirror_agreement, saga_step=True)
register_evolver(StanceSet, _stance_set)
register_evolver(StanceMirrored, _stance_mirrored)
register_evolver(AgreementChanged, _agreement)
register_evolver(AgreementMirrored, _agreement)
