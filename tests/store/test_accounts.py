"""Accounts and refresh tokens on SQLite and PostgreSQL: the single-call account store and the
repositories inside a unit of work."""

from __future__ import annotations

import asyncio

import pytest

from starlane.store import (
    RefreshToken,
    SqlAccountStore,
    UnitOfWorkFactory,
    UsernameTakenError,
    create_db_engine,
    username_key,
)

NOW = 1_700_000_000.0


class Accounts(SqlAccountStore):
    """The store, plus the token writes (each in a unit of work of its own) the tests make."""

    async def add_refresh_token(self, token):
        async with self.unit_of_work() as uow:
            await uow.refresh_tokens.add(token)

    async def rotate_refresh_token(self, old_hash, new, now):
        async with self.unit_of_work() as uow:
            return await uow.refresh_tokens.rotate(old_hash, new, now)

    async def revoke_refresh_token(self, token_hash, now):
        async with self.unit_of_work() as uow:
            return await uow.refresh_tokens.revoke(token_hash, now)

    async def revoke_family(self, family_id, now):
        async with self.unit_of_work() as uow:
            return await uow.refresh_tokens.revoke_family(family_id, now)


@pytest.fixture
def accounts(engine) -> Accounts:
    return Accounts(engine, UnitOfWorkFactory(engine, clock=lambda: NOW))


def _token(name: str, account_id: int, family: str = "fam", expires: float = NOW + 3_600):
    return RefreshToken(
        token_hash=f"hash-{name}",
        account_id=account_id,
        family_id=family,
        issued_at=NOW,
        expires_at=expires,
    )


async def test_create_and_get(accounts):
    assert await accounts.count() == 0
    alice = await accounts.create("Alice", "argon2$x", now=NOW)
    assert (alice.username, alice.roles, alice.membership, alice.region_id) == (
        "Alice",
        ("player",),
        "free",
        None,
    )
    assert (alice.created_at, alice.disabled, alice.password_hash) == (NOW, False, "argon2$x")
    assert await accounts.get(alice.id) == alice
    assert await accounts.get_by_username("aLiCe") == alice
    assert await accounts.get_by_username("bob") is None
    assert await accounts.get(alice.id + 100) is None
    admin = await accounts.create(
        "Root", "h", roles=("player", "admin"), membership="citizen", now=NOW + 1
    )
    assert admin.id != alice.id
    assert (await accounts.get(admin.id)).roles == ("player", "admin")
    assert await accounts.count() == 2


async def test_username_taken_case_insensitively(accounts):
    await accounts.create("Alice", "h", now=NOW)
    with pytest.raises(UsernameTakenError) as info:
        await accounts.create("ALICE", "other", now=NOW)
    assert info.value.code == "username_taken" and info.value.kind == "conflict"
    assert await accounts.count() == 1
    assert (await accounts.get_by_username("alice")).password_hash == "h"
    assert username_key("Straße") == username_key("STRASSE")


async def test_updates(accounts):
    a = await accounts.create("Zed", "h1", now=NOW)
    assert await accounts.set_region(a.id, 3)
    assert await accounts.set_roles(a.id, ["player", "moderator"])
    assert await accounts.set_membership(a.id, "citizen")
    assert await accounts.set_password_hash(a.id, "h2")
    assert await accounts.set_disabled(a.id, True)
    got = await accounts.get(a.id)
    assert (got.region_id, got.roles, got.membership, got.password_hash, got.disabled) == (
        3,
        ("player", "moderator"),
        "citizen",
        "h2",
        True,
    )
    assert await accounts.set_region(a.id, None)
    assert (await accounts.get(a.id)).region_id is None
    missing = a.id + 1_000
    assert not await accounts.set_region(missing, 1)
    assert not await accounts.set_roles(missing, ["player"])
    assert not await accounts.set_membership(missing, "free")
    assert not await accounts.set_password_hash(missing, "x")
    with pytest.raises(ValueError, match="comma"):
        await accounts.set_roles(a.id, ["player,admin"])


async def test_list_accounts_pages_by_id(accounts):
    made = [await accounts.create(f"user{i}", "h", now=NOW) for i in range(5)]
    first = await accounts.list_accounts(limit=3)
    rest = await accounts.list_accounts(after_id=first[-1].id, limit=3)
    assert first + rest == made


async def test_delete_removes_the_account_and_its_tokens(accounts):
    a = await accounts.create("Gone", "h", now=NOW)
    b = await accounts.create("Stays", "h", now=NOW)
    await accounts.add_refresh_token(_token("a1", a.id))
    await accounts.add_refresh_token(_token("b1", b.id, family="fb"))
    assert await accounts.delete(a.id)
    assert not await accounts.delete(a.id)
    assert await accounts.get(a.id) is None
    assert await accounts.get_refresh_token("hash-a1") is None
    assert await accounts.get_refresh_token("hash-b1") is not None
    assert await accounts.count() == 1
    # the name is free again
    assert (await accounts.create("gone", "h", now=NOW)).username == "gone"


