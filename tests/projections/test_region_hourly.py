"""The region_hourly read model: counts per region and clock hour from a scripted sequence."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from starlane.domain.data import Side
from starlane.domain.events import (
    Event,
    PlayerMoved,
    PortTraded,
    RecordedEvent,
    TransferArrived,
    TransferDeparted,
)
from starlane.domain.model import Player, Ship
from starlane.projections import ActivityProjection, ProjectionRunner, RegionHourlyProjection
from starlane.projections.region_hourly import HOUR, hour_of, hourly_counts
from starlane.store.schema import region_hourly

T0 = 1_700_002_800.0  # 16:20 UTC... any time: only the hour boundaries matter
H0 = hour_of(T0)


def _player(pid: int, region_id: int) -> Player:
    ship = Ship(type="merchant_cruiser", name="s", holds=20, fighters=0, shields=0, hull=100)
    return Player(pid, f"p{pid}", region_id, 1, 1000, 100, T0, ship)


def trade(region_id: int, at: float, total: int, tax: int, pid: int = 7) -> PortTraded:
    return PortTraded(
        region_id=region_id,
        at=at,
        player_id=pid,
        port_id=5,
        sector_id=5,
        commodity="fuel",
        side=Side.BUY,
        units=3,
        unit_price=total / 3,
        total=total,
        tax=tax,
        credits_after=0,
        cargo_after=3,
        port_credits_after=0,
        treasury_after=0,
        turns_left=10,
        turns_at=at,
    )


def departed(region_id: int, at: float, to_region: int, toll: int, tid: str) -> TransferDeparted:
    return TransferDeparted(
        region_id=region_id,
        at=at,
        player_id=7,
        transfer_id=tid,
        sector_id=1,
        to_region_id=to_region,
        to_sector_id=9,
        toll=toll,
        turns_cost=3,
        player=_player(7, region_id),
    )


def arrived(region_id: int, at: float, from_region: int, toll: int, tid: str) -> TransferArrived:
    return TransferArrived(
        region_id=region_id,
        at=at,
        player_id=7,
        transfer_id=tid,
        from_region_id=from_region,
        sector_id=9,
        toll=toll,
        treasury_after=toll,
        first_visit=True,
        player=_player(7, region_id),
    )


def moved(region_id: int, at: float) -> PlayerMoved:
    return PlayerMoved(
        region_id=region_id,
        at=at,
        player_id=7,
        from_sector_id=1,
        sector_id=2,
        turns_spent=1,
        turns_left=9,
        turns_at=at,
        first_visit=False,
    )


# The script: two hours, two regions; a passage 1 -> 2 (toll 120) and back 2 -> 1 (toll 0).
SCRIPT: list[Event] = [
    trade(1, T0, 300, 15),
    moved(1, T0 + 1),
    departed(1, T0 + 2, 2, 120, "a"),
    arrived(2, T0 + 3, 1, 120, "a"),
    trade(2, T0 + 4, 1000, 50),
    trade(2, H0 + HOUR + 5, 200, 0),  # the next hour
    departed(2, H0 + HOUR + 6, 1, 0, "b"),
    arrived(1, H0 + HOUR + 7, 2, 0, "b"),
]

EXPECTED = {
    (1, H0): dict(arrivals=0, departures=1, trades=1, trade_value=300, tax=15, tolls=0),
    (2, H0): dict(arrivals=1, departures=0, trades=1, trade_value=1000, tax=50, tolls=120),
    (2, H0 + HOUR): dict(arrivals=0, departures=1, trades=1, trade_value=200, tax=0, tolls=0),
    (1, H0 + HOUR): dict(arrivals=1, departures=0, trades=0, trade_value=0, tax=0, tolls=0),
}


async def append(store: Any, events: list[Event]) -> int:
    """Append events, each to its region's stream; return the last position."""
    last = 0
    for event in events:
        seq = await store.last_seq(event.region_id)
        recorded = await store.append(event.region_id, seq, [(event, 7)])
        last = recorded[-1].position
    return last


