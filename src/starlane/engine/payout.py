"""Treasury payouts: the saga that pays credits from a region's treasury to a player anywhere.

The rules are in :mod:`starlane.domain.treasury`; :class:`TreasuryPayouts` drives their three
steps through the region engines:

1. :class:`~starlane.domain.treasury.StartPayout` to the paying region (the amount leaves its
   treasury; refused with ``treasury_insufficient`` when it holds less);
2. :class:`~starlane.domain.treasury.CreditPayout` to the region the player is in, found in the
   player directory (decided at most once per transfer id). A player passing a gate is waited
   for (retried shortly until they land); a player who left that region meanwhile is looked
   for again;
3. :class:`~starlane.domain.treasury.SettlePayout` to the paying region: ``paid``, or
   ``returned`` (the amount goes back into the treasury) when the player is in no region and
   not in transit.

Before step 2 the driver looks in **every** region's ``transfers_in`` for the transfer id: a
payout credited in a region the player has since left is settled as paid, never paid twice.
One driver runs per transfer id at a time. A payout interrupted by a crash is found in its
region's ``payouts_out`` and driven to its end by :meth:`TreasuryPayouts.recover` at start-up
(after the gate saga's recovery, so players in transit have landed).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import structlog

from starlane.domain.errors import UnknownPlayerError
from starlane.domain.events import RecordedEvent
from starlane.domain.treasury import (
    PAID,
    RETURNED,
    CreditPayout,
    SettlePayout,
    StartPayout,
    TreasuryPayoutStarted,
)
from starlane.engine.directory import PlayerDirectory
from starlane.engine.errors import EngineError, PlayerNotFoundError, UnknownRegionError
from starlane.engine.region import RegionEngine

__all__ = ["PENDING", "Payout", "TreasuryPayouts"]

_log = structlog.get_logger("starlane.engine.payout")

PENDING = "pending"
"""Outcome of a payout not finished within the caller's wait (it finishes in the background)."""

_MAX_DELAY = 1.0


@dataclass(frozen=True, slots=True)
class Payout:
    """The result of :meth:`TreasuryPayouts.pay`.

    Attributes:
        transfer_id: the payout's idempotent id.
        region_id: the paying region.
        player_id: the player paid.
        amount: credits.
        reason: why.
        outcome: ``paid`` (credited to the player), ``returned`` (back in the treasury: the
            player was in no region) or ``pending`` (still driven in the background).
        treasury_before: the paying treasury before step 1, credits (None when the transfer id
            had been started before this call).
        treasury_after: the paying treasury right after step 1, credits (idem).
        position: the global event position of step 1 (idem).
        started: the recorded event of step 1 (idem).
    """

    transfer_id: str
    region_id: int
    player_id: int
    amount: int
    reason: str
    outcome: str
    treasury_before: int | None = None
    treasury_after: int | None = None
    position: int | None = None
    started: RecordedEvent | None = None


