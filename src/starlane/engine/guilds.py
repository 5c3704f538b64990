"""Guild treasuries: deposits and withdrawals between a guild and a player in any region.

A guild's treasury is a relational row (:mod:`starlane.store.guilds`); a player's credits are
in the state of the region engine the player is in. :class:`GuildTreasury` moves credits
between the two as a saga with an idempotent transfer id, like the region treasury payouts
(:mod:`starlane.engine.payout`):

**Deposit** (any member):

1. one unit of work records the transfer row ``pending`` (nothing has moved yet);
2. :class:`~starlane.domain.guild_transfers.DebitGuildDeposit` to the player's region engine,
   keyed by the transfer id (applied at most once; recorded in that region's ``transfers_in``);
3. one unit of work marks the row ``done`` and credits the treasury, atomically, only if the
   row was still ``pending``. A debit refused by the region (``insufficient_credits``) marks
   the row ``failed``: nothing moved.

**Withdrawal** (officers and the leader, to a member):

1. one unit of work debits the treasury (an atomic ``UPDATE ... WHERE treasury >= amount``),
   records the transfer row ``pending`` and appends the audit entry;
2. :class:`~starlane.domain.guild_transfers.CreditGuildWithdrawal` to the member's region
   engine, keyed by the transfer id;
3. one unit of work marks the row ``done``. A member who is in no region (and not passing a
   gate) gets nothing: the row is marked ``returned`` and the amount goes back into the
   treasury in the same transaction.

At every moment each credit is in exactly one place: with a player, in a treasury, or in a
transfer in flight (:meth:`GuildTreasury.in_flight`: a pending deposit already debited, a
pending withdrawal not yet credited). Before step 2 the driver looks for the transfer id in
**every** region's ``transfers_in``, so a player who moved on after step 2 is never debited or
credited twice. One driver runs per transfer id; :meth:`GuildTreasury.recover` drives every
pending row to its end at start-up (after the galaxy's own recovery).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from starlane.domain.errors import (
    DomainError,
    InsufficientCreditsError,
    InvalidQuantityError,
    UnknownPlayerError,
)
from starlane.domain.guild_transfers import (
    CREDITED,
    DEBITED,
    CreditGuildWithdrawal,
    DebitGuildDeposit,
)
from starlane.domain.guilds import (
    GuildNotFoundError,
    GuildTreasuryInsufficientError,
    NotGuildMemberError,
    check_right,
)
from starlane.engine.directory import PlayerDirectory
from starlane.engine.errors import EngineError, PlayerNotFoundError
from starlane.engine.region import RegionEngine
from starlane.store.guilds import (
    PENDING,
    TRANSFER_FIELDS,
    Transfer,
    guilds_in,
    pending_transfer_ids,
)
from starlane.store.schema import guild_transfers, guilds
from starlane.store.uow import UnitOfWork

__all__ = [
    "DEPOSIT",
    "DONE",
    "FAILED",
    "RETURNED",
    "WITHDRAW",
    "WITHDRAW_ACTION",
    "GuildTreasury",
    "TransferResult",
]

_log = structlog.get_logger("starlane.engine.guilds")

DEPOSIT = "deposit"
WITHDRAW = "withdraw"
DONE = "done"
"""The transfer reached its end: the credits are in the treasury (deposit) or with the player."""
FAILED = "failed"
"""A deposit the player's region refused (not enough credits): nothing moved."""
RETURNED = "returned"
"""A withdrawal whose player is in no region: the amount went back into the treasury."""
WITHDRAW_ACTION = "guild.treasury.withdraw"
"""The audit action of a withdrawal from a guild's treasury."""

_MAX_DELAY = 1.0


@dataclass(frozen=True, slots=True)
class TransferResult:
    """A deposit's or withdrawal's outcome as the caller sees it.

    Attributes:
        transfer: the transfer row (status ``pending`` when the wait ran out first: it
            finishes in the background).
        treasury: the guild's treasury now, credits.
    """

    transfer: Transfer
    treasury: int


