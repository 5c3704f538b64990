"""``starlane admin region ...`` against a live app (in-process, over its HTTP interface)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from starlane.cli import admin_regions, app
from tests.api.conftest import PASSWORD
from tests.api.test_admin_regions import ROOT_PASSWORD, R, _app, data_dir, region_template

__all__ = ["data_dir", "region_template"]  # fixtures used here

runner = CliRunner()


@pytest.fixture
def server(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    application = _app(data_dir)
    with TestClient(application) as client:
        monkeypatch.setattr(client, "close", lambda: None)
        monkeypatch.setattr(admin_regions, "make_client", lambda url: client)
        r = client.post("/api/v1/auth/register", json={"username": "second", "password": PASSWORD})
        second = r.json()["account"]["id"]
        client.portal.call(  # type: ignore[union-attr]
            application.state.services.accounts.set_roles, second, ("player", "admin")
        )
        yield client


def cli(*args: str, user: str = "root", password: str = ROOT_PASSWORD):
    return runner.invoke(
        app,
        ["admin", "region", *args, "--server", "http://testserver"],
        env={
            "STARLANE_ADMIN_USERNAME": user,
            "STARLANE_ADMIN_PASSWORD": password,
            "COLUMNS": "200",
        },
    )


def test_list_suspend_resume_and_refusals(server: TestClient) -> None:
    result = cli("list")
    assert result.exit_code == 0, result.output
    assert "Central Nexus" in result.output or "nexus" in result.output
    result = cli("suspend", str(R), "-j", "abuse report")
    assert result.exit_code == 0, result.output
    assert "done: audit entry" in result.output and "suspended" in result.output
    result = cli("suspend", str(R), "-j", "again")
    assert result.exit_code == 1 and "already_suspended" in result.output
    result = cli("resume", str(R), "-j", "")
    assert result.exit_code == 1 and "justification_required" in result.output
    assert cli("resume", str(R), "-j", "resolved").exit_code == 0
    result = cli("list", password="wrong password")
    assert result.exit_code == 1 and "login refused" in result.output
    result = cli("close", "1", "-j", "no")
    assert result.exit_code == 1 and "platform_region" in result.output


def test_close_is_pending_until_a_second_admin_approves(server: TestClient) -> None:
    result = cli("close", str(R), "-j", "owner request")
    assert result.exit_code == 0, result.output
    assert "pending: request" in result.output
    approval = result.output.split("request ")[1].split()[0]
    result = cli("approve", approval, "-j", "agreed")  # not by the requester
    assert result.exit_code == 1 and "self_approval" in result.output
    result = cli("approve", approval, "-j", "agreed", user="second", password=PASSWORD)
    assert result.exit_code == 0, result.output
    assert "closing" in result.output
    galaxy = server.app.state.services.galaxy  # type: ignore[attr-defined]
    server.portal.call(galaxy.closures.wait, R)  # type: ignore[union-attr]
    result = cli("list")
    assert "closed" in result.output


def test_help_explains_the_server_and_credentials() -> None:
    result = runner.invoke(app, ["admin", "region", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--server" in result.output and "STARLANE_ADMIN_PASSWORD" in result.output
