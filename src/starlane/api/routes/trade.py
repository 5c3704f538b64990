"""Ports, quotes, trades and the StarDock (``/api/v1/ports``, ``/api/v1/stardock``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from starlane.api.deps import CurrentPrincipal
from starlane.api.inputs import json_body, json_body_openapi, query_openapi, query_params
from starlane.api.routes import DataResponse
from starlane.api.routes.player import PROBLEMS
from starlane.api.schemas import (
    MAX_ID,
    BuyHardwareRequest,
    BuyShipReceipt,
    BuyShipRequest,
    HardwareReceipt,
    PortOut,
    QuoteOut,
    QuoteQuery,
    RepairReceipt,
    StardockCatalog,
    TradeReceipt,
    TradeRequest,
)

router = APIRouter(prefix="/api/v1", tags=["trade"])

PortId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get(
    "/ports/{port_id}", response_model=PortOut, responses=PROBLEMS, summary="A port's market"
)
async def port(port_id: PortId, request: Request, principal: CurrentPrincipal) -> PortOut:
    """Commodities traded, direction, quantity and current unit prices (discovered sectors)."""
    result: PortOut = request.app.state.game.port(principal, port_id)
    return result


@router.get(
    "/ports/{port_id}/quote",
    response_model=QuoteOut,
    responses=PROBLEMS,
    summary="Price a trade",
    openapi_extra=query_openapi(QuoteQuery),
)
async def quote(port_id: PortId, request: Request, principal: CurrentPrincipal) -> Response:
    """What a trade would cost or pay now, tax included; nothing changes."""
    q = query_params(request, QuoteQuery)  # commodity, side, quantity, validated in one call
    game = request.app.state.game
    return DataResponse(game.quote_data(principal, port_id, q.commodity, q.side, q.quantity))


@router.post(
    "/ports/{port_id}/trade",
    response_model=TradeReceipt,
    responses=PROBLEMS,
    summary="Trade at the port in your sector",
    openapi_extra=json_body_openapi(TradeRequest),
)
async def trade(port_id: PortId, request: Request, principal: CurrentPrincipal) -> Response:
    """Buy or sell; ``max_unit_price`` refuses (409 ``price_moved``) if the price moved past
    your limit."""
    body = await json_body(request, TradeRequest)  # a TradeRequest, validated in one call
    return DataResponse(await request.app.state.game.trade_data(principal, port_id, body))


@router.get(
    "/stardock", response_model=StardockCatalog, responses=PROBLEMS, summary="StarDock catalogue"
)
async def catalog(request: Request, principal: CurrentPrincipal) -> StardockCatalog:
    """Ships and hardware with prices, and your current ship's trade-in value."""
    result: StardockCatalog = request.app.state.game.catalog(principal)
    return result


@router.post(
    "/stardock/ship", response_model=BuyShipReceipt, responses=PROBLEMS, summary="Buy a ship"
)
async def buy_ship(
    body: BuyShipRequest, request: Request, principal: CurrentPrincipal
) -> BuyShipReceipt:
    """Buy a ship at the StarDock in your sector, trading in the current one."""
    result: BuyShipReceipt = await request.app.state.game.buy_ship(principal, body)
    return result


@router.post(
    "/stardock/fighters",
    response_model=HardwareReceipt,
    responses=PROBLEMS,
    summary="Buy fighters",
)
async def buy_fighters(
    body: BuyHardwareRequest, request: Request, principal: CurrentPrincipal
) -> HardwareReceipt:
    """Buy fighters at the StarDock in your sector."""
    result: HardwareReceipt = await request.app.state.game.buy_hardware(
        principal, "fighters", body.count
    )
    return result


@router.post(
    "/stardock/holds", response_model=HardwareReceipt, responses=PROBLEMS, summary="Buy holds"
)
async def buy_holds(
    body: BuyHardwareRequest, request: Request, principal: CurrentPrincipal
) -> HardwareReceipt:
    """Buy extra cargo holds at the StarDock in your sector."""
    result: HardwareReceipt = await request.app.state.game.buy_hardware(
        principal, "holds", body.count
    )
    return result


@router.post(
    "/stardock/shields",
    response_model=HardwareReceipt,
    responses=PROBLEMS,
    summary="Buy shield points",
)
async def buy_shields(
    body: BuyHardwareRequest, request: Request, principal: CurrentPrincipal
) -> HardwareReceipt:
    """Buy shield points (restoring shields lost in combat) up to your ship type's shields."""
    result: HardwareReceipt = await request.app.state.game.buy_hardware(
        principal, "shields", body.count
    )
    return result


@router.post(
    "/stardock/repair",
    response_model=RepairReceipt,
    responses=PROBLEMS,
    summary="Repair the hull",
)
async def repair(request: Request, principal: CurrentPrincipal) -> RepairReceipt:
    """Repair your ship's hull to full at the StarDock in your sector."""
    result: RepairReceipt = await request.app.state.game.repair(principal)
    return result
