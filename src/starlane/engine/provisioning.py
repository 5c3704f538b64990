"""Provisioning a player region while the galaxy runs: the whole region or nothing.

A Galactic Citizen's request (``POST /api/v1/regions``) becomes a running region reachable
through a new gate terminal of the Nexus transit authority. :class:`RegionProvisioner` does it
in these steps, one request at a time (an :class:`asyncio.Lock`: ids, sector ranges and names
are decided and taken under it):

1. **check** the rules (:func:`starlane.domain.provisioning.check_region_request`) against the
   catalogue and the running regions, and pick the id and the sector range
   (:func:`~starlane.domain.provisioning.next_region_slot`) and a seed;
2. **generate** the region (:func:`starlane.domain.galaxy.generate_region`, in a worker thread:
   the event loop keeps serving), governed by the requester, and link its gate sector to a
   free terminal of the Nexus (:func:`~starlane.domain.galaxy.free_transit_terminal`);
3. **save** its initial snapshot (seq 0);
4. **open the terminal**: :class:`~starlane.domain.terminals.OpenGateTerminal` to the Nexus
   engine. Its committed event is the *commit point*: from here on the region exists (a
   replay of the Nexus rebuilds the link);
5. **catalogue** it (owner, status ``active``);
6. **start** its engine and add it to the galaxy's engines (the sector index, the router, the
   gate saga, the metrics and the WebSocket feed all read that mapping).

Nothing is published by hand: the terminal's event reaches the bus like every committed event.

Recovery (:meth:`RegionProvisioner.finish_pending`, run by
:meth:`starlane.engine.router.GalaxyService.start` and before every provisioning): a Nexus
terminal leading to a region the catalogue lacks was opened by an interrupted provisioning past
its commit point; the region's snapshot is there (it was saved first), so the provisioning is
finished (steps 5 and 6). A snapshot with neither a terminal nor a catalogue row is an orphan of
an attempt interrupted before its commit point: it is ignored, and the next provisioning takes
the same id and overwrites it. A terminal leading to a region with no snapshot at all cannot
come out of these steps; it is closed so that no gate leads nowhere.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from starlane.domain.codec import decode_state, encode_state
from starlane.domain.data import GameRules, RegionKind
from starlane.domain.galaxy import free_transit_terminal, gate_sector_id, generate_region
from starlane.domain.model import NEXUS_REGION_ID, GateLink, RegionState
from starlane.domain.provisioning import (
    NoFreeTerminalError,
    check_region_request,
    next_region_slot,
)
from starlane.domain.terminals import CloseGateTerminal, OpenGateTerminal, TerminalTakenError
from starlane.engine.errors import EngineUnavailableError
from starlane.store.catalogue import RegionRow

if TYPE_CHECKING:
    from starlane.engine.router import GalaxyService
    from starlane.store.ports import EventStore

__all__ = ["ProvisionedRegion", "RegionProvisioner", "StepHook"]

_log = structlog.get_logger("starlane.engine.provisioning")

StepHook = Callable[[str, int], None]
"""Called as ``hook(step, region_id)`` after each step of a provisioning: ``generated``,
``snapshot_saved``, ``terminal_opened``, ``catalogued``, ``started``. An exception it raises
stops the provisioning there, as a crash would (the crash tests use it)."""

_TERMINAL_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class ProvisionedRegion:
    """A region provisioned for a Galactic Citizen.

    Attributes:
        region_id: its id.
        name: its name.
        description: its description.
        kind: ``player``.
        sector_count: its sectors.
        first_sector_id: global id of its sector number 1.
        gate_sector_id: its sector holding the gate to the Nexus.
        terminal_sector_id: the Nexus transit-authority sector whose gate leads to it.
        governor_id: its governor (the requester).
        seed: its generation seed.
        created_at: unix seconds it opened.
    """

    region_id: int
    name: str
    description: str
    kind: str
    sector_count: int
    first_sector_id: int
    gate_sector_id: int
    terminal_sector_id: int
    governor_id: int
    seed: int
    created_at: float


def _catalogue_row(state: RegionState, created_at: float) -> RegionRow:
    region = state.region
    return RegionRow(
        id=region.id,
        kind=str(region.kind),
        name=region.name,
        seed=region.seed,
        sector_count=region.sector_count,
        first_sector_id=region.first_sector_id,
        created_at=created_at,
        params={"provisioned": True},
        status="active",
        owner_id=region.governor_id,
    )


def _generate(
    region_id: int,
    sector_count: int,
    first_sector_id: int,
    seed: int,
    name: str,
    description: str,
    governor_id: int,
    opened_at: float,
    rules: GameRules,
) -> RegionState:
    """Generate the region (in a worker thread); its gate is linked afterwards."""
    state = generate_region(
        region_id,
        RegionKind.PLAYER,
        sector_count,
        first_sector_id,
        seed,
        name=name,
        governor_id=governor_id,
        opened_at=opened_at,
        rules=rules,
    )
    state.region.description = description
    return state


class RegionProvisioner:
    """Provisions player regions into a running galaxy (see the module).

    Args:
        galaxy: the galaxy service (its engines; the Nexus must be among them).
        store: the event store (snapshots and catalogue).
        clock: unix-seconds clock (the region's opening time).
        seeds: draws a region seed (default: 63 random bits).
        after_step: observation hook called after each step (see :data:`StepHook`).
    """

    def __init__(
        self,
        galaxy: GalaxyService,
        store: EventStore,
        *,
        clock: Callable[[], float] = time.time,
        seeds: Callable[[], int] | None = None,
        after_step: StepHook | None = None,
    ) -> None:
        self._galaxy = galaxy
        self._store = store
        self._clock = clock
        self._seeds = seeds or (lambda: secrets.randbits(63))
        self.after_step = after_step
        self._lock = asyncio.Lock()

    def _step(self, step: str, region_id: int) -> None:
        _log.debug("provisioning.step", step=step, region_id=region_id)
        if self.after_step is not None:
            self.after_step(step, region_id)

    async def provision(
        self,
        owner_id: int,
        name: str,
        description: str,
        sector_count: int,
        *,
        is_citizen: bool,
        limit: int,
    ) -> ProvisionedRegion:
        """Generate a region for a Galactic Citizen, start it and open its Nexus terminal.

        Args:
            owner_id: the requesting account, the region's owner and governor.
            name: the region's name (already trimmed, 3-40 characters).
            description: its description (at most 500 characters).
            sector_count: its sectors (100-1,500).
            is_citizen: whether the requester is a Galactic Citizen now.
            limit: open regions a citizen may own (``settings.regions_per_citizen``).

        Returns:
            The region, running and reachable through its terminal.

        Raises:
            NotACitizenError: ``not_a_citizen``.
            RegionLimitError: ``region_limit``.
            RegionNameTakenError: ``name_taken``.
            NoFreeTerminalError: no free terminal is left in the Nexus (``no_free_terminal``).
            ValueError: a size out of bounds (the API refuses it first).
            UnknownRegionError: the galaxy runs no Central Nexus.
            EngineError: the Nexus engine is not running, or could not take the terminal
                (``engine_busy``/``engine_unavailable``; nothing was opened).
            Exception: a store failure; before the commit point nothing exists, after it the
                region is finished by the next provisioning or the next start.
        """
        async with self._lock:
            nexus = self._galaxy.engine(NEXUS_REGION_ID)
            if nexus.status != "running":
                # e.g. reloading after a failed commit, which may have been the terminal of an
                # earlier request: its state must be the store's before anything is decided
                raise EngineUnavailableError(f"the Central Nexus engine is {nexus.status}")
            await self._finish_pending()
            rows = await self._store.list_regions()
            live = [engine.state.region for engine in self._galaxy.engines.values()]
            check_region_request(
                is_citizen=is_citizen,
                owned_open=sum(1 for r in rows if r.owner_id == owner_id and r.status != "closed"),
                limit=limit,
                name=name,
                taken_names=[r.name for r in rows] + [region.name for region in live],
            )
            ranges = [(r.id, r.first_sector_id, r.sector_count) for r in rows]
            ranges += [(g.id, g.first_sector_id, g.sector_count) for g in live]
            region_id, first_sector_id = next_region_slot(ranges)
            return await self._provision(
                region_id, first_sector_id, owner_id, name, description, sector_count
            )

    async def _provision(
        self,
        region_id: int,
        first_sector_id: int,
        owner_id: int,
        name: str,
        description: str,
        sector_count: int,
    ) -> ProvisionedRegion:
        nexus = self._galaxy.engine(NEXUS_REGION_ID)
        seed = self._seeds()
        now = self._clock()
        log = _log.bind(region_id=region_id, owner_id=owner_id)
        state = await asyncio.to_thread(
            _generate,
            region_id,
            sector_count,
            first_sector_id,
            seed,
            name,
            description,
            owner_id,
            now,
            self._galaxy.rules,
        )
        self._step("generated", region_id)
        found = gate_sector_id(state)
        assert found is not None
        gate: int = found
        for attempt in range(1, _TERMINAL_ATTEMPTS + 1):
            try:
                terminal = free_transit_terminal(nexus.state)
            except ValueError:
                raise NoFreeTerminalError(
                    "every gate terminal of the Nexus transit authority is taken"
                ) from None
            state.sectors[gate].gate = GateLink(NEXUS_REGION_ID, terminal)
            data = await asyncio.to_thread(encode_state, state)
            await self._store.save_snapshot(region_id, 0, data)
            self._step("snapshot_saved", region_id)
            try:
                await self._galaxy.execute_in(
                    NEXUS_REGION_ID, OpenGateTerminal(0, terminal, region_id, gate, name)
                )
            except TerminalTakenError:  # taken since it was picked: pick another
                if attempt == _TERMINAL_ATTEMPTS:
                    raise
                log.warning("provisioning.terminal_taken", terminal=terminal)
                continue
            break
        # --- commit point: the Nexus has recorded the terminal ---------------------------
        self._step("terminal_opened", region_id)
        try:
            await self._store.add_regions([_catalogue_row(state, now)])
            self._step("catalogued", region_id)
            await self._galaxy.add_region_engine(region_id, state)
            self._step("started", region_id)
        except Exception:
            log.exception("provisioning.unfinished")
            raise
        log.info("region.provisioned", sectors=sector_count, terminal=terminal)
        return ProvisionedRegion(
            region_id=region_id,
            name=name,
            description=description,
            kind=str(RegionKind.PLAYER),
            sector_count=sector_count,
            first_sector_id=first_sector_id,
            gate_sector_id=gate,
            terminal_sector_id=terminal,
            governor_id=owner_id,
            seed=seed,
            created_at=now,
        )

    async def finish_pending(self) -> list[int]:
        """Finish every provisioning interrupted after its commit point (see the module).

        Returns:
            The ids of the regions finished (catalogued and started).

        Raises:
            Exception: a store failure (what was finished stays finished).
        """
        async with self._lock:
            return await self._finish_pending()

    async def _finish_pending(self) -> list[int]:
        nexus = self._galaxy.engines.get(NEXUS_REGION_ID)
        if nexus is None:
            return []
        pending = sorted(
            {
                sector.gate.to_region_id
                for sector in nexus.state.sectors.values()
                if sector.gate is not None and sector.gate.to_region_id not in self._galaxy.engines
            }
        )
        if not pending:
            return []
        catalogued = {row.id: row for row in await self._store.list_regions()}
        finished: list[int] = []
        for region_id in pending:
            row = catalogued.get(region_id)
            if row is not None and row.status == "closed":
                continue  # a closure in progress: its terminal is the closure's business
            if row is None:
                snap = await self._store.load_snapshot(region_id)
                if snap is None:
                    _log.error("provisioning.terminal_without_region", region_id=region_id)
                    await self._galaxy.execute_in(NEXUS_REGION_ID, CloseGateTerminal(0, region_id))
                    continue
                state = decode_state(snap[1], self._galaxy.rules)
                await self._store.add_regions([_catalogue_row(state, state.region.opened_at)])
            await self._galaxy.add_region_engine(region_id)
            _log.warning("provisioning.finished_after_interruption", region_id=region_id)
            finished.append(region_id)
        return finished
