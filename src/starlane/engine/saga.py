"""Gate passage between regions: the saga that drives a transfer through two region engines.

A crossing is two commits on the answer's path: the source region commits the departure
(:class:`~starlane.domain.commands.Depart`), then the destination commits the arrival or the
refusal (:class:`~starlane.domain.commands.Arrive`, decided at most once per transfer id).
The source then settles: after an arrival off the answer's path (the player is already
answered and placed), the arrivals of one loop turn closed together in one event
(:class:`~starlane.domain.commands.CloseTransfers`); after a refusal before answering
(:class:`~starlane.domain.commands.SettleTransfer`), since the compensation is what puts the
player back.

Between the departure and the arrival the player is in transit (the player directory knows),
and :class:`~starlane.engine.router.GalaxyService` refuses their other commands with
``in_transit``. A transfer whose steps were interrupted (a crash, an engine reloading) is found
in its source region's ``transfers_out`` and driven to its end by :meth:`GateSaga.recover` at
start-up, or by a background retry when a step failed while the server runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Coroutine, Mapping
from itertools import pairwise
from typing import Any, Protocol

import structlog

from starlane.domain.commands import (
    Arrive,
    Autopilot,
    CloseTransfers,
    Depart,
    Move,
    SettleTransfer,
)
from starlane.domain.diplomacy_terms import HostileRegionError
from starlane.domain.errors import (
    DomainError,
    ImmigrationRefusedError,
    InsufficientTurnsError,
    NoGateError,
    RegionSuspendedError,
    UnknownPlayerError,
    UnknownSectorError,
)
from starlane.domain.events import RecordedEvent
from starlane.domain.model import RegionState
from starlane.domain.movement import current_turns
from starlane.domain.routes import Route
from starlane.domain.travel import ARRIVED, REFUSED, check_admission, gate_to
from starlane.engine.diplomacy import crossing_terms, home_region
from starlane.engine.directory import PlayerDirectory
from starlane.engine.errors import EngineError
from starlane.engine.region import RegionEngine

__all__ = ["ACCOUNT_SYNC_SECONDS", "GateSaga", "check_route_turns", "refusal_error"]

_log = structlog.get_logger("starlane.engine.saga")

ACCOUNT_SYNC_SECONDS = 2.0
"""Seconds between writes of crossed players' regions to their account records."""

_REFUSALS: dict[str, type[DomainError]] = {
    "immigration_refused": ImmigrationRefusedError,
    "hostile_region": HostileRegionError,
    "region_suspended": RegionSuspendedError,
    "unknown_sector": UnknownSectorError,
}


def refusal_error(reason: str, region: RegionState) -> DomainError:
    """The refusal a player is answered with when the destination turned them back.

    Args:
        reason: the refusal code the destination recorded.
        region: the destination region.

    Returns:
        The matching :class:`DomainError` (``immigration_refused`` for an unknown code).
    """
    cls = _REFUSALS.get(reason, ImmigrationRefusedError)
    return cls(
        f"region {region.region.name} turned the passage back ({reason}); you are back at "
        "the gate with the toll and turns refunded",
        region_id=region.region_id,
        reason=reason,
    )


class AccountRegions(Protocol):
    """Where the account records keep each player's region (the account store)."""

    async def set_region(self, account_id: int, region_id: int | None) -> bool:
        """Record the region a player is now in."""
        ...