class TreasuryPayouts:
    """Drives treasury payouts between the region engines of one galaxy (see the module).

    Args:
        engines: region id -> engine (the galaxy's live mapping).
        directory: the galaxy's player directory.
        new_id: makes transfer ids (default: ``payout-`` + random UUID hex).
        retry_delay: first delay between retries, seconds (doubles up to 1 s).
    """

    def __init__(
        self,
        engines: Mapping[int, RegionEngine],
        directory: PlayerDirectory,
        *,
        new_id: Callable[[], str] = lambda: f"payout-{uuid.uuid4().hex}",
        retry_delay: float = 0.02,
    ) -> None:
        self._engines = engines
        self._directory = directory
        self._new_id = new_id
        self._retry_delay = retry_delay
        self._driving: dict[str, asyncio.Task[str]] = {}

    async def pay(
        self,
        region_id: int,
        player_id: int,
        amount: int,
        *,
        reason: str,
        transfer_id: str | None = None,
        when_inactive: bool = False,
        wait: float | None = 10.0,
    ) -> Payout:
        """Pay ``amount`` credits from a region's treasury to a player, wherever they are.

        Idempotent per transfer id: calling again with the id of a started payout starts
        nothing and waits for (or reports) its end.

        Args:
            region_id: the paying region.
            player_id: the player to pay (in any region, or passing a gate).
            amount: credits, > 0.
            reason: why (``withdraw``, ``closure``, ...), recorded in the events.
            transfer_id: the payout's id (default: a new one).
            when_inactive: pay even while the region is suspended or closed (an operator's
                closure); otherwise such a region refuses with ``region_suspended``.
            wait: seconds to wait for the end of the saga (None: until it ends); on timeout the
                outcome is ``pending`` and the payout finishes in the background.

        Returns:
            The :class:`Payout`, outcome ``paid``, ``returned`` or ``pending``.

        Raises:
            UnknownRegionError: no such region (``unknown_region``).
            PlayerNotFoundError: the player is in no region and not passing a gate
                (``player_not_in_galaxy``); nothing changed.
            TreasuryInsufficientError: the treasury holds less than ``amount``
                (``treasury_insufficient``); nothing changed.
            InvalidQuantityError: ``amount`` is not positive; nothing changed.
            RegionSuspendedError: the region is suspended or closed and ``when_inactive`` is
                False; nothing changed.
            EngineError: the paying engine could not take step 1 (``engine_busy``,
                ``engine_unavailable``); a step 1 that did commit is finished by recovery.
        """
        source = self._engines.get(region_id)
        if source is None:
            raise UnknownRegionError(f"no region {region_id}")
        if self._directory.region_of(player_id) is None and not self._directory.in_transit(
            player_id
        ):
            raise PlayerNotFoundError(f"player {player_id} is not in the galaxy")
        tid = transfer_id or self._new_id()
        recorded = await source.submit(
            StartPayout(player_id, tid, amount, reason, when_inactive=when_inactive)
        )
        outcome = await self.drive(region_id, tid, wait=wait)
        started = next((r for r in recorded if isinstance(r.event, TreasuryPayoutStarted)), None)
        if started is None:
            return Payout(tid, region_id, player_id, amount, reason, outcome)
        assert isinstance(started.event, TreasuryPayoutStarted)
        after = started.event.treasury_after
        return Payout(
            tid,
            region_id,
            player_id,
            amount,
            reason,
            outcome,
            treasury_before=after + amount,
            treasury_after=after,
            position=started.position,
            started=started,
        )

    async def drive(self, region_id: int, transfer_id: str, *, wait: float | None = None) -> str:
        """Drive a started payout to its end (joining the driver already running, if any).

        Args:
            region_id: the paying region.
            transfer_id: the payout's id.
            wait: seconds to wait (None: until it ends).

        Returns:
            ``paid``, ``returned``, or ``pending`` when ``wait`` ran out first.

        Raises:
            UnknownRegionError: no such region.
        """
        source = self._engines.get(region_id)
        if source is None:
            raise UnknownRegionError(f"no region {region_id}")
        task = self._driving.get(transfer_id)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._drive(source, transfer_id))
            self._driving[transfer_id] = task
            task.add_done_callback(lambda _t: self._driving.pop(transfer_id, None))
        try:
            return await asyncio.wait_for(asyncio.shield(task), wait)
        except TimeoutError:
            return PENDING

    def credited_in(self, transfer_id: str) -> int | None:
        """The region that recorded the credit of a payout, if any.

        Args:
            transfer_id: the payout's id.

        Returns:
            The region id, or None when no region has credited it.
        """
        for rid, engine in self._engines.items():
            if engine.state.transfers_in.get(transfer_id) == PAID:
                return rid
        return None

    async def _drive(self, source: RegionEngine, tid: str) -> str:
        delay = self._retry_delay
        while True:
            pending = source.state.payouts_out.get(tid)
            if pending is None:
                return source.state.payouts_done.get(tid, PAID)
            player_id = pending.player_id
            try:
                outcome = PAID
                if self.credited_in(tid) is None:
                    where = self._directory.region_of(player_id)
                    destination = None if where is None else self._engines.get(where)
                    if destination is None:
                        if self._directory.in_transit(player_id) or where is not None:
                            await asyncio.sleep(delay)  # passing a gate: wait until they land
                            delay = min(delay * 2, _MAX_DELAY)
                            continue
                        outcome = RETURNED
                    else:
                        credit = CreditPayout(player_id, tid, pending.amount, source.region_id)
                        try:
                            await destination.submit(credit)
                        except UnknownPlayerError:
                            await asyncio.sleep(delay)  # they left that region: look again
                            delay = min(delay * 2, _MAX_DELAY)
                            continue
                await source.submit(SettlePayout(player_id, tid, outcome))
            except EngineError as exc:
                _log.warning("payout.retry", transfer_id=tid, error=str(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_DELAY)
                continue
            _log.info(
                "payout.settled",
                transfer_id=tid,
                region_id=source.region_id,
                player_id=player_id,
                amount=pending.amount,
                outcome=outcome,
            )

    # --- recovery and shutdown ---------------------------------------------------------------
    async def recover(self, wait: float = 10.0) -> int:
        """Drive every pending payout of every region to its end (at start-up, after the gate
        saga's recovery).

        Args:
            wait: seconds to wait for them; a payout still waiting for its player (a gate
                passage that cannot land yet) goes on in the background.

        Returns:
            The number of payouts found pending.
        """
        work = [
            self.drive(rid, tid, wait=wait)
            for rid, engine in list(self._engines.items())
            for tid in sorted(engine.state.payouts_out)
        ]
        if work:
            await asyncio.gather(*work)
            _log.info("payout.recovered", payouts=len(work))
        return len(work)

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait for the payouts being driven (at shutdown); those still running after
        ``timeout`` seconds are cancelled (the next start's :meth:`recover` finishes them).

        Args:
            timeout: seconds to wait.
        """
        tasks = list(self._driving.values())
        if not tasks:
            return
        _done, running = await asyncio.wait(tasks, timeout=timeout)
        for task in running:
            task.cancel()
        if running:
            _log.warning("payout.drain_cancelled", payouts=len(running))
            await asyncio.gather(*running, return_exceptions=True)
