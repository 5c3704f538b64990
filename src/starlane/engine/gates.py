"""Player-built gates in the engines: the construction timer and the tolls' payouts.

The rules are in :mod:`starlane.domain.gates`.

- :class:`GateConstructionTimers` is the :class:`~starlane.engine.timers.TimerRule` of
  construction: the event that completed a site's deliveries carries ``due_at``; the region's
  timer scheduler submits :class:`~starlane.domain.gates.CompleteGate` then. At recovery the
  rule finds every gate still ``building`` in the rebuilt state (its ``due_at``), so a
  construction completes on time across restarts, and at once when it fell due while the
  server was down.
- The same rule fails the unfinished constructions of a region that starts closing
  (``RegionClosing`` -> :class:`~starlane.domain.gates.FailGates`, re-armed at recovery for a
  region found closing), which refunds them.
- :class:`GateTollPayouts` is a bus listener: a toll paid to an owner who is not in the gate's
  region (or a failed construction's refund to an absent owner) left the treasury as a
  ``TreasuryPayoutStarted`` (reason ``gate_toll`` or ``gate_refund``) in the same commit; it
  drives that payout to the owner wherever they are
  (:class:`~starlane.engine.payout.TreasuryPayouts`). A payout a crash interrupted is finished
  by the payouts' own recovery at start-up. It also fails, in the other regions, the
  constructions leading *into* a region that starts closing
  (``FailGates(to_region_id=...)``), and at start-up (:meth:`GateTollPayouts.recover`) those
  leading into a region found closing or closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from typing import Any

import structlog

from starlane.domain.envelope import BusMessage
from starlane.domain.events import Event, RecordedEvent
from starlane.domain.gates import (
    BUILDING,
    GATE_REFUND_REASON,
    GATE_TOLL_REASON,
    SITE,
    CompleteGate,
    FailGates,
    GateDelivered,
    GateSiteOpened,
)
from starlane.domain.model import RegionState
from starlane.domain.region_admin import RegionClosing
from starlane.domain.treasury import TreasuryPayoutStarted
from starlane.engine.errors import EngineError
from starlane.engine.payout import TreasuryPayouts
from starlane.engine.region import RegionEngine
from starlane.engine.timers import Timer

__all__ = ["GateConstructionTimers", "GateTollPayouts"]

_log = structlog.get_logger("starlane.engine.gates")

_DRIVEN = frozenset({GATE_TOLL_REASON, GATE_REFUND_REASON})
"""The payout reasons :class:`GateTollPayouts` drives."""


class GateConstructionTimers:
    """The timer rule of gate construction (see the module)."""

    def from_event(self, event: Event) -> Timer | None:
        """The completion timer a site's last delivery starts.

        Args:
            event: a committed event.

        Returns:
            The timer, or None.
        """
        if isinstance(event, GateSiteOpened | GateDelivered) and event.due_at is not None:
            return Timer(("gate", event.gate_id), event.due_at, CompleteGate(0, event.gate_id))
        if isinstance(event, RegionClosing):
            return Timer(("gates-fail", event.region_id), event.at, FailGates(0))
        return None

    def pending(self, state: RegionState) -> Iterable[Timer]:
        """Every construction still running in a recovered region.

        Args:
            state: the region state.

        Returns:
            One timer per gate under construction.
        """
        timers = [
            Timer(("gate", gate.id), gate.due_at, CompleteGate(0, gate.id))
            for gate in state.gates.values()
            if gate.state == BUILDING and gate.due_at is not None
        ]
        region = state.region
        if (region.closing or region.closed) and any(
            gate.state in (SITE, BUILDING) for gate in state.gates.values()
        ):
            timers.append(Timer(("gates-fail", region.id), 0.0, FailGates(0)))
        return timers


class GateTollPayouts:
    """Drives the payouts of tolls and refunds owed to gate owners in other regions, and fails
    the constructions leading into a region that starts closing (a bus listener).

    Args:
        payouts: the galaxy's treasury payouts.
        engines: region id -> engine (the galaxy's live mapping); None: no closing watch.
        retry_seconds: delay between attempts at a failure an engine could not take, s.
    """

    def __init__(
        self,
        payouts: TreasuryPayouts,
        engines: Mapping[int, RegionEngine] | None = None,
        *,
        retry_seconds: float = 0.05,
    ) -> None:
        self._payouts = payouts
        self._engines = engines
        self._retry = retry_seconds
        self._tasks: set[asyncio.Task[Any]] = set()

    def deliver(self, messages: Sequence[BusMessage]) -> None:
        """Start driving every toll or refund payout of a committed batch, and the failures a
        ``RegionClosing`` calls for (never waits).

        Args:
            messages: a published batch.
        """
        for message in messages:
            if not isinstance(message, RecordedEvent):
                continue
            event = message.event
            if isinstance(event, TreasuryPayoutStarted) and event.reason in _DRIVEN:
                self._spawn(self._payouts.drive(event.region_id, event.transfer_id))
            elif isinstance(event, RegionClosing):
                self._spawn(self.fail_into(event.region_id))

    async def fail_into(self, region_id: int) -> int:
        """Fail, in every other region, the constructions leading into ``region_id``.

        Args:
            region_id: a closing (or closed) region.

        Returns:
            Regions whose constructions were failed.
        """
        done = 0
        for engine in list((self._engines or {}).values()):
            if engine.region_id == region_id or not any(
                g.to_region_id == region_id and g.state in (SITE, BUILDING)
                for g in engine.state.gates.values()
            ):
                continue
            for _attempt in range(100):
                try:
                    await engine.submit(FailGates(0, to_region_id=region_id))
                    done += 1
                    break
                except EngineError as exc:
                    _log.warning("gate.fail_retry", region_id=engine.region_id, code=exc.code)
                    await asyncio.sleep(self._retry)
        return done

    async def recover(self) -> int:
        """At start-up: fail the constructions leading into regions found closing or closed
        (their closing event may have been published while this process was down).

        Returns:
            Regions whose constructions were failed.
        """
        done = 0
        for region_id, engine in list((self._engines or {}).items()):
            region = engine.state.region
            if region.closing or region.closed:
                done += await self.fail_into(region_id)
        return done

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _log.warning("gate.task_failed", error=repr(task.exception()))

    def bus_closed(self) -> None:
        """The bus closed: nothing to release (running payouts finish or recover)."""

    async def drain(self) -> None:
        """Wait for the payouts and failures being driven."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
