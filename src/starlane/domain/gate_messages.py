"""Player-built gates' errors, commands and events (the rules: :mod:`starlane.domain.gates`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from starlane.domain.commands import Command
from starlane.domain.errors import DomainError
from starlane.domain.events import Event, register_event

SITE = "site"
"""A construction site taking deliveries."""
BUILDING = "building"
"""Everything delivered; the gate opens at ``due_at``."""
OPEN = "open"
"""A link ``move`` uses."""
CLOSED = "closed"
"""Closed by its owner."""
ABANDONED = "abandoned"
"""Abandoned by its owner before construction started (refunded)."""
FAILED = "failed"
"""Could no longer complete (its region closed; refunded)."""
GATE_ID_BLOCK = 1_000_000
"""Gate ids of region ``r`` are ``r * GATE_ID_BLOCK + n`` (n = 1, 2, ...)."""
GATE_TOLL_REASON = "gate_toll"
"""The ``reason`` of a treasury payout carrying a toll to a gate owner in another region."""
GATE_REFUND_REASON = "gate_refund"
"""The ``reason`` of a treasury payout refunding a failed construction to an absent owner."""


# --- errors --------------------------------------------------------------------------------
class InvalidEndpointsError(DomainError):
    """The gate's endpoints are not two distinct sectors of the builder's region, the first
    being the builder's own sector."""

    code = "invalid_endpoints"
    kind = "invalid"


class EndpointsTooCloseError(DomainError):
    """The gate's ends are fewer than ``GameRules.gate_min_warps`` warps apart."""

    code = "endpoints_too_close"
    kind = "invalid"


class PolicyForbidsError(DomainError):
    """The region's policy does not let this player build a gate in it."""

    code = "policy_forbids"
    kind = "forbidden"


class InsufficientResourcesError(DomainError):
    """The builder lacks the credits a gate costs."""

    code = "insufficient_resources"
    kind = "conflict"


class GateExistsError(DomainError):
    """A gate (site, construction or open) already links these two sectors."""

    code = "gate_exists"
    kind = "conflict"


class UnknownGateError(DomainError):
    """No such gate stands in this region (the caller's region)."""

    code = "unknown_gate"
    kind = "not_found"


class NotGateOwnerError(DomainError):
    """Only the gate's owner may do this."""

    code = "not_gate_owner"
    kind = "forbidden"


class GateStateError(DomainError):
    """The gate is not in a state that allows this (e.g. abandoning a gate under construction)."""

    code = "gate_state"
    kind = "conflict"


class NotAtSiteError(DomainError):
    """Deliveries and abandoning happen in the construction site's sector."""

    code = "not_at_site"
    kind = "conflict"


class NothingToDeliverError(DomainError):
    """The ship carries none of the goods the site still needs."""

    code = "nothing_to_deliver"
    kind = "conflict"


# --- commands ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BuildGate(Command):
    """Open a gate's construction site in the player's sector.

    Attributes:
        from_sector_id: the sector the gate stands in (the player's sector).
        to_sector_id: the sector it leads to.
        toll: credits charged on passage, 0 to ``GameRules.max_gate_toll``.
        citizen: whether the player is a Galactic Citizen now (the API's membership book);
            None: the player's tier as the region holds it.
        to_region_id: the region holding ``to_sector_id`` when it is not this one (found by
            the caller in the galaxy), else None.
        to_admits: whether that other region lets the builder build a gate into it (active,
            and its immigration policy admits them), as its state said just before.
    """

    name: ClassVar[str] = "build_gate"
    from_sector_id: int
    to_sector_id: int
    toll: int
    citizen: bool | None = None
    to_region_id: int | None = None
    to_admits: bool = True


@dataclass(frozen=True, slots=True)
class DeliverGate(Command):
    """Unload the equipment and ore the site still needs from the ship, at the site.

    Attributes:
        gate_id: the gate.
    """

    name: ClassVar[str] = "deliver_gate"
    gate_id: int


@dataclass(frozen=True, slots=True)
class AbandonGate(Command):
    """Abandon a construction site before construction starts (everything refunded).

    Attributes:
        gate_id: the gate.
    """

    name: ClassVar[str] = "abandon_gate"
    gate_id: int


@dataclass(frozen=True, slots=True)
class CloseGate(Command):
    """Close an open gate (or one under construction: nothing is refunded once it started).

    Attributes:
        gate_id: the gate.
    """

    name: ClassVar[str] = "close_gate"
    gate_id: int


@dataclass(frozen=True, slots=True)
class CompleteGate(Command):
    """The construction timer's command: open a gate whose construction is due.

    Attributes:
        gate_id: the gate.
    """

    name: ClassVar[str] = "complete_gate"
    gate_id: int


