"""The Starlane terminal client (Textual): ``starlane play``.

Log in or register, then: the current sector (warps, port with prices, planets, ships,
pirates), a neighbourhood map, the player's status and a live event pane fed by the
WebSocket, naming players and sectors. Move by pressing a warp's button (``⇢`` marks a one-way
warp); ``a`` autopilot to a sector id, ``t`` trade at the port (quantity proposed, quote,
price limit), ``d`` StarDock purchases, ``x`` attack, ``s`` scan the neighbours, ``o``
scouting reports, ``j`` jump with a Warp Jumper, ``y`` discoveries and the discovery scan,
``w`` player-built gates, ``e`` trade expeditions, ``v`` the region's proposals and votes,
``r`` refresh, ``f`` the forums (:class:`~starlane.client.forums.ForumDialog`), ``q`` quit;
Escape closes a dialog.
The region panel shows the current region's governor and policies; its governor (only) gets
``g``, the governor's screen (:class:`~starlane.client.governance.GovernorDialog`); ``l``
opens the guild screen (:class:`~starlane.client.guilds.GuildDialog`). Game keys do nothing
until the player has logged in, nor while a dialog is open; events arriving never move the
keyboard focus.

The client talks to the server only through :class:`~starlane.client.api.StarlaneClient` and
:class:`~starlane.client.live.LiveConnection`; tests drive it headless with ``App.run_test()``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable
from typing import Any, ClassVar, TypeVar

import httpx
from rich.markup import escape
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, HorizontalGroup, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Header, Label, RichLog, Static

from starlane.client.api import ApiError, StarlaneClient
from starlane.client.dialogs import (
    AttackDialog,
    AutopilotDialog,
    GateDialog,
    LoginScreen,
    StardockDialog,
    TradeDialog,
)
from starlane.client.expeditions import ExpeditionDialog
from starlane.client.gates import GatesDialog
from starlane.client.governance import GovernorDialog, region_text
from starlane.client.guilds import GuildDialog
from starlane.client.jumps import DiscoveriesDialog, JumpDialog, jump_text
from starlane.client.render import (
    Names,
    event_text,
    map_text,
    sector_text,
    status_text,
    warp_label,
)
from starlane.client.scouting import ScoutingDialog
from starlane.client.votes import VotesDialog

JSON = dict[str, Any]
T = TypeVar("T")


class StarlaneApp(App[None]):
    """The terminal client.

    Args:
        server: the server's root URL.
        username: pre-fills the login form.
        transport: an httpx transport (tests: ``httpx.ASGITransport(app)``).
        live: open the WebSocket event feed after logging in.
    """

    CSS_PATH = "starlane.tcss"
    TITLE = "Starlane"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "autopilot", "Autopilot"),
        Binding("t", "trade", "Trade"),
        Binding("d", "stardock", "StarDock"),
        Binding("x", "attack", "Attack"),
        Binding("s", "scan", "Scan"),
        Binding("g", "govern", "Govern"),
        Binding("f", "forums", "Forums"),
        Binding("l", "guild", "Guild"),
        Binding("v", "votes", "Votes"),
        Binding("e", "expedition", "Expedition"),
        Binding("w", "gates", "Gates"),
        Binding("j", "jump", "Jump"),
        Binding("y", "discoveries", "Discoveries"),
        Binding("o", "scout", "Scout"),
        Binding("r", "refresh", "Refresh"),
        Binding("q", "quit", "Quit"),
    ]

    GAME_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {
            "autopilot",
            "trade",
            "stardock",
            "attack",
            "scan",
            "refresh",
            "govern",
            "forums",
            "guild",
            "votes",
            "expedition",
            "gates",
            "jump",
            "discoveries",
            "scout",
        }
    )
    """Actions that act in the game: only on the main screen, once logged in."""

    def __init__(
        self,
        server: str = "http://127.0.0.1:8000",
        *,
        username: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        live: bool = True,
    ) -> None:
        super().__init__()
        self.server = server
        self.api = StarlaneClient(server, transport=transport)
        self.username = username
        self.live_enabled = live
        self.me: JSON | None = None
        self.sector: JSON | None = None
        self.port: JSON | None = None
        self.region: JSON | None = None
        self.known: dict[int, JSON] = {}
        self.live: Any = None
        self._refresh_pending = False
        self.names = Names()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Game keys do nothing before logging in, nor while a dialog is open.

        Args:
            action: the action's name.
            parameters: its parameters.

        Returns:
            False for a game action that may not run now (Textual then ignores the key).
        """
        if action == "govern" and not self.governs():
            return False  # the key is only for the region's governor
        if action in self.GAME_ACTIONS:
            return self.me is not None and len(self.screen_stack) == 1
        return True

    def governs(self) -> bool:
        """Whether the logged-in player governs the region they are in."""
        me, region = self.me or {}, self.region or {}
        return me.get("id") is not None and region.get("governor_id") == me.get("id")

    # --- layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Static("", id="sector", classes="panel")
                yield Label("Warps (press to move):", id="warps-label")
                yield HorizontalGroup(id="warps")
            with Vertical(id="middle"):
                yield Static("", id="map", classes="panel")
                yield Static("", id="status", classes="panel")
                yield Static("", id="region", classes="panel")
            with VerticalScroll(id="right"):
                yield RichLog(id="events", markup=True, wrap=True, max_lines=500)
        yield Footer()

    def on_mount(self) -> None:
        """Ask for a login first."""
        self.sub_title = self.server
        self.push_screen(LoginScreen(self.api, self.username), self._logged_in)

    async def _logged_in(self, ok: bool | None) -> None:
        if not ok:
            self.exit()
            return
        self.sub_title = f"{self.api.username} @ {self.server}"
        await self.refresh_view()
        self.log_event(f"[green]welcome aboard, {self.api.username}[/]")
        if self.live_enabled:
            self.run_worker(self._live_feed(), group="live", exclusive=True)

    async def on_unmount(self) -> None:
        """Close the connections."""
        if self.live is not None:
            with contextlib.suppress(Exception):
                await self.live.close()
        await self.api.aclose()

    # --- state ------------------------------------------------------------------------------
    async def call(self, request: Awaitable[T]) -> T | None:
        """Send a request; show a refusal in a notification and the event pane.

        Args:
            request: the API call.

        Returns:
            The answer, or None when it was refused.
        """
        try:
            return await request
        except ApiError as exc:
            message = f"{exc.code}: {exc.detail}" if exc.detail else exc.code
            self.notify(message, severity="error", title="refused")
            self.log_event(f"[red]refused[/] {message}")
            return None

    async def refresh_view(self) -> None:
        """Fetch the player, the sector, its port and the known neighbours; redraw."""
        me = await self.call(self.api.me())
        if me is None:
            return
        self.me = me
        self.names.players[int(me["id"])] = str(me["name"])
        if self.region is None or self.region.get("id") != me.get("region_id"):
            await self.refresh_region()
        sector = await self.call(self.api.sector(int(me["sector_id"])))
        if sector is None:
            return
        self.sector = sector
        self.known[int(sector["id"])] = sector
        self.names.learn_sector(sector)
        summary = sector.get("port")
        self.port = None
        if summary and not summary.get("stardock"):
            self.port = await self.call(self.api.port(int(summary["id"])))
        for warp in sector.get("warps", []):
            to = int(warp["to_sector_id"])
            if warp.get("discovered") and to not in self.known:
                with contextlib.suppress(ApiError):
                    self.known[to] = await self.api.sector(to)
                    self.names.learn_sector(self.known[to])
        await self.redraw()

    async def refresh_region(self) -> None:
        """Fetch the current region (governor, policies) and show the governor's key or not."""
        if self.me is None:
            return
        self.region = await self.call(self.api.region(int(self.me["region_id"])))
        self.refresh_bindings()

    async def redraw(self) -> None:
        """Render the panels and the warp buttons from the current state."""
        if self.me is None or self.sector is None:
            return
        self.query_one("#status", Static).update(status_text(self.me))
        if self.region is not None:
            governor = self.region.get("governor_id")
            name = None if governor is None else self.names.players.get(int(governor))
            self.query_one("#region", Static).update(region_text(self.region, name))
        self.query_one("#sector", Static).update(sector_text(self.sector, self.port, self.known))
        self.query_one("#map", Static).update(map_text(self.sector, self.known))
        wanted = [
            (f"warp-{to}", warp_label(self.sector, to, self.known))
            for to in (int(w["to_sector_id"]) for w in self.sector.get("warps", []))
        ]
        gate = self.sector.get("gate")
        if gate:
            name = gate.get("to_region_name") or f"region {gate['to_region_id']}"
            wanted.append(("gate", f"gate: {name}"))
        warps = self.query_one("#warps", HorizontalGroup)
        shown = [(b.id, str(b.label)) for b in warps.query(Button)]
        if shown == wanted:
            return  # same warps: keep the buttons, and the keyboard focus on them
        focused = self.focused.id if self.focused is not None else None
        await warps.remove_children()
        await warps.mount_all(
            Button(label, id=button_id, classes="warp") for button_id, label in wanted
        )
        if focused is not None and (focused.startswith("warp-") or focused == "gate") and wanted:
            self.query_one(f"#{wanted[0][0]}", Button).focus()  # the warps changed under it

    def log_event(self, text: str) -> None:
        """Append a line to the event pane.

        Args:
            text: Rich markup.
        """
        self.query_one("#events", RichLog).write(text)

    # --- the live feed ----------------------------------------------------------------------
    async def _live_feed(self) -> None:
        from starlane.client.live import LiveConnection

        try:
            assert self.api.access_token is not None
            self.live = await LiveConnection.open(self.server, self.api.access_token)
        except ApiError as exc:
            self.log_event(f"[yellow]no live feed: {exc.code}[/]")
            return
        self.log_event("[dim]live feed connected[/]")
        while True:
            message = await self.live.next_event()
            if message is None:
                self.log_event(f"[yellow]live feed closed: {self.live.close_reason or ''}[/]")
                return
            if message.get("type") == "change" and str(message.get("channel")).startswith("forum:"):
                await self._forum_changed(message)
                continue
            if message.get("type") != "event":
                continue
            self.names.learn_event(message.get("event", {}))
            if message.get("actor_id") != (self.me or {}).get("id"):
                if self.names.unknown_players(message.get("event", {})):
                    await self.refresh_view()  # who arrived is in the sector's ships now
                else:
                    self._schedule_refresh()
            self.log_event(event_text(message, self.names))

    async def _forum_changed(self, message: JSON) -> None:
        from starlane.client.forums import ForumDialog

        if isinstance(self.screen, ForumDialog):
            await self.screen.forum_changed(message)

    def _schedule_refresh(self) -> None:
        if self._refresh_pending:
            return
        self._refresh_pending = True

        async def later() -> None:
            self._refresh_pending = False
            await self.refresh_view()

        self.set_timer(0.5, later)

    # --- actions ----------------------------------------------------------------------------
    async def on_button_pressed(self, event: Button.Pressed) -> None:
        """A warp button moves there."""
        button_id = event.button.id or ""
        if button_id.startswith("warp-"):
            await self.move(int(button_id.removeprefix("warp-")))
        elif button_id == "gate" and self.sector and self.sector.get("gate"):
            gate = self.sector["gate"]

            async def cross(ok: bool | None) -> None:
                if ok:
                    await self.move(int(gate["to_sector_id"]))

            credits = int((self.me or {}).get("credits", 0))
            self.push_screen(GateDialog(gate, credits), cross)

    async def move(self, to_sector_id: int) -> None:
        """Move along one warp.

        Args:
            to_sector_id: an adjacent sector.
        """
        result = await self.call(self.api.move(to_sector_id))
        if result is not None:
            await self.refresh_view()  # learn the name of where it arrived first
            self.log_event(
                f"moved to [b]{escape(self.names.sector(result['sector_id']))}[/] "
                f"({result['turns_spent']} turns, "
                f"{result['turns_left']:,} left)"
                + (" - first visit!" if result["first_visit"] else "")
            )

    async def action_refresh(self) -> None:
        """Fetch everything again (the region too)."""
        self.region = None
        await self.refresh_view()

    def action_govern(self) -> None:
        """The governor's screen: change the region's policies."""
        if self.region is None or not self.governs():
            return

        async def changed(result: JSON | None) -> None:
            if result is None:
                return
            fields = ", ".join(f"{k} {v}" for k, v in sorted(result["changes"].items()))
            self.log_event(f"[green]policies changed[/]: {escape(fields)}")
            await self.refresh_region()
            await self.redraw()

        self.push_screen(GovernorDialog(self.api, self.region), changed)

    def action_forums(self) -> None:
        """The forums: boards, threads and posts; read and write (:mod:`starlane.client.forums`)."""
        from starlane.client.forums import ForumDialog

        self.push_screen(ForumDialog(self.api, self.live))

    def action_guild(self) -> None:
        """The guild screen: my guild, members, treasury, deposits, withdrawals, requests."""
        self.push_screen(GuildDialog(self.api))

    def action_votes(self) -> None:
        """The votes screen: the current region's proposals, voting, proposing."""
        if self.region is None or self.region.get("id") is None:
            return
        self.push_screen(VotesDialog(self.api, self.region))

    def action_gates(self) -> None:
        """The gates screen: build from this sector, deliver, inspect, close."""
        if self.me is None:
            return

        async def done(result: JSON | None) -> None:
            if result and result.get("changed"):
                self.log_event("[green]gates updated[/]")
                await self.refresh_view()

        self.push_screen(GatesDialog(self.api, self.me), done)

    def action_scout(self) -> None:
        """The scouting screen: file a report on the current region, read the latest ones."""
        if self.region is None:
            return

        async def closed(_result: JSON | None) -> None:
            await self.refresh_view()  # a reward changes the credits shown

        self.push_screen(ScoutingDialog(self.api, self.region), closed)

    async def action_scan(self) -> None:
        """Scan the neighbouring sectors (they become discovered and appear on the map)."""
        result = await self.call(self.api.scan())
        if result is not None:
            for view in result.get("neighbours", []):
                self.known[int(view["id"])] = view
            self.log_event(f"scan: discovered {len(result.get('discovered', []))} sectors")
            await self.refresh_view()

    def action_autopilot(self) -> None:
        """Ask for a destination and fly there."""

        async def fly(request: JSON | None) -> None:
            if request is None:
                return
            result = await self.call(self.api.autopilot(int(request["to_sector_id"])))
            if result is not None:
                await self.refresh_view()
                self.log_event(
                    f"autopilot: {len(result['moves'])} warps, now in "
                    f"[b]{escape(self.names.sector(result['sector_id']))}[/]"
                    f" ({result['turns_left']:,} turns left)"
                )

        self.push_screen(AutopilotDialog(self.api), fly)

    def action_jump(self) -> None:
        """Ask for a sector id and jump there with the Warp Jumper."""

        async def jump(request: JSON | None) -> None:
            if request is None:
                return
            result = await self.call(self.api.jump(int(request["to_sector_id"])))
            if result is not None:
                self.region = None  # the jump may have crossed into another region
                await self.refresh_view()
                self.log_event(jump_text(result))

        self.push_screen(JumpDialog(), jump)

    def action_discoveries(self) -> None:
        """Show the sectors discovered and the new regions to discover."""
        self.push_screen(DiscoveriesDialog(self.api))

    def action_trade(self) -> None:
        """Trade at the port of this sector."""
        if self.port is None or self.me is None:
            self.notify("no trading port in this sector", severity="warning")
            return

        async def trade(receipt: JSON | None) -> None:
            if receipt is not None:
                verb = "bought" if receipt["side"] == "buy" else "sold"
                self.log_event(
                    f"[green]{verb} {receipt['units']:,} {receipt['commodity']}[/] @ "
                    f"{receipt['unit_price']:,.2f} = {receipt['total']:,} (tax {receipt['tax']:,});"
                    f" credits {receipt['credits_after']:,}"
                )
                await self.refresh_view()

        self.push_screen(TradeDialog(self.api, self.port, self.me), trade)

    async def action_stardock(self) -> None:
        """Buy a ship, fighters or holds at the StarDock of this sector."""
        summary = (self.sector or {}).get("port") or {}
        if not summary.get("stardock") or self.me is None:
            self.notify("no StarDock in this sector", severity="warning")
            return
        catalogue = await self.call(self.api.stardock())
        if catalogue is None:
            return

        async def buy(request: JSON | None) -> None:
            if request is None:
                return
            result: JSON | None
            if request["item"] == "ship":
                result = await self.call(self.api.buy_ship(request["ship_type"]))
            elif request["item"] == "fighters":
                result = await self.call(self.api.buy_fighters(int(request["count"])))
            else:
                result = await self.call(self.api.buy_holds(int(request["count"])))
            if result is not None:
                self.log_event(
                    f"[green]bought {request['item']}[/]: credits {result['credits_after']:,}"
                )
                await self.refresh_view()

        self.push_screen(StardockDialog(catalogue, self.me), buy)

    def action_attack(self) -> None:
        """Attack a pirate or a ship in this sector."""
        if self.sector is None or not (self.sector.get("pirates") or self.sector.get("ships")):
            self.notify("nothing to attack here", severity="warning")
            return

        async def attack(request: JSON | None) -> None:
            if request is None:
                return
            report = await self.call(
                self.api.attack(request["target_kind"], int(request["target_id"]))
            )
            if report is not None:
                self.log_event(
                    f"[red]combat[/]: {len(report['rounds'])} rounds, winner "
                    f"{report['winner']}, loot {report['loot']:,}"
                    + (" - your ship was destroyed!" if report["ship_destroyed"] else "")
                )
                await self.refresh_view()

        self.push_screen(AttackDialog(self.sector), attack)

    def action_expedition(self) -> None:
        """Plan, save and fly a trade expedition (the expedition screen)."""

        async def closed(result: JSON | None) -> None:
            if result is not None and "id" in result:
                self.log_event(
                    f"expedition #{result['id']}: {result['next_leg']}/{len(result['legs'])}"
                    f" legs flown, {int(result['actual_profit']):+,} credits"
                )
            await self.refresh_view()

        self.push_screen(ExpeditionDialog(self.api), closed)


def run(server: str, username: str | None = None) -> None:
    """Run the terminal client until the player quits.

    Args:
        server: the server's root URL.
        username: pre-fills the login form.
    """
    StarlaneApp(server, username=username).run()


__all__ = ["StarlaneApp", "run"]
