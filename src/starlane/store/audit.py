"""The audit log's tables: appends inside a unit of work, and the reads searches and proofs need.

:class:`SqlAuditRepository` is ``uow.audit``: :meth:`~SqlAuditRepository.append` writes one
entry in the unit of work's transaction, so an entry commits with the change it records or
not at all. Each row keeps the entry's exact leaf bytes (:func:`starlane.audit.leaf.encode_leaf`)
and leaf hash, plus the fields again as columns for search. When an append completes a block
of 256 leaves, the block's root is stored in ``audit_nodes`` in the same transaction (the
proofs read those instead of every leaf hash).

Indexes are gap-free and follow commit order on both backends: an append takes the next
index while holding the database's write lock (SQLite: the unit of work's ``BEGIN
IMMEDIATE``; PostgreSQL: the transaction-scoped advisory lock :data:`AUDIT_LOCK_KEY`, held to
the commit), and a rolled-back unit of work leaves no index behind. The next index is
``max(idx) + 1``, or the unit-of-work factory's :class:`AuditSequence` guess of it, checked by
the insert itself (a taken index is read again). Keep units of work that append short: they
serialise all other audit appends.

The reads on connections of their own (search, proofs' hashes, checkpoints) are in
:mod:`starlane.store.audit_reads`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Row, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from starlane.audit.leaf import AuditEntry, JsonValue, canonical_json, encode_leaf
from starlane.audit.merkle import NODE_LEVEL, leaf_hash, perfect_subtree_root
from starlane.store.schema import (
    audit_approvals,
    audit_entries,
    audit_nodes,
)

AUDIT_LOCK_KEY = 0x5354_4C4E_4155_4454
"""PostgreSQL advisory lock id ("STLNAUDT") held from an audit append to its commit."""

BLOCK = 1 << NODE_LEVEL
"""Leaves per stored block root (256)."""

_PG_LOCK = text("SELECT pg_advisory_xact_lock(:key)")

Emit = Callable[[str, str, Mapping[str, Any]], None]


@dataclass(frozen=True)
class StoredEntry:
    """An audit entry as stored: the decoded fields, its exact leaf bytes and leaf hash.

    Attributes:
        entry: the entry.
        leaf: the canonical leaf bytes it was appended with.
        leaf_hash: ``SHA-256(0x00 || leaf)`` as recorded.
    """

    entry: AuditEntry
    leaf: bytes
    leaf_hash: bytes


@dataclass(frozen=True)
class AuditFilter:
    """Search criteria (all optional, combined with AND).

    Attributes:
        actor_id: who acted.
        action: the action's name.
        target_kind: the kind of target.
        target_id: the target's id.
        since: unix seconds, inclusive.
        until: unix seconds, exclusive.
        q: a substring of the justification (case-insensitive).
    """

    actor_id: int | None = None
    action: str | None = None
    target_kind: str | None = None
    target_id: str | None = None
    since: float | None = None
    until: float | None = None
    q: str | None = None


@dataclass(frozen=True)
class Approval:
    """A two-person-rule request.

    Attributes:
        id: the approval id.
        action: the action to run (``roles.change``, ``credits.adjust``, ...).
        target_kind: what it acts on.
        target_id: its id.
        params: the action's arguments.
        justification: the requester's reason.
        requested_by: the requesting admin.
        requested_at: unix seconds.
        status: ``pending``, ``approved``, ``rejected`` or ``failed``.
        decided_by: the deciding admin.
        decided_at: unix seconds.
        decision_justification: the decider's reason.
        request_entry: the audit index of the request.
    """

    id: str
    action: str
    target_kind: str
    target_id: str
    params: dict[str, Any]
    justification: str
    requested_by: int
    requested_at: float
    status: str
    decided_by: int | None
    decided_at: float | None
    decision_justification: str | None
    request_entry: int


def _json(text_: str) -> JsonValue:
    value: JsonValue = msgspec.json.decode(text_)
    return value


def entry_from_row(row: Row[Any]) -> StoredEntry:
    """An ``audit_entries`` row as a :class:`StoredEntry`.

    Args:
        row: a full row.

    Returns:
        The entry.
    """
    entry = AuditEntry(
        index=int(row.idx),
        time=datetime.fromtimestamp(row.at, UTC),
        actor_id=row.actor_id,
        actor_role=row.actor_role,
        action=row.action,
        target_kind=row.target_kind,
        target_id=row.target_id,
        before=_json(row.before),
        after=_json(row.after),
        justification=row.justification,
        client_address=row.client_address,
        user_agent=row.user_agent,
        request_id=row.request_id,
        reverts=None if row.reverts is None else int(row.reverts),
    )
    return StoredEntry(entry, bytes(row.leaf), bytes(row.leaf_hash))


def approval_from_row(row: Row[Any]) -> Approval:
    """An ``audit_approvals`` row as an :class:`Approval`.

    Args:
        row: a full row.

    Returns:
        The request.
    """
    return Approval(
        id=row.id,
        action=row.action,
        target_kind=row.target_kind,
        target_id=row.target_id,
        params=msgspec.json.decode(row.params),
        justification=row.justification,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        status=row.status,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_justification=row.decision_justification,
        request_entry=int(row.request_entry),
    )


def _moment(now: float) -> datetime:
    # whole microseconds, so the stored float and the leaf's time are the same instant
    return datetime.fromtimestamp(round(now, 6), UTC)


class AuditSequence:
    """The next audit index after this process's last committed append, kept by a unit-of-work
    factory so an append usually needs no ``max(idx)`` query.

    It is only a guess: an append inserts at the guessed index with ``ON CONFLICT (idx) DO
    NOTHING`` and, when another process took that index, reads ``max(idx) + 1`` and tries
    again. It moves only after a commit, and is forgotten after a rollback.

    Attributes:
        next: the guess, or None (read it from the table).
    """

    def __init__(self) -> None:
        self.next: int | None = None


class SqlAuditRepository:
    """The audit tables inside one unit of work (``uow.audit``).

    Args:
        conn: the unit of work's connection (an open write transaction).
        clock: unix seconds now (each entry's time).
        emit: adds an outbox message (``audit.appended`` per entry).
        sequence: the factory's guess of the next index (None: always read it).
    """

    def __init__(
        self,
        conn: AsyncConnection,
        clock: Callable[[], float],
        emit: Emit,
        sequence: AuditSequence | None = None,
    ) -> None:
        self._conn = conn
        self._clock = clock
        self._emit = emit
        self._sequence = sequence
        self._next: int | None = None if sequence is None else sequence.next
        self.appended: list[StoredEntry] = []

    def committed(self) -> None:
        """Called by the unit of work after its commit: the guess moves past its entries."""
        if self.appended and self._sequence is not None:
            self._sequence.next = self.appended[-1].entry.index + 1

    def rolled_back(self) -> None:
        """Called by the unit of work after a rollback: the guess is forgotten."""
        if self.appended and self._sequence is not None:
            self._sequence.next = None

    async def _read_next(self) -> int:
        top = (await self._conn.execute(select(func.max(audit_entries.c.idx)))).scalar()
        return 0 if top is None else int(top) + 1

    async def _insert(self, values: dict[str, Any]) -> bool:
        query: Any
        if self._conn.dialect.name == "postgresql":
            query = postgresql_insert(audit_entries).values(values)
        else:
            query = sqlite_insert(audit_entries).values(values)
        result = await self._conn.execute(query.on_conflict_do_nothing(index_elements=["idx"]))
        return int(result.rowcount) == 1

    async def append(
        self,
        *,
        actor_id: int | None,
        actor_role: str,
        action: str,
        target_kind: str,
        target_id: str,
        before: JsonValue = None,
        after: JsonValue = None,
        justification: str = "",
        client_address: str | None = None,
        user_agent: str | None = None,
        request_id: str | None = None,
        reverts: int | None = None,
    ) -> StoredEntry:
        """Append one entry to the log, in this unit of work's transaction.

        Args:
            actor_id: who acted (None: the system).
            actor_role: the role they acted in (``admin``, ``system``, ...).
            action: the action's name, e.g. ``account.disable``.
            target_kind: e.g. ``account``.
            target_id: the target's id.
            before: JSON value before the change.
            after: JSON value after it.
            justification: the reason given.
            client_address: the client's IP address.
            user_agent: the client's User-Agent.
            request_id: the request's id.
            reverts: the index of the entry this one reverts.

        Returns:
            The stored entry, with its index, time, leaf bytes and leaf hash.

        Raises:
            LeafError: a value cannot be encoded (nothing is written).
        """
        conn = self._conn
        if conn.dialect.name == "postgresql":
            await conn.execute(_PG_LOCK, {"key": AUDIT_LOCK_KEY})
        index = self._next if self._next is not None else await self._read_next()
        moment = _moment(self._clock())
        while True:
            entry = AuditEntry(
                index=index,
                time=moment,
                actor_id=actor_id,
                actor_role=actor_role,
                action=action,
                target_kind=target_kind,
                target_id=target_id,
                before=before,
                after=after,
                justification=justification,
                client_address=client_address,
                user_agent=user_agent,
                request_id=request_id,
                reverts=reverts,
            )
            leaf = encode_leaf(entry)
            hashed = leaf_hash(leaf)
            values = {
                "idx": index,
                "at": moment.timestamp(),
                "actor_id": actor_id,
                "actor_role": actor_role,
                "action": action,
                "target_kind": target_kind,
                "target_id": target_id,
                "before": canonical_json(before).decode(),
                "after": canonical_json(after).decode(),
                "justification": justification,
                "client_address": client_address,
                "user_agent": user_agent,
                "request_id": request_id,
                "reverts": reverts,
                "leaf": leaf,
                "leaf_hash": hashed,
            }
            if await self._insert(values):
                break
            index = await self._read_next()  # another process appended: read the truth
        self._next = index + 1
        if (index + 1) % BLOCK == 0:
            start = index + 1 - BLOCK
            rows = await conn.execute(
                select(audit_entries.c.leaf_hash)
                .where(audit_entries.c.idx >= start, audit_entries.c.idx < index)
                .order_by(audit_entries.c.idx)
            )
            hashes = [bytes(h) for h in rows.scalars()] + [hashed]
            await conn.execute(
                insert(audit_nodes).values(block=start // BLOCK, root=perfect_subtree_root(hashes))
            )
        stored = StoredEntry(entry, leaf, hashed)
        self.appended.append(stored)
        self._emit(
            "audit.appended",
            f"audit.{index}",
            {
                "index": index,
                "action": action,
                "actor_id": actor_id,
                "target_kind": target_kind,
                "target_id": target_id,
            },
        )
        return stored

    async def get(self, index: int) -> StoredEntry | None:
        """An entry by index.

        Args:
            index: the entry's index.

        Returns:
            The entry, or None.
        """
        row = (
            await self._conn.execute(select(audit_entries).where(audit_entries.c.idx == index))
        ).first()
        return None if row is None else entry_from_row(row)

    async def reverted_by(self, index: int) -> int | None:
        """The index of the entry that reverted ``index``, if any.

        Args:
            index: the original entry.

        Returns:
            The reverting entry's index, or None.
        """
        found = await self._conn.execute(
            select(audit_entries.c.idx).where(audit_entries.c.reverts == index)
        )
        value = found.scalar()
        return None if value is None else int(value)

    async def add_approval(self, approval: Approval) -> None:
        """Store a new pending two-person-rule request.

        Args:
            approval: the request.
        """
        await self._conn.execute(
            insert(audit_approvals).values(
                id=approval.id,
                action=approval.action,
                target_kind=approval.target_kind,
                target_id=approval.target_id,
                params=msgspec.json.encode(approval.params).decode(),
                justification=approval.justification,
                requested_by=approval.requested_by,
                requested_at=approval.requested_at,
                status=approval.status,
                request_entry=approval.request_entry,
            )
        )

    async def get_approval(self, approval_id: str) -> Approval | None:
        """A request by id.

        Args:
            approval_id: the id.

        Returns:
            The request, or None.
        """
        row = (
            await self._conn.execute(
                select(audit_approvals).where(audit_approvals.c.id == approval_id)
            )
        ).first()
        return None if row is None else approval_from_row(row)

    async def decide_approval(
        self, approval_id: str, status: str, by: int, at: float, justification: str
    ) -> bool:
        """Record the decision on a pending request.

        Args:
            approval_id: the request.
            status: ``approved``, ``rejected`` or ``failed``.
            by: the deciding admin.
            at: unix seconds.
            justification: the decider's reason.

        Returns:
            False when the request was not pending (someone decided first).
        """
        result = await self._conn.execute(
            update(audit_approvals)
            .where(audit_approvals.c.id == approval_id, audit_approvals.c.status == "pending")
            .values(
                status=status, decided_by=by, decided_at=at, decision_justification=justification
            )
        )
        return int(result.rowcount) == 1
