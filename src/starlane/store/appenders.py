"""The SQL of a group commit, per backend: one append function for SQLite, one for PostgreSQL.

An append is one transaction: lock, optional concurrency check, insert the events, read their
positions, optional snapshot, commit. Appends are the hot path of every region engine (one per
group commit), so each backend gets the shortest exact route:

- SQLite (:func:`append_sqlite`), on a plain ``sqlite3`` connection used from the event loop's
  thread (:func:`starlane.store.db.open_writer`): a plain group commit (no check, no snapshot,
  at most :data:`SQLITE_ROWS_PER_STATEMENT` events) is ONE multi-row
  ``INSERT ... RETURNING seq, position`` in autocommit mode, a single statement being its own
  atomic, durable transaction; otherwise ``BEGIN IMMEDIATE``, the check, the inserts, the
  snapshot, ``COMMIT``. It gives way (returns None, nothing written) when another connection
  holds the write lock.
- PostgreSQL (:func:`append_postgres`): one fixed ``INSERT ... SELECT FROM unnest(...) ORDER BY
  ordinality RETURNING`` statement whatever the batch size (so asyncpg's prepared statement is
  reused), after the advisory lock that makes commit order equal position order.

Both return ``{seq: position}`` of the inserted events and raise :class:`ConflictDetected`
when the stream's last seq is not the expected one.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from starlane.store.schema import snapshots

ROW_COLUMNS = ("region_id", "seq", "type", "version", "actor_id", "at", "recorded_at", "payload")
"""Order of the values in an event row tuple handed to the appenders."""

APPEND_LOCK_KEY = 0x5354_4C4E_4556_4E54  # "STLNEVNT": PostgreSQL advisory lock of appends

_COLS = ", ".join(ROW_COLUMNS)
_SQLITE_LAST_SEQ = "SELECT coalesce(max(seq), 0) FROM events WHERE region_id = ?"
_SQLITE_ROW = "(?, ?, ?, ?, ?, ?, ?, ?)"
_SQLITE_RETURNING = " RETURNING seq, position"

SQLITE_ROWS_PER_STATEMENT = 4_000
"""Most events in one SQLite ``INSERT`` (8 values each: within SQLite's 32,766 host
parameters since 3.32; larger batches are split inside one transaction)."""
_SQLITE_SNAPSHOT_DELETE = "DELETE FROM snapshots WHERE region_id = ? AND seq = ?"
_SQLITE_SNAPSHOT_INSERT = (
    "INSERT INTO snapshots (region_id, seq, created_at, data) VALUES (?, ?, ?, ?)"
)
_SQLITE_SNAPSHOT_PRUNE = (
    "DELETE FROM snapshots WHERE region_id = ? AND seq NOT IN "
    "(SELECT seq FROM snapshots WHERE region_id = ? ORDER BY seq DESC LIMIT ?)"
)

_PG_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_PG_LAST_SEQ = text("SELECT coalesce(max(seq), 0) FROM events WHERE region_id = :region_id")
_PG_INSERT = (
    f"INSERT INTO events ({_COLS}) "
    f"SELECT {_COLS} FROM unnest("
    "$1::integer[], $2::bigint[], $3::varchar[], $4::integer[], $5::integer[],"
    " $6::float8[], $7::float8[], $8::text[]"
    f") WITH ORDINALITY AS r({_COLS}, ord) ORDER BY ord RETURNING seq, position"
)


class ConflictDetected(Exception):
    """The stream's last seq differs from the expected one (``actual`` holds it)."""

    def __init__(self, actual: int) -> None:
        super().__init__(actual)
        self.actual = actual


