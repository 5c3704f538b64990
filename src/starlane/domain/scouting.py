"""Scouting reports: who may file one, the quality formula, and the reward's region command.

A player who has spent at least ``STARLANE_SCOUT_MIN_HOURS`` of game time in a region over the
last :data:`WINDOW_SECONDS` may file a report on it (economy, politics, military or
opportunities). The report itself is built from the author's own observations by
:mod:`starlane.domain.scouting_report`; this module holds the rules around it:

- **Presence.** :data:`PRESENCE_EVENT_TYPES` is the one list of event types that place a player
  in a region (the store's presence query and :func:`time_in_region` both read it). Each type
  is an arrival, an activity or a departure.
- **Time in a region** (:func:`time_in_region`): the author's presence events in the region,
  oldest first; each interval between two consecutive ones counts, capped at ``gap_cap``
  seconds (an idle player does not scout), except an interval that starts with a departure
  (the player was elsewhere until they came back). The interval from the last event to now
  counts too (capped the same way) unless that event is a departure.
- **Quality** (:func:`quality_score`):
  ``Q = round(100 * (0.4 * coverage + 0.2 * freshness + 0.4 * breadth))``, where coverage is
  the share of the region's ports the author visited, freshness ``mean(max(0, 1 - age /
  window))`` over the observations' last-seen ages, and breadth the share of the kind's
  sections that hold data.
- **Reward**: ``Q * credits_per_point`` credits, paid by :class:`PayScoutingReward` in the region
  the author is in, at most once per reward id (kept in ``RegionState.transfers_in`` as
  :data:`REWARD_PAID`), so a retry after a crash never pays twice.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar, Final

from starlane.domain.commands import Command
from starlane.domain.errors import DomainError
from starlane.domain.events import Event, register_event
from starlane.domain.model import RegionState
from starlane.domain.rules import register_decider, register_evolver
from starlane.domain.treasury import apply_keyed_credits, keyed_player

__all__ = [
    "KIND_SECTIONS",
    "PRESENCE_EVENT_TYPES",
    "QUALITY_WEIGHTS",
    "REPORT_KINDS",
    "REWARD_PAID",
    "WINDOW_SECONDS",
    "InsufficientScoutingHoursError",
    "PayScoutingReward",
    "Presence",
    "PresenceMark",
    "ScoutingReportTooSoonError",
    "ScoutingRewardPaid",
    "UnknownReportKindError",
    "decide_pay_scouting_reward",
    "quality_score",
    "reward_id",
    "time_in_region",
]

WINDOW_SECONDS: Final = 7 * 86_400
"""How far back presence and observations count (seconds): the last 7 days."""

REPORT_KINDS: Final = ("economy", "politics", "military", "opportunities")
"""The kinds of report a scout may file."""

KIND_SECTIONS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "economy": ("ports", "prices", "trade_goods", "market_gaps"),
        "politics": ("governance", "immigration", "taxes_and_tolls", "security", "policy_changes"),
        "military": ("piracy", "pirates_met", "conflicts", "hazards"),
        "opportunities": ("trade_routes", "shortages", "discoveries"),
    }
)
"""The sections of each kind of report; breadth is the share of them that hold data."""

QUALITY_WEIGHTS: Final = (0.4, 0.2, 0.4)
"""Weights of coverage, freshness and breadth in the quality score (they sum to 1)."""

REWARD_PAID: Final = "scouting_paid"
"""``RegionState.transfers_in`` value of a reward id credited in that region."""


class Presence(StrEnum):
    """What a presence event says about the player's stay in the region."""

    ARRIVAL = "arrival"
    ACTIVITY = "activity"
    DEPARTURE = "departure"


PRESENCE_EVENT_TYPES: Final[Mapping[str, Presence]] = MappingProxyType(
    {
        "player_spawned": Presence.ARRIVAL,
        "transfer_arrived": Presence.ARRIVAL,
        "transfer_compensated": Presence.ARRIVAL,  # refused at the destination: back here
        "player_moved": Presence.ACTIVITY,
        "sectors_scanned": Presence.ACTIVITY,
        "port_traded": Presence.ACTIVITY,
        "ship_bought": Presence.ACTIVITY,
        "hardware_bought": Presence.ACTIVITY,
        "hull_repaired": Presence.ACTIVITY,
        "combat_resolved": Presence.ACTIVITY,
        "player_jumped": Presence.ACTIVITY,  # a Warp Jumper's jump inside the region
        "transfer_departed": Presence.DEPARTURE,
        "jump_departed": Presence.DEPARTURE,  # a jump to another region (with its departure)
    }
)
"""Event type -> presence role: THE list of events (recorded with the player as actor) that
place a player in the region recording them. A new way in, out or around a region (a jump)
adds its event types here and nowhere else."""


# --- errors -----------------------------------------------------------------------------------
class UnknownReportKindError(DomainError):
    """A report kind other than economy, politics, military or opportunities."""

    code = "unknown_report_kind"
    kind = "invalid"


class InsufficientScoutingHoursError(DomainError):
    """The author has not spent the required hours in the region over the window."""

    code = "insufficient_scouting_hours"
    kind = "conflict"


