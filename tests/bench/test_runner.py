"""The benchmark's schedule of workloads (``starlane.bench.runner``)."""

from __future__ import annotations

from typing import Any

import pytest

from starlane.bench import runner
from starlane.bench.stats import Recorder


async def test_baseline_and_game_are_interleaved_so_a_drifting_machine_cancels_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a machine that speeds up linearly: each workload window serves 1,000 actions/s more
    # than the one before, whatever it runs
    calls: list[tuple[str, float, float]] = []

    async def fake_record(*_args: Any, mode: str, duration: float, **kw: Any) -> Recorder:
        calls.append((mode, duration, kw["warmup"]))
        rate = 1_000 * len(calls)
        rec = Recorder()
        for _ in range(int(rate * duration)):
            rec.record("me" if mode == "baseline" else "move", 0.001)
        return rec

    monkeypatch.setattr(runner, "record", fake_record)
    baseline, game = await runner.measure_against_baseline(
        None,
        "http://bench",
        [],
        transport="rest",
        duration=10.0,
        warmup=2.0,
        processes=1,
        names=("REST baseline: me", "REST game mix"),
    )
    assert calls == [("baseline", 5.0, 2.0), ("game", 5.0, 2.0), ("game", 5.0, 2.0),
                     ("baseline", 5.0, 2.0)]  # fmt: skip
    # windows 1 and 4 against 2 and 3: the same mean speed, so the ratio shows no drift
    # (one window each, one after the other, the game would have seemed twice as fast)
    assert baseline.name == "REST baseline: me" and game.name == "REST game mix"
    assert baseline.by_action == {"me": 25_000} and game.by_action == {"move": 25_000}
    assert baseline.throughput == game.throughput == 2_500
