"""STARLANE_JUMP_COOLDOWN_SECONDS and the jump rules reach the game's rule numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from starlane.config import load_settings


def test_jump_cooldown_setting_and_rules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no starlane.toml here
    assert load_settings().game_rules().jump_cooldown_seconds == 3_600
    monkeypatch.setenv("STARLANE_JUMP_COOLDOWN_SECONDS", "60")
    monkeypatch.setenv("STARLANE_RULES__JUMP_RANGE", "40")
    rules = load_settings().game_rules()
    assert (rules.jump_cooldown_seconds, rules.jump_range) == (60, 40.0)
    monkeypatch.setenv("STARLANE_RULES__JUMP_COOLDOWN_SECONDS", "120")  # the rule wins
    assert load_settings().game_rules().jump_cooldown_seconds == 120
    monkeypatch.setenv("STARLANE_JUMP_COOLDOWN_SECONDS", "-1")
    with pytest.raises(ValueError, match="jump_cooldown_seconds"):
        load_settings()