async def test_refresh_token_rotation_and_reuse_detection(accounts):
    a = await accounts.create("Tok", "h", now=NOW)
    first = _token("t1", a.id)
    await accounts.add_refresh_token(first)
    assert await accounts.get_refresh_token("hash-t1") == first

    second = _token("t2", a.id)
    assert await accounts.rotate_refresh_token("hash-t1", second, NOW + 10)
    old = await accounts.get_refresh_token("hash-t1")
    assert (old.revoked_at, old.replaced_by) == (NOW + 10, "hash-t2")
    assert await accounts.get_refresh_token("hash-t2") == second

    # presenting t1 again is reuse: refused, nothing inserted
    third = _token("t3", a.id)
    assert not await accounts.rotate_refresh_token("hash-t1", third, NOW + 20)
    assert await accounts.get_refresh_token("hash-t3") is None
    assert not await accounts.rotate_refresh_token("hash-unknown", third, NOW + 20)

    # the API then revokes the family: only the still-valid t2 is revoked
    assert await accounts.revoke_family("fam", NOW + 30) == 1
    assert (await accounts.get_refresh_token("hash-t2")).revoked_at == NOW + 30
    assert (await accounts.get_refresh_token("hash-t1")).revoked_at == NOW + 10
    assert await accounts.revoke_family("fam", NOW + 40) == 0


async def test_expired_token_does_not_rotate(accounts):
    a = await accounts.create("Old", "h", now=NOW)
    await accounts.add_refresh_token(_token("e1", a.id, expires=NOW + 5))
    assert not await accounts.rotate_refresh_token("hash-e1", _token("e2", a.id), NOW + 5)
    assert await accounts.get_refresh_token("hash-e2") is None
    assert (await accounts.get_refresh_token("hash-e1")).revoked_at is None


async def test_revoke_one_token(accounts):
    a = await accounts.create("Bye", "h", now=NOW)
    await accounts.add_refresh_token(_token("r1", a.id))
    assert await accounts.revoke_refresh_token("hash-r1", NOW + 1)
    assert not await accounts.revoke_refresh_token("hash-r1", NOW + 2)
    assert (await accounts.get_refresh_token("hash-r1")).revoked_at == NOW + 1
    assert not await accounts.rotate_refresh_token("hash-r1", _token("r2", a.id), NOW + 3)


async def test_concurrent_rotations_of_one_token_only_one_wins(accounts):
    a = await accounts.create("Race", "h", now=NOW)
    await accounts.add_refresh_token(_token("c0", a.id))
    results = await asyncio.gather(
        *(
            accounts.rotate_refresh_token("hash-c0", _token(f"c{k}", a.id), NOW + 1)
            for k in (1, 2, 3, 4)
        )
    )
    assert sorted(results) == [False, False, False, True]
    winner = (await accounts.get_refresh_token("hash-c0")).replaced_by
    others = [f"hash-c{k}" for k in (1, 2, 3, 4) if f"hash-c{k}" != winner]
    assert await accounts.get_refresh_token(winner) is not None
    for other in others:
        assert await accounts.get_refresh_token(other) is None


async def test_accounts_survive_reopening(db_url, engine):
    a = await SqlAccountStore(engine).create("Persist", "h", now=NOW)
    await engine.dispose()
    reopened = create_db_engine(db_url)
    try:
        assert await SqlAccountStore(reopened).get_by_username("persist") == a
    finally:
        await reopened.dispose()


async def test_account_ids_are_never_reused(accounts):
    first = await accounts.create("First", "h", now=NOW)
    newest = await accounts.create("Newest", "h", now=NOW)
    assert await accounts.delete(newest.id)
    again = await accounts.create("Again", "h", now=NOW)
    assert again.id > newest.id > first.id


async def test_revoking_changes_bump_the_token_version(accounts):
    a = await accounts.create("Versioned", "h", roles=("player", "admin"), now=NOW)
    assert a.token_version == 0
    await accounts.set_membership(a.id, "gold")  # not a revocation
    await accounts.set_roles(a.id, ("player", "admin", "mod"))  # a grant is not either
    assert (await accounts.get(a.id)).token_version == 0
    await accounts.set_roles(a.id, ("player",))  # demotion
    assert (await accounts.get(a.id)).token_version == 1
    await accounts.set_password_hash(a.id, "h2")
    assert (await accounts.get(a.id)).token_version == 2
    await accounts.set_disabled(a.id, True)
    assert (await accounts.get(a.id)).token_version == 3
    await accounts.set_disabled(a.id, False)
    assert (await accounts.get(a.id)).token_version == 3
    async with accounts.unit_of_work() as uow:
        assert await uow.accounts.bump_token_version(a.id)
        assert not await uow.accounts.bump_token_version(a.id + 1000)
    assert (await accounts.get(a.id)).token_version == 4
