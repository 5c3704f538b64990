"""The terminal client, driven headless with Textual's pilot against a real server.

The server runs in the test's event loop (uvicorn on a local port), so the client's REST
calls and its WebSocket event feed are the real ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

from rich.text import Text
from textual.widgets import Button, Input, RichLog, Select, Static

from starlane.client.api import StarlaneClient
from starlane.client.render import Names, event_text, map_text, sector_text, status_text
from starlane.client.tui import StarlaneApp
from tests.client.conftest import served_app, small_settings

PASSWORD = "a long password"


async def until(pilot, condition: Callable[[], bool], seconds: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached")


def pane_text(app: StarlaneApp) -> str:
    log = app.query_one("#events", RichLog)
    return "\n".join(line.text for line in log.lines)


def plain(markup: str) -> str:
    return Text.from_markup(markup).plain


def panel(app: StarlaneApp, widget_id: str) -> str:
    return str(app.query_one(widget_id, Static).render())


async def test_log_in_see_sector_move_trade_and_watch_events(tmp_path: Path) -> None:
    async with served_app(small_settings(tmp_path)) as base:
        app = StarlaneApp(base, live=True)
        async with app.run_test(size=(180, 50)) as pilot:
            app.screen.query_one("#username", Input).value = "pilot_1"
            app.screen.query_one("#password", Input).value = PASSWORD
            await pilot.click("#register-button")
            await until(pilot, lambda: app.me is not None and app.sector is not None)
            assert app.me["name"] == "pilot_1"
            assert "Sector 1" in panel(app, "#sector") and "Sol" in panel(app, "#sector")
            assert "credits" in panel(app, "#status") and "10,000" in panel(app, "#status")
            assert "fuel" in panel(app, "#sector")  # the port's prices

            # move by choosing a warp
            first = app.sector["warps"][0]["to_sector_id"]
            await pilot.click(f"#warp-{first}")
            await until(pilot, lambda: app.me["sector_id"] == first)
            assert f"Sector {first}" in panel(app, "#sector")
            port = app.sector.get("port")
            where = port["name"] if port else f"sector {first}"  # named by its port
            assert f"moved to {where} (" in pane_text(app)

            # autopilot back to Sol
            await pilot.press("a")
            await until(
                pilot, lambda: isinstance(app.screen.id, str) and "autopilot" in app.screen.id
            )
            app.screen.query_one("#autopilot-to", Input).value = "1"
            await pilot.click("#autopilot-plan-button")
            await pilot.pause(0.2)
            await pilot.click("#autopilot-go")
            await until(pilot, lambda: app.me["sector_id"] == 1)

            # trade: quote fills the price limit, then buy
            await pilot.press("t")
            await until(pilot, lambda: app.screen.id == "trade-dialog")
            app.screen.query_one("#trade-commodity", Select).value = "buy:fuel"
            await until(pilot, lambda: bool(app.screen.query_one("#trade-quantity", Input).value))
            app.screen.query_one("#trade-quantity", Input).value = "5"
            await pilot.click("#trade-quote-button")
            await until(pilot, lambda: bool(app.screen.query_one("#trade-limit", Input).value))
            await pilot.click("#trade-go")
            await until(pilot, lambda: app.me["ship"]["cargo"].get("fuel") == 5)
            assert "bought 5 fuel" in pane_text(app)

            # a refused trade (price limit below the price) is shown in the dialog, which stays
            # open; nothing changes
            await pilot.press("t")
            await until(pilot, lambda: app.screen.id == "trade-dialog")
            app.screen.query_one("#trade-commodity", Select).value = "buy:fuel"
            await until(pilot, lambda: bool(app.screen.query_one("#trade-quantity", Input).value))
            app.screen.query_one("#trade-quantity", Input).value = "5"
            app.screen.query_one("#trade-limit", Input).value = "1"
            await pilot.click("#trade-go")
            await until(
                pilot,
                lambda: "price_moved" in str(app.screen.query_one("#trade-quote", Static).render()),
            )
            assert app.screen.id == "trade-dialog"
            await pilot.press("escape")
            await until(pilot, lambda: app.screen.id != "trade-dialog")
            await app.refresh_view()
            assert app.me["ship"]["cargo"]["fuel"] == 5

            # another player's trade at Sol arrives on the live event pane
            async with StarlaneClient(base) as other:
                await other.register("trader_2", PASSWORD)
                await other.trade(1, "colonists", "buy", 2)
            await until(pilot, lambda: "bought 2 colonists" in pane_text(app))

            # no StarDock at Sol: a friendly warning, no dialog
            await pilot.press("d")
            await pilot.pause()
            assert app.screen.id != "stardock-dialog"

            # attacking the other player's ship in Terran Space is refused (no PvP there)
            await until(
                pilot, lambda: any(s["player_name"] == "trader_2" for s in app.sector["ships"])
            )
            await pilot.press("x")
            await until(pilot, lambda: app.screen.id == "attack-dialog")
            target = app.screen.query_one("#attack-target", Select)
            target.value = f"player:{app.sector['ships'][0]['player_id']}"
            await pilot.click("#attack-go")
            await until(pilot, lambda: "pvp_forbidden" in pane_text(app))
            await pilot.press("q")


async def test_wrong_password_stays_on_the_login_screen(tmp_path: Path) -> None:
    async with served_app(small_settings(tmp_path)) as base:
        async with StarlaneClient(base) as api:
            await api.register("someone", PASSWORD)
        app = StarlaneApp(base, username="someone", live=False)
        async with app.run_test(size=(120, 40)) as pilot:
            assert app.screen.query_one("#username", Input).value == "someone"
            app.screen.query_one("#password", Input).value = "wrong password!"
            await pilot.click("#login-button")
            await until(
                pilot,
                lambda: (
                    "401" in str(app.screen.query_one("#login-error").render())
                    or "invalid" in str(app.screen.query_one("#login-error").render())
                ),
            )
            assert app.screen.id == "login" and app.me is None
            password = app.screen.query_one("#password", Input)
            password.value = PASSWORD
            password.focus()
            await pilot.press("enter")  # Enter in the password field logs in
            await until(pilot, lambda: app.me is not None)


def test_renderers() -> None:
    sector = {
        "id": 7,
        "number": 7,
        "region_id": 1,
        "hazard": "nebula",
        "district": None,
        "piracy": 2,
        "warps": [
            {"to_sector_id": 8, "turn_cost": 2, "discovered": True},
            {"to_sector_id": 9, "turn_cost": 1, "discovered": False},
        ],
        "port": {"id": 7, "name": "Vega", "class_code": "BBS", "stardock": False},
        "planets": [{"id": 70, "name": "Vega II", "kind": "M"}],
        "ships": [
            {"player_id": 3, "player_name": "zed", "ship_name": "Nomad", "ship_type": "scout"}
        ],
        "pirates": [{"id": 71, "name": "Black Jack", "fighters": 10, "shields": 5, "hull": 50}],
        "gate": None,
    }
    text = sector_text(
        sector,
        {
            "commodities": [
                {"commodity": "ore", "direction": "buys", "quantity": 100, "unit_price": 18.0}
            ]
        },
    )
    for expected in (
        "Sector 7",
        "nebula",
        "piracy 2",
        "8 (2t)",
        "9?",
        "Vega",
        "BBS",
        "ore",
        "Vega II",
        "Nomad",
        "Black Jack",
    ):
        assert expected in text
    drawn = map_text(sector, {8: {"id": 8, "warps": [{"to_sector_id": 7}], "port": None}})
    assert "8" in drawn and "→ 7" in drawn and "unexplored" in drawn
    me = {
        "name": "amy",
        "membership": "free",
        "credits": 1234,
        "turns": {"available": 9, "max": 20},
        "region_name": "Terran Space",
        "region_id": 1,
        "sector_id": 7,
        "sector_number": 7,
        "ship": {
            "name": "S",
            "type_name": "Scout",
            "holds": 10,
            "free_holds": 4,
            "cargo": {"ore": 6},
        },
    }
    assert "1,234" in status_text(me) and "ore 6" in status_text(me)
    moved = {
        "type": "event",
        "event": {"type": "player_moved", "player_id": 4, "from_sector_id": 1, "sector_id": 2},
    }
    assert "moved sector 1 → sector 2" in plain(event_text(moved))
    names = Names(players={4: "amy"}, sectors={1: "Sol"})
    assert plain(event_text(moved, names)) == "amy moved Sol → sector 2"


async def test_play_command_refuses_a_bad_server_url() -> None:
    from typer.testing import CliRunner

    from starlane.cli import app as cli

    result = await asyncio.to_thread(CliRunner().invoke, cli, ["play", "--server", "nope"])
    assert result.exit_code == 2


async def test_a_gate_link_names_its_destination_and_asks_before_paying(tmp_path: Path) -> None:
    async with served_app(small_settings(tmp_path)) as base:
        app = StarlaneApp(base, live=False)
        async with app.run_test(size=(180, 50)) as pilot:
            app.screen.query_one("#username", Input).value = "gate_1"
            app.screen.query_one("#password", Input).value = PASSWORD
            await pilot.click("#register-button")
            await until(pilot, lambda: app.me is not None and app.sector is not None)
            regions = (await app.api.regions())["items"]
            nexus = next(r for r in regions if r["kind"] == "nexus")
            plan = await app.api.autopilot(nexus["first_sector_id"], execute=False)
            path = plan["path"]
            gate = next(a for a, b in pairwise(path) if b >= nexus["first_sector_id"])
            await app.api.autopilot(gate)
            await app.refresh_view()
            await until(pilot, lambda: app.me["sector_id"] == gate)
            assert f"gate to {nexus['name']}" in panel(app, "#sector")
            assert "toll 0 cr, 3 turns, open" in panel(app, "#sector")
            # cancelling stays put; confirming crosses
            app.query_one("#gate", Button).press()  # the last button of the warp row
            await until(pilot, lambda: app.screen.id == "gate-dialog")
            # press the dialog's buttons, not a click at their screen position: on a loaded
            # machine a click right after the dialog appears can land before its layout
            app.screen.query_one("#gate-cancel", Button).press()
            await pilot.pause(0.2)
            assert app.me["sector_id"] == gate
            app.query_one("#gate", Button).press()
            await until(pilot, lambda: app.screen.id == "gate-dialog")
            app.screen.query_one("#gate-go", Button).press()
            await until(pilot, lambda: app.me["region_id"] == nexus["id"])
            assert app.me["sector_id"] != gate
            await pilot.press("q")
