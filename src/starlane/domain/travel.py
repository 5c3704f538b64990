"""Travel between regions: gate passage as a saga with an idempotent transfer id.

A passage spans two single-writer regions, so it is decided in three steps, each an event of
one region:

1. **departure** at the source (:func:`decide_depart` -> ``TransferDeparted``): the player
   pays the passage (``GameRules.gate_turns`` turns; the destination's ``gate_toll``, less a
   trade agreement's discount, plus the gate's own toll, in credits) and leaves the region's
   players; the event carries the whole player (ship, cargo, credits, turns, explored
   sectors) and the region holds it in ``transfers_out`` until step 3;
2. **arrival or refusal** at the destination (:func:`decide_arrive`), decided at most once per
   transfer id: ``TransferArrived`` puts the player in the gate's arrival sector and pays the
   toll into the treasury; ``TransferRefused`` records that the destination does not admit
   them (immigration policy, region suspended or closed). Either is remembered in
   ``transfers_in``, so a repeated delivery decides nothing and answers the same outcome;
3. **settlement** at the source (:func:`decide_settle`): ``TransferCompleted`` closes an
   admitted departure (or ``TransfersClosed`` closes many at once, :func:`decide_close`);
   ``TransferCompensated`` puts a refused player back at the gate sector
   with the toll and turns refunded.

At every moment each credit and each unit of cargo is in exactly one place: with a player,
in a treasury, or in a departure whose arrival is not yet recorded (:func:`in_flight`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from starlane.domain.commands import Arrive, CloseTransfers, Command, Depart, SettleTransfer
from starlane.domain.data import GameRules, Immigration
from starlane.domain.diplomacy_terms import HostileRegionError, discounted, refuses_entry
from starlane.domain.errors import (
    AlreadyThereError,
    ImmigrationRefusedError,
    InsufficientCreditsError,
    InsufficientTurnsError,
    InvalidCommandError,
    NoGateError,
    RegionSuspendedError,
    UnknownPlayerError,
)
from starlane.domain.events import (
    Event,
    TransferArrived,
    TransferCompensated,
    TransferCompleted,
    TransferDeparted,
    TransferRefused,
    TransfersClosed,
)
from starlane.domain.model import GateLink, PendingTransfer, Player, Region, RegionState, Ship
from starlane.domain.movement import current_turns

__all__ = [
    "ARRIVED",
    "DECIDERS",
    "EVOLVERS",
    "REFUSED",
    "SAGA_COMMANDS",
    "admits",
    "check_admission",
    "copy_player",
    "decide_arrive",
    "decide_close",
    "decide_depart",
    "decide_settle",
    "gate_to",
    "in_flight",
    "passage_toll",
]

ARRIVED = "arrived"
"""Outcome of an admitted arrival (``RegionState.transfers_in`` value; any other value there
is the refusal code of a refused arrival)."""
REFUSED = "refused"
"""The settlement outcome of a refused arrival (:class:`SettleTransfer`)."""


# --- admission and cost ------------------------------------------------------------------------
def admits(region: Region, player_id: int) -> bool:
    """Whether a region's immigration policy admits a player through its gates.

    ``open`` admits everyone; ``permit`` its permit list, its citizens and its governor;
    ``closed`` only its citizens and its governor.

    Args:
        region: the destination region.
        player_id: the player.

    Returns:
        True when the player may enter.
    """
    policy = region.policy.immigration
    if policy == Immigration.OPEN:
        return True
    if player_id == region.governor_id or player_id in region.citizens:
        return True
    return policy == Immigration.PERMIT and player_id in region.permits


def check_admission(region: Region, player_id: int, home_region_id: int | None = None) -> None:
    """Refuse a passage the destination region would not take.

    Args:
        region: the destination region.
        player_id: the player.
        home_region_id: the player's home region, None when they have none.

    Raises:
        RegionSuspendedError: the region is suspended or closed (``region_suspended``).
        ImmigrationRefusedError: its immigration policy does not admit the player.
        HostileRegionError: it is hostile to the player's home region and refuses its
            citizens entry (``hostile_region``).
    """
    status = region.status
    if status != "active":
        raise RegionSuspendedError(
            f"region {region.name} is {status} and admits no one",
            region_id=region.id,
            status=status,
        )
    if not admits(region, player_id):
        policy = str(region.policy.immigration)
        raise ImmigrationRefusedError(
            f"region {region.name} ({policy} immigration) does not admit player {player_id}",
            region_id=region.id,
            immigration=policy,
        )
    if refuses_entry(region, player_id, home_region_id):
        raise HostileRegionError(
            f"region {region.name} is hostile to region {home_region_id} and refuses its "
            "citizens entry",
            region_id=region.id,
            home_region_id=home_region_id,
        )


def passage_toll(destination: Region, gate: GateLink) -> int:
    """Credits a passage through a gate costs: the destination's toll plus the gate's own.

    Args:
        destination: the destination region.
        gate: the gate taken.

    Returns:
        The toll, credits.
    """
    return destination.policy.gate_toll + gate.toll


def gate_to(state: RegionState, sector_id: int, to_sector_id: int) -> GateLink | None:
    """The gate in a sector of the region that leads to ``to_sector_id``, if any.

    Args:
        state: the region.
        sector_id: the sector the player is in.
        to_sector_id: the sector asked for (global id).

    Returns:
        The gate, or None when the sector's gate (if any) leads elsewhere. An open
        player-built gate to another region (:mod:`starlane.domain.gates`) answers as a link
        with its ``owner_id`` and toll 0 (its own toll is paid to its owner at departure).
    """
    sector = state.sectors.get(sector_id)
    gate = None if sector is None else sector.gate
    if gate is not None and gate.to_sector_id == to_sector_id:
        return gate
    for built in state.gates.values():  # an open player-built gate to another region
        if (
            built.state == "open"
            and built.to_region_id is not None
            and built.from_sector_id == sector_id
            and built.to_sector_id == to_sector_id
        ):
            return GateLink(built.to_region_id, to_sector_id, 0, built.owner_id)
    return None


def copy_player(player: Player) -> Player:
    """A deep, independent copy of a player (events never share mutable state).

    Args:
        player: the player.

    Returns:
        An equal player sharing no mutable object with ``player``.
    """
    ship = player.ship
    return Player(
        id=player.id,
        name=player.name,
        region_id=player.region_id,
        sector_id=player.sector_id,
        credits=player.credits,
        turns=player.turns,
        turns_at=player.turns_at,
        ship=Ship(
            ship.type,
            ship.name,
            ship.holds,
            ship.fighters,
            ship.shields,
            ship.hull,
            dict(ship.cargo),
        ),
        membership=player.membership,
        explored=set(player.explored),
        last_jump_at=player.last_jump_at,
        joined_at=player.joined_at,
    )


def in_flight(state: RegionState, arrived: Callable[[str, int], bool]) -> list[PendingTransfer]:
    """The departures of a region whose arrival is not yet recorded at their destination.

    Their carried credits, toll and cargo exist nowhere else: conservation sums count them.

    Args:
        state: the source region.
        arrived: ``arrived(transfer_id, to_region_id)``: whether the destination recorded
            the arrival.

    Returns:
        The departures in flight, by transfer id.
    """
    return [t for tid, t in sorted(state.transfers_out.items()) if not arrived(tid, t.to_region_id)]


# --- decide --------------------------------------------------------------------------------------
def decide_depart(
    state: RegionState, command: Depart, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide a departure through the gate in the player's sector (saga step 1).

    Admission by the destination is checked by the caller (:func:`check_admission`) on the
    destination's state just before, and again by the destination on arrival.

    Args:
        state: the source region.
        command: the departure, with the destination's terms.
        now: unix seconds.
        rng: unused.

    Returns:
        One ``TransferDeparted``.

    Raises:
        UnknownPlayerError: the player is not in this region.
        AlreadyThereError: ``to_sector_id`` is the player's sector.
        NoGateError: no gate in the player's sector leads to ``to_sector_id`` in
            ``to_region_id``.
        InvalidCommandError: the transfer id is already in use.
        InsufficientTurnsError: fewer turns than ``rules.gate_turns``.
        InsufficientCreditsError: fewer credits than the toll.
    """
    player = state.players.get(command.player_id)
    if player is None:
        raise UnknownPlayerError(
            f"player {command.player_id} is not in this region", player_id=command.player_id
        )
    here, to = player.sector_id, command.to_sector_id
    if to == here:
        raise AlreadyThereError(f"already in sector {to}", sector_id=to)
    gate = gate_to(state, here, to)
    if gate is None or gate.to_region_id != command.to_region_id:
        raise NoGateError(
            f"no gate in sector {here} leads to sector {to}", sector_id=here, to_sector_id=to
        )
    if command.transfer_id in state.transfers_out or command.transfer_id in state.transfers_in:
        raise InvalidCommandError(f"transfer {command.transfer_id} already exists")
    rules: GameRules = state.rules
    cost = rules.gate_turns
    turns, turns_at = current_turns(player, now, rules)
    if turns < cost:
        raise InsufficientTurnsError(
            f"passing the gate costs {cost} turns, {turns} available",
            needed=cost,
            available=turns,
        )
    region_toll = command.region_toll
    if command.toll_discount_pct and now < command.discount_until:
        region_toll = discounted(region_toll, command.toll_discount_pct)
    toll = region_toll + gate.toll
    if player.credits < toll:
        raise InsufficientCreditsError(
            f"the gate toll is {toll} credits, {player.credits} available",
            needed=toll,
            available=player.credits,
        )
    carried = copy_player(player)
    carried.credits -= toll
    carried.turns = turns - cost
    carried.turns_at = turns_at
    return [
        TransferDeparted(
            region_id=state.region.id,
            at=now,
            player_id=player.id,
            transfer_id=command.transfer_id,
            sector_id=here,
            to_region_id=command.to_region_id,
            to_sector_id=to,
            toll=toll,
            turns_cost=cost,
            player=carried,
        )
    ]


