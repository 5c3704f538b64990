"""A store written by an earlier version of Starlane loads into the same state today.

``tests/fixtures/replay_store.sqlite`` was written by the code named in
``replay_expected.json`` (``made_by``; remade only with ``tests/fixtures/make_replay_store.py``
on that code): players spawned, moved, traded, scanned, bought a ship, fighters, holds and
shields (the stored shapes of that time), repaired and fought. Loading it with the current
codec and rules, by replaying every stored event onto the initial snapshot and from the latest
snapshot plus the events after it, must give the states that code computed, field by field.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from starlane.domain.codec import decode_event, decode_state
from starlane.domain.data import Hardware
from starlane.domain.events import HardwareBought
from starlane.domain.model import RegionState
from starlane.domain.rules import apply_all

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXPECTED = json.loads((FIXTURES / "replay_expected.json").read_text())


def _maker() -> Any:
    spec = importlib.util.spec_from_file_location(
        "make_replay_store", FIXTURES / "make_replay_store.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


state_json = _maker().state_json


@pytest.fixture
def store(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    copy = tmp_path / "replay_store.sqlite"
    shutil.copy(FIXTURES / "replay_store.sqlite", copy)
    con = sqlite3.connect(copy)
    yield con
    con.close()


def _events(con: sqlite3.Connection, region_id: int, after_seq: int) -> list[Any]:
    rows = con.execute(
        "SELECT seq, type, version, payload FROM events"
        " WHERE region_id = ? AND seq > ? ORDER BY seq",
        (region_id, after_seq),
    ).fetchall()
    return [(seq, decode_event(t, v, payload)) for seq, t, v, payload in rows]


def _load(con: sqlite3.Connection, region_id: int, *, latest: bool) -> tuple[RegionState, int]:
    order = "DESC" if latest else "ASC"
    seq, data = con.execute(
        f"SELECT seq, data FROM snapshots WHERE region_id = ? ORDER BY seq {order} LIMIT 1",
        (region_id,),
    ).fetchone()
    state = decode_state(bytes(data))
    tail = _events(con, region_id, seq)
    apply_all(state, [e for _, e in tail])
    state.seq = tail[-1][0] if tail else seq
    return state, seq


def test_the_fixture_holds_every_kind_of_stored_event(store: sqlite3.Connection) -> None:
    stored = dict(store.execute("SELECT type, count(*) FROM events GROUP BY type").fetchall())
    assert stored == EXPECTED["event_types"]
    for old in ("fighters_bought", "holds_bought", "shields_bought", "hull_repaired"):
        assert stored[old] >= 1


def test_the_old_hardware_events_read_as_hardware_bought(store: sqlite3.Connection) -> None:
    rows = store.execute(
        "SELECT type, version, payload FROM events WHERE type LIKE '%_bought' AND type != "
        "'ship_bought' ORDER BY position"
    ).fetchall()
    assert {t for t, _, _ in rows} == {"fighters_bought", "holds_bought", "shields_bought"}
    for stored_type, version, payload in rows:
        old = json.loads(payload)
        event = decode_event(stored_type, version, payload)
        assert isinstance(event, HardwareBought)
        item = stored_type.removesuffix("_bought")
        assert event.item == Hardware(item)
        assert event.quantity == old["count"]
        assert event.units_after == old[f"{item}_after"]
        assert (event.price, event.credits_after) == (old["price"], old["credits_after"])
        assert (event.player_id, event.sector_id, event.at) == (
            old["player_id"],
            old["sector_id"],
            old["at"],
        )


@pytest.mark.parametrize("region_id", sorted(int(r) for r in EXPECTED["regions"]))
def test_replaying_every_event_onto_the_initial_snapshot_gives_the_same_state(
    store: sqlite3.Connection, region_id: int
) -> None:
    state, snapshot_seq = _load(store, region_id, latest=False)
    assert snapshot_seq == 0
    assert state_json(state) == EXPECTED["regions"][str(region_id)]


@pytest.mark.parametrize("region_id", sorted(int(r) for r in EXPECTED["regions"]))
def test_loading_from_the_latest_snapshot_gives_the_same_state(
    store: sqlite3.Connection, region_id: int
) -> None:
    state, _ = _load(store, region_id, latest=True)
    assert state_json(state) == EXPECTED["regions"][str(region_id)]


def test_a_mid_stream_snapshot_plus_its_tail_gives_the_same_state(
    store: sqlite3.Connection,
) -> None:
    rows = store.execute("SELECT seq FROM snapshots WHERE region_id = 1 ORDER BY seq").fetchall()
    middle = [seq for (seq,) in rows if 0 < seq < EXPECTED["regions"]["1"]["seq"]]
    assert middle, "the fixture keeps a snapshot taken between the first and the last event"
    seq, data = store.execute(
        "SELECT seq, data FROM snapshots WHERE region_id = 1 AND seq = ?", (middle[0],)
    ).fetchone()
    state = decode_state(bytes(data))
    tail = _events(store, 1, seq)
    apply_all(state, [e for _, e in tail])
    state.seq = tail[-1][0]
    assert state_json(state) == EXPECTED["regions"]["1"]
