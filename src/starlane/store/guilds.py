"""Guild rows: guilds, members, join requests and invitations, bans, treasury transfers.

:class:`GuildRepository` works inside one open transaction, a unit of work's
(:func:`guilds_in`), so a change, its audit entry and its outbox message commit together. Every
change is published as an outbox message of subject ``guild.<id>`` whose payload carries
``guild_id`` and ``recipients`` (the members after the change, plus the player it concerns):
the WebSocket ``guild`` channel delivers it to those players only, in any process.

Money moves only through :meth:`GuildRepository.debit_treasury` /
:meth:`GuildRepository.credit_treasury`, each one atomic ``UPDATE`` (a withdrawal never takes
the treasury below zero even on PostgreSQL's concurrent transactions), always with the
transfer row that accounts for it (:mod:`starlane.engine.guilds`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from starlane.domain.guilds import GuildNameTakenError, GuildTagTakenError, name_key
from starlane.store.schema import guild_bans, guild_members, guild_requests, guild_transfers, guilds
from starlane.store.uow import UnitOfWork

__all__ = [
    "PENDING",
    "TRANSFER_FIELDS",
    "Guild",
    "GuildRepository",
    "JoinRequest",
    "Member",
    "Transfer",
    "guilds_in",
    "pending_transfer_ids",
    "search_guilds",
]

TRANSFER_FIELDS = tuple(c.name for c in guild_transfers.columns)
"""The columns of a transfer row, in order (the fields of :class:`Transfer`)."""

PENDING = "pending"
"""Status of a transfer whose region step is not done yet."""

AddMessage = Callable[[str, str, Mapping[str, Any]], None]


@dataclass(frozen=True, slots=True)
class Guild:
    """A guild row.

    Attributes:
        id: the guild's id.
        name: its name.
        tag: its tag.
        leader_id: the leader's player id.
        treasury: credits held.
        created_at: unix seconds.
        member_count: members (when read with the count; else 0).
    """

    id: int
    name: str
    tag: str
    leader_id: int
    treasury: int
    created_at: float
    member_count: int = 0


@dataclass(frozen=True, slots=True)
class Member:
    """A member row: ``player_id`` belongs to ``guild_id`` with ``role`` since ``joined_at``."""

    player_id: int
    guild_id: int
    role: str
    joined_at: float


@dataclass(frozen=True, slots=True)
class JoinRequest:
    """A pending join request (``kind`` ``request``) or invitation (``invite``) by ``by_id``."""

    guild_id: int
    player_id: int
    kind: str
    by_id: int
    created_at: float


@dataclass(frozen=True, slots=True)
class Transfer:
    """A treasury transfer row (see ``store.schema.guild_transfers``)."""

    id: str
    guild_id: int
    player_id: int
    kind: str
    amount: int
    status: str
    actor_id: int
    created_at: float
    finished_at: float | None
    error_code: str | None


def _guild(row: RowMapping, count: int = 0) -> Guild:
    return Guild(
        int(row["id"]),
        row["name"],
        row["tag"],
        int(row["leader_id"]),
        int(row["treasury"]),
        float(row["created_at"]),
        count,
    )


def _transfer(row: RowMapping) -> Transfer:
    return Transfer(**{k: row[k] for k in TRANSFER_FIELDS})


_COUNT = (
    select(func.count())
    .where(guild_members.c.guild_id == guilds.c.id)
    .correlate(guilds)
    .scalar_subquery()
    .label("member_count")
)


async def search_guilds(
    engine: AsyncEngine, q: str | None, after_id: int, limit: int
) -> list[Guild]:
    """Guilds by id whose name or tag contains ``q`` (case aside), a page at a time.

    Args:
        engine: the database.
        q: the text searched (None or empty: every guild).
        after_id: the last id of the previous page (0: from the start).
        limit: guilds at most.

    Returns:
        The page, with member counts.
    """
    query = select(guilds, _COUNT).where(guilds.c.id > after_id)
    if q:
        needle = "%" + name_key(q).replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
        needle += "%"
        query = query.where(
            or_(
                guilds.c.name_key.like(needle, escape="\\"),
                guilds.c.tag_key.like(needle, escape="\\"),
            )
        )
    async with engine.connect() as conn:
        rows = await conn.execute(query.order_by(guilds.c.id).limit(limit))
        return [_guild(r, int(r["member_count"])) for r in rows.mappings()]


async def pending_transfer_ids(engine: AsyncEngine) -> list[str]:
    """The ids of every pending treasury transfer (for the start-up recovery).

    Args:
        engine: the database.

    Returns:
        Their ids, oldest first.
    """
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(guild_transfers.c.id)
            .where(guild_transfers.c.status == PENDING)
            .order_by(guild_transfers.c.created_at, guild_transfers.c.id)
        )
        return [str(r[0]) for r in rows]


def guilds_in(uow: UnitOfWork) -> GuildRepository:
    """The guild rows in an open unit of work's transaction.

    Args:
        uow: the open unit of work.

    Returns:
        The repository (its messages join the unit of work's outbox).
    """
    return GuildRepository(uow.connection, uow.add_message)


class GuildRepository:
    """Guild rows in one open transaction (see the module docstring).

    Args:
        conn: an open write transaction.
        add_message: adds an outbox message to the transaction.
    """

    def __init__(self, conn: AsyncConnection, add_message: AddMessage) -> None:
        self._conn = conn
        self._add_message = add_message

    # --- guilds --------------------------------------------------------------------------
    async def get(self, guild_id: int) -> Guild | None:
        """A guild with its member count, or None."""
        rows = await self._conn.execute(select(guilds, _COUNT).where(guilds.c.id == guild_id))
        row = rows.mappings().first()
        return None if row is None else _guild(row, int(row["member_count"]))

    async def create(self, name: str, tag: str, leader_id: int, now: float) -> Guild:
        """Create a guild led by ``leader_id`` (added as its first member).

        Raises:
            GuildNameTakenError: another guild has this name (``guild_name_taken``).
            GuildTagTakenError: another guild has this tag (``guild_tag_taken``).
        """
        nkey, tkey = name_key(name), name_key(tag)
        for column, key, error in (
            (guilds.c.name_key, nkey, GuildNameTakenError),
            (guilds.c.tag_key, tkey, GuildTagTakenError),
        ):
            taken = await self._conn.execute(select(guilds.c.id).where(column == key))
            other = taken.scalar()
            if other is not None:
                raise error(f"guild {other} has this {column.name[:-4]}", guild_id=int(other))
        try:
            result = await self._conn.execute(
                insert(guilds)
                .values(
                    name=" ".join(name.split()),
                    name_key=nkey,
                    tag=tag,
                    tag_key=tkey,
                    leader_id=leader_id,
                    treasury=0,
                    created_at=now,
                )
                .returning(guilds.c.id)
            )
        except IntegrityError as exc:  # a concurrent creation won the name (PostgreSQL)
            raise GuildNameTakenError("another guild took this name or tag") from exc
        guild_id = int(result.scalar_one())
        await self._conn.execute(
            insert(guild_members).values(
                player_id=leader_id, guild_id=guild_id, role="leader", joined_at=now
            )
        )
        guild = await self.get(guild_id)
        assert guild is not None
        return guild

    async def delete(self, guild_id: int) -> None:
        """Delete a guild with its requests and bans (its members are gone already)."""
        for table in (guild_requests, guild_bans, guild_members):
            await self._conn.execute(delete(table).where(table.c.guild_id == guild_id))
        await self._conn.execute(delete(guilds).where(guilds.c.id == guild_id))

    async def set_leader(self, guild_id: int, player_id: int) -> None:
        """Record the guild's leader (the caller sets the members' roles)."""
        await self._conn.execute(
            update(guilds).where(guilds.c.id == guild_id).values(leader_id=player_id)
        )

    # --- members -------------------------------------------------------------------------
    async def member(self, player_id: int) -> Member | None:
        """The guild membership of a player, or None."""
        rows = await self._conn.execute(
            select(guild_members).where(guild_members.c.player_id == player_id)
        )
        row = rows.mappings().first()
        return None if row is None else Member(**row)

    async def members(self, guild_id: int) -> list[Member]:
        """A guild's members, leader first, then officers, then by joining time."""
        rows = await self._conn.execute(
            select(guild_members)
            .where(guild_members.c.guild_id == guild_id)
            .order_by(guild_members.c.joined_at, guild_members.c.player_id)
        )
        found = [Member(**r) for r in rows.mappings()]
        order = {"leader": 0, "officer": 1}
        return sorted(found, key=lambda m: order.get(m.role, 2))

    async def add_member(self, guild_id: int, player_id: int, role: str, now: float) -> None:
        """Add a member and drop every request and invitation of theirs (to any guild)."""
        await self._conn.execute(
            insert(guild_members).values(
                player_id=player_id, guild_id=guild_id, role=role, joined_at=now
            )
        )
        await self._conn.execute(
            delete(guild_requests).where(guild_requests.c.player_id == player_id)
        )

    async def remove_member(self, player_id: int) -> None:
        """Remove a player from their guild."""
        await self._conn.execute(
            delete(guild_members).where(guild_members.c.player_id == player_id)
        )

    async def set_role(self, player_id: int, role: str) -> None:
        """Change a member's role."""
        await self._conn.execute(
            update(guild_members).where(guild_members.c.player_id == player_id).values(role=role)
        )

    # --- requests, invitations and bans --------------------------------------------------
    async def request(self, guild_id: int, player_id: int, kind: str) -> JoinRequest | None:
        """A pending request (``kind`` ``request``) or invitation (``invite``), or None."""
        rows = await self._conn.execute(
            select(guild_requests).where(
                guild_requests.c.guild_id == guild_id,
                guild_requests.c.player_id == player_id,
                guild_requests.c.kind == kind,
            )
        )
        row = rows.mappings().first()
        return None if row is None else JoinRequest(**row)

    async def requests(self, guild_id: int) -> list[JoinRequest]:
        """A guild's pending requests and invitations, oldest first."""
        rows = await self._conn.execute(
            select(guild_requests)
            .where(guild_requests.c.guild_id == guild_id)
            .order_by(guild_requests.c.created_at, guild_requests.c.player_id)
        )
        return [JoinRequest(**r) for r in rows.mappings()]

    async def invitations_of(self, player_id: int) -> list[JoinRequest]:
        """A player's pending invitations and requests, oldest first."""
        rows = await self._conn.execute(
            select(guild_requests)
            .where(guild_requests.c.player_id == player_id)
            .order_by(guild_requests.c.created_at, guild_requests.c.guild_id)
        )
        return [JoinRequest(**r) for r in rows.mappings()]

    async def add_request(
        self, guild_id: int, player_id: int, kind: str, by_id: int, now: float
    ) -> bool:
        """Record a request or invitation; False when it was pending already."""
        if await self.request(guild_id, player_id, kind) is not None:
            return False
        await self._conn.execute(
            insert(guild_requests).values(
                guild_id=guild_id, player_id=player_id, kind=kind, by_id=by_id, created_at=now
            )
        )
        return True

    async def delete_request(self, guild_id: int, player_id: int, kind: str) -> bool:
        """Drop a request or invitation; False when there was none."""
        result = await self._conn.execute(
            delete(guild_requests).where(
                guild_requests.c.guild_id == guild_id,
                guild_requests.c.player_id == player_id,
                guild_requests.c.kind == kind,
            )
        )
        return bool(result.rowcount)

    async def is_banned(self, guild_id: int, player_id: int) -> bool:
        """Whether a player is banned from a guild."""
        rows = await self._conn.execute(
            select(guild_bans.c.player_id).where(
                guild_bans.c.guild_id == guild_id, guild_bans.c.player_id == player_id
            )
        )
        return rows.first() is not None

    async def ban(self, guild_id: int, player_id: int, by_id: int, now: float) -> None:
        """Ban a player (idempotent) and drop their requests and invitations to this guild."""
        if not await self.is_banned(guild_id, player_id):
            await self._conn.execute(
                insert(guild_bans).values(
                    guild_id=guild_id, player_id=player_id, banned_by=by_id, banned_at=now
                )
            )
        await self._conn.execute(
            delete(guild_requests).where(
                guild_requests.c.guild_id == guild_id, guild_requests.c.player_id == player_id
            )
        )

    async def unban(self, guild_id: int, player_id: int) -> bool:
        """Lift a ban; False when there was none."""
        result = await self._conn.execute(
            delete(guild_bans).where(
                guild_bans.c.guild_id == guild_id, guild_bans.c.player_id == player_id
            )
        )
        return bool(result.rowcount)

    # --- treasury and transfers ----------------------------------------------------------
    async def debit_treasury(self, guild_id: int, amount: int) -> int | None:
        """Take ``amount`` out of the treasury if it holds that much (one atomic update).

        Returns:
            The treasury after, or None when it held less (nothing changed).
        """
        result = await self._conn.execute(
            update(guilds)
            .where(and_(guilds.c.id == guild_id, guilds.c.treasury >= amount))
            .values(treasury=guilds.c.treasury - amount)
            .returning(guilds.c.treasury)
        )
        after = result.scalar()
        return None if after is None else int(after)

    async def credit_treasury(self, guild_id: int, amount: int) -> int:
        """Put ``amount`` into the treasury (one atomic update); returns the treasury after."""
        result = await self._conn.execute(
            update(guilds)
            .where(guilds.c.id == guild_id)
            .values(treasury=guilds.c.treasury + amount)
            .returning(guilds.c.treasury)
        )
        return int(result.scalar_one())

    async def add_transfer(self, transfer: Transfer) -> None:
        """Record a new transfer row."""
        await self._conn.execute(
            insert(guild_transfers).values({k: getattr(transfer, k) for k in TRANSFER_FIELDS})
        )

    async def transfer(self, transfer_id: str) -> Transfer | None:
        """A transfer row, or None."""
        rows = await self._conn.execute(
            select(guild_transfers).where(guild_transfers.c.id == transfer_id)
        )
        row = rows.mappings().first()
        return None if row is None else _transfer(row)

    async def finish_transfer(
        self, transfer_id: str, status: str, now: float, error_code: str | None = None
    ) -> bool:
        """Move a pending transfer to its end status (atomic: only one caller succeeds).

        Returns:
            True when this call finished it, False when it was not pending.
        """
        result = await self._conn.execute(
            update(guild_transfers)
            .where(guild_transfers.c.id == transfer_id, guild_transfers.c.status == PENDING)
            .values(status=status, finished_at=now, error_code=error_code)
        )
        return bool(result.rowcount)

    async def pending_amounts(self, guild_id: int) -> int:
        """How many transfers of a guild are pending."""
        rows = await self._conn.execute(
            select(func.count()).where(
                guild_transfers.c.guild_id == guild_id, guild_transfers.c.status == PENDING
            )
        )
        return int(rows.scalar_one())

    async def transfers(self, guild_id: int, limit: int = 20) -> Sequence[Transfer]:
        """A guild's latest transfers, newest first."""
        rows = await self._conn.execute(
            select(guild_transfers)
            .where(guild_transfers.c.guild_id == guild_id)
            .order_by(guild_transfers.c.created_at.desc(), guild_transfers.c.id.desc())
            .limit(limit)
        )
        return [_transfer(r) for r in rows.mappings()]

    # --- live feed -----------------------------------------------------------------------
    async def publish(
        self, kind: str, guild_id: int, payload: Mapping[str, Any], also: Sequence[int] = ()
    ) -> None:
        """Add an outbox message about a guild, addressed to its members (and ``also``).

        Args:
            kind: e.g. ``guild.member_joined``.
            guild_id: the guild.
            payload: the change's data.
            also: more players who should see it (a kicked member, an invited player).
        """
        rows = await self._conn.execute(
            select(guild_members.c.player_id).where(guild_members.c.guild_id == guild_id)
        )
        recipients = sorted({int(r[0]) for r in rows} | set(also))
        self._add_message(
            kind, f"guild.{guild_id}", {**payload, "guild_id": guild_id, "recipients": recipients}
        )
