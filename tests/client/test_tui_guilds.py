"""The guild screen (key ``l``), driven with Textual's pilot against a real in-process server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from textual.widgets import Input, Static

from starlane.client.guilds import GuildDialog, guild_text
from starlane.client.tui import StarlaneApp
from tests.client.conftest import running_app, small_settings
from tests.client.test_tui import PASSWORD, plain, until


def test_guild_text() -> None:
    assert "no guild" in plain(guild_text({"guild": None, "invitations": []}, [], []))
    invited = {"guild": None, "invitations": [{"guild_id": 7, "kind": "invite"}]}
    assert "invited by guild #7" in plain(guild_text(invited, [], []))
    mine = {
        "guild": {
            "id": 3,
            "name": "Iron [b]",
            "tag": "IRON",
            "my_role": "leader",
            "treasury": 1500,
            "member_count": 1,
        },
        "invitations": [],
    }
    text = plain(
        guild_text(
            mine, [{"player_id": 1, "role": "leader"}], [{"player_id": 2, "kind": "request"}]
        )
    )
    assert "Iron [b] [IRON] #3 - you are leader" in text
    assert "treasury 1,500 credits" in text and "player #2 request" in text


async def press(pilot: Any, button: str) -> None:
    await pilot.pause(0.3)  # Textual ignores a click during a button's press animation
    await pilot.click(f"#guild-{button}")


async def test_create_a_guild_and_deposit_from_the_guild_screen(tmp_path: Path) -> None:
    async with running_app(small_settings(tmp_path)) as server:
        app = StarlaneApp(
            "http://testserver", transport=httpx.ASGITransport(app=server), live=False
        )
        async with app.run_test(size=(80, 50)) as pilot:
            app.screen.query_one("#username", Input).value = "guildmaster"
            app.screen.query_one("#password", Input).value = PASSWORD
            await pilot.click("#register-button")
            await until(pilot, lambda: app.me is not None)
            credits = int(app.me["credits"]) if app.me else 0
            await pilot.press("l")
            await until(pilot, lambda: isinstance(app.screen, GuildDialog))
            dialog = app.screen
            assert isinstance(dialog, GuildDialog)
            info = dialog.query_one("#guild-info", Static)
            await until(pilot, lambda: "no guild" in str(info.render()))
            dialog.query_one("#guild-name", Input).value = "Pilot Guild"
            dialog.query_one("#guild-tag", Input).value = "PLT"
            await press(pilot, "create")
            await until(pilot, lambda: "you are leader" in str(info.render()))
            dialog.query_one("#guild-amount", Input).value = "250"
            await press(pilot, "deposit")
            await until(pilot, lambda: "treasury 250 credits" in plain(str(info.render())))
            note = dialog.query_one("#guild-note", Static)
            assert "deposit: done" in str(note.render())
            dialog.query_one("#guild-amount", Input).value = str(credits * 10)
            await press(pilot, "deposit")
            await until(pilot, lambda: "insufficient_credits" in str(note.render()))
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, GuildDialog))
