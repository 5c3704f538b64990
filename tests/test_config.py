"""Configuration: defaults, precedence (arguments > environment > TOML file) and URL handling."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from starlane.config import Settings, game_rules, load_settings, normalize_database_url
from starlane.domain.data import DEFAULT_RULES


def test_defaults_use_embedded_sqlite_under_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STARLANE_DATABASE_URL", raising=False)
    monkeypatch.setenv("STARLANE_DATA_DIR", "/tmp/starlane-x")
    s = load_settings()
    assert s.resolved_database_url() == "sqlite+aiosqlite:////tmp/starlane-x/starlane.db"
    assert s.port == 8000
    assert s.galaxy.nexus_sectors == 3000 and s.galaxy.player_regions == 2
    assert s.rate.login_per_minute == 5 and s.rate.commands_per_second == 10


def test_environment_overrides_toml_and_arguments_override_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = tmp_path / "starlane.toml"
    toml.write_text('port = 7000\nlog_level = "debug"\n[galaxy]\nseed = 42\n')
    monkeypatch.setitem(Settings.model_config, "toml_file", str(toml))
    assert load_settings().port == 7000
    assert load_settings().galaxy.seed == 42
    monkeypatch.setenv("STARLANE_PORT", "7100")
    monkeypatch.setenv("STARLANE_RATE__LOGIN_PER_MINUTE", "9")
    s = load_settings()
    assert s.port == 7100 and s.log_level == "debug" and s.rate.login_per_minute == 9
    assert load_settings(port=7200, database_url=None).port == 7200


def test_out_of_range_galaxy_size_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STARLANE_GALAXY__NEXUS_SECTORS", "1999")
    with pytest.raises(ValidationError, match="nexus_sectors"):
        load_settings()


@pytest.mark.parametrize("value", ["1023", str(64 * 1_048_576 + 1), "lots"])
def test_request_body_limit_is_bounded(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("STARLANE_MAX_REQUEST_BODY_BYTES", value)
    with pytest.raises(ValidationError, match="max_request_body_bytes"):
        load_settings()
    monkeypatch.setenv("STARLANE_MAX_REQUEST_BODY_BYTES", "4096")
    assert load_settings().max_request_body_bytes == 4096


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///a.db", "sqlite+aiosqlite:///a.db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_database_urls_get_the_async_driver(url: str, expected: str) -> None:
    assert normalize_database_url(url) == expected


def test_unsupported_database_url_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database URL"):
        normalize_database_url("mysql://root@localhost/x")


@pytest.mark.parametrize(
    ("database_url", "read_url", "expected"),
    [
        ("", "", "sqlite+aiosqlite:///{data}/starlane-read.db"),
        ("sqlite:////srv/game/world.db", "", "sqlite+aiosqlite:////srv/game/world-read.db"),
        ("sqlite:////srv/game/world", "", "sqlite+aiosqlite:////srv/game/world-read.db"),
        ("sqlite:///:memory:", "", "sqlite+aiosqlite:///:memory:"),
        ("postgresql://u@h/db", "", "postgresql+asyncpg://u@h/db"),
        ("postgresql://u@h/db", "sqlite:////tmp/r.db", "sqlite+aiosqlite:////tmp/r.db"),
    ],
)
def test_read_models_get_their_own_sqlite_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str, read_url: str, expected: str
) -> None:
    monkeypatch.delenv("STARLANE_READ_DATABASE_URL", raising=False)
    settings = Settings(data_dir=tmp_path, database_url=database_url, read_database_url=read_url)
    assert settings.resolved_read_database_url() == expected.format(data=tmp_path)


def test_projector_mode_is_checked() -> None:
    assert Settings().projector == "process"
    with pytest.raises(ValidationError):
        Settings(projector="sometimes")  # type: ignore[arg-type]


def test_rules_come_from_toml_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = tmp_path / "starlane.toml"
    toml.write_text("[rules]\nstart_turns = 5000\nsell_markup = 1.2\n")
    monkeypatch.setitem(Settings.model_config, "toml_file", str(toml))
    rules = load_settings().game_rules()
    assert (rules.start_turns, rules.sell_markup, rules.start_credits) == (5000, 1.2, 10_000)
    monkeypatch.setenv("STARLANE_RULES__TURNS_PER_DAY", "2500")  # a string, converted
    assert load_settings().game_rules().turns_per_day == 2500
    assert game_rules({}) is DEFAULT_RULES


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"start_turnz": 1}, "unknown rule\\(s\\) start_turnz; known: start_credits"),
        ({"start_turns": "many"}, "start_turns: Input should be a valid integer"),
        ({"start_turns": 2.5}, "start_turns"),
        ({"start_credits": -1}, "start_credits must be >= 0"),
        ({"turns_per_day": 0}, "turns_per_day must be >= 1"),
        ({"loot_fraction": 1.5}, "loot_fraction is a share and must be <= 1"),
        ({"min_price_multiplier": 2.0}, "min_price_multiplier must be <= max_price_multiplier"),
        ({"initial_fill": [0.5, 1.5]}, "initial_fill must be two fractions"),
        ({"port_capacity_range": [10, 5]}, "port_capacity_range must be"),
    ],
)
def test_unplayable_rules_are_refused_when_the_settings_load(
    rules: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(rules=rules)


def test_sqlite_checkpoint_placement_is_an_operator_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name, default = "sqlite_checkpoint_off_loop", True
    assert getattr(load_settings(), name) is default
    monkeypatch.setenv(f"STARLANE_{name.upper()}", str(not default).lower())
    assert getattr(load_settings(), name) is (not default)
    monkeypatch.setenv(f"STARLANE_{name.upper()}", "sometimes")
    with pytest.raises(ValidationError):
        load_settings()


@pytest.mark.parametrize("name", ["sqlite_commit_on_loop", "sqlite_sync_off_loop"])
def test_the_removed_sqlite_commit_settings_still_load_and_change_nothing(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    # commits on the loop's thread, synced in the statement: no options any more
    monkeypatch.setenv(f"STARLANE_{name.upper()}", "false")
    settings = load_settings()
    assert not hasattr(settings, name)
