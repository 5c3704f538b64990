"""Benchmark galaxy generation against building as many bare ``Sector`` objects.

Measures, as the median of several runs:

- a 5,000-sector region (a Central Nexus of the largest size; target: well under 1 s),
- the full default galaxy (Terran Space + a 3,000-sector Nexus + 4 player regions of 500),
- as the baseline, in the same run: constructing as many bare ``Sector`` objects (no warps,
  no contents), the least any generator must do,

and prints the figures and the ratio of each to its baseline.

Run: ``.venv/bin/python benchmarks/bench_galaxy.py`` (``--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from starlane.domain.data import RegionKind
from starlane.domain.galaxy import generate_galaxy, generate_region, is_strongly_connected
from starlane.domain.model import Sector

REGION_SECTORS = 5_000
GALAXY_PLAYER_REGIONS = (500, 500, 500, 500)
GALAXY_SECTORS = 300 + 3_000 + sum(GALAXY_PLAYER_REGIONS)
TARGET_REGION_SECONDS = 1.0


def bare_sectors(count: int) -> list[Sector]:
    """The baseline: ``count`` Sector objects with coordinates and nothing else.

    Args:
        count: number of sectors.

    Returns:
        The sectors.
    """
    return [Sector(i + 1, 2, i + 1, float(i), 0.0, 0.0, i // 25) for i in range(count)]


def median_seconds(work: Callable[[int], object], runs: int) -> float:
    """Median wall time of ``work(run_index)`` over ``runs`` runs, seconds.

    Args:
        work: the measured call; it gets the run index (used as a seed).
        runs: number of runs.

    Returns:
        The median duration in seconds.
    """
    times = []
    for run in range(runs):
        started = time.perf_counter()
        work(run)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures.

    Args:
        argv: command-line arguments (default: ``sys.argv``).

    Returns:
        0, or 1 when the 5,000-sector region misses its 1 s target.
    """
    parser = argparse.ArgumentParser(
        description="Time galaxy generation against building as many bare Sector objects."
    )
    parser.add_argument("--quick", action="store_true", help="3 runs instead of --runs")
    parser.add_argument("--runs", type=int, default=9, help="runs per measurement (median)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    runs = 3 if args.quick else max(1, args.runs)

    generate_region(2, RegionKind.NEXUS, 2_000, 301, 0)  # warm up imports and caches
    region_s = median_seconds(
        lambda seed: generate_region(2, RegionKind.NEXUS, REGION_SECTORS, 301, seed), runs
    )
    region_base = median_seconds(lambda _: bare_sectors(REGION_SECTORS), runs)
    galaxy_s = median_seconds(
        lambda seed: generate_galaxy(seed, player_region_sizes=GALAXY_PLAYER_REGIONS), runs
    )
    galaxy_base = median_seconds(lambda _: bare_sectors(GALAXY_SECTORS), runs)
    region = generate_region(2, RegionKind.NEXUS, REGION_SECTORS, 301, 1)
    check_s = median_seconds(lambda _: is_strongly_connected(region), runs)

    figures = {
        "runs": runs,
        "region_sectors": REGION_SECTORS,
        "region_seconds": round(region_s, 4),
        "region_baseline_seconds": round(region_base, 4),
        "region_ratio": round(region_s / region_base, 1),
        "galaxy_sectors": GALAXY_SECTORS,
        "galaxy_seconds": round(galaxy_s, 4),
        "galaxy_baseline_seconds": round(galaxy_base, 4),
        "galaxy_ratio": round(galaxy_s / galaxy_base, 1),
        "connectivity_check_seconds": round(check_s, 4),
        "region_target_seconds": TARGET_REGION_SECONDS,
    }
    print(f"galaxy generation, median of {runs} runs")
    print(
        f"  {REGION_SECTORS:,}-sector region : {region_s * 1000:8.1f} ms"
        f"   (bare Sector objects {region_base * 1000:6.1f} ms, ratio {figures['region_ratio']}x;"
        f" target < {TARGET_REGION_SECONDS * 1000:.0f} ms)"
    )
    print(
        f"  default galaxy ({GALAXY_SECTORS:,} sectors): {galaxy_s * 1000:8.1f} ms"
        f"   (bare Sector objects {galaxy_base * 1000:6.1f} ms, ratio {figures['galaxy_ratio']}x)"
    )
    print(f"  strong-connectivity check of the region: {check_s * 1000:.1f} ms")
    if args.json:
        print(json.dumps(figures))
    return 0 if region_s < TARGET_REGION_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
