"""Settings from CLI flags: overrides on top of the environment, redacted URLs."""

from __future__ import annotations

import pytest
import typer

from starlane.cli.common import settings_from_flags
from starlane.cli.db import redact_url


def test_flags_override_galaxy_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STARLANE_GALAXY__REGION_SECTORS", "100")
    settings = settings_from_flags(seed=7, regions=1, nexus_sectors=2000)
    assert settings.galaxy.seed == 7
    assert settings.galaxy.player_regions == 1
    assert settings.galaxy.nexus_sectors == 2000
    assert settings.galaxy.region_sectors == 100


def test_out_of_range_flag_exits_with_status_2() -> None:
    with pytest.raises(typer.Exit) as info:
        settings_from_flags(nexus_sectors=1)
    assert info.value.exit_code == 2


def test_db_flag_sets_the_database_url() -> None:
    settings = settings_from_flags(db="sqlite:///tmp/x.db")
    assert settings.resolved_database_url() == "sqlite+aiosqlite:///tmp/x.db"


def test_redact_url_hides_the_password() -> None:
    assert redact_url("postgresql+asyncpg://u:secret@h/db") == "postgresql+asyncpg://u:***@h/db"
    assert redact_url("sqlite+aiosqlite:///data/s.db") == "sqlite+aiosqlite:///data/s.db"


def test_db_upgrade_creates_the_read_model_file_too(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from starlane.cli import app

    result = CliRunner().invoke(app, ["db", "upgrade", "--db", f"sqlite:///{tmp_path / 'w.db'}"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "w.db").exists() and (tmp_path / "w-read.db").exists()
    assert result.output.count("latest schema revision") == 2
