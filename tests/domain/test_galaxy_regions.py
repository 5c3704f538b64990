"""Galaxy generation: special sectors (Sol, StarDocks, districts, gate sectors), gates, reports."""

from __future__ import annotations

import statistics
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlane.domain import codec
from starlane.domain.data import (
    DEFAULT_RULES,
    NEXUS_DISTRICTS,
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
seeds = st.integers(min_value=-(2**63), max_value=2**63 - 1)


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