# --- events --------------------------------------------------------------------------------
@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class GateSiteOpened(Event):
    """A construction site opened: credits and carried goods taken from the builder.

    Attributes:
        player_id: the builder (owner).
        gate_id: the new gate's id.
        sector_id: the sector it stands in.
        to_sector_id: the sector it leads to.
        toll: its toll, credits.
        credits_taken: credits taken from the builder.
        credits_after: the builder's credits after.
        taken: commodity -> units taken from the ship.
        cargo_after: commodity -> the ship's units after (for the commodities taken).
        due_at: unix seconds construction completes when this already delivered everything.
        to_region_id: the region of ``to_sector_id`` when it is another region's, else None.
    """

    type: ClassVar[str] = "gate_site_opened"
    player_id: int
    gate_id: int
    sector_id: int
    to_sector_id: int
    toll: int
    credits_taken: int
    credits_after: int
    taken: dict[str, int]
    cargo_after: dict[str, int]
    due_at: float | None = None
    to_region_id: int | None = None


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class GateDelivered(Event):
    """Goods unloaded at a construction site.

    Attributes:
        player_id: the owner.
        gate_id: the gate.
        sector_id: the site's sector.
        taken: commodity -> units unloaded now.
        delivered_after: commodity -> units the site holds after.
        cargo_after: commodity -> the ship's units after.
        due_at: unix seconds construction completes, when this delivery completed it.
    """

    type: ClassVar[str] = "gate_delivered"
    player_id: int
    gate_id: int
    sector_id: int
    taken: dict[str, int]
    delivered_after: dict[str, int]
    cargo_after: dict[str, int]
    due_at: float | None = None


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class GateCompleted(Event):
    """Construction finished: the gate is open."""

    type: ClassVar[str] = "gate_completed"
    gate_id: int
    sector_id: int


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class GateAbandoned(Event):
    """The owner abandoned a site; what it held went back to them.

    Attributes:
        player_id: the owner.
        gate_id: the gate.
        credits_refunded: the site's credits, back to the owner.
        goods_returned: commodity -> units put back into the holds.
        salvage_credits: base-price credits for the goods that did not fit in the holds.
        credits_after: the owner's credits after.
        cargo_after: commodity -> the ship's units after.
    """

    type: ClassVar[str] = "gate_abandoned"
    player_id: int
    gate_id: int
    credits_refunded: int
    goods_returned: dict[str, int]
    salvage_credits: int
    credits_after: int
    cargo_after: dict[str, int]


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class GateClosed(Event):
    """The owner closed the gate."""

    type: ClassVar[str] = "gate_closed"
    player_id: int
    gate_id: int


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class GateTollPaid(Event):
    """A player passed a player-built gate (after their ``PlayerMoved``) and paid its toll.

    Attributes:
        player_id: the player passing.
        gate_id: the gate.
        owner_id: the gate's owner.
        toll: credits paid.
        credits_after: the passing player's credits after.
        owner_credits_after: the owner's credits after, when the owner is in this region;
            None otherwise (the toll then goes through the treasury: ``treasury_after``,
            followed by a ``TreasuryPayoutStarted`` to the owner).
        treasury_after: the region's treasury after (None when the owner was paid here).
    """

    type: ClassVar[str] = "gate_toll_paid"
    player_id: int
    gate_id: int
    owner_id: int
    toll: int
    credits_after: int
    owner_credits_after: int | None = None
    treasury_after: int | None = None


@dataclass(frozen=True, slots=True)
class FailGates(Command):
    """Refund constructions that can no longer complete (``player_id`` 0).

    Attributes:
        to_region_id: None: every construction of this region, which is closing (sent by the
            construction timers); a region id: the constructions of this region leading into
            that region, which is closing (sent by :mod:`starlane.engine.gates`).
    """

    name: ClassVar[str] = "fail_gates"
    to_region_id: int | None = None


@register_event
@dataclass(frozen=True, slots=True, kw_only=True)
class GateFailed(Event):
    """A construction that can no longer complete; what its site held went back to its owner.

    Attributes:
        player_id: the owner.
        gate_id: the gate.
        credits_refunded: the site's credits.
        goods_returned: commodity -> units put back into the owner's holds (owner here).
        salvage_credits: base-price credits for the goods not put back.
        credits_after: the owner's credits after, when the owner is in this region; None
            otherwise (the refund then goes through the treasury, ``treasury_after``, and a
            ``TreasuryPayoutStarted`` to the owner follows).
        cargo_after: commodity -> the owner's units after (owner here).
        treasury_after: the treasury after (owner elsewhere), else None.
    """

    type: ClassVar[str] = "gate_failed"
    player_id: int
    gate_id: int
    credits_refunded: int
    goods_returned: dict[str, int]
    salvage_credits: int
    credits_after: int | None = None
    cargo_after: dict[str, int] = field(default_factory=dict)
    treasury_after: int | None = None
