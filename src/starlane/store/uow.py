"""The unit of work: one transaction for the relational changes of one request or command.

A :class:`UnitOfWork` is an async context manager. Entering it opens one transaction and binds
the relational repositories to it (``uow.accounts``, ``uow.refresh_tokens``, ``uow.audit``;
guilds and forums later); the repositories, and the caller through
:meth:`UnitOfWork.add_message`, add outbox messages. Leaving it normally writes the outbox
rows and commits everything in that one transaction, then hands the committed envelopes to
the outbox publisher (which puts them on the bus). Leaving it with an exception rolls
everything back: no change, no message::

    async with uow_factory() as uow:
        account = await uow.accounts.get_by_username(name)
        await uow.accounts.set_roles(account.id, (*account.roles, "admin"))
    # committed; ``role.granted`` is on the bus

The transaction is a write transaction from its start (``BEGIN IMMEDIATE`` on SQLite, so a
read-then-write never fails half-way on a lock), and on SQLite it is taken while holding the
database's in-process write lock (:func:`starlane.store.db.write_lock`), the one the region
engines' group commits and the projection batches queue on: a unit of work waits its turn in
the event loop instead of in SQLite's busy handler. Keep it short: do slow work (password
hashing) before entering, and never wait for a region engine inside one (on SQLite its commit
would wait for this transaction's lock).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from starlane.domain.envelope import Envelope
from starlane.store.accounts import AccountRepository, RefreshTokenRepository
from starlane.store.accounts_sql import SqlAccountRepository
from starlane.store.audit import AuditSequence, SqlAuditRepository
from starlane.store.db import WRITE_TRANSACTION, write_lock
from starlane.store.outbox import OutboxMessage, append_outbox
from starlane.store.refresh_tokens import SqlRefreshTokenRepository

Clock = Callable[[], float]
"""The clock port: unix seconds now (``time.time`` in production, a settable fake in tests)."""

OnCommit = Callable[[Sequence[Envelope]], None]
"""Called with the committed envelopes right after a commit (the outbox publisher)."""

_open: ContextVar[frozenset[int]] = ContextVar("starlane_open_units_of_work", default=frozenset())


class UnitOfWork:
    """One transaction over the relational repositories (see the module docstring).

    Args:
        engine: the database.
        clock: unix seconds now (the outbox rows' time).
        on_commit: receives the committed envelopes (None: they wait in the outbox for a
            publisher's sweep).
        audit_sequence: the factory's guess of the next audit index (None: read it).

    Attributes:
        accounts: the accounts, in this transaction (while open).
        refresh_tokens: the refresh tokens, in this transaction (while open).
        audit: the audit log, in this transaction (while open): entries commit with the
            change they record.
        committed: the envelopes of the messages committed, once it committed.
    """

    accounts: AccountRepository
    refresh_tokens: RefreshTokenRepository
    audit: SqlAuditRepository

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        clock: Clock = time.time,
        on_commit: OnCommit | None = None,
        audit_sequence: AuditSequence | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._on_commit = on_commit
        self._audit_sequence = audit_sequence
        self._messages: list[OutboxMessage] = []
        self._conn: AsyncConnection | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._used = False
        self._discard = False
        self.committed: list[Envelope] = []

    @property
    def connection(self) -> AsyncConnection:
        """The open transaction's connection (for repositories written later).

        Raises:
            RuntimeError: the unit of work is not open.
        """
        if self._conn is None:
            raise RuntimeError("the unit of work is not open")
        return self._conn

    def add_message(self, kind: str, subject: str, payload: Mapping[str, Any]) -> None:
        """Add a message to publish if, and only if, this unit of work commits.

        Args:
            kind: e.g. ``role.granted``.
            subject: e.g. ``account.42``.
            payload: JSON-able data.

        Raises:
            RuntimeError: the unit of work is not open.
        """
        if self._conn is None:
            raise RuntimeError("the unit of work is not open")
        self._messages.append(OutboxMessage(kind, subject, payload))

    @property
    def messages(self) -> tuple[OutboxMessage, ...]:
        """The messages added so far (written to the outbox on commit)."""
        return tuple(self._messages)

    def rollback(self) -> None:
        """Discard every change and message: leaving the block will roll back, not commit."""
        self._discard = True

    async def __aenter__(self) -> Self:
        if self._used:
            raise RuntimeError("a unit of work is used once; make a new one")
        self._used = True
        key = id(self._engine.sync_engine)
        opened = _open.get()
        if key in opened:
            raise RuntimeError(
                "a unit of work on this database is already open in this task (it would wait "
                "for itself); use the open one"
            )
        stack = contextlib.AsyncExitStack()
        try:
            lock = write_lock(self._engine)
            if lock is not None:
                await stack.enter_async_context(lock)
            conn = await stack.enter_async_context(
                self._engine.execution_options(**WRITE_TRANSACTION).connect()
            )
            await conn.begin()
        except BaseException:
            await stack.aclose()
            raise
        token = _open.set(opened | {key})
        stack.callback(_open.reset, token)
        self._stack, self._conn = stack, conn
        self.accounts = SqlAccountRepository(conn, self.add_message)
        self.refresh_tokens = SqlRefreshTokenRepository(conn)
        self.audit = SqlAuditRepository(conn, self._clock, self.add_message, self._audit_sequence)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, stack = self._conn, self._stack
        assert conn is not None and stack is not None
        try:
            if exc_type is not None or self._discard:
                await conn.rollback()
                self._messages.clear()
                self.audit.rolled_back()
            else:
                try:
                    envelopes = await append_outbox(conn, self._messages, self._clock())
                    await conn.commit()
                except BaseException:
                    self.audit.rolled_back()
                    await conn.rollback()
                    raise
                self.committed = envelopes
                self.audit.committed()
        finally:
            self._conn = None
            await stack.aclose()  # closes the connection, then releases the write lock
        if self.committed and self._on_commit is not None:
            self._on_commit(self.committed)


class UnitOfWorkFactory:
    """Makes the units of work of one database (one per request or command handler).

    Args:
        engine: the database.
        clock: unix seconds now.
        on_commit: receives each unit of work's committed envelopes (the outbox publisher's
            ``committed``); None leaves them to a publisher's sweep.
    """

    def __init__(
        self, engine: AsyncEngine, *, clock: Clock = time.time, on_commit: OnCommit | None = None
    ) -> None:
        self.engine = engine
        self._clock = clock
        self._on_commit = on_commit
        self._audit_sequence = AuditSequence()

    def __call__(self) -> UnitOfWork:
        """A new unit of work (enter it with ``async with``).

        Returns:
            The unit of work.
        """
        return UnitOfWork(
            self.engine,
            clock=self._clock,
            on_commit=self._on_commit,
            audit_sequence=self._audit_sequence,
        )
