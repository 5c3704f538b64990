"""A typed asynchronous client of the Starlane REST API (``/api/v1``).

Every method sends one request and returns the decoded JSON body; a refused request raises
:class:`ApiError` carrying the RFC 9457 problem's ``code`` (``insufficient_turns``,
``not_adjacent``, ...), its HTTP status and, for 429, the ``Retry-After`` delay. An expired
access token is refreshed once automatically with the refresh token.

Usage::

    async with StarlaneClient("http://127.0.0.1:8000") as api:
        await api.register_or_login("trader1", "a long password")
        me = await api.me()
        sector = await api.sector(me["sector_id"])

Pass ``transport=httpx.ASGITransport(app)`` to talk to an in-process app (tests).
"""

from __future__ import annotations

import contextlib
from typing import Any, NamedTuple

import httpx

JSON = dict[str, Any]
"""A decoded JSON object as the API returns it."""

API_PREFIX = "/api/v1"


class ApiError(Exception):
    """A request the server refused or failed.

    Attributes:
        status: HTTP status (0 when the server could not be reached).
        code: the problem's stable ``code`` (``"not_adjacent"``), or ``http_<status>`` when the
            body named none, or ``"connection_error"``.
        detail: the human-readable explanation.
        retry_after: seconds to wait before retrying (429 responses), else None.
        body: the decoded problem body, if any.
    """

    def __init__(
        self,
        status: int,
        code: str,
        detail: str = "",
        *,
        retry_after: float | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.retry_after = retry_after
        self.body = body

    @property
    def rate_limited(self) -> bool:
        """Whether the server asked to slow down (429)."""
        return self.status == 429


def problem_from_response(response: httpx.Response) -> ApiError:
    """Turn an error response into an :class:`ApiError`.

    Args:
        response: a response with status >= 400.

    Returns:
        The error with the problem's ``code`` and ``detail``; for 422 validation errors without
        a code the code is ``validation_error``.
    """
    body: Any = None
    try:
        body = response.json()
    except ValueError:
        body = response.text
    code = f"http_{response.status_code}"
    detail = ""
    if isinstance(body, dict):
        code = str(body.get("code") or code)
        raw_detail = body.get("detail") or body.get("title") or ""
        detail = raw_detail if isinstance(raw_detail, str) else str(raw_detail)
        if response.status_code == 422 and "code" not in body:
            code = "validation_error"
    retry_after: float | None = None
    header = response.headers.get("retry-after")
    if header is not None:
        try:
            retry_after = max(0.0, float(header))
        except ValueError:
            retry_after = 1.0
    elif response.status_code == 429:
        retry_after = 1.0
    return ApiError(response.status_code, code, detail, retry_after=retry_after, body=body)


class ClientCommand(NamedTuple):
    """How to send one game command (generated from the server's declarations).

    Attributes:
        method: ``GET`` or ``POST``.
        path: the path, ``{name}`` for each path parameter.
        body: whether it carries a JSON body (the arguments that are not path parameters);
            otherwise they go in the query string (``GET``) or nowhere.
    """

    method: str
    path: str
    body: bool


class StarlaneClient:
    """An authenticated session with one Starlane server.

    Args:
        base_url: the server's root URL (``http://127.0.0.1:8000``).
        transport: an httpx transport (``httpx.ASGITransport(app)`` for in-process tests).
        timeout: request timeout, seconds.

    Attributes:
        access_token: the current JWT access token, None before logging in.
        refresh_token: the current refresh token, None before logging in.
        username: the account name logged in with.
    """

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            timeout=timeout,
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=4),
        )
        self.access_token: str | None = None
        self.refresh_token: str | None = None
        self.username: str | None = None

    async def __aenter__(self) -> StarlaneClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    # --- plumbing ---------------------------------------------------------------------------
    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        auth: bool = True,
    ) -> Any:
        """Send one request and decode the answer.

        Args:
            method: HTTP method.
            path: path under the server root (``/api/v1/me``).
            json: JSON body.
            params: query parameters.
            data: form body.
            auth: send the access token (refreshing it once on a 401 when possible).

        Returns:
            The decoded JSON body (None for an empty body).

        Raises:
            ApiError: the server answered with an error status, or could not be reached.
        """
        response = await self._send(method, path, json=json, params=params, data=data, auth=auth)
        if response.status_code == 401 and auth and self.refresh_token:
            try:
                await self.refresh()
            except ApiError:
                pass
            else:
                response = await self._send(
                    method, path, json=json, params=params, data=data, auth=auth
                )
        if response.status_code >= 400:
            raise problem_from_response(response)
        if not response.content:
            return None
        return response.json()

    async def _object(self, method: str, path: str, **kwargs: Any) -> JSON:
        """:meth:`request`, for answers that are JSON objects.

        Raises:
            ApiError: the request failed, or the answer was not a JSON object
                (``unexpected_answer``).
        """
        body = await self.request(method, path, **kwargs)
        if not isinstance(body, dict):
            raise ApiError(200, "unexpected_answer", f"{method} {path} did not answer an object")
        return body

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any,
        params: dict[str, Any] | None,
        data: dict[str, Any] | None,
        auth: bool,
    ) -> httpx.Response:
        headers = {}
        if auth and self.access_token:
            headers["Authorization"] = f"Bearer {self.access_token}"
        try:
            return await self._http.request(
                method, path, json=json, params=params, data=data, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ApiError(0, "connection_error", f"{type(exc).__name__}: {exc}") from exc

    # --- health -----------------------------------------------------------------------------
    async def healthz(self) -> bool:
        """Whether the server process answers ``/healthz``.

        Returns:
            True on a 2xx answer, False otherwise (including when it cannot be reached).
        """
        try:
            response = await self._http.get("/healthz")
        except httpx.HTTPError:
            return False
        return response.is_success

    async def readyz(self) -> bool:
        """Whether the server is ready (database reachable, engines started).

        Returns:
            True on a 2xx answer of ``/readyz``.
        """
        try:
            response = await self._http.get("/readyz")
        except httpx.HTTPError:
            return False
        return response.is_success

    # --- accounts ---------------------------------------------------------------------------
    async def register(self, username: str, password: str) -> JSON:
        """Create an account (and its player at Sol).

        Args:
            username: the account name.
            password: at least 10 characters.

        Returns:
            The server's answer (the new account).

        Raises:
            ApiError: ``username_taken``, ``weak_password``, validation errors, 429.
        """
        body = await self.request(
            "POST",
            f"{API_PREFIX}/auth/register",
            json={"username": username, "password": password},
            auth=False,
        )
        self._take_tokens(body)
        return body if isinstance(body, dict) else {}

    async def login(self, username: str, password: str) -> JSON:
        """Log in and keep the tokens for the following requests.

        Args:
            username: the account name.
            password: its password.

        Returns:
            The token answer (``access_token``, ``refresh_token``, ...).

        Raises:
            ApiError: 401 ``invalid_credentials``, 429.
        """
        body = await self._object(
            "POST",
            f"{API_PREFIX}/auth/login",
            json={"username": username, "password": password},
            auth=False,
        )
        self._take_tokens(body)
        self.username = username
        return body

    async def register_or_login(self, username: str, password: str) -> JSON:
        """Log in, registering the account first when it does not exist yet.

        Args:
            username: the account name.
            password: its password.

        Returns:
            The token answer of the login.

        Raises:
            ApiError: the registration or the login was refused.
        """
        try:
            return await self.login(username, password)
        except ApiError as exc:
            if exc.status not in (401, 404):
                raise
        await self.register(username, password)
        return await self.login(username, password)

    async def refresh(self) -> JSON:
        """Exchange the refresh token for new tokens (the refresh token rotates).

        Returns:
            The token answer.

        Raises:
            ApiError: 401 when the refresh token is expired or revoked.
        """
        body = await self._object(
            "POST",
            f"{API_PREFIX}/auth/refresh",
            json={"refresh_token": self.refresh_token},
            auth=False,
        )
        self._take_tokens(body)
        return body

    async def logout(self) -> None:
        """Revoke the refresh token and forget the tokens."""
        if self.refresh_token:
            with contextlib.suppress(ApiError):
                await self.request(
                    "POST", f"{API_PREFIX}/auth/logout", json={"refresh_token": self.refresh_token}
                )
        self.access_token = self.refresh_token = None

    def _take_tokens(self, body: Any) -> None:
        if not isinstance(body, dict):
            return
        nested = body.get("tokens")
        tokens: dict[str, Any] = nested if isinstance(nested, dict) else body
        if tokens.get("access_token"):
            self.access_token = str(tokens["access_token"])
        if tokens.get("refresh_token"):
            self.refresh_token = str(tokens["refresh_token"])

    # --- game commands ---------------------------------------------------------------------
    async def send_command(self, command: ClientCommand, **args: Any) -> JSON:
        """Send one game command: path parameters into the path, the other arguments (those
        not None) into the JSON body of a ``POST`` or the query string of a ``GET``.

        The methods below are this call for each command the server declares.

        Args:
            command: the command's method and path.
            **args: its arguments by name.

        Returns:
            The decoded answer.

        Raises:
            ApiError: the server refused it, or the answer was not a JSON object.
        """
        path = command.path
        rest: JSON = {}
        for name, value in args.items():
            token = "{" + name + "}"
            if token in path:
                path = path.replace(token, str(value))
            elif value is not None:
                rest[name] = value
        if command.method == "GET":
            return await self._object("GET", path, params=rest or None)
        return await self._object(command.method, path, json=rest if command.body else None)

    # --- game commands: generated by `python -m starlane.api.codegen` from
    # starlane.api.game_commands; do not edit.
    async def me(self) -> JSON:
        """Credits, turns (and when the next one regenerates), region, sector, ship and cargo.

        Returns:
            The answer: credits, turns (``available``, ``max``, ``per_day``, ``next_at``), region,
                sector, ship, cargo, membership.

        Raises:
            ApiError: the server refused it (the problem's ``code``).
        """
        return await self.send_command(ClientCommand("GET", "/api/v1/me", False))

    async def move(self, to_sector_id: int) -> JSON:
        """Move along one warp to an adjacent sector, or to the sector at the other end of the gate
        in your sector: a passage into another region (3 turns plus the toll; `immigration_refused`,
        `region_suspended`, `insufficient_credits`, `in_transit`).

        Args:
            to_sector_id: ``MoveRequest.to_sector_id``.

        Returns:
            The answer: the move (or gate passage), ``region_id``, ``sector_id``, ``toll_paid`` and
                the sector arrived in.

        Raises:
            ApiError: the server refused it (the problem's ``code``).
        """
        return await self.send_command(
            ClientCommand("POST", "/api/v1/me/move", True),
            to_sector_id=to_sector_id,
        )

    async def autopilot(self, to_sector_id: int, *, execute: bool = True) -> JSON:
        """Plan the least-turn route to a sector of any region; with ``execute`` fly it, through the
        gates on the way (refused up front when turns do not cover it; a refused step stops it where
        it is, its `context.stopped_at` says where).

        Args:
            to_sector_id: ``AutopilotRequest.to_sector_id``.
            execute: ``AutopilotRequest.execute``.

        Returns:
            The answer: ``path``, ``turn_cost``, and with ``execute`` the ``moves`` flown and
                ``region_id``.

        Raises:
            ApiError: the server refused it (the problem's ``code``).
        """
        return await self.send_command(
            ClientCommand("POST", "/api/v1/me/autopilot", True),
            to_sector_id=to_sector_id,
            execute=execute,
        )

    async def scan(self) -> JSON:
        """Discover the sectors one warp away.

        Returns:
            The answer: the neighbouring sectors, now discovered.

        Raises:
            ApiError: the server refused it (the problem's ``code``).
        """
        return await self.send_command(ClientCommand("POST", "/api/v1/me/scan", False))

    async def attack(self, target_kind: str, target_id: int) -> JSON:
        """Attack an NPC pirate or another player's ship in your sector.

        Args:
            target_kind: ``AttackRequest.target_kind``.
            target_id: ``AttackRequest.target_id``.

        Returns:
            The answer: combat report.

        Raises:
            ApiError: the server refused it (the problem's ``code``).
        """
        return await self.send_command(
            ClientCommand("POST", "/api/v1/me/attack", True),
            target_kind=target_kind,
            target_id=target_id,
        )

    async def port(self, port_id: int) -> JSON:
        """Commodities traded, direction, quantity and current unit prices (discovered sectors).

        Args:
            port_id: the ``{port_id}`` of the path (an id).

        Returns:
            The answer: commodities with ``direction``, ``quantity``, ``capacity``, ``unit_price``.

        Raises:
            ApiError: the server refused it (the problem's ``code``).
        """
        return await self.send_command(
            ClientCommand("GET", "/api/v1/ports/{port_id}", False),
            port_id=port_id,
        )

    async def quote(self, port_id: int, commodity: str, side: str, quantity: int) -> JSON:
        """What a trade would cost or pay now, tax included; nothing changes.

        Args:
            port_id: the ``{port_id}`` of the path (an id).
            commodity: ``QuoteQuery.commodity``.
            side: ``QuoteQuery.side``.
            quantity: ``QuoteQuery.quantity``.

        Returns:
            The answer: price, total, tax, ``credits_change``.

        Raises:
            ApiError: the server refused it (the problem's ``code``).
        """
        return await self.send_command(
            ClientCommand("GET", "/api/v1/ports/{port_id}/quote", False),
            port_id=port_id,
            commodity=commodity,
            side=side,
            quantity=quantity,
        )

    async def trade(
        self,
        port_id: int,
        commodity: str,
        side: str,
        quantity: int,
        max_unit_price: float | None = None,
    ) -> JSON:
        """Buy or sell; ``max_unit_price`` refuses (409 ``price_moved``) if the price moved past
        your limit.

        Args:
            port_id: the ``{port_id}`` of the path (an id).
            commodity: ``TradeRequest.commodity``.
            side: ``TradeRequest.side``.
            quantity: ``TradeRequest.quantity``.
            max_unit_price: ``TradeRequest.max_unit_price``.

        Returns:
            The answer: receipt.

        Raises:
            ApiError: the server refused it (the problem's ``code``).
        """
        return await self.send_command(
            ClientCommand("POST", "/api/v1/ports/{port_id}/trade", True),
            port_id=port_id,
            commodity=commodity,
            side=side,
            quantity=quantity,
            max_unit_price=max_unit_price,
        )

    async def stardock(self) -> JSON:
        """Ships and hardware with prices, and your current ship's trade-in value.

        Returns:
            The answer: ships and hardware (``fighters``, ``holds``, ``shields``, ``hull_repair``)
                with unit prices, your trade-in value.

        Raises:
            ApiError: the server refused it (the problem's ``code``).
        """
        return await self.send_command(ClientCommand("GET", "/api/v1/stardock", False))

    async def buy_ship(self, ship_type: str, ship_name: str | None = None) -> JSON:
        """Buy a ship at the StarDock in your sector, trading in the current one.

        Args:
            ship_type: ``BuyShipRequest.ship_type``.
            ship_name: ``BuyShipRequest.ship_name``.

        Returns:
            The answer: the new ship, price, trade-in, credits.

        Raises:
            ApiError: the server refused it (the problem's ``code``).
        """
        return await self.send_command(
            ClientCommand("POST", "/api/v1/stardock/ship", True),
            ship_type=ship_type,
            ship_name=ship_name,
        )

    async def buy_hardware(self, item: str, quantity: int) -> JSON:
        """Buy fighters, extra cargo holds or shield points at the StarDock in your sector.

        Args:
            item: ``BuyHardwareItemRequest.item``.
            quantity: ``BuyHardwareItemRequest.quantity``.

        Returns:
            The answer: receipt (``after`` = the ship's units of the item now).

        Raises:
            ApiError: the server refused it (the problem's ``code``).
        """
        return await self.send_command(
            ClientCommand("POST", "/api/v1/stardock/hardware", True),
            item=item,
            quantity=quantity,
        )

    async def buy_fighters(self, count: int) -> JSON:
        """Buy fighters at the StarDock in your sector.

        Args:
            count: ``BuyHardwareRequest.count``.

        Returns:
            The answer: receipt (``after`` = fighters now).

        Raises:
            ApiError: the server refused it (the problem's ``code``).
        """
        return await self.send_command(
            ClientCommand("POST", "/api/v1/stardock/fighters", True),
            count=count,
        )

    async def buy_holds(self, count: int) -> JSON:
        """Buy extra cargo holds at the StarDock in your sector.

        Args:
            count: ``BuyHardwareRequest.count``.

        Returns:
            The answer: receipt (``after`` = holds now).

        Raises:
            ApiError: the server refused it (the problem's ``code``).
        """
        return await self.send_command(
            ClientCommand("POST", "/api/v1/stardock/holds", True),
            count=count,
        )

    async def buy_shields(self, count: int) -> JSON:
        """Buy shield points (restoring shields lost in combat) up to your ship type's shields.

        Args:
            count: ``BuyHardwareRequest.count``.

        Returns:
            The answer: receipt (``after`` = shield points now, at most the ship type's).

        Raises:
            ApiError: the server refused it (the problem's ``code``).
        """
        return await self.send_command(
            ClientCommand("POST", "/api/v1/stardock/shields", True),
            count=count,
        )

    async def repair_hull(self) -> JSON:
        """Repair your ship's hull to full at the StarDock in your sector.

        Returns:
            The answer: ``points``, ``price``, ``credits_after``, ``hull_after`` (hull back to
                full).

        Raises:
            ApiError: the server refused it (the problem's ``code``).
        """
        return await self.send_command(ClientCommand("POST", "/api/v1/stardock/repair", False))

    async def sector(self, sector_id: int) -> JSON:
        """Warps (with turn cost), port, planets, pirates and ships present; 404 for a sector you
        have not discovered (admins see every sector).

        Args:
            sector_id: the ``{sector_id}`` of the path (an id).

        Returns:
            The answer: warps (with ``turn_cost``), port, planets, pirates, ships present.

        Raises:
            ApiError: the server refused it (the problem's ``code``).
        """
        return await self.send_command(
            ClientCommand("GET", "/api/v1/sectors/{sector_id}", False),
            sector_id=sector_id,
        )

    async def regions(self, cursor: str | None = None, limit: int = 100) -> JSON:
        """Every region's summary, by id, a page at a time.

        Args:
            cursor: ``PageQuery.cursor``.
            limit: ``PageQuery.limit``.

        Returns:
            The answer: page of region summaries.

        Raises:
            ApiError: the server refused it (the problem's ``code``).
        """
        return await self.send_command(
            ClientCommand("GET", "/api/v1/regions", False),
            cursor=cursor,
            limit=limit,
        )

    async def region(self, region_id: int) -> JSON:
        """Kind, name, sector count, governor, policies and status of a region; its `treasury`
        (credits) only for admins and the region's governor.

        Args:
            region_id: the ``{region_id}`` of the path (an id).

        Returns:
            The answer: kind, name, sector count, governor, policies, status; ``treasury`` for
                admins and the governor.

        Raises:
            ApiError: the server refused it (the problem's ``code``).
        """
        return await self.send_command(
            ClientCommand("GET", "/api/v1/regions/{region_id}", False),
            region_id=region_id,
        )

    async def region_map(self, region_id: int, cursor: str | None = None, limit: int = 100) -> JSON:
        """Sectors with number, coordinates, cluster, hazard, port class and warps with turn cost:
        the ones you have discovered (fog of war; admins see all).

        Args:
            region_id: the ``{region_id}`` of the path (an id).
            cursor: ``PageQuery.cursor``.
            limit: ``PageQuery.limit``.

        Returns:
            The answer: page of discovered sectors: number, coordinates, cluster, hazard, port
                class, warps with turn cost.

        Raises:
            ApiError: the server refused it (the problem's ``code``).
        """
        return await self.send_command(
            ClientCommand("GET", "/api/v1/regions/{region_id}/map", False),
            region_id=region_id,
            cursor=cursor,
            limit=limit,
        )

    # --- end of the generated game commands
