"""The scouting screen (key ``o``) driven with Textual's pilot against a real in-process app:
it lists the region's reports, files one (score and reward shown) and shows a refusal."""

from __future__ import annotations

from pathlib import Path

import httpx
from textual.widgets import Input, Select, Static

from starlane.client.api import ApiError
from starlane.client.scouting import ScoutingDialog, refusal_text, reports_text
from starlane.client.tui import StarlaneApp
from tests.client.conftest import running_app, small_settings
from tests.client.test_tui import PASSWORD, plain, until


async def test_the_scouting_screen_files_a_report_and_shows_the_refusals(tmp_path: Path) -> None:
    settings = small_settings(tmp_path, scout_min_hours=0.0)  # eligible at once
    async with running_app(settings) as server:
        transport = httpx.ASGITransport(app=server)
        app = StarlaneApp("http://testserver", transport=transport, live=False)
        async with app.run_test(size=(80, 40)) as pilot:
            app.screen.query_one("#username", Input).value = "scout_1"
            app.screen.query_one("#password", Input).value = PASSWORD
            await pilot.click("#register-button")
            await until(pilot, lambda: app.me is not None and app.region is not None)
            credits = app.me["credits"]

            await pilot.press("o")
            await until(pilot, lambda: isinstance(app.screen, ScoutingDialog))
            dialog = app.screen
            listing = dialog.query_one("#scout-list", Static)
            await until(pilot, lambda: "no reports" in str(listing.render()))
            dialog.query_one("#scout-kind", Select).value = "politics"
            await pilot.click("#scout-file")
            note = dialog.query_one("#scout-note", Static)
            await until(pilot, lambda: "filed" in str(note.render()))
            assert "quality" in plain(str(note.render()))
            await until(pilot, lambda: "politics by scout_1" in plain(str(listing.render())))

            await pilot.pause(0.3)  # past the button's press animation
            await pilot.click("#scout-file")
            await until(pilot, lambda: "scouting_report_too_soon" in str(note.render()))
            assert "again in" in plain(str(note.render()))

            await pilot.press("escape")
            await until(pilot, lambda: len(app.screen_stack) == 1)
            await until(pilot, lambda: app.me is not None and app.me["credits"] > credits)


def test_scouting_text_helpers() -> None:
    assert "no reports" in plain(reports_text([]))
    line = plain(
        reports_text(
            [
                {
                    "id": 3,
                    "kind": "economy",
                    "author_name": "ann",
                    "age_seconds": 7_200,
                    "quality": 61,
                }
            ]
        )
    )
    assert line == "#3 economy by ann, 2.0 h ago: quality 61"
    body = {"context": {"scouted_hours": 1.5, "needed_hours": 2.0}}
    error = ApiError(409, "insufficient_scouting_hours", body=body)
    assert plain(refusal_text(error)) == "refused: insufficient_scouting_hours (1.5 of 2.0 hours)"
