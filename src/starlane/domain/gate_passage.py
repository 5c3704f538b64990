"""Passage through an open player-built gate: a link ``move`` uses, its toll to the owner.

A :class:`~starlane.domain.commands.Move` to a sector no warp leads to, but an open gate of
the player's sector does (:func:`~starlane.domain.gates.open_gate`), passes the gate: it costs
``GameRules.gate_turns`` turns and the gate's toll (its owner passes free). The toll goes to
the owner in the same commit when the owner is in the region; otherwise into the treasury and
straight out again as a treasury payout to the owner (reason ``gate_toll``), which
:mod:`starlane.engine.gates` drives to wherever the owner is.
"""

from __future__ import annotations

import dataclasses
import random

from starlane.domain.commands import Depart, Move
from starlane.domain.errors import (
    InsufficientCreditsError,
    InsufficientTurnsError,
)
from starlane.domain.events import Event, PlayerMoved, TransferDeparted
from starlane.domain.gate_messages import GATE_TOLL_REASON, OPEN, GateTollPaid
from starlane.domain.gates import open_gate, toll_transfer_id
from starlane.domain.model import GateLink, Player, PlayerGate, RegionState
from starlane.domain.movement import current_turns, decide_move
from starlane.domain.rules import register_decider, register_evolver
from starlane.domain.travel import copy_player, decide_depart, gate_to
from starlane.domain.treasury import TreasuryPayoutStarted

__all__ = [
    "decide_depart_through_gates",
    "decide_move_or_gate",
    "player_gate_at",
    "toll_events",
]


def decide_move_or_gate(
    state: RegionState, command: Move, now: float, rng: random.Random | None = None
) -> list[Event]:
    """A move along a warp, or through an open player-built gate in the player's sector.

    A warp wins when both lead there. A gate passage costs ``gate_turns`` turns and the gate's
    toll (its owner passes free).

    Returns:
        ``[PlayerMoved]`` for a warp; ``[PlayerMoved, GateTollPaid]`` (plus a
        ``TreasuryPayoutStarted`` to an owner in another region) for a gate.

    Raises:
        As :func:`~starlane.domain.movement.decide_move`; InsufficientTurnsError,
        InsufficientCreditsError for a gate passage.
    """
    player = state.players.get(command.player_id)
    to = command.to_sector_id
    gate = None
    if player is not None and to != player.sector_id and state.gates:
        here = state.sectors.get(player.sector_id)
        if here is not None and to not in here.warps and to in state.sectors:
            gate = open_gate(state, player.sector_id, to)
    if gate is None or player is None:
        return decide_move(state, command, now, rng)
    rules = state.rules
    cost = rules.gate_turns
    turns, turns_at = current_turns(player, now, rules)
    if turns < cost:
        raise InsufficientTurnsError(
            f"passing gate {gate.id} costs {cost} turns, {turns} available",
            needed=cost,
            available=turns,
        )
    toll = 0 if gate.owner_id == player.id else gate.toll
    if player.credits < toll:
        raise InsufficientCreditsError(
            f"the toll of gate {gate.id} is {toll} credits, {player.credits} available",
            needed=toll,
            available=player.credits,
        )
    moved = PlayerMoved(
        region_id=state.region.id,
        at=now,
        player_id=player.id,
        from_sector_id=player.sector_id,
        sector_id=to,
        turns_spent=cost,
        turns_left=turns - cost,
        turns_at=turns_at,
        first_visit=to not in player.explored,
    )
    return [moved, *toll_events(state, player, gate, toll, now)]


