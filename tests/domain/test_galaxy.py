"""Galaxy generation: shape of the warp graph, contents, special sectors, gates, determinism."""

from __future__ import annotations

import statistics
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starlane.domain import codec
from starlane.domain.data import (
    DEFAULT_RULES,
    GENERATED_PORT_CLASS_WEIGHTS,
    NEXUS_DISTRICTS,
    PORT_CLASSES,
    REGION_KINDS,
    GameRules,
    RegionKind,
)
from starlane.domain.galaxy import (
    free_transit_terminal,
    galaxy_fingerprint,
    galaxy_summary,
    gate_sector_id,
    generate_galaxy,
    generate_region,
    is_strongly_connected,
    link_gate,
    region_fingerprint,
    region_seed,
)
from starlane.domain.galaxy_spec import GALAXY_SPEC
from starlane.domain.graph import hop_distances
from starlane.domain.model import (
    NEXUS_REGION_ID,
    SOL_SECTOR_ID,
    TERRAN_REGION_ID,
    Galaxy,
    GateLink,
    RegionState,
)

SPEC = GALAXY_SPEC
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(min_value=-(2**63), max_value=2**63)
player_sizes = st.integers(min_value=100, max_value=1_500)


@pytest.fixture(scope="module")
def galaxy() -> Galaxy:
    """The default galaxy of one seed (Terran, a 3,000-sector Nexus, two player regions)."""
    return generate_galaxy(2002, opened_at=1_000.0)


def player_region(seed: int, size: int = 500) -> RegionState:
    return generate_region(3, RegionKind.PLAYER, size, 1_000, seed)


def sector_hops(state: RegionState, source: int) -> dict[int, int]:
    ids = list(state.sectors)
    index = {sid: i for i, sid in enumerate(ids)}
    adjacency = [[index[w] for w in state.sectors[sid].warps] for sid in ids]
    return dict(zip(ids, hop_distances(adjacency, index[source]), strict=True))


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


# --- special sectors ---------------------------------------------------------------------


def test_terran_space_has_sol_a_nearby_stardock_and_no_pvp(galaxy: Galaxy) -> None:
    terran = galaxy.regions[TERRAN_REGION_ID]
    assert terran.region.name == "Terran Space"
    assert terran.region.policy.pvp is False
    assert terran.region.policy.tax_rate == DEFAULT_RULES.default_tax_rate
    assert terran.region.governor_id is None
    sol = terran.sectors[SOL_SECTOR_ID]
    assert sol.number == 1
    assert sol.hazard is None
    assert sol.piracy == 0
    assert terran.ports[SOL_SECTOR_ID].port_class == 0
    assert [terran.planets[p].name for p in sol.planet_ids] == [n for n, _ in SPEC.sol_planets]
    docks = [p for p in terran.ports.values() if p.port_class == 9]
    assert len(docks) == 1
    assert [p for p in terran.ports.values() if p.port_class == 0] == [terran.ports[1]]
    dock = terran.sectors[docks[0].sector_id]
    assert dock.hazard is None
    assert dock.piracy == 0
    lo, hi = SPEC.stardock_hops
    assert lo <= sector_hops(terran, SOL_SECTOR_ID)[dock.id] <= hi


def test_terran_pirates_are_weak_and_far_from_sol(galaxy: Galaxy) -> None:
    terran = galaxy.regions[TERRAN_REGION_ID]
    hops = sector_hops(terran, SOL_SECTOR_ID)
    levels = [s.piracy for s in terran.sectors.values() if s.piracy]
    assert levels, "new players need some pirates to hunt in Terran Space"
    assert max(levels) <= SPEC.terran_piracy.max_level
    median_hops = statistics.median(hops.values())
    for sector in terran.sectors.values():
        if sector.piracy:
            assert hops[sector.id] >= median_hops - 1


@settings(max_examples=5, deadline=None)
@given(seed=seeds)
def test_terran_space_layout_holds_for_any_seed(seed: int) -> None:
    terran = generate_region(1, RegionKind.TERRAN, 300, 1, seed)
    assert is_strongly_connected(terran)
    assert terran.ports[1].port_class == 0
    hops = sector_hops(terran, SOL_SECTOR_ID)
    docks = [p.sector_id for p in terran.ports.values() if p.port_class == 9]
    assert len(docks) == 1
    assert hops[docks[0]] <= SPEC.stardock_hops[1]
    assert gate_sector_id(terran) == 300


