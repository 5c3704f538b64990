"""Warp costs and route planning: least-turn paths inside a region and across the galaxy.

A warp costs ``1 + hazard_warp_cost`` per hazard end (a nebula or asteroid field at either end
of the warp). Moving along it costs the ship's ``move_turns`` times that warp cost. Autopilot and
the API plan routes with :func:`plan_route` (inside one region, one-way warps respected) and
:func:`plan_galaxy_route` (over every region's warps plus the gate links between regions, a
gate passage costing ``GameRules.gate_turns``). Both are Dijkstra's algorithm with ties broken
by sector id, so a route is deterministic.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from starlane.domain.errors import NoRouteError, UnknownSectorError
from starlane.domain.model import RegionState, Sector


@dataclass(frozen=True, slots=True)
class Route:
    """A planned route.

    Attributes:
        path: sector ids from the start to the destination, both included.
        turns: total turn cost of the route (warps at the ship's move turns, gates at the gate
            cost).
        gates: sector ids at which a gate is taken (the gate's source sector), in order.
    """

    path: tuple[int, ...]
    turns: int
    gates: tuple[int, ...] = ()


def warp_cost(state: RegionState, from_sector_id: int, to_sector_id: int) -> int:
    """The cost of the warp between two sectors of a region, before the ship's move turns.

    Args:
        state: the region.
        from_sector_id: the sector the warp leaves.
        to_sector_id: the sector the warp enters.

    Returns:
        ``1 + hazard_warp_cost`` for each end of the warp lying in a hazard sector.

    Raises:
        UnknownSectorError: either sector is not in this region.
    """
    sectors = state.sectors
    a = sectors.get(from_sector_id)
    b = sectors.get(to_sector_id)
    if a is None or b is None:
        missing = from_sector_id if a is None else to_sector_id
        raise UnknownSectorError(f"sector {missing} is not in this region", sector_id=missing)
    return _cost(a, b, state.rules.hazard_warp_cost)


def _cost(a: Sector, b: Sector, hazard_cost: int) -> int:
    cost = 1
    if a.hazard is not None:
        cost += hazard_cost
    if b.hazard is not None:
        cost += hazard_cost
    return cost


def _search(
    sectors: Mapping[int, Sector],
    start: int,
    goals: frozenset[int],
    move_turns: int,
    hazard_cost: Mapping[int, int],
    gate_turns: int | None,
) -> tuple[dict[int, int], dict[int, tuple[int, bool]]]:
    """Dijkstra from ``start`` until every goal is settled; ``hazard_cost`` maps region id ->
    its hazard warp cost. Returns ``(dist, prev)``."""
    default_hazard = max(hazard_cost.values(), default=0)
    dist: dict[int, int] = {start: 0}
    prev: dict[int, tuple[int, bool]] = {}
    heap: list[tuple[int, int]] = [(0, start)]
    done: set[int] = set()
    left = len(goals)
    pop, push, get_sector, get_dist = heapq.heappop, heapq.heappush, sectors.get, dist.get
    while heap:
        d, u = pop(heap)
        if u in done:
            continue
        if u in goals:
            left -= 1
            if left == 0:
                break
        done.add(u)
        su = sectors[u]
        hz = hazard_cost.get(su.region_id, default_hazard)
        # a warp costs 1 + hz per hazard end (:func:`_cost`), times the ship's move turns
        base = d + move_turns * (1 + hz if su.hazard is not None else 1)
        extra = move_turns * hz
        for v in su.warps:
            if v in done:
                continue
            sv = get_sector(v)
            if sv is None:
                continue
            nd = base + extra if sv.hazard is not None else base
            old = get_dist(v)
            if old is None or nd < old:
                dist[v] = nd
                prev[v] = (u, False)
                push(heap, (nd, v))
        gate = su.gate
        if gate_turns is not None and gate is not None:
            v = gate.to_sector_id
            if v in sectors and v not in done:
                nd = d + gate_turns
                old = get_dist(v)
                if old is None or nd < old:
                    dist[v] = nd
                    prev[v] = (u, True)
                    push(heap, (nd, v))
    return dist, prev


def _route(start: int, goal: int, dist: dict[int, int], prev: dict[int, tuple[int, bool]]) -> Route:
    if goal not in dist:
        raise NoRouteError(
            f"no route from sector {start} to sector {goal}", from_sector_id=start, to=goal
        )
    path = [goal]
    gates: list[int] = []
    node = goal
    while node != start:
        node, by_gate = prev[node]
        path.append(node)
        if by_gate:
            gates.append(node)
    path.reverse()
    gates.reverse()
    return Route(tuple(path), dist[goal], tuple(gates))


def _dijkstra(
    sectors: Mapping[int, Sector],
    start: int,
    goal: int,
    move_turns: int,
    hazard_cost: Mapping[int, int],
    gate_turns: int | None,
) -> Route:
    """Least-cost path; ``hazard_cost`` maps region id -> its hazard warp cost."""
    dist, prev = _search(sectors, start, frozenset((goal,)), move_turns, hazard_cost, gate_turns)
    return _route(start, goal, dist, prev)


def plan_route(
    state: RegionState, from_sector_id: int, to_sector_id: int, move_turns: int
) -> Route:
    """The path of least turn cost between two sectors of one region (warps only).

    Args:
        state: the region.
        from_sector_id: start sector id.
        to_sector_id: destination sector id.
        move_turns: the ship's turns per unit of warp cost.

    Returns:
        The route; a route to the start itself has ``path == (start,)`` and 0 turns.

    Raises:
        UnknownSectorError: either sector is not in this region.
        NoRouteError: no chain of warps (one-way warps respected) leads there.
    """
    sectors = state.sectors
    for sid in (from_sector_id, to_sector_id):
        if sid not in sectors:
            raise UnknownSectorError(f"sector {sid} is not in this region", sector_id=sid)
    hazard = {state.region.id: state.rules.hazard_warp_cost}
    return _dijkstra(sectors, from_sector_id, to_sector_id, move_turns, hazard, None)


def plan_galaxy_route(
    regions: Mapping[int, RegionState],
    from_sector_id: int,
    to_sector_id: int,
    move_turns: int,
    gate_turns: int,
) -> Route:
    """The path of least turn cost across regions: every region's warps plus the gate links.

    Args:
        regions: region id -> region state (every region the route may cross).
        from_sector_id: start sector id (global).
        to_sector_id: destination sector id (global).
        move_turns: the ship's turns per unit of warp cost.
        gate_turns: turns one gate passage costs (``GameRules.gate_turns``; tolls are credits
            and not part of the turn cost).

    Returns:
        The route, with the sectors where gates are taken in ``gates``.

    Raises:
        UnknownSectorError: either sector is in none of the regions.
        NoRouteError: the destination cannot be reached.
    """
    sectors: dict[int, Sector] = {}
    hazard: dict[int, int] = {}
    for rid, st in regions.items():
        sectors.update(st.sectors)
        hazard[rid] = st.rules.hazard_warp_cost
        hazard[st.region.id] = st.rules.hazard_warp_cost
    for sid in (from_sector_id, to_sector_id):
        if sid not in sectors:
            raise UnknownSectorError(f"sector {sid} is in no known region", sector_id=sid)
    return _dijkstra(sectors, from_sector_id, to_sector_id, move_turns, hazard, gate_turns)


def plan_galaxy_routes(
    regions: Mapping[int, RegionState],
    from_sector_ids: Sequence[int],
    to_sector_ids: Collection[int],
    move_turns: int,
    gate_turns: int,
) -> dict[tuple[int, int], Route]:
    """Least-turn routes from several sectors to several (an expedition's legs).

    Warps never leave a region: every route is a chain of paths inside one region joined by
    gate passages. So the search runs on an overlay whose nodes are the starts, the
    destinations and the gates' two ends: a path inside a region is found once from each
    start and each gate arrival the overlay search reaches (Dijkstra inside that region
    only, cached), and the overlay search joins them with the gates. The turns are those of
    :func:`plan_galaxy_route` (the least over every path); between paths of equal turns
    either may be chosen.

    Args:
        regions: region id -> region state (every region the routes may cross).
        from_sector_ids: start sector ids (global).
        to_sector_ids: destination sector ids (global).
        move_turns: the ship's turns per unit of warp cost.
        gate_turns: turns one gate passage costs.

    Returns:
        ``(start, destination)`` -> its route, for every pair of distinct sectors a path
        joins (a pair no path joins is left out).

    Raises:
        UnknownSectorError: a start or a destination is in none of the regions.
    """
    owner: dict[int, RegionState] = {}
    targets = frozenset(to_sector_ids)
    for sid in (*from_sector_ids, *sorted(targets)):
        for st in regions.values():
            if sid in st.sectors:
                owner[sid] = st
                break
        else:
            raise UnknownSectorError(f"sector {sid} is in no known region", sector_id=sid)
    overlay = _Overlay(regions, targets, move_turns)
    out: dict[tuple[int, int], Route] = {}
    for start in from_sector_ids:
        goals = targets - {start}
        if goals:
            out.update(overlay.routes(start, owner[start], goals, gate_turns))
    return out


class _Overlay:
    """The overlay search of :func:`plan_galaxy_routes`: region-bound paths joined by gates."""

    def __init__(
        self, regions: Mapping[int, RegionState], targets: frozenset[int], move_turns: int
    ) -> None:
        self.regions = regions
        self.targets = targets
        self.move_turns = move_turns
        self.region_of: dict[int, int] = {}
        self._exits: dict[int, frozenset[int]] = {}
        self._paths: dict[int, tuple[dict[int, int], dict[int, tuple[int, bool]]]] = {}

    def _goals(self, st: RegionState) -> frozenset[int]:
        """The overlay nodes of a region a path inside it may end at: its gate sources and
        the destinations in it."""
        rid = st.region.id
        found = self._exits.get(rid)
        if found is None:
            gates = {s.id for s in st.sectors.values() if s.gate is not None}
            found = frozenset(gates | {t for t in self.targets if t in st.sectors})
            self._exits[rid] = found
        return found

    def _inside(
        self, entry: int, st: RegionState
    ) -> tuple[dict[int, int], dict[int, tuple[int, bool]]]:
        """Least-turn paths from an entry node to its region's overlay nodes (cached)."""
        found = self._paths.get(entry)
        if found is None:
            hazard = {st.region.id: st.rules.hazard_warp_cost}
            goals = self._goals(st)
            found = _search(st.sectors, entry, goals, self.move_turns, hazard, None)
            self._paths[entry] = found
        return found

    def routes(
        self, start: int, home: RegionState, goals: frozenset[int], gate_turns: int
    ) -> dict[tuple[int, int], Route]:
        """The routes from one start to the goals it reaches."""
        # node -> (turns, previous node, by gate); entries (the start, gate arrivals) are the
        # nodes paths inside a region are searched from
        best: dict[int, int] = {start: 0}
        prev: dict[int, tuple[int, bool]] = {}
        state_of: dict[int, RegionState] = {start: home}
        heap: list[tuple[int, int, bool]] = [(0, start, True)]
        done: set[int] = set()
        left = len(goals)
        while heap and left:
            d, u, entry = heapq.heappop(heap)
            if u in done:
                continue
            done.add(u)
            if u in goals:
                left -= 1
            st = state_of[u]
            if entry:
                dist, _ = self._inside(u, st)
                for v in self._goals(st):
                    dv = dist.get(v)
                    if dv is None or v == u or v in done:
                        continue
                    nd = d + dv
                    old = best.get(v)
                    if old is None or nd < old:
                        best[v] = nd
                        prev[v] = (u, False)
                        state_of[v] = st
                        heapq.heappush(heap, (nd, v, False))
            gate = st.sectors[u].gate
            if gate is not None:
                there = self.regions.get(gate.to_region_id)
                v = gate.to_sector_id
                if there is not None and v in there.sectors and v not in done:
                    nd = d + gate_turns
                    old = best.get(v)
                    if old is None or nd < old:
                        best[v] = nd
                        prev[v] = (u, True)
                        state_of[v] = there
                        heapq.heappush(heap, (nd, v, True))
        out: dict[tuple[int, int], Route] = {}
        for goal in sorted(goals):
            if goal in done:
                out[(start, goal)] = self._route(start, goal, best[goal], prev)
        return out

    def _route(self, start: int, goal: int, turns: int, prev: dict[int, tuple[int, bool]]) -> Route:
        pieces: list[tuple[int, ...]] = []
        gates: list[int] = []
        node = goal
        while node != start:
            u, by_gate = prev[node]
            if by_gate:
                pieces.append((u, node))
                gates.append(u)
            else:
                dist, back = self._paths[u]
                pieces.append(_route(u, node, dist, back).path)
            node = u
        path: list[int] = [start]
        for piece in reversed(pieces):
            path.extend(piece[1:])
        gates.reverse()
        return Route(tuple(path), turns, tuple(gates))