class ScoutingReportTooSoonError(DomainError):
    """The author filed a report too recently (the per-author cooldown)."""

    code = "scouting_report_too_soon"
    kind = "conflict"


# --- presence ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PresenceMark:
    """One presence event of a player in a region.

    Attributes:
        at: unix seconds.
        type: the event type (a key of :data:`PRESENCE_EVENT_TYPES`).
    """

    at: float
    type: str


def time_in_region(marks: Iterable[PresenceMark], *, now: float, gap_cap: float) -> float:
    """Seconds of game time a player spent in a region, from their presence events there.

    Args:
        marks: the player's presence events in the region, oldest first (events of types not
            in :data:`PRESENCE_EVENT_TYPES` are ignored).
        now: unix seconds (the tail interval ends here).
        gap_cap: the most one interval between two events may count, seconds (> 0).

    Returns:
        Seconds, >= 0 (see the module docstring for the rule).
    """
    total = 0.0
    previous: PresenceMark | None = None
    for mark in marks:
        role = PRESENCE_EVENT_TYPES.get(mark.type)
        if role is None:
            continue
        if previous is not None and PRESENCE_EVENT_TYPES[previous.type] is not Presence.DEPARTURE:
            total += min(max(mark.at - previous.at, 0.0), gap_cap)
        previous = mark
    if previous is not None and PRESENCE_EVENT_TYPES[previous.type] is not Presence.DEPARTURE:
        total += min(max(now - previous.at, 0.0), gap_cap)
    return total


# --- quality ----------------------------------------------------------------------------------
def quality_score(coverage: float, freshness: float, breadth: float) -> int:
    """The quality score of a report.

    Args:
        coverage: ports visited / ports in the region, 0..1.
        freshness: 0..1 (1: everything seen just now).
        breadth: share of the kind's sections with data, 0..1.

    Returns:
        ``round(100 * (0.4 * coverage + 0.2 * freshness + 0.4 * breadth))``, clamped to 0..100.
    """
    wc, wf, wb = QUALITY_WEIGHTS
    parts = (min(max(x, 0.0), 1.0) for x in (coverage, freshness, breadth))
    c, f, b = parts
    return max(0, min(100, round(100 * (wc * c + wf * f + wb * b))))


def freshness_of(last_seen: Sequence[float], now: float, horizon: float = WINDOW_SECONDS) -> float:
    """Freshness of a set of observations: ``mean(max(0, 1 - age / horizon))``.

    Args:
        last_seen: unix seconds each observed thing was last seen.
        now: unix seconds.
        horizon: the age at which an observation is worth nothing, seconds.

    Returns:
        0..1; 0 when nothing was observed.
    """
    if not last_seen:
        return 0.0
    return sum(max(0.0, 1.0 - max(now - t, 0.0) / horizon) for t in last_seen) / len(last_seen)


def reward_id(report_id: int) -> str:
    """The idempotency key of a report's reward.

    Args:
        report_id: the report.

    Returns:
        ``scout-report-<id>``.
    """
    return f"scout-report-{report_id}"


# --- the reward as a region command -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PayScoutingReward(Command):
    """Credit a scouting report's reward to its author, in the region the author is in.

    Attributes:
        player_id: the author.
        reward_id: the idempotency key (:func:`reward_id`).
        report_id: the report.
        amount: credits, > 0.
    """

    name: ClassVar[str] = "pay_scouting_reward"
    reward_id: str
    report_id: int
    amount: int


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class ScoutingRewardPaid(Event):
    """A scouting report's reward reached its author.

    Attributes:
        player_id: the author.
        reward_id: the idempotency key.
        report_id: the report.
        amount: credits received.
        credits_after: the author's credits after.
    """

    type: ClassVar[str] = "scouting_reward_paid"
    player_id: int
    reward_id: str
    report_id: int
    amount: int
    credits_after: int


def decide_pay_scouting_reward(
    state: RegionState, command: PayScoutingReward, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a reward payment, at most once per reward id in this region.

    Args:
        state: the region the author is in.
        command: the payment.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[]`` when this reward id was already paid here; else one ``ScoutingRewardPaid``.

    Raises:
        UnknownPlayerError: the author is not in this region (nothing recorded).
        InvalidQuantityError: ``amount`` is not positive.
    """
    player = keyed_player(state, command.reward_id, command.player_id, command.amount, "a reward")
    if player is None:
        return []
    return [
        ScoutingRewardPaid(
            region_id=state.region.id,
            at=now,
            player_id=player.id,
            reward_id=command.reward_id,
            report_id=command.report_id,
            amount=command.amount,
            credits_after=player.credits + command.amount,
        )
    ]


def _reward_paid(state: RegionState, e: ScoutingRewardPaid) -> None:
    apply_keyed_credits(state, e.player_id, e.credits_after, e.reward_id, REWARD_PAID)


register_decider(PayScoutingReward, decide_pay_scouting_reward, saga_step=True)
register_evolver(ScoutingRewardPaid, _reward_paid)
