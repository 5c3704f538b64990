"""The game's commands, each declared once (see :mod:`starlane.api.commands`).

The REST routes, the WebSocket ops, the Python client's methods (``client/api.py``) and the
commands table of ``docs/api.md`` all come from :data:`GAME_COMMANDS`. Reads are declared the
same way (they build no domain command). The three per-item hardware purchases are aliases of
the general one: :func:`_hardware` declares each with one item fixed.
"""

from __future__ import annotations

from starlane.api import answers
from starlane.api import schemas as s
from starlane.api.commands import Args, GameCommand
from starlane.api.jump_commands import JUMP_COMMANDS
from starlane.domain import commands as c
from starlane.domain.data import Hardware, Side

_ME = "/api/v1/me"
_PORT = "/api/v1/ports/{port_id}"
_DOCK = "/api/v1/stardock"


def _trade(player_id: int, a: Args) -> c.Trade:
    body: s.TradeRequest = a.input
    return c.Trade(
        player_id,
        a.path["port_id"],
        body.commodity,
        Side(body.side),
        body.quantity,
        body.max_unit_price,
    )


def _autopilot(player_id: int, a: Args) -> c.Autopilot | None:
    body: s.AutopilotRequest = a.input
    return c.Autopilot(player_id, body.to_sector_id) if body.execute else None


def _hardware(item: Hardware, summary: str, description: str, after: str) -> GameCommand:
    """The purchase of one item of StarDock hardware, ``POST /api/v1/stardock/<item>``."""
    return GameCommand(
        name=f"buy_{item}",
        method="POST",
        path=f"{_DOCK}/{item}",
        summary=summary,
        description=description,
        input=s.BuyHardwareRequest,
        command=c.BuyHardware,
        build=lambda pid, a: c.BuyHardware(pid, item, a.input.count),
        answer=lambda g, p, a, events: answers.hardware_answer(events),
        response=s.HardwareReceipt,
        answer_doc=f"receipt (`after` = {after})",
        ws_op=f"buy_{item}",
        tag="trade",
    )


