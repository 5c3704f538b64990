"""Player-built warp gates: construction site, deliveries, construction, closing.

``GAME.md`` (Multi-regional play): a Galactic Citizen builds a gate from the sector they are in
to another sector of the same region or of another region; it belongs to the region it stands
in (``RegionState.gates``, in that region's events and snapshots). It costs
``GameRules.gate_credits`` credits, ``gate_equipment`` units of equipment and ``gate_ore``
units of ore. No ship holds it all, so:

1. :class:`BuildGate` opens a **construction site** (``GateSiteOpened``) in the builder's
   sector: it takes the credits (``insufficient_resources`` without them) and whatever
   equipment and ore the ship carries, up to what is needed;
2. :class:`DeliverGate` unloads more (``GateDelivered``) on later trips, at the site;
3. once everything is delivered, **construction** starts: the event that completed the
   deliveries carries ``due_at`` = now + ``gate_build_seconds``, a durable timer (the engine
   re-arms it from :attr:`PlayerGate.due_at` at recovery, :mod:`starlane.engine.gates`), and
   :class:`CompleteGate` opens the gate (``GateCompleted``);
4. an **open** gate is a link :class:`~starlane.domain.commands.Move` uses, its toll to its
   owner (:mod:`starlane.domain.gate_passage`; into another region through the travel saga);
5. the owner may **abandon** a site before construction starts, and a construction whose
   region (or destination region) closes fails, both refunded
   (:mod:`starlane.domain.gate_refunds`); the owner may **close** an open gate
   (``GateClosed``).

Refusals: ``not_a_citizen`` (403), ``invalid_endpoints`` (422: not from your sector, the same
sector, or a sector of no region), ``endpoints_too_close`` (422: fewer than
``gate_min_warps`` warps apart inside one region), ``policy_forbids`` (403: this region, or
the destination region, does not admit the builder, or the destination is not active),
``insufficient_resources`` (409),
``gate_exists`` (409), ``unknown_gate`` (404), ``not_gate_owner`` (403), ``gate_state`` (409:
not in a state that allows it), ``not_at_site`` (409), ``nothing_to_deliver`` (409).
"""

import random
from collections import deque

from starlane.domain.data import GameRules, Membership
from starlane.domain.errors import InvalidQuantityError
from starlane.domain.events import Event
from starlane.domain.gate_messages import (
    ABANDONED,
    BUILDING,
    CLOSED,
    FAILED,
    GATE_ID_BLOCK,
    GATE_REFUND_REASON,
    GATE_TOLL_REASON,
    OPEN,
    SITE,
    AbandonGate,
    BuildGate,
    CloseGate,
    CompleteGate,
    DeliverGate,
    EndpointsTooCloseError,
    FailGates,
    GateAbandoned,
    GateClosed,
    GateCompleted,
    GateDelivered,
    GateExistsError,
    GateFailed,
    GateSiteOpened,
    GateStateError,
    GateTollPaid,
    InsufficientResourcesError,
    InvalidEndpointsError,
    NotAtSiteError,
    NotGateOwnerError,
    NothingToDeliverError,
    PolicyForbidsError,
    UnknownGateError,
)
from starlane.domain.model import Player, PlayerGate, RegionState
from starlane.domain.movement import require_player
from starlane.domain.provisioning import NotACitizenError
from starlane.domain.rules import allow_while_suspended, register_decider, register_evolver
from starlane.domain.travel import admits

__all__ = [
    "ABANDONED",
    "BUILDING",
    "CLOSED",
    "FAILED",
    "GATE_ID_BLOCK",
    "GATE_REFUND_REASON",
    "GATE_TOLL_REASON",
    "OPEN",
    "SITE",
    "AbandonGate",
    "BuildGate",
    "CloseGate",
    "CompleteGate",
    "DeliverGate",
    "EndpointsTooCloseError",
    "FailGates",
    "GateAbandoned",
    "GateClosed",
    "GateCompleted",
    "GateDelivered",
    "GateExistsError",
    "GateFailed",
    "GateSiteOpened",
    "GateStateError",
    "GateTollPaid",
    "InsufficientResourcesError",
    "InvalidEndpointsError",
    "NotAtSiteError",
    "NotGateOwnerError",
    "NothingToDeliverError",
    "PolicyForbidsError",
    "UnknownGateError",
    "gate_needs",
    "gate_region",
    "open_gate",
    "toll_transfer_id",
]


