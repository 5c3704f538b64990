"""``starlane admin create-admin``: refuses weak passwords, creates an admin account."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from starlane.cli import app
from starlane.store.accounts_sql import SqlAccountStore as AccountStore
from starlane.store.db import create_db_engine

runner = CliRunner()


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("STARLANE_PASSWORD_HASH_TIME_COST", "1")
    monkeypatch.setenv("STARLANE_PASSWORD_HASH_MEMORY_KIB", "1024")
    return f"sqlite:///{tmp_path / 'admin.db'}"


async def _account(url: str, username: str):  # type: ignore[no-untyped-def]
    engine = create_db_engine(url.replace("sqlite://", "sqlite+aiosqlite://"))
    try:
        return await AccountStore(engine).get_by_username(username)
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short", "at least 10"), ("aaaaaaaaaaaa", "too easy"), ("operator01", "too easy")],
)
def test_weak_passwords_are_refused(db_url: str, password: str, reason: str) -> None:
    result = runner.invoke(
        app,
        [
            "admin",
            "create-admin",
            "--db",
            db_url,
            "--username",
            "operator01",
            "--password",
            password,
        ],
    )
    assert result.exit_code == 2
    assert "weak password" in result.output and reason in result.output
    assert not Path(db_url.split(":///")[1]).exists()


def test_missing_password_is_refused(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STARLANE_ADMIN_PASSWORD", raising=False)
    result = runner.invoke(app, ["admin", "create-admin", "--db", db_url, "--username", "op"])
    assert result.exit_code == 2


def test_bad_username_is_refused(db_url: str) -> None:
    result = runner.invoke(
        app, ["admin", "create-admin", "--db", db_url, "--username", "a b", "--password", "x" * 12]
    )
    assert result.exit_code == 2
    assert "username" in result.output


def test_creates_an_admin_from_the_environment_password(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STARLANE_ADMIN_PASSWORD", "correct horse battery")
    result = runner.invoke(app, ["admin", "create-admin", "--db", db_url, "--username", "root_op"])
    assert result.exit_code == 0, result.output
    assert "created" in result.output
    account = asyncio.run(_account(db_url, "root_op"))
    assert account is not None
    assert "admin" in account.roles and "player" in account.roles
    assert PasswordHasher().verify(account.password_hash, "correct horse battery")
    again = runner.invoke(app, ["admin", "create-admin", "--db", db_url, "--username", "root_op"])
    assert again.exit_code == 0
    assert "admin role granted" in again.output


async def test_the_created_admin_can_log_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    from starlane.client.api import StarlaneClient
    from tests.client.conftest import running_app, small_settings

    monkeypatch.setenv("STARLANE_PASSWORD_HASH_TIME_COST", "1")
    monkeypatch.setenv("STARLANE_PASSWORD_HASH_MEMORY_KIB", "1024")
    url = f"sqlite:///{tmp_path / 'starlane.db'}"
    result = await asyncio.to_thread(
        runner.invoke,
        app,
        [
            "admin",
            "create-admin",
            "--db",
            url,
            "--username",
            "ops_1",
            "--password",
            "a long passphrase",
        ],
    )
    assert result.exit_code == 0, result.output
    async with running_app(small_settings(tmp_path)) as server:
        transport = httpx.ASGITransport(app=server)
        async with StarlaneClient("http://test", transport=transport) as api:
            await api.login("ops_1", "a long passphrase")
            account = await api.request("GET", "/api/v1/auth/me")
            assert account["username"] == "ops_1" and "admin" in account["roles"]
