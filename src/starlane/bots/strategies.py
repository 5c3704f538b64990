"""Bot strategies: what a simulated player does next, as pure functions of what it has seen.

A bot observes its player (``GET /me``), its sector (``GET /sectors/{id}``) and the ports it
visits (``GET /ports/{id}``) and remembers them in a :class:`BotMemory`. A strategy's
``decide(me, sector, memory, rng)`` returns the next :class:`Action`; the runner performs it
through the API. Strategies never see the server's state beyond what the API shows a player.

- **trader**: learns port prices, looks for a commodity some known port sells cheaper than
  another known port buys it, buys a holdful and hauls it there (autopilot), sells, repeats.
  It trades a pair only when its margin after tax is at least ``min_margin``; after visiting
  ``patience`` ports without finding such a pair it trades the best pair it knows anyway
  (bots exist to keep the world busy). It spends at most a quarter of its credits on one
  purchase; the runner quotes each buy first and sends a price guard (``max_unit_price``) of
  5 % above the quoted mean unit price.
- **explorer**: moves to undiscovered neighbours; when every neighbour is known, autopilots to
  the nearest known sector that still has an undiscovered neighbour.
- **hunter**: attacks NPC pirates in its sector while its ship can fight, and otherwise heads
  for sectors where it saw pirates or piracy, exploring in between.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Action:
    """The next thing a bot does.

    Attributes:
        kind: ``move``, ``autopilot``, ``trade``, ``attack``, ``port`` (look at the port),
            or ``wait``.
        args: the arguments of the matching API call.
        reason: a short human explanation (for logs and tests).
    """

    kind: str
    args: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


@dataclass(slots=True)
class BotMemory:
    """What one bot has learned of the galaxy.

    Attributes:
        sectors: sector id -> the last sector view seen (``SectorOut``).
        ports: port id -> the last port view seen (``PortOut``).
        visited: sectors the bot has been in.
        unreachable: sectors an autopilot could not reach (not tried again).
        last_sector_id: the sector the bot was in before its last move.
        tax_rate: tax assumed on trade value when judging margins (0-1).
    """

    sectors: dict[int, JSON] = field(default_factory=dict)
    ports: dict[int, JSON] = field(default_factory=dict)
    visited: set[int] = field(default_factory=set)
    unreachable: set[int] = field(default_factory=set)
    last_sector_id: int | None = None
    tax_rate: float = 0.10

    def observe_sector(self, sector: JSON) -> None:
        """Remember a sector view (and that the bot is in it).

        Args:
            sector: a ``SectorOut`` document.
        """
        self.sectors[int(sector["id"])] = sector
        self.visited.add(int(sector["id"]))

    def observe_port(self, port: JSON) -> None:
        """Remember a port view (its prices).

        Args:
            port: a ``PortOut`` document.
        """
        self.ports[int(port["id"])] = port


# --- shared helpers -----------------------------------------------------------------------
def _warp_targets(sector: JSON) -> list[int]:
    return [int(w["to_sector_id"]) for w in sector.get("warps", [])]


def port_prices(port: JSON, direction: str) -> dict[str, tuple[float, int]]:
    """A port's unit prices and quantities for one direction.

    Args:
        port: a ``PortOut`` document.
        direction: ``sells`` (the port sells: players buy) or ``buys``.

    Returns:
        Commodity -> (unit price in credits, whole units available or wanted).
    """
    return {
        c["commodity"]: (float(c["unit_price"]), int(c["quantity"]))
        for c in port.get("commodities", [])
        if c["direction"] == direction
    }


def path_to(memory: BotMemory, start: int, goal: Callable[[int], bool]) -> list[int] | None:
    """The shortest path (in warps) over the sectors a bot knows to a sector meeting a goal.

    Args:
        memory: the bot's memory (its known warp graph).
        start: the sector to start from.
        goal: predicate on sector ids.

    Returns:
        The sector ids from ``start`` (excluded) to the first goal sector (included), ``[]``
        when ``start`` meets the goal, None when no known path leads to one.
    """
    if goal(start):
        return []
    parents: dict[int, int] = {start: start}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        view = memory.sectors.get(here)
        if view is None:
            continue
        for nxt in _warp_targets(view):
            if nxt in parents:
                continue
            parents[nxt] = here
            if goal(nxt):
                path = [nxt]
                while parents[path[-1]] != start:
                    path.append(parents[path[-1]])
                return path[::-1]
            queue.append(nxt)
    return None


def explore(sector: JSON, memory: BotMemory, rng: random.Random) -> Action:
    """Head for the unknown: an undiscovered neighbour, else the nearest frontier, else a warp.

    Args:
        sector: the current sector view.
        memory: the bot's memory.
        rng: randomness for tie-breaking.

    Returns:
        A ``move`` or ``autopilot`` action (``wait`` in a sector with no warp out).
    """
    here = int(sector["id"])
    fresh = [
        int(w["to_sector_id"])
        for w in sector.get("warps", [])
        if not w.get("discovered") and int(w["to_sector_id"]) not in memory.visited
    ]
    if fresh:
        return Action("move", {"to_sector_id": rng.choice(fresh)}, "undiscovered neighbour")
    frontier = path_to(
        memory,
        here,
        lambda s: (
            s != here
            and s not in memory.unreachable
            and s in memory.sectors
            and any(t not in memory.visited for t in _warp_targets(memory.sectors[s]))
        ),
    )
    if frontier and len(frontier) > 1:
        return Action("autopilot", {"to_sector_id": frontier[-1]}, "nearest frontier")
    targets = _warp_targets(sector)
    if not targets:
        return Action("wait", {"seconds": 1.0}, "no warp out")
    onward = [t for t in targets if t != memory.last_sector_id] or targets
    return Action("move", {"to_sector_id": rng.choice(onward)}, "wander")


def travel_to(sector: JSON, memory: BotMemory, target: int) -> Action:
    """Go to a sector: one move when adjacent, else the autopilot.

    Args:
        sector: the current sector view.
        memory: the bot's memory.
        target: the destination sector id.

    Returns:
        A ``move`` or ``autopilot`` action.
    """
    del memory
    if target in _warp_targets(sector):
        return Action("move", {"to_sector_id": target}, f"next to {target}")
    return Action("autopilot", {"to_sector_id": target}, f"travel to {target}")


def _turns(me: JSON) -> int:
    turns = me.get("turns", 0)
    return int(turns["available"] if isinstance(turns, dict) else turns)


# --- trader -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TradeRoute:
    """A commodity to buy at one port and sell at another.

    Attributes:
        commodity: the commodity key.
        buy_port: port id where the bot buys (the port sells).
        sell_port: port id where the bot sells (the port buys).
        buy_price: unit price paid, credits.
        sell_price: unit price received, credits.
        margin: (received after tax - paid with tax) / paid with tax.
    """

    commodity: str
    buy_port: int
    sell_port: int
    buy_price: float
    sell_price: float
    margin: float


def best_routes(memory: BotMemory, *, exclude_sell: Iterable[int] = ()) -> list[TradeRoute]:
    """Every buy-here-sell-there pair among the known ports, best margin first.

    Args:
        memory: the bot's memory of ports.
        exclude_sell: port ids not to sell at.

    Returns:
        The routes sorted by margin, descending.
    """
    excluded = set(exclude_sell)
    sellers: dict[str, list[tuple[int, float]]] = {}
    buyers: dict[str, list[tuple[int, float]]] = {}
    for pid, port in memory.ports.items():
        for commodity, (price, qty) in port_prices(port, "sells").items():
            if qty > 0:
                sellers.setdefault(commodity, []).append((pid, price))
        if pid in excluded:
            continue
        for commodity, (price, qty) in port_prices(port, "buys").items():
            if qty > 0:
                buyers.setdefault(commodity, []).append((pid, price))
    tax = memory.tax_rate
    routes = []
    for commodity, sell_list in sellers.items():
        for buy_port, buy_price in sell_list:
            for sell_port, sell_price in buyers.get(commodity, []):
                if sell_port == buy_port:
                    continue
                paid = buy_price * (1 + tax)
                margin = (sell_price * (1 - tax) - paid) / paid
                routes.append(
                    TradeRoute(commodity, buy_port, sell_port, buy_price, sell_price, margin)
                )
    routes.sort(key=lambda r: (-r.margin, r.buy_port, r.sell_port, r.commodity))
    return routes


@dataclass(slots=True)
class Trader:
    """Buys where a commodity is cheap and sells where it is dear.

    Attributes:
        min_margin: smallest margin after tax worth a trade (0.05 = 5 %).
        patience: ports to learn before trading the best pair known, whatever its margin.
        price_guard: the buy price guard as a factor on the quoted mean unit price
            (1.05 = +5 %): the runner quotes the trade first and sends the guard with it.
        budget_share: most of its credits spent on one purchase (0-1).
    """

    name: str = "trader"
    min_margin: float = 0.0
    patience: int = 3
    price_guard: float = 1.05
    budget_share: float = 0.25

    def decide(self, me: JSON, sector: JSON, memory: BotMemory, rng: random.Random) -> Action:
        """The trader's next action.

        Args:
            me: the ``/me`` document.
            sector: the current sector view.
            memory: the bot's memory.
            rng: randomness for tie-breaking.

        Returns:
            The action.
        """
        if _turns(me) < 2:
            return Action("wait", {"seconds": 5.0}, "out of turns")
        ship = me["ship"]
        cargo: dict[str, int] = {k: int(v) for k, v in ship.get("cargo", {}).items() if v > 0}
        port = sector.get("port")
        here_port = memory.ports.get(int(port["id"])) if port and not port.get("stardock") else None
        if port and not port.get("stardock") and here_port is None:
            return Action("port", {"port_id": int(port["id"])}, "learn prices")
        if here_port is not None:
            wanted = port_prices(here_port, "buys")
            for commodity, units in sorted(cargo.items()):
                if commodity in wanted and wanted[commodity][1] > 0:
                    qty = min(units, wanted[commodity][1])
                    return Action(
                        "trade",
                        {
                            "port_id": here_port["id"],
                            "commodity": commodity,
                            "side": "sell",
                            "quantity": qty,
                        },
                        "sell cargo",
                    )
        routes = self._acceptable(best_routes(memory))
        if here_port is not None and ship.get("free_holds", 0) > 0 and not cargo:
            for route in routes:
                if route.buy_port != here_port["id"]:
                    continue
                price, stock = port_prices(here_port, "sells")[route.commodity]
                budget = int(me["credits"] * self.budget_share)
                affordable = int(budget // (price * (1 + memory.tax_rate)))
                qty = min(int(ship["free_holds"]), stock, affordable)
                if qty > 0:
                    return Action(
                        "trade",
                        {
                            "port_id": here_port["id"],
                            "commodity": route.commodity,
                            "side": "buy",
                            "quantity": qty,
                            "price_guard": self.price_guard,
                            "budget": budget,
                        },
                        f"buy for port {route.sell_port} (margin {route.margin:.0%})",
                    )
        here = int(sector["id"])
        if cargo:
            target = self._nearest_buyer(memory, here, cargo)
            if target is not None:
                return travel_to(sector, memory, target)
        elif routes:
            target = routes[0].buy_port
            if target != here and target not in memory.unreachable:
                return travel_to(sector, memory, target)
        return explore(sector, memory, rng)

    def _acceptable(self, routes: list[TradeRoute]) -> list[TradeRoute]:
        good = [r for r in routes if r.margin >= self.min_margin]
        if good:
            return good
        return routes[:3] if len(self._ports_seen(routes)) >= self.patience else []

    @staticmethod
    def _ports_seen(routes: list[TradeRoute]) -> set[int]:
        return {r.buy_port for r in routes} | {r.sell_port for r in routes}

    @staticmethod
    def _nearest_buyer(memory: BotMemory, here: int, cargo: dict[str, int]) -> int | None:
        buyers = {
            pid
            for pid, port in memory.ports.items()
            if pid not in memory.unreachable
            and pid != here
            and any(port_prices(port, "buys").get(c, (0, 0))[1] > 0 for c in cargo)
        }
        if not buyers:
            return None
        path = path_to(memory, here, lambda s: s in buyers)
        if path:
            return path[-1]
        return min(buyers)


# --- explorer -----------------------------------------------------------------------------
@dataclass(slots=True)
class Explorer:
    """Discovers sectors: undiscovered neighbours first, then the nearest frontier."""

    name: str = "explorer"

    def decide(self, me: JSON, sector: JSON, memory: BotMemory, rng: random.Random) -> Action:
        """The explorer's next action.

        Args:
            me: the ``/me`` document.
            sector: the current sector view.
            memory: the bot's memory.
            rng: randomness for tie-breaking.

        Returns:
            The action.
        """
        if _turns(me) < 3:
            return Action("wait", {"seconds": 5.0}, "out of turns")
        return explore(sector, memory, rng)


# --- hunter -------------------------------------------------------------------------------
@dataclass(slots=True)
class Hunter:
    """Fights NPC pirates.

    Attributes:
        min_strength: fighters plus hull points below which it does not attack (an escape
            pod never does).
    """

    name: str = "hunter"
    min_strength: int = 100

    def decide(self, me: JSON, sector: JSON, memory: BotMemory, rng: random.Random) -> Action:
        """The hunter's next action.

        Args:
            me: the ``/me`` document.
            sector: the current sector view.
            memory: the bot's memory.
            rng: randomness for tie-breaking.

        Returns:
            The action.
        """
        turns = _turns(me)
        if turns < 3:
            return Action("wait", {"seconds": 5.0}, "out of turns")
        ship = me["ship"]
        strength = int(ship.get("fighters", 0)) + int(ship.get("hull", 0))
        pirates = [p for p in sector.get("pirates", []) if int(p.get("hull", 1)) > 0]
        if pirates and turns >= 5 and strength >= self.min_strength:
            target = min(pirates, key=lambda p: (p["fighters"] + p["shields"] + p["hull"], p["id"]))
            return Action(
                "attack", {"target_kind": "pirate", "target_id": int(target["id"])}, "pirate"
            )
        here = int(sector["id"])
        lairs = {
            sid
            for sid, view in memory.sectors.items()
            if sid != here
            and sid not in memory.unreachable
            and (any(int(p.get("hull", 1)) > 0 for p in view.get("pirates", [])))
        }
        if lairs and strength >= self.min_strength:
            path = path_to(memory, here, lambda s: s in lairs)
            if path:
                return travel_to(sector, memory, path[-1])
        return explore(sector, memory, rng)


Strategy = Trader | Explorer | Hunter


def _crosser() -> Any:
    from starlane.bots.crossing import Crosser

    return Crosser()


STRATEGIES: dict[str, Callable[[], Any]] = {
    "trader": Trader,
    "explorer": Explorer,
    "hunter": Hunter,
    "crossing": _crosser,
    "mixed": Trader,
    "galaxy": Trader,
}
"""Strategy name -> factory. ``mixed`` gives a fleet of traders, explorers and hunters;
``galaxy`` the same with bots that cross into other regions (``crossing``)."""

MIXED_CYCLE = ("trader", "explorer", "trader", "hunter")
"""The strategies of a mixed fleet, in turn: half traders, a quarter each of the others."""

GALAXY_CYCLE = ("trader", "crossing", "explorer", "crossing", "hunter")
"""The strategies of a ``galaxy`` fleet, in turn: crossing traders among the mixed fleet."""


def strategy_for(name: str, index: int) -> Strategy:
    """The strategy of the ``index``-th bot of a fleet.

    Args:
        name: ``trader``, ``explorer``, ``hunter``, ``crossing``, ``mixed`` or ``galaxy``.
        index: the bot's index in its fleet, from 0.

    Returns:
        A strategy instance.

    Raises:
        ValueError: unknown strategy name.
    """
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}: choose one of {', '.join(STRATEGIES)}")
    if name == "mixed":
        name = MIXED_CYCLE[index % len(MIXED_CYCLE)]
    elif name == "galaxy":
        name = GALAXY_CYCLE[index % len(GALAXY_CYCLE)]
    return STRATEGIES[name]()  # type: ignore[no-any-return]
