"""The terminal client's Warp Jumper and discovery screens (keys ``j`` and ``y``).

:class:`JumpDialog` asks for a sector id (any region) and dismisses with it; the app then
sends ``POST /api/v1/me/jump`` and logs the distance, fuel burned and any discovery bonus
(:func:`jump_text`). :class:`DiscoveriesDialog` shows the sectors the player discovered
(``GET /api/v1/me/discoveries``, first page) and the discovery scan (``GET
/api/v1/discovery/scan``: new regions not yet visited, with the bonus each still pays); it
only reads, and Escape or Close dismisses it.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from starlane.client.api import ApiError, StarlaneClient
from starlane.client.dialogs import Dialog

JSON = dict[str, Any]

__all__ = ["DiscoveriesDialog", "JumpDialog", "discoveries_text", "jump_text", "scan_text"]


def jump_text(result: JSON) -> str:
    """One event-pane line for a jump's answer.

    Args:
        result: the answer of ``POST /api/v1/me/jump``.

    Returns:
        Rich markup.
    """
    text = (
        f"jumped {result['distance']:.1f} units to sector [b]{result['sector_id']}[/] "
        f"(region {result['region_id']}), {result['fuel_burned']} fuel burned, "
        f"{result['fuel_left']} left"
    )
    if result.get("first_visit"):
        text += " - first visit!"
    if result.get("discovery_bonus"):
        text += f" [green]+{result['discovery_bonus']:,} credits: first visitor![/]"
    return text


def discoveries_text(page: JSON) -> str:
    """The discoveries list as text.

    Args:
        page: a page of ``GET /api/v1/me/discoveries``.

    Returns:
        Rich markup, one line per sector (or a note when there is none).
    """
    items = page.get("items", [])
    if not items:
        return "no sector discovered yet: be the first to enter one"
    lines = [
        f"sector {i['sector_id']} (#{i['number']} of {escape(i['region_name'])})" for i in items
    ]
    if page.get("next_cursor"):
        lines.append("…")
    return "\n".join(lines)


def scan_text(page: JSON) -> str:
    """The discovery scan as text.

    Args:
        page: a page of ``GET /api/v1/discovery/scan``.

    Returns:
        Rich markup, one line per region (or a note when there is none).
    """
    items = page.get("items", [])
    if not items:
        return "no new region to discover"
    return "\n".join(
        f"region {r['region_id']} [b]{escape(r['name'])}[/] ({r['immigration']}): "
        + (f"[green]{r['bonus']:,} credits[/] to its first visitor" if r["bonus"] else "visited")
        for r in items
    )


class JumpDialog(Dialog):
    """Jump to a sector id of any region within the Warp Jumper's range."""

    def __init__(self) -> None:
        super().__init__(id="jump-dialog")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("[b]Warp jump[/b]: destination sector id (any region)")
            yield Input(placeholder="sector id", id="jump-to")
            yield Static("", id="jump-note")
            with Horizontal(classes="buttons"):
                yield Button("Jump", id="jump-go", variant="primary")
                yield Button("Cancel", id="jump-cancel")

    def _submit(self, value: str) -> None:
        text = value.strip()
        if not (text.isascii() and text.isdigit() and int(text) > 0):
            self.query_one("#jump-note", Static).update(
                "[red]a sector id is a positive whole number[/]"
            )
            return
        self.dismiss({"to_sector_id": int(text)})

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter jumps."""
        self._submit(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Jump or cancel."""
        if event.button.id == "jump-cancel":
            self.dismiss(None)
            return
        self._submit(self.query_one("#jump-to", Input).value)


class DiscoveriesDialog(Dialog):
    """The player's discoveries and the discovery scan (read only)."""

    def __init__(self, api: StarlaneClient) -> None:
        super().__init__(id="discoveries-dialog")
        self.api = api

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("[b]Your discoveries[/b]")
            yield Static("…", id="discoveries-list")
            yield Label("[b]Discovery scan[/b]: new regions you have not visited")
            yield Static("…", id="discovery-scan")
            with Horizontal(classes="buttons"):
                yield Button("Close", id="discoveries-close", variant="primary")

    async def on_mount(self) -> None:
        """Fetch both lists."""
        mine = self.query_one("#discoveries-list", Static)
        scan = self.query_one("#discovery-scan", Static)
        try:
            mine.update(discoveries_text(await self.api.discoveries(limit=20)))
            scan.update(scan_text(await self.api.discovery_scan()))
        except ApiError as exc:
            scan.update(f"[red]{exc.code}: {escape(exc.detail or '')}[/]")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Close."""
        self.dismiss(None)