GAME_COMMANDS: tuple[GameCommand, ...] = (
    # --- the player ---------------------------------------------------------------------------
    GameCommand(
        name="me",
        method="GET",
        path=_ME,
        summary="Your player",
        description=(
            "Credits, turns (and when the next one regenerates), region, sector, ship and cargo."
        ),
        answer=lambda g, p, a, events: g.me_data(p),
        response=s.MeOut,
        answer_doc="credits, turns (`available`, `max`, `per_day`, `next_at`), region, sector, "
        "ship, cargo, membership",
        ws_op="me",
        tag="player",
    ),
    GameCommand(
        name="move",
        method="POST",
        path=f"{_ME}/move",
        summary="Move one warp (or through a gate)",
        description=(
            "Move along one warp to an adjacent sector, or to the sector at the other end of the "
            "gate in your sector: a passage into another region (3 turns plus the toll; "
            "`immigration_refused`, `region_suspended`, `insufficient_credits`, `in_transit`)."
        ),
        input=s.MoveRequest,
        command=c.Move,
        build=lambda pid, a: c.Move(pid, a.input.to_sector_id),
        answer=lambda g, p, a, events: answers.move_answer(g, p, events),
        response=s.MoveResponse,
        answer_doc="the move (or gate passage), `region_id`, `sector_id`, `toll_paid` and the "
        "sector arrived in",
        ws_op="move",
        tag="player",
    ),
    GameCommand(
        name="autopilot",
        method="POST",
        path=f"{_ME}/autopilot",
        summary="Plan (and fly) the cheapest route",
        description=(
            "Plan the least-turn route to a sector of any region; with ``execute`` fly it, "
            "through the gates on the way (refused up front when turns do not cover it; a "
            "refused step stops it where it is, its `context.stopped_at` says where)."
        ),
        input=s.AutopilotRequest,
        command=c.Autopilot,
        prepare=lambda g, p, a: answers.autopilot_plan(g, p, a.input.to_sector_id),
        build=_autopilot,
        answer=lambda g, p, a, events: answers.autopilot_answer(
            g, p, a.prepared, events, a.input.execute
        ),
        response=s.AutopilotResponse,
        answer_doc="`path`, `turn_cost`, and with `execute` the `moves` flown and `region_id`",
        ws_op="autopilot",
        tag="player",
        client_defaults={"execute": True},
        client_keyword_only=("execute",),
    ),
    GameCommand(
        name="scan",
        method="POST",
        path=f"{_ME}/scan",
        summary="Scan the neighbours",
        description="Discover the sectors one warp away.",
        command=c.Scan,
        build=lambda pid, a: c.Scan(pid),
        answer=lambda g, p, a, events: g.scan_answer(p, events),
        response=s.ScanResponse,
        answer_doc="the neighbouring sectors, now discovered",
        ws_op="scan",
        tag="player",
    ),
    GameCommand(
        name="attack",
        method="POST",
        path=f"{_ME}/attack",
        summary="Attack in your sector",
        description="Attack an NPC pirate or another player's ship in your sector.",
        input=s.AttackRequest,
        command=c.Attack,
        build=lambda pid, a: c.Attack(pid, a.input.target_kind, a.input.target_id),
        answer=lambda g, p, a, events: answers.attack_answer(g, p, events),
        response=s.CombatReport,
        answer_doc="combat report",
        ws_op="attack",
        tag="player",
    ),
    # --- ports and the StarDock ----------------------------------------------------------------
    GameCommand(
        name="port",
        method="GET",
        path=_PORT,
        summary="A port's market",
        description=(
            "Commodities traded, direction, quantity and current unit prices (discovered sectors)."
        ),
        answer=lambda g, p, a, events: g.port(p, a.path["port_id"]),
        response=s.PortOut,
        answer_doc="commodities with `direction`, `quantity`, `capacity`, `unit_price`",
        ws_op="port",
        tag="trade",
    ),
    GameCommand(
        name="quote",
        method="GET",
        path=f"{_PORT}/quote",
        summary="Price a trade",
        description="What a trade would cost or pay now, tax included; nothing changes.",
        input=s.QuoteQuery,
        answer=lambda g, p, a, events: g.quote_data(
            p, a.path["port_id"], a.input.commodity, a.input.side, a.input.quantity
        ),
        response=s.QuoteOut,
        answer_doc="price, total, tax, `credits_change`",
        ws_op="quote",
        tag="trade",
    ),
    GameCommand(
        name="trade",
        method="POST",
        path=f"{_PORT}/trade",
        summary="Trade at the port in your sector",
        description=(
            "Buy or sell; ``max_unit_price`` refuses (409 ``price_moved``) if the price moved "
            "past your limit."
        ),
        input=s.TradeRequest,
        command=c.Trade,
        build=_trade,
        answer=lambda g, p, a, events: answers.trade_answer(g, p, events),
        response=s.TradeReceipt,
        answer_doc="receipt",
        ws_op="trade",
        tag="trade",
    ),
    GameCommand(
        name="stardock",
        route_name="catalog",
        method="GET",
        path=_DOCK,
        summary="StarDock catalogue",
        description="Ships and hardware with prices, and your current ship's trade-in value.",
        answer=lambda g, p, a, events: g.catalog(p),
        response=s.StardockCatalog,
        answer_doc="ships and hardware (`fighters`, `holds`, `shields`, `hull_repair`) with unit "
        "prices, your trade-in value",
        tag="trade",
    ),
    GameCommand(
        name="buy_ship",
        method="POST",
        path=f"{_DOCK}/ship",
        summary="Buy a ship",
        description="Buy a ship at the StarDock in your sector, trading in the current one.",
        input=s.BuyShipRequest,
        command=c.BuyShip,
        # the tier in force now (membership lapses by time, outside the region's state)
        prepare=lambda g, p, a: g.is_citizen(p),
        build=lambda pid, a: c.BuyShip(pid, a.input.ship_type, a.input.ship_name, a.prepared),
        answer=lambda g, p, a, events: answers.ship_answer(g, p, events),
        response=s.BuyShipReceipt,
        answer_doc="the new ship, price, trade-in, credits",
        ws_op="buy_ship",
        tag="trade",
    ),
    GameCommand(
        name="buy_hardware",
        method="POST",
        path=f"{_DOCK}/hardware",
        summary="Buy hardware",
        description=(
            "Buy fighters, extra cargo holds or shield points at the StarDock in your sector."
        ),
        input=s.BuyHardwareItemRequest,
        command=c.BuyHardware,
        build=lambda pid, a: c.BuyHardware(pid, Hardware(a.input.item), a.input.quantity),
        answer=lambda g, p, a, events: answers.hardware_answer(events),
        response=s.HardwareReceipt,
        answer_doc="receipt (`after` = the ship's units of the item now)",
        ws_op="buy_hardware",
        tag="trade",
    ),
    _hardware(
        Hardware.FIGHTERS,
        "Buy fighters",
        "Buy fighters at the StarDock in your sector.",
        "fighters now",
    ),
    _hardware(
        Hardware.HOLDS,
        "Buy holds",
        "Buy extra cargo holds at the StarDock in your sector.",
        "holds now",
    ),
    _hardware(
        Hardware.SHIELDS,
        "Buy shield points",
        "Buy shield points (restoring shields lost in combat) up to your ship type's shields.",
        "shield points now, at most the ship type's",
    ),
    GameCommand(
        name="repair_hull",
        route_name="repair",
        method="POST",
        path=f"{_DOCK}/repair",
        summary="Repair the hull",
        description="Repair your ship's hull to full at the StarDock in your sector.",
        command=c.RepairHull,
        build=lambda pid, a: c.RepairHull(pid),
        answer=lambda g, p, a, events: answers.repair_answer(events),
        response=s.RepairReceipt,
        answer_doc="`points`, `price`, `credits_after`, `hull_after` (hull back to full)",
        ws_op="repair_hull",
        tag="trade",
    ),
    # --- the map -------------------------------------------------------------------------------
    GameCommand(
        name="sector",
        method="GET",
        path="/api/v1/sectors/{sector_id}",
        summary="A sector you are in or have discovered",
        description=(
            "Warps (with turn cost), port, planets, pirates and ships present; 404 for a sector "
            "you have not discovered (admins see every sector)."
        ),
        answer=lambda g, p, a, events: g.sector_data(p, a.path["sector_id"]),
        response=s.SectorOut,
        answer_doc="warps (with `turn_cost`), port, planets, pirates, ships present",
        ws_op="sector",
        tag="world",
    ),
    GameCommand(
        name="regions",
        method="GET",
        path="/api/v1/regions",
        summary="All regions",
        description=(
            "Every region's summary (population, gate toll, governor, policies, status), by "
            "id, a page at a time; `kind` (`terran`, `nexus`, `player`) and `status` "
            "(`active`, `suspended`, `closed`) filter it. Closed regions are listed too."
        ),
        input=s.RegionsQuery,
        answer=lambda g, p, a, events: g.regions(
            a.input.cursor, a.input.limit, kind=a.input.kind, status=a.input.status
        ),
        response=s.Page[s.RegionOut],
        answer_doc="page of region summaries with `population` and `gate_toll`",
        tag="world",
    ),
    GameCommand(
        name="region",
        method="GET",
        path="/api/v1/regions/{region_id}",
        summary="One region",
        description=(
            "Kind, name, sector count, governor, policies and status of a region; its "
            "`treasury` (credits) only for admins and the region's governor."
        ),
        answer=lambda g, p, a, events: g.region(a.path["region_id"], p),
        response=s.RegionOut,
        answer_doc="kind, name, sector count, governor, policies, status; `treasury` for admins "
        "and the governor",
        tag="world",
    ),
    GameCommand(
        name="region_map",
        method="GET",
        path="/api/v1/regions/{region_id}/map",
        summary="The sectors of a region you have discovered",
        description=(
            "Sectors with number, coordinates, cluster, hazard, port class and warps with turn "
            "cost: the ones you have discovered (fog of war; admins see all)."
        ),
        input=s.PageQuery,
        answer=lambda g, p, a, events: g.region_map(
            p, a.path["region_id"], a.input.cursor, a.input.limit
        ),
        response=s.RegionMap,
        answer_doc="page of discovered sectors: number, coordinates, cluster, hazard, port "
        "class, warps with turn cost",
        tag="world",
    ),
    *JUMP_COMMANDS,
)
"""Every game command of the API, in the order of ``/docs``."""

from starlane.api.gate_commands import GATE_COMMANDS  # noqa: E402

GAME_COMMANDS += GATE_COMMANDS
