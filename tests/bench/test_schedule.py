"""Open-loop send schedules: intended times, phases, late clients, latency from intended time."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from starlane.bench.schedule import (
    ClosedLoopPacer,
    OpenLoopPacer,
    client_phases,
    open_loop_latency,
    send_delay,
    send_interval,
)


def test_the_offered_rate_is_spread_evenly_over_the_clients() -> None:
    assert send_interval(100, 2000.0) == pytest.approx(0.05)
    assert send_interval(100, 5000.0) == pytest.approx(0.02)
    assert send_interval(1, 0.5) == 2.0


@pytest.mark.parametrize("rate", [0.0, -1.0, math.nan, math.inf])
def test_a_rate_that_is_not_a_positive_number_is_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="rate"):
        send_interval(10, rate)


def test_no_clients_is_refused() -> None:
    with pytest.raises(ValueError, match="clients"):
        send_interval(0, 100.0)


def test_phases_are_within_one_interval_and_repeatable() -> None:
    phases = client_phases(1000, 0.05, random.Random(7))
    assert len(phases) == 1000
    assert all(0 <= p < 0.05 for p in phases)
    assert phases == client_phases(1000, 0.05, random.Random(7))
    # spread over the interval, not bunched: every tenth of it holds some clients
    assert len({int(p / 0.005) for p in phases}) == 10
    with pytest.raises(ValueError):
        client_phases(3, 0.0, random.Random(1))


def test_a_phase_outside_the_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="phase"):
        OpenLoopPacer(origin=0.0, interval=0.1, phase=0.1, start=0.0, end=1.0)
    with pytest.raises(ValueError, match="interval"):
        OpenLoopPacer(origin=0.0, interval=0.0, phase=0.0, start=0.0, end=1.0)


def test_an_on_time_client_sends_at_its_intended_times_and_waits_for_them() -> None:
    pacer = OpenLoopPacer(origin=100.0, interval=0.25, phase=0.1, start=101.0, end=102.0)
    now, sends = 100.0, []
    while (intended := pacer.next_send(now)) is not None:
        assert send_delay(intended, now) == pytest.approx(intended - now)
        now = intended + 0.01  # sent on time, answered 10 ms later
        sends.append(intended)
    assert sends == pytest.approx([100.1 + 0.25 * k for k in range(8)])
    assert sends[-1] < 102.0 <= sends[-1] + 0.25
    assert pacer.unsent() == 0


def test_a_late_client_sends_at_once_skips_nothing_and_counts_the_wait_as_latency() -> None:
    pacer = OpenLoopPacer(origin=0.0, interval=0.1, phase=0.0, start=0.0, end=10.0)
    assert pacer.next_send(0.0) == 0.0
    # the answer to that first request took 0.35 s: three more sends are already due
    now = 0.35
    late = [pacer.next_send(now) for _ in range(3)]
    assert late == pytest.approx([0.1, 0.2, 0.3])
    assert [send_delay(t, now) for t in late if t is not None] == [0.0, 0.0, 0.0]
    # each late request's latency counts from its intended time, not from when it went out
    assert open_loop_latency(0.1, 0.36) == pytest.approx(0.26)
    # once caught up, the client waits for the next intended time again
    nxt = pacer.next_send(now)
    assert nxt == pytest.approx(0.4) and send_delay(nxt, now) == pytest.approx(0.05)


def test_a_client_behind_at_the_end_drains_its_backlog_then_reports_the_rest_unsent() -> None:
    pacer = OpenLoopPacer(origin=0.0, interval=0.1, phase=0.05, start=1.0, end=2.0, drain=0.5)
    while (t := pacer.next_send(0.0)) is not None and t < 1.5:
        pass
    assert t == pytest.approx(1.55)  # handed out up to 1.55: 1.65, 1.75, 1.85, 1.95 remain
    assert pacer.unsent() == 4
    # the window is over but the drain is not: the owed sends still go out, at once (late)
    assert pacer.next_send(2.1) == pytest.approx(1.65)
    assert send_delay(1.65, 2.1) == 0.0
    assert open_loop_latency(1.65, 2.12) == pytest.approx(0.47)  # the wait counts
    assert pacer.next_send(2.3) == pytest.approx(1.75)
    assert pacer.unsent() == 2
    # the drain is over: stop, and what is still owed is reported
    assert pacer.next_send(2.5) is None
    assert pacer.unsent() == 2
    # nothing intended at or after the end is sent, even within the drain
    caught_up = OpenLoopPacer(origin=0.0, interval=0.1, phase=0.05, start=1.0, end=2.0)
    while caught_up.next_send(0.0) is not None:
        pass
    assert caught_up.sent == 20 and caught_up.next_send(2.01) is None
    assert caught_up.unsent() == 0


def test_without_a_drain_the_client_stops_at_the_end() -> None:
    pacer = OpenLoopPacer(origin=0.0, interval=0.1, phase=0.05, start=1.0, end=2.0, drain=0.0)
    assert pacer.next_send(0.0) == pytest.approx(0.05)
    assert pacer.unsent() == 10  # intended 1.05, 1.15, ..., 1.95, none made
    assert pacer.next_send(2.0) is None
    assert pacer.unsent() == 10
    with pytest.raises(ValueError, match="drain"):
        OpenLoopPacer(origin=0.0, interval=0.1, phase=0.0, start=1.0, end=2.0, drain=-1.0)


def test_the_closed_loop_sends_at_once_until_the_end() -> None:
    pacer = ClosedLoopPacer(end=5.0)
    assert pacer.next_send(1.23) == 1.23
    assert pacer.next_send(5.0) is None
    assert pacer.unsent() == 0


@given(
    interval=st.floats(0.001, 1.0),
    phase_fraction=st.floats(0.0, 0.999),
    origin=st.floats(0.0, 1e6),
    warmup=st.floats(0.0, 2.0),
    duration=st.floats(0.1, 5.0),
    service=st.lists(st.floats(0.0, 0.5), min_size=1, max_size=50),
)
def test_a_simulated_client_keeps_its_schedule_whatever_the_answer_times(
    interval: float,
    phase_fraction: float,
    origin: float,
    warmup: float,
    duration: float,
    service: list[float],
) -> None:
    phase = phase_fraction * interval
    start = origin + warmup
    end = start + duration
    pacer = OpenLoopPacer(origin=origin, interval=interval, phase=phase, start=start, end=end)
    now, intended_times, measured = origin, [], 0
    for k in range(100_000):
        intended = pacer.next_send(now)
        if intended is None:
            break
        sent = now + send_delay(intended, now)
        # at the intended time, or at once when late (now + delay rounds in the last bit)
        assert sent == pytest.approx(max(now, intended), rel=1e-12, abs=1e-9)
        answered = sent + service[k % len(service)]
        latency = open_loop_latency(intended, answered)
        assert latency >= service[k % len(service)] - 1e-9  # waiting to be sent counts too
        intended_times.append(intended)
        measured += intended >= start
        now = answered
    assert intended_times == pytest.approx(
        [origin + phase + k * interval for k in range(len(intended_times))]
    )
    # every intended send of the window was either made or is reported as unsent
    in_window = sum(
        1
        for k in range(int((end - origin) / interval) + 2)
        if start <= origin + phase + k * interval < end
    )
    assert measured + pacer.unsent() == in_window


@given(
    clients=st.integers(1, 200),
    rate=st.floats(1.0, 10_000.0),
    seed=st.integers(0, 2**32),
)
def test_all_clients_together_offer_the_rate(clients: int, rate: float, seed: int) -> None:
    interval = send_interval(clients, rate)
    duration = 10.0
    offered = 0
    for phase in client_phases(clients, interval, random.Random(seed)):
        pacer = OpenLoopPacer(origin=0.0, interval=interval, phase=phase, start=0.0, end=duration)
        offered += pacer.unsent()  # nothing sent yet: the whole window is still to send
    # each client's count is within one of duration / interval
    assert abs(offered - rate * duration) <= clients
