"""Ports, quotes, trades and the StarDock."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from starlane.api.schemas.common import (
    MAX_QUANTITY,
    ApiModel,
    CommodityKey,
    Id,
    RequestModel,
    WholeNumber,
)
from starlane.api.schemas.player import ShipOut
from starlane.domain.data import COMMODITIES, SHIP_TYPES

if TYPE_CHECKING:
    CommodityName = str
    ShipTypeName = str
else:
    CommodityName = Literal[tuple(COMMODITIES)]
    """A commodity key of a request: one of the commodity table's (``fuel``...)."""
    ShipTypeName = Literal[tuple(SHIP_TYPES)]
    """A ship type key of a request: one of the ship table's."""


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


class QuoteQuery(BaseModel):
    """The query parameters of ``GET /api/v1/ports/{port_id}/quote`` (unknown parameters are
    ignored, as query strings go; not an :class:`ApiModel` for that reason).

    Attributes:
        commodity: commodity key (``fuel``, ``organics``, ``equipment``...).
        side: the player's side: ``buy`` from the port or ``sell`` to it.
        quantity: units, 1 to :data:`MAX_QUANTITY`.
    """

    commodity: CommodityName
    side: Literal["buy", "sell"]
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


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


class TradeRequest(RequestModel):
    """``POST /api/v1/ports/{port_id}/trade``.

    Attributes:
        max_unit_price: price guard: when buying, refuse (409 ``price_moved``) if the mean unit
            price is above it; when selling, if it is below it.
    """

    commodity: CommodityName
    side: Literal["buy", "sell"]
    quantity: WholeNumber = Field(ge=1, le=MAX_QUANTITY)
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
    """An item of hardware for sale, priced per unit (``hull_repair``: per hull point).

    Attributes:
        item: ``fighters``, ``holds``, ``shields`` (points, up to the ship type's) or
            ``hull_repair``.
        unit_price: credits per unit.
    """

    item: Literal["fighters", "holds", "shields", "hull_repair"]
    unit_price: int


class StardockCatalog(ApiModel):
    """``GET /api/v1/stardock``: what a StarDock sells.

    Attributes:
        ships: purchasable ship types.
        hardware: fighters, holds, shield points and hull repair with unit prices.
        trade_in: credits the caller's current ship would fetch as a trade-in.
    """

    ships: list[ShipTypeOut]
    hardware: list[HardwareOut]
    trade_in: int


class BuyShipRequest(RequestModel):
    """``POST /api/v1/stardock/ship``."""

    ship_type: ShipTypeName
    ship_name: str | None = Field(default=None, min_length=1, max_length=40)


class BuyShipReceipt(ApiModel):
    """The receipt of a ship purchase."""

    ship: ShipOut
    price: int
    trade_in: int
    credits_after: int


class BuyHardwareRequest(RequestModel):
    """``POST /api/v1/stardock/fighters``, ``/holds`` and ``/shields``."""

    count: WholeNumber = Field(ge=1, le=MAX_QUANTITY)


class BuyHardwareItemRequest(RequestModel):
    """``POST /api/v1/stardock/hardware``: any StarDock hardware.

    Attributes:
        item: ``fighters``, ``holds`` (extra cargo holds) or ``shields`` (shield points).
        quantity: units to buy.
    """

    item: Literal["fighters", "holds", "shields"]
    quantity: WholeNumber = Field(ge=1, le=MAX_QUANTITY)


class HardwareReceipt(ApiModel):
    """The receipt of a fighters, holds or shields purchase (``after``: the ship's count now)."""

    item: Literal["fighters", "holds", "shields"]
    count: int
    price: int
    credits_after: int
    after: int


class RepairReceipt(ApiModel):
    """``POST /api/v1/stardock/repair``: the hull repaired to full.

    Attributes:
        points: hull points repaired.
        price: credits paid.
        credits_after: the player's credits now.
        hull_after: the ship's hull now.
    """

    points: int
    price: int
    credits_after: int
    hull_after: int
