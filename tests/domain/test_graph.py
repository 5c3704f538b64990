"""The warp-graph helpers (placement, candidates, warps, connectivity, hops) and the spec."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlane.domain.data import DataTableError
from starlane.domain.galaxy_spec import GALAXY_SPEC, PiracySpec
from starlane.domain.graph import (
    DEFAULT_LAYOUT,
    LayoutSpec,
    WarpSpec,
    build_warps,
    candidate_edges,
    disc_radius,
    hop_distances,
    place_sectors,
    strongly_connected,
)


def test_strongly_connected_on_small_hand_made_graphs() -> None:
    assert strongly_connected([])
    assert strongly_connected([[]])
    assert strongly_connected([[1], [2], [0]])  # a one-way ring
    assert not strongly_connected([[1], [2], []])  # a one-way path
    assert not strongly_connected([[1], [0], [0]])  # sector 2 is never reached
    assert not strongly_connected([[1], [0], [3], [2]])  # two islands


def test_hop_distances_follow_one_way_warps() -> None:
    warps = [[1], [2], [0, 3], []]
    assert hop_distances(warps, 0) == [0, 1, 2, 3]
    assert hop_distances(warps, 3) == [-1, -1, -1, 0]


def test_place_sectors_fills_contiguous_clusters_inside_the_disc() -> None:
    origin = (100.0, -50.0, 3.0)
    placement = place_sectors(np.random.default_rng(1), 1_003, origin)
    assert placement.xyz.shape == (1_003, 3)
    assert int(placement.sizes.sum()) == 1_003
    assert placement.sizes.max() - placement.sizes.min() <= 1
    for c, (start, size) in enumerate(zip(placement.starts, placement.sizes, strict=True)):
        assert set(placement.cluster[start : start + size].tolist()) == {c}
    r = np.hypot(placement.xyz[:, 0] - origin[0], placement.xyz[:, 1] - origin[1])
    assert float(np.median(r)) < placement.radius
    assert placement.radius == pytest.approx(disc_radius(1_003))


def test_disc_radius_gives_the_layout_density() -> None:
    n = 5_000
    r = disc_radius(n, DEFAULT_LAYOUT)
    volume = 2 * math.pi * DEFAULT_LAYOUT.disc_flatness * r**3
    assert n / volume == pytest.approx(DEFAULT_LAYOUT.sector_density)


def test_candidate_edges_are_unique_ordered_and_shortest_first() -> None:
    placement = place_sectors(np.random.default_rng(2), 800, (0.0, 0.0, 0.0))
    edges = candidate_edges(placement)
    assert edges.shape[1] == 2
    assert bool(np.all(edges[:, 0] < edges[:, 1]))
    assert len({(int(u), int(v)) for u, v in edges}) == len(edges)
    d = np.linalg.norm(placement.xyz[edges[:, 0]] - placement.xyz[edges[:, 1]], axis=1)
    assert bool(np.all(np.diff(d) >= -1e-9))
    # every sector has candidates, and its true nearest neighbour is among them
    assert set(edges.ravel().tolist()) == set(range(800))
    pairs = {(int(u), int(v)) for u, v in edges}
    for u in range(0, 800, 97):
        dist = np.linalg.norm(placement.xyz - placement.xyz[u], axis=1)
        dist[u] = np.inf
        v = int(np.argmin(dist))
        assert (min(u, v), max(u, v)) in pairs


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_tiny_graphs_are_strongly_connected(n: int) -> None:
    placement = place_sectors(np.random.default_rng(n), n, (0.0, 0.0, 0.0))
    warps = build_warps(np.random.default_rng(n), placement)
    assert len(warps) == n
    assert strongly_connected(warps)
    if n > 1:
        assert all(1 <= len(w) <= 6 for w in warps)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    n=st.integers(min_value=200, max_value=1_200),
    mean=st.floats(min_value=2.4, max_value=3.6),
    one_way=st.floats(min_value=0.0, max_value=0.15),
)
def test_warp_spec_drives_the_graph(seed: int, n: int, mean: float, one_way: float) -> None:
    spec = WarpSpec(mean_warps=mean, one_way_fraction=one_way)
    placement = place_sectors(
        np.random.default_rng(seed), n, (0.0, 0.0, 0.0), LayoutSpec(cluster_size=20)
    )
    warps = build_warps(np.random.default_rng(seed + 1), placement, spec)
    assert strongly_connected(warps)
    arcs = {(u, v) for u, targets in enumerate(warps) for v in targets}
    assert len(arcs) / n == pytest.approx(mean, abs=0.05)
    lonely = sum(1 for u, v in arcs if (v, u) not in arcs)
    assert lonely / len(arcs) == pytest.approx(one_way, abs=0.01)
    assert max(len(w) for w in warps) <= spec.max_warps


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"port_fraction": 1.5}, "port_fraction"),
        ({"hazard_weights": ()}, "hazard_weights"),
        ({"hub_district": "casino"}, "unknown districts"),
        ({"player_piracy": PiracySpec(0.1, 3, 7)}, "levels 0-5"),
        ({"stardock_hops": (3, 2)}, "stardock_hops"),
    ],
)
def test_an_inconsistent_galaxy_spec_is_refused(change: dict[str, object], message: str) -> None:
    GALAXY_SPEC.validate()
    with pytest.raises(DataTableError, match=message):
        replace(GALAXY_SPEC, **change).validate()  # type: ignore[arg-type]
