"""The domain's read models are the API's responses: the same fields, the same values.

``me``, sectors and quotes are sent as the domain returns them (no response model is built),
so each read model must have exactly its response model's fields, and real views must
validate into the models and dump back unchanged.
"""

from __future__ import annotations

from typing import Any, get_type_hints

import pytest
from pydantic import BaseModel

from starlane.api import schemas as s
from starlane.domain import reads
from starlane.domain.data import Side
from starlane.domain.model import GateLink, RegionState
from tests.domain.conftest import PIRATE_SECTOR, T0, build_region, place, spawn

PAIRS: list[tuple[Any, type[BaseModel]]] = [
    (reads.MeView, s.MeOut),
    (reads.TurnsView, s.TurnsOut),
    (reads.ShipView, s.ShipOut),
    (reads.SectorView, s.SectorOut),
    (reads.WarpView, s.WarpOut),
    (reads.PortSummaryView, s.PortSummary),
    (reads.PlanetView, s.PlanetOut),
    (reads.PirateView, s.PirateOut),
    (reads.ShipPresentView, s.ShipPresent),
    (reads.GateView, s.GateOut),
    (reads.PortView, s.PortOut),
    (reads.PortCommodityView, s.PortCommodityOut),
    (reads.QuoteView, s.QuoteOut),
    (reads.StardockCatalogView, s.StardockCatalog),
    (reads.ShipTypeView, s.ShipTypeOut),
    (reads.HardwareView, s.HardwareOut),
    (reads.RegionView, s.RegionOut),
    (reads.RegionPolicyView, s.RegionPolicyOut),
    (reads.MapSectorView, s.MapSector),
    (reads.MapWarpView, s.MapWarp),
]


@pytest.mark.parametrize(("view", "model"), PAIRS, ids=[m.__name__ for _, m in PAIRS])
def test_each_read_model_has_its_response_models_fields(view: Any, model: type[BaseModel]) -> None:
    assert list(get_type_hints(view)) == list(model.model_fields)
    assert view.__required_keys__ == frozenset(model.model_fields)


def test_the_map_page_is_the_region_map_but_for_its_cursor() -> None:
    page = set(get_type_hints(reads.RegionMapPage)) - {"next_after"}
    assert page == set(s.RegionMap.model_fields) - {"next_cursor"}


@pytest.fixture
def busy() -> RegionState:
    """The fixture region with two players in the pirate's sector and a gate next door."""
    state = build_region()
    for pid in (7, 8):
        spawn(state, pid)
        place(state, pid, PIRATE_SECTOR)
    state.players[7].explored.update(state.sectors)
    state.players[7].ship.cargo = {"ore": 5}
    state.sectors[9].gate = GateLink(to_region_id=2, to_sector_id=400, toll=50)
    return state


def _same(model: type[BaseModel], data: Any) -> None:
    assert model.model_validate(data).model_dump(mode="json") == data


def test_real_views_validate_and_dump_back_unchanged(busy: RegionState) -> None:
    me = busy.players[7]
    _same(s.MeOut, reads.me_view(me, busy, ("player", "admin"), T0))
    for sid in busy.sectors:
        _same(s.SectorOut, reads.sector_view(busy, sid, me, admin=False, now=T0))
        _same(s.MapSector, reads.map_sector(busy, busy.sectors[sid]))
    for pid in busy.ports:
        _same(s.PortOut, reads.port_view(busy, pid, me, admin=False, now=T0))
    q = reads.quote_view(
        busy, 6, me, admin=False, commodity="ore", side=Side.BUY, quantity=5, now=T0
    )
    _same(s.QuoteOut, q)
    _same(s.StardockCatalog, reads.stardock_catalog(busy, me.ship))
    _same(s.RegionOut, reads.region_view(busy.region))
    gate = reads.sector_view(busy, 9, me, admin=False, now=T0)
    assert gate is not None and gate["gate"] == {
        "to_region_id": 2,
        "to_sector_id": 400,
        "toll": 50,
        "turn_cost": 3,
        "to_region_name": None,  # no destination look-up given
        "immigration": None,
    }
    six = reads.sector_view(busy, PIRATE_SECTOR, me, admin=False, now=T0)
    assert six is not None and six["pirates"] and six["ships"]
