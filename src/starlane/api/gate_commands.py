"""The player-built gates' commands, declared once (see :mod:`starlane.api.commands`).

Appended to :data:`starlane.api.game_commands.GAME_COMMANDS`: REST routes, WebSocket ops,
client methods and the docs table come from these declarations. Building, delivering and
abandoning happen at the site; every command goes to the caller's region, so a gate is acted
on from its own region (404 ``unknown_gate`` elsewhere). The rules are in
:mod:`starlane.domain.gates`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlane.api.auth import Principal
from starlane.api.commands import Args, GameCommand
from starlane.api.errors import ApiError
from starlane.api.game import decode_cursor, encode_cursor
from starlane.api.schemas.common import Page
from starlane.api.schemas.gates import BuildGateRequest, GateOut, GatesQuery
from starlane.domain import gates as g
from starlane.domain.events import Event
from starlane.domain.model import PlayerGate
from starlane.domain.travel import admits

if TYPE_CHECKING:
    from starlane.api.game import GameApi

_GATES = "/api/v1/gates"


def gate_view(gate: PlayerGate, needs: dict[str, int], now: float) -> dict[str, Any]:
    """A gate as :class:`GateOut`'s fields.

    Args:
        gate: the gate.
        needs: the goods a gate needs (``gate_needs``).
        now: unix seconds.

    Returns:
        The fields, ``seconds_left`` counted from ``now``.
    """
    building = gate.state == g.BUILDING and gate.due_at is not None
    missing = (
        {k: max(0, n - gate.delivered.get(k, 0)) for k, n in needs.items()}
        if gate.state == g.SITE
        else {}
    )
    return dict(
        id=gate.id,
        owner_id=gate.owner_id,
        region_id=gate.region_id,
        from_sector_id=gate.from_sector_id,
        to_sector_id=gate.to_sector_id,
        toll=gate.toll,
        state=gate.state,
        credits=gate.credits,
        delivered=dict(gate.delivered),
        missing=missing,
        opened_at=gate.opened_at,
        due_at=gate.due_at,
        seconds_left=max(0.0, gate.due_at - now) if building and gate.due_at else None,
        finished_at=gate.finished_at,
        to_region_id=gate.to_region_id,
    )


def _find(game: GameApi, gate_id: int) -> GateOut:
    state = game.service.engines.get(g.gate_region(gate_id))
    gate = None if state is None else state.state.gates.get(gate_id)
    if state is None or gate is None:
        raise ApiError(404, "unknown_gate", f"no gate {gate_id}")
    return GateOut(**gate_view(gate, g.gate_needs(state.state.rules), game.clock()))


def _list(game: GameApi, principal: Principal, query: GatesQuery) -> Page[GateOut]:
    after = decode_cursor(query.cursor)
    now = game.clock()
    found: list[GateOut] = []
    for region_id in sorted(game.service.engines):
        state = game.service.engines[region_id].state
        needs = g.gate_needs(state.rules)
        for gate_id in sorted(state.gates):
            gate = state.gates[gate_id]
            if gate_id <= after or (query.mine and gate.owner_id != principal.account_id):
                continue
            found.append(GateOut(**gate_view(gate, needs, now)))
            if len(found) > query.limit:
                break
        if len(found) > query.limit:
            break
    more = len(found) > query.limit
    items = found[: query.limit]
    return Page[GateOut](items=items, next_cursor=encode_cursor(items[-1].id) if more else None)


def _built(game: GameApi, events: list[Event]) -> GateOut:
    opened = next(e for e in events if isinstance(e, g.GateSiteOpened))
    return _find(game, opened.gate_id)


def _prepare_build(
    game: GameApi, principal: Principal, a: Args
) -> tuple[bool | None, int | None, bool]:
    """What the builder's region cannot know: the caller's tier now (the membership book) and,
    for a destination in another region, that region and whether it lets them build into it
    (active, and its immigration policy admits them)."""
    citizen = game.is_citizen(principal)
    body: BuildGateRequest = a.input
    target = game.service.sector_region(body.to_sector_id)
    if target is None or target.region_id == game.service.locate(principal.account_id):
        return citizen, None, True
    region = target.region
    return citizen, region.id, region.status == "active" and admits(region, principal.account_id)


def _build(player_id: int, a: Args) -> g.BuildGate:
    body: BuildGateRequest = a.input
    citizen, to_region_id, to_admits = a.prepared
    return g.BuildGate(
        player_id,
        body.from_sector_id,
        body.to_sector_id,
        body.toll,
        citizen,
        to_region_id=to_region_id,
        to_admits=to_admits,
    )


GATE_COMMANDS: tuple[GameCommand, ...] = (
    GameCommand(
        name="gates",
        method="GET",
        path=_GATES,
        summary="Player-built gates",
        description=(
            "Every player-built warp gate by id, with its state (`site`, `building`, `open`, "
            "`closed`, `abandoned`), what its site still needs and the seconds left of its "
            "construction; `mine` keeps only yours."
        ),
        input=GatesQuery,
        answer=lambda game, p, a, events: _list(game, p, a.input),
        response=Page[GateOut],
        answer_doc="page of gates with `state`, `missing`, `seconds_left`",
        ws_op="gates",
        tag="gates",
    ),
    GameCommand(
        name="gate",
        method="GET",
        path=f"{_GATES}/{{gate_id}}",
        summary="One player-built gate",
        description="A gate's state, deliveries, toll and time left (404 `unknown_gate`).",
        answer=lambda game, p, a, events: _find(game, a.path["gate_id"]),
        response=GateOut,
        answer_doc="the gate",
        ws_op="gate",
        tag="gates",
    ),
    GameCommand(
        name="build_gate",
        method="POST",
        path=_GATES,
        summary="Build a warp gate (open its construction site)",
        description=(
            "Galactic Citizens only (403 `not_a_citizen`): a gate from your sector to a sector "
            "of the same region at least 10 warps away, or of another region (422 "
            "`invalid_endpoints`, `endpoints_too_close`; 403 `policy_forbids` where either "
            "region's immigration does not admit you or the other is not active). Takes the "
            "gate's credits (409 `insufficient_resources`) and the equipment and ore your ship "
            "carries, up to what is needed; deliver the rest later."
        ),
        input=BuildGateRequest,
        command=g.BuildGate,
        prepare=_prepare_build,
        build=_build,
        answer=lambda game, p, a, events: _built(game, events),
        response=GateOut,
        answer_doc="the new gate (state `site`, or `building` when everything was delivered)",
        ws_op="build_gate",
        tag="gates",
    ),
    GameCommand(
        name="deliver_gate",
        method="POST",
        path=f"{_GATES}/{{gate_id}}/deliver",
        summary="Deliver goods to your gate's site",
        description=(
            "Unload the equipment and ore the site still needs from your ship, at the site "
            "(409 `not_at_site`, `nothing_to_deliver`, `gate_state`); the last delivery starts "
            "construction."
        ),
        command=g.DeliverGate,
        build=lambda pid, a: g.DeliverGate(pid, a.path["gate_id"]),
        answer=lambda game, p, a, events: _find(game, a.path["gate_id"]),
        response=GateOut,
        answer_doc="the gate",
        ws_op="deliver_gate",
        tag="gates",
    ),
    GameCommand(
        name="abandon_gate",
        method="POST",
        path=f"{_GATES}/{{gate_id}}/abandon",
        summary="Abandon your gate's site",
        description=(
            "Before construction starts (409 `gate_state` after), at the site: the credits "
            "back, the goods back into your holds, what does not fit paid at base price."
        ),
        command=g.AbandonGate,
        build=lambda pid, a: g.AbandonGate(pid, a.path["gate_id"]),
        answer=lambda game, p, a, events: _find(game, a.path["gate_id"]),
        response=GateOut,
        answer_doc="the gate (state `abandoned`)",
        ws_op="abandon_gate",
        tag="gates",
    ),
    GameCommand(
        name="close_gate",
        method="POST",
        path=f"{_GATES}/{{gate_id}}/close",
        summary="Close your open gate",
        description="The owner closes an open gate, from its region (403 `not_gate_owner`).",
        command=g.CloseGate,
        build=lambda pid, a: g.CloseGate(pid, a.path["gate_id"]),
        answer=lambda game, p, a, events: _find(game, a.path["gate_id"]),
        response=GateOut,
        answer_doc="the gate (state `closed`)",
        ws_op="close_gate",
        tag="gates",
    ),
)
"""The gates' commands, in the order of ``/docs``."""
