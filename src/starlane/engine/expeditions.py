"""Flying a saved expedition leg by leg through the galaxy's ordinary commands.

:class:`ExpeditionFlights` flies one leg: the autopilot to the leg's waypoint (across regions
it passes the gates through the saga, as ``POST /me/autopilot`` does; refused up front with
nothing moved when the turns do not cover the route), then the leg's planned trades in order,
each cut down to what can be made now (units held, the port's stock or demand, free holds,
credits): a plan made earlier meets prices and stocks that moved. A trade the rules refuse is
recorded with its code and the leg goes on. The actual figures are measured on the player:
turns and credits before and after, the credits of each trade; the tolls are what the credits
lost beyond the trades (a discovery bonus collected on the way is not counted against them).
One leg of one expedition flies at a time (a lock per expedition).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlane.domain.commands import Autopilot, Command, Trade
from starlane.domain.data import Side
from starlane.domain.discovery import RegionFirstVisited
from starlane.domain.errors import DomainError
from starlane.domain.expedition_market import stop_of
from starlane.domain.expeditions import purchase
from starlane.domain.model import Player
from starlane.domain.movement import current_turns
from starlane.engine.errors import PlayerNotFoundError
from starlane.engine.router import GalaxyService

Execute = Callable[[Command], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class FlownLeg:
    """What flying a leg did.

    Attributes:
        turns: turns spent (route and trades).
        tolls: gate tolls paid, credits.
        credits: credits the trades brought (sales minus purchases).
        trades: the trades as made (``commodity``, ``side``, ``units``, ``credits``, and
            ``refused`` with a code when the rules refused one).
    """

    turns: int
    tolls: int
    credits: int
    trades: list[dict[str, Any]]


class ExpeditionFlights:
    """Flies expedition legs (see the module docstring)."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}

    def lock(self, expedition_id: int) -> asyncio.Lock:
        """The lock one expedition's legs fly under.

        Args:
            expedition_id: the expedition.

        Returns:
            Its lock (created on first use).
        """
        found = self._locks.get(expedition_id)
        if found is None:
            found = self._locks[expedition_id] = asyncio.Lock()
        return found

    def release(self, expedition_id: int) -> None:
        """Forget a finished expedition's lock.

        Args:
            expedition_id: the expedition.
        """
        lock = self._locks.get(expedition_id)
        if lock is not None and not lock.locked():
            del self._locks[expedition_id]

    async def fly(
        self,
        galaxy: GalaxyService,
        player_id: int,
        sector_id: int,
        port_id: int | None,
        planned: Sequence[Mapping[str, Any]],
        clock: Callable[[], float],
        execute: Execute | None = None,
    ) -> FlownLeg:
        """Fly one leg: autopilot to its waypoint, then its trades.

        Args:
            galaxy: the galaxy service.
            player_id: the player flying.
            sector_id: the leg's waypoint.
            port_id: its port (None: no trades).
            planned: the planned trades (``commodity``, ``side``, ``units``), in order.
            clock: unix seconds now.
            execute: runs a command (default: ``galaxy.execute``).

        Returns:
            The leg's actual figures.

        Raises:
            PlayerNotFoundError: the player is not in the galaxy.
            DomainError: the autopilot was refused (``insufficient_turns``, ``no_route``,
                ``immigration_refused``...): the leg is not flown.
            EngineError: an engine could not take a command.
        """
        run: Execute = execute if execute is not None else galaxy.execute
        start = self._player(galaxy, player_id)
        rules = galaxy.rules
        turns_before, _ = current_turns(start, clock(), rules)
        credits_before = start.credits  # an int: the player object changes in place
        bonus = 0  # a new region's discovery bonus on the way: credits gained, not a toll
        if start.sector_id != sector_id:
            flown = await run(Autopilot(player_id, sector_id))
            for recorded in flown if isinstance(flown, list) else ():
                e = getattr(recorded, "event", None)
                if isinstance(e, RegionFirstVisited) and e.player_id == player_id:
                    bonus += e.bonus
        trades: list[dict[str, Any]] = []
        trade_credits = 0
        for step in planned:
            commodity = str(step["commodity"])
            side = Side(step["side"])
            made = {"commodity": commodity, "side": side.value, "units": 0, "credits": 0}
            player = self._player(galaxy, player_id)
            units = self._units(galaxy, player, port_id, commodity, side, int(step["units"]), clock)
            if units <= 0 or port_id is None:
                made["refused"] = "nothing_to_trade"
                trades.append(made)
                continue
            before = player.credits  # the state's player object changes in place
            try:
                await run(Trade(player_id, port_id, commodity, side, units))
            except DomainError as exc:
                made["refused"] = exc.code
                trades.append(made)
                continue
            after = self._player(galaxy, player_id).credits
            made["units"] = units
            made["credits"] = after - before
            trade_credits += after - before
            trades.append(made)
        end = self._player(galaxy, player_id)
        turns_after, _ = current_turns(end, clock(), rules)
        gained = end.credits - credits_before - bonus
        return FlownLeg(
            max(0, turns_before - turns_after),
            max(0, trade_credits - gained),
            trade_credits,
            trades,
        )

    @staticmethod
    def _player(galaxy: GalaxyService, player_id: int) -> Player:
        player = galaxy.player(player_id)
        if player is None:
            raise PlayerNotFoundError(f"player {player_id} is not in the galaxy")
        return player

    @staticmethod
    def _units(
        galaxy: GalaxyService,
        player: Player,
        port_id: int | None,
        commodity: str,
        side: Side,
        wanted: int,
        clock: Callable[[], float],
    ) -> int:
        """The units of a planned trade that can be made now (0: none)."""
        if port_id is None or player.sector_id != port_id:
            return 0
        state = galaxy.region_state(player.region_id)
        stop = stop_of(state, port_id, clock())
        if side == Side.SELL:
            market = stop.buys.get(commodity)
            held = player.ship.cargo.get(commodity, 0)
            return 0 if market is None else min(wanted, held, int(market.quantity))
        units = min(wanted, player.ship.free_holds)
        bought, _ = purchase(stop, commodity, units, player.credits, state.rules)
        return bought
