"""``starlane audit verify`` and the audited ``starlane admin`` account verbs."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from starlane.audit.checkpointer import Checkpointer
from starlane.cli import app
from starlane.store.accounts_sql import SqlAccountStore
from starlane.store.audit import AuditFilter
from starlane.store.audit_reads import search_entries
from starlane.store.db import create_db_engine

runner = CliRunner()
SECRET = "a very long secret 42"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    monkeypatch.setenv("STARLANE_PASSWORD_HASH_TIME_COST", "1")
    monkeypatch.setenv("STARLANE_PASSWORD_HASH_MEMORY_KIB", "1024")
    data = tmp_path / "data"
    monkeypatch.setenv("STARLANE_DATA_DIR", str(data))
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    ok = runner.invoke(
        app, ["admin", "create-admin", "--db", url, "--username", "root", "--password", SECRET]
    )
    assert ok.exit_code == 0, ok.output
    asyncio.run(_add_account(url, "pilot"))
    return url, data


def _async_url(url: str) -> str:
    return url.replace("sqlite://", "sqlite+aiosqlite://")


async def _add_account(url: str, name: str) -> None:
    engine = create_db_engine(_async_url(url))
    try:
        await SqlAccountStore(engine).create(name, "x", now=1.0)
    finally:
        await engine.dispose()


async def _entries(url: str) -> list[tuple[int, str, str]]:
    engine = create_db_engine(_async_url(url))
    try:
        found = await search_entries(engine, AuditFilter(), limit=100)
    finally:
        await engine.dispose()
    return [(s.entry.index, s.entry.action, s.entry.justification) for s in reversed(found)]


async def _checkpoint(url: str, data: Path) -> None:
    engine = create_db_engine(_async_url(url))
    try:
        cp = Checkpointer(engine, data, "starlane.local/audit")
        cp.open()
        await cp.checkpoint()
    finally:
        await engine.dispose()


def _admin(url: str, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["admin", *args, "--db", url])


def test_account_verbs_are_audited_and_need_a_justification(env: tuple[str, Path]) -> None:
    url, _ = env
    refused = _admin(url, "disable", "pilot")
    assert refused.exit_code == 1 and "justification_required" in refused.output
    done = _admin(url, "disable", "pilot", "-j", "spam bot")
    assert done.exit_code == 0 and "audit entry 1" in done.output, done.output
    assert _admin(url, "enable", "pilot", "-j", "appeal accepted").exit_code == 0
    assert (
        _admin(url, "membership", "pilot", "--tier", "galactic_citizen", "-j", "gift").exit_code
        == 0
    )
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:  # the manual billing provider
        terms = db.execute(
            "SELECT a.membership, t.expires_at, t.grace_until, t.source FROM accounts a "
            "JOIN membership_terms t ON t.account_id = a.id WHERE a.username = 'pilot'"
        ).fetchall()
    assert terms == [("citizen", None, None, "manual")]
    pending = _admin(url, "roles", "pilot", "--grant", "admin", "--actor", "root", "-j", "new op")
    assert pending.exit_code == 0 and "pending: approval" in pending.output, pending.output
    approval_id = pending.output.split("approval ")[1].split()[0]
    selfie = _admin(url, "approve", approval_id, "--actor", "root", "-j", "ok")
    assert selfie.exit_code == 1 and "self_approval" in selfie.output
    assert _admin(url, "reject", approval_id, "--actor", "root", "-j", "withdrawn").exit_code == 0
    assert [a for _, a, _ in asyncio.run(_entries(url))] == [
        "account.create_admin",
        "account.disable",
        "account.enable",
        "membership.change",
        "approval.request",
        "approval.reject",
    ]


def test_verify_passes_then_names_each_tampered_row(env: tuple[str, Path]) -> None:
    url, data = env
    for i in range(12):
        assert (
            _admin(url, "disable" if i % 2 == 0 else "enable", "pilot", "-j", f"r{i}").exit_code
            == 0
        )
        if i in (4, 9):
            asyncio.run(_checkpoint(url, data))  # sizes 6 and 11
    args = ["audit", "verify", "--db", url, "--data-dir", str(data)]
    ok = runner.invoke(app, args)
    assert ok.exit_code == 0, ok.output
    assert "audit log intact: 13 entries match 2 signed checkpoints" in ok.output
    path = url.split(":///")[1]
    with sqlite3.connect(path) as conn:  # edit entry 3's leaf (its stored hash left alone)
        leaf = conn.execute("SELECT leaf FROM audit_entries WHERE idx = 3").fetchone()[0]
        conn.execute(
            "UPDATE audit_entries SET leaf = ? WHERE idx = 3", (leaf.replace(b'"r2"', b'"r9"'),)
        )
    bad = runner.invoke(app, args)
    assert bad.exit_code == 1 and "entry 3 does not match checkpoint 0" in bad.output, bad.output
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE audit_entries SET leaf = ? WHERE idx = 3", (leaf,))
        conn.execute("DELETE FROM audit_entries WHERE idx = 8")
    bad = runner.invoke(app, args)
    assert bad.exit_code == 1 and "entry 8 does not match checkpoint 1" in bad.output, bad.output


def test_verify_without_a_key_exits_2(env: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = env
    result = runner.invoke(app, ["audit", "verify", "--db", url, "--data-dir", str(tmp_path / "x")])
    assert result.exit_code == 2 and "audit-verifier.pub" in result.output.replace("\n", "")