# --- rules ---------------------------------------------------------------------------------
def gate_region(gate_id: int) -> int:
    """The region a gate id belongs to.

    Args:
        gate_id: a gate id.

    Returns:
        The region id.
    """
    return gate_id // GATE_ID_BLOCK


def gate_needs(rules: GameRules) -> dict[str, int]:
    """The goods a gate needs.

    Args:
        rules: the rules in force.

    Returns:
        ``{"equipment": units, "ore": units}``.
    """
    return {"equipment": rules.gate_equipment, "ore": rules.gate_ore}


def toll_transfer_id(region_id: int, seq_hint: int, player_id: int, at: float) -> str:
    """The payout id of one toll paid to an owner in another region.

    Args:
        region_id: the gate's region.
        seq_hint: the region's seq when the toll was decided.
        player_id: the player who paid.
        at: unix seconds of the passage.

    Returns:
        ``gatetoll-<region>-<seq>-<player>-<ms>``, unique per passage.
    """
    return f"gatetoll-{region_id}-{seq_hint}-{player_id}-{int(at * 1000)}"


def open_gate(state: RegionState, from_sector_id: int, to_sector_id: int) -> PlayerGate | None:
    """The open player-built gate from one sector to another, if any (either kind: inside the
    region, or to another region's sector).

    Args:
        state: the region.
        from_sector_id: the sector the player is in.
        to_sector_id: the sector asked for.

    Returns:
        The gate, or None.
    """
    for gate in state.gates.values():
        if (
            gate.state == OPEN
            and gate.from_sector_id == from_sector_id
            and gate.to_sector_id == to_sector_id
        ):
            return gate
    return None


def _warps_apart(state: RegionState, start: int, goal: int, limit: int) -> int:
    """Warps on the shortest path from ``start`` to ``goal``, counted up to ``limit``.

    Returns:
        The distance, or ``limit`` when it is at least that (or unreachable).
    """
    seen = {start}
    frontier: deque[tuple[int, int]] = deque([(start, 0)])
    while frontier:
        sector_id, depth = frontier.popleft()
        if sector_id == goal:
            return depth
        if depth + 1 >= limit:
            continue
        for nxt in state.sectors[sector_id].warps:
            if nxt not in seen and nxt in state.sectors:
                seen.add(nxt)
                frontier.append((nxt, depth + 1))
    return limit