def test_nexus_districts_follow_their_shares(galaxy: Galaxy) -> None:
    nexus = galaxy.regions[NEXUS_REGION_ID]
    n = len(nexus.sectors)
    counts = Counter(s.district for s in nexus.sectors.values())
    assert set(counts) == {d.key for d in NEXUS_DISTRICTS}
    for district in NEXUS_DISTRICTS:
        assert abs(counts[district.key] - district.share * n) <= 1
    for state in galaxy.regions.values():
        if state.region.id != NEXUS_REGION_ID:
            assert all(s.district is None for s in state.sectors.values())


@settings(max_examples=3, deadline=None)
@given(size=st.integers(min_value=2_000, max_value=5_000))
def test_nexus_district_shares_hold_for_any_size(size: int) -> None:
    nexus = generate_region(2, RegionKind.NEXUS, size, 301, size)
    counts = Counter(s.district for s in nexus.sectors.values())
    for district in NEXUS_DISTRICTS:
        assert abs(counts[district.key] - district.share * size) <= 1


def test_nexus_commerce_hub_has_the_stardock_and_trade_docks(galaxy: Galaxy) -> None:
    nexus = galaxy.regions[NEXUS_REGION_ID]
    docks = [p for p in nexus.ports.values() if p.port_class == 9]
    assert len(docks) == 1
    assert nexus.sectors[docks[0].sector_id].district == "commerce_hub"

    def port_share(district: str) -> float:
        sectors = [s for s in nexus.sectors.values() if s.district == district]
        return sum(1 for s in sectors if s.id in nexus.ports) / len(sectors)

    assert port_share("commerce_hub") == pytest.approx(SPEC.hub_port_fraction, abs=0.01)
    assert port_share("open_space") < port_share("commerce_hub")
    assert abs(len(nexus.ports) / len(nexus.sectors) - SPEC.port_fraction) < 0.01


def test_nexus_piracy_is_highest_in_open_space(galaxy: Galaxy) -> None:
    nexus = galaxy.regions[NEXUS_REGION_ID]
    by_district: dict[str, list[int]] = {}
    for sector in nexus.sectors.values():
        assert sector.district is not None
        by_district.setdefault(sector.district, []).append(sector.piracy)
    open_space = by_district["open_space"]
    assert max(open_space) >= 4
    for calm in ("commerce_hub", "diplomatic_quarter", "transit_authority"):
        assert max(by_district[calm]) == 0
    for district, levels in by_district.items():
        if district != "open_space":
            assert statistics.mean(levels) < statistics.mean(open_space)
    for sector in nexus.sectors.values():
        if sector.district in SPEC.hazard_free_districts:
            assert sector.hazard is None


def test_player_regions_have_pirates_and_a_central_gate_sector(galaxy: Galaxy) -> None:
    for region_id in (3, 4):
        state = galaxy.regions[region_id]
        assert state.region.kind is RegionKind.PLAYER
        assert state.region.name
        assert state.region.policy.tax_rate == DEFAULT_RULES.default_tax_rate
        assert max(s.piracy for s in state.sectors.values()) >= 4
        gate = gate_sector_id(state)
        assert gate == state.region.first_sector_id
        assert state.sectors[gate].piracy == 0
        assert state.sectors[gate].hazard is None


def test_regions_do_not_overlap_in_space(galaxy: Galaxy) -> None:
    boxes = {}
    for rid, state in galaxy.regions.items():
        xs = [s.x for s in state.sectors.values()]
        ys = [s.y for s in state.sectors.values()]
        boxes[rid] = (min(xs), max(xs), min(ys), max(ys))
    for a in boxes:
        for b in boxes:
            if a < b:
                ax0, ax1, ay0, ay1 = boxes[a]
                bx0, bx1, by0, by1 = boxes[b]
                assert ax1 < bx0 or bx1 < ax0 or ay1 < by0 or by1 < ay0, (a, b)


# --- gates -------------------------------------------------------------------------------


def test_every_region_is_gated_both_ways_to_its_own_nexus_terminal(galaxy: Galaxy) -> None:
    nexus = galaxy.regions[NEXUS_REGION_ID]
    terminals = set()
    for region_id, state in galaxy.regions.items():
        if region_id == NEXUS_REGION_ID:
            continue
        gate_id = gate_sector_id(state)
        assert gate_id is not None
        gated = [s.id for s in state.sectors.values() if s.gate is not None]
        assert gated == [gate_id]
        link = state.sectors[gate_id].gate
        assert link is not None
        assert link.to_region_id == NEXUS_REGION_ID
        assert link.toll == 0
        assert link.owner_id is None
        terminal = nexus.sectors[link.to_sector_id]
        assert terminal.district == "transit_authority"
        assert terminal.gate is not None
        assert (terminal.gate.to_region_id, terminal.gate.to_sector_id) == (region_id, gate_id)
        terminals.add(terminal.id)
    assert len(terminals) == len(galaxy.regions) - 1
    assert sum(1 for s in nexus.sectors.values() if s.gate is not None) == len(terminals)
    assert gate_sector_id(nexus) is None


