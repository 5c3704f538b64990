"""The JSON shapes of the public API (``/api/v1``): Pydantic request and response models.

Clients (the terminal client, bots, the load benchmark, anyone's own client) build against
these models; the OpenAPI schema at ``/openapi.json`` is generated from them. Every model
rejects unknown fields (``extra="forbid"``) and bounds every size and range, so a request is
either valid as a whole or refused with 422 naming the field: nothing is half-applied.

Units: credits are integers unless named ``*_price`` (a mean unit price, float credits);
times are unix seconds (float); turns are integers; sector, port, region and player ids are
the global integer ids of :mod:`starlane.domain.model`.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

USERNAME_PATTERN = r"^[A-Za-z0-9_-]{3,24}$"
"""Usernames: 3-24 characters of letters, digits, ``_`` and ``-``."""
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 256
MAX_ID = 2**31 - 1
"""Largest id accepted anywhere (ids are 32-bit positive integers)."""
MAX_QUANTITY = 100_000
"""Largest quantity accepted at the edge (the rules may refuse less: ``GameRules``)."""
MAX_PAGE = 500
DEFAULT_PAGE = 100

Id = int
CommodityKey = str


class ApiModel(BaseModel):
    """Base of every API model: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


T = TypeVar("T")


class Page(ApiModel, Generic[T]):
    """One page of a list. Pass ``next_cursor`` back as ``cursor`` to get the next page.

    Attributes:
        items: the entries of this page, in a stable order.
        next_cursor: opaque cursor of the next page; None on the last page.
    """

    items: list[T]
    next_cursor: str | None = None


# --- errors -------------------------------------------------------------------------------
class FieldError(ApiModel):
    """One invalid input field of a 422 response.

    Attributes:
        loc: where the field is (``["body", "quantity"]``, ``["query", "limit"]``).
        msg: what is wrong.
        type: Pydantic's error type (``"greater_than_equal"``).
    """

    loc: list[str | int]
    msg: str
    type: str


class Problem(ApiModel):
    """An RFC 9457 problem details object (``application/problem+json``).

    Attributes:
        type: URI naming the problem type (``https://starlane.dev/problems/<code>``).
        title: short human summary of the problem type.
        status: the HTTP status code.
        detail: human explanation of this occurrence, naming the numbers involved.
        code: stable machine-readable code (a domain code such as ``insufficient_turns``, or
            ``validation_error``, ``not_authenticated``, ``invalid_token``, ``forbidden``,
            ``not_found``, ``rate_limited``, ``engine_busy``, ``engine_unavailable``,
            ``internal_error``...).
        instance: the request path.
        context: extra machine-readable facts (``{"needed": 3, "available": 1}``).
        errors: for ``validation_error``: every invalid field.
    """

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    context: dict[str, Any] | None = None
    errors: list[FieldError] | None = None


# --- auth ---------------------------------------------------------------------------------
class RegisterRequest(ApiModel):
    """``POST /api/v1/auth/register``."""

    username: str = Field(pattern=USERNAME_PATTERN, min_length=3, max_length=24)
    password: str = Field(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)


class LoginRequest(ApiModel):
    """``POST /api/v1/auth/login`` as JSON (the OAuth2 password form is accepted too)."""

    username: str = Field(min_length=1, max_length=24)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class RefreshRequest(ApiModel):
    """``POST /api/v1/auth/refresh`` and ``POST /api/v1/auth/logout``."""

    refresh_token: str = Field(min_length=16, max_length=256)


class TokenPair(ApiModel):
    """Tokens issued by login, register and refresh.

    Attributes:
        access_token: JWT to send as ``Authorization: Bearer <token>``.
        token_type: always ``bearer``.
        expires_in: seconds until the access token expires.
        refresh_token: opaque single-use token for ``/auth/refresh`` (rotated on each use).
        refresh_expires_in: seconds until the refresh token expires.
    """

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


class AccountOut(ApiModel):
    """An account as its owner sees it."""

    id: Id
    username: str
    roles: list[str]
    membership: str
    created_at: float


class RegisterResponse(ApiModel):
    """``201`` from register: the new account, already logged in."""

    account: AccountOut
    tokens: TokenPair


