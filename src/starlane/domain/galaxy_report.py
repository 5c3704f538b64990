"""Reports on generated regions: connectivity check, summaries and fingerprints.

:func:`galaxy_summary` feeds the ``starlane galaxy info`` command and operators' dashboards;
:func:`galaxy_fingerprint` (a SHA-256 over every region's snapshot) is how determinism of
generation is checked: the same seed and parameters give the same fingerprint. All of these
are re-exported by :mod:`starlane.domain.galaxy`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from starlane.domain import codec
from starlane.domain.data import NEXUS_DISTRICTS, PORT_CLASSES
from starlane.domain.graph import strongly_connected
from starlane.domain.model import Galaxy, RegionState


def is_strongly_connected(state: RegionState) -> bool:
    """Whether every sector of a region can reach every other along its warps (gates aside).

    Args:
        state: a region's state.

    Returns:
        True when the region's warp graph is strongly connected. A warp leading out of the
        region does not count.
    """
    index = {sector_id: i for i, sector_id in enumerate(state.sectors)}
    adjacency = [
        [index[w] for w in sector.warps if w in index] for sector in state.sectors.values()
    ]
    return strongly_connected(adjacency)


def region_summary(state: RegionState) -> dict[str, Any]:
    """Sizes and shape of one region, for operators and the ``starlane galaxy`` command.

    Args:
        state: a region's state.

    Returns:
        A JSON-ready dict: id, kind, name, sectors, first_sector_id, warps, one_way,
        mean_degree, min_degree, max_degree, ports, ports_by_class, stardocks, planets,
        hazards, pirate_sectors, pirates, clusters, strongly_connected, districts (Nexus) and
        gate_sectors (``{"sector_id", "to_region_id", "to_sector_id"}`` each).
    """
    sectors = state.sectors
    arcs = {(s.id, w) for s in sectors.values() for w in s.warps}
    one_way = sum(1 for u, v in arcs if (v, u) not in arcs)
    degrees = [len(s.warps) for s in sectors.values()]
    by_class = Counter(p.port_class for p in state.ports.values())
    districts = Counter(s.district for s in sectors.values() if s.district is not None)
    gates = [
        {
            "sector_id": s.id,
            "to_region_id": s.gate.to_region_id,
            "to_sector_id": s.gate.to_sector_id,
        }
        for s in sectors.values()
        if s.gate is not None
    ]
    return {
        "id": state.region.id,
        "kind": state.region.kind.value,
        "name": state.region.name,
        "sectors": len(sectors),
        "first_sector_id": state.region.first_sector_id,
        "warps": len(arcs),
        "one_way": one_way,
        "mean_degree": round(len(arcs) / max(1, len(sectors)), 3),
        "min_degree": min(degrees, default=0),
        "max_degree": max(degrees, default=0),
        "ports": len(state.ports),
        "ports_by_class": {str(k): by_class[k] for k in sorted(by_class)},
        "stardocks": sum(1 for p in state.ports.values() if PORT_CLASSES[p.port_class].stardock),
        "planets": len(state.planets),
        "hazards": sum(1 for s in sectors.values() if s.hazard is not None),
        "pirate_sectors": sum(1 for s in sectors.values() if s.piracy > 0),
        "pirates": len(state.pirates),
        "clusters": len({s.cluster for s in sectors.values()}),
        "strongly_connected": is_strongly_connected(state),
        "districts": {d.key: districts[d.key] for d in NEXUS_DISTRICTS if districts[d.key]},
        "gate_sectors": gates,
    }


def galaxy_summary(galaxy: Galaxy) -> dict[str, Any]:
    """Sizes and shape of a galaxy, region by region, with totals.

    Args:
        galaxy: a generated galaxy.

    Returns:
        ``{"seed", "sectors", "ports", "planets", "pirates", "fingerprint", "regions": [...]}``
        with one :func:`region_summary` per region in id order.
    """
    regions = [region_summary(galaxy.regions[rid]) for rid in sorted(galaxy.regions)]
    return {
        "seed": galaxy.seed,
        "sectors": sum(r["sectors"] for r in regions),
        "ports": sum(r["ports"] for r in regions),
        "planets": sum(r["planets"] for r in regions),
        "pirates": sum(r["pirates"] for r in regions),
        "fingerprint": galaxy_fingerprint(galaxy),
        "regions": regions,
    }


def region_fingerprint(state: RegionState) -> str:
    """SHA-256 of a region's snapshot (:func:`starlane.domain.codec.encode_state`).

    Args:
        state: a region's state.

    Returns:
        64 hex digits; equal for equal states.
    """
    return hashlib.sha256(codec.encode_state(state)).hexdigest()


def galaxy_fingerprint(galaxy: Galaxy) -> str:
    """SHA-256 over every region's snapshot, in region id order.

    Args:
        galaxy: a galaxy.

    Returns:
        64 hex digits; equal for galaxies generated from the same seed and parameters.
    """
    digest = hashlib.sha256()
    for region_id in sorted(galaxy.regions):
        digest.update(codec.encode_state(galaxy.regions[region_id]))
    return digest.hexdigest()
