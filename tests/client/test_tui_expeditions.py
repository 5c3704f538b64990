"""The expedition screen (key ``e``), driven with Textual's pilot against a real server."""

from __future__ import annotations

from pathlib import Path

import httpx
from textual.widgets import Input, Static

from starlane.client.expeditions import ExpeditionDialog, expedition_text, parse_waypoints
from starlane.client.tui import StarlaneApp
from starlane.domain.routes import plan_route
from tests.client.conftest import running_app, small_settings
from tests.client.test_tui import PASSWORD, pane_text, plain, until


def test_waypoints_parse() -> None:
    assert parse_waypoints("12, 40 77") == [12, 40, 77]
    assert parse_waypoints("  ") == []
    try:
        parse_waypoints("12, x")
    except ValueError:
        return
    raise AssertionError("x parsed")


async def _press(pilot, button: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause(0.3)  # a button ignores clicks during its press animation
    await pilot.click(button)


async def test_plan_save_and_fly_an_expedition(tmp_path: Path) -> None:
    async with running_app(small_settings(tmp_path)) as server:
        transport = httpx.ASGITransport(app=server)
        app = StarlaneApp("http://testserver", transport=transport, live=False)
        async with app.run_test(size=(80, 40)) as pilot:
            app.screen.query_one("#username", Input).value = "trader_1"
            app.screen.query_one("#password", Input).value = PASSWORD
            await pilot.click("#register-button")
            await until(pilot, lambda: app.me is not None)
            state = server.state.services.galaxy.region_state(app.me["region_id"])
            start = app.me["sector_id"]
            near = sorted(
                (plan_route(state, start, p, 1).turns, p) for p in state.ports if p != start
            )
            waypoints = [near[0][1], near[1][1]]

            await pilot.press("e")
            await until(pilot, lambda: isinstance(app.screen, ExpeditionDialog))
            dialog = app.screen
            assert dialog.query_one(".dialog").region.right <= 80
            note = dialog.query_one("#exp-note", Static)
            text = dialog.query_one("#exp-plan-text", Static)
            dialog.query_one("#exp-waypoints", Input).value = str(waypoints[0])
            await _press(pilot, "#exp-plan")
            await until(pilot, lambda: "too_few_waypoints" in str(note.render()))
            dialog.query_one("#exp-waypoints", Input).value = f"{waypoints[0]}, {waypoints[1]}"
            await _press(pilot, "#exp-plan")
            await until(pilot, lambda: "projected profit" in str(text.render()))
            await _press(pilot, "#exp-fly")
            await until(pilot, lambda: "save a plan first" in str(note.render()))
            await _press(pilot, "#exp-save")
            await until(pilot, lambda: "saved as #" in str(note.render()))
            for n in (1, 2):
                await _press(pilot, "#exp-fly")
                await until(pilot, lambda n=n: f"leg {n} flown" in str(note.render()))
            assert "actual:" in plain(str(text.render())) and "finished" in str(text.render())
            await _press(pilot, "#exp-fly")
            await until(pilot, lambda: "expedition_finished" in str(note.render()))
            await _press(pilot, "#exp-close")
            await until(pilot, lambda: len(app.screen_stack) == 1)
            assert "2/2 legs flown" in pane_text(app)
            # the main screen refreshes after the dialog closed (asynchronously): wait for it,
            # then the status shows the last waypoint
            await until(pilot, lambda: app.me["sector_id"] in waypoints)


def test_expedition_text_shows_the_totals_and_every_leg() -> None:
    leg = {
        "leg": 0,
        "sector_id": 5,
        "region_id": 1,
        "risk": {"level": "low"},
        "projected": {"turns": 4, "tolls": 0, "trades": []},
        "actual": None,
    }
    doc = {
        "order": [5],
        "exact": False,
        "projected_profit": 10,
        "projected_turns": 4,
        "real_duration_seconds": 7200,
        "risk": {
            "level": "high",
            "max_piracy": 4,
            "tolls": 0,
            "closed_regions": [3],
            "hostile_regions": [],
        },
        "legs": [leg],
    }
    text = plain(expedition_text(doc))
    assert "(heuristic)" in text and "wait 2.0 h" in text and "closed [3]" in text
    assert "1. sector 5 (region 1): 4 turns" in text
