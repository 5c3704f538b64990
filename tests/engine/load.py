"""A trading galaxy for load tests: real regions, players crafted at ports with deep pockets.

Players are placed directly into the generated initial state (at a trading port, with large
credits, turns and holds, and the port's stock deepened), so a long run of real ``Trade``
commands through the real rules never runs out of anything. Used by the crash test worker and
the property test.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlane.domain.commands import Trade
from starlane.domain.data import PORT_CLASSES, Side
from starlane.domain.galaxy import generate_galaxy
from starlane.domain.model import Player, RegionState, Ship

RICH_CREDITS = 10**12
MANY_TURNS = 10**8
MANY_HOLDS = 10**8
DEEP_STOCK = 10**8


@dataclass(frozen=True, slots=True)
class Trader:
    """A crafted player and the trades it can repeat at its port."""

    player_id: int
    region_id: int
    buy: Trade
    sell: Trade


def trading_galaxy(
    seed: int, *, regions: int = 3, players_per_region: int = 10, now: float = 0.0
) -> tuple[dict[int, RegionState], list[Trader]]:
    """Generate a small galaxy and craft trading players into it.

    Args:
        seed: galaxy seed.
        regions: number of regions (at least 2: Terran Space and the Nexus).
        players_per_region: crafted players per region.
        now: unix seconds of the players' turn clocks.

    Returns:
        The initial states by region id, and the traders.
    """
    galaxy = generate_galaxy(
        seed, nexus_sectors=2000, player_region_sizes=(100,) * (regions - 2), opened_at=now
    )
    traders: list[Trader] = []
    next_id = 1
    for region_id, state in sorted(galaxy.regions.items()):
        ports = [
            p
            for p in state.ports.values()
            if not PORT_CLASSES[p.port_class].stardock
            and PORT_CLASSES[p.port_class].sells
            and PORT_CLASSES[p.port_class].buys
        ]
        for i in range(players_per_region):
            port = ports[i % len(ports)]
            spec = PORT_CLASSES[port.port_class]
            for stock in port.stock.values():
                stock.capacity = DEEP_STOCK
                stock.quantity = DEEP_STOCK / 2
            bought, sold = spec.sells[0], spec.buys[0]
            ship = Ship.new("cargo_hauler", f"Hauler {next_id}")
            ship.holds = MANY_HOLDS
            ship.cargo = {sold: MANY_HOLDS // 4}
            state.players[next_id] = Player(
                next_id,
                f"trader{next_id}",
                region_id,
                port.sector_id,
                RICH_CREDITS,
                MANY_TURNS,
                now,
                ship,
                joined_at=now,
            )
            traders.append(
                Trader(
                    next_id,
                    region_id,
                    Trade(next_id, port.id, bought, Side.BUY, 1),
                    Trade(next_id, port.id, sold, Side.SELL, 1),
                )
            )
            next_id += 1
    return galaxy.regions, traders
