"""Fixtures of the store tests: every test runs on SQLite (a temporary file) and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from starlane.domain.data import Membership, Side
from starlane.domain.events import (
    CombatResolved,
    CombatRound,
    Event,
    PlayerMoved,
    PlayerSpawned,
    PortTraded,
    SectorsScanned,
    Strength,
)
from starlane.store import EventStore, create_db_engine, upgrade_database
from tests.conftest import postgres_unavailable_reason


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """An empty database URL: a SQLite file under tmp_path, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'nested' / 'starlane.db'}"
    # Probe outside the event loop (the shared fixture's probe uses asyncio.run), then skip
    # with the reason or take a fresh database from the shared fixture.
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    return request.getfixturevalue("postgres_url")


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated engine on the test database."""
    eng = create_db_engine(db_url)
    await upgrade_database(eng)
    try:
        yield eng
    finally:
        await eng.dispose()


class FakeClock:
    """A settable clock (unix seconds)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(engine: AsyncEngine, clock: FakeClock) -> EventStore:
    return EventStore(engine, clock=clock)


def moved(region_id: int, i: int, player_id: int = 7) -> PlayerMoved:
    """A small event whose fields vary with ``i`` (so a mix-up would be visible)."""
    return PlayerMoved(
        region_id=region_id,
        at=1_000.0 + i,
        player_id=player_id,
        from_sector_id=i,
        sector_id=i + 1,
        turns_spent=1,
        turns_left=i % 97,
        turns_at=2_000.5 + i,
        first_visit=i % 2 == 0,
    )


def assorted_events(region_id: int) -> list[Event]:
    """One event of several shapes: nested dataclasses, tuples, dicts, enums, floats, unicode."""
    return [
        PlayerSpawned(
            region_id=region_id,
            at=10.25,
            player_id=3,
            player_name="Zoë «Ace» 星",
            sector_id=1,
            credits=20_000,
            turns=250,
            ship_type="merchant_cruiser",
            ship_name="Ωmega",
            membership=Membership.CITIZEN,
        ),
        moved(region_id, 1, player_id=3),
        SectorsScanned(region_id=region_id, at=11.0, player_id=3, sector_id=2, discovered=(3, 4)),
        PortTraded(
            region_id=region_id,
            at=12.5,
            player_id=3,
            port_id=2,
            sector_id=2,
            commodity="ore",
            side=Side.BUY,
            units=30,
            unit_price=21.375,
            total=641,
            tax=32,
            credits_after=19_327,
            cargo_after=30,
            port_stock_after={"ore": 2_970.5, "organics": 1_000.0},
            port_credits_after=100_641,
            treasury_after=32,
            turns_left=248,
            turns_at=12.5,
        ),
        CombatResolved(
            region_id=region_id,
            at=13.0,
            player_id=3,
            sector_id=2,
            target_kind="pirate",
            target_id=20,
            rounds=(CombatRound(5, 3), CombatRound(4, 0)),
            attacker_after=Strength(fighters=20, shields=10, hull=97),
            target_after=Strength(fighters=0, shields=0, hull=0),
            winner="attacker",
            loot=150,
            attacker_credits_after=19_477,
            target_credits_after=0,
            turns_left=247,
            turns_at=13.0,
        ),
    ]