def toll_events(
    state: RegionState, player: Player, gate: PlayerGate, toll: int, now: float
) -> list[Event]:
    """The events paying a gate's toll to its owner (none for a toll of 0).

    Args:
        state: the gate's region.
        player: the player passing (credits checked by the caller).
        gate: the gate.
        toll: credits.
        now: unix seconds.

    Returns:
        ``[GateTollPaid]`` crediting an owner in this region; else ``[GateTollPaid,
        TreasuryPayoutStarted]``: the toll through the treasury to the owner wherever they are.
    """
    if toll <= 0:
        return []
    region_id = state.region.id
    owner = state.players.get(gate.owner_id)
    if owner is not None:
        return [
            GateTollPaid(
                region_id=region_id,
                at=now,
                player_id=player.id,
                gate_id=gate.id,
                owner_id=gate.owner_id,
                toll=toll,
                credits_after=player.credits - toll,
                owner_credits_after=owner.credits + toll,
            )
        ]
    treasury = state.region.treasury + toll
    return [
        GateTollPaid(
            region_id=region_id,
            at=now,
            player_id=player.id,
            gate_id=gate.id,
            owner_id=gate.owner_id,
            toll=toll,
            credits_after=player.credits - toll,
            treasury_after=treasury,
        ),
        # the toll leaves the treasury at once for the owner (treasury payout saga, step 1)
        TreasuryPayoutStarted(
            region_id=region_id,
            at=now,
            player_id=gate.owner_id,
            transfer_id=toll_transfer_id(region_id, state.seq, player.id, now),
            amount=toll,
            reason=GATE_TOLL_REASON,
            treasury_after=treasury - toll,
        ),
    ]


def decide_depart_through_gates(
    state: RegionState, command: Depart, now: float, rng: random.Random | None = None
) -> list[Event]:
    """A departure to another region (travel saga step 1), through a network gate or an open
    player-built gate, whose toll then goes to its owner before the player leaves.

    The destination's own toll travels with the player as for any gate (refunded if the
    destination turns them back); the owner's toll is paid at departure and stays paid.

    Returns:
        :func:`~starlane.domain.travel.decide_depart`'s ``[TransferDeparted]``, preceded by
        the toll's events for a player-built gate (:func:`toll_events`), the carried credits
        net of it.

    Raises:
        As :func:`~starlane.domain.travel.decide_depart`; InsufficientCreditsError when the
        credits do not cover both tolls.
    """
    events = decide_depart(state, command, now, rng)
    player = state.players[command.player_id]
    link = gate_to(state, player.sector_id, command.to_sector_id)
    gate = None
    if link is not None and link.owner_id is not None:
        gate = player_gate_at(state, player.sector_id, link)
    if gate is None or gate.owner_id == player.id or gate.toll <= 0:
        return events
    (departed,) = events
    assert isinstance(departed, TransferDeparted)
    total = departed.toll + gate.toll
    if player.credits < total:
        raise InsufficientCreditsError(
            f"the tolls are {total} credits ({departed.toll} to region "
            f"{command.to_region_id}, {gate.toll} to gate {gate.id}'s owner), "
            f"{player.credits} available",
            needed=total,
            available=player.credits,
        )
    carried = copy_player(departed.player)
    carried.credits -= gate.toll
    return [
        *toll_events(state, player, gate, gate.toll, now),
        dataclasses.replace(departed, player=carried),
    ]


def player_gate_at(state: RegionState, sector_id: int, link: GateLink) -> PlayerGate | None:
    """The open player-built gate a :class:`GateLink` from :func:`gate_to` stands for.

    Args:
        state: the region.
        sector_id: the sector the link starts from.
        link: the link (``owner_id`` set).

    Returns:
        The gate, or None.
    """
    for gate in state.gates.values():
        if (
            gate.state == OPEN
            and gate.from_sector_id == sector_id
            and gate.to_sector_id == link.to_sector_id
            and gate.owner_id == link.owner_id
            and gate.to_region_id == link.to_region_id
        ):
            return gate
    return None


def _toll_paid(state: RegionState, e: GateTollPaid) -> None:
    player = state.players.get(e.player_id)
    if player is not None:
        player.credits = e.credits_after
    if e.owner_credits_after is not None:
        owner = state.players.get(e.owner_id)
        if owner is not None:
            owner.credits = e.owner_credits_after
    if e.treasury_after is not None:
        state.region.treasury = e.treasury_after


register_decider(Move, decide_move_or_gate)
register_decider(Depart, decide_depart_through_gates)
register_evolver(GateTollPaid, _toll_paid)
