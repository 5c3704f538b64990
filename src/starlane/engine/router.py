"""The galaxy service: the registry of region engines and the router of commands to them.

:class:`GalaxyService` is what the API holds. On :meth:`~GalaxyService.start` it recovers every
region of the catalogue (latest snapshot + the events after it), re-arms their timers and
starts one :class:`~starlane.engine.region.RegionEngine` per region. :meth:`~GalaxyService.execute`
sends a command to the engine of the region the player is in (a new player's
:class:`~starlane.domain.commands.SpawnPlayer` goes to Terran Space) and returns the committed
events. Reads (:meth:`~GalaxyService.player`, :meth:`~GalaxyService.region_state`,
:meth:`~GalaxyService.plan_route`) look at the engines' live states between commands.

Where each player is comes from the :class:`~starlane.engine.directory.PlayerDirectory` the
engines keep (:attr:`GalaxyService.directory`): routing a command and finding a player are one
dictionary look-up, whatever the number of regions.
"""

from __future__ import annotations

import bisect
import random
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import structlog

from starlane.bus import Bus
from starlane.domain.commands import Autopilot, Command, Move, SpawnPlayer, Trade
from starlane.domain.data import DEFAULT_RULES, GameRules
from starlane.domain.errors import InTransitError, PlayerExistsError, RegionSuspendedError
from starlane.domain.events import RecordedEvent
from starlane.domain.jumps import Jump
from starlane.domain.model import TERRAN_REGION_ID, Player, Region, RegionState
from starlane.domain.routes import Route, plan_galaxy_route
from starlane.engine.citizenship import CitizenshipMoves
from starlane.engine.closure import RegionClosures
from starlane.engine.diplomacy import Diplomacy, with_home_region
from starlane.engine.directory import PlayerDirectory
from starlane.engine.errors import PlayerNotFoundError, UnknownRegionError
from starlane.engine.jumps import jump
from starlane.engine.payout import TreasuryPayouts
from starlane.engine.provisioning import RegionProvisioner
from starlane.engine.recovery import (
    Decide,
    Evolve,
    LoadedRegion,
    default_rules_functions,
    load_region_state,
)
from starlane.engine.region import RegionEngine
from starlane.engine.saga import GateSaga, check_route_turns
from starlane.engine.timers import TimerRule
from starlane.store.catalogue import set_region_status
from starlane.store.ports import EventStore

_log = structlog.get_logger("starlane.engine.router")


class PlayerRegions(Protocol):
    """Where the account records keep each player's region (the account store)."""

    async def set_region(self, account_id: int, region_id: int | None) -> bool:
        """Record the region a player is now in; False when there is no such account."""
        ...


