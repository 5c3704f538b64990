"""The player directory: where every player of the galaxy is, read in O(1).

One :class:`PlayerDirectory` per galaxy maps a player id to ``(region_id, sector_id)``. The
region engines keep it: each engine loads its region's players when it is built and when it
reloads after a failure, and updates the entry of the player an event is about after applying
the event to its live state (events name their player in ``player_id``). An entry is thus right
as soon as the command that moved the player is decided, before its answer, exactly like the
live states the reads look at. A player who leaves a region (an event after which the region
no longer holds them) loses the entry only if it still points at that region, so a crossing
between regions leaves the player where they arrived, whichever region applies its event first.
"""

from __future__ import annotations

from starlane.domain.events import Event
from starlane.domain.model import RegionState

__all__ = ["PlayerDirectory"]


class PlayerDirectory:
    """player id -> ``(region_id, sector_id)`` for every player in the galaxy (see the module)."""

    __slots__ = ("_where",)

    def __init__(self) -> None:
        self._where: dict[int, tuple[int, int]] = {}

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

    def observe(self, state: RegionState, event: Event) -> None:
        """Update the entry of the player an event is about, from the state it was applied to.

        Args:
            state: the region's live state, the event already applied.
            event: the event; one without a ``player_id`` changes nothing.
        """
        player_id = getattr(event, "player_id", None)
        if not isinstance(player_id, int):
            return
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
