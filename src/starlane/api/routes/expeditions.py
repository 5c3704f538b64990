"""Trade expeditions (``/api/v1/expeditions``): plan, save, fly leg by leg, compare.

======  ==================================  ===============================================
method  path                                answers
======  ==================================  ===============================================
POST    ``/expeditions/plan``               the best order and its projection (not saved)
POST    ``/expeditions``                    plans and saves it (201)
GET     ``/expeditions``                    your expeditions, newest first (cursor)
GET     ``/expeditions/{id}``               actual against projected for every leg
POST    ``/expeditions/{id}/next``          flies the next leg and makes its trades
======  ==================================  ===============================================

Planning is :func:`starlane.domain.expedition_market.plan_from_galaxy` over the live region
states; flying is :class:`starlane.engine.expeditions.ExpeditionFlights` through the ordinary
autopilot and trade commands. Saved expeditions are relational rows
(:mod:`starlane.store.expeditions`) written in a unit of work with an outbox message
(``expedition.saved``, ``expedition.leg_flown``) for the live feeds. Each request counts once
against the player's command rate. docs/expeditions.md is the user's guide.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from starlane.api.deps import Caller, GameCaller
from starlane.api.errors import ApiError, problem_responses
from starlane.api.game import decode_cursor, encode_cursor
from starlane.api.schemas.common import MAX_PAGE
from starlane.api.schemas.expeditions import (
    ExpeditionOut,
    ExpeditionPage,
    ExpeditionSummary,
    LegFigures,
    LegOut,
    PlanOut,
    PlanRequest,
    RiskOut,
    TradeOut,
)
from starlane.domain.commands import Command
from starlane.domain.errors import DomainError
from starlane.domain.expedition_market import GalaxyPlan, LegRisk, plan_from_galaxy
from starlane.store.expeditions import (
    ExpeditionRecord,
    get_expedition,
    insert_expedition,
    list_expeditions,
    record_leg,
)

router = APIRouter(prefix="/api/v1", tags=["expeditions"])

PROBLEMS: dict[int | str, dict[str, Any]] = problem_responses(401, 403, 404, 409, 422, 429, 503)
"""401 no token; 403 ``not_your_expedition``, ``immigration_refused``; 404
``expedition_not_found``, ``unknown_sector``, ``player_not_in_galaxy``; 409
``expedition_finished``, ``expedition_infeasible``, ``insufficient_turns``, ``in_transit``;
422 ``too_few_waypoints``, ``too_many_waypoints``, ``duplicate_waypoint``,
``validation_error``; 429 ``rate_limited``; 503 engine busy."""

ExpeditionId = Annotated[int, Path(ge=1, le=2**62, description="the expedition's id")]

_LEVELS = ("low", "medium", "high")


def _risk_json(risk: LegRisk) -> dict[str, Any]:
    return {
        "level": risk.level,
        "max_piracy": risk.max_piracy,
        "pirate_sectors": risk.pirate_sectors,
        "tolls": risk.tolls,
        "closed_regions": list(risk.closed_regions),
        "hostile_regions": list(risk.hostile_regions),
    }


def _overall(risks: list[dict[str, Any]]) -> RiskOut:
    """The whole expedition's risk: the worst level and piracy, summed sectors and tolls."""
    closed = sorted({r for risk in risks for r in risk["closed_regions"]})
    hostile = sorted({r for risk in risks for r in risk["hostile_regions"]})
    level = max((_LEVELS.index(r["level"]) for r in risks), default=0)
    return RiskOut(
        level=_LEVELS[level],
        max_piracy=max((r["max_piracy"] for r in risks), default=0),
        pirate_sectors=sum(r["pirate_sectors"] for r in risks),
        tolls=sum(r["tolls"] for r in risks),
        closed_regions=closed,
        hostile_regions=hostile,
    )


def _leg_rows(gp: GalaxyPlan) -> list[dict[str, Any]]:
    """The plan's legs as ``expedition_legs`` rows (projected figures only)."""
    rows = []
    for n, (leg, risk) in enumerate(zip(gp.plan.legs, gp.risks, strict=True)):
        rows.append(
            {
                "leg": n,
                "sector_id": leg.stop.sector_id,
                "region_id": leg.stop.region_id,
                "port_id": leg.stop.port_id,
                "path": list(leg.hop.path),
                "risk": _risk_json(risk),
                "projected_turns": leg.turns,
                "projected_tolls": leg.hop.tolls,
                "projected_credits": leg.credits,
                "projected_trades": [
                    {
                        "commodity": t.commodity,
                        "side": t.side.value,
                        "units": t.units,
                        "credits": t.credits,
                    }
                    for t in leg.trades
                ],
            }
        )
    return rows


