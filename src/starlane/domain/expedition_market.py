"""From the live galaxy to an expedition plan: markets, routes, tolls, risk and duration.

:func:`plan_from_galaxy` checks the waypoints, takes each waypoint port's market as it trades
now (:func:`stop_of`, lazy regeneration applied), finds the least-turn routes from the
player's sector and between every two waypoints through the galaxy's warps and gates (one
search per origin, :func:`starlane.domain.routes.plan_galaxy_routes`, the autopilot's
routes), prices the tolls of the gates on each route (:func:`starlane.domain.travel.passage_toll`)
and hands the problem to :func:`starlane.domain.expeditions.plan_expedition`. Each leg's risk
(:func:`leg_risk`) names the highest piracy level on its path, the sectors with pirates, the
regions it enters that are closed, closing or suspended, and those whose immigration policy
would turn the player away ("hostile"). Time comes in as an argument.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from starlane.domain.data import PORT_CLASSES, GameRules
from starlane.domain.economy import settled_stock
from starlane.domain.errors import DomainError, UnknownSectorError
from starlane.domain.expeditions import (
    MAX_WAYPOINTS,
    MIN_WAYPOINTS,
    Hop,
    Market,
    Plan,
    Problem,
    Stop,
    plan_expedition,
)
from starlane.domain.model import Player, RegionState, Sector
from starlane.domain.movement import SECONDS_PER_DAY, current_turns
from starlane.domain.routes import Route, plan_galaxy_routes
from starlane.domain.travel import admits, passage_toll


class TooFewWaypointsError(DomainError):
    """An expedition needs at least two waypoints."""

    code = "too_few_waypoints"
    kind = "invalid"


class TooManyWaypointsError(DomainError):
    """An expedition has at most ten waypoints."""

    code = "too_many_waypoints"
    kind = "invalid"


class DuplicateWaypointError(DomainError):
    """A waypoint named twice (each is visited once)."""

    code = "duplicate_waypoint"
    kind = "invalid"


@dataclass(frozen=True, slots=True)
class LegRisk:
    """What may go wrong on a leg.

    Attributes:
        max_piracy: highest piracy level (0-5) of a sector on the path.
        pirate_sectors: sectors of the path with a piracy level above 0.
        tolls: gate tolls on the path, credits.
        closed_regions: regions entered that are closed, closing or suspended.
        hostile_regions: regions entered whose immigration policy does not admit the player.
    """

    max_piracy: int = 0
    pirate_sectors: int = 0
    tolls: int = 0
    closed_regions: tuple[int, ...] = ()
    hostile_regions: tuple[int, ...] = ()

    @property
    def level(self) -> str:
        """``high`` (a closed or hostile region, or piracy 4-5), ``medium`` (piracy 2-3) or
        ``low``."""
        if self.closed_regions or self.hostile_regions or self.max_piracy >= 4:
            return "high"
        return "medium" if self.max_piracy >= 2 else "low"


@dataclass(frozen=True, slots=True)
class GalaxyPlan:
    """A plan with what the live galaxy adds to it.

    Attributes:
        plan: the planned order, legs, profit and turns.
        start_sector_id: where the player is.
        risks: one per leg, in flying order.
        turns_available: the player's turns now.
        duration_seconds: real time until the player's turns cover the expedition (0 when they
            do now): the missing turns at ``turns_per_day`` per 86,400 s.
        budget: credits one purchase may cost (the player's credits now).
    """

    plan: Plan
    start_sector_id: int
    risks: tuple[LegRisk, ...]
    turns_available: int
    duration_seconds: float
    budget: int


def stop_of(state: RegionState, sector_id: int, now: float) -> Stop:
    """A waypoint and its port's market now.

    Args:
        state: the region holding the sector.
        sector_id: the waypoint.
        now: unix seconds (lazy port regeneration).

    Returns:
        The stop (no port: no markets).
    """
    policy = state.region.policy
    port = state.ports.get(sector_id)
    if port is None:
        return Stop(sector_id, state.region.id, tax_rate=policy.tax_rate)
    pclass = PORT_CLASSES[port.port_class]
    stock = settled_stock(port, now, policy.regen_multiplier, state.rules)
    sells: dict[str, Market] = {}
    buys: dict[str, Market] = {}
    for key, held in port.stock.items():
        if held.capacity <= 0:
            continue
        market = Market(stock[key], held.capacity, policy.price_multipliers.get(key, 1.0))
        if key in pclass.sells:
            sells[key] = market
        if key in pclass.buys:
            buys[key] = market
    return Stop(sector_id, state.region.id, port.id, sells, buys, policy.tax_rate)


def leg_risk(
    regions: Mapping[int, RegionState],
    sectors: Mapping[int, Sector],
    path: Sequence[int],
    player_id: int,
) -> tuple[LegRisk, int]:
    """The risk of flying a path, and its tolls.

    Args:
        regions: region id -> state.
        sectors: every sector of the galaxy by id.
        path: the sectors flown, start included.
        player_id: the player.

    Returns:
        ``(risk, tolls in credits)``.
    """
    piracy = [sectors[s].piracy for s in path[1:]]
    tolls = 0
    closed: list[int] = []
    hostile: list[int] = []
    for here, there in itertools.pairwise(path):
        gate = sectors[here].gate
        if gate is None or gate.to_sector_id != there:
            continue
        dest = regions.get(gate.to_region_id)
        if dest is None:
            continue
        region = dest.region
        tolls += passage_toll(region, gate)
        if region.status != "active" and region.id not in closed:
            closed.append(region.id)
        elif not admits(region, player_id) and region.id not in hostile:
            hostile.append(region.id)
    risk = LegRisk(
        max(piracy, default=0),
        sum(1 for p in piracy if p > 0),
        tolls,
        tuple(closed),
        tuple(hostile),
    )
    return risk, tolls


def check_waypoints(waypoints: Sequence[int]) -> None:
    """Refuse a waypoint list of the wrong length or with a repeat.

    Args:
        waypoints: sector ids.

    Raises:
        TooFewWaypointsError, TooManyWaypointsError, DuplicateWaypointError.
    """
    if len(waypoints) < MIN_WAYPOINTS:
        raise TooFewWaypointsError(
            f"an expedition needs at least {MIN_WAYPOINTS} waypoints, got {len(waypoints)}",
            min=MIN_WAYPOINTS,
            got=len(waypoints),
        )
    if len(waypoints) > MAX_WAYPOINTS:
        raise TooManyWaypointsError(
            f"an expedition has at most {MAX_WAYPOINTS} waypoints, got {len(waypoints)}",
            max=MAX_WAYPOINTS,
            got=len(waypoints),
        )
    seen: set[int] = set()
    for w in waypoints:
        if w in seen:
            raise DuplicateWaypointError(f"waypoint {w} is named twice", sector_id=w)
        seen.add(w)


def plan_from_galaxy(
    regions: Mapping[int, RegionState],
    player: Player,
    waypoints: Sequence[int],
    max_turns: int | None,
    now: float,
    rules: GameRules,
) -> GalaxyPlan:
    """Plan an expedition for a player over the live galaxy.

    Args:
        regions: region id -> live state (every region a route may cross).
        player: the player (sector, ship holds and cargo, credits, turns).
        waypoints: 2-10 distinct sector ids.
        max_turns: the turn limit, None for none.
        now: unix seconds.
        rules: the rule numbers in force (``gate_turns``, ``trade_turns``, turn regeneration).

    Returns:
        The plan with its risks and duration.

    Raises:
        TooFewWaypointsError, TooManyWaypointsError, DuplicateWaypointError: a bad list.
        UnknownSectorError: a waypoint is in no region (``unknown_sector``).
        ExpeditionInfeasibleError: no order can be flown.
    """
    check_waypoints(waypoints)
    sectors: dict[int, Sector] = {}
    for st in regions.values():
        sectors.update(st.sectors)
    stops: list[Stop] = []
    for w in waypoints:
        sector = sectors.get(w)
        if sector is None:
            raise UnknownSectorError(f"sector {w} is in no known region", sector_id=w)
        stops.append(stop_of(regions[sector.region_id], w, now))
    move_turns = player.ship.spec.move_turns
    index = {w: i for i, w in enumerate(waypoints)}
    hops: dict[tuple[int, int], Hop] = {}
    risks: dict[tuple[int, int], LegRisk] = {}
    start = player.sector_id
    origins = list(dict.fromkeys([start, *waypoints]))
    routes = plan_galaxy_routes(regions, origins, waypoints, move_turns, rules.gate_turns)
    if start in index:  # already at a waypoint: no flying to it
        routes[(start, start)] = Route((start,), 0)
    for (origin, target), route in routes.items():
        risk, tolls = leg_risk(regions, sectors, route.path, player.id)
        hop = Hop(route.turns, tolls, route.path)
        b = index[target]
        if origin == start:
            hops[(-1, b)], risks[(-1, b)] = hop, risk
        if origin in index and origin != target:
            hops[(index[origin], b)], risks[(index[origin], b)] = hop, risk
    budget = player.credits
    problem = Problem(
        tuple(stops),
        hops,
        player.ship.holds,
        dict(player.ship.cargo),
        budget,
        max_turns,
        rules,
    )
    plan = plan_expedition(problem)
    prev = -1
    leg_risks: list[LegRisk] = []
    for i in plan.order:
        leg_risks.append(risks[(prev, i)])
        prev = i
    available, _ = current_turns(player, now, rules)
    missing = max(0, plan.turns - available)
    duration = missing * SECONDS_PER_DAY / rules.turns_per_day
    return GalaxyPlan(plan, player.sector_id, tuple(leg_risks), available, duration, budget)
