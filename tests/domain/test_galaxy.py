"""Galaxy generation: shape of the warp graph, determinism, contents, ids and size bounds."""

from __future__ import annotations

import statistics
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starlane.domain.data import (
    DEFAULT_RULES,
    GENERATED_PORT_CLASS_WEIGHTS,
    PORT_CLASSES,
    REGION_KINDS,
    GameRules,
    RegionKind,
)
from starlane.domain.galaxy import (
    galaxy_fingerprint,
    generate_galaxy,
    generate_region,
    is_strongly_connected,
    region_fingerprint,
    region_seed,
)
from starlane.domain.galaxy_spec import GALAXY_SPEC
from starlane.domain.model import (
    Galaxy,
    RegionState,
)

SPEC = GALAXY_SPEC
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(min_value=-(2**63), max_value=2**63 - 2)
player_sizes = st.integers(min_value=100, max_value=1_500)


@pytest.fixture(scope="module")
def galaxy() -> Galaxy:
    """The default galaxy of one seed (Terran, a 3,000-sector Nexus, two player regions)."""
    return generate_galaxy(2002, opened_at=1_000.0)


def player_region(seed: int, size: int = 500) -> RegionState:
    return generate_region(3, RegionKind.PLAYER, size, 1_000, seed)


def arcs(state: RegionState) -> set[tuple[int, int]]:
    return {(s.id, w) for s in state.sectors.values() for w in s.warps}


# --- the warp graph ----------------------------------------------------------------------


@PROPERTY
@given(seed=seeds, size=player_sizes)
def test_player_region_is_strongly_connected_with_1_to_6_warps(seed: int, size: int) -> None:
    state = player_region(seed, size)
    assert is_strongly_connected(state)
    degrees = [len(s.warps) for s in state.sectors.values()]
    assert min(degrees) >= 1
    assert max(degrees) <= SPEC.warps.max_warps
    assert abs(statistics.mean(degrees) - SPEC.warps.mean_warps) < 0.1
    for sector in state.sectors.values():
        assert sector.id not in sector.warps
        assert len(set(sector.warps)) == len(sector.warps)
        assert all(w in state.sectors for w in sector.warps)


@settings(max_examples=4, deadline=None)
@given(seed=seeds)
def test_smallest_nexus_is_strongly_connected(seed: int) -> None:
    state = generate_region(2, RegionKind.NEXUS, 2_000, 301, seed)
    assert is_strongly_connected(state)
    assert len(state.sectors) == 2_000


@PROPERTY
@given(seed=seeds, size=st.integers(min_value=300, max_value=1_500))
def test_one_way_share_is_about_five_percent(seed: int, size: int) -> None:
    all_arcs = arcs(player_region(seed, size))
    one_way = [a for a in all_arcs if (a[1], a[0]) not in all_arcs]
    assert 0.03 <= len(one_way) / len(all_arcs) <= 0.07


def test_is_strongly_connected_detects_a_sector_that_cannot_be_left() -> None:
    state = player_region(5)
    assert is_strongly_connected(state)
    victim = state.sectors[1_010]
    victim.warps.clear()
    assert not is_strongly_connected(state)


def test_is_strongly_connected_detects_a_sector_that_cannot_be_reached() -> None:
    state = player_region(6)
    target = 1_020
    for sector in state.sectors.values():
        if target in sector.warps:
            sector.warps.remove(target)
    assert not is_strongly_connected(state)


# --- determinism -------------------------------------------------------------------------


@settings(max_examples=10, deadline=None)
@given(seed=seeds, size=st.integers(min_value=100, max_value=600))
def test_same_seed_and_size_give_the_same_region(seed: int, size: int) -> None:
    assert region_fingerprint(player_region(seed, size)) == region_fingerprint(
        player_region(seed, size)
    )


@settings(max_examples=10, deadline=None)
@given(seed=seeds)
def test_different_seeds_give_different_regions(seed: int) -> None:
    assert region_fingerprint(player_region(seed)) != region_fingerprint(player_region(seed + 1))


def test_same_galaxy_seed_gives_the_same_galaxy(galaxy: Galaxy) -> None:
    again = generate_galaxy(2002, opened_at=1_000.0)
    assert galaxy_fingerprint(again) == galaxy_fingerprint(galaxy)
    other = generate_galaxy(2003, opened_at=1_000.0)
    assert galaxy_fingerprint(other) != galaxy_fingerprint(galaxy)


