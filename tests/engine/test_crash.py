"""Crash test: SIGKILL a server process under trade load; nothing acknowledged may be lost.

A worker process (:mod:`tests.engine.crash_worker`) runs the region engines on a SQLite file
with one concurrent caller per trader, logging each acknowledgement, and is killed with
SIGKILL at a random moment. After each kill the regions are recovered from the store and:

- every acknowledged command's event is stored, at the seq and position it was acknowledged
  with, with the same resulting credits and cargo;
- a command that was not acknowledged may at most be the one command its caller had in flight
  (committed just before the kill): per trader and per run, at most one stored trade is
  unacknowledged, and it is that trader's last stored trade;
- the recovered state of every trader equals the balances of their last stored trade;
- the next run starts from that state and keeps trading.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from starlane.domain.rules import evolve
from starlane.engine.region import load_region_state
from starlane.store.db import create_db_engine
from starlane.store.eventstore import EventStore

ROOT = Path(__file__).resolve().parents[2]
KILLS = 4
SEED = 11


def read_acks(path: Path) -> list[tuple[int, int, int, int, int, int]]:
    if not path.exists():
        return []
    acks = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 6:  # a line cut by the kill is not an acknowledgement we rely on
            acks.append(tuple(int(p) for p in parts))
    return acks


def run_and_kill(db: Path, ack_log: Path, rng: random.Random) -> None:
    env = dict(os.environ, PYTHONPATH=f"{ROOT / 'src'}:{ROOT}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.engine.crash_worker", str(db), str(ack_log), str(SEED)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        line = proc.stdout.readline()
        while "READY" not in line:
            assert time.monotonic() < deadline and line, "worker did not start"
            line = proc.stdout.readline()
        time.sleep(rng.uniform(0.2, 1.2))  # a random kill point under load
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.mark.slow
async def test_acknowledged_commands_survive_sigkill(tmp_path: Path):
    db, ack_log = tmp_path / "crash.db", tmp_path / "acks.log"
    rng = random.Random(20021)
    previous_head = 0
    checked = 0
    for _round in range(KILLS):
        acks_before = len(read_acks(ack_log))
        run_and_kill(db, ack_log, rng)
        engine = create_db_engine(f"sqlite+aiosqlite:///{db}")
        store = EventStore(engine)
        try:
            head = await store.head_position()
            stored = {r.position: r for r in await store.read_all(0, limit=10**7)}
            acks = read_acks(ack_log)
            new_acks = acks[acks_before:]
            assert new_acks, "the worker acknowledged nothing before the kill"
            # 1. every acknowledged command is stored as acknowledged
            for player_id, region_id, seq, position, credits, cargo in acks:
                rec = stored.get(position)
                assert rec is not None, f"acknowledged event at position {position} lost"
                assert (rec.region_id, rec.seq, rec.event.player_id) == (region_id, seq, player_id)
                assert (rec.event.credits_after, rec.event.cargo_after) == (credits, cargo)
            # 2. at most one unacknowledged (in-flight) trade per trader in this run, its last
            acked_positions = {a[3] for a in acks}
            this_run = [r for p, r in sorted(stored.items()) if p > previous_head]
            unacked: dict[int, list[int]] = defaultdict(list)
            last_stored: dict[int, object] = {}
            for rec in this_run:
                last_stored[rec.event.player_id] = rec
                if rec.position not in acked_positions:
                    unacked[rec.event.player_id].append(rec.position)
            for player_id, positions in unacked.items():
                assert len(positions) == 1, (player_id, positions)
                assert last_stored[player_id].position == positions[0]
            # 3. the recovered state holds exactly the stored balances
            for region_id in (1, 2, 3):
                loaded = await load_region_state(store, region_id, evolve=evolve)
                assert loaded.state.seq == max(
                    (r.seq for r in stored.values() if r.region_id == region_id), default=0
                )
                latest: dict[int, object] = {}
                for rec in sorted(stored.values(), key=lambda r: r.position):
                    if rec.region_id == region_id:
                        latest[rec.event.player_id] = rec.event
                for player_id, event in latest.items():
                    player = loaded.state.players[player_id]
                    assert player.credits == event.credits_after
                    assert player.ship.cargo.get(event.commodity, 0) == event.cargo_after
            checked += len(new_acks)
            print(
                f"kill {_round}: {len(new_acks)} acknowledged, {len(this_run)} stored, "
                f"{sum(map(len, unacked.values()))} stored but in flight at the kill"
            )
            previous_head = head
        finally:
            await engine.dispose()
    assert checked > 100
