"""The proposal board: citizens propose and vote; a durable timer closes each vote on time.

:class:`ProposalBoard` holds the rules of :mod:`starlane.domain.proposals` together with the
rows of :mod:`starlane.store.proposals`:

- :meth:`ProposalBoard.propose` stores an open proposal that closes ``vote_seconds`` later
  (a policy change is judged against the governor's bounds now, and again when enacted);
- :meth:`ProposalBoard.vote` casts or changes a citizen's vote until the close;
- :meth:`ProposalBoard.close_due` closes every proposal whose time has come: it counts the
  votes of the region's citizens at the close, decides quorum and majority
  (:func:`~starlane.domain.proposals.outcome`), sends a passed proposal to its region's
  engine (:class:`~starlane.domain.proposals.EnactProposal`), has its audit entry appended
  (the ``audit`` hook the app wires, :func:`starlane.audit.proposals.audit_proposal_events`)
  and records the close with its outbox message in one unit of work.

**The timer is durable** because the due time is the row's ``closes_at``: a background task
sleeps until the earliest one (at most ``max_sleep`` seconds, so a clock that jumps is seen),
and :meth:`ProposalBoard.start` closes every vote that fell due while the server was down
before it returns. A crash between the enactment and the recorded close leaves the proposal
open and due; the next pass enacts it again, which changes nothing (the values are already
in force, the governor already gone) and records the close.

Every write publishes on the bus through the unit of work's outbox: ``proposal.opened``,
``proposal.voted`` (the tally, never who voted what) and ``proposal.closed``, subject
``region.<id>``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import structlog

from starlane.domain.envelope import region_subject
from starlane.domain.errors import DomainError, InvalidCommandError, RegionSuspendedError
from starlane.domain.policies import policy_delta
from starlane.domain.proposals import (
    EnactProposal,
    NoGovernorError,
    NotACitizenError,
    ProposalClosedError,
    ProposalKind,
    ProposalState,
    Tally,
    check_voter,
    outcome,
)
from starlane.engine.errors import EngineError
from starlane.store.proposals import (
    ProposalRow,
    close_proposal,
    count_open,
    due_proposals,
    get_proposal,
    insert_proposal,
    next_close,
    set_vote,
    votes_of,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from starlane.domain.events import RecordedEvent
    from starlane.domain.model import Region
    from starlane.engine.router import GalaxyService
    from starlane.store.uow import UnitOfWork

__all__ = [
    "AuditHook",
    "ProposalBoard",
    "ProposalLimitError",
    "ProposalNoChangeError",
    "UnknownProposalError",
]

_log = structlog.get_logger("starlane.proposals")

AuditHook = Callable[
    [Callable[[], "UnitOfWork"], Sequence["RecordedEvent"], str], Awaitable[list[int]]
]
"""``audit(uow, recorded, request_id)``: appends the entries of committed enactments."""

_BATCH = 100
"""Due proposals read at a time."""

OPEN_PER_CITIZEN = 1
"""Open proposals a citizen may have in a region at once."""


class UnknownProposalError(DomainError):
    """No proposal has this id."""

    code = "unknown_proposal"
    kind = "not_found"


class ProposalNoChangeError(DomainError):
    """A policy proposal whose values are the region's current ones."""

    code = "proposal_changes_nothing"
    kind = "invalid"


class ProposalLimitError(DomainError):
    """A citizen has an open proposal in the region already."""

    code = "proposal_limit"
    kind = "conflict"


def _changes_of(region_id: int, changes: Mapping[str, Any]) -> dict[str, Any]:
    return {"region_id": region_id, "changes": dict(changes)}


