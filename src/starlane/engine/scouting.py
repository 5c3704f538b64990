"""The scouting desk: files scouting reports and pays their rewards exactly once.

Filing (:meth:`ScoutingDesk.file`), for an author and a region:

1. the kind must be a report kind (``unknown_report_kind``), the region known
   (``unknown_region``), the author's last report older than the cooldown
   (``scouting_report_too_soon``);
2. the author's time in the region over the last 7 days, from the event store
   (:func:`starlane.store.scouting.presence_marks`,
   :func:`starlane.domain.scouting.time_in_region`),
   must reach the minimum (``insufficient_scouting_hours``);
3. the report is built from the author's own events there
   (:func:`starlane.domain.scouting_report.build_report`) and stored with its reward owed
   (``quality * credits_per_point``), ``paid_at`` NULL, in one unit of work that checks the
   cooldown again (one filing per author at a time in this process);
4. the reward is paid by :class:`~starlane.domain.scouting.PayScoutingReward` in the region the
   author is in, keyed ``scout-report-<id>``; then the row is marked paid.

A crash between 3 and 4 leaves an unpaid row; a crash between the engine's commit and the mark
leaves a paid credit and an unpaid row. :meth:`ScoutingDesk.recover` (at start-up, after the
galaxy recovered) drives every unpaid row again: before submitting, the driver looks for the key
in **every** region's ``transfers_in`` (the regions' states are rebuilt from their events), so a
reward credited before the crash is only marked, never paid twice, and one not credited is paid.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from starlane.domain.errors import UnknownPlayerError
from starlane.domain.scouting import (
    REPORT_KINDS,
    REWARD_PAID,
    WINDOW_SECONDS,
    InsufficientScoutingHoursError,
    PayScoutingReward,
    ScoutingReportTooSoonError,
    UnknownReportKindError,
    reward_id,
    time_in_region,
)
from starlane.domain.scouting_report import build_report
from starlane.engine.errors import EngineError, UnknownRegionError
from starlane.engine.router import GalaxyService
from starlane.store import scouting as store
from starlane.store.uow import UnitOfWorkFactory

__all__ = ["NONE", "PAID", "PENDING", "Filed", "ScoutingDesk", "ScoutingRules"]

_log = structlog.get_logger("starlane.engine.scouting")

PENDING = "pending"
"""Outcome of a reward not paid within the caller's wait (it is paid in the background)."""
PAID = "paid"
"""Outcome of a reward credited to its author."""
NONE = "none"
"""Outcome of a report that earned nothing (quality 0 or no credits per point)."""

_MAX_DELAY = 1.0


@dataclass(frozen=True, slots=True)
class ScoutingRules:
    """The desk's numbers (from the settings).

    Attributes:
        min_hours: game time needed in the region over the window, hours.
        credits_per_point: reward per quality point, credits.
        cooldown_seconds: least time between two reports of one author.
        gap_cap_seconds: the most one interval between presence events counts, seconds.
    """

    min_hours: float = 2.0
    credits_per_point: int = 50
    cooldown_seconds: float = 21_600.0
    gap_cap_seconds: float = 1_800.0


@dataclass(frozen=True, slots=True)
class Filed:
    """A filed report and the state of its reward.

    Attributes:
        report: the stored row.
        outcome: ``paid``, ``none`` or ``pending``.
    """

    report: store.ReportRow
    outcome: str


