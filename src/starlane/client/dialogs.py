"""Modal dialogs of the terminal client: log in, trade, autopilot, StarDock, attack, gate.

Each dialog is a Textual :class:`~textual.screen.ModalScreen` that dismisses with the request
to send (a dict) or None when cancelled (Cancel or Escape). Dialogs that need the server
(quotes, route plans) use the app's :class:`~starlane.client.api.StarlaneClient`; the trade
dialog sends the trade itself, so a refusal is shown in the dialog, which stays open.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Label, Select, Static

from starlane.client.api import ApiError, StarlaneClient

JSON = dict[str, Any]


def _int(value: str) -> int | None:
    try:
        return int(value.strip().replace(",", ""))
    except ValueError:
        return None


def _float(value: str) -> float | None:
    try:
        return float(value.strip().replace(",", ""))
    except ValueError:
        return None


class Dialog(ModalScreen[JSON | None]):
    """A modal dialog that Escape closes (dismissed with None, nothing sent)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Close", show=True)]

    def action_cancel(self) -> None:
        """Close the dialog without sending anything."""
        self.dismiss(None)


class LoginScreen(Screen[bool]):
    """Log in, or register a new account (which logs in too)."""

    def __init__(self, api: StarlaneClient, username: str | None = None) -> None:
        super().__init__(id="login")
        self.api = api
        self.username = username or ""

    def compose(self) -> ComposeResult:
        with Vertical(id="login-box"):
            yield Static("[b]STARLANE[/b]\nlog in, or register a new captain", id="login-title")
            yield Input(value=self.username, placeholder="username", id="username")
            yield Input(placeholder="password (10+ characters)", password=True, id="password")
            with Horizontal(classes="buttons"):
                yield Button("Log in", id="login-button", variant="primary")
                yield Button("Register", id="register-button")
            yield Static("", id="login-error")

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the password field logs in."""
        if event.input.id == "password":
            await self._submit(register=False)
        else:
            self.query_one("#password", Input).focus()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        """Log in or register."""
        await self._submit(register=event.button.id == "register-button")

    async def _submit(self, *, register: bool) -> None:
        username = self.query_one("#username", Input).value.strip()
        password = self.query_one("#password", Input).value
        error = self.query_one("#login-error", Static)
        if not username or not password:
            error.update("[red]username and password, please[/]")
            return
        error.update("[dim]one moment...[/]")
        try:
            if register:
                await self.api.register(username, password)
                self.api.username = username
            else:
                await self.api.login(username, password)
        except ApiError as exc:
            error.update(f"[red]{exc.code}: {exc.detail}[/]")
            return
        self.dismiss(True)


class TradeDialog(Dialog):
    """Trade at the port: commodity and side, quantity, price limit; quote, then trade.

    Choosing a commodity proposes a quantity the player can hold and pay for (quoted with the
    price impact and tax); Trade sends the trade and dismisses with its receipt, or shows the
    refusal in the dialog, which stays open for another try.
    """

    QUOTE_ROUNDS = 12
    """Quotes tried at most to find the largest purchase the player can pay for."""

    def __init__(self, api: StarlaneClient, port: JSON, me: JSON) -> None:
        super().__init__(id="trade-dialog")
        self.api = api
        self.port = port
        self.me = me

    def compose(self) -> ComposeResult:
        cargo = self.me.get("ship", {}).get("cargo", {})
        options = []
        for c in self.port.get("commodities", []):
            if c["side"] == "buy":
                label = (
                    f"buy {c['commodity']} @ {c['unit_price']:,.2f} ({c['quantity']:,} in stock)"
                )
            else:
                label = (
                    f"sell {c['commodity']} @ {c['unit_price']:,.2f} "
                    f"(wants {c['quantity']:,}, you carry {cargo.get(c['commodity'], 0):,})"
                )
            options.append((label, f"{c['side']}:{c['commodity']}"))
        with Vertical(classes="dialog"):
            yield Label(f"[b]Trade at {self.port.get('name')}[/b]")
            yield Select(options, prompt="commodity", id="trade-commodity")
            yield Input(placeholder="quantity", id="trade-quantity")
            yield Input(
                placeholder="price limit per unit (max when buying, min when selling)",
                id="trade-limit",
            )
            yield Static("", id="trade-quote")
            with Horizontal(classes="buttons"):
                yield Button("Quote", id="trade-quote-button")
                yield Button("Trade", id="trade-go", variant="primary")
                yield Button("Cancel", id="trade-cancel")

    async def on_select_changed(self, event: Select.Changed) -> None:
        """Propose a quantity: what the player can hold and pay for when buying, the cargo
        the port takes when selling."""
        if not isinstance(event.value, str):
            return
        side, commodity = event.value.split(":", 1)
        ship = self.me.get("ship", {})
        offer = next(
            (c for c in self.port["commodities"] if c["commodity"] == commodity and
             c["side"] == side), {"quantity": 0, "unit_price": 0.0},
        )  # fmt: skip
        note = self.query_one("#trade-quote", Static)
        quantity = self.query_one("#trade-quantity", Input)
        typed = quantity.value  # a quantity the player types meanwhile is kept
        if side == "sell":
            carried = int(ship.get("cargo", {}).get(commodity, 0))
            proposal = min(carried, int(offer["quantity"]))
            quantity.value = str(proposal)
            if proposal == 0:
                note.update(f"[yellow]you carry no {commodity}[/]" if carried == 0 else
                            f"[yellow]the port wants no more {commodity}[/]")  # fmt: skip
            else:
                await self._quote(side, commodity, proposal)
            return
        credits = int(self.me.get("credits", 0))
        free = int(ship.get("free_holds", 0))
        price = float(offer["unit_price"])
        top = min(free, int(offer["quantity"]), int(credits // price) if price > 0 else 0)
        proposal = max(top, 0)
        if top > 0:
            proposal = await self._most_affordable(commodity, top, credits)
        if quantity.value == typed:
            quantity.value = str(max(proposal, 0))
        if proposal <= 0:
            why = (
                "no free holds" if free <= 0
                else f"no {commodity} in stock" if int(offer["quantity"]) <= 0
                else "not enough credits for one unit"
            )  # fmt: skip
            note.update(f"[yellow]you can buy none: {why}[/]")

    async def _most_affordable(self, commodity: str, top: int, credits: int) -> int:
        """The most units, up to ``top``, whose quote (price impact and tax) ``credits`` pay."""
        quote = await self._quote("buy", commodity, top)
        if quote is None:
            return 0
        cost = -int(quote["credits_change"])
        if cost <= credits:
            return top
        lo, hi = 0, top  # lo units are affordable (none are, trivially), hi are not
        guess = max(1, min(hi - 1, int(top * credits / cost)))
        for _ in range(self.QUOTE_ROUNDS):
            if hi - lo <= 1:
                break
            quote = await self._quote("buy", commodity, guess)
            if quote is None:
                return lo
            if -int(quote["credits_change"]) <= credits:
                lo = guess
            else:
                hi = guess
            guess = (lo + hi) // 2
        if lo > 0 and (quote is None or int(quote["quantity"]) != lo):
            await self._quote("buy", commodity, lo)  # show the quote of what is proposed
        return lo

    async def _quote(self, side: str, commodity: str, units: int) -> JSON | None:
        """Quote a trade and show it; None (and the refusal shown) when refused."""
        note = self.query_one("#trade-quote", Static)
        try:
            quote = await self.api.quote(int(self.port["id"]), commodity, side, units)
        except ApiError as exc:
            note.update(f"[red]{exc.code}: {exc.detail}[/]")
            return None
        note.update(quote_text(quote))
        return quote

    def _request(self) -> JSON | None:
        choice = self.query_one("#trade-commodity", Select).value
        quantity = _int(self.query_one("#trade-quantity", Input).value)
        note = self.query_one("#trade-quote", Static)
        if not isinstance(choice, str):
            note.update("[red]choose a commodity[/]")
            return None
        if quantity is None or quantity < 1:
            note.update("[red]the quantity must be a whole number of units, at least 1[/]")
            return None
        side, commodity = choice.split(":", 1)
        limit_text = self.query_one("#trade-limit", Input).value
        limit = _float(limit_text) if limit_text.strip() else None
        if limit_text.strip() and (limit is None or limit <= 0):
            note.update("[red]the price limit must be a positive number[/]")
            return None
        return {"commodity": commodity, "side": side, "quantity": quantity, "max_unit_price": limit}

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        """Quote, trade (dismiss with the receipt; a refusal stays in the dialog) or cancel."""
        if event.button.id == "trade-cancel":
            self.dismiss(None)
            return
        request = self._request()
        if request is None:
            return
        if event.button.id == "trade-quote-button":
            quote = await self._quote(request["side"], request["commodity"], request["quantity"])
            limit = self.query_one("#trade-limit", Input)
            if quote is not None and not limit.value.strip():
                factor = 1.05 if request["side"] == "buy" else 0.95
                limit.value = f"{quote['unit_price'] * factor:.2f}"
            return
        note = self.query_one("#trade-quote", Static)
        try:
            receipt = await self.api.trade(
                int(self.port["id"]),
                request["commodity"],
                request["side"],
                int(request["quantity"]),
                request.get("max_unit_price"),
            )
        except ApiError as exc:
            note.update(f"[red]refused: {exc.code}[/]" + (f" - {exc.detail}" if exc.detail else ""))
            return
        self.dismiss(receipt)


def quote_text(quote: JSON) -> str:
    """One line for a quote: units, unit price, value, tax and the credits that change hands.

    Args:
        quote: a ``QuoteOut`` document.

    Returns:
        Rich markup, e.g. ``sell 40 x 27.00 = 1,080 - tax 108 = 972 credits received``.
    """
    head = f"{quote['quantity']:,} x {quote['unit_price']:,.2f} = {quote['total']:,}"
    if quote["side"] == "sell":
        net = int(quote["credits_change"])
        return f"sell {head} - tax {quote['tax']:,} = [b green]{net:,}[/] credits received"
    cost = -int(quote["credits_change"])
    return f"buy {head} + tax {quote['tax']:,} = [b]{cost:,}[/] credits to pay"


class AutopilotDialog(Dialog):
    """Fly to a sector number of the current region along the cheapest path."""

    def __init__(self, api: StarlaneClient) -> None:
        super().__init__(id="autopilot-dialog")
        self.api = api

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("[b]Autopilot[/b]: destination sector id")
            yield Input(placeholder="sector id", id="autopilot-to")
            yield Static("", id="autopilot-plan")
            with Horizontal(classes="buttons"):
                yield Button("Plan", id="autopilot-plan-button")
                yield Button("Fly", id="autopilot-go", variant="primary")
                yield Button("Cancel", id="autopilot-cancel")

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter flies."""
        to = _int(event.value)
        if to is not None and to > 0:
            self.dismiss({"to_sector_id": to})

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        """Plan, fly or cancel."""
        if event.button.id == "autopilot-cancel":
            self.dismiss(None)
            return
        to = _int(self.query_one("#autopilot-to", Input).value)
        note = self.query_one("#autopilot-plan", Static)
        if to is None or to < 1:
            note.update("[red]a sector id is a positive whole number[/]")
            return
        if event.button.id == "autopilot-plan-button":
            try:
                plan = await self.api.autopilot(to, execute=False)
            except ApiError as exc:
                note.update(f"[red]{exc.code}: {exc.detail}[/]")
                return
            path = " → ".join(str(s) for s in plan["path"])
            note.update(f"{path}\n{plan['turn_cost']} turns of {plan['turns_available']:,}")
            return
        self.dismiss({"to_sector_id": to})


