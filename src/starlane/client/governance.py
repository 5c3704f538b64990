"""The terminal client's region panel and the governor's policy screen.

:func:`region_text` renders the current region: its governor (by name when the client knows
it) and its policies (tax, regeneration, price multipliers, immigration, PvP, gate toll,
starting credits). :class:`GovernorDialog` is the governor's screen: a form prefilled with the
region's name, description and policies; Save sends ``PATCH /api/v1/regions/{id}/policies``
with the fields that changed and dismisses with the answer, or shows the server's refusal
(``policy_out_of_bounds`` naming the field, ``forbidden``...) in the dialog, which stays
open. Escape closes it without sending anything.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from starlane.client.api import ApiError, StarlaneClient
from starlane.client.dialogs import Dialog
from starlane.client.diplomacy import diplomacy_lines

JSON = dict[str, Any]

IMMIGRATION = ("open", "permit", "closed")
"""The immigration policies, as the API names them."""

FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "name"),
    ("description", "description"),
    ("tax_rate", "tax rate 0-0.25"),
    ("regen_multiplier", "port regen 0.5-2"),
    ("price_multipliers", "prices 0.8-1.25"),
    ("gate_toll", "gate toll 0-10,000"),
    ("starting_credits", "start credits 0-50k"),
)
"""The text fields of the governor's form: (field, label)."""


def multipliers_text(multipliers: dict[str, float]) -> str:
    """Price multipliers as the form shows them.

    Args:
        multipliers: commodity -> factor.

    Returns:
        ``commodity=factor`` pairs separated by commas, by commodity (empty for none).
    """
    return ", ".join(f"{k}={v:g}" for k, v in sorted(multipliers.items()))


def parse_multipliers(text: str) -> dict[str, float]:
    """Read the form's price multipliers.

    Args:
        text: ``commodity=factor`` pairs separated by commas or spaces (empty: none).

    Returns:
        Commodity -> factor.

    Raises:
        ValueError: a pair without ``=`` or a factor that is not a number.
    """
    found: dict[str, float] = {}
    for pair in text.replace(",", " ").split():
        commodity, sep, factor = pair.partition("=")
        if not sep or not commodity.strip():
            raise ValueError(f"{pair!r} is not commodity=factor")
        found[commodity.strip()] = float(factor)
    return found


def region_text(region: JSON, governor_name: str | None = None) -> str:
    """The region panel: name, kind and status, governor, policies, relations.

    Args:
        region: a ``RegionOut`` document.
        governor_name: the governor's name when the client knows it.

    Returns:
        Rich markup.
    """
    governor_id = region.get("governor_id")
    if governor_id is None:
        governor = "none (platform region)"
    else:
        governor = escape(governor_name or f"player #{governor_id}")
    head = (
        f"[b]{escape(str(region.get('name', '')))}[/b] ({region.get('kind')}, "
        f"{region.get('status', 'active')})"
    )
    lines = [head, f"governor {governor}"]
    policies = region.get("policies")
    if not policies:
        return "\n".join([*lines, "[dim]no policies: the region is closed[/]"])
    multipliers = multipliers_text(policies.get("price_multipliers") or {}) or "none"
    lines += [
        f"tax      {float(policies['tax_rate']):.1%}   regen x{policies['regen_multiplier']:g}",
        f"prices   {escape(multipliers)}",
        f"entry    {policies['immigration']}, toll {int(policies['gate_toll']):,}",
        f"pvp      {'on' if policies['pvp'] else 'off'}   "
        f"start credits {int(policies['starting_credits']):,}",
    ]
    if region.get("treasury") is not None:
        lines.append(f"treasury [b green]{int(region['treasury']):,}[/]")
    lines += diplomacy_lines(region)
    return "\n".join(lines)


def refused_field(error: ApiError) -> str | None:
    """The field a refusal names (``context.field`` of the problem), if any.

    Args:
        error: the refusal.

    Returns:
        The field's name, or None.
    """
    body: Any = error.body
    context = body.get("context") if isinstance(body, dict) else None
    field = context.get("field") if isinstance(context, dict) else None
    return str(field) if field is not None else None