def test_region_seeds_derive_from_the_galaxy_seed(galaxy: Galaxy) -> None:
    for region_id, state in galaxy.regions.items():
        assert state.region.seed == region_seed(2002, region_id)
    assert len({s.region.seed for s in galaxy.regions.values()}) == len(galaxy.regions)
    assert region_seed(2002, 3) == region_seed(2002, 3) != region_seed(2003, 3)


# --- contents ----------------------------------------------------------------------------


@settings(max_examples=10, deadline=None)
@given(seed=seeds, size=st.integers(min_value=400, max_value=1_500))
def test_shares_of_ports_planets_hazards(seed: int, size: int) -> None:
    state = player_region(seed, size)
    n = len(state.sectors)
    planet_sectors = sum(1 for s in state.sectors.values() if s.planet_ids)
    hazards = sum(1 for s in state.sectors.values() if s.hazard is not None)
    assert abs(len(state.ports) / n - 0.30) < 0.02
    assert abs(planet_sectors / n - 0.05) < 0.01
    assert abs(hazards / n - 0.10) < 0.01


def test_clusters_hold_about_25_neighbouring_sectors(galaxy: Galaxy) -> None:
    for state in galaxy.regions.values():
        sizes = Counter(s.cluster for s in state.sectors.values())
        assert abs(statistics.mean(sizes.values()) - SPEC.layout.cluster_size) <= 1
        assert max(sizes.values()) - min(sizes.values()) <= 1
        # members of a cluster are near each other: closer to their centroid than the region's
        for cluster in list(sizes)[:5]:
            members = [s for s in state.sectors.values() if s.cluster == cluster]
            cx = statistics.mean(s.x for s in members)
            cy = statistics.mean(s.y for s in members)
            cz = statistics.mean(s.z for s in members)
            spread = statistics.mean(
                ((s.x - cx) ** 2 + (s.y - cy) ** 2 + (s.z - cz) ** 2) ** 0.5 for s in members
            )
            assert spread < 4 * SPEC.layout.cluster_spread


def test_ports_are_stocked_from_the_rules(galaxy: Galaxy) -> None:
    lo, hi = DEFAULT_RULES.port_capacity_range
    stock_fill, demand_fill = DEFAULT_RULES.initial_fill
    for state in galaxy.regions.values():
        for port in state.ports.values():
            assert port.id == port.sector_id
            assert port.sector_id in state.sectors
            assert port.updated_at == 1_000.0
            assert port.credits == 0
            pc = PORT_CLASSES[port.port_class]
            assert set(port.stock) == set(pc.buys) | set(pc.sells)
            for key, holding in port.stock.items():
                assert lo <= holding.capacity <= hi
                fill = stock_fill if key in pc.sells else demand_fill
                assert holding.quantity == pytest.approx(holding.capacity * fill)
            if port.port_class not in (0, 9):
                assert port.port_class in GENERATED_PORT_CLASS_WEIGHTS


def test_port_capacities_and_fill_follow_custom_rules() -> None:
    rules = GameRules(port_capacity_range=(10, 20), initial_fill=(1.0, 0.25))
    state = generate_region(3, RegionKind.PLAYER, 100, 1, 9, rules=rules)
    assert state.rules is rules
    for port in state.ports.values():
        pc = PORT_CLASSES[port.port_class]
        for key, holding in port.stock.items():
            assert 10 <= holding.capacity <= 20
            expected = holding.capacity * (1.0 if key in pc.sells else 0.25)
            assert holding.quantity == pytest.approx(expected)


def test_planets_have_ids_kinds_and_names(galaxy: Galaxy) -> None:
    for state in galaxy.regions.values():
        for sector in state.sectors.values():
            for k, planet_id in enumerate(sector.planet_ids):
                assert planet_id == sector.id * 10 + k
                planet = state.planets[planet_id]
                assert planet.sector_id == sector.id
                assert planet.kind in "MLOKHUC"
                assert planet.name
        assert sum(len(s.planet_ids) for s in state.sectors.values()) == len(state.planets)


