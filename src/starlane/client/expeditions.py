"""The terminal client's expedition screen (key ``e``): plan, save and fly a trade expedition.

:class:`ExpeditionDialog` takes the waypoints (sector ids separated by commas or spaces) and
an optional turn limit. *Plan* shows the best order, each leg's trades and risk and the
projected profit, turns and real duration (``POST /api/v1/expeditions/plan``). *Save* saves
the plan (``POST /api/v1/expeditions``); *Fly leg* flies the saved expedition's next leg
(``POST /api/v1/expeditions/{id}/next``) and shows every flown leg's actual figures next to
the projected ones. A refusal is shown in the dialog, which stays open; Escape or Close
dismisses it with the last expedition document (the app then refreshes its view).
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from starlane.client.api import API_PREFIX, ApiError, StarlaneClient
from starlane.client.dialogs import Dialog

JSON = dict[str, Any]


def parse_waypoints(text: str) -> list[int]:
    """Read the waypoint field.

    Args:
        text: sector ids separated by commas or spaces.

    Returns:
        The ids, in the order typed.

    Raises:
        ValueError: an entry that is not a whole number.
    """
    found: list[int] = []
    for part in text.replace(",", " ").split():
        if not part.isdigit():
            raise ValueError(f"{part!r} is not a sector id")
        found.append(int(part))
    return found


def _trades(trades: list[JSON]) -> str:
    if not trades:
        return "no trade"
    out = []
    for t in trades:
        verb = "sell" if t["side"] == "sell" else "buy"
        text = f"{verb} {t['units']} {t['commodity']} ({int(t['credits']):+,})"
        if t.get("refused"):
            text += f" refused {t['refused']}"
        out.append(text)
    return ", ".join(out)


def expedition_text(doc: JSON) -> str:
    """A plan or a saved expedition as the dialog shows it.

    Args:
        doc: a ``PlanOut`` or ``ExpeditionOut`` document.

    Returns:
        Rich markup: totals, risk, then one block per leg (projected, and actual when flown).
    """
    risk = doc["risk"]
    head = f"order {' > '.join(str(s) for s in doc['order'])}"
    if not doc.get("exact", True):
        head += " (heuristic)"
    lines = [
        f"[b]{escape(head)}[/b]",
        f"projected profit [b green]{int(doc['projected_profit']):+,}[/], "
        f"{int(doc['projected_turns']):,} turns, "
        f"wait {float(doc['real_duration_seconds']) / 3600:.1f} h",
        f"risk {risk['level']}: piracy up to {risk['max_piracy']}, tolls {risk['tolls']:,}"
        + (f", closed {risk['closed_regions']}" if risk["closed_regions"] else "")
        + (f", hostile {risk['hostile_regions']}" if risk["hostile_regions"] else ""),
    ]
    if "id" in doc:
        lines.append(
            f"expedition #{doc['id']} {doc['status']}: {doc['next_leg']}/{len(doc['legs'])} "
            f"legs flown, actual {int(doc['actual_profit']):+,} credits, "
            f"{int(doc['actual_turns']):,} turns"
        )
    for leg in doc["legs"]:
        p = leg["projected"]
        lines.append(
            f"{leg['leg'] + 1}. sector {leg['sector_id']} (region {leg['region_id']}): "
            f"{p['turns']} turns, toll {p['tolls']:,}, {escape(_trades(p['trades']))} "
            f"({leg['risk']['level']} risk)"
        )
        a = leg.get("actual")
        if a:
            lines.append(
                f"   actual: {a['turns']} turns, toll {a['tolls']:,}, "
                f"{escape(_trades(a['trades']))}"
            )
    return "\n".join(lines)


class ExpeditionDialog(Dialog):
    """Plan, save and fly a trade expedition (see the module docstring).

    Args:
        api: the client.

    Attributes:
        doc: the last plan or expedition shown.
    """

    def __init__(self, api: StarlaneClient) -> None:
        super().__init__(id="expedition-dialog")
        self.api = api
        self.doc: JSON | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog expedition"):
            yield Label("[b]Trade expedition[/b] (Esc closes)")
            with Horizontal(classes="form-row"):
                yield Label("waypoints", classes="form-label")
                yield Input(placeholder="sector ids, e.g. 12, 40, 77", id="exp-waypoints")
            with Horizontal(classes="form-row"):
                yield Label("max turns", classes="form-label")
                yield Input(placeholder="optional", id="exp-max-turns")
            with Horizontal(classes="buttons"):
                yield Button("Plan", id="exp-plan", variant="primary")
                yield Button("Save", id="exp-save")
                yield Button("Fly leg", id="exp-fly")
                yield Button("Close", id="exp-close")
            yield Static("", id="exp-note")
            yield Static("", id="exp-plan-text")

    def request_body(self) -> JSON:
        """The plan request the form holds.

        Raises:
            ValueError: a field that does not parse.
        """
        waypoints = parse_waypoints(self.query_one("#exp-waypoints", Input).value)
        turns = self.query_one("#exp-max-turns", Input).value.strip()
        body: JSON = {"waypoints": waypoints}
        if turns:
            if not turns.isdigit():
                raise ValueError(f"max turns: {turns!r} is not a whole number")
            body["max_turns"] = int(turns)
        return body

    def show(self, doc: JSON) -> None:
        """Show a plan or an expedition."""
        self.doc = doc
        self.query_one("#exp-plan-text", Static).update(expedition_text(doc))

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        """Plan, save, fly the next leg, or close."""
        button = event.button.id
        if button == "exp-close":
            self.dismiss(self.doc)
            return
        note = self.query_one("#exp-note", Static)
        try:
            if button == "exp-fly":
                if self.doc is None or "id" not in self.doc:
                    note.update("[yellow]save a plan first[/]")
                    return
                path = f"{API_PREFIX}/expeditions/{self.doc['id']}/next"
                answer = await self.api.request("POST", path)
                note.update(f"[green]leg {answer['next_leg']} flown[/]")
            else:
                body = self.request_body()
                path = f"{API_PREFIX}/expeditions" + ("/plan" if button == "exp-plan" else "")
                answer = await self.api.request("POST", path, json=body)
                saved = button == "exp-save"
                note.update(f"[green]saved as #{answer['id']}[/]" if saved else "planned")
        except ValueError as exc:
            note.update(f"[red]{escape(str(exc))}[/]")
            return
        except ApiError as exc:
            detail = f" - {exc.detail}" if exc.detail else ""
            note.update(f"[red]refused: {exc.code}[/]{escape(detail)}")
            return
        self.show(answer)