class ProposalBoard:
    """Proposals, votes and the timer that closes them (see the module docstring).

    Args:
        db: the database.
        uow: makes units of work.
        galaxy: the running region engines.
        clock: unix seconds now.
        vote_seconds: how long a vote lasts, s.
        min_citizen_days: days of citizenship a voter needs.
        quorum: share of the region's citizens that must vote (0-1).
        audit: appends the audit entries of enactments.
        max_sleep: the timer's longest sleep, s.
        retry_seconds: delay before closing again a proposal whose region was busy, s.
    """

    def __init__(
        self,
        db: AsyncEngine,
        uow: Callable[[], UnitOfWork],
        galaxy: GalaxyService,
        clock: Callable[[], float],
        *,
        vote_seconds: float,
        min_citizen_days: float,
        quorum: float,
        audit: AuditHook,
        max_sleep: float = 60.0,
        retry_seconds: float = 1.0,
    ) -> None:
        self._db = db
        self._uow = uow
        self._galaxy = galaxy
        self._clock = clock
        self.vote_seconds = vote_seconds
        self.min_citizen_days = min_citizen_days
        self.quorum = quorum
        self._audit = audit
        self._max_sleep = max_sleep
        self._retry = retry_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = asyncio.Lock()

    # --- proposing and voting -----------------------------------------------------------------
    async def propose(
        self, region_id: int, proposer_id: int, kind: str, changes: Mapping[str, Any]
    ) -> ProposalRow:
        """Open a proposal in a region (the caller is a citizen there).

        Args:
            region_id: the region.
            proposer_id: the citizen.
            kind: ``policy`` or ``recall``.
            changes: field -> value of a policy proposal (ignored for a recall).

        Returns:
            The open proposal.

        Raises:
            NotACitizenError: the proposer is not a citizen of the region.
            RegionSuspendedError: the region is suspended, closing or closed.
            InvalidCommandError, PolicyOutOfBoundsError: a change outside the bounds.
            ProposalNoChangeError: the values are the current ones.
            NoGovernorError: a recall where there is no governor.
            ProposalLimitError: the proposer has an open proposal there already.
        """
        state = self._galaxy.region_state(region_id)
        region = state.region
        if proposer_id not in region.citizens:
            raise NotACitizenError(
                f"player {proposer_id} is not a citizen of {region.name}", region_id=region_id
            )
        if region.status != "active":
            raise RegionSuspendedError(
                f"region {region.name} is {region.status}",
                region_id=region_id,
                status=region.status,
            )
        if kind == ProposalKind.POLICY:
            if not changes:
                raise InvalidCommandError("a policy proposal changes at least one policy")
            _before, after = policy_delta(state, changes)
            if not after:
                raise ProposalNoChangeError(
                    f"these are the policies of {region.name} already", region_id=region_id
                )
            stored_changes: dict[str, Any] = dict(changes)
        elif kind == ProposalKind.RECALL:
            if region.governor_id is None:
                raise NoGovernorError(f"{region.name} has no governor", region_id=region_id)
            stored_changes = {}
        else:
            raise InvalidCommandError(f"no proposal kind {kind!r}")
        now = self._clock()
        async with self._uow() as work:
            if await count_open(work.connection, region_id, proposer_id) >= OPEN_PER_CITIZEN:
                raise ProposalLimitError(
                    f"player {proposer_id} has an open proposal in {region.name} already",
                    region_id=region_id,
                    limit=OPEN_PER_CITIZEN,
                )
            row = await insert_proposal(
                work.connection,
                region_id,
                proposer_id,
                kind,
                stored_changes,
                now,
                now + self.vote_seconds,
            )
            work.add_message(
                "proposal.opened",
                region_subject(region_id),
                {
                    "proposal_id": row.id,
                    "kind": kind,
                    "proposer_id": proposer_id,
                    "closes_at": row.closes_at,
                }
                | _changes_of(region_id, stored_changes),
            )
        self._wake.set()
        return row

    async def vote(self, proposal_id: int, voter_id: int, choice: str) -> ProposalRow:
        """Cast or change a citizen's vote.

        Args:
            proposal_id: the proposal.
            voter_id: the citizen.
            choice: ``yes`` or ``no``.

        Returns:
            The proposal (still open).

        Raises:
            UnknownProposalError: no such proposal.
            ProposalClosedError: its vote has closed.
            NotACitizenError, CitizenTooNewError: the voter may not vote there.
        """
        row = await self.get(proposal_id)
        now = self._clock()
        self._check_open(row, now)
        region = self._galaxy.region_info(row.region_id)
        assert region is not None
        check_voter(region, voter_id, now, self.min_citizen_days)
        async with self._uow() as work:
            current = await get_proposal(work.connection, proposal_id)
            assert current is not None
            self._check_open(current, now)
            await set_vote(work.connection, proposal_id, voter_id, choice, now)
            tally = self._count(region, await votes_of(work.connection, proposal_id))
            work.add_message(
                "proposal.voted",
                region_subject(row.region_id),
                {
                    "proposal_id": proposal_id,
                    "region_id": row.region_id,
                    "yes": tally.yes,
                    "no": tally.no,
                },
            )
        return current

    # --- reading --------------------------------------------------------------------------------
    async def get(self, proposal_id: int) -> ProposalRow:
        """One proposal.

        Raises:
            UnknownProposalError: no such proposal.
        """
        row = await get_proposal(self._db, proposal_id)
        if row is None:
            raise UnknownProposalError(f"no proposal {proposal_id}", proposal_id=proposal_id)
        return row

    async def tally(
        self, row: ProposalRow, voter_id: int | None = None
    ) -> tuple[Tally, str | None]:
        """A proposal's votes: the recorded count once closed, the live count while open
        (votes of the region's current citizens); and one player's own vote.

        Args:
            row: the proposal.
            voter_id: the player whose vote to return (None: none).

        Returns:
            ``(tally, vote)``: the tally, and ``yes``, ``no`` or None.
        """
        votes = await votes_of(self._db, row.id)
        mine = votes.get(voter_id) if voter_id is not None else None
        if row.state != ProposalState.OPEN and row.yes is not None and row.no is not None:
            return Tally(row.yes, row.no, row.citizens or 0), mine
        return self._count(self._galaxy.region_info(row.region_id), votes), mine

    # --- closing --------------------------------------------------------------------------------
    async def close_due(self) -> list[ProposalRow]:
        """Close every open proposal whose vote has ended (enacting the passed ones).

        Returns:
            The proposals closed now, with their final state.
        """
        closed: list[ProposalRow] = []
        async with self._closing:
            while True:
                batch = await due_proposals(self._db, self._clock(), _BATCH)
                done = [row for row in [await self._close(r) for r in batch] if row is not None]
                closed += done
                if len(batch) < _BATCH or not done:
                    return closed

    async def _close(self, row: ProposalRow) -> ProposalRow | None:
        region = self._galaxy.region_info(row.region_id)
        tally = self._count(region, await votes_of(self._db, row.id))
        state = outcome(tally, self.quorum)
        failure: str | None = None
        position: int | None = None
        if state is ProposalState.PASSED:
            command = EnactProposal(0, row.id, row.kind, row.changes)
            try:
                recorded = await self._galaxy.execute_in(row.region_id, command)
            except DomainError as exc:
                state, failure = ProposalState.FAILED, exc.code
                _log.info("proposal.enact_refused", proposal_id=row.id, code=exc.code)
            except EngineError as exc:
                _log.warning("proposal.enact_retry", proposal_id=row.id, code=exc.code)
                return None
            else:
                await self._audit(self._uow, recorded, f"proposal-{row.id}")
                if recorded:
                    position = recorded[-1].position
        now = self._clock()
        async with self._uow() as work:
            changed = await close_proposal(
                work.connection,
                row.id,
                state=str(state),
                yes=tally.yes,
                no=tally.no,
                citizens=tally.citizens,
                now=now,
                failure=failure,
                event_position=position,
            )
            if not changed:
                work.rollback()
                return None
            work.add_message(
                "proposal.closed",
                region_subject(row.region_id),
                {
                    "proposal_id": row.id,
                    "region_id": row.region_id,
                    "state": str(state),
                    "yes": tally.yes,
                    "no": tally.no,
                    "citizens": tally.citizens,
                    "failure": failure,
                },
            )
        _log.info("proposal.closed", proposal_id=row.id, state=str(state), **_tally_log(tally))
        return await get_proposal(self._db, row.id)

    # --- the timer ------------------------------------------------------------------------------
    async def start(self) -> list[ProposalRow]:
        """Close what fell due while the server was down, then start the timer.

        Returns:
            The proposals closed at start-up.
        """
        closed = await self.close_due()
        self._task = asyncio.get_running_loop().create_task(self._run())
        return closed

    async def stop(self) -> None:
        """Stop the timer (open proposals stay open; the next start closes the due ones)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        """Have the timer look at the clock and the due times again now."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.close_due()
                due = await next_close(self._db)
            except Exception:  # a database hiccup must not end the timer
                _log.exception("proposal.timer_failed")
                due = self._clock() + self._retry
            delay = self._max_sleep
            if due is not None:
                left = due - self._clock()
                delay = min(self._max_sleep, left if left > 0 else self._retry)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    # --- helpers --------------------------------------------------------------------------------
    @staticmethod
    def _check_open(row: ProposalRow, now: float) -> None:
        if row.state != ProposalState.OPEN or now >= row.closes_at:
            raise ProposalClosedError(
                f"the vote on proposal {row.id} closed", proposal_id=row.id, state=row.state
            )

    @staticmethod
    def _count(region: Region | None, votes: Mapping[int, str]) -> Tally:
        citizens = set(region.citizens) if region is not None else set()
        counted = [choice for voter, choice in votes.items() if voter in citizens]
        return Tally(counted.count("yes"), counted.count("no"), len(citizens))


def _tally_log(tally: Tally) -> dict[str, int]:
    return {"yes": tally.yes, "no": tally.no, "citizens": tally.citizens}