# --- player -------------------------------------------------------------------------------
class ShipOut(ApiModel):
    """A player's ship and its stats.

    Attributes:
        type, type_name, name: the ship type key, its display name, the ship's own name.
        holds, free_holds: cargo holds in total and not taken by cargo.
        fighters, shields, hull: current combat strength.
        max_fighters, max_holds: most fighters it can carry, most holds it can be fitted with.
        move_turns: turns per warp (times the warp's cost).
        cargo: commodity key -> units carried.
    """

    type: str
    type_name: str
    name: str
    holds: int
    free_holds: int
    fighters: int
    shields: int
    hull: int
    max_fighters: int
    max_holds: int
    move_turns: int
    cargo: dict[CommodityKey, int]


class TurnsOut(ApiModel):
    """A player's turns now (regeneration applied lazily).

    Attributes:
        available: turns available now.
        max: regeneration stops at this many.
        per_day: turns regenerated per 86,400 s.
        next_at: unix seconds at which the next turn arrives; None at the maximum.
    """

    available: int
    max: int
    per_day: int
    next_at: float | None


class MeOut(ApiModel):
    """``GET /api/v1/me``: the caller's player."""

    id: Id
    name: str
    roles: list[str]
    membership: str
    credits: int
    turns: TurnsOut
    region_id: Id
    region_name: str
    sector_id: Id
    sector_number: int
    ship: ShipOut
    explored_count: int


# --- sectors ------------------------------------------------------------------------------
class WarpOut(ApiModel):
    """A warp out of a sector.

    Attributes:
        to_sector_id: the sector it leads to.
        turn_cost: warp cost in turns for a ship of 1 move turn (1, +1 per hazard end); the
            ``MeOut.ship.move_turns`` multiplier applies.
        discovered: whether the viewer has discovered the destination.
    """

    to_sector_id: Id
    turn_cost: int
    discovered: bool


class PortSummary(ApiModel):
    """The port in a sector, in short."""

    id: Id
    name: str
    port_class: int
    class_code: str
    buys: list[CommodityKey]
    sells: list[CommodityKey]
    stardock: bool


class PlanetOut(ApiModel):
    """A planet."""

    id: Id
    name: str
    kind: str


class PirateOut(ApiModel):
    """An NPC pirate present in a sector (attack it with ``target_kind="pirate"``)."""

    id: Id
    name: str
    fighters: int
    shields: int
    hull: int


class ShipPresent(ApiModel):
    """Another player's ship in the sector (names only, and the id to target it)."""

    player_id: Id
    player_name: str
    ship_name: str
    ship_type: str


class GateOut(ApiModel):
    """A warp gate to another region."""

    to_region_id: Id
    to_sector_id: Id
    toll: int


class SectorOut(ApiModel):
    """``GET /api/v1/sectors/{id}``: a discovered sector."""

    id: Id
    region_id: Id
    number: int
    x: float
    y: float
    z: float
    cluster: int
    hazard: str | None
    district: str | None
    piracy: int
    warps: list[WarpOut]
    port: PortSummary | None
    planets: list[PlanetOut]
    pirates: list[PirateOut]
    ships: list[ShipPresent]
    gate: GateOut | None


# --- movement -----------------------------------------------------------------------------
class MoveRequest(ApiModel):
    """``POST /api/v1/me/move``: one warp."""

    to_sector_id: Id = Field(ge=1, le=MAX_ID)


class MoveResult(ApiModel):
    """The outcome of a move (also one step of an autopilot run)."""

    from_sector_id: Id
    sector_id: Id
    turns_spent: int
    turns_left: int
    first_visit: bool


class MoveResponse(MoveResult):
    """``POST /api/v1/me/move``: the move and the sector arrived in."""

    sector: SectorOut


class AutopilotRequest(ApiModel):
    """``POST /api/v1/me/autopilot``: plan (``execute=false``) or fly a route."""

    to_sector_id: Id = Field(ge=1, le=MAX_ID)
    execute: bool = False


class AutopilotResponse(ApiModel):
    """A route and, when executed, the moves made.

    Attributes:
        path: sector ids from the current sector (first) to the destination (last).
        turn_cost: turns the whole route costs this ship.
        turns_available: the player's turns before flying.
        executed: whether the route was flown.
        moves: one entry per warp flown (empty when not executed).
        sector_id: the player's sector afterwards.
        turns_left: the player's turns afterwards.
    """

    path: list[Id]
    turn_cost: int
    turns_available: int
    executed: bool
    moves: list[MoveResult]
    sector_id: Id
    turns_left: int


