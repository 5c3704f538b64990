"""Warp Jumper jumps and discovery, declared as game commands (see :mod:`starlane.api.commands`).

``POST /api/v1/me/jump`` jumps (:mod:`starlane.engine.jumps`); ``GET /api/v1/me/discoveries``
pages the sectors the caller discovered; ``GET /api/v1/discovery/scan`` lists the new regions
the caller has not visited, with the bonus each still pays (:mod:`starlane.domain.discovery`).
They are appended to :data:`starlane.api.game_commands.GAME_COMMANDS`, so the REST routes, the
WebSocket ops, the Python client and the commands table of ``docs/api.md`` include them.
"""

from __future__ import annotations

from typing import Any

from starlane.api import schemas as s
from starlane.api.auth import Principal
from starlane.api.commands import GameCommand
from starlane.api.game import GameApi, decode_cursor, encode_cursor
from starlane.api.schemas.jumps import DiscoveryOut, JumpRequest, JumpResponse, ScanRegionOut
from starlane.domain import reads
from starlane.domain.discovery import RegionFirstVisited, discoveries_of, scan
from starlane.domain.events import Event, TransferArrived
from starlane.domain.jumps import FUEL, Jump, JumpDeparted, PlayerJumped

__all__ = ["JUMP_COMMANDS", "discoveries_page", "jump_answer", "scan_page"]


def jump_answer(game: GameApi, principal: Principal, events: list[Event]) -> dict[str, Any]:
    """``POST /me/jump``, as plain data (:class:`JumpResponse`'s fields).

    Args:
        game: the game operations.
        principal: the caller.
        events: the jump's committed events.

    Returns:
        The jump, the bonus paid if any, and the sector arrived in.
    """
    player, state = game.player(principal)
    distance = 0.0
    burned = 0
    from_sector = player.sector_id
    first_visit = False
    for e in events:
        if isinstance(e, PlayerJumped):
            distance, burned, from_sector = e.distance, e.fuel_burned, e.from_sector_id
            first_visit = e.first_visit
        elif isinstance(e, JumpDeparted):
            distance, burned, from_sector = e.distance, e.fuel_burned, e.from_sector_id
        elif isinstance(e, TransferArrived):
            first_visit = e.first_visit
    sector = state.sectors[player.sector_id]
    return dict(
        from_sector_id=from_sector,
        sector_id=player.sector_id,
        region_id=player.region_id,
        distance=distance,
        fuel_burned=burned,
        fuel_left=player.ship.cargo.get(FUEL, 0),
        first_visit=first_visit,
        discovery_bonus=sum(e.bonus for e in events if isinstance(e, RegionFirstVisited)),
        next_jump_at=(player.last_jump_at or 0.0) + state.rules.jump_cooldown_seconds,
        credits=player.credits,
        sector=reads.sector_contents(state, sector, player, game.clock(), game.service.region_info),
    )


def discoveries_page(
    game: GameApi, principal: Principal, cursor: str | None, limit: int
) -> s.Page[DiscoveryOut]:
    """``GET /me/discoveries``: one page of the sectors the caller discovered, by sector id.

    Args:
        game: the game operations.
        principal: the caller.
        cursor: the previous page's ``next_cursor``.
        limit: rows per page.

    Returns:
        The page.

    Raises:
        ApiError: 404 ``player_not_in_galaxy``, 422 ``invalid_cursor``.
    """
    player, _ = game.player(principal)
    rows, more = discoveries_of(game.service.regions(), player.id, decode_cursor(cursor), limit)
    items = [
        DiscoveryOut(
            sector_id=r.sector_id,
            region_id=r.region_id,
            region_name=r.region_name,
            number=r.number,
            discovered_at=r.discovered_at,
        )
        for r in rows
    ]
    return s.Page[DiscoveryOut](
        items=items, next_cursor=encode_cursor(rows[-1].sector_id) if more else None
    )


def scan_page(
    game: GameApi, principal: Principal, cursor: str | None, limit: int
) -> s.Page[ScanRegionOut]:
    """``GET /discovery/scan``: the regions opened in the discovery window that the caller has
    not visited, by region id, with the bonus each still pays.

    Args:
        game: the game operations.
        principal: the caller.
        cursor: the previous page's ``next_cursor``.
        limit: rows per page.

    Returns:
        The page.

    Raises:
        ApiError: 404 ``player_not_in_galaxy``, 422 ``invalid_cursor``.
    """
    player, state = game.player(principal)
    after = decode_cursor(cursor)
    rows = [r for r in scan(game.service.regions(), player, game.clock(), state.rules)]
    rows = [r for r in rows if r.region_id > after]
    page = rows[:limit]
    items = [
        ScanRegionOut(
            region_id=r.region_id,
            name=r.name,
            opened_at=r.opened_at,
            bonus=r.bonus,
            immigration=r.immigration,
        )
        for r in page
    ]
    more = len(rows) > limit
    return s.Page[ScanRegionOut](
        items=items, next_cursor=encode_cursor(page[-1].region_id) if more else None
    )


JUMP_COMMANDS: tuple[GameCommand, ...] = (
    GameCommand(
        name="jump",
        method="POST",
        path="/api/v1/me/jump",
        summary="Jump with a Warp Jumper",
        description=(
            "Jump straight to any sector within your Warp Jumper's range (straight-line "
            "distance in coordinate units, 25 by default), in any region, burning fuel from "
            "your holds in proportion to distance; one jump per cooldown; Galactic Citizens "
            "only (`not_a_jumper`, `not_a_citizen`, `out_of_jump_range`, `insufficient_fuel`, "
            "`jump_cooldown` with `context.seconds_left`, `unknown_sector`; into another "
            "region its immigration policy applies: `immigration_refused`, `region_suspended`)."
        ),
        input=JumpRequest,
        command=Jump,
        # the tier in force now (membership lapses by time, outside the region's state)
        prepare=lambda g, p, a: g.is_citizen(p),
        build=lambda pid, a: Jump(pid, a.input.to_sector_id, citizen=a.prepared),
        answer=lambda g, p, a, events: jump_answer(g, p, events),
        response=JumpResponse,
        answer_doc="`distance`, `fuel_burned`, `fuel_left`, `next_jump_at`, `discovery_bonus`, "
        "`region_id` and the sector arrived in",
        ws_op="jump",
        tag="player",
    ),
    GameCommand(
        name="discoveries",
        method="GET",
        path="/api/v1/me/discoveries",
        summary="Sectors you discovered",
        description=(
            "The sectors you were the first player to enter, by sector id, a page at a time."
        ),
        input=s.PageQuery,
        answer=lambda g, p, a, events: discoveries_page(g, p, a.input.cursor, a.input.limit),
        response=s.Page[DiscoveryOut],
        answer_doc="page of sectors: `sector_id`, `region_id`, `region_name`, `number`, "
        "`discovered_at`",
        tag="world",
    ),
    GameCommand(
        name="discovery_scan",
        method="GET",
        path="/api/v1/discovery/scan",
        summary="New regions to discover",
        description=(
            "Player regions opened in the last 30 days that you have not visited, by id, with "
            "the bonus each still pays its first visitor (1,000 credits; 0 once paid)."
        ),
        input=s.PageQuery,
        answer=lambda g, p, a, events: scan_page(g, p, a.input.cursor, a.input.limit),
        response=s.Page[ScanRegionOut],
        answer_doc="page of regions: `region_id`, `name`, `opened_at`, `bonus`, `immigration`",
        tag="world",
    ),
)
"""The jump and discovery commands, in the order of ``/docs``."""
