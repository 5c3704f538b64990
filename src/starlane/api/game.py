"""The game operations behind the REST routes and the WebSocket (one implementation for both).

:class:`GameApi` runs a caller's domain command through the ``GalaxyService`` (the per-player
command rate limit applied, the outcome counted in the metrics) and shapes the committed
events into the response objects of :mod:`starlane.api.schemas` (:mod:`starlane.api.answers`,
named by the command declarations of :mod:`starlane.api.game_commands`). Reads (``me``,
sectors, ports, regions) go to the live region state through the service and apply fog of
war. A caller can only ever act as themselves: the player id of every command is the
authenticated account id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlane.api import schemas as s
from starlane.api.auth import Principal
from starlane.api.errors import ApiError
from starlane.api.metrics import Metrics
from starlane.api.ratelimit import RateLimiter
from starlane.billing.book import MembershipBook
from starlane.domain import commands as c
from starlane.domain import events as ev
from starlane.domain import reads
from starlane.domain.data import Membership, Side
from starlane.domain.errors import DomainError
from starlane.domain.model import Player, RegionState, Sector
from starlane.domain.reads.diplomacy import diplomacy_view
from starlane.engine.diplomacy import home_region
from starlane.engine.errors import EngineError
from starlane.engine.router import GalaxyService
from starlane.store.catalogue import RegionRow

CURSOR_DIGITS = 9
"""Longest cursor, in digits (ids are below 2**31)."""


def encode_cursor(last_id: int) -> str:
    """An opaque page cursor meaning "after ``last_id``": its decimal digits, so that every
    cursor the schema allows (``PageQuery.cursor``: 1-9 digits) is one the server accepts.

    Args:
        last_id: the id of the last item returned.

    Returns:
        The cursor string.
    """
    return str(last_id)


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
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= CURSOR_DIGITS):
        raise ApiError(422, "invalid_cursor", "the cursor is not one this server issued")
    return int(cursor)


def _not_found(what: str, ident: int) -> ApiError:
    return ApiError(404, "not_found", f"{what} {ident} not found (or not discovered yet)")


class GameApi:
    """Game reads and commands for authenticated callers.

    Args:
        service: the galaxy service.
        limiter: the app's rate limits.
        metrics: the app's metrics.
        clock: unix seconds now.
        membership: every account's membership terms (None: each player's tier as created).
        catalogue: reads the galaxy catalogue (``EventStore.list_regions``), for the regions
            list's closed regions; None lists the running regions only.
    """

    def __init__(
        self,
        service: GalaxyService,
        limiter: RateLimiter,
        metrics: Metrics,
        clock: Callable[[], float],
        membership: MembershipBook | None = None,
        *,
        catalogue: Callable[[], Awaitable[list[RegionRow]]] | None = None,
    ) -> None:
        self.service = service
        self.limiter = limiter
        self.metrics = metrics
        self.clock = clock
        self.membership = membership
        self.catalogue = catalogue

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
        return {state.region.id: state for state in self.service.regions()}

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
            EngineError: the engine could not take the command (busy, unavailable...).
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
        except EngineError as exc:
            self.metrics.record_command(command.name, exc.code)
            raise
        except Exception:
            self.metrics.record_command(command.name, "error")
            raise
        self.metrics.record_command(command.name, "ok")
        return [r.event for r in recorded]

    # --- reads -----------------------------------------------------------------------------
    # starlane.domain.reads decides fog of war and returns plain data; None (not visible) is a
    # 404 ``not_found``, and a caller without a player gets 404 ``player_not_in_galaxy`` (admins
    # read without one). The hot reads (me, sector, quote) return the data as it is, encoded
    # without building pydantic models (MeOut, SectorOut, QuoteOut document it, and
    # tests/api/test_ws.py holds it to them); the others validate it into their models.
    def me_data(self, principal: Principal) -> reads.MeView:
        """``GET /me`` as plain data (:class:`~starlane.api.schemas.MeOut`'s fields); the
        membership is the account's tier in force now (from the membership book)."""
        player, state = self.player(principal)
        book = self.membership
        terms = None if book is None else book.terms(player.id, player.membership)
        return reads.me_view(player, state, principal.roles, self.clock(), terms)

    def is_citizen(self, principal: Principal) -> bool | None:
        """Whether the caller is a Galactic Citizen now, from the membership book (None
        without a book or a player: the region's state decides).

        Args:
            principal: the caller.

        Returns:
            True or False, or None.
        """
        book = self.membership
        player = self.service.player(principal.account_id)
        if book is None or player is None:
            return None
        terms = book.terms(player.id, player.membership)
        return terms.effective(self.clock()) is Membership.CITIZEN

    def sector_data(self, principal: Principal, sector_id: int) -> reads.SectorView:
        """``GET /sectors/{id}`` with fog of war, as plain data
        (:class:`~starlane.api.schemas.SectorOut`'s fields).

        Raises:
            ApiError: 404 for a sector that does not exist or is not discovered.
        """
        player = self._visible_player(principal)
        found = self.find_sector(sector_id)
        view = None
        if found is not None:
            view = reads.sector_view(
                found[1],
                sector_id,
                player,
                admin=principal.is_admin,
                now=self.clock(),
                destinations=self.service.region_info,
            )
        if view is None:
            raise _not_found("sector", sector_id)
        return view

    def port(self, principal: Principal, port_id: int) -> s.PortOut:
        """``GET /ports/{id}``: a port in a discovered sector."""
        player = self._visible_player(principal)
        found = self.find_sector(port_id)
        view = None
        if found is not None:
            view = reads.port_view(
                found[1], port_id, player, admin=principal.is_admin, now=self.clock()
            )
        if view is None:
            raise _not_found("port", port_id)
        return s.PortOut.model_validate(view)

    def quote_data(
        self, principal: Principal, port_id: int, commodity: str, side: str, quantity: int
    ) -> reads.QuoteView:
        """``GET /ports/{id}/quote``: price a trade now (nothing changes), as plain data
        (:class:`~starlane.api.schemas.QuoteOut`'s fields).

        Raises:
            ApiError: 404 for a port that does not exist or is not discovered.
            DomainError: the rules refuse the quote (unknown commodity, nothing traded...).
        """
        player = self._visible_player(principal)
        found = self.find_sector(port_id)
        view = None
        if found is not None:
            region = found[1].region
            home = (
                home_region(self.service.engines, region, player.id)
                if player is not None and region.agreements
                else None
            )
            view = reads.quote_view(
                found[1],
                port_id,
                player,
                admin=principal.is_admin,
                commodity=commodity,
                side=Side(side),
                quantity=quantity,
                now=self.clock(),
                home_region_id=home,
            )
        if view is None:
            raise _not_found("port", port_id)
        return view

    def catalog(self, principal: Principal) -> s.StardockCatalog:
        """``GET /stardock``."""
        player, state = self.player(principal)
        return s.StardockCatalog.model_validate(reads.stardock_catalog(state, player.ship))

    async def regions(
        self,
        cursor: str | None,
        limit: int,
        *,
        kind: str | None = None,
        status: str | None = None,
    ) -> s.Page[s.RegionOut]:
        """``GET /regions``: a page of region summaries, by id, optionally filtered.

        Every region with an engine is summarised from its live state (with its population);
        the catalogue's status ``closed`` overrides the engine's, and a closed region whose
        engine no longer runs is summarised from the catalogue alone.

        Args:
            cursor: the previous page's ``next_cursor``.
            limit: regions per page.
            kind: only this region kind.
            status: only this status (``active``, ``suspended``, ``closed``).

        Returns:
            The page.

        Raises:
            ApiError: 422 ``invalid_cursor``.
        """
        after = decode_cursor(cursor)
        rows = await self.catalogue() if self.catalogue is not None else []
        states = self.region_states()
        closed = {row.id for row in rows if row.status == "closed"}
        views: list[reads.RegionView] = []
        for state in states.values():
            view = reads.region_view(state.region, population=len(state.players))
            if state.region.id in closed:
                view["status"], view["active"] = "closed", False
            views.append(view)
        for row in rows:
            if row.id in closed and row.id not in states:
                views.append(
                    reads.closed_region_view(
                        row.id,
                        row.kind,
                        row.name,
                        row.sector_count,
                        row.first_sector_id,
                        row.created_at,
                    )
                )
        wanted = [
            v
            for v in views
            if (kind is None or v["kind"] == kind) and (status is None or v["status"] == status)
        ]
        page = reads.region_views_page(wanted, after=after, limit=limit)
        nxt = None if page["next_after"] is None else encode_cursor(page["next_after"])
        return s.Page[s.RegionOut].model_validate({"items": page["items"], "next_cursor": nxt})

    def region(self, region_id: int, principal: Principal | None = None) -> s.RegionOut:
        """``GET /regions/{id}``; the treasury only for admins and the region's governor."""
        state = self.region_states().get(region_id)
        if state is None:
            raise _not_found("region", region_id)
        region = state.region
        show = principal is not None and (
            principal.is_admin or principal.account_id == region.governor_id
        )
        view = reads.region_view(region, show_treasury=show, population=len(state.players))
        return s.RegionOut.model_validate(
            {**view, "diplomacy": diplomacy_view(region, self.clock())}
        )

    def region_map(
        self, principal: Principal, region_id: int, cursor: str | None, limit: int
    ) -> s.RegionMap:
        """``GET /regions/{id}/map``: the sectors the caller may see, a page at a time."""
        state = self.region_states().get(region_id)
        if state is None:
            raise _not_found("region", region_id)
        player = self._visible_player(principal)
        page = reads.region_map_page(
            state, player, admin=principal.is_admin, after=decode_cursor(cursor), limit=limit
        )
        nxt = None if page["next_after"] is None else encode_cursor(page["next_after"])
        data = {k: v for k, v in page.items() if k != "next_after"}
        return s.RegionMap.model_validate({**data, "next_cursor": nxt})

    # --- answers -----------------------------------------------------------------------------
    # The declaration of the scan command (starlane.api.game_commands) builds the domain
    # command; this shapes what it produced (the other answers: starlane.api.answers).
    def scan_answer(self, principal: Principal, events: list[ev.Event]) -> s.ScanResponse:
        """``POST /me/scan``: the sectors discovered and the neighbours now visible.

        Args:
            principal: the caller.
            events: the scan's committed events.

        Returns:
            The scan response.
        """
        player, state = self.player(principal)
        discovered: list[int] = []
        for e in events:
            if isinstance(e, ev.SectorsScanned):
                discovered.extend(e.discovered)
        neighbours = [
            s.SectorOut.model_validate(v)
            for v in reads.scan_neighbours(state, player, self.clock())
        ]
        return s.ScanResponse(
            sector_id=player.sector_id, discovered=sorted(discovered), neighbours=neighbours
        )
