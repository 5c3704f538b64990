"""The event store against an in-memory model, under a seeded random mix of operations."""

from __future__ import annotations

import random

import pytest

from starlane.store import ConcurrencyError
from tests.store.conftest import moved


@pytest.mark.parametrize("seed", [1, 2])
async def test_random_operations_match_the_model(store, seed):
    rng = random.Random(seed)
    streams: dict[int, list] = {1: [], 2: [], 3: []}  # region -> events in seq order
    snaps: dict[int, tuple[int, bytes]] = {}
    all_positions: list[int] = []
    for step in range(120):
        region_id = rng.choice(list(streams))
        last = len(streams[region_id])
        roll = rng.random()
        if roll < 0.6:  # a correct append, sometimes with a snapshot
            batch = [
                (moved(region_id, step * 100 + k), rng.choice([None, 5]))
                for k in range(rng.randint(1, 40))
            ]
            snapshot = None
            if rng.random() < 0.2:
                snapshot = (last + len(batch), f"{region_id}@{step}".encode())
            recorded = await store.append(region_id, last, batch, snapshot=snapshot)
            streams[region_id].extend(recorded)
            all_positions.extend(r.position for r in recorded)
            if snapshot:
                snaps[region_id] = snapshot
        elif roll < 0.8:  # a stale or future expected seq: refused, nothing changes
            wrong = rng.choice(
                [w for w in (last - 1, last + 1, last + 5, 0) if w != last and w >= 0]
            )
            with pytest.raises(ConcurrencyError):
                await store.append(region_id, wrong, [(moved(region_id, 0), None)])
        elif roll < 0.9:
            seq = rng.randint(0, last) if last else 0
            await store.save_snapshot(region_id, seq, f"saved {step}".encode())
            if region_id not in snaps or seq >= snaps[region_id][0]:
                snaps[region_id] = (seq, f"saved {step}".encode())
        else:
            after = rng.randint(0, last)
            got = [r async for r in store.read_region(region_id, after, batch=rng.randint(1, 50))]
            assert got == streams[region_id][after:]
    for region_id, stream in streams.items():
        assert [r async for r in store.read_region(region_id)] == stream
        assert await store.last_seq(region_id) == len(stream)
        assert await store.load_snapshot(region_id) == snaps.get(region_id)
    everything = await store.read_all(limit=100_000)
    assert [r.position for r in everything] == sorted(all_positions)
    assert sorted(everything, key=lambda r: (r.region_id, r.seq)) == sorted(
        (r for s in streams.values() for r in s), key=lambda r: (r.region_id, r.seq)
    )
