"""Filling a laid-out region with its contents: sectors, hazards, ports, planets, pirates.

:func:`starlane.domain.galaxy.generate_region` places the sectors, builds the warps and picks
the special sectors, then hands a :class:`RegionLayout` to :func:`populate_region`, which turns
sector indices into :class:`~starlane.domain.model.Sector` objects and adds everything else.
Shares, ranges and names come from :class:`~starlane.domain.galaxy_spec.GalaxySpec` and
``GameRules``; randomness from the ``numpy.random.Generator`` streams it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from starlane.domain.data import (
    GENERATED_PORT_CLASS_WEIGHTS,
    PORT_CLASSES,
    GameRules,
    RegionKind,
)
from starlane.domain.galaxy_spec import NO_PIRACY, GalaxySpec, PiracySpec
from starlane.domain.graph import Placement
from starlane.domain.model import Pirate, Planet, Port, PortStock, RegionState, Sector

SOL_PORT_CLASS = 0
STARDOCK_PORT_CLASS = 9
_ID_STRIDE = 10  # planet and pirate ids are sector_id * 10 + k


@dataclass(slots=True)
class RegionLayout:
    """A region's geometry and special sectors, by sector index (before ids are given).

    Attributes:
        kind: the region kind.
        warps: ``warps[i]`` = indices reachable from sector ``i`` in one move.
        placement: coordinates and clusters.
        ids: global sector id of each index.
        sol: index of Sol (Terran Space only).
        stardocks: indices of StarDocks.
        gate: index of the gate sector (not the Nexus).
        districts: Nexus district key of each index (Nexus only).
        hops_from_sol: warps from Sol to each index (Terran Space only).
    """

    kind: RegionKind
    warps: list[list[int]]
    placement: Placement
    ids: list[int] = field(default_factory=list)
    sol: int | None = None
    stardocks: list[int] = field(default_factory=list)
    gate: int | None = None
    districts: list[str] | None = None
    hops_from_sol: list[int] | None = None

    def specials(self) -> set[int]:
        """Indices of Sol, the StarDocks and the gate sector (kept free of hazards and pirates).

        Returns:
            The set of special indices.
        """
        return {i for i in (self.sol, self.gate, *self.stardocks) if i is not None}


def made_up_names(rng: np.random.Generator, count: int, spec: GalaxySpec) -> list[str]:
    """Pronounceable made-up names built from the spec's syllables.

    Args:
        rng: the random source.
        count: how many names.
        spec: generation numbers and word lists.

    Returns:
        ``count`` capitalised names of ``spec.name_syllables`` syllables.
    """
    lo, hi = spec.name_syllables
    lengths = rng.integers(lo, hi + 1, size=count).tolist()
    picks = rng.integers(len(spec.syllables), size=(count, hi)).tolist()
    syllables = spec.syllables
    return [
        "".join(syllables[s] for s in row[:length]).capitalize()
        for row, length in zip(picks, lengths, strict=True)
    ]


def _sample(rng: np.random.Generator, pool: list[int], count: int) -> list[int]:
    count = max(0, min(count, len(pool)))
    if count == 0:
        return []
    picked = rng.choice(len(pool), size=count, replace=False).tolist()
    return sorted(pool[i] for i in picked)


def _weighted(
    rng: np.random.Generator, values: list[int], weights: list[int], size: int
) -> list[int]:
    p = np.asarray(weights, dtype=np.float64)
    picks = rng.choice(len(values), size=size, p=p / p.sum()).tolist()
    return [values[i] for i in picks]


def populate_region(
    state: RegionState,
    layout: RegionLayout,
    rngs: list[np.random.Generator],
    *,
    opened_at: float,
    rules: GameRules,
    spec: GalaxySpec,
) -> None:
    """Create the region's sectors, hazards, ports, planets and pirates in ``state``.

    Args:
        state: the region state to fill (its ``region`` is set, its tables empty).
        layout: geometry and special sectors.
        rngs: three random streams: hazards, ports, planets and pirates.
        opened_at: unix seconds the region opens (the ports' ``updated_at``).
        rules: port capacity range and initial fill.
        spec: generation numbers and word lists.
    """
    rng_hazard, rng_ports, rng_life = rngs
    n = len(layout.ids)
    ids = layout.ids
    region_id = state.region.id
    special = layout.specials()
    districts = layout.districts
    # hazards
    calm = set(spec.hazard_free_districts)
    pool = [
        i for i in range(n) if i not in special and (districts is None or districts[i] not in calm)
    ]
    hazard_at = _sample(rng_hazard, pool, round(spec.hazard_fraction * n))
    kinds = [h for h, _ in spec.hazard_weights]
    hazard_kinds = _weighted(
        rng_hazard, list(range(len(kinds))), [w for _, w in spec.hazard_weights], len(hazard_at)
    )
    hazard = dict(zip(hazard_at, (kinds[k] for k in hazard_kinds), strict=True))
    # sectors, in id order
    xyz = layout.placement.xyz.tolist()
    cluster = layout.placement.cluster.tolist()
    first = state.region.first_sector_id
    order = sorted(range(n), key=ids.__getitem__)
    for i in order:
        x, y, z = xyz[i]
        state.sectors[ids[i]] = Sector(
            id=ids[i],
            region_id=region_id,
            number=ids[i] - first + 1,
            x=x,
            y=y,
            z=z,
            cluster=cluster[i],
            hazard=hazard.get(i),
            warps=sorted(ids[w] for w in layout.warps[i]),
            district=districts[i] if districts is not None else None,
        )
    _add_ports(state, layout, rng_ports, opened_at, rules, spec)
    _add_planets(state, layout, rng_life, spec)
    _add_pirates(state, layout, rng_life, spec)


def _add_ports(
    state: RegionState,
    layout: RegionLayout,
    rng: np.random.Generator,
    opened_at: float,
    rules: GameRules,
    spec: GalaxySpec,
) -> None:
    n = len(layout.ids)
    special = layout.specials()
    fixed: dict[int, tuple[int, str]] = {}
    if layout.sol is not None:
        fixed[layout.sol] = (SOL_PORT_CLASS, spec.sol_name)
    for i in layout.stardocks:
        fixed[i] = (
            STARDOCK_PORT_CLASS,
            f"{state.region.name} {PORT_CLASSES[STARDOCK_PORT_CLASS].name}",
        )
    wanted = max(0, round(spec.port_fraction * n) - len(fixed))
    pool = [i for i in range(n) if i not in special]
    if layout.districts is not None:
        hub = [i for i in pool if layout.districts[i] == spec.hub_district]
        rest = [i for i in pool if layout.districts[i] != spec.hub_district]
        hub_ports = min(wanted, round(spec.hub_port_fraction * len(hub)))
        chosen = _sample(rng, hub, hub_ports) + _sample(rng, rest, wanted - hub_ports)
    else:
        chosen = _sample(rng, pool, wanted)
    numbers = list(GENERATED_PORT_CLASS_WEIGHTS)
    classes = _weighted(
        rng, numbers, [GENERATED_PORT_CLASS_WEIGHTS[c] for c in numbers], len(chosen)
    )
    plan = {
        **{i: c for i, c in zip(chosen, classes, strict=True)},
        **{i: c for i, (c, _) in fixed.items()},
    }
    at = sorted(plan, key=layout.ids.__getitem__)
    names = made_up_names(rng, len(at), spec)
    suffixes = rng.integers(len(spec.port_suffixes), size=len(at)).tolist()
    width = max(len(p.buys) + len(p.sells) for p in PORT_CLASSES.values())
    lo, hi = rules.port_capacity_range
    capacities = rng.integers(lo, hi + 1, size=(len(at), width)).tolist()
    stock_fill, demand_fill = rules.initial_fill
    region_id = state.region.id
    for j, i in enumerate(at):
        port_class = PORT_CLASSES[plan[i]]
        caps = capacities[j]
        stock: dict[str, PortStock] = {}
        for k, key in enumerate(port_class.sells):
            stock[key] = PortStock(caps[k] * stock_fill, caps[k])
        for k, key in enumerate(port_class.buys, start=len(port_class.sells)):
            stock[key] = PortStock(caps[k] * demand_fill, caps[k])
        sector_id = layout.ids[i]
        name = fixed[i][1] if i in fixed else f"{names[j]} {spec.port_suffixes[suffixes[j]]}"
        state.ports[sector_id] = Port(
            id=sector_id,
            region_id=region_id,
            sector_id=sector_id,
            name=name,
            port_class=port_class.number,
            stock=stock,
            updated_at=opened_at,
        )


def _add_planets(
    state: RegionState, layout: RegionLayout, rng: np.random.Generator, spec: GalaxySpec
) -> None:
    n = len(layout.ids)
    special = layout.specials()
    region_id = state.region.id
    placed: list[tuple[int, list[tuple[str, str]]]] = []
    if layout.sol is not None:
        placed.append((layout.sol, list(spec.sol_planets)))
    pool = [i for i in range(n) if i not in special]
    chosen = _sample(rng, pool, round(spec.planet_fraction * n) - len(placed))
    counts = _weighted(
        rng,
        list(range(1, len(spec.planets_per_sector_weights) + 1)),
        list(spec.planets_per_sector_weights),
        len(chosen),
    )
    total = sum(counts)
    letters = [k for k, _ in spec.planet_kinds]
    kinds = _weighted(rng, list(range(len(letters))), [w for _, w in spec.planet_kinds], total)
    names = made_up_names(rng, total, spec)
    drawn = 0
    for i, count in zip(chosen, counts, strict=True):
        planets = [(names[drawn + k], letters[kinds[drawn + k]]) for k in range(count)]
        drawn += count
        placed.append((i, planets))
    for i, planets in sorted(placed, key=lambda item: layout.ids[item[0]]):
        sector = state.sectors[layout.ids[i]]
        for k, (name, kind) in enumerate(planets[:_ID_STRIDE]):
            planet_id = sector.id * _ID_STRIDE + k
            state.planets[planet_id] = Planet(planet_id, region_id, sector.id, name, kind)
            sector.planet_ids.append(planet_id)


def _piracy_specs(layout: RegionLayout, spec: GalaxySpec) -> list[PiracySpec]:
    n = len(layout.ids)
    if layout.kind is RegionKind.NEXUS and layout.districts is not None:
        specs = [spec.piracy_of_district(d) for d in layout.districts]
    elif layout.kind is RegionKind.TERRAN and layout.hops_from_sol is not None:
        hops = layout.hops_from_sol
        farthest = sorted(range(n), key=lambda i: (-hops[i], i))
        outer = set(farthest[: round(spec.terran_outer_fraction * n)])
        specs = [spec.terran_piracy if i in outer else NO_PIRACY for i in range(n)]
    else:
        specs = [spec.player_piracy] * n
    for i in layout.specials():
        specs[i] = NO_PIRACY
    return specs


def _add_pirates(
    state: RegionState, layout: RegionLayout, rng: np.random.Generator, spec: GalaxySpec
) -> None:
    n = len(layout.ids)
    specs = _piracy_specs(layout, spec)
    chance = rng.random(n).tolist()
    level_draw = rng.random(n).tolist()
    pirate_at = [i for i in range(n) if chance[i] < specs[i].chance and specs[i].max_level > 0]
    pirate_at.sort(key=layout.ids.__getitem__)
    names = made_up_names(rng, len(pirate_at), spec)
    titles = rng.integers(len(spec.pirates.titles), size=len(pirate_at)).tolist()
    credit_draw = rng.random(len(pirate_at)).tolist()
    p = spec.pirates
    region_id = state.region.id
    for j, i in enumerate(pirate_at):
        s = specs[i]
        level = s.min_level + min(
            s.max_level - s.min_level, int(level_draw[i] * (s.max_level - s.min_level + 1))
        )
        sector = state.sectors[layout.ids[i]]
        sector.piracy = level
        lo, hi = p.credits_per_level
        credits = level * (lo + int(credit_draw[j] * (hi - lo + 1)))
        fighters = p.fighters_per_level * level
        shields = p.shields_per_level * level
        hull = p.hull_per_level * level
        pirate_id = sector.id * _ID_STRIDE
        state.pirates[pirate_id] = Pirate(
            id=pirate_id,
            region_id=region_id,
            sector_id=sector.id,
            name=f"{p.titles[titles[j]]} {names[j]}",
            fighters=fighters,
            shields=shields,
            hull=hull,
            max_fighters=fighters,
            max_shields=shields,
            max_hull=hull,
            credits=min(credits, level * hi),
        )
