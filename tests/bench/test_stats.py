"""Latency statistics of the load benchmark."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from starlane.bench.stats import Recorder, percentile


def test_nearest_rank_percentiles() -> None:
    samples = [float(i) for i in range(1, 101)]
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 95) == 95.0
    assert percentile(samples, 99) == 99.0
    assert percentile(samples, 100) == 100.0
    assert percentile([], 99) == 0.0


def test_percentile_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError):
        percentile([1.0], 101)


@given(st.lists(st.floats(0, 10, allow_nan=False), min_size=1), st.floats(0, 100))
def test_percentile_is_a_sample_and_monotonic(samples: list[float], pct: float) -> None:
    ordered = sorted(samples)
    value = percentile(ordered, pct)
    assert value in ordered
    assert percentile(ordered, min(100.0, pct + 1)) >= value


def test_recorder_summary_counts_errors_and_throughput() -> None:
    rec = Recorder()
    for i in range(10):
        rec.record("move", 0.001 * (i + 1))
    rec.record("trade", 0.5, error="price_moved")
    summary = rec.summary("mix", seconds=2.0)
    assert summary.actions == 11
    assert summary.throughput == 5.5
    assert summary.errors == {"price_moved": 1}
    assert summary.by_action == {"move": 10, "trade": 1}
    assert summary.max == 0.5
    assert summary.p50 == pytest.approx(0.006)
    assert summary.to_dict()["p99_ms"] == 500.0


def test_latency_percentiles_are_also_given_per_action() -> None:
    rec = Recorder()
    for i in range(100):
        rec.record("quote", 0.001)
        rec.record("move", 0.010 + 0.001 * i)
    summary = rec.summary("mix", seconds=1.0)
    assert summary.latency_by_action["quote"] == (0.001, 0.001)
    p50, p99 = summary.latency_by_action["move"]
    assert p50 == pytest.approx(0.059) and p99 == pytest.approx(0.108)
    assert summary.to_dict()["latency_by_action"]["move"] == {"p50_ms": 59.0, "p99_ms": 108.0}
    assert summary.p99 == pytest.approx(0.107)  # over both actions together


@given(
    st.lists(st.tuples(st.sampled_from(["move", "quote", "trade"]), st.floats(0, 1)), max_size=50)
)
def test_merging_keeps_every_sample_of_every_action(samples: list[tuple[str, float]]) -> None:
    halves = Recorder(), Recorder()
    for i, (action, seconds) in enumerate(samples):
        halves[i % 2].record(action, seconds)
    merged = Recorder()
    merged.merge(Recorder.from_state(h.to_state()) for h in halves)
    whole = Recorder()
    for action, seconds in samples:
        whole.record(action, seconds)
    assert merged.summary("x", 1.0) == whole.summary("x", 1.0)


def test_recorders_merge_across_processes() -> None:
    a, b = Recorder(), Recorder()
    a.record("move", 0.1)
    b.record("move", 0.2, error="not_adjacent")
    merged = Recorder()
    merged.merge([Recorder.from_state(a.to_state()), Recorder.from_state(b.to_state())])
    assert merged.summary("x", 1.0).actions == 2
    assert merged.errors["not_adjacent"] == 1


def test_an_open_loop_summary_carries_its_offered_rate_and_backlog() -> None:
    a, b = Recorder(), Recorder()
    a.record("move", 0.01)
    a.unsent = 3
    b.unsent = 4
    merged = Recorder()
    merged.merge([Recorder.from_state(a.to_state()), Recorder.from_state(b.to_state())])
    assert merged.unsent == 7
    data = merged.summary("REST game mix, 2,000/s offered", 1.0, offered_rate=2000.0).to_dict()
    assert data["loop"] == "open"
    assert data["offered_rate"] == 2000.0
    assert data["unsent"] == 7
    closed = Recorder().summary("REST game mix", 1.0).to_dict()
    assert closed["loop"] == "closed" and closed["offered_rate"] is None


def test_the_rules_reference_times_accepted_moves() -> None:
    from starlane.bench.calibrate import build_region, decide_evolve, move_commands, rules_reference

    state = build_region(20, seed=1)
    moves = move_commands(state, 500, seed=1)
    assert decide_evolve(state, moves) == 500  # one event per move: none was refused
    # moves per second: thousands at least on any machine, never 0 or infinite
    assert 1_000 < rules_reference(players=20, commands=2_000, rounds=1) < 1e8
