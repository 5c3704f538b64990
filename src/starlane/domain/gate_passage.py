"""Passage through an open player-built gate: a link ``move`` uses, its toll to the owner.

A :class:`~starlane.domain.commands.Move` to a sector no warp leads to, but an open gate of
the player's sector does (:func:`~starlane.domain.gates.open_gate`), passes the gate: it costs
``GameRules.gate_turns`` turns and the gate's toll (its owner passes free). The toll goes to
the owner in the same commit when the owner is in the region; otherwise into the treasury and
straight out again as a treasury payout to the owner (reason ``gate_toll``), which
:mod:`starlane.engine.gates` drives to wherever the owner is.
"""

from __future__ import annotations

import random

from starlane.domain.commands import Move
from starlane.domain.errors import (
    AlreadyThereError,
    InsufficientCreditsError,
    InsufficientTurnsError,
)
from starlane.domain.events import Event, PlayerMoved
from starlane.domain.gate_messages import GATE_TOLL_REASON, GateTollPaid
from starlane.domain.gates import open_gate, toll_transfer_id
from starlane.domain.model import RegionState
from starlane.domain.movement import current_turns, decide_move
from starlane.domain.rules import register_decider, register_evolver
from starlane.domain.treasury import TreasuryPayoutStarted

__all__ = ["decide_move_or_gate"]


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
        if here is not None and to not in here.warps:
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
    if to == player.sector_id:  # pragma: no cover - excluded above
        raise AlreadyThereError(f"already in sector {to}", sector_id=to)
    if player.credits < toll:
        raise InsufficientCreditsError(
            f"the toll of gate {gate.id} is {toll} credits, {player.credits} available",
            needed=toll,
            available=player.credits,
        )
    region_id = state.region.id
    events: list[Event] = [
        PlayerMoved(
            region_id=region_id,
            at=now,
            player_id=player.id,
            from_sector_id=player.sector_id,
            sector_id=to,
            turns_spent=cost,
            turns_left=turns - cost,
            turns_at=turns_at,
            first_visit=to not in player.explored,
        )
    ]
    if toll <= 0:
        return events
    owner = state.players.get(gate.owner_id)
    if owner is not None:
        events.append(
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
        )
        return events
    treasury = state.region.treasury + toll
    events.append(
        GateTollPaid(
            region_id=region_id,
            at=now,
            player_id=player.id,
            gate_id=gate.id,
            owner_id=gate.owner_id,
            toll=toll,
            credits_after=player.credits - toll,
            treasury_after=treasury,
        )
    )
    # the toll leaves the treasury at once for the owner (treasury payout saga, step 1)
    events.append(
        TreasuryPayoutStarted(
            region_id=region_id,
            at=now,
            player_id=gate.owner_id,
            transfer_id=toll_transfer_id(region_id, state.seq, player.id, now),
            amount=toll,
            reason=GATE_TOLL_REASON,
            treasury_after=treasury - toll,
        )
    )
    return events


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
register_evolver(GateTollPaid, _toll_paid)