class GateSaga:
    """Drives gate passages between the region engines of one galaxy (see the module).

    Args:
        engines: region id -> engine (the galaxy's live mapping).
        directory: the galaxy's player directory.
        accounts: the account store, told the player's new region after an arrival.
        new_id: makes transfer ids (default: random UUID hex).
    """

    def __init__(
        self,
        engines: Mapping[int, RegionEngine],
        directory: PlayerDirectory,
        *,
        accounts: AccountRegions | None = None,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._engines = engines
        self._directory = directory
        self._accounts = accounts
        self._new_id = new_id
        self._tasks: set[asyncio.Task[None]] = set()
        self._to_close: dict[int, list[tuple[int, str]]] = {}  # source region -> arrivals
        self._moved: dict[int, None] = {}  # players whose account region is behind
        self._recorder: asyncio.Task[None] | None = None
        self._flush_now = asyncio.Event()

    # --- the passage ------------------------------------------------------------------------
    def gate_target(self, player_id: int, to_sector_id: int) -> RegionEngine | None:
        """The destination engine when ``to_sector_id`` is across the gate in the player's sector.

        Args:
            player_id: the player.
            to_sector_id: the sector asked for.

        Returns:
            The destination region's engine, or None when the move is not a gate passage.
        """
        where = self._directory.locate(player_id)
        if where is None:
            return None
        source = self._engines.get(where[0])
        if source is None or to_sector_id in source.state.sectors:
            return None
        gate = gate_to(source.state, where[1], to_sector_id)
        return None if gate is None else self._engines.get(gate.to_region_id)

    async def cross(self, command: Move) -> list[RecordedEvent]:
        """Pass the gate in the player's sector to ``command.to_sector_id``.

        Args:
            command: the move to the sector at the other end of the gate.

        Returns:
            The departure's and the arrival's recorded events.

        Raises:
            NoGateError: no gate in the player's sector leads there.
            ImmigrationRefusedError, RegionSuspendedError: the destination does not admit
                the player (checked before paying, and again on arrival; after a refusal on
                arrival the player is back at the gate, refunded).
            DomainError: the departure was refused (``insufficient_turns``,
                ``insufficient_credits``, ...); nothing changed.
            EngineError: an engine could not take a step; a transfer already departed is
                driven to its end in the background (the player stays ``in_transit``).
        """
        player_id = command.player_id
        where = self._directory.locate(player_id)
        if where is None:
            raise UnknownPlayerError(f"player {player_id} is not in the galaxy")
        source = self._engines[where[0]]
        gate = gate_to(source.state, where[1], command.to_sector_id)
        destination = None if gate is None else self._engines.get(gate.to_region_id)
        if gate is None or destination is None:
            raise NoGateError(
                f"no gate in sector {where[1]} leads to sector {command.to_sector_id}",
                sector_id=where[1],
                to_sector_id=command.to_sector_id,
            )
        region = destination.state.region
        home, discount, until = crossing_terms(self._engines, region, player_id)
        check_admission(region, player_id, home)
        transfer_id = self._new_id()
        depart = Depart(
            player_id,
            command.to_sector_id,
            transfer_id,
            region.id,
            region.policy.gate_toll,
            discount,
            until,
        )
        departed = await source.submit(depart)
        try:
            arrived = await self._deliver(source, destination, transfer_id)
        except EngineError:
            self._spawn(self._drive(source, transfer_id))
            raise
        return departed + arrived

    async def deliver(
        self, source: RegionEngine, destination: RegionEngine, transfer_id: str
    ) -> list[RecordedEvent]:
        """Steps 2 and 3 of a transfer another module departed (a Warp Jumper's jump).

        Args:
            source: the departure's region engine.
            destination: the destination's engine.
            transfer_id: the transfer.

        Returns:
            The arrival's recorded events.

        Raises:
            DomainError: the destination refused (the player is back at the source).
            EngineError: an engine could not take a step; the transfer is driven to its end
                in the background (the player stays ``in_transit``).
        """
        try:
            return await self._deliver(source, destination, transfer_id)
        except EngineError:
            self._spawn(self._drive(source, transfer_id))
            raise

    async def _deliver(
        self, source: RegionEngine, destination: RegionEngine, transfer_id: str
    ) -> list[RecordedEvent]:
        """Steps 2 and 3 of a departed transfer; the refusal raised after compensating."""
        pending = source.state.transfers_out.get(transfer_id)
        if pending is None:
            return []  # settled already (by a recovery racing this call)
        player_id = pending.player.id
        home = home_region(self._engines, destination.state.region, player_id)
        arrive = Arrive(
            player_id, transfer_id, source.region_id, pending.to_sector_id, pending, home
        )
        arrived = await destination.submit(arrive)
        decided = destination.state.transfers_in.get(transfer_id, ARRIVED)
        if decided == ARRIVED:
            self._close_later(source, player_id, transfer_id)
            return arrived
        await source.submit(SettleTransfer(player_id, transfer_id, REFUSED, decided))
        raise refusal_error(decided, destination.state)

    def _close_later(self, source: RegionEngine, player_id: int, transfer_id: str) -> None:
        """Queue an arrived transfer for closing at its source: one closing event per source
        and loop turn, whatever the number of arrivals."""
        queued = self._to_close.setdefault(source.region_id, [])
        queued.append((player_id, transfer_id))
        if len(queued) == 1:
            self._spawn(self._close(source))

    async def _close(self, source: RegionEngine) -> None:
        await asyncio.sleep(0)  # let this loop turn's arrivals join
        delay = 0.05
        while True:
            queued = self._to_close.pop(source.region_id, None)
            if not queued:
                return
            try:
                await source.submit(CloseTransfers(0, tuple(tid for _, tid in queued)))
            except EngineError as exc:
                _log.warning("saga.close_retry", transfers=len(queued), error=str(exc))
                self._to_close.setdefault(source.region_id, []).extend(queued)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            if self._accounts is not None:
                for player_id, _ in queued:
                    self._moved[player_id] = None
                if self._recorder is None:
                    self._recorder = asyncio.get_running_loop().create_task(self._record())

    async def _record(self) -> None:
        """Tell the account records where crossed players are now, at most every
        ``ACCOUNT_SYNC_SECONDS`` (one write per player however often they crossed meanwhile):
        the directory is the authority, the account's region a slower copy."""
        assert self._accounts is not None
        try:
            while self._moved:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._flush_now.wait(), ACCOUNT_SYNC_SECONDS)
                moved, self._moved = self._moved, {}
                for player_id in moved:
                    where = self._directory.region_of(player_id)
                    if where is None:
                        continue
                    try:
                        await self._accounts.set_region(player_id, where)
                    except Exception:
                        _log.exception("accounts.set_region_failed", player_id=player_id)
        finally:
            self._recorder = None

    async def drive(self, source: RegionEngine, transfer_id: str) -> None:
        """Drive one departure of ``source`` to its end (arrival and settlement, or refusal
        and compensation), retrying while an engine cannot take a step; nothing when it is
        not pending (the region closures' forced departures use it).

        Args:
            source: the departure's region engine.
            transfer_id: the transfer.
        """
        await self._drive(source, transfer_id)

    async def _drive(self, source: RegionEngine, transfer_id: str) -> None:
        """Drive one pending transfer to its end, retrying while an engine cannot take it."""
        delay = 0.05
        while True:
            pending = source.state.transfers_out.get(transfer_id)
            if pending is None:
                return
            destination = self._engines.get(pending.to_region_id)
            if destination is None:
                _log.error("saga.unknown_destination", transfer_id=transfer_id)
                return
            try:
                await self._deliver(source, destination, transfer_id)
                return
            except DomainError:
                return  # refused and compensated
            except EngineError as exc:
                _log.warning("saga.drive_retry", transfer_id=transfer_id, error=str(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- recovery and shutdown ---------------------------------------------------------------
    async def recover(self) -> int:
        """Drive every pending transfer of every region to its end (at start-up).

        Returns:
            The number of transfers found pending.
        """
        work = [
            self._drive(engine, tid)
            for engine in list(self._engines.values())
            for tid in sorted(engine.state.transfers_out)
        ]
        if work:
            await asyncio.gather(*work)
            await self.drain()
            _log.info("saga.recovered", transfers=len(work))
        return len(work)

    async def drain(self) -> None:
        """Wait for the settlements and retries running in the background, and write the
        account regions still owed."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        recorder = self._recorder
        if recorder is not None:
            self._flush_now.set()
            await asyncio.gather(recorder, return_exceptions=True)
            self._flush_now.clear()

    # --- autopilot across regions ----------------------------------------------------------------
    async def autopilot(self, command: Autopilot, route: Route) -> list[RecordedEvent]:
        """Fly a route through any number of gates: in-region legs by autopilot, gates by
        :meth:`cross`.

        The caller refuses a route the player's turns do not cover (:func:`check_route_turns`).

        Args:
            command: the autopilot command (its destination is in another region).
            route: the planned galaxy route (:func:`~starlane.domain.routes.plan_galaxy_route`).

        Returns:
            The recorded events of every leg, in order.

        Raises:
            DomainError: a step was refused; the error's context carries ``stopped_at``
                (``{"region_id", "sector_id"}``: where the player stopped) and ``legs_done``.
        """
        recorded: list[RecordedEvent] = []
        legs = _legs(route)
        for i, (kind, to) in enumerate(legs):
            where = self._directory.locate(command.player_id)
            try:
                if where is None:
                    raise UnknownPlayerError(f"player {command.player_id} is not in the galaxy")
                engine = self._engines[where[0]]
                if kind == "gate":
                    recorded += await self.cross(Move(command.player_id, to))
                elif where[1] != to:
                    recorded += await engine.submit(Autopilot(command.player_id, to))
            except DomainError as refused:
                at = self._directory.locate(command.player_id)
                refused.context["stopped_at"] = (
                    None if at is None else {"region_id": at[0], "sector_id": at[1]}
                )
                refused.context["legs_done"] = i
                refused.detail = f"{refused.detail} (autopilot stopped after {i} legs)"
                refused.args = (refused.detail,)
                raise
        return recorded


def _legs(route: Route) -> list[tuple[str, int]]:
    """A galaxy route as legs: ``("fly", sector)`` in a region, ``("gate", sector)`` across."""
    legs: list[tuple[str, int]] = []
    gates = set(route.gates)
    for a, b in pairwise(route.path):
        if a in gates:
            legs.append(("gate", b))
        elif legs and legs[-1][0] == "fly":
            legs[-1] = ("fly", b)
        else:
            legs.append(("fly", b))
    return legs


def check_route_turns(route: Route, state: RegionState, player_id: int, now: float) -> None:
    """Refuse, up front, a route the player's turns do not cover.

    Args:
        route: the planned route.
        state: the player's region.
        player_id: the player.
        now: unix seconds.

    Raises:
        InsufficientTurnsError: the route costs more turns than the player has.
    """
    player = state.players[player_id]
    turns, _ = current_turns(player, now, state.rules)
    if turns < route.turns:
        raise InsufficientTurnsError(
            f"the route costs {route.turns} turns, {turns} available",
            needed=route.turns,
            available=turns,
            path=list(route.path),
        )
