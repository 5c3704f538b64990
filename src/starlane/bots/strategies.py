"""Bot strategies: what a simulated player does next, as pure functions of what it has seen.

A bot observes its player (``GET /me``), its sector (``GET /sectors/{id}``) and the ports it
visits (``GET /ports/{id}``) and remembers them in a :class:`BotMemory`. A strategy's
``decide(me, sector, memory, rng)`` returns the next :class:`Action`; the runner performs it
through the API. Strategies never see the server's state beyond what the API shows a player.

- **trader**: learns port prices for free where it can (before travelling it scans the
  neighbours and looks at the ports of discovered sectors from afar; it looks again on each
  arrival), looks for a commodity some known port sells cheaper than another known port buys it,
  buys the quantity that earns most after its own price impact and tax at both ends (among the
  most profitable hauls, the one that earns most per turn, since turns are scarce), hauls
  it there (autopilot) and sells where the cargo earns most over what it paid. It takes a haul
  when its estimated profit is at least ``min_margin`` of its cost, or, once it knows
  ``patience`` ports, any haul that earns something; it never buys at an estimated loss. It
  spends at most a quarter of its credits on one purchase; the runner quotes each buy first and
  sends a price guard (``max_unit_price``) of 5 % above the quoted mean unit price.
  Turns are scarce (they regenerate slowly), so a haul is planned in turns too: the trader only
  takes a haul whose turns (to the seller, the purchase, to the buyer, the sale) it has above
  its reserve, or will have after at most ``max_haul_wait`` seconds of regeneration; it saves
  them *before* it buys (waiting with an empty hold), looks again at both ports' prices when
  its view of them is older than ``fresh_for`` seconds (a drained route no longer looks
  profitable), and then flies the haul as one committed run, so it never holds cargo while
  waiting for turns. With cargo it sells where it earns most among the buyers its turns reach.
- **explorer**: moves to undiscovered neighbours; when every neighbour is known, autopilots to
  the nearest known sector that still has an undiscovered neighbour.
- **expeditioner** (:mod:`starlane.bots.expeditioner`): has the server plan trade expeditions
  through ports it knows and flies them leg by leg.
- **hunter**: attacks NPC pirates it outguns ``odds`` to one (fighters, shields and hull) while
  its ship can fight, and otherwise heads for sectors where it saw such pirates, exploring in
  between.

How fast a bot spends turns is the runner's business (:mod:`starlane.bots.pacing`).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from starlane.bots.market import best_haul, best_sale, mean_buy_price, offers
from starlane.bots.pacing import regen_per_second, surplus

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Action:
    """The next thing a bot does.

    Attributes:
        kind: ``move``, ``autopilot``, ``trade``, ``attack``, ``port`` (look at the port),
            ``scan``, ``plan`` (ask the autopilot what a trip costs, without flying), or
            ``wait``.
        args: the arguments of the matching API call.
        reason: a short human explanation (for logs and tests).
        committed: a leg of a haul whose turns the bot has saved (the runner sends it as soon
            as the turns above the reserve cover it, see :mod:`starlane.bots.pacing`).
    """

    kind: str
    args: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    committed: bool = False


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
        here: the sector the bot is in now (set by :meth:`arrive`).
        looked_here: ports looked at since the bot arrived in its sector.
        cost_basis: commodity -> credits paid per unit carried, tax included.
        scanned: sectors whose neighbours the bot has scanned (a scan costs no turns).
        turn_reserve: turns the bot keeps back (set by the runner from its pacing; None: no
            reserve, every available turn may be planned with).
        now: the runner's clock at this step, seconds (monotonic).
        port_seen: port id -> ``now`` when its view was last seen.
        planned: (from sector, to sector) -> turns the server's autopilot plan costs (a plan
            costs no turns; warps do not change, so a plan is kept).
        expedition: the trade expedition in hand (``ExpeditionOut``), for the
            ``expeditioner`` (:mod:`starlane.bots.expeditioner`).
    """

    sectors: dict[int, JSON] = field(default_factory=dict)
    ports: dict[int, JSON] = field(default_factory=dict)
    visited: set[int] = field(default_factory=set)
    unreachable: set[int] = field(default_factory=set)
    last_sector_id: int | None = None
    tax_rate: float = 0.10
    here: int | None = None
    looked_here: set[int] = field(default_factory=set)
    cost_basis: dict[str, float] = field(default_factory=dict)
    scanned: set[int] = field(default_factory=set)
    turn_reserve: int | None = None
    now: float = 0.0
    port_seen: dict[int, float] = field(default_factory=dict)
    planned: dict[tuple[int, int], int] = field(default_factory=dict)
    expedition: JSON | None = None

    def arrive(self, sector_id: int) -> None:
        """Note the sector the bot is in; arriving somewhere new makes its port worth a look.

        Args:
            sector_id: the bot's sector now.
        """
        if sector_id != self.here:
            self.here = sector_id
            self.looked_here.clear()

    def observe_sector(self, sector: JSON) -> None:
        """Remember a sector view (and that the bot is in it).

        Args:
            sector: a ``SectorOut`` document.
        """
        self.sectors[int(sector["id"])] = sector
        self.visited.add(int(sector["id"]))

    def learn_sector(self, sector: JSON) -> None:
        """Remember a sector view seen from afar (a scan): known, but not visited.

        Args:
            sector: a ``SectorOut`` document.
        """
        self.sectors[int(sector["id"])] = sector

    def observe_port(self, port: JSON) -> None:
        """Remember a port view (its prices).

        Args:
            port: a ``PortOut`` document.
        """
        self.ports[int(port["id"])] = port
        self.looked_here.add(int(port["id"]))
        self.port_seen[int(port["id"])] = self.now

    def bought(self, commodity: str, units: int, paid: int, carried_before: int) -> None:
        """Fold a purchase into the cost basis of a commodity carried.

        Args:
            commodity: the commodity bought.
            units: units bought.
            paid: credits paid, tax included.
            carried_before: units of it carried before the purchase.
        """
        before = self.cost_basis.get(commodity, 0.0) * carried_before
        if units + carried_before > 0:
            self.cost_basis[commodity] = (before + paid) / (units + carried_before)


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


