"""Durable storage: the event store, snapshots, the region catalogue, accounts, migrations.

Public surface (import from here):

- :func:`create_db_engine`, :func:`upgrade_database`, :func:`database_revision`,
  :data:`WRITE_TRANSACTION` (``starlane.store.db``)
- :class:`EventStore`, :class:`ConcurrencyError`, :class:`RegionRow`
  (``starlane.store.eventstore``): ``EventStore(engine)`` builds the backend's adapter
  (``starlane.store.sqlite_events``, ``starlane.store.postgres_events``) of the event store
  port, :class:`starlane.store.ports.EventStore`
- :class:`AccountStore` (the port) and :class:`SqlAccountStore` (its adapter),
  :class:`Account`, :class:`RefreshToken`, :class:`UsernameTakenError`
  (``starlane.store.accounts``, ``starlane.store.accounts_sql``)
- :class:`UnitOfWork`, :class:`UnitOfWorkFactory` (``starlane.store.uow``) and the
  :class:`OutboxPublisher` (``starlane.store.outbox``)
- the tables in :mod:`starlane.store.schema`
"""

from __future__ import annotations

from starlane.store.accounts import (
    Account,
    AccountStore,
    RefreshToken,
    UsernameTakenError,
    username_key,
)
from starlane.store.accounts_sql import SqlAccountStore
from starlane.store.db import (
    WRITE_TRANSACTION,
    create_db_engine,
    database_revision,
    upgrade_database,
)
from starlane.store.eventstore import ConcurrencyError, EventStore, RegionRow
from starlane.store.outbox import OutboxPublisher
from starlane.store.uow import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "WRITE_TRANSACTION",
    "Account",
    "AccountStore",
    "ConcurrencyError",
    "EventStore",
    "OutboxPublisher",
    "RefreshToken",
    "RegionRow",
    "SqlAccountStore",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "UsernameTakenError",
    "create_db_engine",
    "database_revision",
    "upgrade_database",
    "username_key",
]
