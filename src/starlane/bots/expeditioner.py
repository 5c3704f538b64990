"""The ``expeditioner`` bot strategy: plans trade expeditions through the server and flies them.

It learns ports for free (a scan of each new sector shows the neighbours' ports), exploring
until it knows ``stops`` ports it can reach; then it asks the server to plan and save an
expedition to ``stops`` of them, picked at random (``POST /api/v1/expeditions``: the server
orders them and chooses the trades), and flies it leg by leg (``POST /expeditions/{id}/next``),
each leg as one committed run whose turns the runner saves first (the leg's projected turns,
:func:`leg_turns`). When the expedition is finished it plans the next one. A plan the server
refuses (``expedition_infeasible``...) sends it exploring for ``retry_after`` steps before it
asks again; a leg refused for anything but turns abandons that expedition.

The runner performs the two actions it adds, ``expedition`` and ``expedition_next``
(:func:`expedition_request`), and keeps the server's answer in ``BotMemory.expedition``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from starlane.bots.strategies import JSON, Action, BotMemory, explore

__all__ = ["EXPEDITION_ACTIONS", "Expeditioner", "expedition_request", "leg_turns"]

EXPEDITION_ACTIONS = ("expedition", "expedition_next")
"""The action kinds of this strategy (the runner performs them with :func:`expedition_request`)."""

API = "/api/v1/expeditions"


def expedition_request(action: Action) -> tuple[tuple[str, str], dict[str, Any]]:
    """The API request that performs an expedition action.

    Args:
        action: an ``expedition`` (args ``waypoints``) or ``expedition_next`` (args
            ``expedition_id``) action.

    Returns:
        ``((method, path), keyword arguments)`` for ``StarlaneClient.request``.

    Raises:
        ValueError: another kind of action.
    """
    if action.kind == "expedition":
        return ("POST", API), {"json": {"waypoints": list(action.args["waypoints"])}}
    if action.kind == "expedition_next":
        return ("POST", f"{API}/{int(action.args['expedition_id'])}/next"), {}
    raise ValueError(f"not an expedition action: {action.kind!r}")


def leg_turns(expedition: JSON | None) -> int:
    """The projected turns of an expedition's next leg (0 when there is none).

    Args:
        expedition: an ``ExpeditionOut`` document, or None.

    Returns:
        Turns.
    """
    if not expedition or expedition.get("status") == "finished":
        return 0
    legs = expedition.get("legs", [])
    n = int(expedition.get("next_leg", 0))
    return int(legs[n]["projected"]["turns"]) if n < len(legs) else 0


def _turns(me: JSON) -> int:
    turns = me.get("turns", 0)
    return int(turns["available"] if isinstance(turns, dict) else turns)


@dataclass(slots=True)
class Expeditioner:
    """Plans expeditions and flies them (see the module).

    Attributes:
        stops: waypoints of each expedition (2-10).
        min_turns: turns it wants before planning (a plan is free, flying is not).
        retry_after: exploring steps after a refused plan before asking again.
        planned: expeditions it asked the server to plan and save.
    """

    name: str = "expeditioner"
    stops: int = 4
    min_turns: int = 20
    retry_after: int = 10
    planned: int = 0
    _asked: bool = False
    _cooldown: int = 0

    def decide(self, me: JSON, sector: JSON, memory: BotMemory, rng: random.Random) -> Action:
        """The expeditioner's next action.

        Args:
            me: the ``/me`` document.
            sector: the current sector view.
            memory: the bot's memory (``memory.expedition``: the expedition in hand).
            rng: randomness (the waypoints, exploring).

        Returns:
            The action.
        """
        trip = memory.expedition
        if self._asked:
            self._asked = False
            if trip is None:  # the server refused the plan
                self._cooldown = self.retry_after
        if trip is not None and trip.get("status") != "finished":
            n = int(trip["next_leg"])
            leg = trip["legs"][n]
            return Action(
                "expedition_next",
                {"expedition_id": int(trip["id"])},
                f"leg {n + 1}/{len(trip['legs'])} to sector {leg['sector_id']}",
                committed=True,
            )
        here = int(sector["id"])
        if here not in memory.scanned:
            return Action("scan", {}, "learn the neighbours' ports (free)")
        known = sorted(
            sid
            for sid, view in memory.sectors.items()
            if view.get("port") and sid not in memory.unreachable
        )
        if self._cooldown > 0:
            self._cooldown -= 1
        elif len(known) >= self.stops and _turns(me) >= self.min_turns:
            memory.expedition = None
            self._asked = True
            self.planned += 1
            waypoints = rng.sample(known, self.stops)
            return Action("expedition", {"waypoints": waypoints}, "plan and save an expedition")
        if _turns(me) < 3:
            return Action("wait", {"seconds": 5.0}, "out of turns")
        return explore(sector, memory, rng)
