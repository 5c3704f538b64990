"""Sector placement and the warp graph of a region: points, nearest neighbours, warps, checks.

This is the geometric half of galaxy generation (:mod:`starlane.domain.galaxy` holds the game
contents). Everything works on sector *indices* ``0..n-1`` of one region and numpy arrays, so
a 5,000-sector region is laid out in a few tens of milliseconds:

1. :func:`place_sectors` puts ``n`` sectors into clusters of about ``cluster_size`` around
   cluster centres spread through a flattened disc (so neighbouring sectors share a cluster).
2. :func:`candidate_edges` lists, for every sector, its nearest neighbours among the sectors of
   its own and the nearest few clusters (a spatial index by cluster: no O(n^2) work).
3. :func:`build_warps` makes the warp lists: a degree-capped nearest-neighbour spanning tree of
   two-way warps (Kruskal over the candidates, then the closest links between any leftover
   pieces) guarantees strong connectivity by construction, because any arc added to a strongly
   connected graph keeps it so; further candidate edges then become two-way or one-way warps
   until the mean number of warps per sector and the one-way share reach their targets.
4. :func:`strongly_connected` and :func:`hop_distances` check and measure the result.

Randomness comes in as a ``numpy.random.Generator``; nothing here reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class LayoutSpec:
    """How sectors are placed in space (coordinate units; a warp is about 1-2 units long).

    Attributes:
        cluster_size: sectors per cluster (the last clusters may hold one fewer).
        sector_density: sectors per cubic coordinate unit over the region's disc.
        disc_flatness: half-thickness of the region's disc as a fraction of its radius.
        cluster_spread: standard deviation of a sector's offset from its cluster centre.
        decimals: coordinates are rounded to this many decimals (stable, compact snapshots).
    """

    cluster_size: int = 25
    sector_density: float = 0.2
    disc_flatness: float = 0.35
    cluster_spread: float = 1.2
    decimals: int = 3


@dataclass(frozen=True, slots=True)
class WarpSpec:
    """The shape of a region's warp graph (``GAME.md``: 1-6 warps, mean about 3, ~5% one-way).

    Attributes:
        max_warps: most warps leaving one sector.
        mean_warps: target mean number of warps leaving a sector.
        one_way_fraction: target share of warps that have no warp back.
        tree_max_degree: most spanning-tree warps per sector (leaves room for further warps).
        nearest: nearest neighbours listed per sector as warp candidates.
        near_clusters: clusters besides its own searched for a sector's nearest neighbours.
    """

    max_warps: int = 6
    mean_warps: float = 3.0
    one_way_fraction: float = 0.05
    tree_max_degree: int = 4
    nearest: int = 8
    near_clusters: int = 6


DEFAULT_LAYOUT: Final = LayoutSpec()
DEFAULT_WARPS: Final = WarpSpec()


@dataclass(frozen=True, slots=True)
class Placement:
    """Sectors placed in space.

    Attributes:
        xyz: ``(n, 3)`` coordinates, sector index order.
        cluster: ``(n,)`` cluster index of each sector; clusters are contiguous index ranges.
        starts: ``(m,)`` first sector index of each cluster.
        sizes: ``(m,)`` number of sectors of each cluster.
        centres: ``(m, 3)`` cluster centres.
        radius: radius of the region's disc, coordinate units.
    """

    xyz: FloatArray
    cluster: IntArray
    starts: IntArray
    sizes: IntArray
    centres: FloatArray
    radius: float


def disc_radius(n: int, layout: LayoutSpec = DEFAULT_LAYOUT) -> float:
    """Radius of the disc that holds ``n`` sectors at the layout's density.

    Args:
        n: number of sectors.
        layout: placement numbers.

    Returns:
        The radius in coordinate units (volume ``2 * pi * flatness * r^3 = n / density``).
    """
    volume = n / layout.sector_density
    return float((volume / (2.0 * np.pi * layout.disc_flatness)) ** (1.0 / 3.0))


def place_sectors(
    rng: np.random.Generator,
    n: int,
    origin: tuple[float, float, float],
    layout: LayoutSpec = DEFAULT_LAYOUT,
) -> Placement:
    """Place ``n`` sectors in clusters around random centres in a disc around ``origin``.

    Args:
        rng: the random source.
        n: number of sectors (>= 1).
        origin: centre of the region's disc, coordinate units.
        layout: placement numbers.

    Returns:
        The placement; cluster ``c`` holds the sector indices ``starts[c] .. starts[c]+sizes[c]-1``.
    """
    m = max(1, round(n / layout.cluster_size))
    base, extra = divmod(n, m)
    sizes = np.full(m, base, dtype=np.int64)
    sizes[:extra] += 1
    starts = np.zeros(m, dtype=np.int64)
    starts[1:] = np.cumsum(sizes)[:-1]
    radius = disc_radius(n, layout)
    half_thickness = layout.disc_flatness * radius
    u = rng.random((m, 3))
    r = radius * np.sqrt(u[:, 0])
    theta = 2.0 * np.pi * u[:, 1]
    centres = np.empty((m, 3), dtype=np.float64)
    centres[:, 0] = origin[0] + r * np.cos(theta)
    centres[:, 1] = origin[1] + r * np.sin(theta)
    centres[:, 2] = origin[2] + half_thickness * (2.0 * u[:, 2] - 1.0)
    cluster = np.repeat(np.arange(m, dtype=np.int64), sizes)
    offsets = rng.normal(0.0, layout.cluster_spread, (n, 3))
    xyz = np.round(centres[cluster] + offsets, layout.decimals)
    return Placement(xyz, cluster, starts, sizes, centres, radius)


def _square_distances(a: FloatArray, b: FloatArray) -> FloatArray:
    # Elementwise per axis (no reductions), so results are bit-identical on every machine.
    dx = a[..., 0] - b[..., 0]
    dy = a[..., 1] - b[..., 1]
    dz = a[..., 2] - b[..., 2]
    out: FloatArray = dx * dx + dy * dy + dz * dz
    return out


def candidate_edges(placement: Placement, spec: WarpSpec = DEFAULT_WARPS) -> IntArray:
    """Undirected nearest-neighbour edges, shortest first.

    Each sector's ``spec.nearest`` nearest sectors are searched among the sectors of its own
    cluster and of the ``spec.near_clusters`` clusters whose centres are nearest (vectorised
    over all clusters at once).

    Args:
        placement: the placed sectors.
        spec: warp graph numbers.

    Returns:
        ``(e, 2)`` array of index pairs ``(u, v)`` with ``u < v``, no duplicates, sorted by
        length (ties by ``u`` then ``v``).
    """
    xyz, starts, sizes = placement.xyz, placement.starts, placement.sizes
    n, m = len(xyz), len(sizes)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    s = int(sizes.max())
    slot = np.arange(s, dtype=np.int64)
    members = np.where(slot[None, :] < sizes[:, None], starts[:, None] + slot[None, :], -1)
    q = min(spec.near_clusters + 1, m)
    dc = _square_distances(placement.centres[:, None, :], placement.centres[None, :, :])
    np.fill_diagonal(dc, -1.0)  # a cluster is always its own nearest
    near = np.argsort(dc, axis=1, kind="stable")[:, :q]
    cand = members[near].reshape(m, q * s)
    p_xyz = xyz[np.maximum(members, 0)]
    c_xyz = xyz[np.maximum(cand, 0)]
    d2 = _square_distances(p_xyz[:, :, None, :], c_xyz[:, None, :, :])
    bad = (
        (members[:, :, None] < 0)
        | (cand[:, None, :] < 0)
        | (members[:, :, None] == cand[:, None, :])
    )
    d2[bad] = np.inf
    k = min(spec.nearest, q * s - 1)
    pick = np.argpartition(d2, k - 1, axis=2)[:, :, :k]
    src = np.broadcast_to(members[:, :, None], pick.shape)
    dst = np.take_along_axis(np.broadcast_to(cand[:, None, :], d2.shape), pick, axis=2)
    dist = np.take_along_axis(d2, pick, axis=2)
    ok = np.isfinite(dist)
    src, dst, dist = src[ok], dst[ok], dist[ok]
    lo = np.minimum(src, dst)
    hi = np.maximum(src, dst)
    key = lo * n + hi
    key, first = np.unique(key, return_index=True)
    length = dist[first]
    order = np.lexsort((key, length))
    key = key[order]
    return np.stack((key // n, key % n), axis=1)


def _find(parent: list[int], x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def _spanning_tree(
    n: int, edges: IntArray, xyz: FloatArray, max_degree: int
) -> tuple[list[tuple[int, int]], list[int]]:
    """A degree-capped spanning tree: Kruskal over ``edges``, then the closest joins of pieces."""
    parent = list(range(n))
    degree = [0] * n
    tree: list[tuple[int, int]] = []
    for u, v in edges.tolist():
        if degree[u] >= max_degree or degree[v] >= max_degree:
            continue
        ru, rv = _find(parent, u), _find(parent, v)
        if ru == rv:
            continue
        parent[ru] = rv
        degree[u] += 1
        degree[v] += 1
        tree.append((u, v))
        if len(tree) == n - 1:
            return tree, degree
    # Join the remaining pieces, smallest first, each to the closest sector outside it.
    label = np.array([_find(parent, x) for x in range(n)], dtype=np.int64)
    deg = np.array(degree, dtype=np.int64)
    while True:
        roots, counts = np.unique(label, return_counts=True)
        if len(roots) <= 1:
            return tree, degree
        piece = roots[np.lexsort((roots, counts))[0]]
        inside = label == piece
        # A tree piece always has a sector below the cap (a leaf or a lone sector).
        a = np.flatnonzero(inside & (deg < max_degree))
        b = np.flatnonzero(~inside & (deg < max_degree))
        if len(b) == 0:  # pragma: no cover - only with max_degree < 2
            b = np.flatnonzero(~inside)
        d2 = _square_distances(xyz[a][:, None, :], xyz[b][None, :, :])
        flat = int(np.argmin(d2))
        u, v = int(a[flat // len(b)]), int(b[flat % len(b)])
        tree.append((min(u, v), max(u, v)))
        degree[u] += 1
        degree[v] += 1
        deg[u] += 1
        deg[v] += 1
        label[inside] = label[v]


def build_warps(
    rng: np.random.Generator,
    placement: Placement,
    spec: WarpSpec = DEFAULT_WARPS,
) -> list[list[int]]:
    """The warps of a region, by sector index: strongly connected, 1..``max_warps`` each.

    Args:
        rng: the random source.
        placement: the placed sectors (at least 2).
        spec: warp graph numbers.

    Returns:
        ``warps[u]`` = sorted indices reachable from ``u`` in one move. A warp ``u -> v``
        without ``v -> u`` is one-way.

    Raises:
        RuntimeError: the result is not strongly connected (a bug: it holds by construction).
    """
    n = len(placement.xyz)
    edges = candidate_edges(placement, spec)
    tree, out_degree = _spanning_tree(n, edges, placement.xyz, spec.tree_max_degree)
    warps: list[list[int]] = [[] for _ in range(n)]
    linked = set()
    for u, v in tree:
        warps[u].append(v)
        warps[v].append(u)
        linked.add(u * n + v)
    arcs_wanted = round(spec.mean_warps * n)
    one_way_left = round(spec.one_way_fraction * arcs_wanted)
    two_way_left = max(0, (arcs_wanted - 2 * len(tree) - one_way_left) // 2)
    order = rng.permutation(len(edges))
    draws = rng.random((len(edges), 2)).tolist()
    max_warps = spec.max_warps
    for i, (u, v) in enumerate(edges[order].tolist()):
        if one_way_left <= 0 and two_way_left <= 0:
            break
        if u * n + v in linked:
            continue
        pick_one_way, flip = draws[i]
        if pick_one_way * (one_way_left + two_way_left) < one_way_left:
            src, dst = (v, u) if flip < 0.5 else (u, v)
            if out_degree[src] >= max_warps:
                src, dst = dst, src
            if out_degree[src] >= max_warps:
                continue
            warps[src].append(dst)
            out_degree[src] += 1
            one_way_left -= 1
        else:
            if out_degree[u] >= max_warps or out_degree[v] >= max_warps:
                continue
            warps[u].append(v)
            warps[v].append(u)
            out_degree[u] += 1
            out_degree[v] += 1
            two_way_left -= 1
        linked.add(u * n + v)
    for w in warps:
        w.sort()
    if not strongly_connected(warps):  # pragma: no cover - guaranteed by construction
        raise RuntimeError("generated warp graph is not strongly connected")
    return warps


def _reach(adjacency: list[list[int]], start: int) -> int:
    seen = bytearray(len(adjacency))
    seen[start] = 1
    stack = [start]
    count = 1
    while stack:
        for v in adjacency[stack.pop()]:
            if not seen[v]:
                seen[v] = 1
                count += 1
                stack.append(v)
    return count


def strongly_connected(warps: list[list[int]]) -> bool:
    """Whether every sector index can reach every other along the warps.

    Args:
        warps: ``warps[u]`` = indices reachable from ``u`` in one move.

    Returns:
        True when the directed graph is strongly connected (an empty graph counts as such).
    """
    n = len(warps)
    if n == 0:
        return True
    if _reach(warps, 0) != n:
        return False
    reverse: list[list[int]] = [[] for _ in range(n)]
    for u, targets in enumerate(warps):
        for v in targets:
            reverse[v].append(u)
    return _reach(reverse, 0) == n


def hop_distances(warps: list[list[int]], source: int) -> list[int]:
    """Fewest warps from ``source`` to every sector index (breadth-first search).

    Args:
        warps: ``warps[u]`` = indices reachable from ``u`` in one move.
        source: the starting index.

    Returns:
        ``dist[v]`` in warps, or -1 where ``v`` cannot be reached.
    """
    dist = [-1] * len(warps)
    dist[source] = 0
    frontier = [source]
    hops = 0
    while frontier:
        hops += 1
        nxt: list[int] = []
        for u in frontier:
            for v in warps[u]:
                if dist[v] < 0:
                    dist[v] = hops
                    nxt.append(v)
        frontier = nxt
    return dist