class GalaxyService:
    """Owns the region engines of the galaxy and routes commands to them.

    Attributes:
        engines: region id -> running engine.
        rules: the rule numbers in force.
        directory: where every player is, kept by the engines.
        saga: drives gate passages between the regions.
        provisioning: provisions player regions while the galaxy runs (and finishes an
            interrupted provisioning at start-up).
        closures: drives operators' region closures (resumed at start-up).
        payouts: drives payouts from a region's treasury to a player in any region.
        citizenship: makes a region a player's home (and pays its starting credits).
        diplomacy: stances and trade agreements between regions (owner and mirror).
    """

    def __init__(
        self,
        store: EventStore,
        bus: Bus,
        *,
        accounts: PlayerRegions | None = None,
        snapshot_every: int = 1000,
        queue_size: int = 10_000,
        clock: Callable[[], float] = time.time,
        rules: GameRules = DEFAULT_RULES,
        rng_seed: int | None = None,
        decide: Decide | None = None,
        evolve: Evolve | None = None,
        timer_rules: Sequence[TimerRule] = (),
    ) -> None:
        """Create the service (call :meth:`start` to recover and start the regions).

        Args:
            store: the event store.
            bus: the bus committed events are published on.
            accounts: the account store; when given, a spawned player's region is recorded
                with ``accounts.set_region``.
            snapshot_every: snapshot interval of every engine, events.
            queue_size: command queue size of every engine.
            clock: unix-seconds clock.
            rules: the rule numbers in force.
            rng_seed: seed of the engines' random generators (None: unpredictable).
            decide: decide function (default: the game's rules).
            evolve: evolve function (default: the game's rules).
            timer_rules: timer rules armed in every region.
        """
        rules_decide, rules_evolve = default_rules_functions()
        self._store = store
        self._bus = bus
        self._accounts = accounts
        self._snapshot_every = snapshot_every
        self._queue_size = queue_size
        self._clock = clock
        self.rules = rules
        self._rng_seed = rng_seed
        self._decide = decide or rules_decide
        self._evolve = evolve or rules_evolve
        self._timer_rules = tuple(timer_rules)
        self.engines: dict[int, RegionEngine] = {}
        self.directory = PlayerDirectory()
        self.saga = GateSaga(self.engines, self.directory, accounts=accounts)
        self.payouts = TreasuryPayouts(self.engines, self.directory)
        self.citizenship = CitizenshipMoves(self.engines, self.directory, self.payouts)
        self.closures = RegionClosures(self, self._mark_closed)
        self.diplomacy = Diplomacy(self)
        # (engines dict, [(first sector id, sector count, region id)], [first sector ids])
        self._sector_index: (
            tuple[dict[int, RegionEngine], list[tuple[int, int, int]], list[int]] | None
        ) = None
        self._started = False
        self.provisioning = RegionProvisioner(self, store, clock=clock)

    async def start(self) -> None:
        """Recover every region of the catalogue, start its engine and re-arm its timers.

        A provisioning interrupted after its Nexus terminal was recorded is finished here
        (:meth:`RegionProvisioner.finish_pending
        <starlane.engine.provisioning.RegionProvisioner.finish_pending>`).

        Raises:
            LookupError: a region of the catalogue has no snapshot (never bootstrapped).
        """
        if self._started:
            return
        rows = await self._store.list_regions()
        started = time.perf_counter()
        for row in rows:
            loaded = await load_region_state(
                self._store, row.id, rules=self.rules, evolve=self._evolve
            )
            self.engines[row.id] = self._new_engine(loaded)
            _log.info(
                "region.recovered",
                region_id=row.id,
                seq=loaded.state.seq,
                snapshot_seq=loaded.snapshot_seq,
                replayed=loaded.replayed,
            )
        closed = {row.id for row in rows if row.status == "closed"}
        for region_id, engine in self.engines.items():
            if region_id not in closed:  # a closed region's state is kept, read-only
                await engine.start()
        # a provisioning interrupted past its commit point (its Nexus terminal is recorded)
        await self.provisioning.finish_pending()
        await self.saga.recover()
        await self.payouts.recover()
        await self.citizenship.recover()
        await self.closures.resume()
        await self.diplomacy.reconcile()
        self._started = True
        _log.info(
            "galaxy.started", regions=len(self.engines), seconds=time.perf_counter() - started
        )

    def _new_engine(self, loaded: LoadedRegion) -> RegionEngine:
        """A (stopped) engine for a region rebuilt from the store, set up like every other."""
        region_id = loaded.state.region_id
        rng = random.Random(None if self._rng_seed is None else self._rng_seed + region_id)
        return RegionEngine(
            loaded.state,
            self._store,
            self._bus,
            snapshot_every=self._snapshot_every,
            queue_size=self._queue_size,
            clock=self._clock,
            rng=rng,
            decide=self._decide,
            evolve=self._evolve,
            timer_rules=self._timer_rules,
            snapshot_seq=loaded.snapshot_seq,
            directory=self.directory,
        )

    async def add_region_engine(
        self, region_id: int, state: RegionState | None = None
    ) -> RegionEngine:
        """Start the engine of a region catalogued while the galaxy runs, and route to it.

        Used by provisioning (:mod:`starlane.engine.provisioning`). Once in :attr:`engines`
        the region is seen by everything that reads that mapping: the router, the sector
        index, the gate saga, route planning, the metrics and the health checks.

        Args:
            region_id: the region.
            state: its initial state exactly as stored at seq 0 (saves decoding the
                snapshot); None to rebuild it from the store.

        Returns:
            The running engine.

        Raises:
            ValueError: the region already has an engine.
            LookupError: ``state`` is None and the region has no snapshot.
        """
        if region_id in self.engines:
            raise ValueError(f"region {region_id} already has an engine")
        if state is None:
            loaded = await load_region_state(
                self._store, region_id, rules=self.rules, evolve=self._evolve
            )
        else:
            loaded = LoadedRegion(state, state.seq, 0)
        engine = self._new_engine(loaded)
        await engine.start()
        self.engines[region_id] = engine
        _log.info("region.added", region_id=region_id, seq=loaded.state.seq)
        return engine

    async def stop(self) -> None:
        """Drain every engine's queue, write final snapshots and stop the engines."""
        await self.closures.stop()
        await self.saga.drain()
        await self.payouts.drain()
        for engine in self.engines.values():
            await engine.stop()
        self._started = False
        _log.info("galaxy.stopped", regions=len(self.engines))

    async def _mark_closed(self, region_id: int) -> None:
        """Record a closed region in the catalogue (the event store's database)."""
        db = getattr(self._store, "engine", None)
        if db is not None:
            await set_region_status(db, region_id, "closed")

    # --- commands -----------------------------------------------------------------------
    async def execute(self, command: Command) -> list[RecordedEvent]:
        """Route a command to the engine of the player's region and wait for its commit.

        A :class:`Move` to the sector across the gate in the player's sector is a gate passage,
        and an :class:`Autopilot` to a sector of another region flies through the gates on its
        route (both through :attr:`saga`).

        Args:
            command: the command; a :class:`SpawnPlayer` goes to Terran Space.

        Returns:
            The committed events.

        Raises:
            InTransitError: the player is passing a gate (``in_transit``).
            PlayerNotFoundError: the player is in no region (and the command is not a spawn).
            DomainError: the rules refused the command (``player_exists`` for a second spawn).
            EngineBusyError: the region's queue is full.
            EngineUnavailableError: the region engine is stopped or recovering.
        """
        if isinstance(command, SpawnPlayer):
            where = self.locate(command.player_id)
            if where is not None and where != TERRAN_REGION_ID:
                raise PlayerExistsError(
                    f"player {command.player_id} is already in region {where}",
                    player_id=command.player_id,
                    region_id=where,
                )
            region_id = TERRAN_REGION_ID
        else:
            player_id = command.player_id
            found = self.locate(player_id)
            if found is None:
                if self.directory.in_transit(player_id):
                    raise InTransitError(
                        f"player {player_id} is passing a gate", player_id=player_id
                    )
                raise PlayerNotFoundError(f"player {player_id} is not in the galaxy")
            region_id = found
            if isinstance(command, Move):
                if self.saga.gate_target(player_id, command.to_sector_id) is not None:
                    return await self.saga.cross(command)
            elif isinstance(command, Autopilot):
                target = self.sector_region(command.to_sector_id)
                if target is not None and target.region_id != region_id:
                    route = self.plan_route(player_id, command.to_sector_id)
                    state = self.engine(region_id).state
                    check_route_turns(route, state, player_id, self._clock())
                    return await self.saga.autopilot(command, route)
            elif isinstance(command, Trade):
                state = self.engine(region_id).state
                command = with_home_region(command, self.engines, state.region)
            elif isinstance(command, Jump):
                return await jump(self, command)
        engine = self.engine(region_id)
        recorded = await engine.submit(command)
        if isinstance(command, SpawnPlayer) and self._accounts is not None:
            try:
                await self._accounts.set_region(command.player_id, region_id)
            except Exception:
                _log.exception(
                    "accounts.set_region_failed", player_id=command.player_id, region_id=region_id
                )
        return recorded

    async def execute_in(self, region_id: int, command: Command) -> list[RecordedEvent]:
        """Submit a command to one region's engine, wherever the acting player is.

        Governance and platform commands (a governor's policy change, an operator's
        suspension, a Nexus gate terminal) act on a region, not on the player's own position:
        they go to that region's engine. Game commands go through :meth:`execute`.

        Args:
            region_id: the region whose engine decides the command.
            command: the command.

        Returns:
            The committed events.

        Raises:
            UnknownRegionError: no such region is running.
            RegionSuspendedError: the region is closed (its engine is not run).
            DomainError: the rules refused the command.
            EngineBusyError: the region's queue is full.
            EngineUnavailableError: the region engine is stopped or recovering.
        """
        engine = self.engine(region_id)
        region = engine.state.region
        if region.closed and engine.status == "stopped":
            raise RegionSuspendedError(
                f"region {region.name} is closed", region_id=region_id, status="closed"
            )
        return await engine.submit(command)

    # --- reads ---------------------------------------------------------------------------
    def engine(self, region_id: int) -> RegionEngine:
        """The engine of a region.

        Args:
            region_id: the region.

        Returns:
            Its engine.

        Raises:
            UnknownRegionError: no such region in the catalogue.
        """
        try:
            return self.engines[region_id]
        except KeyError:
            raise UnknownRegionError(f"no region {region_id}") from None

    def locate(self, player_id: int) -> int | None:
        """The region the player is in (:attr:`directory`, one look-up).

        Args:
            player_id: the player.

        Returns:
            The region id, or None when the player has not entered the galaxy.
        """
        return self.directory.region_of(player_id)

    def region_state(self, region_id: int) -> RegionState:
        """The live state of a region (read-only).

        Args:
            region_id: the region.

        Returns:
            Its state.

        Raises:
            UnknownRegionError: no such region.
        """
        return self.engine(region_id).state

    def sector_region(self, sector_id: int) -> RegionState | None:
        """The live state of the region holding a sector (regions own disjoint id ranges).

        A binary search over the regions' first sector ids, rebuilt when the set of engines
        changes: sector lookups are on the hot path of sector views, ports and quotes.

        Args:
            sector_id: global sector id.

        Returns:
            The region's state, or None when no region's range holds the id.
        """
        engines = self.engines
        index = self._sector_index
        if index is None or index[0] is not engines or len(index[1]) != len(engines):
            ranges = sorted(
                (e.state.region.first_sector_id, e.state.region.sector_count, rid)
                for rid, e in engines.items()
            )
            index = (engines, ranges, [first for first, _, _ in ranges])
            self._sector_index = index
        _, ranges, firsts = index
        i = bisect.bisect_right(firsts, sector_id) - 1
        if i < 0:
            return None
        first, count, region_id = ranges[i]
        if sector_id >= first + count:
            return None
        return engines[region_id].state

    def now(self) -> float:
        """The galaxy's clock (unix seconds), the one its engines decide with."""
        return self._clock()

    def region_info(self, region_id: int) -> Region | None:
        """A region's identity and governance (live), or None for an unknown region id.

        Args:
            region_id: the region.

        Returns:
            Its :class:`~starlane.domain.model.Region`, or None.
        """
        engine = self.engines.get(region_id)
        return None if engine is None else engine.state.region

    def regions(self) -> list[RegionState]:
        """The live state of every region, by region id."""
        return [self.engines[rid].state for rid in sorted(self.engines)]

    def player(self, player_id: int) -> Player | None:
        """A player as their region holds them.

        Args:
            player_id: the player.

        Returns:
            The player, or None when not in the galaxy.
        """
        region_id = self.directory.region_of(player_id)
        engine = None if region_id is None else self.engines.get(region_id)
        return None if engine is None else engine.state.players.get(player_id)

    def plan_route(self, player_id: int, to_sector_id: int) -> Route:
        """Plan the least-turn route of a player to any sector of the galaxy (gates included).

        Args:
            player_id: the player.
            to_sector_id: the destination sector id (global).

        Returns:
            The :class:`~starlane.domain.routes.Route`.

        Raises:
            PlayerNotFoundError: the player is not in the galaxy.
            UnknownSectorError: the destination is in no region.
            NoRouteError: no path of warps and gates leads there.
        """
        player = self.player(player_id)
        if player is None:
            raise PlayerNotFoundError(f"player {player_id} is not in the galaxy")
        states = {rid: engine.state for rid, engine in self.engines.items()}
        return plan_galaxy_route(
            states,
            player.sector_id,
            to_sector_id,
            player.ship.spec.move_turns,
            self.rules.gate_turns,
        )