async def rows(db_engine: Any) -> dict[tuple[int, int], dict[str, int]]:
    async with db_engine.connect() as conn:
        found = (await conn.execute(select(region_hourly))).mappings().all()
    return {
        (r["region_id"], r["hour"]): {k: v for k, v in r.items() if k not in ("region_id", "hour")}
        for r in found
    }


async def test_counts_per_region_and_hour_from_a_scripted_sequence(store, db_engine):
    runner = ProjectionRunner(db_engine, store, None, [RegionHourlyProjection()])
    await runner.start()
    head = await append(store, SCRIPT)
    await runner.wait_until(head, timeout=10)
    assert await rows(db_engine) == EXPECTED
    await runner.stop()


async def test_replay_from_the_checkpoint_counts_each_event_once(store, db_engine):
    """Stop half-way, append more while stopped, restart: the upserts ADD only the new events;
    a batch split across two runs (one hour's row written twice) sums correctly."""
    first = ProjectionRunner(db_engine, store, None, [RegionHourlyProjection()], batch_size=3)
    head = await append(store, SCRIPT[:5])
    await first.start()
    await first.wait_until(head)
    await first.stop()
    head = await append(store, SCRIPT[5:])
    # a second runner with another projection too: region_hourly resumes at its checkpoint
    again = ProjectionRunner(
        db_engine, store, None, [RegionHourlyProjection(), ActivityProjection()], batch_size=2
    )
    await again.start()
    await again.wait_until(head)
    await again.stop()
    assert await rows(db_engine) == EXPECTED
    # and once more from the same checkpoint: nothing new, nothing added
    third = ProjectionRunner(db_engine, store, None, [RegionHourlyProjection()])
    await third.start()
    await third.stop()
    assert await rows(db_engine) == EXPECTED


class FailingAfter(RegionHourlyProjection):
    """Writes its rows, then fails: the batch's rows and checkpoint must both roll back."""

    async def apply(self, conn: Any, events: Any) -> None:
        await super().apply(conn, events)
        raise RuntimeError("boom")


async def test_a_failed_batch_writes_no_counts(store, db_engine):
    head = await append(store, SCRIPT)
    runner = ProjectionRunner(db_engine, store, None, [FailingAfter()])
    with pytest.raises(RuntimeError):
        await runner.start()
    assert await rows(db_engine) == {}
    ok = ProjectionRunner(db_engine, store, None, [RegionHourlyProjection()])
    await ok.start()
    await ok.wait_until(head)
    await ok.stop()
    assert await rows(db_engine) == EXPECTED


def _recorded(events: list[Event]) -> list[RecordedEvent]:
    return [RecordedEvent(i, e.region_id, i, 7, e) for i, e in enumerate(events, start=1)]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["trade", "dep", "arr", "move"]),
            st.integers(1, 3),
            st.floats(0, 3 * HOUR, allow_nan=False),
            st.integers(0, 10_000),
        ),
        max_size=40,
    ),
    st.integers(1, 40),
)
def test_splitting_a_sequence_into_batches_changes_no_total(script: Any, cut: int) -> None:
    """Summing two batches equals summing the whole (what replay after a checkpoint does)."""
    events: list[Event] = []
    for kind, region, dt, n in script:
        at = T0 + dt
        if kind == "trade":
            events.append(trade(region, at, n, n // 20))
        elif kind == "dep":
            events.append(departed(region, at, 2, n, "x"))
        elif kind == "arr":
            events.append(arrived(region, at, 1, n, "x"))
        else:
            events.append(moved(region, at))
    whole = hourly_counts(_recorded(events))
    parts: dict[tuple[int, int], dict[str, int]] = {}
    for piece in (events[:cut], events[cut:]):
        for key, counts in hourly_counts(_recorded(piece)).items():
            into = parts.setdefault(key, dict.fromkeys(counts, 0))
            for name, value in counts.items():
                into[name] += value
    assert parts == whole
    assert sum(c["trades"] for c in whole.values()) == sum(1 for s in script if s[0] == "trade")
    assert all(hour % HOUR == 0 for _, hour in whole)