def test_link_gate_joins_a_new_region_to_a_free_terminal(galaxy: Galaxy) -> None:
    nexus = codec.copy_state(galaxy.regions[NEXUS_REGION_ID])
    taken = {s.id for s in nexus.sectors.values() if s.gate is not None}
    region = generate_region(9, RegionKind.PLAYER, 100, 10_000, 4, governor_id=77, name="Vega")
    assert region.region.governor_id == 77
    assert region.region.name == "Vega"
    terminal = free_transit_terminal(nexus)
    assert terminal not in taken
    gate = gate_sector_id(region)
    assert gate is not None
    link_gate(region, gate, nexus, terminal, toll=250, owner_id=None)
    assert region.sectors[gate].gate is not None
    assert region.sectors[gate].gate.to_sector_id == terminal
    back = nexus.sectors[terminal].gate
    assert back is not None
    assert (back.to_region_id, back.to_sector_id, back.toll) == (9, gate, 250)
    assert free_transit_terminal(nexus) != terminal


def test_link_gate_refusals(galaxy: Galaxy) -> None:
    a = player_region(1)
    b = generate_region(4, RegionKind.PLAYER, 100, 2_000, 2)
    with pytest.raises(ValueError, match="not region 3 to itself"):
        link_gate(a, 1_000, a, 1_001)
    with pytest.raises(ValueError, match="sector 5 is not in region 3"):
        link_gate(a, 5, b, 2_000)
    link_gate(a, 1_000, b, 2_000)
    with pytest.raises(ValueError, match="sector 1000 already holds a gate"):
        link_gate(a, 1_000, b, 2_001)
    with pytest.raises(ValueError, match="sector 2000 already holds a gate"):
        link_gate(a, 1_001, b, 2_000)


def test_free_transit_terminal_refusals(galaxy: Galaxy) -> None:
    with pytest.raises(ValueError, match="not the Central Nexus"):
        free_transit_terminal(galaxy.regions[TERRAN_REGION_ID])
    nexus = codec.copy_state(galaxy.regions[NEXUS_REGION_ID])
    for sector in nexus.sectors.values():
        if sector.district == "transit_authority" and sector.gate is None:
            sector.gate = GateLink(3, 1_000)
    with pytest.raises(ValueError, match="every transit-authority terminal"):
        free_transit_terminal(nexus)


# --- codec, summary, progress ------------------------------------------------------------


def test_generated_region_survives_the_snapshot_codec(galaxy: Galaxy) -> None:
    for state in galaxy.regions.values():
        data = codec.encode_state(state)
        back = codec.decode_state(data)
        assert back == state
        assert region_fingerprint(back) == region_fingerprint(state)


def test_galaxy_summary_reports_every_region(galaxy: Galaxy) -> None:
    summary = galaxy_summary(galaxy)
    assert summary["seed"] == 2002
    assert summary["fingerprint"] == galaxy_fingerprint(galaxy)
    assert summary["sectors"] == 300 + 3_000 + 500 + 500
    assert [r["id"] for r in summary["regions"]] == [1, 2, 3, 4]
    for row in summary["regions"]:
        state = galaxy.regions[row["id"]]
        assert row["strongly_connected"] is True
        assert row["sectors"] == len(state.sectors)
        assert row["ports"] == len(state.ports) == sum(row["ports_by_class"].values())
        assert row["planets"] == len(state.planets)
        assert row["pirates"] == len(state.pirates)
        assert row["warps"] == sum(len(s.warps) for s in state.sectors.values())
        assert 0 < row["one_way"] < row["warps"]
        assert row["min_degree"] >= 1
        assert row["max_degree"] <= 6
        assert row["clusters"] == len({s.cluster for s in state.sectors.values()})
    nexus_row = summary["regions"][1]
    assert len(nexus_row["gate_sectors"]) == 3
    assert sum(nexus_row["districts"].values()) == 3_000
    assert summary["regions"][0]["ports_by_class"]["0"] == 1


def test_progress_is_reported_after_each_region() -> None:
    calls: list[tuple[str, int, int]] = []
    generate_galaxy(
        3, nexus_sectors=2_000, player_region_sizes=(100,), progress=lambda *a: calls.append(a)
    )
    assert [(done, total) for _, done, total in calls] == [(1, 3), (2, 3), (3, 3)]
    assert calls[0][0] == "Terran Space"
    assert calls[1][0] == "Central Nexus"