def leg_turns(
    memory: BotMemory, start: int, goal: int, *, move_turns: int = 1, unknown_warps: int = 6
) -> int:
    """Turns a trip costs: the autopilot's plan when the bot has one, else along the shortest
    known path (the autopilot's is never dearer), else an assumption.

    Args:
        memory: the bot's memory (its known warps and their turn costs).
        start: the sector to start from.
        goal: the destination sector.
        move_turns: the ship's turns per warp of cost 1.
        unknown_warps: warps assumed (of cost 1) when no known path leads there.

    Returns:
        Turns (0 when ``start`` is ``goal``).
    """
    if start == goal:
        return 0
    if (start, goal) in memory.planned:
        return memory.planned[(start, goal)]
    path = path_to(memory, start, lambda s: s == goal)
    if path is None:
        return unknown_warps * move_turns
    total, prev = 0, start
    for sid in path:
        cost = 1
        for warp in memory.sectors.get(prev, {}).get("warps", []):
            if int(warp["to_sector_id"]) == sid:
                cost = int(warp.get("turn_cost", 1))
        total += cost * move_turns
        prev = sid
    return total


def _unknown_trip(memory: BotMemory, start: int, goal: int) -> bool:
    """Whether a trip's turns are only assumed: no plan, no known path (the autopilot can
    tell, for free)."""
    return (
        start != goal
        and (start, goal) not in memory.planned
        and goal not in memory.unreachable
        and path_to(memory, start, lambda s: s == goal) is None
    )


def turns_to_spend(me: JSON, memory: BotMemory) -> tuple[int, float]:
    """Turns a bot may spend now above its reserve, and how fast more regenerate.

    Args:
        me: the ``/me`` document.
        memory: the bot's memory (``turn_reserve``).

    Returns:
        (turns above the reserve, turns regenerated per second).
    """
    turns = me.get("turns", 0)
    if not isinstance(turns, dict):
        return surplus(int(turns), memory.turn_reserve), 0.0
    return surplus(turns, memory.turn_reserve), regen_per_second(turns)


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


@dataclass(frozen=True, slots=True)
class Haul:
    """A trade route with the quantity that earns most on it now.

    Attributes:
        route: the route.
        units: units to buy.
        profit: estimated credits earned after tax at both ends.
        cost: estimated credits paid for the purchase, tax included.
    """

    route: TradeRoute
    units: int
    profit: float
    cost: float