def _leg_out(row: dict[str, Any]) -> LegOut:
    actual = None
    if row.get("flown_at") is not None:
        actual = LegFigures(
            turns=row["actual_turns"],
            tolls=row["actual_tolls"],
            credits=row["actual_credits"],
            trades=[TradeOut(**t) for t in row["actual_trades"]],
            flown_at=row["flown_at"],
        )
    return LegOut(
        leg=row["leg"],
        sector_id=row["sector_id"],
        region_id=row["region_id"],
        port_id=row["port_id"],
        path=row["path"],
        risk=RiskOut(**row["risk"]),
        projected=LegFigures(
            turns=row["projected_turns"],
            tolls=row["projected_tolls"],
            credits=row["projected_credits"],
            trades=[TradeOut(**t) for t in row["projected_trades"]],
        ),
        actual=actual,
    )


def _head(gp: GalaxyPlan, waypoints: list[int], max_turns: int | None) -> dict[str, Any]:
    return {
        "start_sector_id": gp.start_sector_id,
        "waypoints": waypoints,
        "max_turns": max_turns,
        "budget": gp.budget,
        "exact": gp.plan.exact,
        "projected_profit": gp.plan.profit,
        "projected_turns": gp.plan.turns,
        "projected_duration": gp.duration_seconds,
    }


def _plan_out(head: dict[str, Any], legs: list[dict[str, Any]], turns: int | None) -> PlanOut:
    return PlanOut(
        waypoints=head["waypoints"],
        order=[leg["sector_id"] for leg in legs],
        exact=head["exact"],
        start_sector_id=head["start_sector_id"],
        budget=head["budget"],
        max_turns=head["max_turns"],
        projected_profit=head["projected_profit"],
        projected_turns=head["projected_turns"],
        turns_available=turns,
        real_duration_seconds=head["projected_duration"],
        risk=_overall([leg["risk"] for leg in legs]),
        legs=[_leg_out(leg) for leg in legs],
    )


def _expedition_out(record: ExpeditionRecord) -> ExpeditionOut:
    legs = record["legs"]
    base = _plan_out(record, legs, None)
    flown = [leg for leg in legs if leg.get("flown_at") is not None]
    return ExpeditionOut(
        **base.model_dump(),
        id=record["id"],
        status=record["status"],
        created_at=record["created_at"],
        finished_at=record["finished_at"],
        next_leg=record["next_leg"],
        actual_profit=sum(leg["actual_credits"] - leg["actual_tolls"] for leg in flown),
        actual_turns=sum(leg["actual_turns"] for leg in flown),
    )


async def _limit(caller: Caller) -> None:
    await caller.services.limiter.hit("command", f"player:{caller.principal.account_id}")


def _plan(caller: Caller, body: PlanRequest) -> GalaxyPlan:
    services = caller.services
    player, _ = services.game.player(caller.principal)
    regions = {rid: engine.state for rid, engine in services.galaxy.engines.items()}
    return plan_from_galaxy(
        regions, player, body.waypoints, body.max_turns, services.clock(), services.galaxy.rules
    )


async def _mine(caller: Caller, expedition_id: int) -> ExpeditionRecord:
    record = await get_expedition(caller.services.db, expedition_id)
    if record is None:
        raise ApiError(404, "expedition_not_found", f"no expedition {expedition_id}")
    if record["player_id"] != caller.principal.account_id:
        raise ApiError(403, "not_your_expedition", f"expedition {expedition_id} is not yours")
    return record


@router.post("/expeditions/plan", response_model=PlanOut, responses=PROBLEMS)
async def plan_expedition(caller: GameCaller, body: PlanRequest) -> PlanOut:
    """Plan an expedition to 2-10 waypoints from where you are (nothing is saved).

    Answers the waypoints in the best order (exact up to 8, a beam search above), what to
    buy and sell at each from current prices and your holds, and the projected profit,
    turns, real duration and risk (piracy, closed or hostile regions, tolls).
    """
    await _limit(caller)
    gp = _plan(caller, body)
    return _plan_out(_head(gp, body.waypoints, body.max_turns), _leg_rows(gp), gp.turns_available)


