"""Refunds of player-built gates: an abandoned site, and constructions that can no longer
complete (their region, or the region they lead into, is closing).

What a site holds goes back to its owner: the credits, and the goods into the owner's holds
as far as they fit, the rest paid at the commodity's base price. An owner who is not in the
gate's region is paid the credits and the goods at base price through a treasury payout
(reason ``gate_refund``, :mod:`starlane.engine.gates` drives it).
"""

from __future__ import annotations

import random

from starlane.domain.data import COMMODITIES
from starlane.domain.events import Event
from starlane.domain.gate_messages import (
    ABANDONED,
    BUILDING,
    FAILED,
    GATE_REFUND_REASON,
    SITE,
    AbandonGate,
    FailGates,
    GateAbandoned,
    GateFailed,
    GateStateError,
    NotAtSiteError,
)
from starlane.domain.gates import set_cargo, site_of
from starlane.domain.model import Player, RegionState
from starlane.domain.movement import require_player
from starlane.domain.rules import allow_while_suspended, register_decider, register_evolver
from starlane.domain.travel import copy_player
from starlane.domain.treasury import TreasuryPayoutStarted

__all__ = ["decide_abandon_gate", "decide_fail_gates"]


def _give_back(
    player: Player, delivered: dict[str, int]
) -> tuple[dict[str, int], dict[str, int], int]:
    """Goods of a site back into a ship as far as its free holds go, the rest at base price.

    Returns:
        (units put back by commodity, the ship's units after for those, salvage credits).
    """
    free = player.ship.free_holds
    returned: dict[str, int] = {}
    cargo_after: dict[str, int] = {}
    salvage = 0
    for key in sorted(delivered):
        units = delivered[key]
        back = max(0, min(units, free))
        free -= back
        if back:
            returned[key] = back
            cargo_after[key] = player.ship.cargo.get(key, 0) + back
        salvage += (units - back) * COMMODITIES[key].base_price
    return returned, cargo_after, salvage


def decide_abandon_gate(
    state: RegionState, command: AbandonGate, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Decide abandoning a site: credits back, goods back into the holds (base-price credits
    for what does not fit).

    Returns:
        One ``GateAbandoned``.

    Raises:
        UnknownGateError, NotGateOwnerError, GateStateError (construction started),
        NotAtSiteError, UnknownPlayerError.
    """
    player = require_player(state, command.player_id)
    gate = site_of(state, player.id, command.gate_id)
    if gate.state != SITE:
        raise GateStateError(f"gate {gate.id} is {gate.state}: only a site can be abandoned")
    if player.sector_id != gate.from_sector_id:
        raise NotAtSiteError(
            f"the site of gate {gate.id} is in sector {gate.from_sector_id}",
            sector_id=gate.from_sector_id,
        )
    returned, cargo_after, salvage = _give_back(player, gate.delivered)
    return [
        GateAbandoned(
            region_id=state.region.id,
            at=now,
            player_id=player.id,
            gate_id=gate.id,
            credits_refunded=gate.credits,
            goods_returned=returned,
            salvage_credits=salvage,
            credits_after=player.credits + gate.credits + salvage,
            cargo_after=cargo_after,
        )
    ]


def decide_fail_gates(
    state: RegionState, command: FailGates, now: float, rng: random.Random | None = None
) -> list[Event]:
    """Refund every site and construction of a closing region, or those leading into a closing
    region (``command.to_region_id``): they can no longer complete.

    An owner in the region gets the credits and the goods back (into the holds, the rest at
    base price) in the same commit, and rides out with them in the evacuation; an owner
    elsewhere is paid the credits and the goods at base price through a treasury payout
    (reason ``gate_refund``, transfer id ``gaterefund-<gate id>``).

    Args:
        state: the region.
        command: the command (from the construction timers).
        now: unix seconds.
        rng: unused.

    Returns:
        One ``GateFailed`` per unfinished gate (each followed by a ``TreasuryPayoutStarted``
        for an absent owner); ``[]`` when the region is not closing or nothing is unfinished.
    """
    region = state.region
    into = command.to_region_id
    if into is None and not region.closing and not region.closed:
        return []
    events: list[Event] = []
    treasury = region.treasury
    owners: dict[int, Player] = {}
    for gate_id in sorted(state.gates):
        gate = state.gates[gate_id]
        if gate.state not in (SITE, BUILDING) or (into is not None and gate.to_region_id != into):
            continue
        owner = owners.get(gate.owner_id)
        if owner is None and gate.owner_id in state.players:
            # a working copy: one owner's several sites are refunded one after the other
            owner = owners[gate.owner_id] = copy_player(state.players[gate.owner_id])
        if owner is not None:
            returned, cargo_after, salvage = _give_back(owner, gate.delivered)
            owner.credits += gate.credits + salvage
            owner.ship.cargo.update(cargo_after)
            events.append(
                GateFailed(
                    region_id=region.id,
                    at=now,
                    player_id=gate.owner_id,
                    gate_id=gate.id,
                    credits_refunded=gate.credits,
                    goods_returned=returned,
                    salvage_credits=salvage,
                    credits_after=owner.credits,
                    cargo_after=cargo_after,
                )
            )
            continue
        salvage = sum(n * COMMODITIES[k].base_price for k, n in gate.delivered.items())
        amount = gate.credits + salvage
        treasury += amount
        events.append(
            GateFailed(
                region_id=region.id,
                at=now,
                player_id=gate.owner_id,
                gate_id=gate.id,
                credits_refunded=gate.credits,
                goods_returned={},
                salvage_credits=salvage,
                treasury_after=treasury,
            )
        )
        if amount > 0:
            events.append(
                TreasuryPayoutStarted(
                    region_id=region.id,
                    at=now,
                    player_id=gate.owner_id,
                    transfer_id=f"gaterefund-{gate.id}",
                    amount=amount,
                    reason=GATE_REFUND_REASON,
                    treasury_after=treasury - amount,
                )
            )
            treasury -= amount
    return events


def _abandoned(state: RegionState, e: GateAbandoned) -> None:
    gate = state.gates[e.gate_id]
    gate.state = ABANDONED
    gate.credits = 0
    gate.delivered = {}
    gate.finished_at = e.at
    player = state.players.get(e.player_id)
    if player is not None:
        player.credits = e.credits_after
        set_cargo(player, e.cargo_after)


def _failed(state: RegionState, e: GateFailed) -> None:
    gate = state.gates[e.gate_id]
    gate.state = FAILED
    gate.credits = 0
    gate.delivered = {}
    gate.finished_at = e.at
    if e.credits_after is not None:
        owner = state.players.get(e.player_id)
        if owner is not None:
            owner.credits = e.credits_after
            set_cargo(owner, e.cargo_after)
    if e.treasury_after is not None:
        state.region.treasury = e.treasury_after


register_decider(AbandonGate, decide_abandon_gate)
register_decider(FailGates, decide_fail_gates)
allow_while_suspended(FailGates)  # a closing region is suspended
register_evolver(GateAbandoned, _abandoned)
register_evolver(GateFailed, _failed)