def best_hauls(memory: BotMemory, *, free_holds: int, budget: int) -> list[Haul]:
    """Every known route that earns something, priced with the price impact of the trade.

    Args:
        memory: the bot's memory of ports.
        free_holds: holds the bot can fill.
        budget: most credits spent on the purchase, tax included.

    Returns:
        The hauls with a positive estimated profit, most profitable first.
    """
    hauls = []
    tax = memory.tax_rate
    for route in best_routes(memory):
        if route.sell_port in memory.unreachable or route.buy_port in memory.unreachable:
            continue
        buy = offers(memory.ports[route.buy_port], "sells")[route.commodity]
        sell = offers(memory.ports[route.sell_port], "buys")[route.commodity]
        affordable = int(budget // (buy.unit_price * (1 + tax))) if buy.unit_price > 0 else 0
        units, profit = best_haul(buy, sell, most=min(free_holds, affordable), tax=tax)
        if units > 0:
            cost = mean_buy_price(buy, units) * units * (1 + tax)
            hauls.append(Haul(route, units, profit, cost))
    hauls.sort(key=lambda h: (-h.profit, h.route.buy_port, h.route.sell_port, h.route.commodity))
    return hauls


@dataclass(slots=True)
class Trader:
    """Buys where a commodity is cheap and sells where it is dear, only at a profit.

    It sizes each purchase for the most profit after the price impact of its own trade and tax
    at both ends (:mod:`starlane.bots.market`), and sells cargo where it earns most over what
    it paid. It looks at a port's prices each time it arrives, so it trades on fresh prices.
    It plans each haul in turns as well as credits (see the module): it saves the turns of the
    whole haul before buying and then flies it as one committed run.

    Attributes:
        min_margin: smallest estimated profit worth a haul, as a share of its cost
            (0.10 = 10 %).
        patience: ports to learn before settling for any haul that earns something.
        price_guard: the buy price guard as a factor on the quoted mean unit price
            (1.05 = +5 %): the runner quotes the trade first and sends the guard with it.
        budget_share: most of its credits spent on one purchase (0-1).
        rank_top: how many of the most profitable hauls are ranked by profit per turn.
        unknown_warps: warps assumed between two ports with no known path between them (the
            server's autopilot knows one).
        max_haul_wait: longest it saves turns for one haul, seconds: a haul needing more turns
            than it has plus what regenerates in that time is not taken.
        fresh_for: age after which it looks again at a port's prices before a haul, seconds.
        max_wait: longest single wait while saving turns, seconds (it then looks again).
    """

    name: str = "trader"
    min_margin: float = 0.10
    patience: int = 3
    price_guard: float = 1.05
    budget_share: float = 0.25
    rank_top: int = 20
    unknown_warps: int = 6
    max_haul_wait: float = 900.0
    fresh_for: float = 60.0
    max_wait: float = 60.0

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
        port = sector.get("port")
        here = int(sector["id"])
        if port and not port.get("stardock") and int(port["id"]) not in memory.looked_here:
            return Action("port", {"port_id": int(port["id"])}, "look at prices")
        here_port = memory.ports.get(int(port["id"])) if port and not port.get("stardock") else None
        action = self._next(me, sector, here_port, memory, rng)
        if action.kind in ("move", "autopilot") and not action.committed:  # before spending
            return self._free_look(memory, here) or action  # turns on travel, learn what's free
        return action

    def _next(
        self,
        me: JSON,
        sector: JSON,
        here_port: JSON | None,
        memory: BotMemory,
        rng: random.Random,
    ) -> Action:
        """The next action, from what the trader knows now."""
        ship = me["ship"]
        cargo: dict[str, int] = {k: int(v) for k, v in ship.get("cargo", {}).items() if v > 0}
        here = int(sector["id"])
        move_turns = int(ship.get("move_turns", 1))
        if cargo:
            return self._with_cargo(me, sector, here_port, cargo, memory, rng)
        budget = int(me["credits"] * self.budget_share)
        spare, regen = turns_to_spend(me, memory)
        within = spare + regen * self.max_haul_wait
        plans = [
            (haul, need)
            for haul, need in self._by_turns(
                self._acceptable(
                    best_hauls(memory, free_holds=int(ship.get("free_holds", 0)), budget=budget),
                    memory,
                ),
                memory,
                here,
                move_turns,
            )
            if need <= within
        ]
        if not plans:
            return explore(sector, memory, rng)
        haul, need = plans[0]
        for pid in (haul.route.buy_port, haul.route.sell_port):  # a drained route shows
            if memory.now - memory.port_seen.get(pid, memory.now) > self.fresh_for:
                return Action("port", {"port_id": pid}, "look again before a haul (free)")
        leg = (here, haul.route.buy_port) if haul.route.buy_port != here else None
        if leg is None and haul.route.sell_port != here:
            leg = (here, haul.route.sell_port)  # at the seller: the selling leg is plannable
        if leg is not None and _unknown_trip(memory, *leg):
            return Action("plan", {"to_sector_id": leg[1]}, "learn what the trip costs (free)")
        if spare < need:  # save the haul's turns before buying anything
            wait = (need - spare) / regen if regen > 0 else self.max_wait
            return Action(
                "wait",
                {"seconds": round(min(self.max_wait, max(wait, 1.0)), 3)},
                f"save {need} turns for a haul (have {spare})",
            )
        if here_port is not None and haul.route.buy_port == int(here_port["id"]):
            return Action(
                "trade",
                {
                    "port_id": here_port["id"],
                    "commodity": haul.route.commodity,
                    "side": "buy",
                    "quantity": haul.units,
                    "price_guard": self.price_guard,
                    "budget": budget,
                },
                f"buy for port {haul.route.sell_port} (about {haul.profit:,.0f} cr profit)",
                committed=True,
            )
        return replace(travel_to(sector, memory, haul.route.buy_port), committed=True)

    def _with_cargo(
        self,
        me: JSON,
        sector: JSON,
        here_port: JSON | None,
        cargo: dict[str, int],
        memory: BotMemory,
        rng: random.Random,
    ) -> Action:
        """Sell here when it earns most among the buyers its turns reach, else haul the cargo
        to where it does (every action here is committed: cargo is never held to wait)."""
        here = int(sector["id"])
        tax = memory.tax_rate
        move_turns = int(me["ship"].get("move_turns", 1))
        spare, _ = turns_to_spend(me, memory)
        sales: list[tuple[float, int, str, int]] = []  # (profit, port, commodity, units)
        for pid, view in memory.ports.items():
            if pid in memory.unreachable and pid != here:
                continue
            wanted = offers(view, "buys")
            for commodity, units in cargo.items():
                if commodity in wanted:
                    basis = memory.cost_basis.get(commodity, 0.0)
                    n, profit = best_sale(wanted[commodity], units, tax=tax, basis=basis)
                    if n > 0:
                        sales.append((profit, pid, commodity, n))
        reach = {
            pid: leg_turns(
                memory, here, pid, move_turns=move_turns, unknown_warps=self.unknown_warps
            )
            for pid in {s[1] for s in sales}
        }
        sales = [s for s in sales if reach[s[1]] + 1 <= spare] or sales
        sales.sort(key=lambda s: (-s[0], s[1] != here, s[1], s[2]))
        if here_port is not None:
            here_sales = [s for s in sales if s[1] == here]
            if here_sales and here_sales[0][0] >= 0.9 * sales[0][0]:
                _, pid, commodity, n = here_sales[0]
                return self._sell(pid, commodity, n, "sell cargo at a profit")
        if sales:
            target = sales[0][1]
            if _unknown_trip(memory, here, target):
                return Action("plan", {"to_sector_id": target}, "learn what the trip costs (free)")
            return replace(travel_to(sector, memory, target), committed=True)
        if here_port is not None:  # nowhere known pays what it cost: cut the loss here
            wanted = offers(here_port, "buys")
            for commodity, units in sorted(cargo.items()):
                if commodity in wanted and wanted[commodity].quantity > 0:
                    n = min(units, wanted[commodity].quantity)
                    return self._sell(int(here_port["id"]), commodity, n, "sell at a loss")
        buyer = self._nearest_buyer(memory, here, cargo)
        if buyer is not None:
            return replace(travel_to(sector, memory, buyer), committed=True)
        return explore(sector, memory, rng)

    @staticmethod
    def _sell(port_id: int, commodity: str, units: int, reason: str) -> Action:
        return Action(
            "trade",
            {"port_id": port_id, "commodity": commodity, "side": "sell", "quantity": units},
            reason,
            committed=True,
        )

    @staticmethod
    def _free_look(memory: BotMemory, here: int) -> Action | None:
        """Learn the market for free before spending turns: scan the neighbours, then look at
        the prices of every known port not yet seen (ports in discovered sectors answer from
        afar)."""
        if here not in memory.scanned:
            return Action("scan", {}, "scan the neighbours (free)")
        for sid in sorted(memory.sectors):
            summary = memory.sectors[sid].get("port")
            if (
                summary
                and not summary.get("stardock")
                and int(summary["id"]) not in memory.ports
                and int(summary["id"]) not in memory.unreachable
            ):
                return Action("port", {"port_id": int(summary["id"])}, "look at prices (free)")
        return None

    def _by_turns(
        self, hauls: list[Haul], memory: BotMemory, here: int, move_turns: int = 1
    ) -> list[tuple[Haul, int]]:
        """The most profitable hauls with the turns each needs (to the seller, the purchase,
        to the buyer, the sale), ranked by profit per turn (turns are scarce)."""
        ranked = []
        for haul in hauls[: self.rank_top]:
            to_buy = leg_turns(
                memory,
                here,
                haul.route.buy_port,
                move_turns=move_turns,
                unknown_warps=self.unknown_warps,
            )
            to_sell = leg_turns(
                memory,
                haul.route.buy_port,
                haul.route.sell_port,
                move_turns=move_turns,
                unknown_warps=self.unknown_warps,
            )
            need = to_buy + to_sell + 2
            ranked.append((haul.profit / need, haul, need))
        ranked.sort(key=lambda item: -item[0])
        return [(haul, need) for _, haul, need in ranked]

    def _acceptable(self, hauls: list[Haul], memory: BotMemory) -> list[Haul]:
        good = [h for h in hauls if h.profit >= self.min_margin * h.cost]
        if good:
            return good
        return hauls[:3] if len(memory.ports) >= self.patience else []

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
        odds: how many times a pirate's fighters, shields and hull its own must be to attack
            (a lost fight costs a share of its credits and its ship).
    """

    name: str = "hunter"
    min_strength: int = 100
    odds: float = 2.0

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
        might = strength + int(ship.get("shields", 0))
        pirates = [
            p
            for p in sector.get("pirates", [])
            if int(p.get("hull", 1)) > 0 and might >= self.odds * _might(p)
        ]
        if pirates and turns >= 5 and strength >= self.min_strength:
            target = min(pirates, key=lambda p: (_might(p), p["id"]))
            return Action(
                "attack", {"target_kind": "pirate", "target_id": int(target["id"])}, "pirate"
            )
        here = int(sector["id"])
        lairs = {
            sid
            for sid, view in memory.sectors.items()
            if sid != here
            and sid not in memory.unreachable
            and any(
                int(p.get("hull", 1)) > 0 and might >= self.odds * _might(p)
                for p in view.get("pirates", [])
            )
        }
        if lairs and strength >= self.min_strength:
            path = path_to(memory, here, lambda s: s in lairs)
            if path:
                return travel_to(sector, memory, path[-1])
        return explore(sector, memory, rng)


def _might(party: JSON) -> int:
    return int(party.get("fighters", 0)) + int(party.get("shields", 0)) + int(party.get("hull", 0))


Strategy = Trader | Explorer | Hunter


def _crosser() -> Any:
    from starlane.bots.crossing import Crosser

    return Crosser()


def _expeditioner() -> Any:
    from starlane.bots.expeditioner import Expeditioner

    return Expeditioner()


STRATEGIES: dict[str, Callable[[], Any]] = {
    "trader": Trader,
    "explorer": Explorer,
    "hunter": Hunter,
    "crossing": _crosser,
    "expeditioner": _expeditioner,
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
        name: ``trader``, ``explorer``, ``hunter``, ``crossing``, ``expeditioner``, ``mixed``
            or ``galaxy``.
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