class StardockDialog(Dialog):
    """Buy a ship, fighters or holds at the StarDock."""

    def __init__(self, catalogue: JSON, me: JSON) -> None:
        super().__init__(id="stardock-dialog")
        self.catalogue = catalogue
        self.me = me

    def compose(self) -> ComposeResult:
        options = [
            (f"ship: {s['name']} - {s['cost']:,} credits ({s['holds']} holds)", f"ship:{s['key']}")
            for s in self.catalogue.get("ships", [])
        ]
        options += [
            (f"{h['item']} at {h['unit_price']:,} credits each", f"{h['item']}:")
            for h in self.catalogue.get("hardware", [])
        ]
        with Vertical(classes="dialog"):
            yield Label(
                f"[b]StarDock[/b] - you have {self.me.get('credits', 0):,} credits; "
                f"trade-in value of your ship {self.catalogue.get('trade_in', 0):,}"
            )
            yield Select(options, prompt="item", id="stardock-item")
            yield Input(placeholder="how many (fighters, holds)", id="stardock-count")
            yield Static("", id="stardock-note")
            with Horizontal(classes="buttons"):
                yield Button("Buy", id="stardock-buy", variant="primary")
                yield Button("Cancel", id="stardock-cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Buy (dismiss with the purchase) or cancel."""
        if event.button.id == "stardock-cancel":
            self.dismiss(None)
            return
        item = self.query_one("#stardock-item", Select).value
        note = self.query_one("#stardock-note", Static)
        if not isinstance(item, str):
            note.update("[red]choose an item[/]")
            return
        kind, key = item.split(":", 1)
        if kind == "ship":
            self.dismiss({"item": "ship", "ship_type": key})
            return
        count = _int(self.query_one("#stardock-count", Input).value)
        if count is None or count < 1:
            note.update("[red]how many? a whole number, at least 1[/]")
            return
        self.dismiss({"item": kind, "count": count})


class AttackDialog(Dialog):
    """Choose a pirate or a ship in the sector to attack."""

    def __init__(self, sector: JSON) -> None:
        super().__init__(id="attack-dialog")
        self.sector = sector

    def compose(self) -> ComposeResult:
        options = [
            (
                f"pirate {p['name']} ({p['fighters']} fighters, hull {p['hull']})",
                f"pirate:{p['id']}",
            )
            for p in self.sector.get("pirates", [])
        ]
        options += [
            (f"{s['ship_name']} of {s['player_name']}", f"player:{s['player_id']}")
            for s in self.sector.get("ships", [])
        ]
        with Vertical(classes="dialog"):
            yield Label("[b]Attack[/b] (costs turns; fighters and shields absorb damage first)")
            yield Select(options, prompt="target", id="attack-target")
            with Horizontal(classes="buttons"):
                yield Button("Attack", id="attack-go", variant="error")
                yield Button("Cancel", id="attack-cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Attack (dismiss with the target) or cancel."""
        if event.button.id == "attack-cancel":
            self.dismiss(None)
            return
        target = self.query_one("#attack-target", Select).value
        if isinstance(target, str):
            kind, ident = target.split(":", 1)
            self.dismiss({"target_kind": kind, "target_id": int(ident)})


class GateDialog(ModalScreen[bool]):
    """Ask before passing a gate: where it leads, the toll and the turns it costs."""

    def __init__(self, gate: JSON, credits: int) -> None:
        super().__init__(id="gate-dialog")
        self.gate = gate
        self.credits = credits

    def compose(self) -> ComposeResult:
        from starlane.client.render import gate_text

        toll = int(self.gate.get("toll", 0))
        with Vertical(classes="dialog"):
            yield Label(f"[b]Pass the gate?[/b] {gate_text(self.gate)}")
            yield Label(f"You have {self.credits:,} credits; the toll is {toll:,}.")
            with Horizontal(classes="buttons"):
                yield Button("Pay and cross", id="gate-go", variant="primary")
                yield Button("Cancel", id="gate-cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Cross (dismiss with True) or stay (False)."""
        self.dismiss(event.button.id == "gate-go")
