"""First start of a server: generate the galaxy and store it as the regions' initial snapshots.

The galaxy is generated once, from a seed, and never regenerated: every later start recovers
the regions from the store. :func:`ensure_galaxy` writes one catalogue row and one snapshot at
seq 0 per region; the region engines then start from those snapshots like after any restart.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from starlane.domain.codec import encode_state
from starlane.domain.data import DEFAULT_RULES, GameRules
from starlane.store.catalogue import RegionRow
from starlane.store.ports import EventStore

_log = structlog.get_logger("starlane.engine.bootstrap")

Progress = Callable[[str, int, int], None]


async def ensure_galaxy(
    store: EventStore,
    *,
    seed: int,
    nexus_sectors: int,
    player_regions: int,
    region_sectors: int,
    now: float,
    progress: Progress | None = None,
    rules: GameRules = DEFAULT_RULES,
) -> bool:
    """Generate and store the galaxy unless the catalogue already holds one.

    Args:
        store: the event store (catalogue and snapshots).
        seed: the galaxy seed.
        nexus_sectors: sectors of the Central Nexus.
        player_regions: number of player regions to generate.
        region_sectors: sectors of each player region.
        now: unix seconds, the regions' opening time.
        progress: called with ``(step, done, total)`` while generating and storing.
        rules: the rule numbers in force.

    Returns:
        True if a galaxy was created, False if the catalogue already had regions.
    """
    if await store.list_regions():
        return False
    from starlane.domain.galaxy import generate_galaxy

    galaxy = generate_galaxy(
        seed,
        nexus_sectors=nexus_sectors,
        player_region_sizes=tuple([region_sectors] * player_regions),
        opened_at=now,
        rules=rules,
        progress=progress,
    )
    total = len(galaxy.regions)
    ordered = sorted(galaxy.regions)
    # Snapshots first, then the catalogue: a region is listed only once its state is stored.
    for done, region_id in enumerate(ordered, start=1):
        await store.save_snapshot(region_id, 0, encode_state(galaxy.regions[region_id]))
        if progress is not None:
            progress("store snapshots", done, total)
    # One transaction for the whole catalogue: an interrupted first start leaves no partial
    # galaxy behind (the orphan snapshots are overwritten by the next attempt).
    rows = []
    for region_id in ordered:
        region = galaxy.regions[region_id].region
        rows.append(
            RegionRow(
                id=region_id,
                kind=str(region.kind),
                name=region.name,
                seed=region.seed,
                sector_count=region.sector_count,
                first_sector_id=region.first_sector_id,
                created_at=now,
                params={"galaxy_seed": seed},
            )
        )
    await store.add_regions(rows)
    _log.info("galaxy.created", seed=seed, regions=total)
    return True
