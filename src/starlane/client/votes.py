"""The terminal client's votes screen (key ``v``): the current region's proposals, voting,
proposing a tax rate or a recall.

:class:`VotesDialog` lists the region's proposals, newest first
(``GET /api/v1/regions/{id}/proposals``), one line each (:func:`proposal_line`: id, what it
asks, state, tally, the player's own vote, when it closes). Below the list: a proposal id
with **Yes** / **No** (``POST /api/v1/proposals/{id}/votes``), a tax rate with **Propose
tax** and **Propose recall** (``POST /api/v1/regions/{id}/proposals``). Every answer reloads
the list; a refusal (``forbidden`` for a non-citizen, ``citizen_too_new``,
``proposal_closed``, ``policy_out_of_bounds``...) is shown in the dialog, which stays open.
Escape closes it.
"""

from __future__ import annotations

import time
from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from starlane.client.api import API_PREFIX, ApiError, StarlaneClient
from starlane.client.dialogs import Dialog

JSON = dict[str, Any]

__all__ = ["VotesDialog", "proposal_line", "what_it_asks"]


def what_it_asks(proposal: JSON) -> str:
    """A proposal's request in words.

    Args:
        proposal: a ``ProposalOut`` document.

    Returns:
        ``recall the governor``, or the changes as ``field=value`` pairs.
    """
    if proposal.get("kind") == "recall":
        return "recall the governor"
    changes = proposal.get("changes") or {}
    return ", ".join(f"{k}={v}" for k, v in sorted(changes.items())) or "no change"


def proposal_line(proposal: JSON, now: float | None = None) -> str:
    """One line of the list: ``#id what [state] yes/no (votes of citizens) mine, closes``.

    Args:
        proposal: a ``ProposalOut`` document.
        now: unix seconds (default: the local clock), for the time left.

    Returns:
        Rich markup.
    """
    tally = proposal.get("tally") or {}
    state = str(proposal.get("state", "open"))
    colour = {"open": "cyan", "passed": "green", "failed": "red"}.get(state, "yellow")
    line = (
        f"#{proposal.get('id')} {escape(what_it_asks(proposal))} [{colour}]{state}[/] "
        f"yes {tally.get('yes', 0)} / no {tally.get('no', 0)} "
        f"(quorum {tally.get('quorum_needed', 0)} of {tally.get('citizens', 0)})"
    )
    mine = proposal.get("my_vote")
    if mine:
        line += f" you: {mine}"
    if state == "open":
        left = float(proposal.get("closes_at", 0)) - (time.time() if now is None else now)
        line += f", closes in {max(0.0, left) / 3600:.1f} h"
    return line


class VotesDialog(Dialog):
    """The votes screen of one region (see the module docstring).

    Args:
        api: the client.
        region: the region's ``RegionOut`` document.

    Attributes:
        doc: the region's document.
        proposals: the proposals last loaded, newest first.
    """

    def __init__(self, api: StarlaneClient, region: JSON) -> None:
        super().__init__(id="votes-dialog")
        self.api = api
        self.doc = region
        self.proposals: list[JSON] = []

    @property
    def region_id(self) -> int:
        """The region's id."""
        return int(self.doc["id"])

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog votes"):
            name = escape(str(self.doc.get("name", "")))
            yield Label(f"[b]Proposals of {name}[/b] (Esc closes)")
            yield Static("[dim]loading...[/]", id="votes-list")
            with Horizontal(classes="form-row"):
                yield Input(placeholder="proposal id", id="votes-id", classes="form-label")
                yield Button("Yes", id="votes-yes", variant="success")
                yield Button("No", id="votes-no", variant="error")
            with Horizontal(classes="form-row"):
                yield Input(placeholder="tax rate 0-0.25", id="votes-tax", classes="form-label")
                yield Button("Propose tax", id="votes-propose")
            with Horizontal(classes="buttons"):
                yield Button("Propose recall", id="votes-recall")
                yield Button("Close", id="votes-close")
            yield Static("", id="votes-note")

    async def on_mount(self) -> None:
        """Load the proposals."""
        await self.reload()

    async def reload(self) -> None:
        """Fetch the region's proposals and show them."""
        listing = self.query_one("#votes-list", Static)
        try:
            page = await self.api.request("GET", f"{API_PREFIX}/regions/{self.region_id}/proposals")
        except ApiError as exc:
            listing.update(f"[red]{escape(exc.code)}[/]")
            return
        self.proposals = list(page.get("items") or [])
        if not self.proposals:
            listing.update("[dim]no proposals yet[/]")
            return
        listing.update("\n".join(proposal_line(p) for p in self.proposals))

    def _note(self, text: str) -> None:
        self.query_one("#votes-note", Static).update(text)

    async def _send(self, path: str, body: JSON, done: str) -> None:
        try:
            await self.api.request("POST", f"{API_PREFIX}{path}", json=body)
        except ApiError as exc:
            detail = f" - {exc.detail}" if exc.detail else ""
            self._note(f"[red]refused: {escape(exc.code)}[/]{escape(detail)}")
            return
        self._note(f"[green]{escape(done)}[/]")
        await self.reload()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        """Vote, propose, or close."""
        button = event.button.id
        if button == "votes-close":
            self.dismiss(None)
            return
        if button in ("votes-yes", "votes-no"):
            text = self.query_one("#votes-id", Input).value.strip().lstrip("#")
            if not text.isdigit():
                self._note("[red]type the id of a proposal first[/]")
                return
            choice = "yes" if button == "votes-yes" else "no"
            await self._send(
                f"/proposals/{int(text)}/votes", {"choice": choice}, f"voted {choice} on #{text}"
            )
        elif button == "votes-propose":
            text = self.query_one("#votes-tax", Input).value.strip()
            try:
                rate = float(text)
            except ValueError:
                self._note(f"[red]{escape(repr(text))} is not a tax rate[/]")
                return
            body = {"kind": "policy", "changes": {"tax_rate": rate}}
            await self._send(f"/regions/{self.region_id}/proposals", body, "proposed")
        elif button == "votes-recall":
            body = {"kind": "recall"}
            await self._send(f"/regions/{self.region_id}/proposals", body, "recall proposed")
