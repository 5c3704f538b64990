"""A newcomer's first hour in the terminal client: focus, Escape, keys, trading, names, warps.

Driven headless with Textual's pilot against a real server in the test's event loop (and, for
the quote wording, against a fake API in a bare app).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import App
from textual.widgets import Button, Input, Select, Static

from starlane.client.api import StarlaneClient
from starlane.client.dialogs import AttackDialog, StardockDialog, TradeDialog
from starlane.client.tui import StarlaneApp
from starlane.domain.galaxy import generate_galaxy
from tests.client.conftest import served_app, small_settings
from tests.client.test_tui import PASSWORD, pane_text, until


async def _log_in(app: StarlaneApp, pilot: Any, name: str) -> None:
    app.screen.query_one("#username", Input).value = name
    app.screen.query_one("#password", Input).value = PASSWORD
    await pilot.click("#register-button")
    await until(pilot, lambda: app.me is not None and app.sector is not None)


def _note(app: App[Any], widget_id: str = "#trade-quote") -> str:
    return Text.from_markup(str(app.screen.query_one(widget_id, Static).render())).plain


async def test_a_rich_player_is_offered_what_its_holds_take(tmp_path: Path) -> None:
    async with served_app(small_settings(tmp_path, rules={"start_credits": 1_000_000})) as base:
        app = StarlaneApp(base, live=False)
        async with app.run_test(size=(160, 50)) as pilot:
            await _log_in(app, pilot, "magnate_1")
            await pilot.press("t")
            await until(pilot, lambda: app.screen.id == "trade-dialog")
            app.screen.query_one("#trade-commodity", Select).value = "buy:colonists"
            quantity = app.screen.query_one("#trade-quantity", Input)
            await until(pilot, lambda: bool(quantity.value))
            assert int(quantity.value) == app.me["ship"]["free_holds"]  # type: ignore[index]


async def test_focus_stays_on_a_warp_button_when_others_act(tmp_path: Path) -> None:
    async with served_app(small_settings(tmp_path)) as base:
        app = StarlaneApp(base, live=True)
        async with app.run_test(size=(180, 50)) as pilot:
            await _log_in(app, pilot, "focused_1")
            await until(pilot, lambda: "live feed connected" in pane_text(app))
            second = app.query_one(f"#warp-{app.sector['warps'][1]['to_sector_id']}", Button)
            second.focus()
            await pilot.pause()
            async with StarlaneClient(base) as other:
                await other.register("bustler_2", PASSWORD)
                await other.trade(1, "colonists", "buy", 2)
                await until(pilot, lambda: "bustler_2 bought 2 colonists" in pane_text(app))
                await until(
                    pilot, lambda: any(s["player_name"] == "bustler_2" for s in app.sector["ships"])
                )
                await other.move(app.sector["warps"][2]["to_sector_id"])
                await until(pilot, lambda: "bustler_2 moved Sol →" in pane_text(app))
                await until(pilot, lambda: not app.sector["ships"])  # the view was redrawn
            assert app.focused is second  # the same button kept the keyboard focus
            assert "at Sol" in pane_text(app)  # the port's name, not its id


async def test_escape_closes_every_dialog(tmp_path: Path) -> None:
    async with served_app(small_settings(tmp_path)) as base:
        app = StarlaneApp(base, live=False)
        async with app.run_test(size=(160, 50)) as pilot:
            await _log_in(app, pilot, "escaper_1")
            dialogs = {
                "autopilot-dialog": lambda: app.action_autopilot(),
                "trade-dialog": lambda: app.action_trade(),
                "attack-dialog": lambda: app.push_screen(
                    AttackDialog({"pirates": [{"id": 1, "name": "Jack", "fighters": 1, "hull": 1}]})
                ),
                "stardock-dialog": lambda: app.push_screen(
                    StardockDialog({"ships": [], "hardware": []}, app.me or {})
                ),
            }
            for screen_id, open_it in dialogs.items():
                open_it()
                await until(pilot, lambda sid=screen_id: app.screen.id == sid)  # type: ignore[misc]
                await pilot.press("escape")
                await until(pilot, lambda: len(app.screen_stack) == 1)
            # a field with focus does not swallow Escape
            app.action_autopilot()
            await until(pilot, lambda: app.screen.id == "autopilot-dialog")
            await pilot.pause()
            app.screen.query_one("#autopilot-to", Input).focus()
            await pilot.press("1", "escape")
            await until(pilot, lambda: len(app.screen_stack) == 1)
            assert app.me is not None and app.me["sector_id"] == 1  # nothing was flown


async def test_game_keys_do_nothing_on_the_login_screen(tmp_path: Path) -> None:
    async with served_app(small_settings(tmp_path)) as base:
        app = StarlaneApp(base, live=False)
        async with app.run_test(size=(120, 40)) as pilot:
            app.screen.query_one("#login-button", Button).focus()
            for key in "atdxsr":
                await pilot.press(key)
                await pilot.pause()
                assert app.screen.id == "login", key
            assert app.me is None
            assert app.screen.query_one("#username", Input).value == ""
            # ...and once logged in they work, but not inside a dialog
            await _log_in(app, pilot, "keyholder_1")
            await pilot.press("a")
            await until(pilot, lambda: app.screen.id == "autopilot-dialog")
            app.screen.query_one("#autopilot-go", Button).focus()
            await pilot.press("t")
            await pilot.pause()
            assert app.screen.id == "autopilot-dialog" and len(app.screen_stack) == 2


async def test_trade_dialog_proposes_what_the_player_can_pay_for_and_hold(tmp_path: Path) -> None:
    async with served_app(small_settings(tmp_path)) as base:
        app = StarlaneApp(base, live=False)
        async with app.run_test(size=(160, 50)) as pilot:
            await _log_in(app, pilot, "haggler_1")
            credits = app.me["credits"]  # type: ignore[index]
            free = app.me["ship"]["free_holds"]  # type: ignore[index]
            await pilot.press("t")
            await until(pilot, lambda: app.screen.id == "trade-dialog")
            quantity = app.screen.query_one("#trade-quantity", Input)

            # colonists cost more than 10,000 credits a holdful: the credits limit it
            app.screen.query_one("#trade-commodity", Select).value = "buy:colonists"
            await until(pilot, lambda: bool(quantity.value))
            proposed = int(quantity.value)
            assert 0 < proposed < free
            cost = -(await app.api.quote(1, "colonists", "buy", proposed))["credits_change"]
            dearer = -(await app.api.quote(1, "colonists", "buy", proposed + 1))["credits_change"]
            assert cost <= credits < dearer  # the most the player can pay for
            assert "credits to pay" in _note(app) and "tax" in _note(app)

            # fuel is cheaper: still the credits, and a quote of one more unit is too dear
            quantity.value = ""
            app.screen.query_one("#trade-commodity", Select).value = "buy:fuel"
            await until(pilot, lambda: bool(quantity.value))
            fuel = int(quantity.value)
            assert -(await app.api.quote(1, "fuel", "buy", fuel))["credits_change"] <= credits
            assert -(await app.api.quote(1, "fuel", "buy", fuel + 1))["credits_change"] > credits

            # Sol buys luxuries, which the player does not carry: nothing to propose
            quantity.value = ""
            app.screen.query_one("#trade-commodity", Select).value = "sell:luxuries"
            await until(pilot, lambda: bool(quantity.value))
            assert quantity.value == "0" and "carry no luxuries" in _note(app)

            # the proposal trades: the dialog closes with the receipt
            app.screen.query_one("#trade-commodity", Select).value = "buy:colonists"
            await until(pilot, lambda: quantity.value == str(proposed))
            await pilot.click("#trade-go")
            await until(pilot, lambda: app.screen.id != "trade-dialog")
            await until(pilot, lambda: app.me["ship"]["cargo"].get("colonists") == proposed)  # type: ignore[index]
            assert 0 <= app.me["credits"] < credits  # type: ignore[index]


class FakeMarket:
    """The two calls the trade dialog makes, answered like the server would."""

    def __init__(self) -> None:
        self.refuse: str | None = None

    async def quote(self, port_id: int, commodity: str, side: str, quantity: int) -> dict:
        total = round(27.0 * quantity)
        tax = round(total * 0.1)
        return {
            "port_id": port_id,
            "commodity": commodity,
            "side": side,
            "quantity": quantity,
            "unit_price": 27.0,
            "total": total,
            "tax": tax,
            "credits_change": total - tax if side == "sell" else -(total + tax),
            "quoted_at": 0.0,
        }

    async def trade(self, *args: Any) -> dict:
        from starlane.client.api import ApiError

        if self.refuse:
            raise ApiError(409, self.refuse, "the port's demand changed")
        return {"units": args[3]}


class DialogHost(App[None]):
    def __init__(self, dialog: TradeDialog) -> None:
        super().__init__()
        self.dialog = dialog
        self.result: Any = "open"

    def on_mount(self) -> None:
        self.push_screen(self.dialog, lambda r: setattr(self, "result", r))


async def test_a_sale_quote_shows_the_tax_and_the_credits_received() -> None:
    port = {
        "id": 9,
        "name": "Vega",
        "commodities": [
            {"commodity": "ore", "side": "sell", "direction": "buys", "quantity": 900,
             "unit_price": 27.0},
        ],
    }  # fmt: skip
    me = {"credits": 100, "ship": {"free_holds": 0, "cargo": {"ore": 40}}}
    market = FakeMarket()
    host = DialogHost(TradeDialog(market, port, me))  # type: ignore[arg-type]
    async with host.run_test(size=(120, 30)) as pilot:
        host.screen.query_one("#trade-commodity", Select).value = "sell:ore"
        await until(pilot, lambda: "received" in _note(host))
        assert host.screen.query_one("#trade-quantity", Input).value == "40"
        note = _note(host)
        assert note == "sell 40 x 27.00 = 1,080 - tax 108 = 972 credits received"
        assert "+ tax" not in note

        # a refusal is shown in the dialog, which stays open
        market.refuse = "port_demand_exhausted"
        await pilot.click("#trade-go")
        await until(pilot, lambda: "port_demand_exhausted" in _note(host))
        assert host.result == "open" and host.screen.id == "trade-dialog"
        market.refuse = None
        await pilot.pause(0.6)  # a second click this soon would be a double click
        await pilot.click("#trade-go")
        await until(pilot, lambda: host.result != "open")
        assert host.result == {"units": 40}


async def test_one_way_warps_are_marked(tmp_path: Path) -> None:
    galaxy = generate_galaxy(2002, nexus_sectors=2000, player_region_sizes=[])
    sectors = galaxy.regions[1].sectors
    one_way = {w for w in sectors[1].warps if 1 not in sectors[w].warps}
    two_way = set(sectors[1].warps) - one_way
    assert one_way and two_way  # Sol of this galaxy has both
    async with served_app(small_settings(tmp_path)) as base:
        app = StarlaneApp(base, live=False)
        async with app.run_test(size=(160, 50)) as pilot:
            await _log_in(app, pilot, "surveyor_1")
            await pilot.press("s")  # scan: the neighbours' warps become known
            await until(pilot, lambda: all(w in app.known for w in sectors[1].warps))
            await pilot.pause()
            for to in one_way:
                assert str(app.query_one(f"#warp-{to}", Button).label) == f"{to} ⇢"
                assert f"{to} ⇢" in str(app.query_one("#sector", Static).render())
            for to in two_way:
                assert str(app.query_one(f"#warp-{to}", Button).label) == str(to)
            assert "one-way: no warp leads back" in str(app.query_one("#sector", Static).render())