def decide_arrive(
    state: RegionState, command: Arrive, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide an arrival through a gate (saga step 2), at most once per transfer id.

    Args:
        state: the destination region (suspended or closed regions decide too: they refuse).
        command: the arrival, carrying the departure.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[]`` when this transfer id was already decided (the outcome stays the one recorded
        in ``state.transfers_in``); else one ``TransferArrived`` (a closing region admits
        every arrival, toll refunded, and its closure then evacuates them to the Nexus) or
        one ``TransferRefused``
        (reason ``region_suspended``, ``immigration_refused``, ``hostile_region``,
        ``unknown_sector`` or ``player_exists``).
    """
    tid = command.transfer_id
    if tid in state.transfers_in:
        return []
    region = state.region
    carried = command.carried
    player_id = command.player_id
    reason = ""
    closing = region.closing  # a closing region takes in whoever was already on the way
    try:
        if not closing:
            check_admission(region, player_id, command.home_region_id)
    except (RegionSuspendedError, ImmigrationRefusedError, HostileRegionError) as refused:
        reason = refused.code
    if not reason and command.to_sector_id not in state.sectors:
        reason = "unknown_sector"
    if not reason and player_id in state.players:
        reason = "player_exists"
    if reason:
        return [
            TransferRefused(
                region_id=region.id,
                at=now,
                player_id=player_id,
                transfer_id=tid,
                from_region_id=command.from_region_id,
                reason=reason,
            )
        ]
    arriving = copy_player(carried.player)
    arriving.region_id = region.id
    arriving.sector_id = command.to_sector_id
    first_visit = command.to_sector_id not in arriving.explored
    arriving.explored.add(command.to_sector_id)
    toll = carried.toll
    if closing:  # admitted only to be evacuated to the Nexus: the toll goes back to them
        arriving.credits += toll
        toll = 0
    return [
        TransferArrived(
            region_id=region.id,
            at=now,
            player_id=player_id,
            transfer_id=tid,
            from_region_id=command.from_region_id,
            sector_id=command.to_sector_id,
            toll=toll,
            treasury_after=region.treasury + toll,
            first_visit=first_visit,
            player=arriving,
        )
    ]


def decide_settle(
    state: RegionState, command: SettleTransfer, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Settle a departure once the destination has decided (saga step 3), idempotently.

    Args:
        state: the source region (suspended regions settle too).
        command: the settlement.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[]`` when the departure is already settled; else one ``TransferCompleted`` (outcome
        ``arrived``) or one ``TransferCompensated`` (outcome ``refused``: back at the gate
        sector, toll and turns refunded).

    Raises:
        InvalidCommandError: an outcome other than ``arrived`` or ``refused``.
    """
    pending = state.transfers_out.get(command.transfer_id)
    if pending is None:
        return []
    if command.outcome == ARRIVED:
        return [
            TransferCompleted(
                region_id=state.region.id,
                at=now,
                player_id=command.player_id,
                transfer_id=command.transfer_id,
                to_region_id=pending.to_region_id,
            )
        ]
    if command.outcome != REFUSED:
        raise InvalidCommandError(f"unknown transfer outcome {command.outcome!r}")
    return [
        TransferCompensated(
            region_id=state.region.id,
            at=now,
            player_id=pending.player.id,
            transfer_id=command.transfer_id,
            sector_id=pending.gate_sector_id,
            credits_after=pending.player.credits + pending.toll,
            turns_after=pending.player.turns + pending.turns_cost,
            reason=command.reason,
        )
    ]


def decide_close(
    state: RegionState, command: CloseTransfers, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Close admitted departures in one event (saga step 3, batched), idempotently.

    The caller closes only transfers whose arrival the destination recorded.

    Args:
        state: the source region (suspended regions close too).
        command: the transfers to close.
        now: unix seconds.
        rng: unused.

    Returns:
        ``[]`` when none of them is pending; else one ``TransfersClosed`` with those that are.
    """
    pending = tuple(tid for tid in command.transfer_ids if tid in state.transfers_out)
    if not pending:
        return []
    return [TransfersClosed(region_id=state.region.id, at=now, transfer_ids=pending)]


# --- evolve --------------------------------------------------------------------------------------
def _departed(state: RegionState, e: TransferDeparted) -> None:
    left = state.players.pop(e.player_id, None)
    if left is not None:
        state.player_removed(left)
    # the pending transfer shares the event's player: neither is ever changed
    state.transfers_out[e.transfer_id] = PendingTransfer(
        transfer_id=e.transfer_id,
        player=e.player,
        gate_sector_id=e.sector_id,
        to_region_id=e.to_region_id,
        to_sector_id=e.to_sector_id,
        toll=e.toll,
        turns_cost=e.turns_cost,
        at=e.at,
    )


def _arrived(state: RegionState, e: TransferArrived) -> None:
    player = state.players[e.player_id] = copy_player(e.player)
    state.player_placed(player, None)
    state.region.treasury = e.treasury_after
    state.transfers_in[e.transfer_id] = ARRIVED


def _refused(state: RegionState, e: TransferRefused) -> None:
    state.transfers_in[e.transfer_id] = e.reason or REFUSED


def _completed(state: RegionState, e: TransferCompleted) -> None:
    state.transfers_out.pop(e.transfer_id, None)


def _closed(state: RegionState, e: TransfersClosed) -> None:
    for tid in e.transfer_ids:
        state.transfers_out.pop(tid, None)


def _compensated(state: RegionState, e: TransferCompensated) -> None:
    pending = state.transfers_out.pop(e.transfer_id)
    player = copy_player(pending.player)
    player.sector_id = e.sector_id
    player.region_id = state.region.id
    player.credits = e.credits_after
    player.turns = e.turns_after
    state.players[player.id] = player
    state.player_placed(player, None)


DECIDERS: Mapping[type[Command], Callable[[RegionState, Any, float, random.Random], list[Event]]]
DECIDERS = {
    Depart: decide_depart,
    Arrive: decide_arrive,
    SettleTransfer: decide_settle,
    CloseTransfers: decide_close,
}
"""The travel commands' deciders, registered by :mod:`starlane.domain.rules`."""

EVOLVERS: Mapping[type[Event], Callable[[RegionState, Any], None]] = {
    TransferDeparted: _departed,
    TransferArrived: _arrived,
    TransferRefused: _refused,
    TransferCompleted: _completed,
    TransferCompensated: _compensated,
    TransfersClosed: _closed,
}
"""The travel events' evolvers, registered by :mod:`starlane.domain.rules`."""

SAGA_COMMANDS: frozenset[type[Command]] = frozenset({Arrive, SettleTransfer, CloseTransfers})
"""Saga steps a suspended region still decides (a refusal or a settlement is owed)."""
