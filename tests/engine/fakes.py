"""A tiny test-only domain and store wrappers for the engine and projection tests.

The engine is tested against its own small domain (a deposit command and a countdown timer), so
its behaviour is pinned down independently of the game rules; the crash, property and router
tests use the real rules.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from starlane.domain.codec import encode_state
from starlane.domain.commands import Command, SpawnPlayer
from starlane.domain.data import STARTER_SHIP, RegionKind
from starlane.domain.errors import (
    InvalidQuantityError,
    PlayerExistsError,
    UnknownPlayerError,
    UnknownTargetError,
)
from starlane.domain.events import EVENT_TYPES, Event, PlayerSpawned, register_event
from starlane.domain.model import Pirate, Player, Region, RegionState, Sector, Ship
from starlane.engine.timers import Timer
from starlane.store.catalogue import RegionRow


@dataclass(frozen=True, slots=True)
class Deposit(Command):
    """Test command: add credits to a player (refused for a non-positive amount)."""

    name: ClassVar[str] = "test_deposit"
    amount: int


@dataclass(frozen=True, slots=True)
class Explode(Command):
    """Test command whose event makes the test evolve crash."""

    name: ClassVar[str] = "test_explode"


@dataclass(frozen=True, slots=True)
class Crash(Command):
    """Test command on which the test decide raises a non-domain error."""

    name: ClassVar[str] = "test_crash"


@dataclass(frozen=True, slots=True)
class DownPirate(Command):
    """Test command: put a pirate down; a timer respawns it."""

    name: ClassVar[str] = "test_down_pirate"
    pirate_id: int


@dataclass(frozen=True, slots=True)
class RespawnPirate(Command):
    """Test timer completion: bring a downed pirate back."""

    name: ClassVar[str] = "test_respawn_pirate"
    pirate_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FakeDeposited(Event):
    type: ClassVar[str] = "test_deposited"
    player_id: int
    amount: int
    credits_after: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FakeExploded(Event):
    type: ClassVar[str] = "test_exploded"
    player_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FakePirateDown(Event):
    type: ClassVar[str] = "test_pirate_down"
    pirate_id: int
    due_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class FakePirateRespawned(Event):
    type: ClassVar[str] = "test_pirate_respawned"
    pirate_id: int


for _cls in (FakeDeposited, FakeExploded, FakePirateDown, FakePirateRespawned):
    if _cls.type not in EVENT_TYPES:
        register_event(_cls)

RESPAWN_DELAY = 0.3  # seconds


def decide(state: RegionState, command: Command, now: float, rng: random.Random) -> list[Event]:
    rid = state.region_id
    if isinstance(command, SpawnPlayer):
        if command.player_id in state.players:
            raise PlayerExistsError("exists", player_id=command.player_id)
        return [
            PlayerSpawned(
                region_id=rid,
                at=now,
                player_id=command.player_id,
                player_name=command.player_name,
                sector_id=state.region.first_sector_id,
                credits=100,
                turns=10,
                ship_type=STARTER_SHIP,
                ship_name="Test",
                membership=command.membership,
            )
        ]
    if isinstance(command, Crash):
        raise RuntimeError("decide bug")
    if isinstance(command, DownPirate):
        if command.pirate_id not in state.pirates:
            raise UnknownTargetError("no pirate")
        return [
            FakePirateDown(
                region_id=rid, at=now, pirate_id=command.pirate_id, due_at=now + RESPAWN_DELAY
            )
        ]
    if isinstance(command, RespawnPirate):
        pirate = state.pirates.get(command.pirate_id)
        if pirate is None or pirate.destroyed_at is None:
            raise UnknownTargetError("pirate is not down")
        return [FakePirateRespawned(region_id=rid, at=now, pirate_id=command.pirate_id)]
    player = state.players.get(command.player_id)
    if player is None:
        raise UnknownPlayerError("no such player", player_id=command.player_id)
    if isinstance(command, Explode):
        return [FakeExploded(region_id=rid, at=now, player_id=command.player_id)]
    assert isinstance(command, Deposit)
    if command.amount <= 0:
        raise InvalidQuantityError("amount must be positive", amount=command.amount)
    return [
        FakeDeposited(
            region_id=rid,
            at=now,
            player_id=command.player_id,
            amount=command.amount,
            credits_after=player.credits + command.amount,
        )
    ]


def evolve(state: RegionState, event: Event) -> None:
    if isinstance(event, PlayerSpawned):
        state.players[event.player_id] = Player(
            event.player_id,
            event.player_name,
            event.region_id,
            event.sector_id,
            event.credits,
            event.turns,
            event.at,
            Ship.new(event.ship_type, event.ship_name),
            event.membership,
            joined_at=event.at,
        )
    elif isinstance(event, FakeDeposited):
        state.players[event.player_id].credits = event.credits_after
    elif isinstance(event, FakeExploded):
        state.players[event.player_id].credits = -1  # half-applied on purpose
        raise RuntimeError("evolve bug")
    elif isinstance(event, FakePirateDown):
        pirate = state.pirates[event.pirate_id]
        pirate.destroyed_at = event.at
        pirate.hull = 0
    elif isinstance(event, FakePirateRespawned):
        pirate = state.pirates[event.pirate_id]
        pirate.destroyed_at = None
        pirate.hull = pirate.max_hull


class RespawnRule:
    """Test timer rule: a downed pirate respawns RESPAWN_DELAY seconds later."""

    def from_event(self, event: Event) -> Timer | None:
        if isinstance(event, FakePirateDown):
            return Timer(
                ("pirate", event.pirate_id), event.due_at, RespawnPirate(0, event.pirate_id)
            )
        return None

    def pending(self, state: RegionState) -> Iterable[Timer]:
        for pirate in state.pirates.values():
            if pirate.destroyed_at is not None:
                yield Timer(
                    ("pirate", pirate.id),
                    pirate.destroyed_at + RESPAWN_DELAY,
                    RespawnPirate(0, pirate.id),
                )


def small_region(region_id: int = 1, first_sector_id: int = 1) -> RegionState:
    """A one-sector region with one pirate."""
    kind = RegionKind.TERRAN if region_id == 1 else RegionKind.PLAYER
    region = Region(region_id, kind, f"Region {region_id}", "", None, first_sector_id, 1, 7)
    sid = first_sector_id
    state = RegionState(region, sectors={sid: Sector(sid, region_id, 1, 0.0, 0.0, 0.0, 0)})
    pid = sid * 10
    state.pirates[pid] = Pirate(pid, region_id, sid, "Blackbeard", 10, 10, 10, 10, 10, 10)
    return state


async def bootstrap_regions(store: Any, states: Sequence[RegionState]) -> None:
    """Store initial snapshots and catalogue rows for test regions."""
    for state in states:
        await store.save_snapshot(state.region_id, 0, encode_state(state))
        await store.add_region(
            RegionRow(
                id=state.region_id,
                kind=str(state.region.kind),
                name=state.region.name,
                seed=state.region.seed,
                sector_count=state.region.sector_count,
                first_sector_id=state.region.first_sector_id,
                created_at=0.0,
            )
        )


class ControlledStore:
    """Wraps an event store: counts commits, can hold them on a gate and make them fail.

    Attributes:
        appends: commits that succeeded.
        quick_appends: of those, the ones answered before ``commit`` returned (on the loop).
        batch_sizes: events per successful commit.
        fail_next: the next this many commits fail with ConnectionError (nothing written).
        gate: when set to an unset event, commits wait for it in a task.
        entered: set when a commit reaches the store.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.appends = 0
        self.batch_sizes: list[int] = []
        self.fail_next = 0
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()
        self.quick_appends = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def commit(
        self, region_id: int, expected_seq: int, items: Any, snapshot: Any, done: Any
    ) -> None:
        self.entered.set()
        if self.gate is None:
            self._forward(region_id, expected_seq, items, snapshot, done)
            return
        task = asyncio.get_running_loop().create_task(
            self._held(region_id, expected_seq, items, snapshot, done)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _held(
        self, region_id: int, expected_seq: int, items: Any, snapshot: Any, done: Any
    ) -> None:
        assert self.gate is not None
        await self.gate.wait()
        self._forward(region_id, expected_seq, items, snapshot, done)

    def _forward(
        self, region_id: int, expected_seq: int, items: Any, snapshot: Any, done: Any
    ) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            done(ConnectionError("database went away"))
            return
        returned = False

        def counted(outcome: Any) -> None:
            if not isinstance(outcome, BaseException):
                self.appends += 1
                self.quick_appends += not returned
                self.batch_sizes.append(len(items))
            done(outcome)

        self.inner.commit(region_id, expected_seq, items, snapshot, counted)
        returned = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def turns_to_answer(engine: Any, count: int = 40) -> int:
    """Event-loop iterations from ``count`` concurrent ``Deposit(7, 1)`` submits to their
    answers, counted by a callback that re-schedules itself once per ready phase; checks the
    answers got seqs 2..count+1 (player 7 spawned at seq 1)."""
    loop = asyncio.get_running_loop()
    turns, counting = 0, True

    def tick() -> None:
        nonlocal turns
        turns += 1
        if counting:
            loop.call_soon(tick)

    loop.call_soon(tick)
    await asyncio.sleep(0)
    started = turns
    results = await asyncio.gather(*(engine.submit(Deposit(7, 1)) for _ in range(count)))
    waited, counting = turns - started, False
    assert sorted(r[0].seq for r in results) == list(range(2, count + 2))
    return waited
