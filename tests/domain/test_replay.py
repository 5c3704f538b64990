"""Events: lossless JSON round trips, and replaying stored events rebuilds the same state."""

from __future__ import annotations

import dataclasses
import enum
import random
import types
import typing
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlane.domain import errors
from starlane.domain.codec import copy_state, decode_event, encode_event, encode_state
from starlane.domain.commands import (
    Attack,
    Autopilot,
    BuyHardware,
    BuyShip,
    Command,
    Move,
    RepairHull,
    Scan,
    Trade,
)
from starlane.domain.data import COMMODITIES, SHIP_TYPES, Hardware, RegionKind, Side
from starlane.domain.events import EVENT_TYPES, Event
from starlane.domain.rules import apply_all, decide, evolve
from tests.domain.conftest import PIRATE_ID, T0, build_region, spawn

_ints = st.integers(-(2**53), 2**53)
_floats = st.floats(allow_nan=False, allow_infinity=False)


def _strategy(tp: Any) -> st.SearchStrategy[Any]:
    """A strategy for a field type of an event (JSON-representable values only)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is int:
        return _ints
    if tp is float:
        return _floats
    if tp is str:
        return st.text(max_size=12)
    if tp is bool:
        return st.booleans()
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp))
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = typing.get_type_hints(tp)
        return st.builds(
            tp, **{f.name: _strategy(hints[f.name]) for f in dataclasses.fields(tp) if f.init}
        )
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(_strategy(args[0]), max_size=4).map(tuple)
        return st.tuples(*(_strategy(a) for a in args))
    if origin is list:
        return st.lists(_strategy(args[0]), max_size=4)
    if origin is dict:
        return st.dictionaries(_strategy(args[0]), _strategy(args[1]), max_size=4)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(_strategy(a) for a in args))
    if tp is type(None):
        return st.none()
    return st.from_type(tp)


def _event_strategy(cls: type[Event]) -> st.SearchStrategy[Event]:
    hints = typing.get_type_hints(cls)
    fields = {f.name: _strategy(hints[f.name]) for f in dataclasses.fields(cls) if f.init}
    return st.builds(cls, **fields)


_any_event = st.sampled_from(sorted(EVENT_TYPES)).flatmap(
    lambda name: _event_strategy(EVENT_TYPES[name])
)


@settings(max_examples=300, deadline=None)
@given(event=_any_event)
def test_every_event_type_round_trips_through_json(event: Event) -> None:
    back = decode_event(event.type, event.version, encode_event(event))
    assert back == event
    assert type(back) is type(event)


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_each_registered_event_type_round_trips(name: str, data: st.DataObject) -> None:
    # every registered type, including ones added later; fails loudly if an event grows a
    # field type the generic strategy cannot build
    event = data.draw(_event_strategy(EVENT_TYPES[name]))
    assert event.type == name
    assert decode_event(name, event.version, encode_event(event)) == event


# --- decide, evolve, replay -------------------------------------------------------------------
_sector = st.integers(1, 13)  # 13 does not exist
_commands = st.one_of(
    st.builds(Move, st.sampled_from([7, 8]), _sector),
    st.builds(Autopilot, st.sampled_from([7, 8]), _sector),
    st.builds(Scan, st.sampled_from([7, 8])),
    st.builds(
        Trade,
        st.sampled_from([7, 8]),
        st.sampled_from([1, 3, 5, 6, 7, 9, 10]),
        st.sampled_from(sorted(COMMODITIES)),
        st.sampled_from(list(Side)),
        st.integers(-5, 600),
    ),
    st.builds(BuyShip, st.sampled_from([7, 8]), st.sampled_from(sorted(SHIP_TYPES))),
    st.builds(
        BuyHardware, st.sampled_from([7, 8]), st.sampled_from(list(Hardware)), st.integers(0, 100)
    ),
    st.builds(RepairHull, st.sampled_from([7, 8])),
    st.builds(Attack, st.sampled_from([7, 8]), st.just("pirate"), st.just(PIRATE_ID)),
    st.builds(Attack, st.sampled_from([7, 8]), st.just("player"), st.sampled_from([7, 8])),
)


@settings(max_examples=60, deadline=None)
@given(
    commands=st.lists(st.tuples(_commands, st.floats(0, 7_200)), max_size=40),
    seed=st.integers(0, 2**32),
    pvp=st.booleans(),
)
def test_replaying_events_from_json_rebuilds_the_same_state(
    commands: list[tuple[Command, float]], seed: int, pvp: bool
) -> None:
    kind = RegionKind.PLAYER if pvp else RegionKind.TERRAN
    live = build_region(kind, region_id=3 if pvp else 1, pvp=pvp)
    spawn(live, 7)
    spawn(live, 8)
    initial = copy_state(live)
    rng = random.Random(seed)
    stored: list[tuple[str, int, bytes]] = []
    now = T0
    for cmd, dt in commands:
        now += dt
        before = encode_state(live)
        try:
            events = decide(live, cmd, now, rng)
        except errors.DomainError as exc:
            assert exc.code and exc.kind in {"invalid", "not_found", "forbidden", "conflict"}
            assert encode_state(live) == before  # a refusal changes nothing
            continue
        assert encode_state(live) == before  # decide itself changes nothing
        for e in events:
            evolve(live, e)
            stored.append((e.type, e.version, encode_event(e)))
    replayed = copy_state(initial)
    apply_all(replayed, (decode_event(t, v, p) for t, v, p in stored))
    assert encode_state(replayed) == encode_state(live)
    assert replayed == live
