"""Turn pacing: bots spend turns no faster than they can afford, and wait when low."""

from __future__ import annotations

import pytest

from starlane.bots.pacing import SECONDS_PER_DAY, TurnPacing

TURNS = {"available": 1_000, "max": 2_000, "per_day": 1_000}
REGEN = 1_000 / SECONDS_PER_DAY


def test_free_actions_never_wait() -> None:
    assert TurnPacing().wait_before({**TURNS, "available": 0}, 0, 0.0) == 0.0


def test_turns_above_the_reserve_are_spread_over_the_horizon() -> None:
    pacing = TurnPacing(reserve=200, horizon=3_600.0)
    rate = REGEN + 800 / 3_600.0
    assert pacing.wait_before(TURNS, 1, 0.0) == pytest.approx(1 / rate)
    assert pacing.wait_before(TURNS, 1, 1.0) == pytest.approx(1 / rate - 1.0)
    assert pacing.wait_before(TURNS, 1, 100.0) == 0.0


def test_the_rate_falls_toward_regeneration_as_turns_run_down() -> None:
    pacing = TurnPacing(reserve=200, horizon=3_600.0, max_wait=10_000.0)
    waits = [pacing.wait_before({**TURNS, "available": a}, 1, 0.0) for a in (1_000, 500, 201)]
    assert waits == sorted(waits)
    assert waits[-1] == pytest.approx(1 / (REGEN + 1 / 3_600.0))


def test_an_action_that_would_breach_the_reserve_waits_for_regeneration() -> None:
    pacing = TurnPacing(reserve=200, max_wait=10_000.0)
    low = {**TURNS, "available": 200}
    assert pacing.wait_before(low, 5, 1e9) == pytest.approx(5 / REGEN)
    assert TurnPacing(reserve=200).wait_before(low, 5, 1e9) == 60.0  # looks again after a while


def test_no_regeneration_means_waiting_not_spending() -> None:
    assert TurnPacing(reserve=0).wait_before({"available": 0, "per_day": 0}, 1, 1e9) == 60.0


def test_by_default_a_bot_spends_only_what_regenerates() -> None:
    pacing = TurnPacing()
    assert pacing.wait_before(TURNS, 1, 1e9, start=1_000) == 60.0  # nothing above its start
    assert pacing.wait_before({**TURNS, "available": 1_001}, 1, 1e9, start=1_000) == 0.0
    assert pacing.wait_before({**TURNS, "available": 1_001}, 3, 1e9, start=1_000) > 0


def test_at_the_maximum_the_reserve_gives_way() -> None:
    full = {**TURNS, "available": 2_000}
    assert TurnPacing().wait_before(full, 5, 1e9, start=2_000) == 0.0  # turns would be wasted
    assert TurnPacing(reserve=5_000).wait_before(full, 5, 1e9) == 0.0
