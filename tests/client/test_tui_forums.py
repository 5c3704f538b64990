"""The forums screen (key ``f``), driven with Textual's pilot in 80 columns against a real
in-process server: boards, a new thread, a reply, a locked thread's refusal, Escape up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from textual.widgets import Input, OptionList, Static

from starlane.audit.actions import Actor
from starlane.client.forums import ForumDialog, post_text, thread_line
from starlane.client.tui import StarlaneApp
from starlane.domain.governance import RegionRole
from starlane.forums.service import Forums
from tests.client.conftest import running_app, small_settings
from tests.client.test_tui import PASSWORD, plain, until


class FakeLive:
    """Records the subscriptions the dialog asks of the live connection."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def request(self, op: str, **args: Any) -> Any:
        self.calls.append((op, str(args["channel"])))
        return {"channels": []}

    async def close(self) -> None:
        return None


def test_renderers() -> None:
    thread = {"title": "Ore", "author": "ann", "post_count": 1, "pinned": True, "locked": True}
    assert thread_line(thread) == "[pinned] [locked] Ore - ann, 1 post"
    post = {"id": 3, "author": "ann", "body": "[b]x[/b] <script>", "edited_at": 5.0}
    assert plain(post_text(post)) == "ann #3 (edited)\n[b]x[/b] <script>"
    hidden = {"id": 4, "author": "bo", "hidden": True, "hidden_reason": "spam"}
    assert "hidden by a moderator: spam" in plain(post_text(hidden))
    assert "deleted by its author" in plain(post_text({"id": 5, "deleted": True}))


async def test_boards_threads_posts_and_refusals(tmp_path: Path) -> None:
    async with running_app(small_settings(tmp_path)) as server:
        transport = httpx.ASGITransport(app=server)
        app = StarlaneApp("http://testserver", transport=transport, live=False)
        async with app.run_test(size=(80, 40)) as pilot:
            app.screen.query_one("#username", Input).value = "writer_1"
            app.screen.query_one("#password", Input).value = PASSWORD
            await pilot.click("#register-button")
            await until(pilot, lambda: app.me is not None)
            live = FakeLive()
            app.live = live
            await pilot.press("f")
            await until(pilot, lambda: isinstance(app.screen, ForumDialog))
            dialog = app.screen
            assert isinstance(dialog, ForumDialog)
            assert dialog.query_one(".dialog").region.right <= 80
            await until(pilot, lambda: bool(dialog.boards))
            assert dialog.boards[0]["name"] == "galaxy"
            # pick the galaxy board (highlighted first), open a thread
            options = dialog.query_one("#forum-list", OptionList)
            options.highlighted = 0
            options.action_select()
            await until(pilot, lambda: dialog.board == "galaxy")
            note = dialog.query_one("#forum-note", Static)
            await until(pilot, lambda: "no threads yet" in str(note.render()))
            dialog.query_one("#forum-body", Input).value = "body without a title"
            await dialog.send()
            assert "needs a title" in str(note.render())
            dialog.query_one("#forum-subject", Input).value = "Selling ore"
            await dialog.send()
            await until(pilot, lambda: dialog.thread is not None)
            assert dialog.thread is not None and dialog.thread["title"] == "Selling ore"
            assert [p["body"] for p in dialog.posts] == ["body without a title"]
            assert live.calls == [("subscribe", "forum:galaxy")]
            # someone else replies: the pushed change reloads the thread shown
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as other:
                r = await other.post(
                    "/api/v1/auth/register", json={"username": "reader", "password": PASSWORD}
                )
                token = r.json()["tokens"]["access_token"]
                r = await other.post(
                    f"/api/v1/forums/threads/{dialog.thread['id']}/posts",
                    json={"body": "count me in"},
                    headers={"Authorization": f"Bearer {token}"},
                )
            await dialog.forum_changed(
                {"type": "change", "kind": "forum.post.created", "payload": r.json()}
            )
            assert [p["author"] for p in dialog.posts] == ["writer_1", "reader"]
            # reply in the thread
            dialog.query_one("#forum-body", Input).value = "**cheap** at Sol"
            await pilot.click("#forum-send")
            await until(pilot, lambda: len(dialog.posts) == 3)
            texts = [plain(str(s.render())) for s in dialog.query(".forum-post").results(Static)]
            assert texts[-1].endswith("**cheap** at Sol")
            # a locked thread refuses the reply; the dialog stays open and says why
            services = server.state.services
            forums = Forums(services.uow, services.clock, 900)
            await forums.moderate_thread(
                int(dialog.thread["id"]),
                Actor(None, "admin"),
                {RegionRole.ADMIN},
                {"locked": True},
                "",
            )
            dialog.query_one("#forum-body", Input).value = "too late"
            await dialog.send()
            assert "thread_locked" in str(note.render()) and app.screen is dialog
            # Escape: threads (the new one listed), boards, closed
            await pilot.press("escape")
            await until(pilot, lambda: dialog.thread is None and bool(dialog.threads))
            assert thread_line(dialog.threads[0]).startswith("[locked] Selling ore")
            await pilot.press("escape")
            await until(pilot, lambda: dialog.board is None)
            await pilot.press("escape")
            await until(pilot, lambda: len(app.screen_stack) == 1)
            assert live.calls[-1] == ("unsubscribe", "forum:galaxy")