class GovernorDialog(Dialog):
    """The governor's screen: edit the region's policies and send the changed ones.

    Args:
        api: the client (sends the PATCH).
        region: the region's ``RegionOut`` document (the form's starting values).

    Attributes:
        doc: that document.
        policies: its policies.
    """

    def __init__(self, api: StarlaneClient, region: JSON) -> None:
        super().__init__(id="governor-dialog")
        self.api = api
        self.doc = region
        self.policies: JSON = dict(region.get("policies") or {})

    def _current(self, field: str) -> str:
        if field in ("name", "description"):
            return str(self.doc.get(field, ""))
        if field == "price_multipliers":
            return multipliers_text(self.policies.get(field) or {})
        return f"{self.policies.get(field, '')}"

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog governor"):
            yield Label(f"[b]Govern {escape(str(self.doc.get('name', '')))}[/b] (Esc closes)")
            for field, label in FIELDS:
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="form-label")
                    yield Input(value=self._current(field), id=f"gov-{field}")
            with Horizontal(classes="form-row"):
                yield Label("immigration", classes="form-label")
                yield Select(
                    [(p, p) for p in IMMIGRATION],
                    value=str(self.policies.get("immigration", "open")),
                    allow_blank=False,
                    id="gov-immigration",
                )
            with Horizontal(classes="form-row"):
                yield Label("pvp", classes="form-label")
                yield Select(
                    [("off", "off"), ("on", "on")],
                    value="on" if self.policies.get("pvp") else "off",
                    allow_blank=False,
                    id="gov-pvp",
                )
            yield Static("", id="gov-note")
            with Horizontal(classes="buttons"):
                yield Button("Save", id="gov-save", variant="primary")
                yield Button("Cancel", id="gov-cancel")

    def changes(self) -> JSON:
        """The fields the form changes, parsed.

        Returns:
            Field -> new value, only for the fields that differ from the region's.

        Raises:
            ValueError: a number or a price multiplier that does not parse (the message names
                the field).
        """
        values: JSON = {}
        for field, _ in FIELDS:
            text = self.query_one(f"#gov-{field}", Input).value.strip()
            try:
                if field in ("name", "description"):
                    values[field] = text
                elif field == "price_multipliers":
                    values[field] = parse_multipliers(text)
                elif field in ("gate_toll", "starting_credits"):
                    values[field] = int(text.replace(",", ""))
                else:
                    values[field] = float(text.replace(",", ""))
            except ValueError:
                raise ValueError(f"{field}: {text!r} is not a valid value") from None
        values["immigration"] = str(self.query_one("#gov-immigration", Select).value)
        values["pvp"] = self.query_one("#gov-pvp", Select).value == "on"
        current: JSON = {
            **self.policies,
            "name": self.doc.get("name", ""),
            "description": self.doc.get("description", ""),
        }
        current["price_multipliers"] = dict(current.get("price_multipliers") or {})
        return {k: v for k, v in values.items() if current.get(k) != v}

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        """Save (send the changes; dismiss with the answer, or show the refusal) or cancel."""
        if event.button.id == "gov-cancel":
            self.dismiss(None)
            return
        note = self.query_one("#gov-note", Static)
        try:
            changes = self.changes()
        except ValueError as exc:
            note.update(f"[red]{escape(str(exc))}[/]")
            return
        if not changes:
            note.update("[yellow]nothing changed[/]")
            return
        note.update("[dim]sending...[/]")
        try:
            answer = await self.api.change_region_policies(int(self.doc["id"]), changes)
        except ApiError as exc:
            field = refused_field(exc)
            where = f" ({field})" if field else ""
            detail = f" - {exc.detail}" if exc.detail else ""
            note.update(f"[red]refused: {exc.code}{escape(where)}[/]{escape(detail)}")
            return
        self.dismiss({"changes": changes, "answer": answer})