class ScoutingDesk:
    """Files scouting reports and pays their rewards (see the module docstring).

    Args:
        galaxy: the galaxy service (engines, directory).
        uow: the unit-of-work factory (the report rows commit through it).
        clock: unix seconds now.
        rules: the desk's numbers.
        retry_delay: first delay between payment retries, seconds (doubles up to 1 s).
    """

    def __init__(
        self,
        galaxy: GalaxyService,
        uow: UnitOfWorkFactory,
        clock: Callable[[], float],
        rules: ScoutingRules,
        *,
        retry_delay: float = 0.02,
    ) -> None:
        self._galaxy = galaxy
        self._uow = uow
        self._db = uow.engine
        self._clock = clock
        self.rules = rules
        self._retry_delay = retry_delay
        self._authors: dict[int, asyncio.Lock] = {}
        self._driving: dict[int, asyncio.Task[str]] = {}

    async def scouted_seconds(self, author_id: int, region_id: int) -> float:
        """Game time an author spent in a region over the last 7 days.

        Args:
            author_id: the player.
            region_id: the region.

        Returns:
            Seconds.
        """
        now = self._clock()
        marks = await store.presence_marks(self._db, author_id, region_id, now - WINDOW_SECONDS)
        return time_in_region(marks, now=now, gap_cap=self.rules.gap_cap_seconds)

    async def file(
        self, author_id: int, region_id: int, kind: str, *, wait: float | None = 5.0
    ) -> Filed:
        """File a report and pay its reward.

        Args:
            author_id: the author's player id.
            region_id: the region reported on.
            kind: economy, politics, military or opportunities.
            wait: seconds to wait for the payment (None: until paid); on timeout the outcome
                is ``pending`` and it is paid in the background.

        Returns:
            The :class:`Filed` report.

        Raises:
            UnknownReportKindError: ``unknown_report_kind``.
            UnknownRegionError: ``unknown_region``.
            ScoutingReportTooSoonError: ``scouting_report_too_soon`` (context
                ``retry_after_seconds``).
            InsufficientScoutingHoursError: ``insufficient_scouting_hours`` (context
                ``needed_hours``, ``scouted_hours``).
        """
        if kind not in REPORT_KINDS:
            raise UnknownReportKindError(
                f"no report kind {kind!r}; kinds: {', '.join(REPORT_KINDS)}", kind=kind
            )
        engine = self._galaxy.engines.get(region_id)
        if engine is None:
            raise UnknownRegionError(f"no region {region_id}")
        lock = self._authors.setdefault(author_id, asyncio.Lock())
        async with lock:
            async with self._db.connect() as conn:
                self._check_cooldown(await store.last_report_at(conn, author_id), author_id)
            now = self._clock()
            since = now - WINDOW_SECONDS
            marks = await store.presence_marks(self._db, author_id, region_id, since)
            scouted = time_in_region(marks, now=now, gap_cap=self.rules.gap_cap_seconds)
            needed = self.rules.min_hours * 3600.0
            if scouted < needed:
                raise InsufficientScoutingHoursError(
                    f"{scouted / 3600:.2f} hours scouted in region {region_id} over the last "
                    f"7 days; {self.rules.min_hours:g} needed",
                    needed_hours=self.rules.min_hours,
                    scouted_hours=round(scouted / 3600, 2),
                    region_id=region_id,
                )
            observed = await store.observed_events(self._db, author_id, region_id, since)
            first_seq = min((r.seq for r in observed), default=engine.state.seq + 1)
            changes = await store.policy_changes_since(self._db, region_id, first_seq)
            body = build_report(kind, engine.state, [r.event for r in observed], changes, now)
            reward = body.quality * self.rules.credits_per_point
            async with self._uow() as uow:
                self._check_cooldown(
                    await store.last_report_at(uow.connection, author_id), author_id
                )
                report_id = await store.insert_report(
                    uow.connection,
                    {
                        "region_id": region_id,
                        "author_id": author_id,
                        "kind": kind,
                        "created_at": now,
                        "scouted_seconds": scouted,
                        "coverage": body.coverage,
                        "freshness": body.freshness,
                        "breadth": body.breadth,
                        "quality": body.quality,
                        "body": body.sections,
                        "ports_visited": list(body.ports_visited),
                        "reward": reward,
                        "paid_at": now if reward == 0 else None,
                    },
                )
                uow.add_message(
                    "scouting.report_filed",
                    f"region.{region_id}",
                    {
                        "report_id": report_id,
                        "region_id": region_id,
                        "author_id": author_id,
                        "kind": kind,
                        "quality": body.quality,
                        "reward": reward,
                    },
                )
        _log.info(
            "scouting.filed",
            report_id=report_id,
            region_id=region_id,
            player_id=author_id,
            kind=kind,
            quality=body.quality,
            reward=reward,
        )
        outcome = NONE if reward == 0 else await self.pay(report_id, author_id, reward, wait=wait)
        row = await store.get_report(self._db, report_id)
        assert row is not None
        return Filed(row, outcome)

    def _check_cooldown(self, last: float | None, author_id: int) -> None:
        if last is None:
            return
        left = last + self.rules.cooldown_seconds - self._clock()
        if left > 0:
            raise ScoutingReportTooSoonError(
                f"one scouting report per {self.rules.cooldown_seconds:g} seconds; "
                f"{left:.0f} seconds left",
                retry_after_seconds=int(left) + 1,
                player_id=author_id,
            )

    def credited_in(self, key: str) -> int | None:
        """The region that recorded a reward's credit, if any.

        Args:
            key: the reward's idempotency key.

        Returns:
            The region id, or None.
        """
        for rid, engine in self._galaxy.engines.items():
            if engine.state.transfers_in.get(key) == REWARD_PAID:
                return rid
        return None

    async def pay(
        self, report_id: int, author_id: int, amount: int, *, wait: float | None = 5.0
    ) -> str:
        """Pay a report's reward (joining the payment already running, if any).

        Args:
            report_id: the report.
            author_id: the author.
            amount: credits, > 0.
            wait: seconds to wait (None: until paid).

        Returns:
            ``paid``, or ``pending`` when ``wait`` ran out first.
        """
        task = self._driving.get(report_id)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._drive(report_id, author_id, amount))
            self._driving[report_id] = task
            task.add_done_callback(lambda _t: self._driving.pop(report_id, None))
        try:
            return await asyncio.wait_for(asyncio.shield(task), wait)
        except TimeoutError:
            return PENDING

    async def _drive(self, report_id: int, author_id: int, amount: int) -> str:
        key = reward_id(report_id)
        delay = self._retry_delay
        galaxy = self._galaxy
        while self.credited_in(key) is None:
            where = galaxy.directory.region_of(author_id)
            engine = None if where is None else galaxy.engines.get(where)
            if engine is None:  # passing a gate, or not in the galaxy: wait
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_DELAY)
                continue
            try:
                await engine.submit(PayScoutingReward(author_id, key, report_id, amount))
            except (UnknownPlayerError, EngineError) as exc:
                _log.warning("scouting.pay_retry", report_id=report_id, error=str(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_DELAY)
        await store.mark_paid(self._db, report_id, self._clock())
        _log.info("scouting.paid", report_id=report_id, player_id=author_id, amount=amount)
        return PAID

    async def recover(self, wait: float = 10.0) -> int:
        """Pay every report whose reward is not recorded as paid (at start-up).

        Args:
            wait: seconds to wait for them; the rest go on in the background.

        Returns:
            The number of unpaid reports found.
        """
        rows = await store.unpaid_reports(self._db)
        if rows:
            await asyncio.gather(*(self.pay(r.id, r.author_id, r.reward, wait=wait) for r in rows))
            _log.info("scouting.recovered", reports=len(rows))
        return len(rows)

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait for the payments being driven (at shutdown); those still running after
        ``timeout`` seconds are cancelled (the next start's :meth:`recover` pays them).

        Args:
            timeout: seconds.
        """
        tasks = list(self._driving.values())
        if not tasks:
            return
        _done, running = await asyncio.wait(tasks, timeout=timeout)
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
