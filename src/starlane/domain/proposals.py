"""Proposals and votes of a region's citizens: who may vote, how a vote is decided, and the
region commands that enact a passed proposal.

``GAME.md`` (Multi-regional play, Citizenship): citizens vote on the region's proposals. A
citizen proposes a policy change within the governor's bounds (the same validation as a
governor's change, :func:`starlane.domain.policies.policy_delta`) or the recall of the
governor. Voting lasts a fixed time; then :func:`outcome` decides: a quorum (a share of the
region's citizens at the close) must have voted, and a simple majority of the votes must say
yes. Only citizens of at least a minimum number of days vote (:func:`check_voter`,
``citizen_too_new``); a citizen who has left the region before the close is not counted.

Proposals and votes are relational rows (``ARCHITECTURE.md``, What is not event-sourced);
what a passed proposal changes in the region is event-sourced, through the region's engine,
like a governor's change:

- :class:`EnactProposal` ``kind="policy"`` -> :class:`ProposalPolicyEnacted` (the values
  before and after, applied by the same function as ``RegionPolicyChanged``); a change that
  changes nothing records nothing;
- :class:`EnactProposal` ``kind="recall"`` -> :class:`GovernorRecalled`: the region has no
  governor until an operator appoints one (``region.transfer``); nothing when it has none.

Both events name the proposal, which is the actor of their audit entries
(:mod:`starlane.audit.proposals`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from starlane.domain.commands import Command
from starlane.domain.errors import DomainError, InvalidCommandError, RegionSuspendedError
from starlane.domain.events import Event, register_event
from starlane.domain.model import Region, RegionState
from starlane.domain.policies import apply_policy_values, policy_delta
from starlane.domain.policy_bounds import PolicyValue
from starlane.domain.rules import register_decider, register_evolver

__all__ = [
    "DAY_SECONDS",
    "CitizenTooNewError",
    "EnactProposal",
    "GovernorRecalled",
    "NoGovernorError",
    "NotACitizenError",
    "ProposalClosedError",
    "ProposalKind",
    "ProposalPolicyEnacted",
    "ProposalState",
    "Tally",
    "check_voter",
    "citizen_since",
    "decide_enact",
    "outcome",
]

DAY_SECONDS = 86_400.0
"""Seconds in a day (the unit of the voters' minimum citizenship)."""


class ProposalKind(StrEnum):
    """What a proposal asks for."""

    POLICY = "policy"  #: a policy change within the governor's bounds
    RECALL = "recall"  #: the recall of the region's governor


class ProposalState(StrEnum):
    """Where a proposal stands."""

    OPEN = "open"  #: voting until ``closes_at``
    PASSED = "passed"  #: quorum reached, majority yes, enacted
    REJECTED = "rejected"  #: quorum reached, no majority of yes
    NO_QUORUM = "no_quorum"  #: too few citizens voted
    FAILED = "failed"  #: passed, but the region refused to enact it (``failure`` says why)


# --- errors -----------------------------------------------------------------------------------
class NotACitizenError(DomainError):
    """Only the region's citizens vote on its proposals."""

    code = "not_a_citizen_of_region"
    kind = "forbidden"


class CitizenTooNewError(DomainError):
    """A citizen votes once they have been one for the minimum number of days."""

    code = "citizen_too_new"
    kind = "forbidden"


class ProposalClosedError(DomainError):
    """The proposal's vote has closed."""

    code = "proposal_closed"
    kind = "conflict"


class NoGovernorError(DomainError):
    """A recall needs a governor to recall."""

    code = "no_governor"
    kind = "conflict"


# --- who votes, and how a vote is decided -----------------------------------------------------
def citizen_since(region: Region, player_id: int) -> float | None:
    """Since when a player is a citizen of a region.

    Args:
        region: the region.
        player_id: the player.

    Returns:
        Unix seconds they became a citizen; the region's opening for citizens from before
        the date was recorded; None when they are not a citizen.
    """
    if player_id not in region.citizens:
        return None
    return region.citizen_since.get(player_id, region.opened_at)


def check_voter(region: Region, player_id: int, now: float, min_days: float) -> None:
    """Refuse a voter who is not a citizen, or not for long enough.

    Args:
        region: the proposal's region.
        player_id: the voter.
        now: unix seconds.
        min_days: days of citizenship a voter needs (0: any citizen).

    Raises:
        NotACitizenError: not a citizen of the region (``not_a_citizen_of_region``).
        CitizenTooNewError: a citizen for less than ``min_days`` (``citizen_too_new``, with
            ``eligible_at`` in the context).
    """
    since = citizen_since(region, player_id)
    if since is None:
        raise NotACitizenError(
            f"player {player_id} is not a citizen of {region.name}", region_id=region.id
        )
    eligible_at = since + min_days * DAY_SECONDS
    if now < eligible_at:
        raise CitizenTooNewError(
            f"citizens of {region.name} vote after {min_days:g} days of citizenship",
            region_id=region.id,
            citizen_since=since,
            eligible_at=eligible_at,
            min_days=min_days,
        )


@dataclass(frozen=True, slots=True)
class Tally:
    """The counted votes of a proposal.

    Attributes:
        yes: votes for.
        no: votes against.
        citizens: the region's citizens (the quorum's base).
    """

    yes: int
    no: int
    citizens: int

    @property
    def votes(self) -> int:
        """Votes cast."""
        return self.yes + self.no

    def quorum_needed(self, quorum: float) -> int:
        """The votes a quorum needs: ``ceil(quorum x citizens)``, at least 1.

        Args:
            quorum: share of the citizens (0-1).
        """
        return max(1, math.ceil(quorum * self.citizens - 1e-9))


def outcome(tally: Tally, quorum: float) -> ProposalState:
    """How a closed vote is decided: quorum, then a simple majority.

    Args:
        tally: the votes counted at the close (of citizens at the close).
        quorum: share of the region's citizens that must have voted (0-1).

    Returns:
        ``no_quorum`` when fewer than :meth:`Tally.quorum_needed` voted; else ``passed``
        when more voted yes than no, ``rejected`` otherwise (a tie rejects).
    """
    if tally.votes < tally.quorum_needed(quorum):
        return ProposalState.NO_QUORUM
    return ProposalState.PASSED if tally.yes > tally.no else ProposalState.REJECTED


# --- enacting a passed proposal -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EnactProposal(Command):
    """Apply a passed proposal to its region (sent to that region's engine; ``player_id`` 0).

    Attributes:
        proposal_id: the proposal.
        kind: ``policy`` or ``recall``.
        changes: field name -> new value, for a policy proposal.
    """

    name: ClassVar[str] = "enact_proposal"
    proposal_id: int
    kind: str
    changes: Mapping[str, Any] = field(default_factory=dict)


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class ProposalPolicyEnacted(Event):
    """The citizens' passed proposal changed some of the region's policies.

    Attributes:
        proposal_id: the proposal (the actor).
        before: field name -> value before, for the fields that changed.
        after: field name -> value after (same keys; stored forms as ``RegionPolicyChanged``).
    """

    type: ClassVar[str] = "proposal_policy_enacted"
    proposal_id: int
    before: dict[str, PolicyValue]
    after: dict[str, PolicyValue]


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class GovernorRecalled(Event):
    """The citizens recalled the region's governor: it has none until an operator appoints one.

    Attributes:
        proposal_id: the proposal (the actor).
        governor_id: the governor recalled.
    """

    type: ClassVar[str] = "governor_recalled"
    proposal_id: int
    governor_id: int


def decide_enact(
    state: RegionState, command: EnactProposal, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide the enactment of a passed proposal.

    Args:
        state: the region (not modified).
        command: the enactment.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[ProposalPolicyEnacted]`` or ``[GovernorRecalled]``; ``[]`` when nothing changes
        (the values are the current ones, or there is no governor to recall), so enacting
        twice changes nothing the second time.

    Raises:
        RegionSuspendedError: the region is suspended or closed.
        InvalidCommandError: an unknown kind, field or a value of the wrong type.
        PolicyOutOfBoundsError: a value outside the bounds in force now.
    """
    region = state.region
    if region.status != "active":
        raise RegionSuspendedError(
            f"region {region.name} is {region.status}", region_id=region.id, status=region.status
        )
    if command.kind == ProposalKind.RECALL:
        if region.governor_id is None:
            return []
        return [
            GovernorRecalled(
                region_id=region.id,
                at=now,
                proposal_id=command.proposal_id,
                governor_id=region.governor_id,
            )
        ]
    if command.kind != ProposalKind.POLICY:
        raise InvalidCommandError(f"no proposal kind {command.kind!r}")
    before, after = policy_delta(state, command.changes)
    if not after:
        return []
    return [
        ProposalPolicyEnacted(
            region_id=region.id,
            at=now,
            proposal_id=command.proposal_id,
            before=before,
            after=after,
        )
    ]


def _policy_enacted(state: RegionState, e: ProposalPolicyEnacted) -> None:
    apply_policy_values(state.region, e.after)


def _recalled(state: RegionState, e: GovernorRecalled) -> None:
    if state.region.governor_id == e.governor_id:
        state.region.governor_id = None


register_decider(EnactProposal, decide_enact)
register_evolver(ProposalPolicyEnacted, _policy_enacted)
register_evolver(GovernorRecalled, _recalled)
