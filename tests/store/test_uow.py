"""The unit of work on SQLite and PostgreSQL: one transaction for the relational changes and
their outbox rows, all or nothing, queued on SQLite's in-process write lock."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from starlane.domain.envelope import (
    ACCOUNT_CREATED,
    ACCOUNT_DELETED,
    ACCOUNT_UPDATED,
    ROLE_GRANTED,
    ROLE_REVOKED,
)
from starlane.store import SqlAccountStore, UnitOfWorkFactory, UsernameTakenError
from starlane.store.db import write_lock
from starlane.store.outbox import read_outbox
from starlane.store.schema import accounts, outbox

NOW = 1_700_000_000.0


class Published:
    """Records what each commit handed to the publisher."""

    def __init__(self) -> None:
        self.batches: list[list] = []

    def __call__(self, envelopes) -> None:
        self.batches.append(list(envelopes))

    @property
    def kinds(self) -> list[tuple[str, str]]:
        return [(e.kind, e.subject) for batch in self.batches for e in batch]


@pytest.fixture
def published() -> Published:
    return Published()


@pytest.fixture
def uow(engine, published) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(engine, clock=lambda: NOW, on_commit=published)


async def _count(engine, table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def test_changes_and_outbox_rows_commit_together(engine, uow, published):
    async with uow() as w:
        alice = await w.accounts.create("Alice", "h", now=NOW)
        await w.accounts.set_roles(alice.id, ("player", "moderator"))
        w.add_message("note.added", f"account.{alice.id}", {"text": "welcome", "n": [1, 2]})
        assert published.batches == []  # nothing is published before the commit
    assert published.kinds == [
        (ACCOUNT_CREATED, f"account.{alice.id}"),
        (ROLE_GRANTED, f"account.{alice.id}"),
        ("note.added", f"account.{alice.id}"),
    ]
    (batch,) = published.batches
    assert [e.position for e in batch] == sorted(e.position for e in batch)
    assert batch[1].payload == {"account_id": alice.id, "role": "moderator"}
    assert all(e.at == NOW for e in batch)
    stored = await read_outbox(engine)
    assert stored == batch  # the rows hold exactly what was published (payload round-trips)
    assert await read_outbox(engine, unpublished_only=True) == batch  # not marked yet
    assert w.committed == batch


async def test_an_exception_rolls_back_changes_and_messages(engine, uow, published):
    async with uow() as w:
        bob = await w.accounts.create("Bob", "h", now=NOW)
    with pytest.raises(RuntimeError, match="boom"):
        async with uow() as w:
            await w.accounts.set_disabled(bob.id, True)
            await w.accounts.create("Carol", "h", now=NOW)
            raise RuntimeError("boom")
    store = SqlAccountStore(engine)
    assert (await store.get(bob.id)).disabled is False
    assert await store.get_by_username("carol") is None
    assert [k for k, _ in published.kinds] == [ACCOUNT_CREATED]  # Bob's only
    assert await _count(engine, outbox) == 1


async def test_a_message_that_cannot_be_stored_fails_the_commit_and_applies_nothing(
    engine, uow, published
):
    with pytest.raises(TypeError):
        async with uow() as w:
            await w.accounts.create("Dora", "h", now=NOW)
            w.add_message("bad", "x.1", {"value": object()})
    assert await _count(engine, accounts) == 0
    assert await _count(engine, outbox) == 0
    assert published.batches == []


async def test_rollback_discards_and_refused_create_keeps_the_unit_usable(engine, uow, published):
    async with uow() as w:
        await w.accounts.create("Eve", "h", now=NOW)
        w.rollback()
    assert await _count(engine, accounts) == 0 and published.batches == []
    async with uow() as w:
        eve = await w.accounts.create("Eve", "h", now=NOW)
        with pytest.raises(UsernameTakenError):
            await w.accounts.create("EVE", "h", now=NOW)
        await w.accounts.set_membership(eve.id, "citizen")  # the transaction goes on
    assert (await SqlAccountStore(engine).get(eve.id)).membership == "citizen"
    assert [k for k, _ in published.kinds] == [ACCOUNT_CREATED, ACCOUNT_UPDATED]


async def test_messages_of_each_account_change(engine, uow, published):
    store = SqlAccountStore(engine, uow)
    fay = await store.create("Fay", "secret-hash", roles=("player", "admin"), now=NOW)
    assert await store.set_roles(fay.id, ("player", "governor"))
    assert await store.set_roles(fay.id, ("player", "governor"))  # no change, no message
    assert await store.set_password_hash(fay.id, "new-hash")
    assert await store.set_disabled(fay.id, True)
    assert await store.set_region(fay.id, 2)
    assert not await store.set_disabled(fay.id + 99, True)  # no account, no message
    assert await store.delete(fay.id)
    payloads = [(e.kind, dict(e.payload)) for batch in published.batches for e in batch]
    assert payloads == [
        (
            ACCOUNT_CREATED,
            {
                "account_id": fay.id,
                "username": "Fay",
                "roles": ["player", "admin"],
                "membership": "free",
            },
        ),
        (ROLE_GRANTED, {"account_id": fay.id, "role": "governor"}),
        (ROLE_REVOKED, {"account_id": fay.id, "role": "admin"}),
        (ACCOUNT_UPDATED, {"account_id": fay.id, "password_changed": True}),
        (ACCOUNT_UPDATED, {"account_id": fay.id, "disabled": True}),
        (ACCOUNT_UPDATED, {"account_id": fay.id, "region_id": 2}),
        (ACCOUNT_DELETED, {"account_id": fay.id}),
    ]
    assert "hash" not in repr([e.payload for e in await read_outbox(engine)])


async def test_a_unit_of_work_is_used_once_and_never_nested(engine, uow):
    w = uow()
    async with w:
        with pytest.raises(RuntimeError, match="already open"):
            async with uow():
                pass
    with pytest.raises(RuntimeError, match="used once"):
        async with w:
            pass
    with pytest.raises(RuntimeError, match="not open"):
        w.add_message("k", "s", {})


async def test_concurrent_read_then_write_units_lose_no_update(engine, uow):
    async with uow() as w:
        gil = await w.accounts.create("Gil", "h", now=NOW)

    async def grant(role: str) -> None:
        async with uow() as w:
            current = await w.accounts.get(gil.id, for_update=True)
            await asyncio.sleep(0.02)  # let the others read in between, if they could
            await w.accounts.set_roles(gil.id, (*current.roles, role))

    await asyncio.gather(*(grant(r) for r in ("a", "b", "c", "d")))
    roles = (await SqlAccountStore(engine).get(gil.id)).roles
    assert sorted(roles) == ["a", "b", "c", "d", "player"]


async def test_on_sqlite_a_unit_of_work_waits_for_the_write_lock(engine, uow):
    lock = write_lock(engine)
    if lock is None:
        pytest.skip("PostgreSQL takes concurrent writers: no in-process write lock")
    entered = asyncio.Event()

    async def work() -> None:
        async with uow() as w:
            entered.set()
            await w.accounts.create("Hal", "h", now=NOW)

    async with lock:  # e.g. a region engine's group commit in progress
        task = asyncio.create_task(work())
        await asyncio.sleep(0.05)
        assert not entered.is_set()
    await asyncio.wait_for(task, 5)
    assert entered.is_set()
    assert not lock.locked()  # released after the commit
