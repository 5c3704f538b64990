"""The terminal client's guild screen (key ``l``): my guild, members, treasury, requests.

:class:`GuildDialog` loads ``GET /api/v1/me/guild`` and, for a member, the guild's members and
(for its officers and leader) the pending join requests, rendered by :func:`guild_text`. Its
fields and buttons send the guild routes:

- without a guild: **Create** (name and tag), **Join** (asks the guild id; a guild that
  invited the player takes them at once), **Accept invite** (guild id);
- in a guild: **Deposit** (amount), **Withdraw** (amount to player id; officers and the
  leader), **Accept** / **Reject** (a join request, by player id), **Invite** (player id),
  **Leave**.

Every answer reloads the screen; a refusal shows its code and detail in the screen, which stays
open. Escape closes it.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from starlane.client.api import ApiError, StarlaneClient
from starlane.client.dialogs import Dialog

__all__ = ["GuildDialog", "guild_text"]

JSON = dict[str, Any]
G = "/api/v1/guilds"


def guild_text(mine: JSON, members: list[JSON], requests: list[JSON]) -> str:
    """The guild panel: the guild, its treasury, members and pending requests.

    Args:
        mine: a ``MyGuildOut`` document (``guild`` and ``invitations``).
        members: the guild's ``MemberOut`` documents (empty without a guild).
        requests: its pending ``RequestOut`` documents (empty unless an officer).

    Returns:
        Rich markup.
    """
    guild = mine.get("guild")
    if not guild:
        lines = ["[b]no guild[/b]: create one, or join one by its id"]
        invites = [i for i in mine.get("invitations", []) if i.get("kind") == "invite"]
        asked = [i for i in mine.get("invitations", []) if i.get("kind") == "request"]
        lines += [f"invited by guild #{i['guild_id']}" for i in invites]
        lines += [f"asked to join guild #{i['guild_id']}" for i in asked]
        return "\n".join(lines)
    lines = [
        f"[b]{escape(str(guild['name']))}[/b] [{escape(str(guild['tag']))}] "
        f"#{guild['id']} - you are {guild.get('my_role')}",
        f"treasury [b green]{int(guild.get('treasury') or 0):,}[/] credits",
        f"members ({guild.get('member_count', len(members))}):",
    ]
    lines += [f"  player #{m['player_id']} {m['role']}" for m in members]
    if requests:
        lines.append("pending:")
        lines += [f"  player #{r['player_id']} {r['kind']}" for r in requests]
    return "\n".join(lines)


def _int(text: str) -> int | None:
    try:
        return int(text.strip().replace(",", ""))
    except ValueError:
        return None


class GuildDialog(Dialog):
    """The guild screen (see the module docstring).

    Args:
        api: the client.

    Attributes:
        mine: the last ``MyGuildOut`` loaded (None before the first load).
    """

    def __init__(self, api: StarlaneClient) -> None:
        super().__init__(id="guild-dialog")
        self.api = api
        self.mine: JSON | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog governor"):
            yield Label("[b]Guild[/b] (Esc closes)")
            yield Static("[dim]loading...[/]", id="guild-info")
            for field, label in (
                ("amount", "amount"),
                ("player", "player id"),
                ("id", "guild id"),
                ("name", "new guild name"),
                ("tag", "new guild tag"),
            ):
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="form-label")
                    yield Input(id=f"guild-{field}")
            yield Static("", id="guild-note")
            with Horizontal(classes="buttons"):
                yield Button("Deposit", id="guild-deposit", variant="primary")
                yield Button("Withdraw", id="guild-withdraw")
                yield Button("Accept", id="guild-accept")
                yield Button("Reject", id="guild-reject")
                yield Button("Invite", id="guild-invite")
            with Horizontal(classes="buttons"):
                yield Button("Create", id="guild-create")
                yield Button("Join", id="guild-join")
                yield Button("Accept invite", id="guild-accept-invite")
                yield Button("Leave", id="guild-leave", variant="error")

    async def on_mount(self) -> None:
        """Load the guild."""
        await self.reload()

    def _value(self, field: str) -> str:
        return self.query_one(f"#guild-{field}", Input).value.strip()

    def guild_id(self) -> int | None:
        """The caller's guild id, or None without a guild."""
        guild = (self.mine or {}).get("guild")
        return int(guild["id"]) if guild else None

    async def reload(self) -> None:
        """Fetch the caller's guild, its members and (for officers) its pending requests."""
        try:
            mine = await self.api.request("GET", "/api/v1/me/guild")
            members: list[JSON] = []
            requests: list[JSON] = []
            guild = mine.get("guild")
            if guild:
                answer = await self.api.request("GET", f"{G}/{guild['id']}/members")
                members = answer["members"]
                if guild.get("my_role") in ("leader", "officer"):
                    answer = await self.api.request("GET", f"{G}/{guild['id']}/requests")
                    requests = answer["requests"]
        except ApiError as exc:
            self._refused(exc)
            return
        self.mine = mine
        self.query_one("#guild-info", Static).update(guild_text(mine, members, requests))

    def _refused(self, exc: ApiError) -> None:
        detail = f" - {exc.detail}" if exc.detail else ""
        self.query_one("#guild-note", Static).update(
            f"[red]refused: {escape(exc.code)}[/]{escape(detail)}"
        )

    def _request(self, button: str) -> tuple[str, str, JSON | None] | str:
        """The request a button sends, or the note to show when a field is missing."""
        gid = self.guild_id()
        amount, player, other = (
            _int(self._value("amount")),
            _int(self._value("player")),
            _int(self._value("id")),
        )
        if button == "create":
            return ("POST", G, {"name": self._value("name"), "tag": self._value("tag")})
        if button in ("join", "accept-invite"):
            if other is None:
                return "enter the guild id"
            path = "join" if button == "join" else "invitation/accept"
            return ("POST", f"{G}/{other}/{path}", None)
        if gid is None:
            return "you are in no guild"
        if button == "leave":
            return ("POST", f"{G}/{gid}/leave", None)
        if button == "deposit":
            if amount is None:
                return "enter an amount"
            return ("POST", f"{G}/{gid}/deposit", {"amount": amount})
        if player is None:
            return "enter a player id"
        if button == "withdraw":
            if amount is None:
                return "enter an amount"
            return ("POST", f"{G}/{gid}/withdraw", {"amount": amount, "to_player_id": player})
        if button == "invite":
            return ("POST", f"{G}/{gid}/invite", {"player_id": player})
        return ("POST", f"{G}/{gid}/requests/{player}/{button}", None)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        """Send the button's request, then reload (or show the refusal)."""
        button = (event.button.id or "").removeprefix("guild-")
        note = self.query_one("#guild-note", Static)
        request = self._request(button)
        if isinstance(request, str):
            note.update(f"[yellow]{escape(request)}[/]")
            return
        method, path, body = request
        try:
            answer = await self.api.request(method, path, json=body)
        except ApiError as exc:
            self._refused(exc)
            return
        outcome = answer.get("outcome") or answer.get("status") or "done"
        note.update(f"[green]{escape(button)}: {escape(str(outcome))}[/]")
        await self.reload()
