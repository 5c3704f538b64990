"""The player directory: where every player of the galaxy is, read in O(1).

One :class:`PlayerDirectory` per galaxy maps a player id to ``(region_id, sector_id)``. The
region engines keep it: each engine loads its region's players when it is built and when it
reloads after a failure, and updates the entry of the player an event is about after applying
the event to its live state (events name their player in ``player_id``). An entry is thus right
as soon as the command that moved the player is decided, before its answer, exactly like the
live states the reads look at. A player who leaves a region (an event after which the region
no longer holds them) loses the entry only if it still points at that region, so a crossing
between regions leaves the player where they arrived, whichever region applies its event first.

A player who left a region through a gate and is not yet placed anywhere is **in transit**
(:meth:`PlayerDirectory.in_transit`): the departure marks them, their arrival or compensation
clears the mark, and a region's pending departures mark them again when it is loaded.
"""

from __future__ import annotations

from starlane.domain.events import (
    Event,
    TransferArrived,
    TransferCompensated,
    TransferCompleted,
    TransferDeparted,
)
from starlane.domain.model import RegionState

__all__ = ["PlayerDirectory"]


class PlayerDirectory:
    """player id -> ``(region_id, sector_id)`` for every player in the galaxy (see the module)."""

    __slots__ = ("_transit", "_where")

    def __init__(self) -> None:
        self._where: dict[int, tuple[int, int]] = {}
        self._transit: dict[int, str] = {}  # player id -> transfer id of a departure

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, player_id: object) -> bool:
        return player_id in self._where

    def locate(self, player_id: int) -> tuple[int, int] | None:
        """Where a player is.

        Args:
            player_id: the player.

        Returns:
            ``(region_id, sector_id)``, or None when the player is in no region.
        """
        return self._where.get(player_id)

    def region_of(self, player_id: int) -> int | None:
        """The region a player is in, or None when the player is in no region."""
        where = self._where.get(player_id)
        return None if where is None else where[0]

    def in_transit(self, player_id: int) -> bool:
        """Whether a player has left a region through a gate and is in none yet.

        Args:
            player_id: the player.

        Returns:
            True between the departure and the arrival (or the compensation).
        """
        return player_id in self._transit and player_id not in self._where

    def transit_id(self, player_id: int) -> str | None:
        """The transfer id of a player's gate passage in flight, or None."""
        return self._transit.get(player_id) if self.in_transit(player_id) else None

    def observe(self, state: RegionState, event: Event) -> None:
        """Update the entry of the player an event is about, from the state it was applied to.

        Args:
            state: the region's live state, the event already applied.
            event: the event; one without a ``player_id`` changes nothing.
        """
        player_id = getattr(event, "player_id", None)
        if not isinstance(player_id, int):
            return
        if isinstance(event, TransferDeparted):
            self._transit[player_id] = event.transfer_id
        elif (
            isinstance(event, TransferArrived | TransferCompensated | TransferCompleted)
            and self._transit.get(player_id) == event.transfer_id
        ):
            del self._transit[player_id]
        player = state.players.get(player_id)
        region_id = state.region_id
        if player is not None:
            where = (region_id, player.sector_id)
            if self._where.get(player_id) != where:
                self._where[player_id] = where
        elif self.region_of(player_id) == region_id:
            del self._where[player_id]

    def load_region(self, state: RegionState) -> None:
        """Make the entries of one region those of its state (at start and after a reload):
        its players are placed, and entries pointing at the region for players it no longer
        holds are dropped.

        Args:
            state: the region's state.
        """
        region_id = state.region_id
        stale = [
            pid
            for pid, (rid, _) in self._where.items()
            if rid == region_id and pid not in state.players
        ]
        for pid in stale:
            del self._where[pid]
        for pid, player in state.players.items():
            self._where[pid] = (region_id, player.sector_id)
        for tid, pending in state.transfers_out.items():
            self._transit[pending.player.id] = tid
