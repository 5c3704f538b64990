"""The provisioning rules: who may request a region, names, the next id and sector range."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from starlane.domain.provisioning import (
    NotACitizenError,
    RegionLimitError,
    RegionNameTakenError,
    check_region_request,
    next_region_slot,
    region_name_key,
)

ranges = st.lists(
    st.tuples(st.integers(1, 10_000), st.integers(1, 1_000_000), st.integers(1, 5_000)),
    max_size=20,
)


@given(ranges)
def test_the_next_slot_is_past_every_known_id_and_range(known: list[tuple[int, int, int]]) -> None:
    region_id, first = next_region_slot(known)
    assert all(region_id > rid for rid, _, _ in known)
    assert all(first >= start + count for _, start, count in known)
    if known:
        assert region_id == max(rid for rid, _, _ in known) + 1
        assert first == max(start + count for _, start, count in known)
    else:
        assert (region_id, first) == (1, 1)


@given(st.text(min_size=1, max_size=40), st.sampled_from([str.upper, str.lower, str.title]))
def test_names_compare_ignoring_case_and_spacing(name: str, case: object) -> None:
    assert callable(case)
    spaced = f"  {'   '.join(name.split())}  "
    assert region_name_key(case(spaced)) == region_name_key(case(name))
    assert region_name_key(name.casefold()) == region_name_key(name)


def test_refusals_in_order() -> None:
    ok = {"is_citizen": True, "owned_open": 0, "limit": 1, "name": "Vega", "taken_names": []}
    check_region_request(**ok)  # type: ignore[arg-type]
    with pytest.raises(NotACitizenError):
        check_region_request(**{**ok, "is_citizen": False, "owned_open": 5})  # type: ignore[arg-type]
    with pytest.raises(RegionLimitError) as limit:
        check_region_request(**{**ok, "owned_open": 1, "taken_names": ["vega"]})  # type: ignore[arg-type]
    assert limit.value.context == {"owned": 1, "limit": 1}
    with pytest.raises(RegionLimitError):
        check_region_request(**{**ok, "limit": 0})  # type: ignore[arg-type]
    with pytest.raises(RegionNameTakenError):
        check_region_request(**{**ok, "taken_names": ["Terran Space", " VEGA "]})  # type: ignore[arg-type]
    check_region_request(**{**ok, "taken_names": ["Vega Reach"]})  # type: ignore[arg-type]
