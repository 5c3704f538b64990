"""The in-process bus: fan-out, predicates, bounded buffers, slow subscribers dropped."""

from __future__ import annotations

import asyncio

import pytest

from starlane.bus import BUS_CLOSED, SLOW_CONSUMER, UNSUBSCRIBED, Bus, SubscriptionClosed
from starlane.domain.events import RecordedEvent
from tests.engine.fakes import FakeDeposited


def rec(position: int, region_id: int = 1) -> RecordedEvent:
    event = FakeDeposited(region_id=region_id, at=0.0, player_id=1, amount=1, credits_after=1)
    return RecordedEvent(position, region_id, position, 1, event)


async def test_every_subscriber_gets_every_event_in_order():
    bus = Bus()
    a, b = bus.subscribe("a"), bus.subscribe("b")
    bus.publish([rec(1), rec(2)])
    bus.publish([rec(3)])
    assert [(await a.get()).position for _ in range(3)] == [1, 2, 3]
    assert [(await b.get()).position for _ in range(3)] == [1, 2, 3]
    assert bus.published == 3


async def test_predicate_filters_events():
    bus = Bus()
    nexus = bus.subscribe("nexus", predicate=lambda r: r.region_id == 2)
    bus.publish([rec(1, 1), rec(2, 2), rec(3, 1)])
    assert (await nexus.get()).position == 2
    assert nexus.get_nowait() is None


async def test_full_buffer_closes_the_subscription_as_slow():
    bus = Bus()
    slow = bus.subscribe("slow", maxsize=3)
    other = bus.subscribe("other", maxsize=100)
    bus.publish([rec(i) for i in range(1, 5)])  # 4 > 3: dropped, never blocked
    assert slow.closed and slow.close_reason == SLOW_CONSUMER
    assert bus.dropped == 1 and bus.subscriber_count == 1
    with pytest.raises(SubscriptionClosed) as info:
        await slow.get(timeout=0.1)
    assert info.value.reason == SLOW_CONSUMER
    bus.publish([rec(5)])  # a closed subscription receives nothing more
    assert slow.pending == 0
    assert other.pending == 5


async def test_get_times_out_and_iteration_ends_on_close():
    bus = Bus()
    sub = bus.subscribe("s")
    with pytest.raises(TimeoutError):
        await sub.get(timeout=0.01)

    async def consume() -> list[int]:
        return [r.position async for r in sub]

    task = asyncio.create_task(consume())
    bus.publish([rec(1), rec(2)])
    await asyncio.sleep(0.01)
    sub.close()
    assert await task == [1, 2]
    assert sub.close_reason == UNSUBSCRIBED


async def test_close_bus_tells_every_subscriber():
    bus = Bus()
    subs = [bus.subscribe(str(i)) for i in range(3)]
    bus.close()
    assert all(s.close_reason == BUS_CLOSED for s in subs)
    assert bus.subscriber_count == 0


def test_maxsize_must_be_positive():
    with pytest.raises(ValueError):
        Bus().subscribe("x", maxsize=0)
