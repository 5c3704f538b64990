"""Reads: what a player (or an admin) sees of the game, with fog of war decided here.

One read function per view, pure over a region's state, time passed in as ``now``:

- ``player``: :func:`me_view` (the player's own view), :func:`ship_view`;
- ``sector``: :func:`sector_view` (under fog of war), :func:`sector_contents`,
  :func:`scan_neighbours`;
- ``market``: :func:`port_view` and :func:`quote_view` (under fog of war),
  :func:`stardock_catalog`;
- ``region``: :func:`region_view`, :func:`region_page`, :func:`region_map_page` (under fog of
  war);
- ``fog``: :func:`can_see_sector` and :func:`visible_sector_ids`, the fog-of-war rules.

Every view is a ``TypedDict``: a plain dict of JSON-ready values, which the API encodes as it
is (its response models in ``starlane.api.schemas`` document the same fields). A view the
viewer may not see is answered with None; nothing here raises for fog of war.
"""

from starlane.domain.reads.fog import can_see_sector, visible_sector_ids
from starlane.domain.reads.market import (
    HardwareView,
    PortCommodityView,
    PortView,
    QuoteView,
    ShipTypeView,
    StardockCatalogView,
    port_view,
    quote_view,
    stardock_catalog,
)
from starlane.domain.reads.player import MeView, ShipView, TurnsView, me_view, ship_view
from starlane.domain.reads.region import (
    MapSectorView,
    MapWarpView,
    RegionMapPage,
    RegionPage,
    RegionPolicyView,
    RegionView,
    closed_region_view,
    map_sector,
    region_map_page,
    region_page,
    region_view,
    region_views_page,
)
from starlane.domain.reads.sector import (
    GateView,
    PirateView,
    PlanetView,
    PortSummaryView,
    SectorView,
    ShipPresentView,
    WarpView,
    pirate_in_sight,
    port_summary,
    scan_neighbours,
    sector_contents,
    sector_view,
)

__all__ = [
    "GateView",
    "HardwareView",
    "MapSectorView",
    "MapWarpView",
    "MeView",
    "PirateView",
    "PlanetView",
    "PortCommodityView",
    "PortSummaryView",
    "PortView",
    "QuoteView",
    "RegionMapPage",
    "RegionPage",
    "RegionPolicyView",
    "RegionView",
    "SectorView",
    "ShipPresentView",
    "ShipTypeView",
    "ShipView",
    "StardockCatalogView",
    "TurnsView",
    "WarpView",
    "can_see_sector",
    "closed_region_view",
    "map_sector",
    "me_view",
    "pirate_in_sight",
    "port_summary",
    "port_view",
    "quote_view",
    "region_map_page",
    "region_page",
    "region_view",
    "region_views_page",
    "scan_neighbours",
    "sector_contents",
    "sector_view",
    "ship_view",
    "stardock_catalog",
    "visible_sector_ids",
]