class GuildTreasury:
    """Drives guild treasury transfers (see the module docstring).

    Args:
        engines: region id -> engine (the galaxy's live mapping).
        directory: the galaxy's player directory.
        uow: makes units of work.
        db: the database (for reads outside a unit of work).
        clock: unix seconds now.
        new_id: makes transfer ids (default ``guild-`` + the wall clock in hexadecimal
            nanoseconds + random hex: ids sort in creation order).
        retry_delay: first delay between retries, seconds (doubles up to 1 s).
    """

    def __init__(
        self,
        engines: Mapping[int, RegionEngine],
        directory: PlayerDirectory,
        uow: Callable[[], UnitOfWork],
        db: AsyncEngine,
        clock: Callable[[], float],
        *,
        new_id: Callable[[], str] = lambda: f"guild-{time.time_ns():016x}-{uuid.uuid4().hex[:16]}",
        retry_delay: float = 0.02,
    ) -> None:
        self._engines = engines
        self._directory = directory
        self._uow = uow
        self._db = db
        self._clock = clock
        self._new_id = new_id
        self._retry_delay = retry_delay
        self._driving: dict[str, asyncio.Task[str]] = {}

    # --- the two operations --------------------------------------------------------------
    async def deposit(
        self, guild_id: int, player_id: int, amount: int, *, wait: float | None = 10.0
    ) -> TransferResult:
        """Move ``amount`` of a member's credits into the guild's treasury.

        Args:
            guild_id: the guild.
            player_id: the depositing member (in any region).
            amount: credits, > 0.
            wait: seconds to wait for the end (None: until it ends).

        Returns:
            The result; its transfer's status is ``done``, ``failed`` (refused by the region
            meanwhile; ``error_code`` says why) or ``pending``.

        Raises:
            InvalidQuantityError: ``amount`` is not positive.
            GuildNotFoundError: no such guild.
            GuildForbiddenError: the player is not a member (``forbidden``).
            PlayerNotFoundError: the player is in no region (``player_not_in_galaxy``).
            InsufficientCreditsError: the player holds less than ``amount`` now.
        """
        if amount <= 0:
            raise InvalidQuantityError(f"a deposit is a positive amount, not {amount}")
        self._locate(player_id)
        credits = self._credits_of(player_id)
        if credits is not None and credits < amount:
            raise InsufficientCreditsError(
                f"you hold {credits} credits, {amount} needed", needed=amount, available=credits
            )
        tid = self._new_id()
        async with self._uow() as uow:
            repo = guilds_in(uow)
            guild = await repo.get(guild_id)
            if guild is None:
                raise GuildNotFoundError(f"no guild {guild_id}", guild_id=guild_id)
            member = await repo.member(player_id)
            check_right(
                "guild.deposit",
                member.role if member is not None and member.guild_id == guild_id else None,
            )
            await repo.add_transfer(self._row(tid, guild_id, player_id, DEPOSIT, amount, player_id))
        return await self._result(tid, wait)

    async def withdraw(
        self,
        guild_id: int,
        actor_id: int,
        to_player_id: int,
        amount: int,
        *,
        wait: float | None = 10.0,
        client_address: str | None = None,
        user_agent: str | None = None,
        request_id: str | None = None,
    ) -> TransferResult:
        """Pay ``amount`` from the guild's treasury to a member (officers and the leader),
        audited in the same transaction as the treasury's debit.

        Args:
            guild_id: the guild.
            actor_id: the acting officer or leader.
            to_player_id: the member paid (in any region).
            amount: credits, > 0.
            wait: seconds to wait for the end (None: until it ends).
            client_address: the request's client address (for the audit entry).
            user_agent: the request's User-Agent (idem).
            request_id: the request's id (idem).

        Returns:
            The result; status ``done``, ``returned`` or ``pending``.

        Raises:
            InvalidQuantityError: ``amount`` is not positive.
            GuildNotFoundError: no such guild.
            GuildForbiddenError: the actor is not an officer or the leader (``forbidden``).
            NotGuildMemberError: the player paid is not a member (``not_guild_member``).
            PlayerNotFoundError: the player paid is in no region (``player_not_in_galaxy``).
            GuildTreasuryInsufficientError: the treasury holds less
                (``guild_treasury_insufficient``).
        """
        if amount <= 0:
            raise InvalidQuantityError(f"a withdrawal is a positive amount, not {amount}")
        tid = self._new_id()
        async with self._uow() as uow:
            repo = guilds_in(uow)
            guild = await repo.get(guild_id)
            if guild is None:
                raise GuildNotFoundError(f"no guild {guild_id}", guild_id=guild_id)
            acting = await repo.member(actor_id)
            check_right(
                "guild.withdraw",
                acting.role if acting is not None and acting.guild_id == guild_id else None,
            )
            target = await repo.member(to_player_id)
            if target is None or target.guild_id != guild_id:
                raise NotGuildMemberError(
                    f"player {to_player_id} is not a member of guild {guild_id}",
                    player_id=to_player_id,
                )
            self._locate(to_player_id)
            after = await repo.debit_treasury(guild_id, amount)
            if after is None:
                raise GuildTreasuryInsufficientError(
                    f"the treasury holds {guild.treasury} credits, {amount} needed",
                    needed=amount,
                    available=guild.treasury,
                )
            row = self._row(tid, guild_id, to_player_id, WITHDRAW, amount, actor_id)
            await repo.add_transfer(row)
            await uow.audit.append(
                actor_id=actor_id,
                actor_role=acting.role if acting is not None else "member",
                action=WITHDRAW_ACTION,
                target_kind="guild",
                target_id=str(guild_id),
                before={"treasury": after + amount},
                after={
                    "treasury": after,
                    "amount": amount,
                    "player_id": to_player_id,
                    "transfer_id": tid,
                },
                client_address=client_address,
                user_agent=user_agent,
                request_id=request_id,
            )
            await repo.publish(
                "guild.treasury_changed",
                guild_id,
                {"transfer_id": tid, "kind": WITHDRAW, "amount": amount, "treasury": after},
            )
        return await self._result(tid, wait)

    # --- driving -------------------------------------------------------------------------
    async def drive(self, transfer_id: str, *, wait: float | None = None) -> str:
        """Drive a pending transfer to its end (joining the driver already running, if any).

        Args:
            transfer_id: the transfer.
            wait: seconds to wait (None: until it ends).

        Returns:
            Its status: ``done``, ``failed``, ``returned``, or ``pending`` when ``wait`` ran
            out first.
        """
        task = self._driving.get(transfer_id)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._drive(transfer_id))
            self._driving[transfer_id] = task
            task.add_done_callback(lambda _t: self._driving.pop(transfer_id, None))
        try:
            return await asyncio.wait_for(asyncio.shield(task), wait)
        except TimeoutError:
            return PENDING

    def recorded_in(self, transfer_id: str, mark: str) -> int | None:
        """The region that applied a transfer's region step (``mark``), if any.

        Args:
            transfer_id: the transfer.
            mark: :data:`~starlane.domain.guild_transfers.DEBITED` or ``CREDITED``.

        Returns:
            The region id, or None.
        """
        for rid, engine in self._engines.items():
            if engine.state.transfers_in.get(transfer_id) == mark:
                return rid
        return None

    async def in_flight(self) -> int:
        """Credits in pending transfers, held neither by a player nor by a treasury.

        Returns:
            The sum of pending deposits already debited and pending withdrawals not yet
            credited, credits (for conservation checks).
        """
        async with self._db.connect() as conn:
            rows = await conn.execute(
                select(
                    guild_transfers.c.id, guild_transfers.c.kind, guild_transfers.c.amount
                ).where(guild_transfers.c.status == PENDING)
            )
            pending = [(str(r[0]), str(r[1]), int(r[2])) for r in rows]
        total = 0
        for tid, kind, amount in pending:
            debited = kind == DEPOSIT and self.recorded_in(tid, DEBITED) is not None
            uncredited = kind == WITHDRAW and self.recorded_in(tid, CREDITED) is None
            if debited or uncredited:
                total += amount
        return total

    async def _drive(self, tid: str) -> str:
        delay = self._retry_delay
        while True:
            row = await self._read(tid)
            if row is None or row.status != PENDING:
                return PENDING if row is None else row.status
            try:
                status = await self._step(row)
            except EngineError as exc:
                _log.warning("guild_transfer.retry", transfer_id=tid, error=str(exc))
                status = None
            if status is not None:
                _log.info(
                    "guild_transfer.finished",
                    transfer_id=tid,
                    guild_id=row.guild_id,
                    player_id=row.player_id,
                    kind=row.kind,
                    amount=row.amount,
                    status=status,
                )
                return status
            await asyncio.sleep(delay)
            delay = min(delay * 2, _MAX_DELAY)

    async def _step(self, row: Transfer) -> str | None:
        """One attempt; the final status, or None to try again shortly."""
        tid, pid = row.id, row.player_id
        mark = DEBITED if row.kind == DEPOSIT else CREDITED
        if self.recorded_in(tid, mark) is not None:
            return await self._finish(row, DONE)
        where = self._directory.region_of(pid)
        engine = None if where is None else self._engines.get(where)
        if engine is None:
            if self._directory.in_transit(pid) or where is not None:
                return None  # passing a gate: wait until they land
            return await self._finish(
                row, FAILED if row.kind == DEPOSIT else RETURNED, "player_not_in_galaxy"
            )
        if row.kind == DEPOSIT:
            command: DebitGuildDeposit | CreditGuildWithdrawal = DebitGuildDeposit(
                pid, tid, row.amount, row.guild_id
            )
        else:
            command = CreditGuildWithdrawal(pid, tid, row.amount, row.guild_id)
        try:
            await engine.submit(command)
        except UnknownPlayerError:
            return None  # they left that region meanwhile: look again
        except DomainError as exc:
            if row.kind == DEPOSIT:
                return await self._finish(row, FAILED, exc.code)
            raise
        return await self._finish(row, DONE)

    async def _finish(self, row: Transfer, status: str, code: str | None = None) -> str:
        """Step 3: close the row; a done deposit or a returned withdrawal credits the
        treasury in the same transaction."""
        async with self._uow() as uow:
            repo = guilds_in(uow)
            if not await repo.finish_transfer(row.id, status, self._clock(), code):
                current = await repo.transfer(row.id)
                return status if current is None else current.status
            credit = (row.kind == DEPOSIT and status == DONE) or status == RETURNED
            if credit:
                treasury = await repo.credit_treasury(row.guild_id, row.amount)
            else:
                guild = await repo.get(row.guild_id)
                treasury = 0 if guild is None else guild.treasury
            await repo.publish(
                "guild.treasury_changed",
                row.guild_id,
                {
                    "transfer_id": row.id,
                    "kind": row.kind,
                    "amount": row.amount,
                    "status": status,
                    "player_id": row.player_id,
                    "treasury": treasury,
                },
                also=[row.player_id],
            )
        return status

    # --- recovery and shutdown -----------------------------------------------------------
    async def recover(self, wait: float = 10.0) -> int:
        """Drive every pending transfer to its end (at start-up, after the galaxy started).

        Args:
            wait: seconds to wait for them (a member passing a gate may finish later, in the
                background).

        Returns:
            The number of transfers found pending.
        """
        pending = await pending_transfer_ids(self._db)
        if pending:
            await asyncio.gather(*(self.drive(tid, wait=wait) for tid in pending))
            _log.info("guild_transfer.recovered", transfers=len(pending))
        return len(pending)

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait for the transfers being driven (at shutdown); those still running after
        ``timeout`` seconds are cancelled (the next start's :meth:`recover` finishes them).

        Args:
            timeout: seconds to wait.
        """
        tasks = list(self._driving.values())
        if not tasks:
            return
        _done, running = await asyncio.wait(tasks, timeout=timeout)
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)

    # --- helpers -------------------------------------------------------------------------
    def _locate(self, player_id: int) -> None:
        if self._directory.region_of(player_id) is None and not self._directory.in_transit(
            player_id
        ):
            raise PlayerNotFoundError(f"player {player_id} is not in the galaxy")

    def _credits_of(self, player_id: int) -> int | None:
        where = self._directory.region_of(player_id)
        engine = None if where is None else self._engines.get(where)
        player = None if engine is None else engine.state.players.get(player_id)
        return None if player is None else player.credits

    def _row(
        self, tid: str, guild_id: int, player_id: int, kind: str, amount: int, actor_id: int
    ) -> Transfer:
        return Transfer(
            tid, guild_id, player_id, kind, amount, PENDING, actor_id, self._clock(), None, None
        )

    async def _read(self, tid: str) -> Transfer | None:
        async with self._db.connect() as conn:
            rows = await conn.execute(select(guild_transfers).where(guild_transfers.c.id == tid))
            row = rows.mappings().first()
        return None if row is None else Transfer(**{k: row[k] for k in TRANSFER_FIELDS})

    async def _result(self, tid: str, wait: float | None) -> TransferResult:
        await self.drive(tid, wait=wait)
        transfer = await self._read(tid)
        assert transfer is not None
        async with self._db.connect() as conn:
            rows = await conn.execute(
                select(guilds.c.treasury).where(guilds.c.id == transfer.guild_id)
            )
            treasury = rows.scalar()
        return TransferResult(transfer, 0 if treasury is None else int(treasury))
