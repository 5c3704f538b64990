"""The stored audit log: search, the audit write's cost to an admin action, ``audit verify``.

A generator writes ``--entries`` audit entries (default 1,000,000) straight into
``audit_entries`` and ``audit_nodes``, exactly the rows :meth:`SqlAuditRepository.append`
writes (canonical leaves, leaf hashes, 256-leaf block roots), in large batches; the
entries have 1,000 actors, 20 action names and 100,000 target accounts. Then, on each backend
(SQLite file; PostgreSQL when reachable, ``--no-postgres`` to skip):

- ``search``: ``search_entries`` newest-first pages of 50 filtered by actor, by action, by
  target (kind and id), 300 random queries each; p50 and p99 in ms (target: p99 < 10 ms);
- ``admin action``: a unit of work that disables (then enables) an account, without (the
  baseline) and with its audit entry, interleaved A B B A, mean ms per action; the
  difference is the audit write's cost (target: < 1 ms);
- ``verify``: a signed checkpoint of the whole log, then ``verify_stored_log`` (what
  ``starlane audit verify`` runs) over every entry; seconds (target: < 30 s at 1,000,000),
  with the raw SHA-256 of the same leaves as the baseline.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/bench_audit_store.py [--entries N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from starlane.audit.checkpointer import Checkpointer
from starlane.audit.leaf import AuditEntry, canonical_json, encode_leaf
from starlane.audit.merkle import leaf_hash, perfect_subtree_root
from starlane.audit.stored_verify import verify_stored_log
from starlane.store.audit import AuditFilter
from starlane.store.audit_reads import search_entries
from starlane.store.db import create_db_engine, upgrade_database
from starlane.store.schema import audit_entries, audit_nodes
from starlane.store.uow import UnitOfWorkFactory

ACTIONS = [f"action.{i:02d}" for i in range(20)]
ACTORS = 1_000
TARGETS = 100_000
BATCH = 4_096
START = 1_780_000_000.0


def _rows(start: int, end: int, rng: random.Random) -> tuple[list[dict[str, object]], list[bytes]]:
    rows, hashes = [], []
    for i in range(start, end):
        at = START + i * 0.5
        entry = AuditEntry(
            index=i,
            time=datetime.fromtimestamp(at, UTC),
            actor_id=rng.randrange(1, ACTORS + 1),
            actor_role="admin",
            action=ACTIONS[rng.randrange(len(ACTIONS))],
            target_kind="account",
            target_id=str(rng.randrange(1, TARGETS + 1)),
            before={"credits": i},
            after={"credits": i + 100},
            justification=f"ticket {i}: refund after a gate failure",
            client_address="203.0.113.9",
            user_agent="bench/1",
            request_id=f"req-{i}",
        )
        leaf = encode_leaf(entry)
        h = leaf_hash(leaf)
        hashes.append(h)
        rows.append(
            {
                "idx": i,
                "at": at,
                "actor_id": entry.actor_id,
                "actor_role": entry.actor_role,
                "action": entry.action,
                "target_kind": entry.target_kind,
                "target_id": entry.target_id,
                "before": canonical_json(entry.before).decode(),
                "after": canonical_json(entry.after).decode(),
                "justification": entry.justification,
                "client_address": entry.client_address,
                "user_agent": entry.user_agent,
                "request_id": entry.request_id,
                "reverts": None,
                "leaf": leaf,
                "leaf_hash": h,
            }
        )
    return rows, hashes


async def generate(engine: AsyncEngine, n: int, seed: int = 7) -> tuple[float, list[bytes]]:
    """Write ``n`` entries and their block roots; returns seconds and the leaves' hashes."""
    rng = random.Random(seed)
    t0 = time.perf_counter()
    all_hashes: list[bytes] = []
    step = BATCH * 4  # a multiple of 256, so blocks never straddle batches
    for start in range(0, n, step):
        rows, hashes = _rows(start, min(n, start + step), rng)
        all_hashes += hashes
        blocks = [
            {"block": (start + k) // 256, "root": perfect_subtree_root(hashes[k : k + 256])}
            for k in range(0, len(hashes) - 255, 256)
        ]
        async with engine.begin() as conn:
            for k in range(0, len(rows), BATCH):
                await conn.execute(insert(audit_entries), rows[k : k + BATCH])
            if blocks:
                await conn.execute(insert(audit_nodes), blocks)
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE audit_entries"))
            await conn.commit()
    return time.perf_counter() - t0, all_hashes


def _pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))]


async def bench_search(engine: AsyncEngine, queries: int = 300) -> dict[str, tuple[float, float]]:
    rng = random.Random(11)
    kinds = {
        "actor": lambda: AuditFilter(actor_id=rng.randrange(1, ACTORS + 1)),
        "action": lambda: AuditFilter(action=ACTIONS[rng.randrange(len(ACTIONS))]),
        "target": lambda: AuditFilter(
            target_kind="account", target_id=str(rng.randrange(1, TARGETS + 1))
        ),
    }
    out = {}
    for name, make in kinds.items():
        for _ in range(20):  # warm the cache and the connection pool
            await search_entries(engine, make(), limit=50)
        samples = []
        for _ in range(queries):
            f = make()
            t = time.perf_counter()
            await search_entries(engine, f, limit=50)
            samples.append((time.perf_counter() - t) * 1000)
        out[name] = (_pct(samples, 0.5), _pct(samples, 0.99))
    return out


