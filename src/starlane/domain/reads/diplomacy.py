"""A region's relations as its view shows them: stances both ways and open trade agreements."""

from __future__ import annotations

from typing import TypedDict

from starlane.domain.diplomacy_terms import ACTIVE, PROPOSED, agreement_status
from starlane.domain.model import Agreement, Region

__all__ = [
    "AgreementView",
    "DiplomacyView",
    "StanceView",
    "agreement_key",
    "agreement_view",
    "diplomacy_view",
]


class StanceView(TypedDict):
    """A stance ``region_id`` holds towards ``other_region_id`` (``set_at`` unix seconds)."""

    region_id: int
    other_region_id: int
    stance: str
    refuse_entry: bool
    set_at: float


class AgreementView(TypedDict):
    """A trade agreement, its ``status`` judged at the time of the view."""

    id: str
    owner_region_id: int
    other_region_id: int
    toll_discount_pct: int
    tax_discount_pct: int
    days: int
    status: str
    proposed_by: int
    proposed_at: float
    accepted_by: int | None
    accepted_at: float | None
    expires_at: float | None
    cancelled_by: int | None
    cancelled_at: float | None


class DiplomacyView(TypedDict):
    """A region's stances, the stances others hold towards it, its open agreements."""

    stances: list[StanceView]
    stances_towards: list[StanceView]
    agreements: list[AgreementView]


def agreement_key(agreement_id: str) -> tuple[int, int]:
    """The sort key of an agreement id ``"{owner}-{n}"`` (owner region, then number).

    Args:
        agreement_id: the id.

    Returns:
        ``(owner, n)``; ``(0, 0)`` for a malformed id.
    """
    owner, _, n = agreement_id.partition("-")
    return (int(owner), int(n)) if owner.isdigit() and n.isdigit() else (0, 0)


def agreement_view(agreement: Agreement, now: float) -> AgreementView:
    """An agreement's view.

    Args:
        agreement: the agreement.
        now: unix seconds (an active one past its expiry shows ``expired``).

    Returns:
        The view.
    """
    a = agreement
    return AgreementView(
        id=a.id,
        owner_region_id=a.owner_region_id,
        other_region_id=a.other_region_id,
        toll_discount_pct=a.toll_discount_pct,
        tax_discount_pct=a.tax_discount_pct,
        days=a.days,
        status=agreement_status(a, now),
        proposed_by=a.proposed_by,
        proposed_at=a.proposed_at,
        accepted_by=a.accepted_by,
        accepted_at=a.accepted_at,
        expires_at=a.expires_at,
        cancelled_by=a.cancelled_by,
        cancelled_at=a.cancelled_at,
    )


def diplomacy_view(region: Region, now: float) -> DiplomacyView:
    """A region's relations.

    Args:
        region: the region.
        now: unix seconds (agreements cancelled or expired are left out).

    Returns:
        Stances by other region id; agreements proposed or in force, by id.
    """
    mine = [
        StanceView(
            region_id=region.id,
            other_region_id=other,
            stance=s.stance,
            refuse_entry=s.refuse_entry,
            set_at=s.at,
        )
        for other, s in sorted(region.stances.items())
    ]
    theirs = [
        StanceView(
            region_id=other,
            other_region_id=region.id,
            stance=s.stance,
            refuse_entry=s.refuse_entry,
            set_at=s.at,
        )
        for other, s in sorted(region.stances_towards.items())
    ]
    agreements = [
        agreement_view(a, now)
        for _, a in sorted(region.agreements.items(), key=lambda kv: agreement_key(kv[0]))
        if agreement_status(a, now) in (PROPOSED, ACTIVE)
    ]
    return DiplomacyView(stances=mine, stances_towards=theirs, agreements=agreements)
