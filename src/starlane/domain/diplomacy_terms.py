"""What diplomacy changes for a player: entry refused when hostile, tolls and taxes discounted.

These are the rules other decisions consult (gate passage in :mod:`starlane.domain.travel`,
trades in :mod:`starlane.domain.economy`); the commands and events that change stances and
agreements are in :mod:`starlane.domain.diplomacy`. Everything here is pure and reads one
region's state: its own stances (``Region.stances``) and the agreements it is a party to
(``Region.agreements``, its own or mirrored). A player's home region (the region whose citizen
they are) comes in as an argument, found by the engine (:mod:`starlane.engine.diplomacy`).

An agreement applies while it is ``active`` and the decision time is before its stored
``expires_at``; a discount is a whole percent (0-100) off the region's gate toll or trade tax,
rounded to the nearest credit.
"""

from __future__ import annotations

from starlane.domain.errors import DomainError
from starlane.domain.model import Agreement, Region

__all__ = [
    "ACTIVE",
    "ALLIED",
    "CANCELLED",
    "HOSTILE",
    "NEUTRAL",
    "PROPOSED",
    "STANCES",
    "HostileRegionError",
    "agreement_status",
    "discounted",
    "live_agreement",
    "refuses_entry",
    "relation_partners",
    "tax_discount_pct",
    "toll_discount_pct",
]

ALLIED = "allied"
NEUTRAL = "neutral"
HOSTILE = "hostile"
STANCES: tuple[str, ...] = (ALLIED, NEUTRAL, HOSTILE)
"""The stances a region takes towards another."""

PROPOSED = "proposed"
ACTIVE = "active"
CANCELLED = "cancelled"
EXPIRED = "expired"


class HostileRegionError(DomainError):
    """The destination region is hostile to the player's home region and refuses its citizens."""

    code = "hostile_region"
    kind = "forbidden"


def agreement_status(agreement: Agreement, now: float) -> str:
    """An agreement's status at a time: ``proposed``, ``active``, ``expired`` or ``cancelled``.

    Args:
        agreement: the agreement.
        now: unix seconds.

    Returns:
        The stored status, except ``expired`` for an active one at or past ``expires_at``.
    """
    if agreement.status == ACTIVE and (agreement.expires_at is None or now >= agreement.expires_at):
        return EXPIRED
    return agreement.status


def _partner(agreement: Agreement, region_id: int) -> int:
    return (
        agreement.other_region_id
        if agreement.owner_region_id == region_id
        else agreement.owner_region_id
    )


def live_agreement(region: Region, other_region_id: int, now: float) -> Agreement | None:
    """The agreement in force between a region and another at a time, if any.

    Args:
        region: one party.
        other_region_id: the other party.
        now: unix seconds (the decision time).

    Returns:
        The active, unexpired agreement between them (the latest by id when, against the
        rules, several are), or None.
    """
    found: Agreement | None = None
    for agreement in region.agreements.values():
        if _partner(agreement, region.id) != other_region_id:
            continue
        if agreement_status(agreement, now) == ACTIVE:
            found = agreement
    return found


def toll_discount_pct(region: Region, home_region_id: int | None, now: float) -> int:
    """Percent off this region's gate toll for a citizen of ``home_region_id``.

    Args:
        region: the region whose toll is paid (the destination of a gate passage).
        home_region_id: the player's home region, None when they have none.
        now: unix seconds.

    Returns:
        0-100; 0 without an agreement in force with their home region.
    """
    if home_region_id is None or home_region_id == region.id:
        return 0
    agreement = live_agreement(region, home_region_id, now)
    return 0 if agreement is None else agreement.toll_discount_pct


def tax_discount_pct(region: Region, home_region_id: int | None, now: float) -> int:
    """Percent off this region's trade tax for a citizen of ``home_region_id``.

    Args:
        region: the region where the trade is made.
        home_region_id: the trader's home region, None when they have none.
        now: unix seconds.

    Returns:
        0-100; 0 without an agreement in force with their home region.
    """
    if home_region_id is None or home_region_id == region.id:
        return 0
    agreement = live_agreement(region, home_region_id, now)
    return 0 if agreement is None else agreement.tax_discount_pct


def discounted(amount: int, pct: int) -> int:
    """An amount with a whole-percent discount, rounded to the nearest credit.

    Args:
        amount: credits, >= 0.
        pct: percent off, 0-100.

    Returns:
        Credits, between 0 and ``amount``.
    """
    if pct <= 0:
        return amount
    return round(amount * (100 - min(pct, 100)) / 100)


def refuses_entry(region: Region, player_id: int, home_region_id: int | None) -> bool:
    """Whether a region refuses a player entry because it is hostile to their home region.

    Its governor and its own citizens are never refused.

    Args:
        region: the destination region.
        player_id: the player.
        home_region_id: the player's home region, None when they have none.

    Returns:
        True when the region's stance towards the home region is hostile with
        ``refuse_entry``.
    """
    if home_region_id is None or home_region_id == region.id:
        return False
    if player_id == region.governor_id or player_id in region.citizens:
        return False
    stance = region.stances.get(home_region_id)
    return stance is not None and stance.stance == HOSTILE and stance.refuse_entry


def relation_partners(region: Region) -> list[int]:
    """The regions whose citizens this region may treat differently: those it refuses entry
    to and its agreement partners (the only homes worth finding for a passage or a trade).

    Args:
        region: the region.

    Returns:
        Region ids, ascending, without duplicates.
    """
    ids = {rid for rid, s in region.stances.items() if s.stance == HOSTILE and s.refuse_entry}
    for agreement in region.agreements.values():
        if agreement.status == ACTIVE:
            ids.add(_partner(agreement, region.id))
    return sorted(ids)
