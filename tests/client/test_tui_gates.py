"""The gates screen (key ``w``), driven with Textual's pilot in 80 columns against a real
in-process server: build from the current sector, see the construction's time left, a refusal
shown in the dialog, and Escape back to the main screen."""

from __future__ import annotations

from collections import deque
from pathlib import Path

import httpx
from textual.widgets import Input, Static

from starlane.client.gates import GatesDialog, duration_text, gate_line, gates_text
from starlane.client.tui import StarlaneApp
from starlane.domain.data import Membership
from tests.client.conftest import running_app, small_settings
from tests.client.test_tui import PASSWORD, pane_text, plain, until


def test_gate_text_helpers() -> None:
    assert [duration_text(s) for s in (5, 185, 3_725)] == ["5s", "3m05s", "1h02m"]
    site = {
        "id": 1000001, "owner_id": 7, "state": "site", "from_sector_id": 3, "to_sector_id": 40,
        "toll": 1500, "missing": {"equipment": 1200, "ore": 0}, "seconds_left": None,
    }  # fmt: skip
    assert (
        plain(gate_line(site, 7)) == "#1000001* site      3->40 toll 1,500  needs 1,200 equipment"
    )
    building = {**site, "state": "building", "missing": {}, "seconds_left": 90.0}
    assert plain(gate_line(building, 8)).endswith("opens in 1m30s")
    assert "no player-built gates" in gates_text({"items": []})


def _far_from_sol(server: object) -> int:
    state = server.state.services.galaxy.region_state(1)  # type: ignore[attr-defined]
    dist = {1: 0}
    frontier = deque([1])
    while frontier:
        here = frontier.popleft()
        for nxt in state.sectors[here].warps:
            if nxt in state.sectors and nxt not in dist:
                dist[nxt] = dist[here] + 1
                frontier.append(nxt)
    return min(s for s, d in dist.items() if d >= 10)


async def test_the_gates_screen_builds_lists_and_shows_refusals(tmp_path: Path) -> None:
    rules = {"gate_credits": 1_000, "gate_equipment": 0, "gate_ore": 0}
    settings = small_settings(tmp_path, rules=rules, gate_build_seconds=3_600)
    async with running_app(settings) as server:
        app = StarlaneApp(
            "http://testserver", transport=httpx.ASGITransport(app=server), live=False
        )
        async with app.run_test(size=(80, 40)) as pilot:
            app.screen.query_one("#username", Input).value = "builder_1"
            app.screen.query_one("#password", Input).value = PASSWORD
            await pilot.click("#register-button")
            await until(pilot, lambda: app.me is not None)
            assert app.me is not None
            player = server.state.services.galaxy.region_state(1).players[app.me["id"]]
            player.membership = Membership.CITIZEN  # as an operator's grant would
            await pilot.press("w")
            await until(pilot, lambda: isinstance(app.screen, GatesDialog))
            dialog = app.screen
            assert dialog.query_one(".dialog").region.right <= 80  # fits 80 columns
            listing = dialog.query_one("#gates-list", Static)
            note = dialog.query_one("#gate-note", Static)
            await until(pilot, lambda: "no player-built gates" in str(listing.render()))
            # a destination too close: the server's refusal, in the dialog
            near = server.state.services.galaxy.region_state(1).sectors[1].warps[0]
            dialog.query_one("#gate-to", Input).value = str(near)
            await pilot.click("#gate-build")
            await until(pilot, lambda: "endpoints_too_close" in str(note.render()))
            far = _far_from_sol(server)
            dialog.query_one("#gate-to", Input).value = str(far)
            dialog.query_one("#gate-toll", Input).value = "25"
            await pilot.pause(0.3)
            await pilot.click("#gate-build")
            await until(pilot, lambda: "site opened" in str(note.render()))
            text = plain(str(listing.render()))
            assert f"1->{far} toll 25" in text and "opens in 1h00m" in text
            # closing a gate under construction is refused
            dialog.query_one("#gate-id", Input).value = "1000001"
            await pilot.pause(0.3)
            await pilot.click("#gate-close")
            await until(pilot, lambda: "gate_state" in str(note.render()))
            await pilot.press("escape")
            await until(pilot, lambda: len(app.screen_stack) == 1)
            await until(pilot, lambda: "gates updated" in pane_text(app))
