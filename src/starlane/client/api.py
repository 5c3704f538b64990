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
from typing import Any

import httpx

from starlane.client.command import JSON, ClientCommand
from starlane.client.game_methods import GameMethods

__all__ = ["API_PREFIX", "JSON", "ApiError", "ClientCommand", "StarlaneClient"]

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


class StarlaneClient(GameMethods):
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

    # --- governance ------------------------------------------------------------------------
    async def change_region_policies(self, region_id: int, changes: JSON) -> JSON:
        """Change a region's policies, as its governor (``PATCH /regions/{id}/policies``).

        Args:
            region_id: the region.
            changes: the fields to change (any of ``tax_rate``, ``regen_multiplier``,
                ``price_multipliers``, ``immigration``, ``pvp``, ``gate_toll``,
                ``starting_credits``, ``name``, ``description``).

        Returns:
            The server's answer.

        Raises:
            ApiError: refused (``policy_out_of_bounds`` naming the field in the problem's
                ``context``, ``forbidden`` for anyone but the governor...).
        """
        return await self._object(
            "PATCH", f"{API_PREFIX}/regions/{region_id}/policies", json=changes
        )

    # --- diplomacy (docs/diplomacy.md) -----------------------------------------------------
    async def set_stance(
        self, region_id: int, other_region_id: int, stance: str, refuse_entry: bool = False
    ) -> JSON:
        """Set a region's stance towards another, as its governor
        (``PUT /regions/{id}/stances/{other_id}``).

        Raises:
            ApiError: refused (``forbidden``, ``same_region``, ``invalid_stance``...).
        """
        path = f"{API_PREFIX}/regions/{region_id}/stances/{other_region_id}"
        return await self._object(
            "PUT", path, json={"stance": stance, "refuse_entry": refuse_entry}
        )

    async def propose_agreement(
        self,
        region_id: int,
        other_region_id: int,
        toll_discount_pct: int,
        tax_discount_pct: int,
        days: int,
    ) -> JSON:
        """Propose a trade agreement from a region, as its governor
        (``POST /regions/{id}/agreements``).

        Returns:
            The agreement (``status`` ``proposed``).

        Raises:
            ApiError: refused (``forbidden``, ``agreement_exists``, ``unknown_region``...).
        """
        body = {
            "other_region_id": other_region_id,
            "toll_discount_pct": toll_discount_pct,
            "tax_discount_pct": tax_discount_pct,
            "days": days,
        }
        return await self._object("POST", f"{API_PREFIX}/regions/{region_id}/agreements", json=body)

    async def agreement(self, agreement_id: str, action: str | None = None) -> JSON:
        """Read an agreement, or ``accept`` or ``cancel`` it as a party's governor
        (``GET /agreements/{id}``, ``POST /agreements/{id}/accept|cancel``).

        Args:
            agreement_id: the agreement.
            action: None to read it, ``accept`` or ``cancel``.

        Returns:
            The agreement.

        Raises:
            ApiError: refused (``unknown_agreement``, ``forbidden``, ``agreement_not_open``...).
        """
        path = f"{API_PREFIX}/agreements/{agreement_id}"
        if action is None:
            return await self._object("GET", path)
        return await self._object("POST", f"{path}/{action}")

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