_SQLITE_WAIT_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def append_sqlite(
    conn: sqlite3.Connection,
    region_id: int,
    expected_seq: int,
    rows: Sequence[tuple[Any, ...]],
    snapshot: tuple[int, bytes, float] | None,
    *,
    check: bool,
    kept: int,
) -> dict[int, int] | None:
    """A group commit on SQLite, on the calling thread (see the module docstring).

    Args:
        conn: the writer connection (autocommit, busy timeout 0).
        region_id: the region.
        expected_seq: the stream's expected last seq.
        rows: event rows in :data:`ROW_COLUMNS` order, seq ``expected_seq + 1`` onwards.
        snapshot: ``(seq, data, created_at)`` to store in the same transaction, or None.
        check: read and compare the stream's last seq first (else the unique constraint is
            the guard).
        kept: snapshots kept per region.

    Returns:
        ``{seq: position}`` of the inserted rows; None when another connection held the write
        lock (``SQLITE_BUSY``/``SQLITE_LOCKED``): nothing was written, try again later.

    Raises:
        ConflictDetected: the check found another last seq; nothing written.
        sqlite3.Error: the database failed (``sqlite3.IntegrityError`` on a duplicate seq);
            nothing written.
    """
    if conn.in_transaction:  # cannot happen (autocommit, every BEGIN ends): never trust blindly
        raise sqlite3.DatabaseError("the writer connection is inside a transaction")
    single = not check and snapshot is None and 0 < len(rows) <= SQLITE_ROWS_PER_STATEMENT
    positions: dict[int, int] = {}
    try:
        if not single:
            conn.execute("BEGIN IMMEDIATE")
            if check:
                (actual,) = conn.execute(_SQLITE_LAST_SEQ, (region_id,)).fetchone()
                if actual != expected_seq:
                    raise ConflictDetected(actual)
        for start in range(0, len(rows), SQLITE_ROWS_PER_STATEMENT):
            chunk = rows[start : start + SQLITE_ROWS_PER_STATEMENT]
            found = conn.execute(
                _sqlite_insert_returning(len(chunk)), [v for row in chunk for v in row]
            ).fetchall()
            positions.update((seq, position) for seq, position in found)
        if snapshot is not None:
            seq, data, created_at = snapshot
            conn.execute(_SQLITE_SNAPSHOT_DELETE, (region_id, seq))
            conn.execute(_SQLITE_SNAPSHOT_INSERT, (region_id, seq, created_at, data))
            conn.execute(_SQLITE_SNAPSHOT_PRUNE, (region_id, region_id, kept))
        if not single:
            conn.execute("COMMIT")
    except BaseException as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.OperationalError) and (
            exc.sqlite_errorcode & 0xFF in _SQLITE_WAIT_CODES
        ):
            return None
        raise
    if len(positions) != len(rows):  # cannot happen under the write lock; never trust blindly
        raise sqlite3.DatabaseError("positions of the appended events could not be read back")
    return positions


def sqlite_last_seq(conn: sqlite3.Connection, region_id: int) -> int:
    """The seq of a region's last stored event, read on the writer connection.

    Args:
        conn: a SQLite connection.
        region_id: the region.

    Returns:
        The last seq, 0 for an empty stream.
    """
    (last,) = conn.execute(_SQLITE_LAST_SEQ, (region_id,)).fetchone()
    return int(last)


@functools.lru_cache(maxsize=64)
def _sqlite_insert_returning(count: int) -> str:
    """``INSERT INTO events ... VALUES (...), ... RETURNING seq, position`` for ``count`` rows."""
    return (
        f"INSERT INTO events ({_COLS}) VALUES "
        + ", ".join([_SQLITE_ROW] * count)
        + (_SQLITE_RETURNING)
    )


async def append_postgres(
    writer: AsyncEngine,
    region_id: int,
    expected_seq: int,
    rows: Sequence[tuple[Any, ...]],
    snapshot: tuple[int, bytes, float] | None,
    *,
    check: bool,
    kept: int,
) -> dict[int, int]:
    """Append on PostgreSQL (see :func:`append_sqlite` for the arguments; ``writer`` is the
    engine whose pool provides the connection).

    Raises:
        ConflictDetected: the check found another last seq; nothing written.
        sqlalchemy.exc.IntegrityError: a duplicate seq (another writer); nothing written.
    """
    async with writer.begin() as conn:
        await conn.execute(_PG_LOCK, {"key": APPEND_LOCK_KEY})
        if check:
            result = await conn.execute(_PG_LAST_SEQ, {"region_id": region_id})
            actual = int(result.scalar_one())
            if actual != expected_seq:
                raise ConflictDetected(actual)
        positions: dict[int, int] = {}
        if rows:
            columns = tuple(list(column) for column in zip(*rows, strict=True))
            result = await conn.exec_driver_sql(_PG_INSERT, columns)
            positions = {seq: position for seq, position in result.all()}
        if snapshot is not None:
            await write_snapshot(conn, region_id, *snapshot, kept=kept)
    return positions


async def write_snapshot(
    conn: AsyncConnection, region_id: int, seq: int, data: bytes, created_at: float, *, kept: int
) -> None:
    """Store a snapshot (replacing one at the same seq) and delete all but the latest ``kept``.

    Args:
        conn: a connection inside a transaction.
        region_id: the region.
        seq: the stream seq the snapshot reflects.
        data: the encoded state.
        created_at: unix seconds.
        kept: snapshots kept per region.
    """
    where_region = snapshots.c.region_id == region_id
    await conn.execute(delete(snapshots).where(where_region, snapshots.c.seq == seq))
    await conn.execute(
        insert(snapshots),
        {"region_id": region_id, "seq": seq, "created_at": created_at, "data": data},
    )
    newest = select(snapshots.c.seq).where(where_region).order_by(snapshots.c.seq.desc())
    await conn.execute(
        delete(snapshots).where(where_region, snapshots.c.seq.not_in(newest.limit(kept)))
    )
