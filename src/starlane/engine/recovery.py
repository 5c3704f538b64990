"""Recovery of a region: its latest snapshot plus the events stored after it.

Used by the engine registry at start-up, by a region engine reloading after a failed commit,
and by tools and tests that rebuild a region from the store.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from starlane.domain.codec import decode_state, encode_state
from starlane.domain.commands import Command
from starlane.domain.data import DEFAULT_RULES, GameRules
from starlane.domain.events import Event
from starlane.domain.model import RegionState
from starlane.store.ports import EventStore

_log = structlog.get_logger("starlane.engine")

Decide = Callable[[RegionState, Command, float, random.Random], list[Event]]
"""``decide(state, command, now, rng) -> events`` (raises ``DomainError``)."""
Evolve = Callable[[RegionState, Event], None]
"""``evolve(state, event)``: applies one event in place."""


def default_rules_functions() -> tuple[Decide, Evolve]:
    """The game's ``decide`` and ``evolve`` from :mod:`starlane.domain.rules`."""
    from starlane.domain import rules

    return rules.decide, rules.evolve


@dataclass(slots=True)
class LoadedRegion:
    """A region state rebuilt from the store.

    Attributes:
        state: the state, with ``seq`` = the last stored event applied.
        snapshot_seq: seq of the snapshot it started from.
        replayed: events replayed after the snapshot.
    """

    state: RegionState
    snapshot_seq: int
    replayed: int


async def load_region_state(
    store: EventStore,
    region_id: int,
    *,
    rules: GameRules = DEFAULT_RULES,
    evolve: Evolve | None = None,
) -> LoadedRegion:
    """Rebuild a region from its latest snapshot plus the events stored after it.

    Args:
        store: the event store port.
        region_id: the region.
        rules: the rule numbers in force.
        evolve: the evolve function (default: the game's).

    Returns:
        The rebuilt state and how it was built.

    Raises:
        LookupError: the region has no snapshot (it was never bootstrapped).
    """
    if evolve is None:
        evolve = default_rules_functions()[1]
    snap = await store.load_snapshot(region_id)
    if snap is None:
        raise LookupError(f"region {region_id} has no snapshot")
    snapshot_seq, data = snap
    state = decode_state(data, rules)
    state.seq = snapshot_seq
    replayed = 0
    async for recorded in store.read_region(region_id, after_seq=snapshot_seq):
        evolve(state, recorded.event)
        state.seq = recorded.seq
        replayed += 1
    return LoadedRegion(state, snapshot_seq, replayed)


async def reload_region_state(
    store: EventStore, state: RegionState, evolve: Evolve
) -> LoadedRegion:
    """Rebuild a running region from the store after a failure, retrying until it answers.

    Args:
        store: the event store.
        state: the region's live state (for its id and rules; left as it is).
        evolve: the evolve function.

    Returns:
        The state as the store holds it.
    """
    log = _log.bind(region_id=state.region_id)
    delay = 0.05
    while True:
        try:
            loaded = await load_region_state(
                store, state.region_id, rules=state.rules, evolve=evolve
            )
        except Exception as exc:
            log.error("engine.reload_failed", error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
            continue
        log.warning("engine.recovered", seq=loaded.state.seq, replayed=loaded.replayed)
        return loaded


async def save_final_snapshot(store: EventStore, state: RegionState) -> bool:
    """Write a snapshot of a stopped region's state (a failure is logged, not raised).

    Args:
        store: the event store.
        state: the state, every event of it stored.

    Returns:
        True when the snapshot was written.
    """
    try:
        await store.save_snapshot(state.region_id, state.seq, encode_state(state))
    except Exception:
        _log.exception("engine.final_snapshot_failed", region_id=state.region_id, seq=state.seq)
        return False
    return True
