"""The terminal client's gates screen (key ``w``): build, deliver, inspect and close gates.

:func:`gates_text` renders a page of ``GET /api/v1/gates`` (id, state, link, toll, what a site
still needs, the time left of a construction). :class:`GatesDialog` lists them and holds two
forms: *build* (destination sector and toll: ``POST /api/v1/gates`` from the sector the
player is in) and *act on a gate* (its id: deliver, abandon, close). Every answer, or the
server's refusal (``not_a_citizen``, ``endpoints_too_close``, ``not_at_site``...), is shown
in the dialog, which stays open and lists the gates again; Escape or Done closes it and
dismisses with ``{"changed": True}`` when anything was done, so the main screen refreshes.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from starlane.client.api import ApiError, StarlaneClient
from starlane.client.dialogs import Dialog

JSON = dict[str, Any]


def duration_text(seconds: float) -> str:
    """A duration as ``1h02m``, ``3m05s`` or ``12s``.

    Args:
        seconds: seconds, >= 0.

    Returns:
        The text.
    """
    s = int(seconds + 0.5)
    if s >= 3_600:
        return f"{s // 3_600}h{s % 3_600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


def gate_line(gate: JSON, me: int | None = None) -> str:
    """One gate as a line of the list.

    Args:
        gate: a ``GateOut`` document.
        me: the viewing player's id (their gates are marked ``*``).

    Returns:
        Rich markup.
    """
    state = str(gate["state"])
    line = (
        f"#{gate['id']}{'*' if gate.get('owner_id') == me else ''} {state:<9} "
        f"{gate['from_sector_id']}->{gate['to_sector_id']} toll {int(gate['toll']):,}"
    )
    if state == "site":
        missing = ", ".join(f"{n:,} {k}" for k, n in sorted(gate["missing"].items()) if n)
        line += f"  needs {escape(missing or 'nothing')}"
    elif state == "building" and gate.get("seconds_left") is not None:
        line += f"  opens in {duration_text(float(gate['seconds_left']))}"
    return line


def gates_text(page: JSON, me: int | None = None) -> str:
    """The gates list.

    Args:
        page: a ``Page[GateOut]`` document.
        me: the viewing player's id.

    Returns:
        Rich markup, one gate a line (``*`` marks yours), or a note when there is none.
    """
    items = page.get("items") or []
    if not items:
        return "[dim]no player-built gates yet[/]"
    return "\n".join(gate_line(g, me) for g in items)


class GatesDialog(Dialog):
    """The gates screen (see the module).

    Args:
        api: the client.
        me: the ``GET /me`` document (the sector gates are built from, the player's id).

    Attributes:
        changed: whether anything was built, delivered, abandoned or closed.
    """

    def __init__(self, api: StarlaneClient, me: JSON) -> None:
        super().__init__(id="gates-dialog")
        self.api = api
        self.me = me
        self.changed = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog gates"):
            here = self.me["sector_id"]
            yield Label(f"[b]Warp gates[/b] - you are in sector {here} (Esc closes)")
            yield Static("[dim]loading...[/]", id="gates-list")
            with Horizontal(classes="form-row"):
                yield Label("build to sector", classes="form-label")
                yield Input(placeholder="sector id", id="gate-to")
            with Horizontal(classes="form-row"):
                yield Label("toll 0-10,000", classes="form-label")
                yield Input(value="0", id="gate-toll")
            with Horizontal(classes="buttons"):
                yield Button("Build", id="gate-build", variant="primary")
            with Horizontal(classes="form-row"):
                yield Label("gate id", classes="form-label")
                yield Input(placeholder="gate id", id="gate-id")
            with Horizontal(classes="buttons"):
                yield Button("Deliver", id="gate-deliver")
                yield Button("Abandon", id="gate-abandon")
                yield Button("Close", id="gate-close")
                yield Button("Done", id="gate-done")
            yield Static("", id="gate-note")

    async def on_mount(self) -> None:
        """List the gates."""
        await self.reload()

    async def reload(self) -> None:
        """Fetch and show the gates list (the player's own first)."""
        listing = self.query_one("#gates-list", Static)
        try:
            page = await self.api.gates(limit=50)
        except ApiError as exc:
            listing.update(f"[red]{escape(exc.code)}[/]")
            return
        mine = [g for g in page["items"] if g["owner_id"] == self.me.get("id")]
        others = [g for g in page["items"] if g["owner_id"] != self.me.get("id")]
        listing.update(gates_text({"items": mine + others}, self.me.get("id")))

    def _number(self, field: str) -> int:
        text = self.query_one(f"#{field}", Input).value.strip().replace(",", "")
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{field.removeprefix('gate-')}: {text!r} is not a number") from None

    async def _send(self, call: Awaitable[JSON], verb: str) -> None:
        note = self.query_one("#gate-note", Static)
        try:
            gate = await call
        except ApiError as exc:
            detail = f" - {exc.detail}" if exc.detail else ""
            note.update(f"[red]refused: {exc.code}[/]{escape(detail)}")
            return
        self.changed = True
        note.update(f"[green]{verb}[/]: {gate_line(gate, self.me.get('id'))}")
        await self.reload()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        """Build, deliver, abandon, close, or done."""
        button = event.button.id
        if button == "gate-done":
            self.dismiss({"changed": self.changed})
            return
        note = self.query_one("#gate-note", Static)
        try:
            if button == "gate-build":
                to, toll = self._number("gate-to"), self._number("gate-toll")
                call = self.api.build_gate(int(self.me["sector_id"]), to, toll)
                verb = "site opened"
            else:
                gate_id = self._number("gate-id")
                action = (button or "").removeprefix("gate-")
                call = {
                    "deliver": self.api.deliver_gate,
                    "abandon": self.api.abandon_gate,
                    "close": self.api.close_gate,
                }[action](gate_id)
                verb = {"deliver": "delivered", "abandon": "abandoned", "close": "closed"}[action]
        except (ValueError, KeyError) as exc:
            note.update(f"[red]{escape(str(exc))}[/]")
            return
        note.update("[dim]sending...[/]")
        await self._send(call, verb)

    def action_cancel(self) -> None:
        """Close (Escape), telling the main screen whether anything changed."""
        self.dismiss({"changed": self.changed})
