"""``starlane play``: the terminal client (Textual)."""

from __future__ import annotations

from typing import Annotated

import typer

from starlane.cli.common import fail


def play(
    server: Annotated[
        str, typer.Option("--server", help="The server's root URL.")
    ] = "http://127.0.0.1:8000",
    username: Annotated[
        str | None, typer.Option("--username", help="Pre-fill the login form.")
    ] = None,
) -> None:
    """Play in the terminal: log in, fly, trade, fight, watch the live event feed."""
    if not server.startswith(("http://", "https://")):
        fail("--server must be an http:// or https:// URL", code=2)
    from starlane.client.tui import StarlaneApp

    StarlaneApp(server, username=username).run()
