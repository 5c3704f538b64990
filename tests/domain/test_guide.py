"""The game guide (docs/game-guide.md) agrees with the rules it documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from starlane.domain.data import SHIP_TYPES, Side
from starlane.domain.economy import quote
from starlane.domain.errors import ALL_ERRORS, DomainError
from tests.domain.conftest import T0, build_region

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "game-guide.md"


@pytest.mark.parametrize("cls", [c for c in ALL_ERRORS if c is not DomainError])
def test_every_error_code_is_documented(cls: type[DomainError]) -> None:
    assert f"| `{cls.code}` | {cls.kind.replace('_', ' ')} |" in GUIDE.read_text()


def test_every_ship_is_in_the_table() -> None:
    text = GUIDE.read_text()
    for s in SHIP_TYPES.values():
        assert f"| {s.name} | {s.cost:,} | {s.holds:,} / {s.max_holds:,} |" in text


def test_worked_price_examples() -> None:
    state = build_region()
    buy = quote(state, 6, "ore", Side.BUY, 100, T0)  # class 3, 500 of 1,000 ore
    assert (round(buy.unit_price, 2), buy.total, buy.tax, buy.net) == (23.10, 2_310, 231, 2_541)
    sell = quote(state, 3, "ore", Side.SELL, 100, T0)  # class 1, demand 500 of 1,000
    assert (round(sell.unit_price, 2), sell.total, sell.tax, sell.net) == (17.10, 1_710, 171, 1_539)
    text = GUIDE.read_text()
    assert "**23.10**" in text and "**2,541**" in text and "1,539" in text
