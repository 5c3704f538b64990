"""The ``crossing`` bot strategy: trades in one region for a while, then crosses a gate into
another region and trades there.

It trades as a :class:`~starlane.bots.strategies.Trader` does. After ``stay`` actions in a
region it heads for a gate: through the one in its sector when the gate's destination admits
everyone (``open``) and the toll is at most ``max_toll_share`` of its credits; else along the
warps it knows to a sector where it has seen a gate; else it explores until it finds one. Its
memory of ports is kept across regions (sector and port ids are global). It heads for a gate
only with an empty hold: a haul is sold before it leaves, so it never holds cargo for long.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from starlane.bots.strategies import (
    JSON,
    Action,
    BotMemory,
    Trader,
    explore,
    path_to,
    travel_to,
)

__all__ = ["Crosser"]


def _turns(me: JSON) -> int:
    turns = me.get("turns", 0)
    return int(turns["available"] if isinstance(turns, dict) else turns)


@dataclass(slots=True)
class Crosser:
    """Trades, then crosses into another region (see the module).

    Attributes:
        stay: actions in a region before heading for a gate.
        max_toll_share: the largest share of its credits it pays as a toll (0-1).
        trader: how it trades in a region.
        steps: actions since it last crossed.
        crossings: gates it has passed.
    """

    name: str = "crossing"
    stay: int = 25
    max_toll_share: float = 0.1
    trader: Trader = field(default_factory=Trader)
    steps: int = 0
    crossings: int = 0

    def decide(self, me: JSON, sector: JSON, memory: BotMemory, rng: random.Random) -> Action:
        """The next action.

        Args:
            me: the ``/me`` document.
            sector: the current sector view.
            memory: the bot's memory.
            rng: randomness for tie-breaking.

        Returns:
            The action: a gate passage (a ``move`` to the sector across the gate), a trip
            toward a known gate, exploration, or what a trader would do.
        """
        carrying = any(int(v) > 0 for v in me.get("ship", {}).get("cargo", {}).values())
        if carrying:  # a haul is flown to its sale first: cargo is never carried to a gate
            return self.trader.decide(me, sector, memory, rng)
        if _turns(me) < 5:
            return Action("wait", {"seconds": 5.0}, "out of turns")
        self.steps += 1
        if self.steps < self.stay:
            return self.trader.decide(me, sector, memory, rng)
        gate = sector.get("gate")
        if gate is not None and self._worth(gate, me):
            self.steps = 0
            self.crossings += 1
            name = gate.get("to_region_name") or f"region {gate['to_region_id']}"
            return Action(
                "move",
                {"to_sector_id": int(gate["to_sector_id"])},
                f"cross to {name} (toll {gate.get('toll', 0)})",
            )
        here = int(sector["id"])
        region_id = sector.get("region_id")
        path = path_to(memory, here, lambda s: self._gate_in(memory, s, region_id, me, here))
        if path:
            return travel_to(sector, memory, path[-1])
        return explore(sector, memory, rng)

    def _worth(self, gate: JSON, me: JSON) -> bool:
        if gate.get("immigration") not in (None, "open"):
            return False
        return int(gate.get("toll", 0)) <= int(me.get("credits", 0)) * self.max_toll_share

    def _gate_in(
        self, memory: BotMemory, sector_id: int, region_id: object, me: JSON, here: int
    ) -> bool:
        if sector_id == here:
            return False
        seen = memory.sectors.get(sector_id)
        if seen is None or seen.get("region_id") != region_id:
            return False
        gate = seen.get("gate")
        return gate is not None and self._worth(gate, me)
