"""The proposals of regions' citizens and their votes (relational, not event-sourced).

Writes take an open transaction (a unit of work's ``connection``) so that a proposal, a vote
or a close commits with its outbox message; reads take the database engine. What a passed
proposal changes in its region is a region event (:mod:`starlane.domain.proposals`); the row
keeps that event's global position.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from starlane.store.schema import proposal_votes, proposals

__all__ = [
    "ProposalRow",
    "close_proposal",
    "count_open",
    "due_proposals",
    "get_proposal",
    "insert_proposal",
    "list_proposals",
    "next_close",
    "set_vote",
    "votes_of",
]

OPEN = "open"


@dataclass(frozen=True, slots=True)
class ProposalRow:
    """One stored proposal.

    Attributes:
        id: the proposal's id.
        region_id: its region.
        proposer_id: the citizen who proposed it.
        kind: ``policy`` or ``recall``.
        changes: field -> value of a policy proposal (empty for a recall).
        state: ``open``, ``passed``, ``rejected``, ``no_quorum`` or ``failed``.
        created_at: unix seconds.
        closes_at: unix seconds the vote closes.
        closed_at: unix seconds it closed (None while open).
        yes: votes for at the close (None while open).
        no: votes against at the close (None while open).
        citizens: the region's citizens at the close (None while open).
        failure: the error code of a passed proposal the region refused to enact.
        event_position: the global position of the event that enacted it.
    """

    id: int
    region_id: int
    proposer_id: int
    kind: str
    changes: dict[str, Any]
    state: str
    created_at: float
    closes_at: float
    closed_at: float | None = None
    yes: int | None = None
    no: int | None = None
    citizens: int | None = None
    failure: str | None = None
    event_position: int | None = None


def _row(r: Any) -> ProposalRow:
    m = r._mapping
    return ProposalRow(
        id=int(m["id"]),
        region_id=int(m["region_id"]),
        proposer_id=int(m["proposer_id"]),
        kind=str(m["kind"]),
        changes=msgspec.json.decode(m["changes"]),
        state=str(m["state"]),
        created_at=float(m["created_at"]),
        closes_at=float(m["closes_at"]),
        closed_at=m["closed_at"],
        yes=m["yes"],
        no=m["no"],
        citizens=m["citizens"],
        failure=m["failure"],
        event_position=m["event_position"],
    )


async def insert_proposal(
    conn: AsyncConnection,
    region_id: int,
    proposer_id: int,
    kind: str,
    changes: Mapping[str, Any],
    now: float,
    closes_at: float,
) -> ProposalRow:
    """Store a new open proposal (inside the caller's transaction).

    Args:
        conn: an open write transaction.
        region_id: the region.
        proposer_id: the citizen proposing.
        kind: ``policy`` or ``recall``.
        changes: the policy changes (JSON types).
        now: unix seconds.
        closes_at: unix seconds the vote closes.

    Returns:
        The stored proposal.
    """
    result = await conn.execute(
        proposals.insert()
        .values(
            region_id=region_id,
            proposer_id=proposer_id,
            kind=kind,
            changes=msgspec.json.encode(dict(changes)).decode(),
            state=OPEN,
            created_at=now,
            closes_at=closes_at,
        )
        .returning(proposals.c.id)
    )
    new_id = int(result.scalar_one())
    return ProposalRow(new_id, region_id, proposer_id, kind, dict(changes), OPEN, now, closes_at)


async def get_proposal(db: AsyncEngine | AsyncConnection, proposal_id: int) -> ProposalRow | None:
    """One proposal.

    Args:
        db: the database, or an open transaction.
        proposal_id: the proposal.

    Returns:
        The proposal, or None when there is none with this id.
    """
    query = select(proposals).where(proposals.c.id == proposal_id)
    if isinstance(db, AsyncConnection):
        found = (await db.execute(query)).first()
    else:
        async with db.connect() as conn:
            found = (await conn.execute(query)).first()
    return None if found is None else _row(found)


async def list_proposals(
    db: AsyncEngine, region_id: int, before_id: int | None, limit: int
) -> list[ProposalRow]:
    """A region's proposals, newest first, a page at a time.

    Args:
        db: the database.
        region_id: the region.
        before_id: only proposals with a smaller id (the cursor), or None for the newest.
        limit: at most this many.

    Returns:
        The proposals, by id descending.
    """
    query = select(proposals).where(proposals.c.region_id == region_id)
    if before_id is not None:
        query = query.where(proposals.c.id < before_id)
    query = query.order_by(proposals.c.id.desc()).limit(limit)
    async with db.connect() as conn:
        return [_row(r) for r in await conn.execute(query)]


async def count_open(conn: AsyncConnection, region_id: int, proposer_id: int) -> int:
    """How many open proposals a citizen has in a region (inside the caller's transaction).

    Args:
        conn: an open transaction.
        region_id: the region.
        proposer_id: the citizen.

    Returns:
        The count.
    """
    result = await conn.execute(
        select(func.count())
        .select_from(proposals)
        .where(
            proposals.c.region_id == region_id,
            proposals.c.proposer_id == proposer_id,
            proposals.c.state == OPEN,
        )
    )
    return int(result.scalar_one())


async def set_vote(
    conn: AsyncConnection, proposal_id: int, voter_id: int, choice: str, now: float
) -> str | None:
    """Cast or change a citizen's vote (inside the caller's transaction).

    Args:
        conn: an open write transaction.
        proposal_id: the proposal.
        voter_id: the citizen.
        choice: ``yes`` or ``no``.
        now: unix seconds.

    Returns:
        The citizen's choice before (None when this is their first vote).
    """
    key = (proposal_votes.c.proposal_id == proposal_id) & (proposal_votes.c.voter_id == voter_id)
    found = (await conn.execute(select(proposal_votes.c.choice).where(key))).first()
    if found is None:
        await conn.execute(
            proposal_votes.insert().values(
                proposal_id=proposal_id, voter_id=voter_id, choice=choice, cast_at=now
            )
        )
        return None
    await conn.execute(proposal_votes.update().where(key).values(choice=choice, cast_at=now))
    return str(found[0])


async def votes_of(db: AsyncEngine | AsyncConnection, proposal_id: int) -> dict[int, str]:
    """Every vote of a proposal.

    Args:
        db: the database, or an open transaction.
        proposal_id: the proposal.

    Returns:
        Voter id -> ``yes`` or ``no``.
    """
    query = select(proposal_votes.c.voter_id, proposal_votes.c.choice).where(
        proposal_votes.c.proposal_id == proposal_id
    )
    if isinstance(db, AsyncConnection):
        rows = list(await db.execute(query))
    else:
        async with db.connect() as conn:
            rows = list(await conn.execute(query))
    return {int(r[0]): str(r[1]) for r in rows}


async def due_proposals(db: AsyncEngine, now: float, limit: int = 100) -> list[ProposalRow]:
    """Open proposals whose vote has closed, earliest first.

    Args:
        db: the database.
        now: unix seconds.
        limit: at most this many.

    Returns:
        The proposals due.
    """
    query = (
        select(proposals)
        .where(proposals.c.state == OPEN, proposals.c.closes_at <= now)
        .order_by(proposals.c.closes_at, proposals.c.id)
        .limit(limit)
    )
    async with db.connect() as conn:
        return [_row(r) for r in await conn.execute(query)]


async def next_close(db: AsyncEngine) -> float | None:
    """When the next open proposal closes.

    Args:
        db: the database.

    Returns:
        Unix seconds, or None when no proposal is open.
    """
    query = select(func.min(proposals.c.closes_at)).where(proposals.c.state == OPEN)
    async with db.connect() as conn:
        value = (await conn.execute(query)).scalar_one_or_none()
    return None if value is None else float(value)


async def close_proposal(
    conn: AsyncConnection,
    proposal_id: int,
    *,
    state: str,
    yes: int,
    no: int,
    citizens: int,
    now: float,
    failure: str | None = None,
    event_position: int | None = None,
) -> bool:
    """Record a proposal's close, once (inside the caller's transaction).

    Args:
        conn: an open write transaction.
        proposal_id: the proposal.
        state: ``passed``, ``rejected``, ``no_quorum`` or ``failed``.
        yes: votes for.
        no: votes against.
        citizens: the region's citizens at the close.
        now: unix seconds.
        failure: the error code of a refused enactment.
        event_position: the enacting event's global position.

    Returns:
        True when closed now, False when it was closed already.
    """
    result = await conn.execute(
        proposals.update()
        .where(proposals.c.id == proposal_id, proposals.c.state == OPEN)
        .values(
            state=state,
            yes=yes,
            no=no,
            citizens=citizens,
            closed_at=now,
            failure=failure,
            event_position=event_position,
        )
    )
    return bool(result.rowcount)
