"""Benchmark the expedition planner: 8 waypoints over 3 regions, against brute force.

The galaxy is the default one (Terran Space of 300 sectors, a 3,000-sector Nexus, two player
regions of 500). A player in Terran Space with a 75-hold ship, 50,000 credits and some cargo
plans an expedition to 8 ports: 3 in Terran Space, 3 in region 3 and 2 in region 4 (every
route between regions crosses the Nexus through two gates). Measured, as medians, with the
workload and its baselines interleaved (ABBA) in one run:

- **plan**: :func:`~starlane.domain.expedition_market.plan_from_galaxy`, everything the
  ``POST /expeditions/plan`` route computes: the markets, the routes from 9 origins,
  tolls and risk, and the exact order (target: under 50 ms);
- **order**: :func:`~starlane.domain.expeditions.plan_expedition` alone on the same problem
  (the Held-Karp programme);
- **brute force** (the baseline): :func:`~starlane.domain.expeditions.brute_force`, every one
  of the 40,320 orders flown on paper.

It checks that the planner's order equals brute force's, and prints the figures and the
ratios. Run: ``.venv/bin/python benchmarks/bench_expedition_planner.py`` (``--quick``).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable

from starlane.domain.data import SHIP_TYPES
from starlane.domain.expedition_market import plan_from_galaxy
from starlane.domain.expeditions import Problem, brute_force, plan_expedition
from starlane.domain.galaxy import generate_galaxy
from starlane.domain.model import Player, RegionState, Ship

TARGET_MS = 50.0


def setup() -> tuple[dict[int, RegionState], Player, list[int]]:
    """The galaxy, the player and the 8 waypoints (deterministic)."""
    galaxy = generate_galaxy(2002, nexus_sectors=3_000, player_region_sizes=(500, 500))
    regions = galaxy.regions
    rng = random.Random(8)
    ports = {rid: sorted(st.ports) for rid, st in regions.items()}
    waypoints = rng.sample(ports[1], 3) + rng.sample(ports[3], 3) + rng.sample(ports[4], 2)
    ship_type = max(SHIP_TYPES, key=lambda k: SHIP_TYPES[k].holds)
    ship = Ship.new(ship_type, "Bench")
    ship.holds = 75
    ship.cargo = {"ore": 20, "organics": 10}
    start = sorted(regions[1].sectors)[0]
    player = Player(1, "bench", 1, start, 50_000, 2_000, 0.0, ship)
    return regions, player, waypoints


def median_ms(work: Callable[[], object], runs: int) -> float:
    """Median wall time of ``work()`` over ``runs`` runs, milliseconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000.0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures.

    Args:
        argv: command-line arguments (default: ``sys.argv``).

    Returns:
        0, or 1 when the plan misses its 50 ms target or disagrees with brute force.
    """
    parser = argparse.ArgumentParser(description="Time the expedition planner (8 waypoints).")
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of --rounds")
    parser.add_argument("--rounds", type=int, default=5, help="ABBA rounds (each 2 of each)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    rounds = 3 if args.quick else max(1, args.rounds)
    regions, player, waypoints = setup()
    now = 0.0
    rules = regions[1].rules
    holder: list[Problem] = []

    def plan() -> object:
        return plan_from_galaxy(regions, player, waypoints, None, now, rules)

    first = plan_from_galaxy(regions, player, waypoints, None, now, rules)
    # the same problem the planner solved, rebuilt for the order-only and brute-force runs
    from starlane.domain import expedition_market as em

    captured: list[Problem] = []
    original = em.plan_expedition

    def capture(problem: Problem) -> object:
        captured.append(problem)
        return original(problem)

    em.plan_expedition = capture  # type: ignore[assignment]
    try:
        plan()
    finally:
        em.plan_expedition = original
    holder.append(captured[0])
    problem = holder[0]
    reference = brute_force(problem)
    agree = (reference.order, reference.profit, reference.turns) == (
        first.plan.order,
        first.plan.profit,
        first.plan.turns,
    )
    plan_t: list[float] = []
    order_t: list[float] = []
    brute_t: list[float] = []
    for _ in range(rounds):  # ABBA: workload, baseline, baseline, workload
        plan_t.append(median_ms(plan, 3))
        order_t.append(median_ms(lambda: plan_expedition(problem), 3))
        brute_t.append(median_ms(lambda: brute_force(problem), 1))
        brute_t.append(median_ms(lambda: brute_force(problem), 1))
        order_t.append(median_ms(lambda: plan_expedition(problem), 3))
        plan_t.append(median_ms(plan, 3))
    plan_ms = statistics.median(plan_t)
    order_ms = statistics.median(order_t)
    brute_ms = statistics.median(brute_t)
    figures = {
        "waypoints": len(waypoints),
        "regions": sorted({regions_of(regions, w) for w in waypoints}),
        "plan_ms": round(plan_ms, 2),
        "order_ms": round(order_ms, 2),
        "brute_force_ms": round(brute_ms, 2),
        "brute_force_over_order": round(brute_ms / order_ms, 1),
        "brute_force_over_plan": round(brute_ms / plan_ms, 1),
        "agrees_with_brute_force": agree,
        "profit": first.plan.profit,
        "turns": first.plan.turns,
        "target_ms": TARGET_MS,
    }
    print(f"expedition planner, 8 waypoints over 3 regions, medians of {rounds} ABBA rounds")
    print(
        f"  plan (markets, routes from 9 origins, risk, exact order): {plan_ms:7.2f} ms"
        f"   (target < {TARGET_MS:.0f} ms)"
    )
    print(f"  order only (Held-Karp over subsets x last stop x cargo): {order_ms:7.2f} ms")
    print(
        f"  baseline, brute force over 40,320 orders: {brute_ms:9.2f} ms"
        f"   (ratio {figures['brute_force_over_order']}x the order, "
        f"{figures['brute_force_over_plan']}x the whole plan)"
    )
    print(
        f"  same order as brute force: {agree}; profit {first.plan.profit} credits,"
        f" {first.plan.turns} turns"
    )
    if args.json:
        print(json.dumps(figures))
    return 0 if plan_ms < TARGET_MS and agree else 1


def regions_of(regions: dict[int, RegionState], sector_id: int) -> int:
    """The region holding a sector."""
    for rid, st in regions.items():
        if sector_id in st.sectors:
            return rid
    raise KeyError(sector_id)


if __name__ == "__main__":
    raise SystemExit(main())
