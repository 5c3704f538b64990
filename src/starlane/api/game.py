"""The game operations behind the REST routes and the WebSocket (one implementation for both).

:class:`GameApi` turns a caller and validated arguments into a command for the
``GalaxyService``, applies the per-player command rate limit, counts the outcome in the
metrics, and shapes the committed events into the response objects of
:mod:`starlane.api.schemas`. Reads (``me``, sectors, ports, regions) go to the live region
state through the service and apply fog of war. A caller can only ever act as themselves:
the player id of every command is the authenticated account id.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from starlane.api import schemas as s
from starlane.api import views
from starlane.api.auth import Principal
from starlane.api.errors import ApiError
from starlane.api.metrics import Metrics
from starlane.api.ratelimit import RateLimiter
from starlane.domain import commands as c
from starlane.domain import economy
from starlane.domain import events as ev
from starlane.domain.data import Hardware, Side
from starlane.domain.errors import DomainError
from starlane.domain.model import Player, RegionState, Sector


def encode_cursor(last_id: int) -> str:
    """An opaque page cursor meaning "after ``last_id``".

    Args:
        last_id: the id of the last item returned.

    Returns:
        The cursor string.
    """
    return base64.urlsafe_b64encode(f"after:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The id a cursor points after (0 for the first page).

    Args:
        cursor: a cursor from ``next_cursor``, or None.

    Returns:
        The id to start after.

    Raises:
        ApiError: 422 ``invalid_cursor``.
    """
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        if prefix != "after":
            raise ValueError(raw)
        return int(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(422, "invalid_cursor", "the cursor is not one this server issued") from exc


def _not_found(what: str, ident: int) -> ApiError:
    return ApiError(404, "not_found", f"{what} {ident} not found (or not discovered yet)")


class GameApi:
    """Game reads and commands for authenticated callers.

    Args:
        service: the ``GalaxyService``.
        limiter: the app's rate limits.
        metrics: the app's metrics.
        clock: unix seconds now.
    """

    def __init__(
        self, service: Any, limiter: RateLimiter, metrics: Metrics, clock: Callable[[], float]
    ) -> None:
        self.service = service
        self.limiter = limiter
        self.metrics = metrics
        self.clock = clock

    # --- lookups ---------------------------------------------------------------------------
    def player(self, principal: Principal) -> tuple[Player, RegionState]:
        """The caller's player and the region state holding them.

        Args:
            principal: the caller.

        Returns:
            ``(player, region state)``.

        Raises:
            ApiError: 404 ``player_not_in_galaxy``.
        """
        player = self.service.player(principal.account_id)
        if player is None:
            raise ApiError(404, "player_not_in_galaxy", "you have not entered the galaxy")
        return player, self.service.region_state(player.region_id)

    def region_states(self) -> dict[int, RegionState]:
        """Every region's live state, by region id.

        Returns:
            Region id -> state.
        """
        out: dict[int, RegionState] = {}
        for item in self.service.regions():
            rid = item if isinstance(item, int) else getattr(item, "id", None)
            if rid is None:
                rid = getattr(item, "region_id", None)
            if rid is not None:
                out[int(rid)] = self.service.region_state(int(rid))
        return dict(sorted(out.items()))

    def find_sector(self, sector_id: int) -> tuple[Sector, RegionState] | None:
        """The region holding a sector.

        Args:
            sector_id: global sector id.

        Returns:
            ``(sector, state)`` or None.
        """
        state = self.service.sector_region(sector_id)
        if state is None:
            return None
        sector = state.sectors.get(sector_id)
        return (sector, state) if sector else None

    def _visible_player(self, principal: Principal) -> Player | None:
        player: Player | None = self.service.player(principal.account_id)
        if player is None and not principal.is_admin:
            raise ApiError(404, "player_not_in_galaxy", "you have not entered the galaxy")
        return player

    # --- commands --------------------------------------------------------------------------
    async def execute(self, principal: Principal, command: c.Command) -> list[ev.Event]:
        """Run a command for the caller, rate-limited and counted.

        Args:
            principal: the caller (the command's ``player_id`` must be theirs).
            command: the command.

        Returns:
            The committed domain events.

        Raises:
            ApiError: 429 over the command rate; 403 acting for another player.
            DomainError: the rules refused the command.
        """
        if command.player_id != principal.account_id:
            raise ApiError(403, "forbidden", "you can only act as your own player")
        try:
            await self.limiter.hit("command", f"player:{principal.account_id}")
        except ApiError as exc:
            self.metrics.record_command(command.name, exc.code)
            raise
        try:
            recorded = await self.service.execute(command)
        except DomainError as exc:
            self.metrics.record_command(command.name, exc.code)
            raise
        except Exception as exc:
            self.metrics.record_command(command.name, getattr(exc, "code", "error"))
            raise
        self.metrics.record_command(command.name, "ok")
        return [r.event if isinstance(r, ev.RecordedEvent) else r for r in recorded]

    # --- reads -----------------------------------------------------------------------------
    # The game mix's hot paths (me, sector, quote, move, trade) give plain data, encoded to
    # JSON without building pydantic models (REST: routes.DataResponse; WebSocket: the
    # reply). Their response models (MeOut, SectorOut, QuoteOut, MoveResponse, TradeReceipt)
    # document them; tests/api/test_ws.py holds the data to them field for field.
    def me_data(self, principal: Principal) -> dict[str, Any]:
        """``GET /me`` as plain data (:class:`~starlane.api.schemas.MeOut`'s fields)."""
        player, state = self.player(principal)
        return views.me_data(player, state, principal.roles, self.clock())

    def sector_data(self, principal: Principal, sector_id: int) -> dict[str, Any]:
        """``GET /sectors/{id}`` with fog of war, as plain data
        (:class:`~starlane.api.schemas.SectorOut`'s fields).

        Raises:
            ApiError: 404 for a sector that does not exist or is not discovered.
        """
        player = self._visible_player(principal)
        if not views.sector_visible(player, sector_id, admin=principal.is_admin):
            raise _not_found("sector", sector_id)
        found = self.find_sector(sector_id)
        if found is None:
            raise _not_found("sector", sector_id)
        sector, state = found
        return views.sector_data(sector, state, player, self.clock())

    def port(self, principal: Principal, port_id: int) -> s.PortOut:
        """``GET /ports/{id}``: a port in a discovered sector."""
        player = self._visible_player(principal)
        found = self.find_sector(port_id)
        if found is None or not views.sector_visible(player, port_id, admin=principal.is_admin):
            raise _not_found("port", port_id)
        _, state = found
        port = state.ports.get(port_id)
        if port is None:
            raise _not_found("port", port_id)
        return views.port_out(port, state, self.clock())

    def quote_data(
        self, principal: Principal, port_id: int, commodity: str, side: str, quantity: int
    ) -> dict[str, Any]:
        """``GET /ports/{id}/quote``: price a trade now (nothing changes), as plain data
        (:class:`~starlane.api.schemas.QuoteOut`'s fields).

        Raises:
            ApiError: 404 for a port that does not exist or is not discovered.
            DomainError: the rules refuse the quote (unknown commodity, nothing traded...).
        """
        player = self._visible_player(principal)
        found = self.find_sector(port_id)
        if found is None or not views.sector_visible(player, port_id, admin=principal.is_admin):
            raise _not_found("port", port_id)
        _, state = found
        now = self.clock()
        q = economy.quote(state, port_id, commodity, Side(side), quantity, now)
        change = -q.net if q.side == Side.BUY else q.net
        return dict(
            port_id=q.port_id,
            commodity=q.commodity,
            side=str(q.side),
            quantity=q.units,
            unit_price=q.unit_price,
            total=q.total,
            tax=q.tax,
            credits_change=change,
            quoted_at=now,
        )

    def catalog(self, principal: Principal) -> s.StardockCatalog:
        """``GET /stardock``."""
        player, state = self.player(principal)
        return views.catalog_out(player.ship, state)

    def regions(self, cursor: str | None, limit: int) -> s.Page[s.RegionOut]:
        """``GET /regions``: a page of region summaries, by id."""
        after = decode_cursor(cursor)
        states = [st for rid, st in self.region_states().items() if rid > after]
        page = states[:limit]
        items = [views.region_out(st.region) for st in page]
        nxt = encode_cursor(page[-1].region.id) if len(states) > limit else None
        return s.Page[s.RegionOut](items=items, next_cursor=nxt)

    def region(self, region_id: int) -> s.RegionOut:
        """``GET /regions/{id}``."""
        state = self.region_states().get(region_id)
        if state is None:
            raise _not_found("region", region_id)
        return views.region_out(state.region)

    def region_map(
        self, principal: Principal, region_id: int, cursor: str | None, limit: int
    ) -> s.RegionMap:
        """``GET /regions/{id}/map``: the sectors the caller may see, a page at a time."""
        state = self.region_states().get(region_id)
        if state is None:
            raise _not_found("region", region_id)
        player = self._visible_player(principal)
        if principal.is_admin:
            ids = sorted(state.sectors)
        else:
            assert player is not None
            seen = set(player.explored)
            seen.add(player.sector_id)
            ids = sorted(sid for sid in seen if sid in state.sectors)
        after = decode_cursor(cursor)
        rest = [sid for sid in ids if sid > after]
        page = rest[:limit]
        return s.RegionMap(
            region_id=region_id,
            total_visible=len(ids),
            items=[views.map_sector(state.sectors[sid], state) for sid in page],
            next_cursor=encode_cursor(page[-1]) if len(rest) > limit else None,
        )

    # --- commands with shaped results ------------------------------------------------------
    async def move_data(self, principal: Principal, to_sector_id: int) -> dict[str, Any]:
        """``POST /me/move``, as plain data (:class:`~starlane.api.schemas.MoveResponse`'s
        fields).

        Raises:
            ApiError: 429 over the command rate.
            DomainError: the rules refused the move (``not_adjacent``, ``insufficient_turns``...).
        """
        events = await self.execute(principal, c.Move(principal.account_id, to_sector_id))
        moved = _moves(events)
        last = moved[-1] if moved else None
        player, state = self.player(principal)
        sector = state.sectors[player.sector_id]
        return dict(
            from_sector_id=last.from_sector_id if last else player.sector_id,
            sector_id=player.sector_id,
            turns_spent=sum(m.turns_spent for m in moved),
            turns_left=last.turns_left if last else player.turns,
            first_visit=bool(last and last.first_visit),
            sector=views.sector_data(sector, state, player, self.clock()),
        )

    async def autopilot(
        self, principal: Principal, to_sector_id: int, execute: bool
    ) -> s.AutopilotResponse:
        """``POST /me/autopilot``: plan a route, and fly it when ``execute``."""
        player, state = self.player(principal)
        from starlane.domain.movement import current_turns

        available, _ = current_turns(player, self.clock(), state.rules)
        route = self.service.plan_route(principal.account_id, to_sector_id)
        path = [int(x) for x in route.path]
        cost = int(getattr(route, "turns", getattr(route, "turn_cost", 0)))
        if not execute:
            return s.AutopilotResponse(
                path=path,
                turn_cost=cost,
                turns_available=available,
                executed=False,
                moves=[],
                sector_id=player.sector_id,
                turns_left=available,
            )
        events = await self.execute(principal, c.Autopilot(principal.account_id, to_sector_id))
        moved = _moves(events)
        player, _ = self.player(principal)
        return s.AutopilotResponse(
            path=path,
            turn_cost=cost,
            turns_available=available,
            executed=True,
            moves=[_move_result(m) for m in moved],
            sector_id=player.sector_id,
            turns_left=moved[-1].turns_left if moved else available,
        )

    async def scan(self, principal: Principal) -> s.ScanResponse:
        """``POST /me/scan``: discover the neighbouring sectors."""
        events = await self.execute(principal, c.Scan(principal.account_id))
        player, state = self.player(principal)
        discovered: list[int] = []
        for e in events:
            if isinstance(e, ev.SectorsScanned):
                discovered.extend(e.discovered)
        here = state.sectors[player.sector_id]
        now = self.clock()
        neighbours = [
            views.sector_out(state.sectors[w], state, player, now)
            for w in here.warps
            if w in state.sectors
        ]
        return s.ScanResponse(
            sector_id=player.sector_id, discovered=sorted(discovered), neighbours=neighbours
        )

    async def trade_data(
        self, principal: Principal, port_id: int, req: s.TradeRequest
    ) -> dict[str, Any]:
        """``POST /ports/{id}/trade``, the receipt as plain data
        (:class:`~starlane.api.schemas.TradeReceipt`'s fields).

        Raises:
            ApiError: 429 over the command rate.
            DomainError: the rules refused the trade (``price_moved``, ``port_out_of_stock``...).
        """
        cmd = c.Trade(
            principal.account_id,
            port_id,
            req.commodity,
            Side(req.side),
            req.quantity,
            req.max_unit_price,
        )
        events = await self.execute(principal, cmd)
        t = _first(events, ev.PortTraded)
        player, _ = self.player(principal)
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

    async def buy_ship(self, principal: Principal, req: s.BuyShipRequest) -> s.BuyShipReceipt:
        """``POST /stardock/ship``."""
        events = await self.execute(
            principal, c.BuyShip(principal.account_id, req.ship_type, req.ship_name)
        )
        b = _first(events, ev.ShipBought)
        player, _ = self.player(principal)
        return s.BuyShipReceipt(
            ship=views.ship_out(player.ship),
            price=b.price,
            trade_in=b.trade_in,
            credits_after=b.credits_after,
        )

    async def buy_hardware(self, principal: Principal, item: str, count: int) -> s.HardwareReceipt:
        """``POST /stardock/fighters``, ``/stardock/holds`` and ``/stardock/shields``."""
        events = await self.execute(
            principal, c.BuyHardware(principal.account_id, Hardware(item), count)
        )
        h = _first(events, ev.HardwareBought)
        return s.HardwareReceipt(
            item=item,
            count=count,
            price=h.price,
            credits_after=h.credits_after,
            after=h.units_after,
        )

    async def repair(self, principal: Principal) -> s.RepairReceipt:
        """``POST /stardock/repair``: the hull repaired to full."""
        events = await self.execute(principal, c.RepairHull(principal.account_id))
        r = _first(events, ev.HullRepaired)
        return s.RepairReceipt(
            points=r.points, price=r.price, credits_after=r.credits_after, hull_after=r.hull_after
        )

    async def attack(self, principal: Principal, req: s.AttackRequest) -> s.CombatReport:
        """``POST /me/attack``."""
        events = await self.execute(
            principal, c.Attack(principal.account_id, req.target_kind, req.target_id)
        )
        r = _first(events, ev.CombatResolved)
        me_destroyed = any(
            isinstance(e, ev.ShipDestroyed) and e.player_id == principal.account_id for e in events
        )
        target_destroyed = any(
            (isinstance(e, ev.PirateDestroyed) and req.target_kind == "pirate")
            or (
                isinstance(e, ev.ShipDestroyed)
                and req.target_kind == "player"
                and e.player_id == req.target_id
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


def _moves(events: list[ev.Event]) -> list[ev.PlayerMoved]:
    return [e for e in events if isinstance(e, ev.PlayerMoved)]


def _move_result(m: ev.PlayerMoved) -> s.MoveResult:
    return s.MoveResult(
        from_sector_id=m.from_sector_id,
        sector_id=m.sector_id,
        turns_spent=m.turns_spent,
        turns_left=m.turns_left,
        first_visit=m.first_visit,
    )


def _first(events: list[ev.Event], cls: type[Any]) -> Any:
    for e in events:
        if isinstance(e, cls):
            return e
    raise ApiError(500, "internal_error", "the command produced no result")
