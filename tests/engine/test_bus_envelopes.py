"""The bus carries region events and relational changes through one API, chosen by kind."""

from __future__ import annotations

from starlane.bus import BUS_CLOSED, Bus, BusPort
from starlane.domain.envelope import REGION_EVENT, Envelope
from starlane.domain.events import PlayerMoved, RecordedEvent


def rec(position: int, region_id: int = 1) -> RecordedEvent:
    event = PlayerMoved(
        region_id=region_id,
        at=0.0,
        player_id=7,
        from_sector_id=1,
        sector_id=2,
        turns_spent=1,
        turns_left=9,
        turns_at=0.0,
        first_visit=False,
    )
    return RecordedEvent(position, region_id, position, 7, event)


def env(position: int, kind: str = "role.granted", account: int = 42) -> Envelope:
    return Envelope(kind, f"account.{account}", {"account_id": account}, position, 5.0)


class Recorder:
    def __init__(self) -> None:
        self.batches: list[list] = []
        self.closed = False

    def deliver(self, messages) -> None:
        self.batches.append(list(messages))

    def bus_closed(self) -> None:
        self.closed = True


def test_a_region_event_is_a_bus_message_without_a_wrapper():
    r = rec(3, region_id=2)
    assert (r.kind, r.subject, r.payload, r.position) == (REGION_EVENT, "region.2", r.event, 3)
    e = env(4)
    assert (e.kind, e.subject, e.position) == ("role.granted", "account.42", 4)


async def test_subscriptions_choose_kinds_and_by_default_take_region_events_only():
    bus: BusPort = Bus()
    regions = bus.subscribe("regions")  # what every older subscriber gets: region events
    everything = bus.subscribe("all", kinds=None)
    roles = bus.subscribe("roles", kinds={"role.granted", "role.revoked"})
    one_account = bus.subscribe(
        "acct", kinds=None, predicate=lambda m: m.subject in ("account.42", "region.1")
    )
    bus.publish([rec(1), rec(2, region_id=3)])
    bus.publish_envelopes([env(1), env(2, "account.updated"), env(3, account=5)])
    assert [(await regions.get()).position for _ in range(2)] == [1, 2]
    assert regions.get_nowait() is None
    got = [await everything.get() for _ in range(5)]
    assert [(m.kind, m.position) for m in got] == [
        (REGION_EVENT, 1),
        (REGION_EVENT, 2),
        ("role.granted", 1),
        ("account.updated", 2),
        ("role.granted", 3),
    ]
    assert [(await roles.get()).position for _ in range(2)] == [1, 3]
    assert roles.get_nowait() is None
    assert [(m.kind, m.position) for m in [await one_account.get() for _ in range(3)]] == [
        (REGION_EVENT, 1),
        ("role.granted", 1),
        ("account.updated", 2),
    ]
    assert one_account.get_nowait() is None
    assert (bus.published, bus.published_envelopes) == (2, 3)


def test_listeners_choose_kinds_and_get_homogeneous_batches():
    bus = Bus()
    regions, everything, roles = Recorder(), Recorder(), Recorder()
    bus.add_listener(regions)
    bus.add_listener(everything, kinds=None)
    bus.add_listener(roles, kinds=("role.granted",))
    bus.publish([rec(1)])
    bus.publish_envelopes([env(1), env(2, "account.updated")])
    assert [[m.position for m in b] for b in regions.batches] == [[1]]
    assert [[(m.kind, m.position) for m in b] for b in everything.batches] == [
        [(REGION_EVENT, 1)],
        [("role.granted", 1), ("account.updated", 2)],
    ]
    assert [[m.position for m in b] for b in roles.batches] == [[1]]
    bus.remove_listener(everything)
    bus.publish([rec(2)])
    bus.publish_envelopes([env(3)])
    assert len(everything.batches) == 2
    assert len(regions.batches) == 2 and len(roles.batches) == 2
    bus.close()
    assert regions.closed and roles.closed and not everything.closed


async def test_a_full_buffer_of_changes_closes_the_subscription_as_slow():
    bus = Bus()
    slow = bus.subscribe("slow", maxsize=2, kinds=None)
    bus.publish_envelopes([env(1), env(2), env(3)])
    assert slow.close_reason == "slow_consumer" and bus.dropped == 1
    other = bus.subscribe("other", kinds=None)
    bus.close()
    assert other.close_reason == BUS_CLOSED


def test_a_failing_listener_does_not_reach_the_publisher():
    class Broken(Recorder):
        def deliver(self, messages) -> None:
            raise RuntimeError("bug")

    bus = Bus()
    good = Recorder()
    bus.add_listener(Broken(), kinds=None)
    bus.add_listener(good, kinds=None)
    bus.publish_envelopes([env(1)])
    bus.publish([rec(1)])
    assert len(good.batches) == 2
