"""Citizenship moves between regions: the new home first, then the old one, with recovery.

The rules are in :mod:`starlane.domain.citizenship`. :class:`CitizenshipMoves` sends the steps
of a move to the region engines (grant at the new home, leave at the old one, close at the new
home), pays the starting credits through :class:`~starlane.engine.payout.TreasuryPayouts`, and
at start-up finishes every move a crash interrupted (found in the regions' ``joining``). The
requests of one player are served one at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import structlog

from starlane.domain.citizenship import (
    CitizenshipGranted,
    CloseCitizenshipMove,
    GrantCitizenship,
    LeaveCitizenship,
)
from starlane.domain.commands import Command
from starlane.domain.events import RecordedEvent
from starlane.engine.directory import PlayerDirectory
from starlane.engine.errors import EngineError, PlayerNotFoundError, UnknownRegionError
from starlane.engine.payout import TreasuryPayouts
from starlane.engine.region import RegionEngine

__all__ = ["CitizenshipChange", "CitizenshipMoves", "welcome_transfer_id"]

_log = structlog.get_logger("starlane.engine.citizenship")


def welcome_transfer_id(region_id: int, player_id: int) -> str:
    """The payout id of a player's starting credits in a region (one per pair, ever).

    Args:
        region_id: the region.
        player_id: the player.

    Returns:
        ``welcome-<region>-<player>``.
    """
    return f"welcome-{region_id}-{player_id}"


@dataclass(frozen=True, slots=True)
class CitizenshipChange:
    """What a citizenship request or renunciation did.

    Attributes:
        region_id: the region asked.
        player_id: the player.
        citizen: whether the player is a citizen of the region now.
        changed: False when nothing had to change (already a citizen / not a citizen).
        previous_region_id: the home region the player left by becoming a citizen here.
        starting_credits: credits paid from the region's treasury to the new citizen.
        payout_outcome: ``paid``, ``returned``, ``pending``, or None when nothing was paid.
        transfer_id: the payout's id, or None.
    """

    region_id: int
    player_id: int
    citizen: bool
    changed: bool
    previous_region_id: int | None = None
    starting_credits: int = 0
    payout_outcome: str | None = None
    transfer_id: str | None = None


class CitizenshipMoves:
    """Drives citizenship requests and moves between the region engines (see the module).

    Args:
        engines: region id -> engine (the galaxy's live mapping).
        directory: the galaxy's player directory.
        payouts: the payout saga that pays starting credits.
        retry_delay: first delay between retries of a step an engine could not take, seconds.
    """

    def __init__(
        self,
        engines: Mapping[int, RegionEngine],
        directory: PlayerDirectory,
        payouts: TreasuryPayouts,
        *,
        retry_delay: float = 0.05,
    ) -> None:
        self._engines = engines
        self._directory = directory
        self._payouts = payouts
        self._retry_delay = retry_delay
        self._locks: dict[int, asyncio.Lock] = {}

    def home_of(self, player_id: int) -> int | None:
        """The player's home region (the region whose citizens hold them), if any.

        Args:
            player_id: the player.

        Returns:
            The region id; during an unfinished move, the new home.
        """
        homes = [
            rid for rid, e in sorted(self._engines.items()) if player_id in e.state.region.citizens
        ]
        for rid in homes:
            if player_id in self._engines[rid].state.region.joining:
                return rid
        return homes[0] if homes else None

    def _engine(self, region_id: int) -> RegionEngine:
        engine = self._engines.get(region_id)
        if engine is None:
            raise UnknownRegionError(f"no region {region_id}")
        return engine

    def _lock(self, player_id: int) -> asyncio.Lock:
        lock = self._locks.get(player_id)
        if lock is None:
            lock = self._locks[player_id] = asyncio.Lock()
        return lock

    async def request(
        self, region_id: int, player_id: int, *, wait: float | None = 10.0
    ) -> CitizenshipChange:
        """Make a region the player's home, leaving their former home region.

        Args:
            region_id: the region asked.
            player_id: the player.
            wait: seconds to wait for the starting credits' payout (then ``pending``).

        Returns:
            The :class:`CitizenshipChange` (``changed`` False when already a citizen).

        Raises:
            UnknownRegionError: no such region.
            PlayerNotFoundError: the player is in no region and not passing a gate.
            RegionSuspendedError: the region is suspended or closed.
            CitizenshipRefusedError: its immigration policy does not take the player.
            TreasuryInsufficientError: its treasury cannot pay the starting credits in full.
            EngineError: an engine could not take the first step (nothing changed); a later
                step is retried until it is taken.
        """
        target = self._engine(region_id)
        async with self._lock(player_id):
            if player_id in target.state.region.citizens:
                await self._finish(target, player_id)
                return CitizenshipChange(region_id, player_id, citizen=True, changed=False)
            known = self._directory.region_of(player_id) is not None
            if not known and not self._directory.in_transit(player_id):
                raise PlayerNotFoundError(f"player {player_id} is not in the galaxy")
            home = self.home_of(player_id)
            tid = welcome_transfer_id(region_id, player_id)
            recorded = await target.submit(GrantCitizenship(player_id, tid, home))
            granted = _granted(recorded)
            await self._finish(target, player_id)
            owed = 0 if granted is None else granted.starting_credits
            outcome = None
            if owed:
                outcome = await self._payouts.drive(region_id, tid, wait=wait)
            return CitizenshipChange(
                region_id,
                player_id,
                citizen=True,
                changed=True,
                previous_region_id=home,
                starting_credits=owed,
                payout_outcome=outcome,
                transfer_id=tid if owed else None,
            )

    async def renounce(self, region_id: int, player_id: int) -> CitizenshipChange:
        """Give up citizenship of a region (the player then has no home region).

        Args:
            region_id: the region.
            player_id: the player.

        Returns:
            The :class:`CitizenshipChange` (``changed`` False when not a citizen).

        Raises:
            UnknownRegionError: no such region.
            EngineError: the engine could not take the command (nothing changed).
        """
        target = self._engine(region_id)
        async with self._lock(player_id):
            await self._finish(target, player_id)
            recorded = await target.submit(LeaveCitizenship(player_id, None))
            return CitizenshipChange(region_id, player_id, citizen=False, changed=bool(recorded))

    async def _finish(self, target: RegionEngine, player_id: int) -> None:
        """Steps 2 and 3 of a pending move to ``target``, retried until taken."""
        left = target.state.region.joining.get(player_id)
        if left is None:
            return
        old = self._engines.get(left)
        if old is not None:
            await self._until_taken(old, LeaveCitizenship(player_id, target.region_id))
        await self._until_taken(target, CloseCitizenshipMove(player_id))

    async def _until_taken(self, engine: RegionEngine, command: Command) -> None:
        delay = self._retry_delay
        while True:
            try:
                await engine.submit(command)
                return
            except EngineError as exc:
                _log.warning("citizenship.retry", command=command.name, error=str(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def recover(self) -> int:
        """Finish every citizenship move a crash interrupted (at start-up).

        Returns:
            The number of moves finished.
        """
        pending = [
            (engine, pid)
            for _, engine in sorted(self._engines.items())
            for pid in sorted(engine.state.region.joining)
        ]
        for engine, pid in pending:
            async with self._lock(pid):
                await self._finish(engine, pid)
        if pending:
            _log.info("citizenship.recovered", moves=len(pending))
        return len(pending)


def _granted(recorded: list[RecordedEvent]) -> CitizenshipGranted | None:
    for r in recorded:
        if isinstance(r.event, CitizenshipGranted):
            return r.event
    return None
