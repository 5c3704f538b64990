"""The terminal client's forums screen (key ``f``): boards, threads, posts; read and write.

:class:`ForumDialog` has three levels, Escape going up one (and closing from the boards):

1. the boards (``GET /api/v1/forums/boards``): ``galaxy`` and one per region;
2. a board's threads (``GET /api/v1/forums/{board}/threads``), pinned first, marked
   ``[pinned]`` / ``[locked]``; ``n`` focuses the form to open a thread (a title and a body);
3. a thread's posts (``GET /api/v1/forums/threads/{id}``), oldest first, deleted and hidden
   ones as placeholders; the form below replies.

With a live connection (the app's WebSocket), the dialog follows the open board's channel
``forum:<board>``: a new post, an edit or a moderation there reloads what is shown
(:meth:`ForumDialog.forum_changed`, called by the app for each forum ``change`` message).

The form's Post button sends; the server's refusals (``thread_locked``, ``rate_limited``,
``validation_error``...) are shown in the dialog, which stays open. Posts are shown as their
Markdown source, escaped (the terminal never interprets a post's markup).

:func:`thread_line` and :func:`post_text` render one thread and one post.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from starlane.client.api import ApiError, StarlaneClient
from starlane.client.dialogs import Dialog

JSON = dict[str, Any]

FORUMS = "/api/v1/forums"


def thread_line(thread: JSON) -> str:
    """One thread in a board's list.

    Args:
        thread: a ``ThreadOut`` document.

    Returns:
        Plain text: flags, title, author and post count.
    """
    flags = "".join(f"[{name}] " for name in ("pinned", "locked", "hidden") if thread.get(name))
    posts = int(thread.get("post_count", 0))
    return (
        f"{flags}{thread.get('title', '')} - {thread.get('author', '?')}, "
        f"{posts} post{'s' if posts != 1 else ''}"
    )


def post_text(post: JSON) -> str:
    """One post of a thread.

    Args:
        post: a ``PostOut`` document.

    Returns:
        Rich markup: the author, then the body (escaped), or the placeholder of a deleted or
        hidden post.
    """
    head = f"[b]{escape(str(post.get('author', '?')))}[/b] #{post.get('id')}"
    if post.get("edited_at") and not post.get("deleted"):
        head += " [dim](edited)[/]"
    if post.get("hidden"):
        return f"{head}\n[dim]hidden by a moderator: {escape(str(post.get('hidden_reason')))}[/]"
    if post.get("deleted"):
        return f"{head}\n[dim]deleted by its author[/]"
    return f"{head}\n{escape(str(post.get('body') or ''))}"


class ForumDialog(Dialog):
    """The forums: boards, then threads, then posts (see the module docstring).

    Args:
        api: the client.
        live: the app's live connection (a :class:`~starlane.client.live.LiveConnection`),
            or None.

    Attributes:
        board: the board open (its name), or None at the boards.
        thread: the thread open (``ThreadOut``), or None.
        boards: the boards listed.
        threads: the threads listed.
        posts: the open thread's posts.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", show=True),
        Binding("n", "compose", "New", show=True),
    ]

    def __init__(self, api: StarlaneClient, live: Any = None) -> None:
        super().__init__(id="forum-dialog")
        self.api = api
        self.live = live
        self.following: str | None = None
        self.board: str | None = None
        self.thread: JSON | None = None
        self.boards: list[JSON] = []
        self.threads: list[JSON] = []
        self.posts: list[JSON] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog forums"):
            yield Label("[b]Forums[/b]", id="forum-title")
            yield OptionList(id="forum-list")
            yield VerticalScroll(id="forum-posts")
            yield Input(placeholder="title of a new thread", id="forum-subject")
            yield Input(placeholder="your post (Markdown)", id="forum-body")
            with Horizontal(classes="buttons"):
                yield Button("Post", id="forum-send", variant="primary")
            yield Static("", id="forum-note")

    async def on_mount(self) -> None:
        """Show the boards."""
        await self.show_boards()

    # --- levels ---------------------------------------------------------------------------
    def _layout(self, *, listing: bool, form: bool, subject: bool) -> None:
        self.query_one("#forum-list", OptionList).display = listing
        self.query_one("#forum-posts", VerticalScroll).display = not listing
        self.query_one("#forum-subject", Input).display = subject
        self.query_one("#forum-body", Input).display = form
        self.query_one("#forum-send", Button).display = form

    def _note(self, text: str) -> None:
        self.query_one("#forum-note", Static).update(text)

    async def _get(self, path: str) -> JSON | None:
        try:
            body = await self.api.request("GET", f"{FORUMS}{path}")
        except ApiError as exc:
            self._note(f"[red]{escape(exc.code)}[/] {escape(exc.detail or '')}")
            return None
        return body if isinstance(body, dict) else None

    async def show_boards(self) -> None:
        """The boards."""
        self.board, self.thread = None, None
        await self._follow(None)
        self.query_one("#forum-title", Label).update("[b]Forums[/b] - pick a board (Esc closes)")
        self._layout(listing=True, form=False, subject=False)
        body = await self._get("/boards")
        self.boards = list(body["items"]) if body else []
        options = self.query_one("#forum-list", OptionList)
        options.clear_options()
        options.add_options([Option(escape(b["title"]), id=b["name"]) for b in self.boards])
        options.focus()

    async def _follow(self, board: str | None) -> None:
        """Subscribe to the board's channel (leaving the one followed before)."""
        if self.live is None or board == self.following:
            return
        try:
            if self.following is not None:
                await self.live.request("unsubscribe", channel=f"forum:{self.following}")
            if board is not None:
                await self.live.request("subscribe", channel=f"forum:{board}")
        except ApiError:
            return
        self.following = board

    async def forum_changed(self, message: JSON) -> None:
        """A change on a followed board: reload the thread or the board shown, if concerned.

        Args:
            message: the ``{"type": "change", "kind", "payload", ...}`` message.
        """
        payload = message.get("payload") or {}
        if self.thread is not None:
            thread_id = int(self.thread["id"])
            concerned = payload.get("thread_id") == thread_id or (
                message.get("kind") == "forum.thread.moderated" and payload.get("id") == thread_id
            )
            if concerned:
                await self.show_thread(thread_id)
        elif self.board is not None and payload.get("board") == self.board:
            await self.show_board(self.board)

    async def show_board(self, board: str) -> None:
        """A board's threads.

        Args:
            board: the board's name.
        """
        self.board, self.thread = board, None
        await self._follow(board)
        title = next((b["title"] for b in self.boards if b["name"] == board), board)
        self.query_one("#forum-title", Label).update(
            f"[b]{escape(title)}[/b] - pick a thread, n: new thread, Esc: boards"
        )
        self._layout(listing=True, form=True, subject=True)
        body = await self._get(f"/{board}/threads")
        self.threads = list(body["items"]) if body else []
        options = self.query_one("#forum-list", OptionList)
        options.clear_options()
        options.add_options([Option(escape(thread_line(t)), id=str(t["id"])) for t in self.threads])
        if not self.threads:
            self._note("[dim]no threads yet: n opens one[/]")
        options.focus()

    async def show_thread(self, thread_id: int) -> None:
        """A thread's posts.

        Args:
            thread_id: the thread.
        """
        body = await self._get(f"/threads/{thread_id}?limit=200")
        if body is None:
            return
        self.thread, self.posts = body["thread"], list(body["posts"])
        locked = " [locked]" if self.thread.get("locked") else ""
        self.query_one("#forum-title", Label).update(
            f"[b]{escape(str(self.thread['title']))}[/b]{locked} - Esc: threads"
        )
        self._layout(listing=False, form=True, subject=False)
        scroll = self.query_one("#forum-posts", VerticalScroll)
        await scroll.remove_children()
        await scroll.mount_all([Static(post_text(p), classes="forum-post") for p in self.posts])
        scroll.scroll_end(animate=False)
        self.query_one("#forum-body", Input).focus()

    # --- events ---------------------------------------------------------------------------
    async def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Open the board or thread picked."""
        picked = event.option.id
        if picked is None:
            return
        self._note("")
        if self.board is None:
            await self.show_board(picked)
        else:
            await self.show_thread(int(picked))

    async def action_back(self) -> None:
        """Up one level; from the boards, close."""
        self._note("")
        if self.thread is not None and self.board is not None:
            await self.show_board(self.board)
        elif self.board is not None:
            await self.show_boards()
        else:
            await self._follow(None)
            self.dismiss(None)

    def action_compose(self) -> None:
        """Focus the form (a new thread's title on a board, the reply in a thread)."""
        if self.board is None:
            return
        target = "#forum-body" if self.thread is not None else "#forum-subject"
        self.query_one(target, Input).focus()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the title moves to the body; Enter in the body posts."""
        if event.input.id == "forum-subject":
            self.query_one("#forum-body", Input).focus()
        else:
            await self.send()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        """Post."""
        if event.button.id == "forum-send":
            await self.send()

    async def send(self) -> None:
        """Open a thread (on a board) or reply (in a thread) with the form's text."""
        body_input = self.query_one("#forum-body", Input)
        subject_input = self.query_one("#forum-subject", Input)
        text = body_input.value.strip()
        if self.board is None or not text:
            self._note("[yellow]write something first[/]")
            return
        try:
            if self.thread is not None:
                thread_id = int(self.thread["id"])
                await self.api.request(
                    "POST", f"{FORUMS}/threads/{thread_id}/posts", json={"body": text}
                )
            else:
                title = subject_input.value.strip()
                if not title:
                    self._note("[yellow]a new thread needs a title[/]")
                    subject_input.focus()
                    return
                answer = await self.api.request(
                    "POST", f"{FORUMS}/{self.board}/threads", json={"title": title, "body": text}
                )
                thread_id = int(answer["thread"]["id"])
        except ApiError as exc:
            self._note(f"[red]refused: {escape(exc.code)}[/] {escape(exc.detail or '')}")
            return
        body_input.value = ""
        subject_input.value = ""
        self._note("[green]posted[/]")
        await self.show_thread(thread_id)
