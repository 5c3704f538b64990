"""The closure driver: evacuates a closing region to the Nexus, then closes it for good.

A closure starts with a ``RegionClosing`` event in the region's stream
(:class:`~starlane.domain.region_admin.BeginClosure`); from then on the region is ``closing``
and :class:`RegionClosures` drives it to its end, in rounds until nothing is left:

1. every departure still on its way *towards* the region (from any region) is driven
   through the gate saga: a closing region admits it (toll refunded), so nobody is stranded
   in a passage that would otherwise be refused;
2. when the governor is in the region, the treasury is paid into their credits
   (``ClosureTreasuryPaid``) so it rides with them;
3. every player in the region is evacuated through the saga to the Nexus refugee-assistance
   district (``Evacuate``: a ``TransferDeparted`` without gate, turns or toll, then the
   saga's ``Arrive`` at the Nexus and the settlement; a refused arrival is compensated and
   retried in the next round);
4. the region's own pending departures are driven to their end.

When the region is empty, the Nexus terminal to it closes (``CloseGateTerminal``: from then
on no departure towards it can even be decided), the departures still towards it are driven
once more, a treasury owed to a governor outside the region is paid by the treasury payout
saga (:mod:`starlane.engine.payout`),
``FinishClosure`` records ``RegionClosed``, the catalogue marks the region ``closed``
and its engine stops. Every step is idempotent and its state is in the event streams, so at
start-up (:meth:`RegionClosures.resume`) a region found ``closing`` resumes its closure and a
region found closed whose catalogue row or engine lagged behind is finished.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import structlog

from starlane.domain.errors import DomainError, UnknownPlayerError
from starlane.domain.model import NEXUS_REGION_ID
from starlane.domain.region_closure import (
    Evacuate,
    FinishClosure,
    PayTreasury,
    refugee_sectors,
)
from starlane.domain.terminals import CloseGateTerminal
from starlane.engine.errors import EngineError, PlayerNotFoundError

if TYPE_CHECKING:
    from starlane.engine.region import RegionEngine
    from starlane.engine.router import GalaxyService

__all__ = ["EVACUATION_BATCH", "RegionClosures"]

_log = structlog.get_logger("starlane.engine.closure")

EVACUATION_BATCH = 500
"""Players evacuated concurrently per round step (the engines batch their commits)."""


class RegionClosures:
    """Runs the closure of closing regions (one driver task per region; see the module).

    Args:
        galaxy: the galaxy service (engines, saga).
        mark_closed: records a closed region in the catalogue (``set_region_status``).
        new_id: makes transfer ids.
    """

    def __init__(
        self,
        galaxy: GalaxyService,
        mark_closed: Callable[[int], Awaitable[object]],
        *,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._galaxy = galaxy
        self._mark_closed = mark_closed
        self._new_id = new_id
        self._tasks: dict[int, asyncio.Task[None]] = {}

    def start(self, region_id: int) -> asyncio.Task[None]:
        """Drive a closing region's closure in the background (once per region).

        Args:
            region_id: the closing region.

        Returns:
            The driver task (the running one when already started).
        """
        task = self._tasks.get(region_id)
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(self._run(region_id))
            self._tasks[region_id] = task
        return task

    async def wait(self, region_id: int) -> None:
        """Wait until a region's closure driver has finished (nothing when none runs).

        Args:
            region_id: the region.
        """
        task = self._tasks.get(region_id)
        if task is not None:
            await asyncio.shield(task)

    def running(self) -> list[int]:
        """The regions whose closure is being driven now."""
        return sorted(rid for rid, task in self._tasks.items() if not task.done())

    async def resume(self) -> list[int]:
        """At start-up: resume every closing region's closure and finish the closed ones.

        Returns:
            The ids of the regions whose closure was resumed.
        """
        resumed: list[int] = []
        for engine in list(self._galaxy.engines.values()):
            region = engine.state.region
            if region.closing:
                self.start(region.id)
                resumed.append(region.id)
            elif region.closed and engine.status != "stopped":
                await self._finish(engine)
        if resumed:
            _log.info("closure.resumed", regions=resumed)
        return resumed

    async def stop(self) -> None:
        """Stop the drivers (a closure resumes at the next start)."""
        tasks = [t for t in self._tasks.values() if not t.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    # --- the driver ---------------------------------------------------------------------------
    async def _run(self, region_id: int) -> None:
        galaxy = self._galaxy
        engine = galaxy.engine(region_id)
        delay = 0.02
        while not engine.state.region.closed:
            try:
                if await self._round(engine):
                    break
            except (EngineError, DomainError) as exc:
                _log.warning("closure.round_failed", region_id=region_id, error=str(exc))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
        await self._finish(engine)
        _log.info("closure.done", region_id=region_id)

    def _inbound(self, region_id: int) -> list[tuple[RegionEngine, str]]:
        return [
            (source, tid)
            for source in list(self._galaxy.engines.values())
            for tid, pending in list(source.state.transfers_out.items())
            if pending.to_region_id == region_id
        ]

    async def _drive_all(self, work: list[tuple[RegionEngine, str]]) -> None:
        saga = self._galaxy.saga
        for i in range(0, len(work), EVACUATION_BATCH):
            chunk = work[i : i + EVACUATION_BATCH]
            await asyncio.gather(*(saga.drive(source, tid) for source, tid in chunk))

    async def _evacuate(self, engine: RegionEngine, player_id: int, to_sector_id: int) -> None:
        transfer_id = self._new_id()
        try:
            await engine.submit(Evacuate(player_id, transfer_id, NEXUS_REGION_ID, to_sector_id))
        except UnknownPlayerError:
            return  # left meanwhile (through the gate, on their own)
        await self._galaxy.saga.drive(engine, transfer_id)

    async def _round(self, engine: RegionEngine) -> bool:
        """One round; True when the region is closed (or was found closed)."""
        galaxy = self._galaxy
        state = engine.state
        region = state.region
        if region.closed:
            return True
        await self._drive_all(self._inbound(region.id))
        governor = region.governor_id
        if governor is not None and governor in state.players and region.treasury > 0:
            await engine.submit(PayTreasury(governor))
        refuge = refugee_sectors(galaxy.engine(NEXUS_REGION_ID).state)
        players = sorted(state.players)
        for i in range(0, len(players), EVACUATION_BATCH):
            chunk = players[i : i + EVACUATION_BATCH]
            await asyncio.gather(
                *(self._evacuate(engine, pid, refuge[pid % len(refuge)]) for pid in chunk)
            )
        await self._drive_all([(engine, tid) for tid in sorted(state.transfers_out)])
        await galaxy.saga.drain()
        if state.players or state.transfers_out or self._inbound(region.id):
            return False
        # empty: no departure towards it can be decided once the Nexus terminal is closed
        await galaxy.execute_in(NEXUS_REGION_ID, CloseGateTerminal(0, region.id))
        if self._inbound(region.id):
            return False
        await self._pay_governor_outside(engine)
        await engine.submit(FinishClosure(0))
        return True

    async def _pay_governor_outside(self, engine: RegionEngine) -> None:
        """Pay a treasury left after the evacuation to a governor outside the region, through
        the treasury payout saga (idempotent transfer id ``closure-<region id>``; waits for
        its end). A governor who is in no region keeps no claim the saga could pay: the
        treasury then stays, recorded, in the closed region (``RegionClosed.treasury``)."""
        region = engine.state.region
        if region.treasury <= 0 or region.governor_id is None:
            return
        try:
            await self._galaxy.payouts.pay(
                region.id,
                region.governor_id,
                region.treasury,
                reason="closure",
                transfer_id=f"closure-{region.id}",
                when_inactive=True,
                wait=None,
            )
        except PlayerNotFoundError:
            _log.warning(
                "closure.treasury_kept",
                region_id=region.id,
                governor_id=region.governor_id,
                treasury=region.treasury,
            )

    async def _finish(self, engine: RegionEngine) -> None:
        """Mark a closed region closed in the catalogue and stop its engine."""
        await self._mark_closed(engine.region_id)
        await engine.stop()