class ScanResponse(ApiModel):
    """``POST /api/v1/me/scan``: the neighbouring sectors, now discovered."""

    sector_id: Id
    discovered: list[Id]
    neighbours: list[SectorOut]


# --- ports and trade ----------------------------------------------------------------------
class PortCommodityOut(ApiModel):
    """One commodity a port trades.

    Attributes:
        commodity, name: key and display name.
        direction: ``sells`` (the port sells: players buy) or ``buys`` (players sell).
        side: the player's side of a trade of it here (``buy`` or ``sell``).
        quantity: whole units in stock (``sells``) or of open demand (``buys``).
        capacity: units at full fill.
        unit_price: price of one unit now, credits.
    """

    commodity: CommodityKey
    name: str
    direction: Literal["sells", "buys"]
    side: Literal["buy", "sell"]
    quantity: int
    capacity: int
    unit_price: float


class PortOut(ApiModel):
    """``GET /api/v1/ports/{port_id}``."""

    id: Id
    sector_id: Id
    region_id: Id
    name: str
    port_class: int
    class_code: str
    class_name: str
    stardock: bool
    commodities: list[PortCommodityOut]


class QuoteOut(ApiModel):
    """``GET /api/v1/ports/{port_id}/quote``: what a trade would cost now (nothing changes).

    Attributes:
        unit_price: mean unit price of the trade, credits.
        total: trade value ``round(unit_price * quantity)``, credits, before tax.
        tax: tax on the trade value, credits.
        credits_change: the player's credits change (negative when buying).
    """

    port_id: Id
    commodity: CommodityKey
    side: Literal["buy", "sell"]
    quantity: int
    unit_price: float
    total: int
    tax: int
    credits_change: int
    quoted_at: float


class TradeRequest(ApiModel):
    """``POST /api/v1/ports/{port_id}/trade``.

    Attributes:
        max_unit_price: price guard: when buying, refuse (409 ``price_moved``) if the mean unit
            price is above it; when selling, if it is below it.
    """

    commodity: CommodityKey = Field(min_length=1, max_length=32)
    side: Literal["buy", "sell"]
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    max_unit_price: float | None = Field(default=None, gt=0, le=1e9)


class TradeReceipt(ApiModel):
    """The receipt of a trade."""

    port_id: Id
    commodity: CommodityKey
    side: Literal["buy", "sell"]
    units: int
    unit_price: float
    total: int
    tax: int
    credits_after: int
    cargo_after: int
    cargo: dict[CommodityKey, int]
    turns_left: int


# --- StarDock -----------------------------------------------------------------------------
class ShipTypeOut(ApiModel):
    """A ship type for sale."""

    key: str
    name: str
    cost: int
    holds: int
    shields: int
    hull: int
    fighters: int
    max_fighters: int
    max_holds: int
    move_turns: int
    citizens_only: bool


class HardwareOut(ApiModel):
    """An item of hardware for sale, priced per unit."""

    item: Literal["fighters", "holds"]
    unit_price: int


class StardockCatalog(ApiModel):
    """``GET /api/v1/stardock``: what a StarDock sells.

    Attributes:
        ships: purchasable ship types.
        hardware: fighters and holds with unit prices.
        trade_in: credits the caller's current ship would fetch as a trade-in.
    """

    ships: list[ShipTypeOut]
    hardware: list[HardwareOut]
    trade_in: int


class BuyShipRequest(ApiModel):
    """``POST /api/v1/stardock/ship``."""

    ship_type: str = Field(min_length=1, max_length=32)
    ship_name: str | None = Field(default=None, min_length=1, max_length=40)


class BuyShipReceipt(ApiModel):
    """The receipt of a ship purchase."""

    ship: ShipOut
    price: int
    trade_in: int
    credits_after: int


class BuyHardwareRequest(ApiModel):
    """``POST /api/v1/stardock/fighters`` and ``POST /api/v1/stardock/holds``."""

    count: int = Field(ge=1, le=MAX_QUANTITY)


class HardwareReceipt(ApiModel):
    """The receipt of a fighters or holds purchase."""

    item: Literal["fighters", "holds"]
    count: int
    price: int
    credits_after: int
    after: int


# --- combat -------------------------------------------------------------------------------
class AttackRequest(ApiModel):
    """``POST /api/v1/me/attack``."""

    target_kind: Literal["pirate", "player"]
    target_id: Id = Field(ge=1, le=MAX_ID)