async def bench_admin_action(
    engine: AsyncEngine, rounds: int = 4, per: int = 150
) -> tuple[float, float]:
    """Mean ms per disable/enable unit of work: without and with the audit entry (ABBA)."""
    uow = UnitOfWorkFactory(engine)
    async with uow() as u:
        account = await u.accounts.get_by_username("bench-target")
        if account is None:
            account = await u.accounts.create("bench-target", "x", now=time.time())
    flip = [False]

    async def action(with_audit: bool) -> None:
        flip[0] = not flip[0]
        async with uow() as u:
            before = await u.accounts.get(account.id, for_update=True)
            assert before is not None
            await u.accounts.set_disabled(account.id, flip[0])
            if with_audit:
                await u.audit.append(
                    actor_id=1,
                    actor_role="admin",
                    action="account.disable",
                    target_kind="account",
                    target_id=str(account.id),
                    before={"disabled": before.disabled},
                    after={"disabled": flip[0]},
                    justification="bench",
                    client_address="127.0.0.1",
                    user_agent="bench/1",
                    request_id="r",
                )

    async def run(with_audit: bool) -> float:
        t = time.perf_counter()
        for _ in range(per):
            await action(with_audit)
        return (time.perf_counter() - t) * 1000 / per

    for _ in range(20):
        await action(False)
    base: list[float] = []
    audited: list[float] = []
    for _ in range(rounds):
        base.append(await run(False))
        audited.append(await run(True))
        audited.append(await run(True))
        base.append(await run(False))
    return statistics.median(base), statistics.median(audited)


async def bench_verify(
    engine: AsyncEngine, data_dir: Path, hashes_count: int, leaves_sample: int
) -> tuple[float, float, bool]:
    cp = Checkpointer(engine, data_dir, "bench.example/audit")
    cp.open()
    await cp.checkpoint()
    async with engine.connect() as conn:
        leaves = [
            bytes(x)
            for x in (
                await conn.execute(
                    text("SELECT leaf FROM audit_entries ORDER BY idx LIMIT :n"),
                    {"n": leaves_sample},
                )
            ).scalars()
        ]
    t = time.perf_counter()
    for leaf in leaves:
        hashlib.sha256(leaf).digest()
    baseline = (time.perf_counter() - t) * hashes_count / max(1, len(leaves))
    t = time.perf_counter()
    result = await verify_stored_log(engine, data_dir)
    return time.perf_counter() - t, baseline, result.ok


async def one_backend(name: str, url: str, n: int, data_dir: Path) -> None:
    engine = create_db_engine(url)
    try:
        await upgrade_database(engine)
        seconds, hashes = await generate(engine, n)
        print(f"[{name}] generated {n:,} entries in {seconds:.1f} s")
        for kind, (p50, p99) in (await bench_search(engine)).items():
            flag = "ok" if p99 < 10 else "OVER"
            print(f"[{name}] search by {kind:<6}: p50 {p50:.2f} ms, p99 {p99:.2f} ms ({flag})")
        base, audited = await bench_admin_action(engine)
        print(
            f"[{name}] admin action: {base:.3f} ms without audit, {audited:.3f} ms with;"
            f" audit write adds {audited - base:.3f} ms"
        )
        secs, baseline, ok = await bench_verify(engine, data_dir, len(hashes), 50_000)
        print(
            f"[{name}] audit verify over {n:,} entries: {secs:.1f} s (intact: {ok});"
            f" baseline SHA-256 of the leaves {baseline:.2f} s, ratio {secs / baseline:.1f}"
        )
    finally:
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        await one_backend(
            "sqlite", f"sqlite+aiosqlite:///{root / 'bench.db'}", args.entries, root / "sqlite"
        )
        if not args.no_postgres:
            admin_url = args.postgres_url.replace("postgresql://", "postgresql+asyncpg://")
            db = f"bench_audit_{int(time.time())}"
            admin = create_db_engine(admin_url)
            try:
                async with admin.connect() as conn:
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                    await conn.execute(text(f'CREATE DATABASE "{db}"'))
            except Exception as exc:  # no server: say so and stop
                print(f"[postgres] skipped: {exc}")
                await admin.dispose()
                return
            try:
                url = admin_url.rsplit("/", 1)[0] + "/" + db
                await one_backend("postgres", url, args.entries, root / "postgres")
            finally:
                async with admin.connect() as conn:
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                    await conn.execute(text(f'DROP DATABASE IF EXISTS "{db}"'))
                await admin.dispose()


if __name__ == "__main__":
    asyncio.run(main())
