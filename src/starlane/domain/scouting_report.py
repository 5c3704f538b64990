"""Building a scouting report from what its author observed in a region, and scoring it.

:func:`build_report` takes the author's own events in the region (over the window, oldest
first), the region's policy changes since the author's first presence, and the region's static
data (sectors, ports' classes and capacities), and returns the report's sections and score.
Nothing in a report comes from anywhere else:

- a port is **visited** when the author entered its sector (a move, an arrival, a spawn) or
  traded or bought there; the report names visited ports only, and every price it quotes is a
  price the author traded at (:class:`~starlane.domain.events.PortTraded`);
- policies are those in force at the author's last presence (today's values, with the changes
  recorded after that presence undone), and the changes recorded while the author was there;
- pirates met and conflicts are the combats the author fought and the ship they lost; piracy
  and hazards are those of the sectors the author entered.

Sections per kind: :data:`~starlane.domain.scouting.KIND_SECTIONS`; the score:
:func:`~starlane.domain.scouting.quality_score`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlane.domain.data import PORT_CLASSES, Side
from starlane.domain.events import (
    CombatResolved,
    Event,
    PlayerMoved,
    PortTraded,
    SectorsScanned,
    ShipDestroyed,
    TransferArrived,
)
from starlane.domain.model import RegionState
from starlane.domain.policies import RegionPolicyChanged
from starlane.domain.policy_bounds import PolicyValue, policy_values
from starlane.domain.scouting import (
    KIND_SECTIONS,
    REPORT_KINDS,
    UnknownReportKindError,
    freshness_of,
    quality_score,
)

__all__ = ["HIGH_FILL", "LOW_FILL", "MAX_ROUTES", "ReportBody", "build_report"]

LOW_FILL = 0.25
"""A port's stock under this fill (of capacity) is a shortage worth reporting."""
HIGH_FILL = 0.75
"""A port's open demand above this fill (of capacity) is strong demand worth reporting."""
MAX_ROUTES = 10
"""At most this many trade routes in an opportunities report (best margins first)."""


@dataclass(frozen=True, slots=True)
class ReportBody:
    """A built report.

    Attributes:
        kind: the report kind.
        sections: section name -> data (JSON-ready), for every section of the kind (empty
            when the author observed nothing for it).
        ports_visited: the ports the author visited, ascending.
        coverage: ports visited / ports in the region (1.0 for a region without ports).
        freshness: 0..1.
        breadth: share of the kind's sections with data.
        quality: the score, 0..100.
    """

    kind: str
    sections: dict[str, Any]
    ports_visited: tuple[int, ...]
    coverage: float
    freshness: float
    breadth: float
    quality: int


def _sector_of(event: Event) -> int | None:
    sector = getattr(event, "sector_id", None)
    return sector if isinstance(sector, int) else None


def _policy_seen(
    current: Mapping[str, PolicyValue], later: Sequence[RegionPolicyChanged]
) -> dict[str, PolicyValue]:
    values = dict(current)
    for change in sorted(later, key=lambda c: c.at, reverse=True):
        values.update(change.before)
    return values


def build_report(
    kind: str,
    state: RegionState,
    observed: Sequence[Event],
    policy_changes: Sequence[RegionPolicyChanged],
    now: float,
) -> ReportBody:
    """Build a report of ``kind`` from the author's observations in the region.

    Args:
        kind: one of :data:`~starlane.domain.scouting.REPORT_KINDS`.
        state: the region (its static data and today's policies).
        observed: the author's events in the region over the window, oldest first.
        policy_changes: the region's policy changes since the author's first presence in the
            window, oldest first (those after the author's last presence are undone, those
            before it were seen).
        now: unix seconds.

    Returns:
        The :class:`ReportBody`.

    Raises:
        UnknownReportKindError: ``kind`` is not a report kind.
    """
    if kind not in REPORT_KINDS:
        raise UnknownReportKindError(
            f"no report kind {kind!r}; kinds: {', '.join(REPORT_KINDS)}", kind=kind
        )
    port_at = {p.sector_id: p for p in state.ports.values()}
    sectors_seen: dict[int, float] = {}
    for e in observed:
        sector = _sector_of(e)
        if sector is not None and sector in state.sectors:
            sectors_seen[sector] = e.at
        if isinstance(e, PortTraded) and e.sector_id in state.sectors:
            sectors_seen[e.sector_id] = e.at
    visited = {port_at[s].id: t for s, t in sectors_seen.items() if s in port_at}
    last_presence = max((e.at for e in observed), default=None)
    seen_changes = [
        c for c in policy_changes if last_presence is not None and c.at <= last_presence
    ]
    later = [c for c in policy_changes if last_presence is None or c.at > last_presence]
    facts = _Facts(state, observed, visited, sectors_seen, seen_changes, later)
    sections = {name: getattr(facts, name)() for name in KIND_SECTIONS[kind]}
    with_data = sum(1 for value in sections.values() if value)
    breadth = with_data / len(sections)
    coverage = len(visited) / len(state.ports) if state.ports else 1.0
    stamps = list(visited.values()) + ([last_presence] if last_presence is not None else [])
    freshness = freshness_of(stamps, now)
    return ReportBody(
        kind=kind,
        sections=sections,
        ports_visited=tuple(sorted(visited)),
        coverage=coverage,
        freshness=freshness,
        breadth=breadth,
        quality=quality_score(coverage, freshness, breadth),
    )