class StrengthOut(ApiModel):
    """Fighters, shields and hull."""

    fighters: int
    shields: int
    hull: int


class RoundOut(ApiModel):
    """One combat round: damage dealt by each side."""

    attacker_damage: int
    target_damage: int


class CombatReport(ApiModel):
    """The report of an attack.

    Attributes:
        winner: ``attacker``, ``target`` or ``none`` (both survived).
        loot: credits the winner took from the loser.
        ship_destroyed: the attacker's ship was destroyed (they now fly an escape pod).
        target_destroyed: the target was destroyed.
    """

    target_kind: Literal["pirate", "player"]
    target_id: Id
    rounds: list[RoundOut]
    attacker_after: StrengthOut
    target_after: StrengthOut
    winner: Literal["attacker", "target", "none"]
    loot: int
    credits_after: int
    turns_left: int
    ship_destroyed: bool
    target_destroyed: bool


# --- regions ------------------------------------------------------------------------------
class RegionPolicyOut(ApiModel):
    """A region's governor-set policies."""

    tax_rate: float
    regen_multiplier: float
    price_multipliers: dict[CommodityKey, float]
    immigration: str
    pvp: bool
    gate_toll: int
    starting_credits: int


class RegionOut(ApiModel):
    """``GET /api/v1/regions/{id}`` (and entries of ``GET /api/v1/regions``)."""

    id: Id
    kind: str
    name: str
    description: str
    sector_count: int
    first_sector_id: Id
    governor_id: Id | None
    policies: RegionPolicyOut
    active: bool
    opened_at: float


class MapWarp(ApiModel):
    """A warp on a region map (``turn_cost`` as in :class:`WarpOut`)."""

    to_sector_id: Id
    turn_cost: int


class MapSector(ApiModel):
    """A sector on a region map."""

    id: Id
    number: int
    x: float
    y: float
    z: float
    cluster: int
    hazard: str | None
    port_class: int | None
    warps: list[MapWarp]


class RegionMap(Page[MapSector]):
    """``GET /api/v1/regions/{id}/map``: one page of the discovered sectors of a region."""

    region_id: Id
    total_visible: int


# --- health -------------------------------------------------------------------------------
class HealthOut(ApiModel):
    """``/healthz`` and ``/readyz``."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, bool] = Field(default_factory=dict)


# --- WebSocket ----------------------------------------------------------------------------
WS_OPS = (
    "auth",
    "ping",
    "subscribe",
    "unsubscribe",
    "me",
    "sector",
    "move",
    "autopilot",
    "scan",
    "port",
    "quote",
    "trade",
    "attack",
    "buy_ship",
    "buy_fighters",
    "buy_holds",
)
"""Operations a WebSocket client may send (see ``docs/api.md``)."""

WS_CHANNELS = ("player", "sector", "region", "admin")
"""Channels: own events, current sector, current region's announcements, everything (admins)."""


class WsRequest(ApiModel):
    """A client message on the WebSocket: ``{"id": "...", "op": "move", "args": {...}}``.

    ``args`` takes the fields of the matching REST body (``move``: :class:`MoveRequest`;
    ``trade``: :class:`TradeRequest` plus ``port_id``; ``quote``: ``port_id``, ``commodity``,
    ``side``, ``quantity``; ``subscribe``/``unsubscribe``: ``{"channel": ...}``; ``auth``:
    ``{"token": ...}``).
    """

    id: str | None = Field(default=None, max_length=64)
    op: Literal[WS_OPS]  # type: ignore[valid-type]
    args: dict[str, Any] = Field(default_factory=dict)


class WsReply(ApiModel):
    """The server's answer to a :class:`WsRequest`, carrying its ``id``."""

    type: Literal["reply"] = "reply"
    id: str | None
    ok: bool
    result: Any = None
    error: Problem | None = None


class WsEvent(ApiModel):
    """An event pushed by the server.

    Attributes:
        channel: which subscription delivered it.
        position, region_id, seq, actor_id: the event store envelope.
        event: ``{"type": ..., "version": ..., <fields>}`` (see ``domain/events.py``).
    """

    type: Literal["event"] = "event"
    channel: Literal["player", "sector", "region", "admin"]
    position: int
    region_id: Id
    seq: int
    actor_id: Id | None
    event: dict[str, Any]
