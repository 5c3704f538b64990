"""The audit log's storage: appends in the unit of work, gap-free indexes, block roots, proofs,
checkpoints, and verification that names tampered rows (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import base64
import stat

import pytest
from sqlalchemy import delete, select, text, update

from starlane.audit.checkpoint import CHECKPOINT_FILE, SIGNER_KEY_FILE, read_checkpoint_file
from starlane.audit.checkpointer import Checkpointer
from starlane.audit.leaf import AuditEntry, decode_leaf, encode_leaf
from starlane.audit.log import stored_consistency_proof, stored_inclusion_proof, stored_root
from starlane.audit.merkle import (
    leaf_hash,
    merkle_tree_hash,
    perfect_subtree_root,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from starlane.audit.stored_verify import leaf_index, verify_stored_log
from starlane.store.audit import AuditFilter
from starlane.store.audit_reads import get_entry, log_size, search_entries
from starlane.store.schema import audit_checkpoints, audit_entries, audit_nodes
from starlane.store.uow import UnitOfWorkFactory


def _uow(engine, clock) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(engine, clock=clock)


async def _append(uow: UnitOfWorkFactory, n: int, *, actor: int = 1, action: str = "test.act"):
    for i in range(n):
        async with uow() as u:
            await u.audit.append(
                actor_id=actor,
                actor_role="admin",
                action=action,
                target_kind="account",
                target_id=str(i % 7),
                before={"n": i},
                after={"n": i + 1},
                justification=f"reason {i}",
            )


async def _bulk(engine, clock, n: int) -> None:
    """Append ``n`` entries in one unit of work (fast)."""
    async with _uow(engine, clock)() as u:
        for i in range(n):
            await u.audit.append(
                actor_id=i % 5,
                actor_role="admin",
                action=("credits.adjust", "roles.change")[i % 2],
                target_kind="account",
                target_id=str(i % 11),
                before={"credits": i},
                after={"credits": i + 10},
                justification=f"bulk {i}",
            )


async def _leaves(engine) -> list[bytes]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(audit_entries.c.leaf).order_by(audit_entries.c.idx))
        return [bytes(x) for x in rows.scalars()]


async def test_append_writes_the_canonical_leaf_and_its_hash(engine, clock):
    await _append(_uow(engine, clock), 3)
    stored = await get_entry(engine, 1)
    assert stored is not None
    e = stored.entry
    assert (e.index, e.action, e.before, e.after, e.justification) == (
        1,
        "test.act",
        {"n": 1},
        {"n": 2},
        "reason 1",
    )
    assert stored.leaf == encode_leaf(e)
    assert decode_leaf(stored.leaf) == e
    assert stored.leaf_hash == leaf_hash(stored.leaf)
    assert leaf_index(stored.leaf) == 1


async def test_a_rolled_back_unit_of_work_leaves_no_entry_and_no_gap(engine, clock):
    uow = _uow(engine, clock)
    await _append(uow, 2)
    with pytest.raises(RuntimeError):
        async with uow() as u:
            await u.audit.append(
                actor_id=1, actor_role="admin", action="x", target_kind="k", target_id="1"
            )
            raise RuntimeError("the change failed")
    await _append(uow, 1)
    async with engine.connect() as conn:
        idx = list((await conn.execute(select(audit_entries.c.idx).order_by("idx"))).scalars())
    assert idx == [0, 1, 2]


async def test_concurrent_appends_get_gap_free_indexes_in_commit_order(engine, clock):
    uow = _uow(engine, clock)

    async def one(i: int) -> int:
        async with uow() as u:
            stored = await u.audit.append(
                actor_id=i, actor_role="admin", action="c", target_kind="k", target_id=str(i)
            )
            await asyncio.sleep(0)
        return stored.entry.index

    got = await asyncio.gather(*(one(i) for i in range(20)))
    assert sorted(got) == list(range(20))
    assert await log_size(engine) == 20


async def test_block_roots_are_stored_and_proofs_match_the_in_memory_tree(engine, clock):
    await _bulk(engine, clock, 600)
    leaves = await _leaves(engine)
    hashes = [leaf_hash(x) for x in leaves]
    async with engine.connect() as conn:
        blocks = [bytes(r) for r in (await conn.execute(select(audit_nodes.c.root))).scalars()]
    assert blocks == [perfect_subtree_root(hashes[0:256]), perfect_subtree_root(hashes[256:512])]
    for size in (1, 255, 256, 257, 511, 512, 600):
        root = await stored_root(engine, size)
        assert root == merkle_tree_hash(leaves[:size])
    root = root_from_leaf_hashes(hashes)
    for index in (0, 100, 255, 256, 300, 511, 512, 599):
        proof = await stored_inclusion_proof(engine, index, 600)
        assert verify_inclusion(index, 600, hashes[index], proof, root)
    for first in (1, 256, 300, 512, 599):
        proof = await stored_consistency_proof(engine, first, 600)
        assert verify_consistency(first, 600, merkle_tree_hash(leaves[:first]), root, proof)


async def test_search_filters_and_pages_newest_first(engine, clock):
    await _bulk(engine, clock, 40)
    page = await search_entries(engine, AuditFilter(actor_id=2), limit=3)
    assert [s.entry.index for s in page] == [37, 32, 27]
    more = await search_entries(engine, AuditFilter(actor_id=2), before=27, limit=100)
    assert [s.entry.index for s in more] == [22, 17, 12, 7, 2]
    found = await search_entries(engine, AuditFilter(action="roles.change", target_id="3"))
    assert {s.entry.index for s in found} == {i for i in range(40) if i % 2 and i % 11 == 3}
    assert [s.entry.index for s in await search_entries(engine, AuditFilter(q="BULK 17"))] == [17]


async def test_checkpointer_signs_into_the_file_and_the_database(engine, clock, tmp_path):
    cp = Checkpointer(engine, tmp_path, "test.example/audit", every_entries=5, clock=clock)
    await cp.start()
    try:
        await _bulk(engine, clock, 7)
        for _ in range(50):
            await asyncio.sleep(0.05)
            if cp.signed:
                break
        assert cp.signed == 1
        await _bulk(engine, clock, 2)
    finally:
        await cp.stop()  # signs the two newer entries
    assert stat.S_IMODE((tmp_path / SIGNER_KEY_FILE).stat().st_mode) == 0o600
    notes = read_checkpoint_file(tmp_path / CHECKPOINT_FILE)
    assert [n.split("\n")[1] for n in notes] == ["7", "9"]
    async with engine.connect() as conn:
        stored = list((await conn.execute(select(audit_checkpoints.c.note))).scalars())
    assert stored == notes
    result = await verify_stored_log(engine, tmp_path)
    assert result.ok, result.summary
    assert "9 entries match 2 signed checkpoints" in result.summary


async def _signed_log(engine, clock, tmp_path, sizes=(10, 20, 30)) -> None:
    cp = Checkpointer(engine, tmp_path, "test.example/audit", clock=clock)
    cp.open()
    done = 0
    for size in sizes:
        await _bulk(engine, clock, size - done)
        done = size
        await cp.checkpoint()
    await _bulk(engine, clock, 5)  # newer than the last checkpoint


async def test_verify_names_an_edited_row(engine, clock, tmp_path):
    await _signed_log(engine, clock, tmp_path)
    async with engine.begin() as conn:
        leaf = await conn.execute(select(audit_entries.c.leaf).where(audit_entries.c.idx == 14))
        forged = bytes(leaf.scalar()).replace(b'"justification":"', b'"justification":"no ')
        await conn.execute(
            update(audit_entries).where(audit_entries.c.idx == 14).values(leaf=forged)
        )
    result = await verify_stored_log(engine, tmp_path)
    assert not result.ok
    assert result.summary.startswith("entry 14 does not match checkpoint 1"), result.summary


async def test_verify_names_a_deleted_row(engine, clock, tmp_path):
    await _signed_log(engine, clock, tmp_path)
    async with engine.begin() as conn:
        await conn.execute(delete(audit_entries).where(audit_entries.c.idx == 23))
    result = await verify_stored_log(engine, tmp_path)
    assert result.summary.startswith("entry 23 does not match checkpoint 2"), result.summary


async def test_verify_names_an_inserted_row(engine, clock, tmp_path):
    await _signed_log(engine, clock, tmp_path)
    # make room at index 5 (later rows renumbered, highest first) and insert a forged entry
    async with engine.begin() as conn:
        top = (await conn.execute(text("SELECT max(idx) FROM audit_entries"))).scalar()
        for idx in range(top, 4, -1):
            await conn.execute(
                update(audit_entries).where(audit_entries.c.idx == idx).values(idx=idx + 1)
            )
        row = (await conn.execute(select(audit_entries).where(audit_entries.c.idx == 4))).first()
        values = dict(row._mapping) | {"idx": 5}
        await conn.execute(audit_entries.insert().values(**values))
    result = await verify_stored_log(engine, tmp_path)
    assert result.summary.startswith("entry 5 does not match checkpoint 0"), result.summary


async def test_a_consistent_rewrite_still_fails_against_the_checkpoint_file(
    engine, clock, tmp_path
):
    await _signed_log(engine, clock, tmp_path)
    # rewrite entry 12 and recompute every hash and block root the database holds
    async with engine.begin() as conn:
        row = (await conn.execute(select(audit_entries).where(audit_entries.c.idx == 12))).first()
        entry = decode_leaf(bytes(row.leaf))
        forged = AuditEntry(**{**entry.__dict__, "justification": "nothing happened"})
        leaf = encode_leaf(forged)
        await conn.execute(
            update(audit_entries)
            .where(audit_entries.c.idx == 12)
            .values(leaf=leaf, leaf_hash=leaf_hash(leaf), justification="nothing happened")
        )
        await conn.execute(delete(audit_checkpoints))
    assert (await stored_root(engine, 35)) == merkle_tree_hash(await _leaves(engine))
    result = await verify_stored_log(engine, tmp_path)
    assert not result.ok
    assert result.summary.startswith("entry 10 does not match checkpoint 1"), result.summary
    assert "entries 10..19" in result.summary


async def test_a_forged_checkpoint_file_fails_its_signature(engine, clock, tmp_path):
    await _signed_log(engine, clock, tmp_path)
    path = tmp_path / CHECKPOINT_FILE
    content = path.read_text()
    root = content.split("\n")[2]
    fake = base64.b64encode(b"\x01" * 32).decode()
    path.write_text(content.replace(root, fake, 1))
    result = await verify_stored_log(engine, tmp_path)
    assert result.summary.startswith("checkpoint 0 fails its signature check"), result.summary


def _downgrade_to(revision: str):
    def run(sync_conn) -> None:
        from alembic import command

        from starlane.store.db import alembic_config

        cfg = alembic_config()
        cfg.attributes["connection"] = sync_conn
        command.downgrade(cfg, revision)

    return run


async def test_audit_revision_downgrades_and_upgrades_again(engine, clock):
    from sqlalchemy import inspect

    from starlane.store import database_revision, upgrade_database

    await _append(_uow(engine, clock), 2)
    async with engine.begin() as conn:
        await conn.run_sync(_downgrade_to("0003_security"))
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert "audit_entries" not in tables and "outbox" in tables
    assert await database_revision(engine) == "0003_security"
    await upgrade_database(engine)
    assert await database_revision(engine) == "0013_diplomacy"
    async with engine.connect() as conn:
        indexes = await conn.run_sync(lambda c: inspect(c).get_indexes("audit_entries"))
    # (PostgreSQL also lists the unique constraint on ``reverts`` as an index)
    assert sorted(i["column_names"] for i in indexes if i["column_names"] != ["reverts"]) == [
        ["action", "idx"],
        ["actor_id", "idx"],
        ["at"],
        ["target_kind", "target_id", "idx"],
    ]
    await _append(_uow(engine, clock), 1)
    assert await log_size(engine) == 1


async def test_two_factories_guessing_the_next_index_never_collide_or_leave_gaps(engine, clock):
    # two processes' unit-of-work factories, each with its own guess of the next index
    first, second = _uow(engine, clock), _uow(engine, clock)
    for i in range(6):
        await _append(first if i % 3 else second, 1)
    with pytest.raises(RuntimeError):
        async with first() as u:
            await u.audit.append(
                actor_id=1, actor_role="admin", action="x", target_kind="k", target_id="1"
            )
            raise RuntimeError("rolled back")
    await _append(second, 1)
    await _append(first, 2)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(audit_entries.c.idx, audit_entries.c.leaf))).all()
    assert sorted(r.idx for r in rows) == list(range(9))
    assert all(leaf_index(bytes(r.leaf)) == r.idx for r in rows)


async def test_stored_proofs_for_every_index_of_random_sizes(engine, clock):
    import random

    await _bulk(engine, clock, 530)
    leaves = await _leaves(engine)
    hashes = [leaf_hash(x) for x in leaves]
    rng = random.Random(3)
    for size in (1, 2, 257, 530, *rng.sample(range(3, 530), 3)):
        root = root_from_leaf_hashes(hashes[:size])
        indexes = range(size) if size <= 257 else sorted(rng.sample(range(size), 60))
        for index in indexes:
            proof = await stored_inclusion_proof(engine, index, size)
            assert verify_inclusion(index, size, hashes[index], proof, root), (index, size)
        for first in sorted({0, 1, size, *rng.sample(range(size + 1), min(size, 20))}):
            proof = await stored_consistency_proof(engine, first, size)
            first_root = root_from_leaf_hashes(hashes[:first])
            assert verify_consistency(first, size, first_root, root, proof), (first, size)