class _Facts:
    """The sections, each a method named after it, over one author's observations."""

    def __init__(
        self,
        state: RegionState,
        observed: Sequence[Event],
        visited: dict[int, float],
        sectors_seen: dict[int, float],
        seen_changes: list[RegionPolicyChanged],
        later: list[RegionPolicyChanged],
    ) -> None:
        self.state = state
        self.observed = observed
        self.visited = visited
        self.sectors_seen = sectors_seen
        self.seen_changes = seen_changes
        self.policy = _policy_seen(policy_values(state.region), later) if observed else {}
        self.trades = [e for e in observed if isinstance(e, PortTraded) and e.port_id in visited]

    def _prices(self) -> dict[tuple[int, str, str], PortTraded]:
        latest: dict[tuple[int, str, str], PortTraded] = {}
        for t in self.trades:
            latest[(t.port_id, t.commodity, str(t.side))] = t
        return latest

    # --- economy ----------------------------------------------------------------------------
    def ports(self) -> list[dict[str, Any]]:
        out = []
        for pid, seen in sorted(self.visited.items()):
            port = self.state.ports[pid]
            pc = PORT_CLASSES[port.port_class]
            out.append(
                {
                    "port_id": pid,
                    "sector_id": port.sector_id,
                    "name": port.name,
                    "port_class": port.port_class,
                    "buys": list(pc.buys),
                    "sells": list(pc.sells),
                    "last_seen_at": seen,
                }
            )
        return out

    def prices(self) -> list[dict[str, Any]]:
        return [
            {"port_id": p, "commodity": c, "side": s, "unit_price": t.unit_price, "at": t.at}
            for (p, c, s), t in sorted(self._prices().items())
        ]

    def trade_goods(self) -> dict[str, dict[str, list[int]]]:
        goods: dict[str, dict[str, list[int]]] = {}
        for pid in sorted(self.visited):
            pc = PORT_CLASSES[self.state.ports[pid].port_class]
            for c in pc.sells:
                goods.setdefault(c, {"sold_at": [], "bought_at": []})["sold_at"].append(pid)
            for c in pc.buys:
                goods.setdefault(c, {"sold_at": [], "bought_at": []})["bought_at"].append(pid)
        return goods

    def market_gaps(self) -> list[dict[str, str]]:
        gaps = []
        for c, where in sorted(self.trade_goods().items()):
            if not where["sold_at"]:
                gaps.append({"commodity": c, "gap": "demand_without_supply"})
            elif not where["bought_at"]:
                gaps.append({"commodity": c, "gap": "supply_without_demand"})
        return gaps

    # --- politics ---------------------------------------------------------------------------
    def governance(self) -> dict[str, Any]:
        if not self.observed:
            return {}
        region = self.state.region
        return {
            "name": self.policy.get("name", region.name),
            "kind": str(region.kind),
            "governor_id": region.governor_id,
            "description": self.policy.get("description", region.description),
        }

    def immigration(self) -> dict[str, Any]:
        return {"immigration": self.policy["immigration"]} if self.policy else {}

    def taxes_and_tolls(self) -> dict[str, Any]:
        keys = ("tax_rate", "gate_toll", "price_multipliers", "regen_multiplier")
        return {k: self.policy[k] for k in keys} if self.policy else {}

    def security(self) -> dict[str, Any]:
        return {"pvp": self.policy["pvp"]} if self.policy else {}

    def policy_changes(self) -> list[dict[str, Any]]:
        return [{"at": c.at, "before": c.before, "after": c.after} for c in self.seen_changes]

    # --- military ---------------------------------------------------------------------------
    def piracy(self) -> dict[str, Any]:
        if not self.sectors_seen:
            return {}
        levels = {s: self.state.sectors[s].piracy for s in sorted(self.sectors_seen)}
        pirated = {str(s): lvl for s, lvl in levels.items() if lvl > 0}
        return {
            "sectors_seen": len(levels),
            "max_level": max(levels.values()),
            "mean_level": round(sum(levels.values()) / len(levels), 2),
            "sectors_with_piracy": pirated,
        }

    def pirates_met(self) -> list[dict[str, Any]]:
        met: list[dict[str, Any]] = []
        for e in self.observed:
            if isinstance(e, CombatResolved) and e.target_kind == "pirate":
                met.append(
                    {"sector_id": e.sector_id, "pirate_id": e.target_id, "winner": e.winner}
                    | {"at": e.at}
                )
            elif isinstance(e, ShipDestroyed) and e.by_kind == "pirate":
                met.append({"sector_id": e.sector_id, "pirate_id": e.by_id, "ship_lost": True})
        return met

    def conflicts(self) -> list[dict[str, Any]]:
        return [
            {"sector_id": e.sector_id, "opponent_id": e.target_id, "winner": e.winner, "at": e.at}
            for e in self.observed
            if isinstance(e, CombatResolved) and e.target_kind == "player"
        ]

    def hazards(self) -> dict[str, str]:
        out = {}
        for s in sorted(self.sectors_seen):
            hazard = self.state.sectors[s].hazard
            if hazard is not None:
                out[str(s)] = str(hazard)
        return out

    # --- opportunities ------------------------------------------------------------------------
    def trade_routes(self) -> list[dict[str, Any]]:
        prices = self._prices()
        routes: list[dict[str, Any]] = []
        for c, where in sorted(self.trade_goods().items()):
            for src in where["sold_at"]:
                for dst in where["bought_at"]:
                    if src == dst:
                        continue
                    buy = prices.get((src, c, str(Side.BUY)))
                    sell = prices.get((dst, c, str(Side.SELL)))
                    margin = (
                        None
                        if buy is None or sell is None
                        else round(sell.unit_price - buy.unit_price, 2)
                    )
                    routes.append({"commodity": c, "buy_at": src, "sell_at": dst, "margin": margin})
        routes.sort(key=lambda r: (r["margin"] is None, -(r["margin"] or 0.0)))
        return routes[:MAX_ROUTES]

    def shortages(self) -> list[dict[str, Any]]:
        latest: dict[int, PortTraded] = {}
        for t in self.trades:
            latest[t.port_id] = t
        out = []
        for pid, t in sorted(latest.items()):
            port = self.state.ports[pid]
            pc = PORT_CLASSES[port.port_class]
            for c, qty in sorted(t.port_stock_after.items()):
                stock = port.stock.get(c)
                if stock is None or stock.capacity <= 0:
                    continue
                fill = qty / stock.capacity
                if c in pc.sells and fill < LOW_FILL:
                    out.append({"port_id": pid, "commodity": c, "signal": "low_stock"})
                elif c in pc.buys and fill > HIGH_FILL:
                    out.append({"port_id": pid, "commodity": c, "signal": "high_demand"})
                else:
                    continue
                out[-1] |= {"fill": round(fill, 3), "at": t.at}
        return out

    def discoveries(self) -> list[int]:
        found: set[int] = set()
        for e in self.observed:
            if isinstance(e, PlayerMoved | TransferArrived) and e.first_visit:
                found.add(e.sector_id)
            elif isinstance(e, SectorsScanned):
                found.update(e.discovered)
        ports = {p.sector_id: p.id for p in self.state.ports.values()}
        # a scan reveals neighbouring sectors: one holding a port the author never visited is
        # left out (the report names visited ports only)
        return sorted(
            s
            for s in found
            if s in self.state.sectors and (s not in ports or ports[s] in self.visited)
        )
