"""Galaxy generation from a seed: Terran Space, the Central Nexus and player regions.

Same seed and parameters give an identical galaxy, byte for byte (checked by
:func:`galaxy_fingerprint`, a hash of every region's snapshot). A region is generated in four
steps, each with its own random stream split off the region seed:

1. sectors are placed in clusters and joined by warps (:mod:`starlane.domain.graph`): 1-6 warps
   per sector, mean about 3, about 5% one-way, strongly connected by construction (and checked);
2. the special sectors are chosen: in Terran Space, Sol (sector 1, class 0 port, the sector
   nearest the region's centre), a StarDock a few warps from Sol and the gate sector (the
   region's last sector); in the Nexus, the six districts (commerce hub at the centre, the other
   districts as wedges around it) and a StarDock at the hub's centre; in a player region, the
   gate sector (sector number 1, nearest the centre);
3. hazards, ports (classes by ``GENERATED_PORT_CLASS_WEIGHTS``, half-full), planets;
4. NPC piracy levels and one pirate per pirate sector.

Regions are then joined through warp gates: every region's gate sector to its own terminal in
the Nexus transit-authority district (:func:`link_gate`, :func:`free_transit_terminal`).
Sector ids are global: Terran Space holds 1..300, the Nexus follows, then each player region.
Summaries and fingerprints live in :mod:`starlane.domain.galaxy_report` (re-exported here).
Every number comes from :data:`~starlane.domain.galaxy_spec.GALAXY_SPEC` and ``GameRules``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence

import numpy as np

from starlane.domain.data import (
    DEFAULT_RULES,
    NEXUS_DISTRICTS,
    REGION_KINDS,
    GameRules,
    RegionKind,
)
from starlane.domain.galaxy_fill import RegionLayout, made_up_names, populate_region
from starlane.domain.galaxy_report import (
    galaxy_fingerprint,
    galaxy_summary,
    is_strongly_connected,
    region_fingerprint,
    region_summary,
)
from starlane.domain.galaxy_spec import GALAXY_SPEC, GalaxySpec
from starlane.domain.graph import FloatArray, build_warps, hop_distances, place_sectors
from starlane.domain.model import (
    FIRST_PLAYER_REGION_ID,
    NEXUS_REGION_ID,
    TERRAN_REGION_ID,
    Galaxy,
    GateLink,
    Region,
    RegionPolicy,
    RegionState,
)

__all__ = [
    "free_transit_terminal",
    "galaxy_fingerprint",
    "galaxy_summary",
    "gate_sector_id",
    "generate_galaxy",
    "generate_region",
    "is_strongly_connected",
    "link_gate",
    "region_fingerprint",
    "region_origin",
    "region_seed",
    "region_summary",
]

_STREAMS = 6  # random streams per region: layout, warps, specials, contents (3)


def region_seed(galaxy_seed: int, region_id: int) -> int:
    """The seed of one region, derived from the galaxy seed.

    Args:
        galaxy_seed: the galaxy's seed (any integer).
        region_id: the region's id.

    Returns:
        A non-negative 63-bit integer, stable across Python and numpy versions.
    """
    digest = hashlib.sha256(f"starlane:{galaxy_seed}:{region_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def region_origin(region_id: int, spec: GalaxySpec = GALAXY_SPEC) -> tuple[float, float, float]:
    """Where a region's disc is centred in galaxy coordinates.

    The Nexus sits at the centre; Terran Space and then the player regions (in id order) fill
    rings around it, ``spec.slot_spacing`` apart along each ring.

    Args:
        region_id: the region's id.
        spec: generation numbers.

    Returns:
        ``(x, y, z)`` in coordinate units.
    """
    if region_id == NEXUS_REGION_ID:
        return (0.0, 0.0, 0.0)
    slot = 0 if region_id == TERRAN_REGION_ID else region_id - FIRST_PLAYER_REGION_ID + 1
    ring_radius = spec.ring_radius
    while True:
        slots = max(1, int(2.0 * math.pi * ring_radius / spec.slot_spacing))
        if slot < slots:
            angle = 2.0 * math.pi * slot / slots
            return (
                round(ring_radius * math.cos(angle), 3),
                round(ring_radius * math.sin(angle), 3),
                0.0,
            )
        slot -= slots
        ring_radius += spec.ring_step


def _rngs(seed: int) -> list[np.random.Generator]:
    entropy = int.from_bytes(hashlib.sha256(f"region:{seed}".encode()).digest(), "big")
    children = np.random.SeedSequence(entropy).spawn(_STREAMS)
    return [np.random.default_rng(child) for child in children]


def _nearest_to(xyz: FloatArray, point: tuple[float, float, float]) -> int:
    dx = xyz[:, 0] - point[0]
    dy = xyz[:, 1] - point[1]
    dz = xyz[:, 2] - point[2]
    return int(np.argmin(dx * dx + dy * dy + dz * dz))


def _pick_by_hops(
    rng: np.random.Generator, hops: list[int], lo: int, hi: int, exclude: set[int]
) -> int:
    choices = [i for i, h in enumerate(hops) if lo <= h <= hi and i not in exclude]
    if not choices:  # a tiny or stringy region: take the farthest sector within reach
        choices = [max((i for i in range(len(hops)) if i not in exclude), key=lambda i: hops[i])]
    return choices[int(rng.integers(len(choices)))]


def _districts(xyz: FloatArray, origin: tuple[float, float, float], spec: GalaxySpec) -> list[str]:
    """Nexus districts: the hub nearest the centre, the others as wedges around it by share."""
    n = len(xyz)
    counts = [int(d.share * n) for d in NEXUS_DISTRICTS]
    remainders = sorted(
        range(len(counts)), key=lambda i: (-(NEXUS_DISTRICTS[i].share * n - counts[i]), i)
    )
    for i in remainders[: n - sum(counts)]:
        counts[i] += 1
    count_of = {d.key: c for d, c in zip(NEXUS_DISTRICTS, counts, strict=True)}
    dx = xyz[:, 0] - origin[0]
    dy = xyz[:, 1] - origin[1]
    dz = xyz[:, 2] - origin[2]
    by_distance = np.lexsort((np.arange(n), dx * dx + dy * dy + dz * dz))
    hub_count = count_of.get(spec.hub_district, 0)
    district = [spec.hub_district] * n
    rest = by_distance[hub_count:]
    angle = np.arctan2(dy[rest], dx[rest])
    by_angle = rest[np.lexsort((rest, angle))].tolist()
    start = 0
    for d in NEXUS_DISTRICTS:
        if d.key == spec.hub_district:
            continue
        for i in by_angle[start : start + count_of[d.key]]:
            district[i] = d.key
        start += count_of[d.key]
    return district


def generate_region(
    region_id: int,
    kind: RegionKind,
    sector_count: int,
    first_sector_id: int,
    seed: int,
    *,
    name: str | None = None,
    governor_id: int | None = None,
    opened_at: float = 0.0,
    rules: GameRules = DEFAULT_RULES,
    spec: GalaxySpec = GALAXY_SPEC,
) -> RegionState:
    """Generate one region's initial state (no players, ``seq`` 0).

    Args:
        region_id: the region's id (1 Terran Space, 2 Central Nexus, 3.. player regions).
        kind: the region kind; its size bounds are in ``REGION_KINDS``.
        sector_count: number of sectors.
        first_sector_id: global id of the region's sector number 1.
        seed: the region seed (:func:`region_seed` derives it from a galaxy seed).
        name: display name; default by kind (a made-up name for a player region).
        governor_id: the governing player, None for the platform's regions.
        opened_at: unix seconds the region opens (also the ports' ``updated_at``).
        rules: the rule numbers (port capacities and fill, the platform tax).
        spec: generation numbers.

    Returns:
        The region's state; its gate sector (:func:`gate_sector_id`) is not linked yet.

    Raises:
        ValueError: ``sector_count`` outside the kind's bounds, a region or first sector id
            below 1, or a seed outside the signed 64-bit range (it is stored with the region).
    """
    bounds = REGION_KINDS[kind]
    if not bounds.min_sectors <= sector_count <= bounds.max_sectors:
        raise ValueError(
            f"a {kind.value} region has {bounds.min_sectors:,}-{bounds.max_sectors:,} sectors, "
            f"not {sector_count:,}"
        )
    if region_id < 1 or first_sector_id < 1:
        raise ValueError(
            f"region id {region_id} and first sector id {first_sector_id} must be >= 1"
        )
    if not -(2**63) <= seed < 2**63:
        raise ValueError(f"region seed {seed} is outside the signed 64-bit range")
    rng_layout, rng_warps, rng_special, *rng_fill = _rngs(seed)
    origin = region_origin(region_id, spec)
    placement = place_sectors(rng_layout, sector_count, origin, spec.layout)
    warps = build_warps(rng_warps, placement, spec.warps)
    n = sector_count
    position = list(range(n))  # sector index -> number - 1

    def move_to(index: int, number0: int) -> None:
        other = position.index(number0)
        position[index], position[other] = number0, position[index]

    layout = RegionLayout(kind=kind, warps=warps, placement=placement)
    centre = _nearest_to(placement.xyz, origin)
    if kind is RegionKind.TERRAN:
        hops = hop_distances(warps, centre)
        lo, hi = spec.stardock_hops
        layout.stardocks = [_pick_by_hops(rng_special, hops, lo, hi, {centre})]
        lo, hi = spec.terran_gate_hops
        layout.gate = _pick_by_hops(rng_special, hops, lo, hi, {centre, *layout.stardocks})
        layout.sol = centre
        layout.hops_from_sol = hops
        move_to(centre, 0)
        move_to(layout.gate, n - 1)
    elif kind is RegionKind.NEXUS:
        layout.districts = _districts(placement.xyz, origin, spec)
        layout.stardocks = [centre]  # the commerce hub is the sectors nearest the centre
    else:
        layout.gate = centre
        move_to(centre, 0)
    layout.ids = [first_sector_id + p for p in position]
    state = RegionState(
        region=Region(
            id=region_id,
            kind=kind,
            name=name if name is not None else _default_name(kind, rng_special, spec),
            description="",
            governor_id=governor_id,
            first_sector_id=first_sector_id,
            sector_count=n,
            seed=seed,
            policy=RegionPolicy(
                tax_rate=rules.default_tax_rate,
                pvp=spec.pvp_default(kind) and bounds.pvp_allowed,
            ),
            opened_at=opened_at,
        ),
        rules=rules,
    )
    populate_region(state, layout, rng_fill, opened_at=opened_at, rules=rules, spec=spec)
    return state


def _default_name(kind: RegionKind, rng: np.random.Generator, spec: GalaxySpec) -> str:
    fixed = dict(spec.region_names).get(kind)
    if fixed is not None:
        return fixed
    word = made_up_names(rng, 1, spec)[0]
    suffix = spec.player_region_suffixes[int(rng.integers(len(spec.player_region_suffixes)))]
    return f"{word} {suffix}"


def gate_sector_id(state: RegionState) -> int | None:
    """The sector of a region where its gate to the Nexus stands (or is to stand).

    Args:
        state: a region's state.

    Returns:
        The last sector of Terran Space, sector number 1 of a player region; None for the
        Nexus (its gates are the transit-authority terminals, :func:`free_transit_terminal`).
    """
    region = state.region
    if region.kind is RegionKind.NEXUS:
        return None
    if region.kind is RegionKind.TERRAN:
        return region.first_sector_id + region.sector_count - 1
    return region.first_sector_id


def free_transit_terminal(nexus: RegionState, spec: GalaxySpec = GALAXY_SPEC) -> int:
    """The next free gate terminal of the Nexus transit authority.

    Args:
        nexus: the Central Nexus state.
        spec: generation numbers (which district holds the terminals).

    Returns:
        The lowest-id transit-authority sector without a gate.

    Raises:
        ValueError: the state is not a Nexus, or every terminal is taken.
    """
    if nexus.region.kind is not RegionKind.NEXUS:
        raise ValueError(f"region {nexus.region.id} is not the Central Nexus")
    for sector_id in sorted(nexus.sectors):
        sector = nexus.sectors[sector_id]
        if sector.district == spec.transit_district and sector.gate is None:
            return sector_id
    raise ValueError("every transit-authority terminal of the Nexus already holds a gate")


def link_gate(
    a: RegionState,
    a_sector_id: int,
    b: RegionState,
    b_sector_id: int,
    *,
    toll: int = 0,
    owner_id: int | None = None,
) -> None:
    """Stand a warp gate between two sectors of two regions, usable both ways.

    Args:
        a: one region's state.
        a_sector_id: the gate's sector in ``a``.
        b: the other region's state.
        b_sector_id: the gate's sector in ``b``.
        toll: credits charged on passage, both ways (0 for the platform's network).
        owner_id: the player who built it, None for the platform's network.

    Raises:
        ValueError: the same region twice, a sector not in its region, or a sector that
            already holds a gate.
    """
    if a.region.id == b.region.id:
        raise ValueError(f"a gate joins two regions, not region {a.region.id} to itself")
    for state, sector_id in ((a, a_sector_id), (b, b_sector_id)):
        sector = state.sectors.get(sector_id)
        if sector is None:
            raise ValueError(f"sector {sector_id} is not in region {state.region.id}")
        if sector.gate is not None:
            raise ValueError(f"sector {sector_id} already holds a gate")
    a.sectors[a_sector_id].gate = GateLink(b.region.id, b_sector_id, toll, owner_id)
    b.sectors[b_sector_id].gate = GateLink(a.region.id, a_sector_id, toll, owner_id)


def generate_galaxy(
    seed: int,
    *,
    nexus_sectors: int = REGION_KINDS[RegionKind.NEXUS].default_sectors,
    player_region_sizes: Sequence[int] = (500, 500),
    opened_at: float = 0.0,
    rules: GameRules = DEFAULT_RULES,
    progress: Callable[[str, int, int], None] | None = None,
) -> Galaxy:
    """Generate the whole galaxy: Terran Space, the Central Nexus, player regions, their gates.

    Args:
        seed: the galaxy seed (region seeds derive from it, :func:`region_seed`).
        nexus_sectors: sectors of the Central Nexus (2,000-5,000).
        player_region_sizes: sectors of each player region (100-1,500 each), ids 3, 4, ...
        opened_at: unix seconds the galaxy opens.
        rules: the rule numbers.
        progress: called as ``progress(step_name, done, total)`` after each region.

    Returns:
        The galaxy; every region's gate sector is linked to its own Nexus terminal.

    Raises:
        ValueError: a size outside its kind's bounds.
    """
    plan: list[tuple[int, RegionKind, int]] = [
        (TERRAN_REGION_ID, RegionKind.TERRAN, REGION_KINDS[RegionKind.TERRAN].default_sectors),
        (NEXUS_REGION_ID, RegionKind.NEXUS, nexus_sectors),
    ]
    plan += [
        (FIRST_PLAYER_REGION_ID + i, RegionKind.PLAYER, size)
        for i, size in enumerate(player_region_sizes)
    ]
    for region_id, kind, size in plan:  # refuse before spending time on any region
        bounds = REGION_KINDS[kind]
        if not bounds.min_sectors <= size <= bounds.max_sectors:
            raise ValueError(
                f"region {region_id}: a {kind.value} region has "
                f"{bounds.min_sectors:,}-{bounds.max_sectors:,} sectors, not {size:,}"
            )
    galaxy = Galaxy(seed=seed)
    first = 1
    for done, (region_id, kind, size) in enumerate(plan, start=1):
        state = generate_region(
            region_id,
            kind,
            size,
            first,
            region_seed(seed, region_id),
            opened_at=opened_at,
            rules=rules,
        )
        galaxy.regions[region_id] = state
        first += size
        if progress is not None:
            progress(state.region.name, done, len(plan))
    nexus = galaxy.regions[NEXUS_REGION_ID]
    for region_id, state in galaxy.regions.items():
        if region_id == NEXUS_REGION_ID:
            continue
        gate = gate_sector_id(state)
        assert gate is not None
        link_gate(state, gate, nexus, free_transit_terminal(nexus))
    return galaxy
