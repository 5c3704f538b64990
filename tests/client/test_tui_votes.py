"""The votes screen (key ``v``), driven with Textual's pilot in 80 columns against a real
in-process server: propose a tax rate (refused out of bounds, then accepted), vote, close."""

from __future__ import annotations

from pathlib import Path

import httpx
from textual.widgets import Input, Static

from starlane.client.tui import StarlaneApp
from starlane.client.votes import VotesDialog, proposal_line, what_it_asks
from tests.client.conftest import running_app, small_settings
from tests.client.test_tui import PASSWORD, plain, until


def test_proposal_lines() -> None:
    policy = {
        "id": 3,
        "kind": "policy",
        "changes": {"tax_rate": 0.2},
        "state": "open",
        "closes_at": 7200.0,
        "tally": {"yes": 2, "no": 1, "citizens": 10, "quorum_needed": 2},
        "my_vote": "yes",
    }
    line = plain(proposal_line(policy, now=0.0))
    assert line == "#3 tax_rate=0.2 open yes 2 / no 1 (quorum 2 of 10) you: yes, closes in 2.0 h"
    recall = {"id": 4, "kind": "recall", "state": "passed", "tally": {}}
    assert what_it_asks(recall) == "recall the governor"
    assert (
        plain(proposal_line(recall)) == "#4 recall the governor passed yes 0 / no 0 (quorum 0 of 0)"
    )


async def _press(pilot, button: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause(0.3)  # past the previous press's animation
    await pilot.click(button)


async def test_the_votes_screen(tmp_path: Path) -> None:
    async with running_app(small_settings(tmp_path, vote_min_citizen_days=0)) as server:
        app = StarlaneApp(
            "http://testserver", transport=httpx.ASGITransport(app=server), live=False
        )
        async with app.run_test(size=(80, 40)) as pilot:
            app.screen.query_one("#username", Input).value = "voter_1"
            app.screen.query_one("#password", Input).value = PASSWORD
            await pilot.click("#register-button")
            await until(pilot, lambda: app.me is not None and app.region is not None)
            region = server.state.services.galaxy.region_state(app.me["region_id"]).region
            region.citizens.append(app.me["id"])  # a citizen of the region they are in

            await pilot.press("v")
            await until(pilot, lambda: isinstance(app.screen, VotesDialog))
            dialog = app.screen
            assert dialog.query_one(".dialog").region.right <= 80  # fits 80 columns
            listing = dialog.query_one("#votes-list", Static)
            note = dialog.query_one("#votes-note", Static)
            await until(pilot, lambda: "no proposals yet" in str(listing.render()))

            dialog.query_one("#votes-tax", Input).value = "0.5"
            await _press(pilot, "#votes-propose")
            await until(pilot, lambda: "policy_out_of_bounds" in str(note.render()))
            dialog.query_one("#votes-tax", Input).value = "0.2"
            await _press(pilot, "#votes-propose")
            await until(pilot, lambda: "tax_rate=0.2" in str(listing.render()))
            proposal_id = dialog.proposals[0]["id"]

            dialog.query_one("#votes-id", Input).value = str(proposal_id)
            await _press(pilot, "#votes-yes")
            await until(pilot, lambda: "you: yes" in str(listing.render()))
            assert "yes 1 / no 0" in plain(str(listing.render()))

            await pilot.press("escape")
            await until(pilot, lambda: len(app.screen_stack) == 1)
