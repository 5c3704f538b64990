"""The answers of the game commands: committed events shaped into the API's responses.

Each function is named by a command declaration (:mod:`starlane.api.game_commands`): the
declaration builds the domain command, :meth:`~starlane.api.game.GameApi.execute` runs it, and
the answer turns the events it produced (and the live state after them) into the response
object of :mod:`starlane.api.schemas`, or into plain data with a response model's fields on the
hot paths (move, trade). The same answer goes out over REST and over the WebSocket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from starlane.api import schemas as s
from starlane.api.auth import Principal
from starlane.api.errors import ApiError
from starlane.api.game import GameApi
from starlane.domain import events as ev
from starlane.domain import reads
from starlane.domain.gates import GateTollPaid
from starlane.domain.movement import current_turns
from starlane.domain.routes import Route

E = TypeVar("E", bound=ev.Event)


@dataclass(frozen=True, slots=True)
class AutopilotPlan:
    """A route planned before it is flown (or instead of flying it).

    Attributes:
        route: the planned route.
        turns_available: the player's turns before flying.
        sector_id: the player's sector before flying.
    """

    route: Route
    turns_available: int
    sector_id: int


def move_answer(game: GameApi, principal: Principal, events: list[ev.Event]) -> dict[str, Any]:
    """``POST /me/move``, as plain data (:class:`~starlane.api.schemas.MoveResponse`'s
    fields).

    Args:
        game: the game operations.
        principal: the caller.
        events: the move's committed events.

    Returns:
        The move and the sector arrived in.
    """
    moved = _steps(events)
    last = moved[-1] if moved else None
    player, state = game.player(principal)
    sector = state.sectors[player.sector_id]
    return dict(
        from_sector_id=last.from_sector_id if last else player.sector_id,
        sector_id=player.sector_id,
        region_id=player.region_id,
        turns_spent=sum(m.turns_spent for m in moved),
        turns_left=last.turns_left if last else player.turns,
        first_visit=bool(last and last.first_visit),
        toll_paid=sum(e.toll for e in events if isinstance(e, ev.TransferArrived | GateTollPaid)),
        sector=reads.sector_contents(state, sector, player, game.clock(), game.service.region_info),
    )


def autopilot_plan(game: GameApi, principal: Principal, to_sector_id: int) -> AutopilotPlan:
    """Plan the caller's least-turn route to a sector (nothing changes).

    Args:
        game: the game operations.
        principal: the caller.
        to_sector_id: the destination's global sector id.

    Returns:
        The route and the caller's turns and sector now.

    Raises:
        ApiError: 404 ``player_not_in_galaxy``.
        DomainError: ``no_route``, ``unknown_sector``...
    """
    player, state = game.player(principal)
    available, _ = current_turns(player, game.clock(), state.rules)
    route: Route = game.service.plan_route(principal.account_id, to_sector_id)
    return AutopilotPlan(route, available, player.sector_id)


def autopilot_answer(
    game: GameApi, principal: Principal, plan: AutopilotPlan, events: list[ev.Event], executed: bool
) -> s.AutopilotResponse:
    """``POST /me/autopilot``: the plan and, when ``executed``, the moves flown.

    Args:
        game: the game operations.
        principal: the caller.
        plan: the route planned before flying.
        events: the committed events (none when only planned).
        executed: whether the route was flown.

    Returns:
        The autopilot response.
    """
    path = list(plan.route.path)
    cost = plan.route.turns
    available = plan.turns_available
    if not executed:
        return s.AutopilotResponse(
            path=path,
            turn_cost=cost,
            turns_available=available,
            executed=False,
            moves=[],
            sector_id=plan.sector_id,
            turns_left=available,
        )
    moved = _steps(events)
    player, _ = game.player(principal)
    return s.AutopilotResponse(
        path=path,
        turn_cost=cost,
        turns_available=available,
        executed=True,
        moves=[_move_result(m) for m in moved],
        sector_id=player.sector_id,
        turns_left=moved[-1].turns_left if moved else available,
        region_id=player.region_id,
    )


def trade_answer(game: GameApi, principal: Principal, events: list[ev.Event]) -> dict[str, Any]:
    """``POST /ports/{id}/trade``, the receipt as plain data
    (:class:`~starlane.api.schemas.TradeReceipt`'s fields).

    Args:
        game: the game operations.
        principal: the caller.
        events: the trade's committed events.

    Returns:
        The receipt.

    Raises:
        ApiError: 500 when the events hold no trade.
    """
    t = _first(events, ev.PortTraded)
    player, _ = game.player(principal)
    return dict(
        port_id=t.port_id,
        commodity=t.commodity,
        side=str(t.side),
        units=t.units,
        unit_price=t.unit_price,
        total=t.total,
        tax=t.tax,
        credits_after=t.credits_after,
        cargo_after=t.cargo_after,
        cargo={k: v for k, v in player.ship.cargo.items() if v > 0},
        turns_left=t.turns_left,
    )


def ship_answer(game: GameApi, principal: Principal, events: list[ev.Event]) -> s.BuyShipReceipt:
    """``POST /stardock/ship``: the new ship, its price and the trade-in.

    Args:
        game: the game operations.
        principal: the caller.
        events: the purchase's committed events.

    Returns:
        The receipt.

    Raises:
        ApiError: 500 when the events hold no purchase.
    """
    b = _first(events, ev.ShipBought)
    player, _ = game.player(principal)
    return s.BuyShipReceipt(
        ship=s.ShipOut.model_validate(reads.ship_view(player.ship)),
        price=b.price,
        trade_in=b.trade_in,
        credits_after=b.credits_after,
    )


def hardware_answer(events: list[ev.Event]) -> s.HardwareReceipt:
    """``POST /stardock/hardware`` (and its per-item aliases): the receipt.

    Args:
        events: the purchase's committed events.

    Returns:
        The receipt (``after``: the ship's units of the item now).

    Raises:
        ApiError: 500 when the events hold no purchase.
    """
    h = _first(events, ev.HardwareBought)
    return s.HardwareReceipt(
        item=h.item.value,
        count=h.quantity,
        price=h.price,
        credits_after=h.credits_after,
        after=h.units_after,
    )


def repair_answer(events: list[ev.Event]) -> s.RepairReceipt:
    """``POST /stardock/repair``: the hull repaired to full.

    Args:
        events: the repair's committed events.

    Returns:
        The receipt.

    Raises:
        ApiError: 500 when the events hold no repair.
    """
    r = _first(events, ev.HullRepaired)
    return s.RepairReceipt(
        points=r.points, price=r.price, credits_after=r.credits_after, hull_after=r.hull_after
    )


def attack_answer(game: GameApi, principal: Principal, events: list[ev.Event]) -> s.CombatReport:
    """``POST /me/attack``: the combat report.

    Args:
        game: the game operations.
        principal: the attacker.
        events: the attack's committed events.

    Returns:
        The report, with whether either side was destroyed.

    Raises:
        ApiError: 500 when the events hold no combat.
    """
    r = _first(events, ev.CombatResolved)
    me_destroyed = any(
        isinstance(e, ev.ShipDestroyed) and e.player_id == principal.account_id for e in events
    )
    target_destroyed = any(
        (isinstance(e, ev.PirateDestroyed) and r.target_kind == "pirate")
        or (
            isinstance(e, ev.ShipDestroyed)
            and r.target_kind == "player"
            and e.player_id == r.target_id
        )
        for e in events
    )
    return s.CombatReport(
        target_kind=r.target_kind,
        target_id=r.target_id,
        rounds=[
            s.RoundOut(attacker_damage=x.attacker_damage, target_damage=x.target_damage)
            for x in r.rounds
        ],
        attacker_after=_strength(r.attacker_after),
        target_after=_strength(r.target_after),
        winner=r.winner,
        loot=r.loot,
        credits_after=r.attacker_credits_after,
        turns_left=r.turns_left,
        ship_destroyed=me_destroyed,
        target_destroyed=target_destroyed,
    )


def _strength(x: ev.Strength) -> s.StrengthOut:
    return s.StrengthOut(fighters=x.fighters, shields=x.shields, hull=x.hull)


@dataclass(frozen=True, slots=True)
class _Step:
    """One step flown: a warp, or a gate passage (``turns_spent``: the passage's turns)."""

    from_sector_id: int
    sector_id: int
    turns_spent: int
    turns_left: int
    first_visit: bool


def _steps(events: list[ev.Event]) -> list[_Step]:
    """The warps and gate passages of a move or an autopilot run, in order."""
    steps: list[_Step] = []
    departed: dict[str, ev.TransferDeparted] = {}
    for e in events:
        if isinstance(e, ev.PlayerMoved):
            steps.append(
                _Step(e.from_sector_id, e.sector_id, e.turns_spent, e.turns_left, e.first_visit)
            )
        elif isinstance(e, ev.TransferDeparted):
            departed[e.transfer_id] = e
        elif isinstance(e, ev.TransferArrived):
            d = departed.get(e.transfer_id)
            steps.append(
                _Step(
                    d.sector_id if d else e.sector_id,
                    e.sector_id,
                    d.turns_cost if d else 0,
                    e.player.turns,
                    e.first_visit,
                )
            )
    return steps


def _move_result(m: _Step) -> s.MoveResult:
    return s.MoveResult(
        from_sector_id=m.from_sector_id,
        sector_id=m.sector_id,
        turns_spent=m.turns_spent,
        turns_left=m.turns_left,
        first_visit=m.first_visit,
    )


def _first(events: list[ev.Event], cls: type[E]) -> E:
    for e in events:
        if isinstance(e, cls):
            return e
    raise ApiError(500, "internal_error", "the command produced no result")