@router.post("/expeditions", response_model=ExpeditionOut, status_code=201, responses=PROBLEMS)
async def save_expedition(caller: GameCaller, body: PlanRequest) -> ExpeditionOut:
    """Plan an expedition as ``/expeditions/plan`` does and save it, ready to fly."""
    await _limit(caller)
    gp = _plan(caller, body)
    services = caller.services
    player_id = caller.principal.account_id
    now = services.clock()
    head = _head(gp, body.waypoints, body.max_turns)
    head.update(player_id=player_id, status="planned", created_at=now, next_leg=0)
    async with services.uow() as uow:
        expedition_id = await insert_expedition(uow.connection, head, _leg_rows(gp))
        uow.add_message(
            "expedition.saved",
            f"player.{player_id}",
            {"expedition_id": expedition_id, "legs": len(gp.plan.legs)},
        )
    record = await get_expedition(services.db, expedition_id)
    assert record is not None
    return _expedition_out(record)


@router.get("/expeditions", response_model=ExpeditionPage, responses=PROBLEMS)
async def my_expeditions(
    caller: GameCaller,
    cursor: Annotated[
        str | None, Query(pattern=r"^[0-9]{1,9}$", description="next_cursor of the last page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> ExpeditionPage:
    """Your expeditions, newest first, a page at a time."""
    before = decode_cursor(cursor) or None
    rows = await list_expeditions(
        caller.services.db, caller.principal.account_id, before, limit + 1
    )
    page = rows[:limit]
    items = [
        ExpeditionSummary(
            id=r["id"],
            status=r["status"],
            created_at=r["created_at"],
            finished_at=r["finished_at"],
            next_leg=r["next_leg"],
            legs=len(r["waypoints"]),
            projected_profit=r["projected_profit"],
            projected_turns=r["projected_turns"],
        )
        for r in page
    ]
    more = len(rows) > limit
    return ExpeditionPage(items=items, next_cursor=encode_cursor(page[-1]["id"]) if more else None)


@router.get("/expeditions/{expedition_id}", response_model=ExpeditionOut, responses=PROBLEMS)
async def show_expedition(caller: GameCaller, expedition_id: ExpeditionId) -> ExpeditionOut:
    """One of your expeditions: every leg's projected figures and, once flown, its actual
    ones."""
    return _expedition_out(await _mine(caller, expedition_id))


@router.post("/expeditions/{expedition_id}/next", response_model=ExpeditionOut, responses=PROBLEMS)
async def fly_next_leg(caller: GameCaller, expedition_id: ExpeditionId) -> ExpeditionOut:
    """Fly the expedition's next leg: the autopilot to its waypoint (through gates across
    regions), then its trades, each cut to what can be made now. A refused autopilot
    (``insufficient_turns``, ``no_route``, ``immigration_refused``...) flies nothing and the
    leg stays next; a refused trade is recorded with its code. 409 ``expedition_finished``
    once every leg is flown."""
    await _limit(caller)
    services = caller.services
    flights = services.expeditions
    async with flights.lock(expedition_id):
        record = await _mine(caller, expedition_id)
        legs = record["legs"]
        n = record["next_leg"]
        if n >= len(legs):
            raise ApiError(
                409, "expedition_finished", f"expedition {expedition_id} has flown every leg"
            )
        leg = legs[n]
        game = services.game

        async def execute(command: Command) -> object:
            try:
                out = await services.galaxy.execute(command)
            except DomainError as exc:
                game.metrics.record_command(command.name, exc.code)
                raise
            game.metrics.record_command(command.name, "ok")
            return out

        flown = await flights.fly(
            services.galaxy,
            caller.principal.account_id,
            leg["sector_id"],
            leg["port_id"],
            leg["projected_trades"],
            services.clock,
            execute,
        )
        actual = {
            "actual_turns": flown.turns,
            "actual_tolls": flown.tolls,
            "actual_credits": flown.credits,
            "actual_trades": flown.trades,
        }
        async with services.uow() as uow:
            await record_leg(
                uow.connection,
                expedition_id,
                n,
                actual,
                legs_total=len(legs),
                now=services.clock(),
            )
            uow.add_message(
                "expedition.leg_flown",
                f"player.{caller.principal.account_id}",
                {"expedition_id": expedition_id, "leg": n, **actual},
            )
    if n + 1 >= len(legs):
        flights.release(expedition_id)
    fresh = await get_expedition(services.db, expedition_id)
    assert fresh is not None
    return _expedition_out(fresh)
