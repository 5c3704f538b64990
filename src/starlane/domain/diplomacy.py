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

The errors, commands and events are declared in :mod:`starlane.domain.diplomacy_events` and
re-exported here; this module decides and applies them.
"""

from __future__ import annotations

import random
from dataclasses import replace

from starlane.domain.diplomacy_events import (
    MAX_AGREEMENT_DAYS,
    AcceptAgreement,
    AgreementChanged,
    AgreementExistsError,
    AgreementMirrored,
    AgreementNotOpenError,
    CancelAgreement,
    InvalidStanceError,
    MirrorAgreement,
    MirrorStance,
    ProposeAgreement,
    SameRegionError,
    SetStance,
    StanceMirrored,
    StanceSet,
    UnknownAgreementError,
    change_of,
)
from starlane.domain.diplomacy_terms import (
    ACTIVE,
    CANCELLED,
    HOSTILE,
    NEUTRAL,
    PROPOSED,
    STANCES,
    agreement_status,
)
from starlane.domain.errors import InvalidCommandError
from starlane.domain.events import Event
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

_RANK = {PROPOSED: 0, ACTIVE: 1, CANCELLED: 2}


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