def _unload(player: Player, wanted: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """What the ship can unload toward ``wanted``: (units taken, ship's units after)."""
    taken: dict[str, int] = {}
    after: dict[str, int] = {}
    for key, need in wanted.items():
        have = player.ship.cargo.get(key, 0)
        n = min(have, need)
        if n > 0:
            taken[key] = n
            after[key] = have - n
    return taken, after


def site_of(state: RegionState, player_id: int, gate_id: int, *, owner: bool = True) -> PlayerGate:
    """A gate of this region, acted on by a player.

    Args:
        state: the region.
        player_id: the acting player.
        gate_id: the gate.
        owner: whether only its owner may act on it.

    Returns:
        The gate.

    Raises:
        UnknownGateError: no such gate in this region.
        NotGateOwnerError: ``owner`` and the player does not own it.
    """
    gate = state.gates.get(gate_id)
    if gate is None:
        raise UnknownGateError(f"no gate {gate_id} in this region", gate_id=gate_id)
    if owner and gate.owner_id != player_id:
        raise NotGateOwnerError(f"gate {gate_id} belongs to another player", gate_id=gate_id)
    return gate


def decide_build_gate(
    state: RegionState, command: BuildGate, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide the opening of a construction site (see the module for the refusals).

    Args:
        state: the builder's region.
        command: the request.
        now: unix seconds.
        rng: unused.

    Returns:
        One ``GateSiteOpened``.

    Raises:
        NotACitizenError, InvalidEndpointsError, EndpointsTooCloseError, PolicyForbidsError,
        InvalidQuantityError (toll out of bounds), GateExistsError,
        InsufficientResourcesError, UnknownPlayerError.
    """
    player = require_player(state, command.player_id)
    rules = state.rules
    citizen = command.citizen
    if citizen is None:
        citizen = player.membership == Membership.CITIZEN
    if not citizen:
        raise NotACitizenError("only Galactic Citizens build warp gates")
    here, to = command.from_sector_id, command.to_sector_id
    if here != player.sector_id:
        raise InvalidEndpointsError(
            f"a gate is built from your sector ({player.sector_id}), not {here}",
            from_sector_id=here,
        )
    if to == here:
        raise InvalidEndpointsError("a gate links two distinct sectors", to_sector_id=to)
    other = command.to_region_id
    if to in state.sectors:
        other = None
    elif other is None or other == state.region.id:
        raise InvalidEndpointsError(f"no sector {to} in the galaxy", to_sector_id=to)
    elif not command.to_admits:
        raise PolicyForbidsError(
            f"region {other} does not let you build a gate into it (closed to you, or not active)",
            region_id=other,
        )
    apart = rules.gate_min_warps  # two regions: no warp path to count
    if other is None:
        apart = _warps_apart(state, here, to, rules.gate_min_warps)
    if apart < rules.gate_min_warps:
        raise EndpointsTooCloseError(
            f"sectors {here} and {to} are {apart} warps apart, {rules.gate_min_warps} needed",
            warps=apart,
            needed=rules.gate_min_warps,
        )
    if not admits(state.region, player.id):
        raise PolicyForbidsError(
            f"region {state.region.name} ({state.region.policy.immigration} immigration) does "
            "not let you build a gate",
            region_id=state.region.id,
        )
    if not 0 <= command.toll <= rules.max_gate_toll:
        raise InvalidQuantityError(
            f"a gate toll is 0 to {rules.max_gate_toll} credits", toll=command.toll
        )
    for gate in state.gates.values():
        if (
            gate.state in (SITE, BUILDING, OPEN)
            and gate.from_sector_id == here
            and gate.to_sector_id == to
        ):
            raise GateExistsError(f"gate {gate.id} already links {here} to {to}", gate_id=gate.id)
    if player.credits < rules.gate_credits:
        raise InsufficientResourcesError(
            f"a gate costs {rules.gate_credits} credits, you have {player.credits}",
            needed=rules.gate_credits,
            available=player.credits,
        )
    taken, after = _unload(player, gate_needs(rules))
    done = all(taken.get(k, 0) >= n for k, n in gate_needs(rules).items())
    number = max((g.id for g in state.gates.values()), default=state.region.id * GATE_ID_BLOCK)
    return [
        GateSiteOpened(
            region_id=state.region.id,
            at=now,
            player_id=player.id,
            gate_id=number + 1,
            sector_id=here,
            to_sector_id=to,
            toll=command.toll,
            credits_taken=rules.gate_credits,
            credits_after=player.credits - rules.gate_credits,
            taken=taken,
            cargo_after=after,
            due_at=now + rules.gate_build_seconds if done else None,
            to_region_id=other,
        )
    ]


def decide_deliver_gate(
    state: RegionState, command: DeliverGate, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a delivery to a construction site.

    Returns:
        One ``GateDelivered`` (with ``due_at`` when it completes the deliveries).

    Raises:
        UnknownGateError, NotGateOwnerError, GateStateError, NotAtSiteError,
        NothingToDeliverError, UnknownPlayerError.
    """
    player = require_player(state, command.player_id)
    gate = site_of(state, player.id, command.gate_id)
    if gate.state != SITE:
        raise GateStateError(f"gate {gate.id} is {gate.state}, not taking deliveries")
    if player.sector_id != gate.from_sector_id:
        raise NotAtSiteError(
            f"the site of gate {gate.id} is in sector {gate.from_sector_id}",
            sector_id=gate.from_sector_id,
        )
    needs = gate_needs(state.rules)
    missing = {k: n - gate.delivered.get(k, 0) for k, n in needs.items()}
    taken, after = _unload(player, {k: n for k, n in missing.items() if n > 0})
    if not taken:
        raise NothingToDeliverError(
            f"the site still needs {missing}; your ship carries none of it", missing=missing
        )
    delivered = {k: gate.delivered.get(k, 0) + taken.get(k, 0) for k in needs}
    done = all(delivered[k] >= n for k, n in needs.items())
    return [
        GateDelivered(
            region_id=state.region.id,
            at=now,
            player_id=player.id,
            gate_id=gate.id,
            sector_id=gate.from_sector_id,
            taken=taken,
            delivered_after=delivered,
            cargo_after=after,
            due_at=now + state.rules.gate_build_seconds if done else None,
        )
    ]


def decide_close_gate(
    state: RegionState, command: CloseGate, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide the owner's closing of an open gate.

    Returns:
        One ``GateClosed``.

    Raises:
        UnknownGateError, NotGateOwnerError, GateStateError (not open).
    """
    gate = site_of(state, command.player_id, command.gate_id)
    if gate.state != OPEN:
        raise GateStateError(f"gate {gate.id} is {gate.state}: only an open gate closes")
    return [GateClosed(region_id=state.region.id, at=now, player_id=gate.owner_id, gate_id=gate.id)]


def decide_complete_gate(
    state: RegionState, command: CompleteGate, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide the end of a construction (the timer's command; idempotent by refusal).

    Returns:
        One ``GateCompleted``.

    Raises:
        UnknownGateError, GateStateError: not under construction (already open, or closed).
    """
    gate = site_of(state, command.player_id, command.gate_id, owner=False)
    if gate.state != BUILDING:
        raise GateStateError(f"gate {gate.id} is {gate.state}, not under construction")
    if state.region.closing or state.region.closed:
        raise GateStateError(f"region {state.region.name} is closing: gate {gate.id} fails")
    return [
        GateCompleted(
            region_id=state.region.id, at=now, gate_id=gate.id, sector_id=gate.from_sector_id
        )
    ]


# --- evolve ----------------------------------------------------------------------------------
def set_cargo(player: Player, cargo_after: dict[str, int]) -> None:
    """Set a ship's units of some commodities (0 removes the commodity).

    Args:
        player: the player.
        cargo_after: commodity -> units now.
    """
    cargo = player.ship.cargo
    for key, units in cargo_after.items():
        if units > 0:
            cargo[key] = units
        else:
            cargo.pop(key, None)


def _site_opened(state: RegionState, e: GateSiteOpened) -> None:
    state.gates[e.gate_id] = PlayerGate(
        id=e.gate_id,
        owner_id=e.player_id,
        region_id=e.region_id,
        from_sector_id=e.sector_id,
        to_sector_id=e.to_sector_id,
        toll=e.toll,
        state=SITE if e.due_at is None else BUILDING,
        credits=e.credits_taken,
        delivered=dict(e.taken),
        opened_at=e.at,
        due_at=e.due_at,
        to_region_id=e.to_region_id,
    )
    player = state.players.get(e.player_id)
    if player is not None:
        player.credits = e.credits_after
        set_cargo(player, e.cargo_after)


def _delivered(state: RegionState, e: GateDelivered) -> None:
    gate = state.gates[e.gate_id]
    gate.delivered = dict(e.delivered_after)
    if e.due_at is not None:
        gate.state = BUILDING
        gate.due_at = e.due_at
    player = state.players.get(e.player_id)
    if player is not None:
        set_cargo(player, e.cargo_after)


def _completed(state: RegionState, e: GateCompleted) -> None:
    gate = state.gates[e.gate_id]
    gate.state = OPEN
    gate.finished_at = e.at


def _closed(state: RegionState, e: GateClosed) -> None:
    gate = state.gates[e.gate_id]
    gate.state = CLOSED
    gate.finished_at = e.at


register_decider(BuildGate, decide_build_gate)
register_decider(DeliverGate, decide_deliver_gate)
register_decider(CloseGate, decide_close_gate)
register_decider(CompleteGate, decide_complete_gate)
# a construction completes on time whatever its region's status
allow_while_suspended(CompleteGate)
register_evolver(GateSiteOpened, _site_opened)
register_evolver(GateDelivered, _delivered)
register_evolver(GateCompleted, _completed)
register_evolver(GateClosed, _closed)

# passage through an open gate (registers the move and departure deciders that know gates)
# and the refunds of abandoned and failed sites
from starlane.domain import gate_passage as _gate_passage  # noqa: E402, F401
from starlane.domain import gate_refunds as _gate_refunds  # noqa: E402, F401