def test_pirates_match_piracy_levels(galaxy: Galaxy) -> None:
    p = SPEC.pirates
    for state in galaxy.regions.values():
        pirate_sectors = {pirate.sector_id for pirate in state.pirates.values()}
        for sector in state.sectors.values():
            assert 0 <= sector.piracy <= 5
            assert (sector.piracy > 0) == (sector.id in pirate_sectors)
        for pirate in state.pirates.values():
            level = state.sectors[pirate.sector_id].piracy
            assert pirate.id == pirate.sector_id * 10
            assert pirate.fighters == pirate.max_fighters == p.fighters_per_level * level
            assert pirate.shields == pirate.max_shields == p.shields_per_level * level
            assert pirate.hull == pirate.max_hull == p.hull_per_level * level
            lo, hi = p.credits_per_level
            assert level * lo <= pirate.credits <= level * hi
            assert pirate.destroyed_at is None


def test_every_entity_carries_its_region(galaxy: Galaxy) -> None:
    for region_id, state in galaxy.regions.items():
        assert state.region.id == region_id
        assert all(s.region_id == region_id for s in state.sectors.values())
        assert all(p.region_id == region_id for p in state.ports.values())
        assert all(p.region_id == region_id for p in state.planets.values())
        assert all(p.region_id == region_id for p in state.pirates.values())
        assert not state.players
        assert state.seq == 0


# --- ids, sizes, bounds ------------------------------------------------------------------


def test_sector_ids_are_global_and_consecutive(galaxy: Galaxy) -> None:
    expected_first = 1
    for region_id in sorted(galaxy.regions):
        state = galaxy.regions[region_id]
        region = state.region
        assert region.first_sector_id == expected_first
        ids = sorted(state.sectors)
        assert ids == list(range(expected_first, expected_first + region.sector_count))
        for sector in state.sectors.values():
            assert sector.number == sector.id - region.first_sector_id + 1
            assert galaxy.sector(sector.id) is sector
        expected_first += region.sector_count
    sizes = [galaxy.regions[r].region.sector_count for r in sorted(galaxy.regions)]
    assert sizes == [300, 3_000, 500, 500]
    assert [galaxy.regions[r].region.kind for r in sorted(galaxy.regions)] == [
        RegionKind.TERRAN,
        RegionKind.NEXUS,
        RegionKind.PLAYER,
        RegionKind.PLAYER,
    ]


def test_custom_galaxy_sizes() -> None:
    galaxy = generate_galaxy(1, nexus_sectors=2_000, player_region_sizes=(100, 1_500, 250))
    sizes = {rid: s.region.sector_count for rid, s in galaxy.regions.items()}
    assert sizes == {1: 300, 2: 2_000, 3: 100, 4: 1_500, 5: 250}
    assert galaxy.regions[5].region.first_sector_id == 300 + 2_000 + 100 + 1_500 + 1


@pytest.mark.parametrize(
    ("kind", "size"),
    [
        (RegionKind.PLAYER, 99),
        (RegionKind.PLAYER, 1_501),
        (RegionKind.NEXUS, 1_999),
        (RegionKind.NEXUS, 5_001),
        (RegionKind.TERRAN, 299),
        (RegionKind.TERRAN, 301),
    ],
)
def test_region_size_outside_its_kind_bounds_is_refused(kind: RegionKind, size: int) -> None:
    bounds = REGION_KINDS[kind]
    with pytest.raises(ValueError, match=f"{bounds.min_sectors:,}-{bounds.max_sectors:,} sectors"):
        generate_region(3, kind, size, 1, 1)


def test_galaxy_with_a_region_size_out_of_bounds_is_refused() -> None:
    with pytest.raises(ValueError, match="region 4: a player region has 100-1,500 sectors"):
        generate_galaxy(1, player_region_sizes=(500, 50))
    with pytest.raises(ValueError, match="a nexus region has 2,000-5,000 sectors, not 6,000"):
        generate_galaxy(1, nexus_sectors=6_000)


def test_region_and_sector_ids_below_one_are_refused() -> None:
    with pytest.raises(ValueError, match="must be >= 1"):
        generate_region(0, RegionKind.PLAYER, 100, 1, 1)
    with pytest.raises(ValueError, match="must be >= 1"):
        generate_region(3, RegionKind.PLAYER, 100, 0, 1)


@pytest.mark.parametrize("seed", [2**63, -(2**63) - 1])
def test_seed_outside_64_bits_is_refused(seed: int) -> None:
    with pytest.raises(ValueError, match="outside the signed 64-bit range"):
        generate_region(3, RegionKind.PLAYER, 100, 1, seed)
