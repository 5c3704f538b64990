"""Stored events of replaced types read as the type that replaced them, and nothing else does."""

from __future__ import annotations

import json

import pytest

from starlane.domain.codec import CodecError, decode_event, register_retype
from starlane.domain.data import Hardware
from starlane.domain.events import HardwareBought

_OLD = {
    "region_id": 1,
    "at": 1_780_000_000.0,
    "player_id": 3,
    "sector_id": 17,
    "count": 12,
    "price": 1_200,
    "credits_after": 8_800,
}


@pytest.mark.parametrize(
    ("stored", "item", "units"),
    [
        ("fighters_bought", Hardware.FIGHTERS, "fighters_after"),
        ("holds_bought", Hardware.HOLDS, "holds_after"),
        ("shields_bought", Hardware.SHIELDS, "shields_after"),
    ],
)
def test_a_per_item_purchase_reads_as_hardware_bought(
    stored: str, item: Hardware, units: str
) -> None:
    payload = json.dumps({**_OLD, units: 62})
    event = decode_event(stored, 1, payload)
    assert event == HardwareBought(
        region_id=1,
        at=1_780_000_000.0,
        player_id=3,
        sector_id=17,
        item=item,
        quantity=12,
        price=1_200,
        credits_after=8_800,
        units_after=62,
    )


def test_a_version_of_a_replaced_type_with_no_step_is_refused() -> None:
    with pytest.raises(CodecError, match="unknown event type 'fighters_bought' \\(v2\\)"):
        decode_event("fighters_bought", 2, json.dumps({**_OLD, "fighters_after": 1}))


def test_an_old_payload_missing_a_field_is_refused() -> None:
    with pytest.raises(CodecError, match="another shape"):
        decode_event("holds_bought", 1, json.dumps(_OLD))


def test_an_unknown_type_is_still_refused() -> None:
    with pytest.raises(CodecError, match="unknown event type"):
        decode_event("gate_built", 1, b"{}")


def test_a_current_type_cannot_be_retyped_and_a_step_is_registered_once() -> None:
    with pytest.raises(ValueError, match="current event type"):
        register_retype("hardware_bought", 1, "ship_bought", 1, dict)
    with pytest.raises(ValueError, match="twice"):
        register_retype("fighters_bought", 1, "hardware_bought", 1, dict)
