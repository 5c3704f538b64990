"""The TUI's jump (``j``) and discoveries (``y``) screens, driven with Textual's pilot."""

from __future__ import annotations

import math
from pathlib import Path

import httpx
from textual.widgets import Input, Static

from starlane.client.jumps import discoveries_text, jump_text, scan_text
from starlane.client.tui import StarlaneApp
from starlane.domain.model import TERRAN_REGION_ID, Ship
from tests.client.conftest import running_app, small_settings
from tests.client.test_tui import PASSWORD, pane_text, plain, until

ROOT_PASSWORD = "a very long secret"


def test_texts() -> None:
    line = plain(
        jump_text(
            {
                "distance": 7.25,
                "sector_id": 9,
                "region_id": 3,
                "fuel_burned": 15,
                "fuel_left": 5,
                "first_visit": True,
                "discovery_bonus": 1_000,
            }
        )
    )
    assert line == (
        "jumped 7.2 units to sector 9 (region 3), 15 fuel burned, 5 left - first visit! "
        "+1,000 credits: first visitor!"
    )
    assert "no sector discovered" in discoveries_text({"items": []})
    page = {"items": [{"sector_id": 4, "number": 4, "region_name": "Terran Space"}]}
    assert plain(discoveries_text(page)) == "sector 4 (#4 of Terran Space)"
    rows = {"items": [{"region_id": 3, "name": "Vega", "immigration": "open", "bonus": 1_000}]}
    assert plain(scan_text(rows)) == "region 3 Vega (open): 1,000 credits to its first visitor"
    assert scan_text({"items": []}) == "no new region to discover"


async def test_jump_and_discoveries_keys(tmp_path: Path) -> None:
    settings = small_settings(tmp_path, admin_username="root", admin_password=ROOT_PASSWORD)
    async with running_app(settings) as server:
        transport = httpx.ASGITransport(app=server)
        app = StarlaneApp("http://testserver", transport=transport, live=False)
        async with app.run_test(size=(120, 45)) as pilot:
            app.screen.query_one("#username", Input).value = "jumper_1"
            app.screen.query_one("#password", Input).value = PASSWORD
            await pilot.click("#register-button")
            await until(pilot, lambda: app.me is not None and app.sector is not None)
            galaxy = server.state.services.galaxy
            terran = galaxy.region_state(TERRAN_REGION_ID)
            sol = terran.sectors[1]
            to = next(
                s.id
                for s in terran.sectors.values()
                if 3 < math.dist((sol.x, sol.y, sol.z), (s.x, s.y, s.z)) <= 25
            )
            # a light freighter has no jump drive: the refusal shows
            await pilot.press("j")
            await until(pilot, lambda: app.screen.id == "jump-dialog")
            app.screen.query_one("#jump-to", Input).value = str(to)
            await pilot.click("#jump-go")
            await until(pilot, lambda: "not_a_jumper" in pane_text(app))
            # a Galactic Citizen in a Warp Jumper with fuel jumps
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as admin:
                r = await admin.post(
                    "/api/v1/auth/login", json={"username": "root", "password": ROOT_PASSWORD}
                )
                root = {"Authorization": f"Bearer {r.json()['access_token']}"}
                r = await admin.post(
                    f"/api/v1/admin/accounts/{app.me['id']}/membership",
                    json={"tier": "galactic_citizen", "justification": "tui test"},
                    headers=root,
                )
                assert r.status_code == 200, r.text
            player = galaxy.player(app.me["id"])
            player.ship = Ship.new("warp_jumper", "Leap")
            player.ship.cargo["fuel"] = 100
            await pilot.press("j")
            await until(pilot, lambda: app.screen.id == "jump-dialog")
            app.screen.query_one("#jump-to", Input).value = "zero"
            await pilot.click("#jump-go")
            await pilot.pause()
            note = str(app.screen.query_one("#jump-note", Static).render())
            assert "positive whole number" in note
            jump_to = app.screen.query_one("#jump-to", Input)
            jump_to.value = str(to)
            jump_to.focus()
            await pilot.press("enter")  # Enter jumps too
            await until(pilot, lambda: app.me["sector_id"] == to, 10)
            assert f"to sector {to} (region 1)" in pane_text(app)
            # the discoveries screen lists the sector
            await pilot.press("y")
            await until(pilot, lambda: app.screen.id == "discoveries-dialog")
            listed = app.screen.query_one("#discoveries-list", Static)
            await until(pilot, lambda: f"sector {to} " in str(listed.render()))
            scan = str(app.screen.query_one("#discovery-scan", Static).render())
            assert "no new region to discover" in scan  # this galaxy has no player region
            await pilot.press("escape")
            await until(pilot, lambda: app.screen.id != "discoveries-dialog")
