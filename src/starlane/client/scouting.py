"""The scouting screen of the terminal client (key ``o``): file a report, read the latest.

:class:`ScoutingDialog` lists the latest reports on the region the player is in (author, age,
kind, score), and files a report of the chosen kind with ``POST /api/v1/scouting/reports``:
the answer (score and reward) or the refusal (``insufficient_scouting_hours`` with the hours
scouted, ``scouting_report_too_soon`` with the seconds left) shows in the dialog.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Label, Select, Static

from starlane.client.api import ApiError, StarlaneClient
from starlane.client.dialogs import Dialog

__all__ = ["KINDS", "ScoutingDialog", "file_report", "list_reports", "refusal_text", "reports_text"]

JSON = dict[str, Any]
KINDS = ("economy", "politics", "military", "opportunities")
"""The report kinds, in the order the dialog offers them."""
URL = "/api/v1/scouting/reports"


async def file_report(api: StarlaneClient, region_id: int, kind: str) -> JSON:
    """File a scouting report.

    Args:
        api: the client.
        region_id: the region reported on.
        kind: a report kind.

    Returns:
        The report (``ScoutingReportOut``).

    Raises:
        ApiError: refused (``insufficient_scouting_hours``, ``scouting_report_too_soon``...).
    """
    body = await api.request("POST", URL, json={"region_id": region_id, "kind": kind})
    return body if isinstance(body, dict) else {}


async def list_reports(api: StarlaneClient, region_id: int, limit: int = 10) -> list[JSON]:
    """The latest reports on a region, newest first.

    Args:
        api: the client.
        region_id: the region.
        limit: at most this many.

    Returns:
        The summaries.

    Raises:
        ApiError: the request failed.
    """
    body = await api.request("GET", URL, params={"region_id": region_id, "limit": limit})
    items = body.get("items") if isinstance(body, dict) else None
    return [i for i in items or [] if isinstance(i, dict)]


def _age(seconds: float) -> str:
    if seconds < 3_600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86_400:
        return f"{seconds / 3_600:.1f} h"
    return f"{seconds / 86_400:.1f} d"


def reports_text(items: list[JSON]) -> str:
    """The report list as Rich markup, one line per report.

    Args:
        items: report summaries.

    Returns:
        The text.
    """
    if not items:
        return "[dim]no reports on this region yet[/]"
    lines = []
    for i in items:
        author = escape(str(i.get("author_name") or f"#{i.get('author_id')}"))
        lines.append(
            f"#{i.get('id')} {escape(str(i.get('kind')))} by {author}, "
            f"{_age(float(i.get('age_seconds', 0)))} ago: quality [b]{i.get('quality')}[/b]"
        )
    return "\n".join(lines)


def refusal_text(error: ApiError) -> str:
    """A refusal as Rich markup, with the numbers the problem's context carries.

    Args:
        error: the refusal.

    Returns:
        The text.
    """
    body = error.body if isinstance(getattr(error, "body", None), dict) else {}
    context = body.get("context") if isinstance(body, dict) else None
    extra = ""
    if isinstance(context, dict):
        if "scouted_hours" in context:
            extra = f" ({context['scouted_hours']} of {context.get('needed_hours')} hours)"
        elif "retry_after_seconds" in context:
            extra = f" (again in {context['retry_after_seconds']} s)"
    return f"[red]refused: {escape(error.code)}{escape(extra)}[/]"


class ScoutingDialog(Dialog):
    """File a scouting report on the current region; see the latest ones.

    Args:
        api: the client.
        region: the current region's ``RegionOut`` document (``id``, ``name``).

    Attributes:
        doc: that document.
    """

    def __init__(self, api: StarlaneClient, region: JSON) -> None:
        super().__init__(id="scouting-dialog")
        self.api = api
        self.doc = region

    def compose(self) -> ComposeResult:
        name = escape(str(self.doc.get("name", "")))
        with VerticalScroll(classes="dialog governor"):
            yield Label(f"[b]Scouting reports on {name}[/b] (Esc closes)")
            yield Static("[dim]loading...[/]", id="scout-list")
            with Horizontal(classes="form-row"):
                yield Label("kind", classes="form-label")
                yield Select(
                    [(k, k) for k in KINDS], value=KINDS[0], allow_blank=False, id="scout-kind"
                )
            yield Static("", id="scout-note")
            with Horizontal(classes="buttons"):
                yield Button("File report", id="scout-file", variant="primary")
                yield Button("Close", id="scout-close")

    async def on_mount(self) -> None:
        """Load the latest reports."""
        await self.reload()

    async def reload(self) -> None:
        """Show the latest reports on the region."""
        pane = self.query_one("#scout-list", Static)
        try:
            pane.update(reports_text(await list_reports(self.api, int(self.doc["id"]))))
        except ApiError as exc:
            pane.update(f"[red]{escape(exc.code)}[/]")

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        """File a report of the chosen kind (show its score, or the refusal) or close."""
        if event.button.id == "scout-close":
            self.dismiss(None)
            return
        note = self.query_one("#scout-note", Static)
        kind = str(self.query_one("#scout-kind", Select).value)
        note.update("[dim]filing...[/]")
        try:
            report = await file_report(self.api, int(self.doc["id"]), kind)
        except ApiError as exc:
            note.update(refusal_text(exc))
            return
        note.update(
            f"[green]report #{report.get('id')} filed[/]: quality [b]{report.get('quality')}[/b], "
            f"reward {report.get('reward', 0):,} credits"
        )
        await self.reload()
